//! A restricted pickle interpreter: it understands the opcodes a PyTorch
//! state dict uses and a short allow-list of globals, and refuses everything
//! else with `LoadError::PickleRefused`. It never imports or calls
//! anything: allowed globals are matched by name and interpreted here.
//!
//! The allow-list mirrors what `torch.load(weights_only=True)` accepts for a
//! plain state dict: `collections.OrderedDict`, the `torch._utils` rebuild
//! functions, the typed storage classes, `torch.nn.parameter.Parameter`,
//! `torch.Size`, and `_codecs.encode` for protocol-2 bytes.
//!
//! Hostile pickles are bounded while they run, not afterwards:
//! * every container records its nesting depth when it is built or grows,
//!   and one deeper than `Limits::max_nesting` is refused on the spot;
//! * everything the machine allocates (stack slots, containers, strings,
//!   memo entries) is charged to the parse budget
//!   (`Limits::parse_budget`) before it is allocated;
//! * values are dropped and printed without recursion, so even a structure
//!   that grew deep through the memo cannot overflow the stack.

use super::opcode::OpCode;
use crate::dtype::DType;
use crate::error::{LoadError, Result};
use crate::input::Input;
use crate::limits::Limits;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{Read, Seek};
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

/// A globally named callable or class the interpreter knows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Global {
    /// `collections.OrderedDict`.
    OrderedDict,
    /// `torch._utils._rebuild_tensor_v2`.
    RebuildTensorV2,
    /// `torch._utils._rebuild_tensor`.
    RebuildTensor,
    /// `torch._utils._rebuild_parameter`.
    RebuildParameter,
    /// `torch._utils._rebuild_parameter_with_state`.
    RebuildParameterWithState,
    /// `torch._tensor._rebuild_from_type_v2`.
    RebuildFromTypeV2,
    /// `torch.nn.parameter.Parameter`.
    Parameter,
    /// `torch.Size`.
    TorchSize,
    /// `_codecs.encode`.
    CodecsEncode,
    /// `torch.FloatStorage` and friends: the element type of a storage.
    Storage(DType),
}

/// A storage referenced by a persistent id.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageRef {
    /// The storage's key (its member name in the zip layout).
    pub key: String,
    /// Element type.
    pub dtype: DType,
    /// Elements in the storage.
    pub numel: u64,
}

/// A tensor rebuilt from its storage.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorRef {
    /// The storage the tensor views.
    pub storage: Rc<StorageRef>,
    /// In elements.
    pub storage_offset: u64,
    /// Dimensions, outermost first.
    pub shape: Vec<u64>,
    /// In elements.
    pub stride: Vec<u64>,
}

/// The items of a tuple or list, with the nesting depth of the deepest
/// container among them (1 for a container of scalars). Dropped without
/// recursion.
#[derive(Default)]
pub struct Items {
    items: Vec<Value>,
    depth: u32,
}

/// The key/value pairs of a dict, with their nesting depth. Dropped without
/// recursion.
#[derive(Default)]
pub struct Pairs {
    pairs: Vec<(Value, Value)>,
    depth: u32,
}

impl Deref for Items {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.items
    }
}

impl DerefMut for Items {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.items
    }
}

impl Deref for Pairs {
    type Target = Vec<(Value, Value)>;
    fn deref(&self) -> &Vec<(Value, Value)> {
        &self.pairs
    }
}

impl DerefMut for Pairs {
    fn deref_mut(&mut self) -> &mut Vec<(Value, Value)> {
        &mut self.pairs
    }
}

/// Moves the children of every container that `v` owns alone onto
/// `pending`, so that dropping `v` itself recurses no further.
fn detach_children(v: Value, pending: &mut Vec<Value>) {
    match v {
        Value::Tuple(rc) => {
            if let Ok(mut items) = Rc::try_unwrap(rc) {
                pending.append(&mut items.items);
            }
        }
        Value::List(rc) => {
            if let Ok(cell) = Rc::try_unwrap(rc) {
                pending.append(&mut cell.into_inner().items);
            }
        }
        Value::Dict(rc) => {
            if let Ok(cell) = Rc::try_unwrap(rc) {
                for (k, v) in std::mem::take(&mut cell.into_inner().pairs) {
                    pending.push(k);
                    pending.push(v);
                }
            }
        }
        _ => {}
    }
}

impl Drop for Items {
    fn drop(&mut self) {
        let mut pending = std::mem::take(&mut self.items);
        while let Some(v) = pending.pop() {
            detach_children(v, &mut pending);
        }
    }
}

impl Drop for Pairs {
    fn drop(&mut self) {
        let mut pending = Vec::with_capacity(self.pairs.len() * 2);
        for (k, v) in std::mem::take(&mut self.pairs) {
            pending.push(k);
            pending.push(v);
        }
        while let Some(v) = pending.pop() {
            detach_children(v, &mut pending);
        }
    }
}

/// The values a state-dict pickle can build.
#[derive(Clone)]
pub enum Value {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer that fits 64 bits.
    Int(i64),
    /// An integer wider than 64 bits, as its little-endian two's complement bytes.
    Long(Rc<[u8]>),
    /// A float.
    Float(f64),
    /// A text string.
    Str(Rc<str>),
    /// A byte string.
    Bytes(Rc<[u8]>),
    /// A tuple (immutable).
    Tuple(Rc<Items>),
    /// A list.
    List(Rc<RefCell<Items>>),
    /// A dict or `OrderedDict`, in insertion order.
    Dict(Rc<RefCell<Pairs>>),
    /// An allowed global.
    Global(Global),
    /// A storage from a persistent id.
    Storage(Rc<StorageRef>),
    /// A tensor rebuilt by an allowed rebuild function.
    Tensor(Rc<TensorRef>),
}

/// Shallow: a container prints as its type and length, never its contents,
/// so printing cannot recurse however deep a hostile value is.
impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Long(b) => write!(f, "<int of {} bytes>", b.len()),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "<bytes of length {}>", b.len()),
            Value::Tuple(t) => write!(f, "<tuple of {} items>", t.len()),
            Value::List(l) => write!(f, "<list of {} items>", l.borrow().len()),
            Value::Dict(d) => write!(f, "<dict of {} items>", d.borrow().len()),
            Value::Global(g) => write!(f, "<global {g:?}>"),
            Value::Storage(s) => write!(f, "<storage {:?}>", s.key),
            Value::Tensor(t) => write!(f, "<tensor {:?}>", t.shape),
        }
    }
}

impl Value {
    /// The Python type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::Long(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Global(_) => "global",
            Value::Storage(_) => "storage",
            Value::Tensor(_) => "tensor",
        }
    }

    /// The text of a `str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// An integer (or bool) that fits 64 bits.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// Elements of a tuple or list (a shallow copy).
    pub fn items(&self) -> Option<Vec<Value>> {
        match self {
            Value::Tuple(t) => Some(t.to_vec()),
            Value::List(l) => Some(l.borrow().to_vec()),
            _ => None,
        }
    }

    /// Nesting depth: 0 for a scalar, 1 + the deepest child for a
    /// container (as recorded when the container was built or last grew).
    pub fn depth(&self) -> u32 {
        match self {
            Value::Tuple(t) => t.depth,
            Value::List(l) => l.borrow().depth,
            Value::Dict(d) => d.borrow().depth,
            _ => 0,
        }
    }
}

fn resolve_global(module: &str, name: &str) -> Option<Global> {
    Some(match (module, name) {
        ("collections", "OrderedDict") => Global::OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2") => Global::RebuildTensorV2,
        ("torch._utils", "_rebuild_tensor") => Global::RebuildTensor,
        ("torch._utils", "_rebuild_parameter") => Global::RebuildParameter,
        ("torch._utils", "_rebuild_parameter_with_state") => Global::RebuildParameterWithState,
        ("torch._tensor", "_rebuild_from_type_v2") => Global::RebuildFromTypeV2,
        ("torch.nn.parameter", "Parameter") => Global::Parameter,
        ("torch", "Size") => Global::TorchSize,
        ("_codecs", "encode") => Global::CodecsEncode,
        ("torch", storage) => Global::Storage(storage_dtype(storage)?),
        _ => return None,
    })
}

/// Element type of a `torch.*Storage` class.
pub fn storage_dtype(name: &str) -> Option<DType> {
    Some(match name {
        "FloatStorage" => DType::F32,
        "DoubleStorage" => DType::F64,
        "HalfStorage" => DType::F16,
        "BFloat16Storage" => DType::BF16,
        "LongStorage" => DType::I64,
        "IntStorage" => DType::I32,
        "ShortStorage" => DType::I16,
        "CharStorage" => DType::I8,
        "ByteStorage" => DType::U8,
        "BoolStorage" => DType::Bool,
        "ComplexFloatStorage" => DType::C64,
        "ComplexDoubleStorage" => DType::C128,
        "Float8_e4m3fnStorage" => DType::F8E4M3,
        "Float8_e5m2Storage" => DType::F8E5M2,
        _ => return None,
    })
}

/// What building things costs against the parse budget, in bytes. Slots
/// count twice their size (a growing `Vec` holds up to twice its length);
/// every heap block carries the allocator's 16-byte header.
mod cost {
    use super::Value;
    /// One value pushed on the stack or into a container.
    pub const SLOT: u64 = 2 * std::mem::size_of::<Value>() as u64;
    /// A new tuple, list or dict (its `Rc`, `RefCell` and `Vec` header).
    pub const CONTAINER: u64 = 64 + 16;
    /// One memo entry (hash table slot with its load-factor slack).
    pub const MEMO: u64 = 2 * (std::mem::size_of::<(u32, Value)>() as u64 + 8);
    /// A string or bytes object of `n` bytes.
    pub const fn bytes(n: u64) -> u64 {
        n.saturating_add(32)
    }
}

struct Machine<'a, 'f, R, P> {
    input: &'a mut Input<'f, R>,
    limits: &'a Limits,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u32, Value>,
    persistent: P,
    start: u64,
}

/// Runs one pickle from the input's position to its STOP opcode and
/// returns the value it builds. `persistent` resolves persistent ids (the
/// storages) and is the only way a pickle can refer to outside data.
pub fn load<R, P>(input: &mut Input<'_, R>, limits: &Limits, persistent: P) -> Result<Value>
where
    R: Read + Seek,
    P: FnMut(&Value) -> std::result::Result<Value, String>,
{
    let start = input.pos();
    let mut m = Machine {
        input,
        limits,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        persistent,
        start,
    };
    m.run()
}

impl<R: Read + Seek, P: FnMut(&Value) -> std::result::Result<Value, String>> Machine<'_, '_, R, P> {
    fn refuse(&self, at: u64, reason: impl Into<String>) -> LoadError {
        LoadError::PickleRefused {
            file: String::new(),
            offset: Some(at),
            reason: reason.into(),
        }
    }

    /// Pushes a value, charging its slot first.
    fn push(&mut self, v: Value) -> Result<()> {
        self.input.charge(cost::SLOT, "pickle memory")?;
        self.stack.push(v);
        Ok(())
    }

    /// The depth of a container holding `items`, refused past the cap.
    fn depth_of<'v>(&self, items: impl Iterator<Item = &'v Value>, at: u64) -> Result<u32> {
        let d = items.map(Value::depth).max().unwrap_or(0).saturating_add(1);
        self.check_depth(d, at)?;
        Ok(d)
    }

    fn check_depth(&self, d: u32, at: u64) -> Result<()> {
        if d > self.limits.max_nesting {
            return Err(LoadError::LimitExceeded {
                file: String::new(),
                offset: Some(at),
                field: "pickle nesting",
                found: u64::from(d),
                limit: u64::from(self.limits.max_nesting),
            });
        }
        Ok(())
    }

    fn tuple(&mut self, items: Vec<Value>, at: u64) -> Result<Value> {
        self.input.charge(cost::CONTAINER, "pickle memory")?;
        let depth = self.depth_of(items.iter(), at)?;
        Ok(Value::Tuple(Rc::new(Items { items, depth })))
    }

    fn list(&mut self, items: Vec<Value>, at: u64) -> Result<Value> {
        self.input.charge(cost::CONTAINER, "pickle memory")?;
        let depth = self.depth_of(items.iter(), at)?;
        Ok(Value::List(Rc::new(RefCell::new(Items { items, depth }))))
    }

    fn dict(&mut self, pairs: Vec<(Value, Value)>, at: u64) -> Result<Value> {
        self.input.charge(cost::CONTAINER, "pickle memory")?;
        let depth = self.depth_of(pairs.iter().flat_map(|(k, v)| [k, v]), at)?;
        Ok(Value::Dict(Rc::new(RefCell::new(Pairs { pairs, depth }))))
    }

    fn pop(&mut self, at: u64) -> Result<Value> {
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err(self.refuse(at, "pop across a mark"));
        }
        self.stack.pop().ok_or_else(|| self.refuse(at, "stack underflow"))
    }

    fn pop_mark(&mut self, at: u64) -> Result<Vec<Value>> {
        let m = self
            .marks
            .pop()
            .ok_or_else(|| self.refuse(at, "no mark on the stack"))?;
        if m > self.stack.len() {
            return Err(self.refuse(at, "mark above the stack"));
        }
        Ok(self.stack.split_off(m))
    }

    fn top(&self, at: u64) -> Result<&Value> {
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err(self.refuse(at, "empty stack above the mark"));
        }
        self.stack.last().ok_or_else(|| self.refuse(at, "stack underflow"))
    }

    fn bytes(&mut self, n: u64) -> Result<Vec<u8>> {
        self.input.charge(cost::bytes(n), "pickle memory")?;
        self.input.vec(n, "pickle string", self.limits.max_string_bytes)
    }

    fn string(&mut self, n: u64, at: u64) -> Result<Rc<str>> {
        let b = self.bytes(n)?;
        String::from_utf8(b)
            .map(Rc::from)
            .map_err(|_| self.refuse(at, "string is not UTF-8"))
    }

    fn line(&mut self, at: u64) -> Result<String> {
        let mut out = Vec::new();
        loop {
            let c = self.input.u8("pickle text line")?;
            if c == b'\n' {
                break;
            }
            out.push(c);
            if out.len() as u64 > self.limits.max_string_bytes {
                return Err(self
                    .input
                    .limit("pickle text line", out.len() as u64, self.limits.max_string_bytes));
            }
        }
        self.input.charge(cost::bytes(out.len() as u64), "pickle memory")?;
        String::from_utf8(out).map_err(|_| self.refuse(at, "text line is not UTF-8"))
    }

    fn memo_get(&self, k: u32, at: u64) -> Result<Value> {
        self.memo
            .get(&k)
            .cloned()
            .ok_or_else(|| self.refuse(at, format!("memo key {k} unset")))
    }

    fn memo_put(&mut self, k: u32, at: u64) -> Result<()> {
        let v = self
            .stack
            .last()
            .cloned()
            .ok_or_else(|| self.refuse(at, "memoize on an empty stack"))?;
        self.input.charge(cost::MEMO, "pickle memory")?;
        self.memo.insert(k, v);
        Ok(())
    }

    /// Appends to the list on top of the stack, keeping its depth.
    fn extend_list(&mut self, items: Vec<Value>, at: u64, op: OpCode) -> Result<()> {
        self.input
            .charge(cost::SLOT.saturating_mul(items.len() as u64), "pickle memory")?;
        let d = self.depth_of(items.iter(), at)?;
        match self.top(at)? {
            Value::List(l) => {
                let mut l = l.borrow_mut();
                l.depth = l.depth.max(d);
                l.items.extend(items);
                Ok(())
            }
            other => Err(self.refuse(at, format!("{} to a {}", op.name(), other.type_name()))),
        }
    }

    /// Sets items of the dict on top of the stack, keeping its depth.
    fn set_items(&mut self, items: Vec<(Value, Value)>, at: u64, op: OpCode) -> Result<()> {
        self.input
            .charge((2 * cost::SLOT).saturating_mul(items.len() as u64), "pickle memory")?;
        let d = self.depth_of(items.iter().flat_map(|(k, v)| [k, v]), at)?;
        match self.top(at)? {
            Value::Dict(dict) => {
                let mut dict = dict.borrow_mut();
                dict.depth = dict.depth.max(d);
                dict.pairs.extend(items);
                Ok(())
            }
            other => Err(self.refuse(at, format!("{} on a {}", op.name(), other.type_name()))),
        }
    }

    fn run(&mut self) -> Result<Value> {
        loop {
            let at = self.input.pos();
            if at - self.start > self.limits.max_header_bytes {
                return Err(self
                    .input
                    .limit("pickle length", at - self.start, self.limits.max_header_bytes));
            }
            let byte = self.input.u8("pickle opcode")?;
            let Some(op) = OpCode::from_byte(byte) else {
                return Err(self.refuse(at, format!("byte 0x{byte:02x} is not a pickle opcode")));
            };
            if let Some(v) = self.step(op, at)? {
                return Ok(v);
            }
        }
    }

    /// Executes one opcode; returns the result at STOP.
    fn step(&mut self, op: OpCode, at: u64) -> Result<Option<Value>> {
        use OpCode as O;
        match op {
            O::Proto => {
                let v = self.input.u8("pickle protocol")?;
                if v > 5 {
                    return Err(self.refuse(at, format!("protocol {v}")));
                }
            }
            O::Frame => {
                self.input.u64("pickle frame")?;
            }
            O::Stop => return self.pop(at).map(Some),
            O::Mark => {
                self.input.charge(cost::SLOT, "pickle memory")?;
                self.marks.push(self.stack.len());
            }
            O::Pop => {
                self.pop(at)?;
            }
            O::PopMark => {
                self.pop_mark(at)?;
            }
            O::Dup => {
                let v = self.top(at)?.clone();
                self.push(v)?;
            }
            O::None => self.push(Value::None)?,
            O::NewTrue => self.push(Value::Bool(true))?,
            O::NewFalse => self.push(Value::Bool(false))?,
            O::BinInt => {
                let v = i32::from_le_bytes(self.input.array("BININT")?);
                self.push(Value::Int(i64::from(v)))?;
            }
            O::BinInt1 => {
                let v = self.input.u8("BININT1")?;
                self.push(Value::Int(i64::from(v)))?;
            }
            O::BinInt2 => {
                let v = self.input.u16("BININT2")?;
                self.push(Value::Int(i64::from(v)))?;
            }
            O::Long1 | O::Long4 => {
                let n = if op == O::Long1 {
                    u64::from(self.input.u8("LONG1 length")?)
                } else {
                    u64::from(self.input.u32("LONG4 length")?)
                };
                let b = self.bytes(n)?;
                self.push(long_value(&b))?;
            }
            O::Int | O::Long => {
                let line = self.line(at)?;
                let t = line.trim_end_matches('L');
                let v = match t {
                    "00" => Value::Bool(false),
                    "01" => Value::Bool(true),
                    _ => Value::Int(
                        t.parse()
                            .map_err(|_| self.refuse(at, format!("bad integer {line:?}")))?,
                    ),
                };
                self.push(v)?;
            }
            O::BinFloat => {
                let v = f64::from_be_bytes(self.input.array("BINFLOAT")?);
                self.push(Value::Float(v))?;
            }
            O::Float => {
                let line = self.line(at)?;
                let v = line
                    .parse()
                    .map_err(|_| self.refuse(at, format!("bad float {line:?}")))?;
                self.push(Value::Float(v))?;
            }
            O::BinUnicode | O::ShortBinUnicode | O::BinUnicode8 => {
                let n = match op {
                    O::BinUnicode => u64::from(self.input.u32("BINUNICODE length")?),
                    O::ShortBinUnicode => u64::from(self.input.u8("SHORT_BINUNICODE length")?),
                    _ => self.input.u64("BINUNICODE8 length")?,
                };
                let s = self.string(n, at)?;
                self.push(Value::Str(s))?;
            }
            // Protocol 2 "str" of Python 2: bytes that we read as text when UTF-8.
            O::BinString | O::ShortBinString => {
                let n = if op == O::BinString {
                    u64::from(self.input.u32("BINSTRING length")?)
                } else {
                    u64::from(self.input.u8("SHORT_BINSTRING length")?)
                };
                let b = self.bytes(n)?;
                let v = match String::from_utf8(b) {
                    Ok(s) => Value::Str(s.into()),
                    Err(e) => Value::Bytes(e.into_bytes().into()),
                };
                self.push(v)?;
            }
            O::BinBytes | O::ShortBinBytes | O::BinBytes8 => {
                let n = match op {
                    O::BinBytes => u64::from(self.input.u32("BINBYTES length")?),
                    O::ShortBinBytes => u64::from(self.input.u8("SHORT_BINBYTES length")?),
                    _ => self.input.u64("BINBYTES8 length")?,
                };
                let b = self.bytes(n)?;
                self.push(Value::Bytes(b.into()))?;
            }
            O::EmptyTuple => {
                let t = self.tuple(Vec::new(), at)?;
                self.push(t)?;
            }
            O::Tuple => {
                let items = self.pop_mark(at)?;
                let t = self.tuple(items, at)?;
                self.push(t)?;
            }
            O::Tuple1 | O::Tuple2 | O::Tuple3 => {
                let n = match op {
                    O::Tuple1 => 1,
                    O::Tuple2 => 2,
                    _ => 3,
                };
                if self.stack.len() < n || self.marks.last().is_some_and(|&m| m > self.stack.len() - n) {
                    return Err(self.refuse(at, format!("{} needs {n} items", op.name())));
                }
                let items = self.stack.split_off(self.stack.len() - n);
                let t = self.tuple(items, at)?;
                self.push(t)?;
            }
            O::EmptyList => {
                let l = self.list(Vec::new(), at)?;
                self.push(l)?;
            }
            O::List => {
                let items = self.pop_mark(at)?;
                let l = self.list(items, at)?;
                self.push(l)?;
            }
            O::EmptyDict => {
                let d = self.dict(Vec::new(), at)?;
                self.push(d)?;
            }
            O::Dict => {
                let items = self.pop_mark(at)?;
                let pairs = pairs(items).ok_or_else(|| self.refuse(at, "odd number of dict items"))?;
                let d = self.dict(pairs, at)?;
                self.push(d)?;
            }
            O::Append => {
                let v = self.pop(at)?;
                self.extend_list(vec![v], at, op)?;
            }
            O::Appends => {
                let items = self.pop_mark(at)?;
                self.extend_list(items, at, op)?;
            }
            O::SetItem => {
                let v = self.pop(at)?;
                let k = self.pop(at)?;
                self.set_items(vec![(k, v)], at, op)?;
            }
            O::SetItems => {
                let items = self.pop_mark(at)?;
                let d = pairs(items).ok_or_else(|| self.refuse(at, "odd number of dict items"))?;
                self.set_items(d, at, op)?;
            }
            O::BinGet | O::LongBinGet | O::Get => {
                let k = match op {
                    O::BinGet => u32::from(self.input.u8("BINGET")?),
                    O::LongBinGet => self.input.u32("LONG_BINGET")?,
                    _ => {
                        let line = self.line(at)?;
                        line.parse().map_err(|_| self.refuse(at, "bad GET key"))?
                    }
                };
                let v = self.memo_get(k, at)?;
                self.push(v)?;
            }
            O::BinPut | O::LongBinPut | O::Put => {
                let k = match op {
                    O::BinPut => u32::from(self.input.u8("BINPUT")?),
                    O::LongBinPut => self.input.u32("LONG_BINPUT")?,
                    _ => {
                        let line = self.line(at)?;
                        line.parse().map_err(|_| self.refuse(at, "bad PUT key"))?
                    }
                };
                self.memo_put(k, at)?;
            }
            O::Memoize => {
                let k = u32::try_from(self.memo.len()).map_err(|_| self.refuse(at, "memo full"))?;
                self.memo_put(k, at)?;
            }
            O::Global => {
                let module = self.line(at)?;
                let name = self.line(at)?;
                let g = self.global(&module, &name, at)?;
                self.push(g)?;
            }
            O::StackGlobal => {
                let name = self.pop(at)?;
                let module = self.pop(at)?;
                match (module.as_str(), name.as_str()) {
                    (Some(m), Some(n)) => {
                        let g = self.global(m, n, at)?;
                        self.push(g)?;
                    }
                    _ => return Err(self.refuse(at, "STACK_GLOBAL needs two strings")),
                }
            }
            O::BinPersId => {
                let pid = self.pop(at)?;
                let v = (self.persistent)(&pid).map_err(|r| self.refuse(at, r))?;
                self.push(v)?;
            }
            O::PersId => {
                let line = self.line(at)?;
                let v = (self.persistent)(&Value::Str(line.into())).map_err(|r| self.refuse(at, r))?;
                self.push(v)?;
            }
            O::Reduce | O::NewObj => {
                let args = self.pop(at)?;
                let f = self.pop(at)?;
                let v = self.call(f, args, at, 0)?;
                self.push(v)?;
            }
            O::Build => {
                // BUILD sets an object's state (OrderedDict._metadata,
                // tensor hooks): nothing a state dict's data depends on.
                let _state = self.pop(at)?;
                match self.top(at)? {
                    Value::Dict(_) | Value::Tensor(_) | Value::List(_) => {}
                    other => return Err(self.refuse(at, format!("BUILD on a {}", other.type_name()))),
                }
            }
            O::String
            | O::Unicode
            | O::Inst
            | O::Obj
            | O::Ext1
            | O::Ext2
            | O::Ext4
            | O::EmptySet
            | O::AddItems
            | O::FrozenSet
            | O::NewObjEx
            | O::ByteArray8
            | O::NextBuffer
            | O::ReadonlyBuffer => {
                return Err(self.refuse(at, format!("opcode {} is not allowed in a state dict", op.name())))
            }
        }
        Ok(None)
    }

    fn global(&self, module: &str, name: &str, at: u64) -> Result<Value> {
        resolve_global(module, name)
            .map(Value::Global)
            .ok_or_else(|| self.refuse(at, format!("global {module}.{name} is not on the allow-list")))
    }

    /// Interprets a call of an allowed global. `depth` counts nested
    /// `_rebuild_from_type_v2` calls, which the nesting cap bounds.
    fn call(&mut self, f: Value, args: Value, at: u64, depth: u32) -> Result<Value> {
        self.check_depth(depth, at)?;
        let Value::Global(g) = f else {
            return Err(self.refuse(at, format!("call of a {}", f.type_name())));
        };
        let args = match args {
            Value::Tuple(t) => t,
            other => return Err(self.refuse(at, format!("arguments are a {}", other.type_name()))),
        };
        let bad = |m: &Self, what: &str| m.refuse(at, format!("{g:?}: {what}"));
        match g {
            Global::OrderedDict => match &args[..] {
                [] => self.dict(Vec::new(), at),
                [list] => {
                    let items = list.items().ok_or_else(|| bad(self, "argument is not a sequence"))?;
                    let mut d = Vec::with_capacity(items.len());
                    for item in items {
                        match item.items().as_deref() {
                            Some([k, v]) => d.push((k.clone(), v.clone())),
                            _ => return Err(bad(self, "item is not a pair")),
                        }
                    }
                    self.dict(d, at)
                }
                _ => Err(bad(self, "too many arguments")),
            },
            Global::RebuildTensorV2 | Global::RebuildTensor => {
                if args.len() < 4 {
                    return Err(bad(self, "needs storage, offset, size, stride"));
                }
                let Value::Storage(storage) = &args[0] else {
                    return Err(bad(self, "first argument is not a storage"));
                };
                let offset = args[1]
                    .as_int()
                    .and_then(|v| u64::try_from(v).ok())
                    .ok_or_else(|| bad(self, "bad storage offset"))?;
                let dims = |v: &Value| -> Option<Vec<u64>> {
                    v.items()?
                        .iter()
                        .map(|d| d.as_int().and_then(|x| u64::try_from(x).ok()))
                        .collect()
                };
                let shape = dims(&args[2]).ok_or_else(|| bad(self, "bad size"))?;
                let stride = dims(&args[3]).ok_or_else(|| bad(self, "bad stride"))?;
                if shape.len() != stride.len() {
                    return Err(bad(self, "size and stride differ in length"));
                }
                if shape.len() as u64 > self.limits.max_dims {
                    return Err(self
                        .input
                        .limit("tensor dims", shape.len() as u64, self.limits.max_dims));
                }
                self.input
                    .charge(cost::CONTAINER + 16 * shape.len() as u64, "pickle memory")?;
                Ok(Value::Tensor(Rc::new(TensorRef {
                    storage: storage.clone(),
                    storage_offset: offset,
                    shape,
                    stride,
                })))
            }
            Global::RebuildParameter | Global::RebuildParameterWithState => match args.first() {
                Some(t @ Value::Tensor(_)) => Ok(t.clone()),
                _ => Err(bad(self, "first argument is not a tensor")),
            },
            Global::RebuildFromTypeV2 => {
                // (func, new_type, args, state): call func(*args), ignore the subclass.
                match &args[..] {
                    [func @ Value::Global(_), _, inner, _] => self.call(func.clone(), inner.clone(), at, depth + 1),
                    _ => Err(bad(self, "expects (func, type, args, state)")),
                }
            }
            Global::TorchSize => match &args[..] {
                [t] => {
                    let items = t.items().ok_or_else(|| bad(self, "argument is not a sequence"))?;
                    self.tuple(items, at)
                }
                _ => Err(bad(self, "expects one sequence")),
            },
            Global::CodecsEncode => match &args[..] {
                [Value::Str(s), Value::Str(enc)] if &**enc == "latin1" => {
                    let b: Option<Vec<u8>> = s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
                    Ok(Value::Bytes(b.ok_or_else(|| bad(self, "not latin-1"))?.into()))
                }
                _ => Err(bad(self, "only _codecs.encode(str, 'latin1') is allowed")),
            },
            Global::Parameter | Global::Storage(_) => Err(bad(self, "cannot be called")),
        }
    }
}

fn pairs(items: Vec<Value>) -> Option<Vec<(Value, Value)>> {
    if !items.len().is_multiple_of(2) {
        return None;
    }
    let mut it = items.into_iter();
    let mut out = Vec::new();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    Some(out)
}

fn long_value(b: &[u8]) -> Value {
    if b.is_empty() {
        return Value::Int(0);
    }
    if b.len() <= 8 {
        let neg = b[b.len() - 1] & 0x80 != 0;
        let mut buf = if neg { [0xFF; 8] } else { [0; 8] };
        buf[..b.len()].copy_from_slice(b);
        Value::Int(i64::from_le_bytes(buf))
    } else {
        Value::Long(b.into())
    }
}

/// Parses a storage persistent id of either layout:
/// `('storage', StorageType, key, location, numel[, view_metadata])`.
pub fn storage_from_pid(pid: &Value) -> std::result::Result<StorageRef, String> {
    let items = pid.items().ok_or("persistent id is not a tuple")?;
    match items.first().and_then(Value::as_str) {
        Some("storage") => {}
        Some(other) => return Err(format!("persistent id of kind {other:?} (only storages are allowed)")),
        None => return Err("persistent id has no kind".into()),
    }
    if items.len() < 5 {
        return Err("storage persistent id is too short".into());
    }
    let dtype = match &items[1] {
        Value::Global(Global::Storage(d)) => *d,
        other => return Err(format!("storage type is a {}", other.type_name())),
    };
    let key = match &items[2] {
        Value::Str(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        _ => return Err("storage key is not a string".into()),
    };
    let numel = items[4]
        .as_int()
        .and_then(|n| u64::try_from(n).ok())
        .ok_or("storage size is not a non-negative integer")?;
    if let Some(view) = items.get(5) {
        if !matches!(view, Value::None) {
            return Err("storage views are not supported".into());
        }
    }
    Ok(StorageRef { key, dtype, numel })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn run_with(p: &[u8], limits: &Limits, budget: u64) -> Result<Value> {
        let mut input = Input::new(Cursor::new(p), p.len() as u64, "t.pkl");
        input.set_budget(budget);
        load(&mut input, limits, |pid| {
            storage_from_pid(pid).map(|s| Value::Storage(Rc::new(s)))
        })
    }

    fn run(p: &[u8]) -> Result<Value> {
        run_with(p, &Limits::default(), u64::MAX)
    }

    fn refusal(r: Result<Value>) -> String {
        match r {
            Err(LoadError::PickleRefused { reason, .. }) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn limit_field(r: Result<Value>) -> &'static str {
        match r {
            Err(LoadError::LimitExceeded { field, .. }) => field,
            other => panic!("expected a limit, got {other:?}"),
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(run(b"\x80\x02K\x07.").unwrap().as_int(), Some(7));
        assert_eq!(run(b"M\x01\x02.").unwrap().as_int(), Some(0x0201));
        assert_eq!(run(b"J\xff\xff\xff\xff.").unwrap().as_int(), Some(-1));
        assert_eq!(run(b"\x8a\x01\xfe.").unwrap().as_int(), Some(-2));
        assert!(
            matches!(run(b"\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09.").unwrap(), Value::Long(b) if b.len() == 9)
        );
        assert_eq!(run(b"I42\n.").unwrap().as_int(), Some(42));
        assert_eq!(run(b"I01\n.").unwrap().as_int(), Some(1));
        assert!(matches!(run(b"\x88.").unwrap(), Value::Bool(true)));
        assert!(matches!(run(b"N.").unwrap(), Value::None));
        assert!(matches!(run(b"G?\xf0\x00\x00\x00\x00\x00\x00.").unwrap(), Value::Float(x) if x == 1.0));
        assert!(matches!(run(b"F2.5\n.").unwrap(), Value::Float(x) if x == 2.5));
        assert_eq!(run(b"\x8c\x02ab.").unwrap().as_str(), Some("ab"));
        assert_eq!(run(b"X\x01\x00\x00\x00c.").unwrap().as_str(), Some("c"));
        assert!(matches!(run(b"C\x02\xff\xfe.").unwrap(), Value::Bytes(b) if &*b == b"\xff\xfe"));
        assert!(matches!(run(b"U\x01\xff.").unwrap(), Value::Bytes(_)));
        assert_eq!(run(b"U\x01z.").unwrap().as_str(), Some("z"));
    }

    #[test]
    fn containers_and_memo() {
        let t = run(b"(K\x01K\x02t.").unwrap();
        assert_eq!(t.items().unwrap().len(), 2);
        assert_eq!(t.depth(), 1);
        assert_eq!(run(b"K\x01K\x02K\x03\x87.").unwrap().items().unwrap().len(), 3);
        // EMPTY_LIST, BINPUT 0, MARK, 1, 2, APPENDS, APPEND 3 via BINGET.
        let l = run(b"]q\x00(K\x01K\x02eh\x00K\x03a0.").unwrap();
        assert_eq!(l.items().unwrap().len(), 3);
        let d = run(b"}(\x8c\x01aK\x01\x8c\x01bK\x02u\x8c\x01cK\x03s.").unwrap();
        let Value::Dict(d) = d else { panic!() };
        let keys: Vec<_> = d.borrow().iter().map(|(k, _)| k.as_str().unwrap().to_owned()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        // MEMOIZE numbers entries from 0; DUP; POP_MARK.
        assert_eq!(run(b"K\x05\x94\x30h\x00.").unwrap().as_int(), Some(5));
        assert_eq!(run(b"K\x05\x32\x30.").unwrap().as_int(), Some(5));
        assert_eq!(run(b"K\x05(K\x01K\x021.").unwrap().as_int(), Some(5));
        assert!(refusal(run(b"h\x07.")).contains("memo key 7"));
        assert!(refusal(run(b"K\x01K\x01a.")).contains("APPEND to a int"));
        assert!(refusal(run(b"K\x01K\x01K\x01s.")).contains("SETITEM on a int"));
        assert!(refusal(run(b"(K\x01d.")).contains("odd number"));
        assert!(refusal(run(b"0.")).contains("underflow"));
        assert!(refusal(run(b"(0.")).contains("across a mark"));
    }

    #[test]
    fn globals_and_calls() {
        // OrderedDict() via GLOBAL + EMPTY_TUPLE + REDUCE.
        let d = run(b"ccollections\nOrderedDict\n)R.").unwrap();
        assert!(matches!(d, Value::Dict(_)));
        // torch.Size((2, 3)) via STACK_GLOBAL.
        let s = run(b"\x8c\x05torch\x8c\x04Size\x93K\x02K\x03\x86\x85R.").unwrap();
        assert_eq!(s.items().unwrap().len(), 2);
        // _codecs.encode('\xff', 'latin1').
        let b = run(b"c_codecs\nencode\n\x8c\x02\xc3\xbf\x8c\x06latin1\x86R.").unwrap();
        assert!(matches!(b, Value::Bytes(b) if &*b == b"\xff"));
        assert!(refusal(run(b"cos\nsystem\n.")).contains("os.system is not on the allow-list"));
        assert!(refusal(run(b"cbuiltins\neval\n.")).contains("not on the allow-list"));
        assert!(refusal(run(b"K\x01)R.")).contains("call of a int"));
        assert!(refusal(run(b"ctorch\nFloatStorage\n)R.")).contains("cannot be called"));
    }

    #[test]
    fn rebuilds_a_tensor_from_a_storage() {
        // _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 6) as BINPERSID, 0, (2, 3), (3, 1), False, OrderedDict())
        let mut p = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(".to_vec();
        p.extend_from_slice(b"(\x8c\x07storagectorch\nFloatStorage\n\x8c\x010\x8c\x03cpuK\x06tQ");
        p.extend_from_slice(b"K\x00K\x02K\x03\x86K\x03K\x01\x86\x89ccollections\nOrderedDict\n)RtR.");
        let Value::Tensor(t) = run(&p).unwrap() else {
            panic!("not a tensor")
        };
        assert_eq!(
            (t.shape.clone(), t.stride.clone(), t.storage.numel),
            (vec![2, 3], vec![3, 1], 6)
        );
        assert_eq!(t.storage.dtype, DType::F32);
        // A persistent id that is not a storage is refused.
        assert!(refusal(run(b"(\x8c\x06moduletQ.")).contains("persistent id"));
    }

    #[test]
    fn refuses_unimplemented_opcodes_by_name() {
        assert!(refusal(run(b"S'x'\n.")).contains("STRING"));
        assert!(refusal(run(b"\x8f.")).contains("EMPTY_SET"));
        assert!(refusal(run(b"(io\nx\n.")).contains("INST"));
        assert!(refusal(run(b"\x82\x01.")).contains("EXT1"));
        assert!(refusal(run(b"\x99.")).contains("not a pickle opcode"));
        assert!(refusal(run(b"\x80\x06.")).contains("protocol 6"));
    }

    #[test]
    fn deep_tuples_are_refused_while_building() {
        // One byte per level: the machine must refuse at the cap, not after
        // building 200 000 levels (and must not overflow the stack).
        let mut p = vec![b'N'];
        p.extend(std::iter::repeat_n(0x85u8, 200_000));
        p.push(b'.');
        assert_eq!(limit_field(run(&p)), "pickle nesting");
        // Exactly at the cap is fine.
        let cap = Limits::default().max_nesting as usize;
        let mut ok = vec![b'N'];
        ok.extend(std::iter::repeat_n(0x85u8, cap));
        ok.push(b'.');
        assert_eq!(run(&ok).unwrap().depth(), cap as u32);
    }

    #[test]
    fn deep_lists_and_dicts_are_refused_while_building() {
        let n = 150_000;
        let mut p = vec![b']'; n];
        p.extend(std::iter::repeat_n(b'a', n - 1));
        p.push(b'.');
        assert_eq!(limit_field(run(&p)), "pickle nesting");
        let mut p = Vec::new();
        for _ in 0..n {
            p.extend_from_slice(b"}K\x01");
        }
        p.push(b'N');
        p.extend(std::iter::repeat_n(b's', n));
        p.push(b'.');
        assert_eq!(limit_field(run(&p)), "pickle nesting");
    }

    #[test]
    fn structures_deepened_through_the_memo_drop_without_recursion() {
        // Lists memoized empty, then linked through the memo: each append
        // sees a shallow list, so the cap cannot see the chain — dropping it
        // and printing it must still not recurse.
        let n: u32 = 200_000;
        let mut p = Vec::new();
        for i in 0..n {
            p.push(b']');
            p.push(b'r');
            p.extend_from_slice(&i.to_le_bytes());
            p.push(b'0');
        }
        for i in 0..n - 1 {
            p.push(b'j');
            p.extend_from_slice(&i.to_le_bytes());
            p.push(b'j');
            p.extend_from_slice(&(i + 1).to_le_bytes());
            p.extend_from_slice(b"a0");
        }
        p.extend_from_slice(b"j\x00\x00\x00\x00.");
        let v = run(&p).unwrap();
        assert_eq!(format!("{v:?}"), "<list of 1 items>");
        drop(v);
    }

    #[test]
    fn memory_is_charged_before_it_is_allocated() {
        // 2 MB of EMPTY_LIST: each byte builds a container.
        let p: Vec<u8> = std::iter::repeat_n(b']', 2_000_000).chain([b'.']).collect();
        assert_eq!(limit_field(run_with(&p, &Limits::default(), 16 << 20)), "pickle memory");
        // Memoized Nones.
        let p: Vec<u8> = std::iter::repeat_n(*b"N\x94", 1_000_000)
            .flatten()
            .chain([b'.'])
            .collect();
        assert_eq!(limit_field(run_with(&p, &Limits::default(), 16 << 20)), "pickle memory");
        // The default budget of a small real-sized pickle is not reached.
        let limits = Limits::default();
        let p = b"(K\x01K\x02t.";
        assert!(run_with(p, &limits, limits.parse_budget(p.len() as u64)).is_ok());
    }
}
