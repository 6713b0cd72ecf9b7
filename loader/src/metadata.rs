//! Metadata values: GGUF key/values, safetensors `__metadata__`, the few
//! facts the `.pth` parsers record.
//!
//! GGUF tokenizers carry arrays of hundreds of thousands of elements
//! (Gemma-3: 262 144 token strings, as many scores and token types). They
//! are stored packed — one buffer of string bytes with end offsets
//! ([`StrArray`]), one typed vector per numeric array ([`Numbers`]) —
//! instead of one boxed value per element (H23 in `EXPERIMENTS.md`).
//! Serialized, every form is a plain JSON array, as before.

use serde::ser::{Serialize, SerializeSeq, Serializer};

/// A metadata value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum MetaValue {
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A float (F32 values widened).
    Float(f64),
    /// A string.
    Str(String),
    /// An array of strings, packed.
    Strings(StrArray),
    /// An array of numbers or booleans, as a typed vector.
    Numbers(Numbers),
    /// Any other array: arrays of arrays (GGUF arrays may nest), or every
    /// array when parsed per element (`formats::gguf::Arrays::PerElement`).
    Array(Vec<MetaValue>),
}

impl MetaValue {
    /// Number of elements, whatever the array's storage; `None` for scalars.
    pub fn array_len(&self) -> Option<usize> {
        match self {
            MetaValue::Strings(s) => Some(s.len()),
            MetaValue::Numbers(n) => Some(n.len()),
            MetaValue::Array(a) => Some(a.len()),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetaValue::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// An array of strings in one buffer: string `i` is
/// `text[ends[i - 1]..ends[i]]`. Two allocations, whatever the count.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StrArray {
    text: String,
    ends: Vec<usize>,
}

impl StrArray {
    /// Builds from already-validated parts: `ends` must be non-decreasing,
    /// end at or before `text.len()`, and fall on char boundaries.
    pub(crate) fn from_parts(text: String, ends: Vec<usize>) -> StrArray {
        debug_assert!(ends.windows(2).all(|w| w[0] <= w[1]));
        debug_assert!(ends.iter().all(|&e| text.is_char_boundary(e)));
        StrArray { text, ends }
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// String `i`.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end)
    }

    /// Every string, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// Bytes of all strings together.
    pub fn text_bytes(&self) -> usize {
        self.text.len()
    }
}

impl<'s> FromIterator<&'s str> for StrArray {
    fn from_iter<I: IntoIterator<Item = &'s str>>(iter: I) -> Self {
        let mut a = StrArray::default();
        for s in iter {
            a.text.push_str(s);
            a.ends.push(a.text.len());
        }
        a
    }
}

impl Serialize for StrArray {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for v in self.iter() {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

/// A numeric (or boolean) array as a vector of its own element type.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // one variant per GGUF scalar type, named after it
pub enum Numbers {
    U8(Vec<u8>),
    I8(Vec<i8>),
    U16(Vec<u16>),
    I16(Vec<i16>),
    U32(Vec<u32>),
    I32(Vec<i32>),
    F32(Vec<f32>),
    Bool(Vec<bool>),
    U64(Vec<u64>),
    I64(Vec<i64>),
    F64(Vec<f64>),
}

impl Numbers {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Numbers::U8(v) => v.len(),
            Numbers::I8(v) => v.len(),
            Numbers::U16(v) => v.len(),
            Numbers::I16(v) => v.len(),
            Numbers::U32(v) => v.len(),
            Numbers::I32(v) => v.len(),
            Numbers::F32(v) => v.len(),
            Numbers::Bool(v) => v.len(),
            Numbers::U64(v) => v.len(),
            Numbers::I64(v) => v.len(),
            Numbers::F64(v) => v.len(),
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i` as the scalar [`MetaValue`] a per-element parse gives.
    pub fn get(&self, i: usize) -> Option<MetaValue> {
        Some(match self {
            Numbers::U8(v) => MetaValue::UInt(u64::from(*v.get(i)?)),
            Numbers::I8(v) => MetaValue::Int(i64::from(*v.get(i)?)),
            Numbers::U16(v) => MetaValue::UInt(u64::from(*v.get(i)?)),
            Numbers::I16(v) => MetaValue::Int(i64::from(*v.get(i)?)),
            Numbers::U32(v) => MetaValue::UInt(u64::from(*v.get(i)?)),
            Numbers::I32(v) => MetaValue::Int(i64::from(*v.get(i)?)),
            Numbers::F32(v) => MetaValue::Float(f64::from(*v.get(i)?)),
            Numbers::Bool(v) => MetaValue::Bool(*v.get(i)?),
            Numbers::U64(v) => MetaValue::UInt(*v.get(i)?),
            Numbers::I64(v) => MetaValue::Int(*v.get(i)?),
            Numbers::F64(v) => MetaValue::Float(*v.get(i)?),
        })
    }

    /// Every element as a scalar [`MetaValue`].
    pub fn iter(&self) -> impl ExactSizeIterator<Item = MetaValue> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or(MetaValue::Bool(false)))
    }
}

impl Serialize for Numbers {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for v in self.iter() {
            seq.serialize_element(&v)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_arrays_serialize_as_the_per_element_form_does() {
        let s: StrArray = ["a", "", "é✓", "z"].into_iter().collect();
        assert_eq!(s.len(), 4);
        assert_eq!(s.get(1), Some(""));
        assert_eq!(s.get(2), Some("é✓"));
        assert_eq!(s.get(4), None);
        let per: Vec<MetaValue> = s.iter().map(|x| MetaValue::Str(x.into())).collect();
        assert_eq!(
            serde_json::to_string(&MetaValue::Strings(s)).unwrap(),
            serde_json::to_string(&MetaValue::Array(per)).unwrap()
        );
        let n = Numbers::F32(vec![0.5, -1.0]);
        let per: Vec<MetaValue> = n.iter().collect();
        assert_eq!(per, [MetaValue::Float(0.5), MetaValue::Float(-1.0)]);
        assert_eq!(
            serde_json::to_string(&MetaValue::Numbers(n)).unwrap(),
            serde_json::to_string(&MetaValue::Array(per)).unwrap()
        );
        assert_eq!(MetaValue::Numbers(Numbers::Bool(vec![true])).array_len(), Some(1));
    }
}
