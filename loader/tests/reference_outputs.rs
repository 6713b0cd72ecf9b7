//! Conversions and dequantization equal the reference implementations'
//! outputs: gguf-py for every quantized tensor of every GGUF fixture and for
//! random blocks of every type, ml-dtypes for all 256 codes of both FP8
//! types, numpy/ml-dtypes for F32 → F16/BF16 rounding and all 65 536 F16 and
//! BF16 codes. The references were computed by `fixtures/python/derive.py`
//! and `golden.py`, never typed in.

mod common;

use half::{bf16, f16};
use loadlab_loader::convert::{self, fp8, scalar, Target};
use loadlab_loader::dequant::{self, OutputPattern};
use loadlab_loader::{Backend, DType, GgmlType, Limits, Model};

fn reference() -> Option<Model<'static>> {
    let store = common::store();
    let r = common::ready(&store, "reference outputs", |f| f.name == "reference-outputs.npz");
    r.first()
        .map(|r| Model::open(&r.path, Backend::Mmap, &Limits::default()).unwrap())
}

fn f32s(m: &Model, name: &str) -> Vec<f32> {
    let b = m.tensor_bytes(name).unwrap();
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn u16s(m: &Model, name: &str) -> Vec<u16> {
    let b = m.tensor_bytes(name).unwrap();
    b.chunks_exact(2)
        .map(|c| u16::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// Same bits, or both NaN with the same sign (NaN payloads differ between
/// implementations and carry no value).
fn same_f32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan() && a.is_sign_negative() == b.is_sign_negative())
}

/// Every type's random blocks dequantize to gguf-py's values, in F32 and
/// (through both output patterns) BF16.
fn random_blocks_match(m: &Model, types: &[GgmlType]) {
    for &t in types {
        let blocks = m.tensor_bytes(&format!("{}.blocks", t.name())).unwrap();
        let want = f32s(m, &format!("{}.f32", t.name()));
        let got = dequant::dequantize_f32(t, &blocks).unwrap();
        assert_eq!(got.len(), want.len(), "{}", t.name());
        let bad = got.iter().zip(&want).filter(|(a, b)| !same_f32(**a, **b)).count();
        assert_eq!(
            bad,
            0,
            "{}: {bad} of {} values differ from gguf-py",
            t.name(),
            want.len()
        );
        // Every kernel path, and the parallel runs, give the same bits.
        for path in [dequant::Path::BlockCopy, dequant::Path::Direct] {
            let mut out = vec![0f32; got.len()];
            dequant::dequantize_into_with(t, &blocks, &mut out, path).unwrap();
            assert!(
                out.iter().zip(&got).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{} {path:?}",
                t.name()
            );
        }
        let mut out = vec![0f32; got.len()];
        dequant::dequantize_into_parallel(t, &blocks, &mut out).unwrap();
        assert!(
            out.iter().zip(&got).all(|(a, b)| a.to_bits() == b.to_bits()),
            "{} parallel",
            t.name()
        );
        // Both BF16 output patterns give the BF16 rounding of the F32 result.
        let expect: Vec<u8> = got.iter().flat_map(|&x| bf16::from_f32(x).to_le_bytes()).collect();
        for p in [OutputPattern::Preallocated, OutputPattern::Extend] {
            assert_eq!(
                dequant::dequantize_bf16_with(t, &blocks, p).unwrap(),
                expect,
                "{} {p:?}",
                t.name()
            );
        }
    }
}

#[test]
fn dequantization_of_random_blocks_matches_gguf_py() {
    let Some(m) = reference() else { return };
    random_blocks_match(
        &m,
        &[
            GgmlType::Q4_0,
            GgmlType::Q4_1,
            GgmlType::Q5_0,
            GgmlType::Q5_1,
            GgmlType::Q8_0,
            GgmlType::Q2_K,
            GgmlType::Q3_K,
            GgmlType::Q4_K,
            GgmlType::Q5_K,
            GgmlType::Q6_K,
            GgmlType::BF16,
        ],
    );
}

#[test]
fn ternary_i_quant_and_mxfp4_random_blocks_match_gguf_py() {
    let store = common::store();
    let r = common::ready(&store, "reference outputs (more types)", |f| {
        f.name == "reference-outputs-more.npz"
    });
    let Some(r) = r.first() else { return };
    let m = Model::open(&r.path, Backend::Mmap, &Limits::default()).unwrap();
    random_blocks_match(
        &m,
        &[
            GgmlType::TQ1_0,
            GgmlType::TQ2_0,
            GgmlType::IQ4_NL,
            GgmlType::IQ4_XS,
            GgmlType::MXFP4,
            GgmlType::IQ2_XXS,
            GgmlType::IQ2_XS,
            GgmlType::IQ2_S,
            GgmlType::IQ3_XXS,
            GgmlType::IQ3_S,
            GgmlType::IQ1_S,
            GgmlType::IQ1_M,
            GgmlType::NVFP4,
        ],
    );
}

#[test]
fn types_without_a_dequantizer_are_refused_by_name() {
    for t in [GgmlType::Q1_0, GgmlType::Q8_1, GgmlType::Q8_K] {
        let (_, bytes) = t.block();
        let e = dequant::dequantize_f32(t, &vec![0u8; bytes as usize]).unwrap_err();
        assert!(e.to_string().contains(t.name()), "{e}");
        assert!(!dequant::supports(t));
    }
}

#[test]
fn fp8_codes_match_ml_dtypes() {
    let Some(m) = reference() else { return };
    for (name, f32_table, bf16_table) in [
        ("e4m3fn", &fp8::E4M3FN_F32, &fp8::E4M3FN_BF16),
        ("e5m2", &fp8::E5M2_F32, &fp8::E5M2_BF16),
    ] {
        let want = f32s(&m, &format!("fp8_{name}.f32"));
        for (code, (a, b)) in f32_table.iter().zip(&want).enumerate() {
            assert!(same_f32(*a, *b), "{name} code {code:#04x}: {a} vs ml-dtypes {b}");
        }
        let want = u16s(&m, &format!("fp8_{name}.bf16_bits"));
        for (code, (a, b)) in bf16_table.iter().zip(&want).enumerate() {
            let nan = bf16::from_bits(*a).is_nan() && bf16::from_bits(*b).is_nan();
            assert!(
                a == b || nan,
                "{name} code {code:#04x}: bf16 {a:#06x} vs ml-dtypes {b:#06x}"
            );
        }
    }
    // The per-tensor patterns agree with each other and with the table.
    let codes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let a = fp8::fp8_to_bf16_scaled_with(&codes, fp8::Fp8Kind::E4M3FN, 1.0, fp8::Fp8Pattern::ZeroedZip);
    let b = fp8::fp8_to_bf16_scaled_with(&codes, fp8::Fp8Kind::E4M3FN, 1.0, fp8::Fp8Pattern::ChunkedExtend);
    assert_eq!(a, b);
    let mut c = vec![0u8; codes.len() * 2];
    fp8::e4m3_to_bf16_bytes(&codes, &mut c).unwrap();
    assert_eq!(a, c);
}

#[test]
fn f32_to_f16_and_bf16_rounding_matches_numpy_and_ml_dtypes() {
    let Some(m) = reference() else { return };
    let src = f32s(&m, "convert.f32");
    let want16 = u16s(&m, "convert.f16_bits");
    let want_bf = u16s(&m, "convert.bf16_bits");
    let mut h = vec![f16::ZERO; src.len()];
    convert::f32_to_f16(&src, &mut h).unwrap();
    let mut s = vec![f16::ZERO; src.len()];
    scalar::f32_to_f16(&src, &mut s).unwrap();
    let mut b = vec![bf16::ZERO; src.len()];
    convert::f32_to_bf16(&src, &mut b).unwrap();
    for i in 0..src.len() {
        let nan = src[i].is_nan();
        let ctx = format!("f32 {:#010x}", src[i].to_bits());
        if nan {
            assert!(h[i].is_nan() && s[i].is_nan() && b[i].is_nan(), "{ctx}: NaN stays NaN");
            assert_eq!(h[i].is_sign_negative(), src[i].is_sign_negative(), "{ctx}");
        } else {
            assert_eq!(h[i].to_bits(), want16[i], "{ctx}: f16 (production) vs numpy");
            assert_eq!(s[i].to_bits(), want16[i], "{ctx}: f16 (scalar) vs numpy");
            assert_eq!(b[i].to_bits(), want_bf[i], "{ctx}: bf16 vs ml-dtypes");
        }
    }
}

#[test]
fn all_f16_and_bf16_codes_widen_like_numpy() {
    let Some(m) = reference() else { return };
    let codes: Vec<u16> = (0..=u16::MAX).collect();
    let h: Vec<f16> = codes.iter().map(|&c| f16::from_bits(c)).collect();
    let b: Vec<bf16> = codes.iter().map(|&c| bf16::from_bits(c)).collect();
    let mut out = vec![0f32; codes.len()];
    convert::f16_to_f32(&h, &mut out).unwrap();
    for (i, (a, w)) in out.iter().zip(f32s(&m, "convert.f16_all_to_f32")).enumerate() {
        assert!(same_f32(*a, w), "f16 {i:#06x}");
    }
    convert::bf16_to_f32(&b, &mut out).unwrap();
    for (i, (a, w)) in out.iter().zip(f32s(&m, "convert.bf16_all_to_f32")).enumerate() {
        assert!(same_f32(*a, w), "bf16 {i:#06x}");
    }
}

#[test]
fn every_quantized_tensor_of_every_gguf_fixture_dequantizes_like_gguf_py() {
    let store = common::store();
    let mut checked = 0;
    for r in common::ready(&store, "gguf dequant", |f| f.format == "gguf" && !f.must_be_refused()) {
        let m = Model::open(&r.path, Backend::Mmap, &Limits::default()).unwrap();
        for g in &r.golden.as_ref().unwrap().tensors {
            let Some(want) = &g.dequant_f32_sha256 else { continue };
            let t = m.info(&g.name).unwrap();
            let ty = match t.dtype {
                DType::Ggml(ty) => ty,
                DType::F16 => GgmlType::F16,
                DType::BF16 => GgmlType::BF16,
                other => panic!("{}: unexpected {other}", g.name),
            };
            let bytes = m.tensor_bytes(&g.name).unwrap();
            let f = dequant::dequantize_f32(ty, &bytes).unwrap();
            // The parallel runs (H26) give the same values in the same places.
            let mut p = vec![0f32; f.len()];
            dequant::dequantize_into_parallel(ty, &bytes, &mut p).unwrap();
            for (name, v) in [("sequential", &f), ("parallel", &p)] {
                let raw: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                assert_eq!(
                    &common::sha256_hex(&raw),
                    want,
                    "{} / {} ({}, {name})",
                    r.fixture.name,
                    g.name,
                    ty.name()
                );
            }
            checked += 1;
        }
    }
    eprintln!("gguf dequant: {checked} tensors bit-exact with gguf-py");
    assert!(checked > 0, "no quantized tensor was compared");
}

#[test]
fn f16_and_bf16_safetensors_equal_the_reference_casts_of_the_f32_model() {
    let (Some(src), Some(h), Some(b)) = (
        common::fixture_path("model.safetensors"),
        common::fixture_path("minilm-f16.safetensors"),
        common::fixture_path("minilm-bf16.safetensors"),
    ) else {
        return;
    };
    let l = Limits::default();
    let (src, h, b) = (
        Model::open(&src, Backend::Mmap, &l).unwrap(),
        Model::open(&h, Backend::Mmap, &l).unwrap(),
        Model::open(&b, Backend::Mmap, &l).unwrap(),
    );
    let mut compared = 0;
    for t in src.inventory().tensors.iter().filter(|t| t.dtype == DType::F32) {
        compared += 1;
        let raw = src.tensor_bytes(&t.name).unwrap();
        assert_eq!(
            convert::convert_bytes(&raw, DType::F32, Target::F16).unwrap(),
            &*h.tensor_bytes(&t.name).unwrap(),
            "{}",
            t.name
        );
        assert_eq!(
            convert::convert_bytes(&raw, DType::F32, Target::BF16).unwrap(),
            &*b.tensor_bytes(&t.name).unwrap(),
            "{}",
            t.name
        );
    }
    assert!(compared > 0, "the F32 model has no F32 tensor");
}
