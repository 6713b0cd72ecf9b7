#![no_main]
//! The zip reader: central directory, zip64 records, local headers, and
//! prefixes of every member (stored and deflated).
use loader::formats::zip;
use loader::input::Input;
use std::io::Cursor;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = loader_fuzz::limits();
    let mut input = Input::new(Cursor::new(data), data.len() as u64, "fuzz.zip");
    let Ok(entries) = zip::read_directory(&mut input, &limits) else {
        return;
    };
    for e in entries.iter().take(64) {
        if let Ok(start) = zip::data_offset(&mut input, e) {
            let _ = zip::read_prefix(&mut input, e, start, 4096);
        }
    }
});
