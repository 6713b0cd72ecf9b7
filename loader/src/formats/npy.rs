//! The `.npy` header: magic, version, header length, and a Python dict
//! literal with `descr`, `fortran_order` and `shape`.

use crate::dtype::DType;

/// What an `.npy` header says about its array.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyHeader {
    /// Format major version (1–3).
    pub major: u8,
    /// Element type.
    pub dtype: DType,
    /// Elements stored big-endian.
    pub big_endian: bool,
    /// Column-major storage.
    pub fortran_order: bool,
    /// Dimensions, outermost first.
    pub shape: Vec<u64>,
    /// Bytes before the array data (magic + lengths + dict + padding).
    pub data_offset: u64,
}

/// Why a header could not be used; the caller adds file and offset.
#[derive(Debug, PartialEq)]
pub enum NpyError {
    /// Fewer bytes than the header needs.
    Short(u64),
    /// A header that breaks the format.
    Invalid(String),
    /// A valid header of an array we refuse or do not support (object arrays, structured dtypes).
    Unsupported(String),
}

/// The magic string of every NPY file.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Parses the header at the start of `b`. `max_header` caps the dict length.
pub fn parse_header(b: &[u8], max_header: u64, max_dims: u64) -> Result<NpyHeader, NpyError> {
    if b.len() < 10 {
        return Err(NpyError::Short(10));
    }
    if &b[..6] != MAGIC {
        return Err(NpyError::Invalid("missing \\x93NUMPY magic".into()));
    }
    let major = b[6];
    let (len_bytes, hlen) = match major {
        1 => (2usize, u64::from(u16::from_le_bytes([b[8], b[9]]))),
        2 | 3 => {
            if b.len() < 12 {
                return Err(NpyError::Short(12));
            }
            (4usize, u64::from(u32::from_le_bytes([b[8], b[9], b[10], b[11]])))
        }
        v => return Err(NpyError::Unsupported(format!("npy format version {v}.{}", b[7]))),
    };
    if hlen > max_header {
        return Err(NpyError::Invalid(format!(
            "header of {hlen} bytes exceeds the limit {max_header}"
        )));
    }
    let start = 8 + len_bytes;
    let end = start as u64 + hlen;
    if (b.len() as u64) < end {
        return Err(NpyError::Short(end));
    }
    let text = &b[start..end as usize];
    let text = if major == 3 {
        std::str::from_utf8(text).map_err(|_| NpyError::Invalid("header is not UTF-8".into()))?
    } else {
        if !text.is_ascii() {
            return Err(NpyError::Invalid("header is not ASCII".into()));
        }
        std::str::from_utf8(text).map_err(|_| NpyError::Invalid("header is not ASCII".into()))?
    };
    let dict = parse_dict(text)?;
    let descr = dict.descr.ok_or_else(|| NpyError::Invalid("no 'descr' key".into()))?;
    let fortran_order = dict
        .fortran
        .ok_or_else(|| NpyError::Invalid("no 'fortran_order' key".into()))?;
    let shape = dict.shape.ok_or_else(|| NpyError::Invalid("no 'shape' key".into()))?;
    if shape.len() as u64 > max_dims {
        return Err(NpyError::Invalid(format!(
            "{} dimensions exceed the limit {max_dims}",
            shape.len()
        )));
    }
    let (dtype, big_endian) = parse_descr(&descr)?;
    // numpy's rule (PyArray_NewFromDescr): every dimension, and the byte
    // size of the non-zero ones, fits its intp.
    if !super::fits_int64(&shape, dtype.size().unwrap_or(1)) {
        return Err(NpyError::Invalid(format!(
            "shape {shape:?} is too big: its size in bytes does not fit numpy's intp"
        )));
    }
    Ok(NpyHeader {
        major,
        dtype,
        big_endian,
        fortran_order,
        shape,
        data_offset: end,
    })
}

/// numpy's array-protocol type strings for the numeric types it writes.
fn parse_descr(d: &str) -> Result<(DType, bool), NpyError> {
    let b = d.as_bytes();
    if b.len() < 2 {
        return Err(NpyError::Unsupported(format!("dtype {d:?}")));
    }
    let (order, code) = (b[0], &d[1..]);
    let big = match order {
        b'<' | b'|' | b'=' => false,
        b'>' => true,
        _ => return Err(NpyError::Unsupported(format!("dtype {d:?}"))),
    };
    let dt = match code {
        "b1" => DType::Bool,
        "u1" => DType::U8,
        "i1" => DType::I8,
        "u2" => DType::U16,
        "i2" => DType::I16,
        "u4" => DType::U32,
        "i4" => DType::I32,
        "u8" => DType::U64,
        "i8" => DType::I64,
        "f2" => DType::F16,
        "f4" => DType::F32,
        "f8" => DType::F64,
        "c8" => DType::C64,
        "c16" => DType::C128,
        c if c.starts_with('O') => {
            return Err(NpyError::Unsupported(
                "object array (pickled Python objects) refused".into(),
            ))
        }
        _ => return Err(NpyError::Unsupported(format!("dtype {d:?}"))),
    };
    // A single byte has no byte order.
    let big = big && dt.size() != Some(1);
    Ok((dt, big))
}

#[derive(Default)]
struct Dict {
    descr: Option<String>,
    fortran: Option<bool>,
    shape: Option<Vec<u64>>,
}

/// Parses the restricted dict literal numpy writes:
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
/// A structured dtype (a list as `descr`) is reported as unsupported.
fn parse_dict(s: &str) -> Result<Dict, NpyError> {
    let mut p = Lexer { s: s.as_bytes(), i: 0 };
    let bad = |m: &str| NpyError::Invalid(format!("header dict: {m}"));
    p.ws();
    if !p.eat(b'{') {
        return Err(bad("does not start with '{'"));
    }
    let mut d = Dict::default();
    loop {
        p.ws();
        if p.eat(b'}') {
            break;
        }
        let key = p.string().ok_or_else(|| bad("expected a quoted key"))?;
        p.ws();
        if !p.eat(b':') {
            return Err(bad("expected ':'"));
        }
        p.ws();
        match key.as_str() {
            "descr" => {
                if p.peek() == Some(b'[') {
                    return Err(NpyError::Unsupported("structured dtype".into()));
                }
                d.descr = Some(p.string().ok_or_else(|| bad("descr is not a string"))?);
            }
            "fortran_order" => {
                d.fortran = Some(if p.word(b"True") {
                    true
                } else if p.word(b"False") {
                    false
                } else {
                    return Err(bad("fortran_order is not True/False"));
                })
            }
            "shape" => d.shape = Some(p.tuple().ok_or_else(|| bad("shape is not a tuple of integers"))?),
            _ => return Err(bad(&format!("unexpected key {key:?}"))),
        }
        p.ws();
        if !p.eat(b',') {
            p.ws();
            if p.eat(b'}') {
                break;
            }
            return Err(bad("expected ',' or '}'"));
        }
    }
    Ok(d)
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\t' | b'\r')) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn word(&mut self, w: &[u8]) -> bool {
        if self.s[self.i..].starts_with(w) {
            self.i += w.len();
            true
        } else {
            false
        }
    }
    fn string(&mut self) -> Option<String> {
        let q = self.peek().filter(|c| *c == b'\'' || *c == b'"')?;
        self.i += 1;
        let start = self.i;
        while self.peek()? != q {
            self.i += 1;
        }
        let out = std::str::from_utf8(&self.s[start..self.i]).ok()?.to_owned();
        self.i += 1;
        Some(out)
    }
    fn tuple(&mut self) -> Option<Vec<u64>> {
        if !self.eat(b'(') {
            return None;
        }
        let mut v = Vec::new();
        loop {
            self.ws();
            if self.eat(b')') {
                return Some(v);
            }
            let start = self.i;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
            // Python 2 era headers may write `3L`.
            let n: u64 = std::str::from_utf8(&self.s[start..self.i]).ok()?.parse().ok()?;
            self.eat(b'L');
            v.push(n);
            self.ws();
            if !self.eat(b',') {
                self.ws();
                return self.eat(b')').then_some(v);
            }
        }
    }
}

/// Writes an NPY 1.0 file (2.0 when the header needs it) exactly as
/// `np.save` does: the dict literal, space padding and a newline so the
/// data starts at a multiple of 64 bytes. `descr` is numpy's type string
/// (`<f4`, `<f2`, `<V2` for ml-dtypes bfloat16).
pub fn write(mut w: impl std::io::Write, descr: &str, shape: &[u64], data: &[u8]) -> std::io::Result<()> {
    let dims = match shape {
        [] => "()".to_owned(),
        [d] => format!("({d},)"),
        _ => format!("({})", shape.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")),
    };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}");
    let (version, prefix) = if dict.len() + 1 + 10 <= u16::MAX as usize {
        (1u8, 10)
    } else {
        (2u8, 12)
    };
    let total = (prefix + dict.len() + 1).div_ceil(64) * 64;
    let hlen = total - prefix;
    w.write_all(MAGIC)?;
    w.write_all(&[version, 0])?;
    if version == 1 {
        w.write_all(&(hlen as u16).to_le_bytes())?;
    } else {
        w.write_all(&(hlen as u32).to_le_bytes())?;
    }
    w.write_all(dict.as_bytes())?;
    w.write_all(&vec![b' '; hlen - dict.len() - 1])?;
    w.write_all(b"\n")?;
    w.write_all(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(dict: &str) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&[1, 0]);
        v.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        v.extend_from_slice(dict.as_bytes());
        v
    }

    #[test]
    fn parses_numpy_dicts() {
        let h = parse_header(
            &header("{'descr': '>i8', 'fortran_order': True, 'shape': (3, 4), }"),
            1 << 20,
            64,
        )
        .unwrap();
        assert_eq!((h.dtype, h.big_endian, h.fortran_order), (DType::I64, true, true));
        assert_eq!(h.shape, vec![3, 4]);
        let h = parse_header(
            &header("{'descr': '<f4', 'fortran_order': False, 'shape': (), }"),
            1 << 20,
            64,
        )
        .unwrap();
        assert!(h.shape.is_empty());
        let h = parse_header(
            &header("{'descr': '|u1', 'fortran_order': False, 'shape': (7,), }"),
            1 << 20,
            64,
        )
        .unwrap();
        assert_eq!(h.shape, vec![7]);
    }

    #[test]
    fn refuses_object_and_structured_arrays() {
        let e = parse_header(
            &header("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"),
            1 << 20,
            64,
        );
        assert!(matches!(e, Err(NpyError::Unsupported(m)) if m.contains("object")));
        let e = parse_header(
            &header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }"),
            1 << 20,
            64,
        );
        assert!(matches!(e, Err(NpyError::Unsupported(_))));
    }

    #[test]
    fn refuses_unterminated_strings() {
        let e = parse_header(&header("{'descr': '<f4"), 1 << 20, 64);
        assert!(matches!(e, Err(NpyError::Invalid(_))));
    }
}
