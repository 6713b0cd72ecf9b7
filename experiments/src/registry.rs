//! The list of experiments and what building one yields.

use crate::context::Ctx;
use harness::ledger::Evidence;
use harness::{Case, Spec};

/// An experiment's cases for this run, what was skipped and why, and any
/// evidence gathered while building (e.g. a CPU's hashing capability).
#[derive(Default)]
pub struct Built<'a> {
    /// The cases that could be built.
    pub cases: Vec<Case<'a>>,
    /// Why the others could not (a fixture missing, …).
    pub skipped: Vec<String>,
    /// Evidence gathered while building.
    pub evidence: Vec<Evidence>,
}

impl<'a> Built<'a> {
    /// Keeps a built case, or records why it could not be built.
    pub fn case(&mut self, c: Result<Case<'a>, String>) {
        match c {
            Ok(c) => self.cases.push(c),
            Err(why) => self.skipped.push(why),
        }
    }
}

/// One recorded hypothesis, as the registry lists it.
pub struct Experiment {
    /// `H05`.
    pub id: &'static str,
    /// Its declaration.
    pub spec: fn() -> Spec,
    /// Builds its cases for a run.
    pub build: for<'a> fn(&'a Ctx) -> Built<'a>,
    /// Run the headline case's variants under `strace -c` for syscall evidence.
    pub strace: bool,
}

macro_rules! registry {
    ($($id:literal => $m:ident, $strace:literal;)*) => {
        /// Every experiment, in catalog order.
        pub static ALL: &[Experiment] = &[
            $( Experiment { id: $id, spec: crate::$m::spec, build: crate::$m::build, strace: $strace }, )*
        ];
    };
}

registry! {
    "H01" => h01_npz_read, true;
    "H02" => h02_fp8_chunked, false;
    "H03" => h03_dequant_output, false;
    "H04" => h04_safetensors_mmap, true;
    "H05" => h05_gguf_bufreader, true;
    "H06" => h06_pth_inspect, true;
    "H07" => h07_sha256_parallel, false;
    "H08" => h08_sha256_throughput, false;
    "H09" => h09_narration, false;
    "H10" => h10_async_io, false;
    "H11" => h11_parallel_load, false;
    "H12" => h12_streaming_convert, false;
    "H13" => h13_simd_f16, false;
    "H14" => h14_mmap_load, true;
    "H15" => h15_lazy_load, false;
    "H16" => h16_prequant_cache, false;
    "H17" => h17_direct_quantized, false;
    "H18" => h18_progress_callback, false;
    "H19" => h19_mmap_threshold, false;
    "H20" => h20_lru_cache, false;
    "H21" => h21_regression_tolerance, false;
}

/// The experiment with this id (case-insensitive).
pub fn find(id: &str) -> Option<&'static Experiment> {
    ALL.iter().find(|e| e.id.eq_ignore_ascii_case(id))
}
