//! Caches: a pre-quantized file cache keyed by content hash (H16) and an
//! in-memory LRU of loaded models under a byte budget (H20).

pub mod lru;
pub mod prequant;
