//! The safetensors dtypes of safetensors 0.6–0.8 (F4, F6_E2M3, F6_E3M2,
//! F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ, C64) and headers padded with
//! trailing spaces, as the reference crate accepts them: one-byte floats
//! convert to F32 bit-exactly as ml-dtypes does for all 256 codes
//! (`tests/data/float_codes.json`, written by `fixtures/python/float_codes.py`),
//! sub-byte types are read and inspected with whole-byte lengths and their
//! conversion refused by name, and the reference crate agrees on what
//! parses.

use loadlab_loader::convert::Target;
use loadlab_loader::{DType, Limits, Model};

fn file(dtype: &str, shape: &[u64], data: &[u8], pad: usize) -> Vec<u8> {
    let mut h = format!(
        r#"{{"t":{{"dtype":"{dtype}","shape":{shape:?},"data_offsets":[0,{}]}}}}"#,
        data.len()
    )
    .into_bytes();
    h.resize(h.len() + pad, b' ');
    let mut f = (h.len() as u64).to_le_bytes().to_vec();
    f.extend_from_slice(&h);
    f.extend_from_slice(data);
    f
}

fn reference() -> serde_json::Value {
    let text = include_str!("data/float_codes.json");
    serde_json::from_str(text).expect("float_codes.json")
}

#[test]
fn one_byte_floats_convert_to_f32_as_ml_dtypes_does() {
    let r = reference();
    let codes: Vec<u8> = (0..=255).collect();
    for (name, dtype) in [
        ("F8_E4M3", DType::F8E4M3),
        ("F8_E5M2", DType::F8E5M2),
        ("F8_E4M3FNUZ", DType::F8E4M3Fnuz),
        ("F8_E5M2FNUZ", DType::F8E5M2Fnuz),
        ("F8_E8M0", DType::F8E8M0),
    ] {
        let f = file(name, &[256], &codes, 0);
        let m = Model::from_slice(&f, name, &Limits::default()).unwrap();
        assert_eq!(m.inventory().tensors[0].dtype, dtype);
        let got = m.tensor_f32("t").unwrap();
        let want = r["f32_bits"][name].as_array().unwrap();
        for (c, (g, w)) in got.iter().zip(want).enumerate() {
            let w = w.as_u64().unwrap() as u32;
            assert_eq!(g.to_bits(), w, "{name} code {c:#04x}: {g} vs {}", f32::from_bits(w));
        }
        // F16 and BF16 outputs round the same F32 values.
        let h = m.tensor_as("t", Target::F16).unwrap();
        assert_eq!(h.len(), 512);
    }
}

#[test]
fn sub_byte_and_complex_types_are_read_with_whole_byte_lengths() {
    // F4: two per byte; F6: four per three bytes; C64: eight bytes each.
    for (name, n, bytes) in [
        ("F4", 8u64, 4usize),
        ("F6_E2M3", 8, 6),
        ("F6_E3M2", 4, 3),
        ("C64", 3, 24),
    ] {
        let data: Vec<u8> = (0..bytes as u8).collect();
        let f = file(name, &[n], &data, 0);
        let m = Model::from_slice(&f, name, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.inventory().tensors[0].byte_len(), bytes as u64, "{name}");
        assert_eq!(&*m.tensor_bytes("t").unwrap(), &data[..], "{name}");
        // The reference crate reads the same file the same way.
        let st = safetensors::SafeTensors::deserialize(&f).unwrap();
        assert_eq!(st.tensor("t").unwrap().data(), &data[..], "{name}");
        // No conversion without a reference for the packing: refused by name.
        let e = m.tensor_f32("t").unwrap_err();
        assert!(e.to_string().contains(name), "{name}: {e}");
    }
    // A count that does not fill whole bytes is refused, as by the reference crate.
    for (name, n, bytes) in [("F4", 3u64, 2usize), ("F6_E2M3", 2, 2)] {
        let f = file(name, &[n], &vec![0u8; bytes], 0);
        assert!(Model::from_slice(&f, name, &Limits::default()).is_err(), "{name} x {n}");
        assert!(safetensors::SafeTensors::deserialize(&f).is_err(), "{name} x {n}");
    }
}

#[test]
fn headers_padded_with_trailing_spaces_are_accepted_as_by_the_reference() {
    let data = 1f32.to_le_bytes();
    for pad in [0, 1, 7, 64] {
        let f = file("F32", &[1], &data, pad);
        let m = Model::from_slice(&f, "padded", &Limits::default()).unwrap();
        assert_eq!(m.tensor_f32("t").unwrap(), [1.0]);
        assert!(safetensors::SafeTensors::deserialize(&f).is_ok());
    }
}
