//! Property tests: what loadlab writes, it reads back exactly; and no byte
//! string makes any parser panic.

use loadlab_loader::formats::{gguf, npy};
use loadlab_loader::{DType, GgmlType, Limits};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// `npy::write` (np.save's layout) parses back to the same header, data
    /// 64-byte aligned.
    #[test]
    fn npy_header_round_trips(shape in proptest::collection::vec(0u64..50, 0..5), descr in prop::sample::select(vec!["<f4", "<f2", "<i8", "|u1"])) {
        let n: u64 = shape.iter().product();
        let size = match descr { "<f4" => 4, "<f2" => 2, "<i8" => 8, _ => 1 };
        let data = vec![7u8; (n * size) as usize];
        let mut out = Vec::new();
        npy::write(&mut out, descr, &shape, &data).unwrap();
        let h = npy::parse_header(&out, 1 << 20, 64).unwrap();
        prop_assert_eq!(&h.shape, &shape);
        prop_assert_eq!(h.data_offset % 64, 0);
        prop_assert_eq!(h.dtype.size(), Some(size));
        prop_assert_eq!(&out[h.data_offset as usize..], &data[..]);
    }

    /// GGUF files written by `gguf::write` inspect back to the same tensors.
    #[test]
    fn gguf_writer_round_trips(tensors in proptest::collection::vec((1u64..4, 1u64..5, prop::sample::select(vec![GgmlType::F32, GgmlType::F16, GgmlType::Q8_0, GgmlType::Q4_0])), 0..6)) {
        let owned: Vec<(String, Vec<u64>, GgmlType, Vec<u8>)> = tensors
            .iter()
            .enumerate()
            .map(|(i, &(rows, blocks, ty))| {
                let dims = vec![blocks * ty.block().0, rows];
                let bytes = loadlab_loader::dtype::dtype_of_ggml(ty).byte_len(dims.iter().product()).unwrap();
                (format!("t{i}"), dims, ty, vec![i as u8; bytes as usize])
            })
            .collect();
        let w: Vec<gguf::WriteTensor<'_>> = owned.iter().map(|(n, d, t, b)| gguf::WriteTensor { name: n, dims: d.clone(), ty: *t, data: b }).collect();
        let mut file = Vec::new();
        gguf::write(&mut file, &[("general.name", "prop")], &w).unwrap();
        let m = loadlab_loader::Model::from_bytes(file, "prop.gguf", &Limits::default()).unwrap();
        prop_assert_eq!(m.inventory().tensors.len(), owned.len());
        for (name, dims, ty, bytes) in &owned {
            let t = m.info(name).unwrap();
            prop_assert_eq!(&t.shape, dims);
            prop_assert_eq!(t.dtype, loadlab_loader::dtype::dtype_of_ggml(*ty));
            prop_assert_eq!(&*m.raw_bytes(name).unwrap(), &bytes[..]);
        }
    }

    /// Arbitrary bytes, with or without a valid magic in front, give a
    /// typed error or an inventory — never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(prefix in prop::sample::select(vec![&b""[..], b"GGUF\x03\x00\x00\x00", b"PK\x03\x04", b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", b"\x10\x00\x00\x00\x00\x00\x00\x00{"]), body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut b = prefix.to_vec();
        b.extend_from_slice(&body);
        if let Ok(m) = loadlab_loader::Model::from_bytes(b, "arbitrary", &Limits::default()) {
            for t in &m.inventory().tensors {
                let _ = m.tensor_bytes_of(t);
            }
        }
    }

    /// Byte lengths agree with element counts for every plain type.
    #[test]
    fn byte_len_is_count_times_size(n in 0u64..1_000_000) {
        for dt in [DType::F32, DType::F16, DType::BF16, DType::I64, DType::U8, DType::F8E4M3] {
            prop_assert_eq!(dt.byte_len(n), Some(n * dt.size().unwrap()));
        }
    }
}
