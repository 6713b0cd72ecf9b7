//! Element types of every supported format, with exact byte sizes.

use serde::Serialize;
use std::fmt;

/// A tensor's element type. Plain types have a fixed size per element;
/// GGUF block-quantized types ([`GgmlType`]) have a size per block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// Boolean, one byte.
    Bool,
    /// Unsigned 8-bit.
    U8,
    /// Signed 8-bit.
    I8,
    /// Unsigned 16-bit.
    U16,
    /// Signed 16-bit.
    I16,
    /// Unsigned 32-bit.
    U32,
    /// Signed 32-bit.
    I32,
    /// Unsigned 64-bit.
    U64,
    /// Signed 64-bit.
    I64,
    /// IEEE half.
    F16,
    /// bfloat16.
    BF16,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
    /// FP8 E4M3FN (no infinities, one NaN pattern per sign).
    F8E4M3,
    /// FP8 E5M2 (IEEE-like, with infinities).
    F8E5M2,
    /// FP8 E4M3FNUZ (bias 8, no infinities, no negative zero, NaN 0x80).
    F8E4M3Fnuz,
    /// FP8 E5M2FNUZ (bias 16, no infinities, no negative zero, NaN 0x80).
    F8E5M2Fnuz,
    /// FP8 E8M0 (OCP MX scale: a power of two, NaN 0xFF).
    F8E8M0,
    /// FP4 E2M1 (OCP MX), two elements per byte. Read and inspected;
    /// not converted (the packing order of a safetensors file has no
    /// reference implementation to check against).
    F4,
    /// FP6 E2M3 (OCP MX), four elements per three bytes; not converted.
    F6E2M3,
    /// FP6 E3M2 (OCP MX), four elements per three bytes; not converted.
    F6E3M2,
    /// Complex of two F32.
    C64,
    /// Complex of two F64.
    C128,
    /// A GGUF block-quantized type (also used for GGUF's plain types that have
    /// no [`DType`] twin).
    Ggml(GgmlType),
}

impl DType {
    /// Name as the safetensors format spells it (`F32`, `BF16`, `F8_E4M3`),
    /// or the ggml name for block types (`Q4_K`).
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "BOOL",
            DType::U8 => "U8",
            DType::I8 => "I8",
            DType::U16 => "U16",
            DType::I16 => "I16",
            DType::U32 => "U32",
            DType::I32 => "I32",
            DType::U64 => "U64",
            DType::I64 => "I64",
            DType::F16 => "F16",
            DType::BF16 => "BF16",
            DType::F32 => "F32",
            DType::F64 => "F64",
            DType::F8E4M3 => "F8_E4M3",
            DType::F8E5M2 => "F8_E5M2",
            DType::F8E4M3Fnuz => "F8_E4M3FNUZ",
            DType::F8E5M2Fnuz => "F8_E5M2FNUZ",
            DType::F8E8M0 => "F8_E8M0",
            DType::F4 => "F4",
            DType::F6E2M3 => "F6_E2M3",
            DType::F6E3M2 => "F6_E3M2",
            DType::C64 => "C64",
            DType::C128 => "C128",
            DType::Ggml(t) => t.name(),
        }
    }

    /// Parses the safetensors spelling.
    pub fn from_safetensors(s: &str) -> Option<DType> {
        Some(match s {
            "BOOL" => DType::Bool,
            "U8" => DType::U8,
            "I8" => DType::I8,
            "U16" => DType::U16,
            "I16" => DType::I16,
            "U32" => DType::U32,
            "I32" => DType::I32,
            "U64" => DType::U64,
            "I64" => DType::I64,
            "F16" => DType::F16,
            "BF16" => DType::BF16,
            "F32" => DType::F32,
            "F64" => DType::F64,
            "F8_E4M3" => DType::F8E4M3,
            "F8_E5M2" => DType::F8E5M2,
            "F8_E4M3FNUZ" => DType::F8E4M3Fnuz,
            "F8_E5M2FNUZ" => DType::F8E5M2Fnuz,
            "F8_E8M0" => DType::F8E8M0,
            "F4" => DType::F4,
            "F6_E2M3" => DType::F6E2M3,
            "F6_E3M2" => DType::F6E3M2,
            "C64" => DType::C64,
            _ => return None,
        })
    }

    /// Elements per block and bytes per block. Plain types are blocks of one.
    pub fn block(self) -> (u64, u64) {
        match self {
            DType::Bool
            | DType::U8
            | DType::I8
            | DType::F8E4M3
            | DType::F8E5M2
            | DType::F8E4M3Fnuz
            | DType::F8E5M2Fnuz
            | DType::F8E8M0 => (1, 1),
            // Sub-byte types: a "block" is the fewest elements that fill
            // whole bytes, so a tensor must hold whole bytes (as the
            // safetensors crate requires).
            DType::F4 => (2, 1),
            DType::F6E2M3 | DType::F6E3M2 => (4, 3),
            DType::U16 | DType::I16 | DType::F16 | DType::BF16 => (1, 2),
            DType::U32 | DType::I32 | DType::F32 => (1, 4),
            DType::U64 | DType::I64 | DType::F64 | DType::C64 => (1, 8),
            DType::C128 => (1, 16),
            DType::Ggml(t) => t.block(),
        }
    }

    /// Bytes per element for plain types; `None` for block types.
    pub fn size(self) -> Option<u64> {
        match self.block() {
            (1, s) => Some(s),
            _ => None,
        }
    }

    /// Exact byte length of `n_elements` of this type, or `None` when the
    /// count is not a whole number of blocks or the product overflows.
    pub fn byte_len(self, n_elements: u64) -> Option<u64> {
        let (block, bytes) = self.block();
        if !n_elements.is_multiple_of(block) {
            return None;
        }
        (n_elements / block).checked_mul(bytes)
    }

    /// Is this a floating point type that converts to F32 element-wise?
    pub fn is_float(self) -> bool {
        matches!(
            self,
            DType::F16
                | DType::BF16
                | DType::F32
                | DType::F64
                | DType::F8E4M3
                | DType::F8E5M2
                | DType::F8E4M3Fnuz
                | DType::F8E5M2Fnuz
                | DType::F8E8M0
        )
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for DType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

macro_rules! ggml_types {
    ($( $variant:ident = $id:literal, $name:literal, $block:literal, $bytes:literal; )*) => {
        /// Every tensor type id of ggml (ggml.h `enum ggml_type`), with its
        /// block size in elements and bytes (gguf-py `GGML_QUANT_SIZES`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types)]
        pub enum GgmlType { $( #[doc = concat!("ggml's `", $name, "` (type id ", $id, "; ", $block, " elements in ", $bytes, " bytes).")] $variant ),* }

        impl GgmlType {
            /// Maps the on-disk type id; `None` for ids ggml never assigned or retired (4, 5, 31–33, 36–38) and ids newer than gguf-py 0.19 knows (> 41).
            pub fn from_id(id: u32) -> Option<GgmlType> {
                match id { $( $id => Some(GgmlType::$variant), )* _ => None }
            }
            /// The on-disk type id.
            pub fn id(self) -> u32 { match self { $( GgmlType::$variant => $id ),* } }
            /// The ggml name (`Q4_K`).
            pub fn name(self) -> &'static str { match self { $( GgmlType::$variant => $name ),* } }
            /// (elements per block, bytes per block).
            pub fn block(self) -> (u64, u64) { match self { $( GgmlType::$variant => ($block, $bytes) ),* } }
            /// Every known type.
            pub const ALL: &'static [GgmlType] = &[ $( GgmlType::$variant ),* ];
        }
    };
}

ggml_types! {
    F32 = 0, "F32", 1, 4;
    F16 = 1, "F16", 1, 2;
    Q4_0 = 2, "Q4_0", 32, 18;
    Q4_1 = 3, "Q4_1", 32, 20;
    Q5_0 = 6, "Q5_0", 32, 22;
    Q5_1 = 7, "Q5_1", 32, 24;
    Q8_0 = 8, "Q8_0", 32, 34;
    Q8_1 = 9, "Q8_1", 32, 40;
    Q2_K = 10, "Q2_K", 256, 84;
    Q3_K = 11, "Q3_K", 256, 110;
    Q4_K = 12, "Q4_K", 256, 144;
    Q5_K = 13, "Q5_K", 256, 176;
    Q6_K = 14, "Q6_K", 256, 210;
    Q8_K = 15, "Q8_K", 256, 292;
    IQ2_XXS = 16, "IQ2_XXS", 256, 66;
    IQ2_XS = 17, "IQ2_XS", 256, 74;
    IQ3_XXS = 18, "IQ3_XXS", 256, 98;
    IQ1_S = 19, "IQ1_S", 256, 50;
    IQ4_NL = 20, "IQ4_NL", 32, 18;
    IQ3_S = 21, "IQ3_S", 256, 110;
    IQ2_S = 22, "IQ2_S", 256, 82;
    IQ4_XS = 23, "IQ4_XS", 256, 136;
    I8 = 24, "I8", 1, 1;
    I16 = 25, "I16", 1, 2;
    I32 = 26, "I32", 1, 4;
    I64 = 27, "I64", 1, 8;
    F64 = 28, "F64", 1, 8;
    IQ1_M = 29, "IQ1_M", 256, 56;
    BF16 = 30, "BF16", 1, 2;
    TQ1_0 = 34, "TQ1_0", 256, 54;
    TQ2_0 = 35, "TQ2_0", 256, 66;
    MXFP4 = 39, "MXFP4", 32, 17;
    NVFP4 = 40, "NVFP4", 64, 36;
    Q1_0 = 41, "Q1_0", 128, 18;
}

impl GgmlType {
    /// The plain [`DType`] this GGUF type stores, for the unquantized ones.
    pub fn plain(self) -> Option<DType> {
        Some(match self {
            GgmlType::F32 => DType::F32,
            GgmlType::F16 => DType::F16,
            GgmlType::BF16 => DType::BF16,
            GgmlType::F64 => DType::F64,
            GgmlType::I8 => DType::I8,
            GgmlType::I16 => DType::I16,
            GgmlType::I32 => DType::I32,
            GgmlType::I64 => DType::I64,
            _ => return None,
        })
    }
}

/// Maps a GGUF tensor type to the [`DType`] the inventory reports: plain
/// types become their plain twin, block types stay [`DType::Ggml`].
pub fn dtype_of_ggml(t: GgmlType) -> DType {
    t.plain().unwrap_or(DType::Ggml(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_len_rejects_partial_blocks_and_overflow() {
        assert_eq!(DType::Ggml(GgmlType::Q4_0).byte_len(64), Some(36));
        assert_eq!(DType::Ggml(GgmlType::Q4_0).byte_len(33), None);
        assert_eq!(DType::F32.byte_len(u64::MAX), None);
        assert_eq!(DType::BF16.byte_len(3), Some(6));
    }

    #[test]
    fn ggml_ids_round_trip() {
        for t in GgmlType::ALL {
            assert_eq!(GgmlType::from_id(t.id()), Some(*t));
        }
        assert_eq!(GgmlType::from_id(4), None);
        // The newest of gguf-py 0.19's table.
        assert_eq!((GgmlType::NVFP4.id(), GgmlType::NVFP4.block()), (40, (64, 36)));
        assert_eq!((GgmlType::Q1_0.id(), GgmlType::Q1_0.block()), (41, (128, 18)));
        assert_eq!(GgmlType::from_id(42), None);
        assert_eq!(GgmlType::from_id(31), None);
    }
}
