#![no_main]
//! The NPY header parser (the Python-literal dict and the preamble).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = loader::formats::npy::parse_header(data, 1 << 20, 64);
});
