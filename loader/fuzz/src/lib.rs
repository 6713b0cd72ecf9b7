//! What every format target does with an input: open it the way a user
//! would, through every backend that works on bytes, and touch every tensor.

use loader::convert::Target;
use loader::{Limits, Model};
use std::io::Cursor;

/// Tensors up to this many bytes are also converted to F32 (dequantized).
const CONVERT_MAX_BYTES: u64 = 64 << 10;

/// Limits small enough that the fuzzer spends its time on structure, not
/// on allocating what a hostile header asks for.
pub fn limits() -> Limits {
    Limits {
        max_parse_bytes: 64 << 20,
        max_member_bytes: 64 << 20,
        ..Limits::default()
    }
}

/// Inspects `data` in memory and through the reader backend (buffered and
/// not): all three must agree. Then reads, canonicalizes and converts
/// every tensor. Any error is fine; a panic, a hang or a disagreement is
/// a finding.
pub fn exercise(data: &[u8]) {
    let limits = limits();
    let in_memory = loader::inspect_bytes(data, "fuzz", &limits);
    for buffered in [true, false] {
        let through_reader = loader::inspect_reader(Cursor::new(data), "fuzz", &limits, buffered);
        match (&in_memory, &through_reader) {
            // Compared as text: a NaN in metadata is equal to itself there.
            (Ok(a), Ok(b)) => assert_eq!(
                format!("{a:?}"),
                format!("{b:?}"),
                "reader (buffered: {buffered}) and memory disagree"
            ),
            (Err(_), Err(_)) => {}
            (a, b) => panic!(
                "reader (buffered: {buffered}) and memory disagree: {:?} vs {:?}",
                a.as_ref().err(),
                b.as_ref().err()
            ),
        }
    }
    let Ok(model) = Model::from_bytes(data.to_vec(), "fuzz", &limits) else {
        return;
    };
    for t in &model.inventory().tensors {
        if let Ok(b) = model.tensor_bytes_of(t) {
            assert_eq!(b.len() as u64, t.byte_len(), "{}: canonical length", t.name);
        }
        if t.data.len() <= CONVERT_MAX_BYTES {
            let _ = model.tensor_as(&t.name, Target::F32);
        }
    }
}
