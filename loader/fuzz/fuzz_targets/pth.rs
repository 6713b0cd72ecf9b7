#![no_main]
//! Whole-file target: inspect through every in-memory and reader path, then
//! read and convert every tensor. Seeded from the real pth fixtures.
libfuzzer_sys::fuzz_target!(|data: &[u8]| loader_fuzz::exercise(data));
