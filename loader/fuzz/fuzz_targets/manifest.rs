#![no_main]
//! The SHA256SUMS manifest parser and the digest validator.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = loader::verify::parse_manifest(text, "fuzz-SUMS");
        let _ = loader::verify::parse_digest(text);
    }
});
