//! One module per recorded hypothesis (catalog: `HYPOTHESES.md` at the root),
//! each declaring, in this order: the claim and its source, the fixtures,
//! the variants (calling loader code), the metric, and the explanation of
//! the result. `lab run` runs them through the harness; `cargo bench`
//! runs the same variants under criterion.
#![forbid(unsafe_code)]

pub mod catalog;
pub mod cli;
pub mod commands;
pub mod context;
pub mod gate;
pub mod registry;
pub mod specs;
pub mod workspace;

pub mod h01_npz_read;
pub mod h02_fp8_chunked;
pub mod h03_dequant_output;
pub mod h04_safetensors_mmap;
pub mod h05_gguf_bufreader;
pub mod h06_pth_inspect;
pub mod h07_sha256_parallel;
pub mod h08_sha256_throughput;
pub mod h09_narration;
pub mod h10_async_io;
pub mod h11_parallel_load;
pub mod h12_streaming_convert;
pub mod h13_simd_f16;
pub mod h14_mmap_load;
pub mod h15_lazy_load;
pub mod h16_prequant_cache;
pub mod h17_direct_quantized;
pub mod h18_progress_callback;
pub mod h19_mmap_threshold;
pub mod h20_lru_cache;
pub mod h21_regression_tolerance;
pub mod h22_verify_read_size;
pub mod h23_packed_vocab;
pub mod h25_dequant_direct;
pub mod h26_dequant_parallel;
pub mod h27_huge_pages;
pub mod h28_prefault;
pub mod h29_direct_io;
pub mod h30_reads_in_flight;
pub mod h31_read_advice;
pub mod h32_verified_load;
pub mod h33_read_limit;
pub mod h34_prefault_outside_huge;
pub mod h35_q6_k_runs;
pub mod h36_backend_by_storage;

pub mod peers;
pub use peers::{
    p01_gguf_inspect, p02_inspect_process, p03_safetensors_inspect, p04_f32_load, p05_dequant, p06_verify,
    p07_verify_process, p08_f16_convert, p09_python, p10_limits, p11_cold_load,
};

pub use context::Ctx;
pub use registry::{Built, Experiment, ALL};
