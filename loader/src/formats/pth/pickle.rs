//! A restricted pickle interpreter: it understands the opcodes a PyTorch
//! state dict uses and a short allow-list of globals, and refuses everything
//! else with [`LoadError::PickleRefused`]. It never imports or calls
//! anything: allowed globals are matched by name and interpreted here.
//!
//! The allow-list mirrors what `torch.load(weights_only=True)` accepts for a
//! plain state dict: `collections.OrderedDict`, the `torch._utils` rebuild
//! functions, the typed storage classes, `torch.nn.parameter.Parameter`,
//! `torch.Size`, and `_codecs.encode` for protocol-2 bytes.

use crate::dtype::DType;
use crate::error::{LoadError, Result};
use crate::input::Input;
use crate::limits::Limits;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{Read, Seek};
use std::rc::Rc;

/// A globally named callable or class the interpreter knows.
#[derive(Debug, Clone, PartialEq)]
pub enum Global {
    OrderedDict,
    RebuildTensorV2,
    RebuildTensor,
    RebuildParameter,
    RebuildParameterWithState,
    RebuildFromTypeV2,
    Parameter,
    TorchSize,
    CodecsEncode,
    /// `torch.FloatStorage` and friends: the element type of a storage.
    Storage(DType),
}

/// A storage referenced by a persistent id.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageRef {
    pub key: String,
    pub dtype: DType,
    /// Elements in the storage.
    pub numel: u64,
}

/// A tensor rebuilt from its storage.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorRef {
    pub storage: Rc<StorageRef>,
    /// In elements.
    pub storage_offset: u64,
    pub shape: Vec<u64>,
    /// In elements.
    pub stride: Vec<u64>,
}

/// The values a state-dict pickle can build.
#[derive(Debug, Clone)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    /// An integer wider than 64 bits, as its little-endian two's complement bytes.
    Long(Rc<[u8]>),
    Float(f64),
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    Tuple(Rc<[Value]>),
    List(Rc<RefCell<Vec<Value>>>),
    Dict(Rc<RefCell<Vec<(Value, Value)>>>),
    Global(Global),
    Storage(Rc<StorageRef>),
    Tensor(Rc<TensorRef>),
}

impl Value {
    fn type_name(&self) -> &'static str {
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

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// Elements of a tuple or list.
    pub fn items(&self) -> Option<Vec<Value>> {
        match self {
            Value::Tuple(t) => Some(t.to_vec()),
            Value::List(l) => Some(l.borrow().clone()),
            _ => None,
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
            file: self.input.file().to_owned(),
            offset: at,
            reason: reason.into(),
        }
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

    fn top_mut(&mut self, at: u64) -> Result<&mut Value> {
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err(self.refuse(at, "empty stack above the mark"));
        }
        if self.stack.is_empty() {
            return Err(self.refuse(at, "stack underflow"));
        }
        Ok(self.stack.last_mut().expect("checked non-empty"))
    }

    fn bytes(&mut self, n: u64) -> Result<Vec<u8>> {
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
        self.memo.insert(k, v);
        Ok(())
    }

    fn run(&mut self) -> Result<Value> {
        loop {
            let at = self.input.pos();
            if at - self.start > self.limits.max_header_bytes {
                return Err(self
                    .input
                    .limit("pickle length", at - self.start, self.limits.max_header_bytes));
            }
            let op = self.input.u8("pickle opcode")?;
            match op {
                0x80 => {
                    let v = self.input.u8("pickle protocol")?;
                    if v > 5 {
                        return Err(self.refuse(at, format!("protocol {v}")));
                    }
                }
                0x95 => {
                    self.input.u64("pickle frame")?;
                }
                b'.' => {
                    let v = self.pop(at)?;
                    return Ok(v);
                }
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    self.pop(at)?;
                }
                b'1' => {
                    self.pop_mark(at)?;
                }
                b'2' => {
                    let v = self.top_mut(at)?.clone();
                    self.stack.push(v);
                }
                b'N' => self.stack.push(Value::None),
                0x88 => self.stack.push(Value::Bool(true)),
                0x89 => self.stack.push(Value::Bool(false)),
                b'J' => {
                    let v = i32::from_le_bytes(self.input.array("BININT")?);
                    self.stack.push(Value::Int(i64::from(v)));
                }
                b'K' => {
                    let v = self.input.u8("BININT1")?;
                    self.stack.push(Value::Int(i64::from(v)));
                }
                b'M' => {
                    let v = self.input.u16("BININT2")?;
                    self.stack.push(Value::Int(i64::from(v)));
                }
                0x8a | 0x8b => {
                    let n = if op == 0x8a {
                        u64::from(self.input.u8("LONG1 length")?)
                    } else {
                        u64::from(self.input.u32("LONG4 length")?)
                    };
                    let b = self.bytes(n)?;
                    self.stack.push(long_value(&b));
                }
                b'I' | b'L' => {
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
                    self.stack.push(v);
                }
                b'G' => {
                    let v = f64::from_be_bytes(self.input.array("BINFLOAT")?);
                    self.stack.push(Value::Float(v));
                }
                b'F' => {
                    let line = self.line(at)?;
                    let v = line
                        .parse()
                        .map_err(|_| self.refuse(at, format!("bad float {line:?}")))?;
                    self.stack.push(Value::Float(v));
                }
                b'X' => {
                    let n = u64::from(self.input.u32("BINUNICODE length")?);
                    let s = self.string(n, at)?;
                    self.stack.push(Value::Str(s));
                }
                0x8c => {
                    let n = u64::from(self.input.u8("SHORT_BINUNICODE length")?);
                    let s = self.string(n, at)?;
                    self.stack.push(Value::Str(s));
                }
                0x8d => {
                    let n = self.input.u64("BINUNICODE8 length")?;
                    let s = self.string(n, at)?;
                    self.stack.push(Value::Str(s));
                }
                // Protocol 2 "str" of Python 2: bytes that we read as text when UTF-8.
                b'T' | b'U' => {
                    let n = if op == b'T' {
                        u64::from(self.input.u32("BINSTRING length")?)
                    } else {
                        u64::from(self.input.u8("SHORT_BINSTRING length")?)
                    };
                    let b = self.bytes(n)?;
                    let v = match String::from_utf8(b) {
                        Ok(s) => Value::Str(s.into()),
                        Err(e) => Value::Bytes(e.into_bytes().into()),
                    };
                    self.stack.push(v);
                }
                b'B' | b'C' | 0x8e => {
                    let n = match op {
                        b'B' => u64::from(self.input.u32("BINBYTES length")?),
                        b'C' => u64::from(self.input.u8("SHORT_BINBYTES length")?),
                        _ => self.input.u64("BINBYTES8 length")?,
                    };
                    let b = self.bytes(n)?;
                    self.stack.push(Value::Bytes(b.into()));
                }
                b')' => self.stack.push(Value::Tuple(Rc::from(Vec::new()))),
                b't' => {
                    let items = self.pop_mark(at)?;
                    self.stack.push(Value::Tuple(items.into()));
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    if self.stack.len() < n || self.marks.last().is_some_and(|&m| m > self.stack.len() - n) {
                        return Err(self.refuse(at, "tuple needs more items"));
                    }
                    let items = self.stack.split_off(self.stack.len() - n);
                    self.stack.push(Value::Tuple(items.into()));
                }
                b']' => self.stack.push(Value::List(Rc::default())),
                b'l' => {
                    let items = self.pop_mark(at)?;
                    self.stack.push(Value::List(Rc::new(RefCell::new(items))));
                }
                b'}' => self.stack.push(Value::Dict(Rc::default())),
                b'd' => {
                    let items = self.pop_mark(at)?;
                    let d = pairs(items).ok_or_else(|| self.refuse(at, "odd number of dict items"))?;
                    self.stack.push(Value::Dict(Rc::new(RefCell::new(d))));
                }
                b'a' => {
                    let v = self.pop(at)?;
                    match self.top_mut(at)? {
                        Value::List(l) => l.borrow_mut().push(v),
                        other => {
                            let t = other.type_name();
                            return Err(self.refuse(at, format!("APPEND to a {t}")));
                        }
                    }
                }
                b'e' => {
                    let items = self.pop_mark(at)?;
                    match self.top_mut(at)? {
                        Value::List(l) => l.borrow_mut().extend(items),
                        other => {
                            let t = other.type_name();
                            return Err(self.refuse(at, format!("APPENDS to a {t}")));
                        }
                    }
                }
                b's' => {
                    let v = self.pop(at)?;
                    let k = self.pop(at)?;
                    self.set_items(vec![(k, v)], at)?;
                }
                b'u' => {
                    let items = self.pop_mark(at)?;
                    let d = pairs(items).ok_or_else(|| self.refuse(at, "odd number of dict items"))?;
                    self.set_items(d, at)?;
                }
                b'h' => {
                    let k = u32::from(self.input.u8("BINGET")?);
                    let v = self.memo_get(k, at)?;
                    self.stack.push(v);
                }
                b'j' => {
                    let k = self.input.u32("LONG_BINGET")?;
                    let v = self.memo_get(k, at)?;
                    self.stack.push(v);
                }
                b'g' => {
                    let line = self.line(at)?;
                    let k = line.parse().map_err(|_| self.refuse(at, "bad GET key"))?;
                    let v = self.memo_get(k, at)?;
                    self.stack.push(v);
                }
                b'q' => {
                    let k = u32::from(self.input.u8("BINPUT")?);
                    self.memo_put(k, at)?;
                }
                b'r' => {
                    let k = self.input.u32("LONG_BINPUT")?;
                    self.memo_put(k, at)?;
                }
                b'p' => {
                    let line = self.line(at)?;
                    let k = line.parse().map_err(|_| self.refuse(at, "bad PUT key"))?;
                    self.memo_put(k, at)?;
                }
                0x94 => {
                    let k = u32::try_from(self.memo.len()).map_err(|_| self.refuse(at, "memo full"))?;
                    self.memo_put(k, at)?;
                }
                b'c' => {
                    let module = self.line(at)?;
                    let name = self.line(at)?;
                    let g = self.global(&module, &name, at)?;
                    self.stack.push(g);
                }
                0x93 => {
                    let name = self.pop(at)?;
                    let module = self.pop(at)?;
                    match (module.as_str(), name.as_str()) {
                        (Some(m), Some(n)) => {
                            let g = self.global(m, n, at)?;
                            self.stack.push(g);
                        }
                        _ => return Err(self.refuse(at, "STACK_GLOBAL needs two strings")),
                    }
                }
                b'Q' => {
                    let pid = self.pop(at)?;
                    let v = (self.persistent)(&pid).map_err(|r| self.refuse(at, r))?;
                    self.stack.push(v);
                }
                b'P' => {
                    let line = self.line(at)?;
                    let v = (self.persistent)(&Value::Str(line.into())).map_err(|r| self.refuse(at, r))?;
                    self.stack.push(v);
                }
                b'R' => {
                    let args = self.pop(at)?;
                    let f = self.pop(at)?;
                    let v = self.call(f, args, at)?;
                    self.stack.push(v);
                }
                0x81 => {
                    let args = self.pop(at)?;
                    let cls = self.pop(at)?;
                    let v = self.call(cls, args, at)?;
                    self.stack.push(v);
                }
                b'b' => {
                    // BUILD sets an object's state (OrderedDict._metadata,
                    // tensor hooks): nothing a state dict's data depends on.
                    let _state = self.pop(at)?;
                    match self.top_mut(at)? {
                        Value::Dict(_) | Value::Tensor(_) | Value::List(_) => {}
                        other => {
                            let t = other.type_name();
                            return Err(self.refuse(at, format!("BUILD on a {t}")));
                        }
                    }
                }
                other => {
                    return Err(self.refuse(
                        at,
                        format!(
                            "opcode 0x{other:02x} ({:?}) is not allowed in a state dict",
                            other as char
                        ),
                    ))
                }
            }
        }
    }

    fn global(&self, module: &str, name: &str, at: u64) -> Result<Value> {
        resolve_global(module, name)
            .map(Value::Global)
            .ok_or_else(|| self.refuse(at, format!("global {module}.{name} is not on the allow-list")))
    }

    fn set_items(&mut self, items: Vec<(Value, Value)>, at: u64) -> Result<()> {
        match self.top_mut(at)? {
            Value::Dict(d) => {
                d.borrow_mut().extend(items);
                Ok(())
            }
            other => {
                let t = other.type_name();
                Err(self.refuse(at, format!("SETITEM on a {t}")))
            }
        }
    }

    fn call(&self, f: Value, args: Value, at: u64) -> Result<Value> {
        let Value::Global(g) = f else {
            return Err(self.refuse(at, format!("call of a {}", f.type_name())));
        };
        let args = match args {
            Value::Tuple(t) => t,
            other => return Err(self.refuse(at, format!("arguments are a {}", other.type_name()))),
        };
        let bad = |what: &str| self.refuse(at, format!("{g:?}: {what}"));
        match g {
            Global::OrderedDict => match &args[..] {
                [] => Ok(Value::Dict(Rc::default())),
                [list] => {
                    let mut d = Vec::new();
                    for item in list.items().ok_or_else(|| bad("argument is not a sequence"))? {
                        match item.items().as_deref() {
                            Some([k, v]) => d.push((k.clone(), v.clone())),
                            _ => return Err(bad("item is not a pair")),
                        }
                    }
                    Ok(Value::Dict(Rc::new(RefCell::new(d))))
                }
                _ => Err(bad("too many arguments")),
            },
            Global::RebuildTensorV2 | Global::RebuildTensor => {
                if args.len() < 4 {
                    return Err(bad("needs storage, offset, size, stride"));
                }
                let Value::Storage(storage) = &args[0] else {
                    return Err(bad("first argument is not a storage"));
                };
                let offset = args[1]
                    .as_int()
                    .and_then(|v| u64::try_from(v).ok())
                    .ok_or_else(|| bad("bad storage offset"))?;
                let dims = |v: &Value| -> Option<Vec<u64>> {
                    v.items()?
                        .iter()
                        .map(|d| d.as_int().and_then(|x| u64::try_from(x).ok()))
                        .collect()
                };
                let shape = dims(&args[2]).ok_or_else(|| bad("bad size"))?;
                let stride = dims(&args[3]).ok_or_else(|| bad("bad stride"))?;
                if shape.len() != stride.len() {
                    return Err(bad("size and stride differ in length"));
                }
                if shape.len() as u64 > self.limits.max_dims {
                    return Err(self
                        .input
                        .limit("tensor dims", shape.len() as u64, self.limits.max_dims));
                }
                Ok(Value::Tensor(Rc::new(TensorRef {
                    storage: storage.clone(),
                    storage_offset: offset,
                    shape,
                    stride,
                })))
            }
            Global::RebuildParameter | Global::RebuildParameterWithState => match args.first() {
                Some(t @ Value::Tensor(_)) => Ok(t.clone()),
                _ => Err(bad("first argument is not a tensor")),
            },
            Global::RebuildFromTypeV2 => {
                // (func, new_type, args, state): call func(*args), ignore the subclass.
                match &args[..] {
                    [func @ Value::Global(_), _, inner, _] => self.call(func.clone(), inner.clone(), at),
                    _ => Err(bad("expects (func, type, args, state)")),
                }
            }
            Global::TorchSize => match &args[..] {
                [t] => Ok(Value::Tuple(
                    t.items().ok_or_else(|| bad("argument is not a sequence"))?.into(),
                )),
                _ => Err(bad("expects one sequence")),
            },
            Global::CodecsEncode => match &args[..] {
                [Value::Str(s), Value::Str(enc)] if &**enc == "latin1" => {
                    let b: Option<Vec<u8>> = s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
                    Ok(Value::Bytes(b.ok_or_else(|| bad("not latin-1"))?.into()))
                }
                _ => Err(bad("only _codecs.encode(str, 'latin1') is allowed")),
            },
            Global::Parameter | Global::Storage(_) => Err(bad("cannot be called")),
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
