//! The list of experiments and what building one yields.

use crate::context::{Ctx, Skip};
use harness::ledger::Evidence;
use harness::platform::Allocator;
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
    pub fn case(&mut self, c: Result<Case<'a>, Skip>) {
        match c {
            Ok(c) => self.cases.push(c),
            Err(why) => self.skipped.push(why.to_string()),
        }
    }
}

/// One recorded hypothesis, as the registry lists it.
pub struct Experiment {
    /// `H05`.
    pub id: &'static str,
    /// Its words: `experiments/specs/ID.md`, compiled in (see [`crate::specs`]).
    pub page: &'static str,
    /// Builds its cases for a run.
    pub build: for<'a> fn(&'a Ctx) -> Built<'a>,
    /// Run the headline case's variants under `strace -c` for syscall evidence.
    pub strace: bool,
    /// Its section of `EXPERIMENTS.md` (I/O, hashing, conversion, …).
    pub group: &'static str,
    /// The malloc policy its measuring processes (workers, trials) run
    /// under, set before anything is built. Process-wide, so declared per
    /// experiment; campaigns record a non-default one as evidence.
    pub allocator: Allocator,
}

impl Experiment {
    /// Its declaration, read from its page.
    ///
    /// # Panics
    /// If the page compiled into this binary does not parse; the registry
    /// test parses every page, so a build that passes its tests cannot.
    pub fn spec(&self) -> Spec {
        self.parsed().unwrap_or_else(|e| panic!("{e}")).spec
    }

    /// Its page, parsed.
    pub fn parsed(&self) -> Result<crate::specs::Page, String> {
        crate::specs::parse(self.id, &format!("experiments/specs/{}.md", self.id), self.page)
    }

    /// Puts this process under the experiment's malloc policy: the first
    /// thing a measuring process does, before any case is built.
    pub fn set_allocator(&self) -> Result<(), String> {
        if harness::platform::use_allocator(self.allocator) {
            Ok(())
        } else {
            Err(format!("{}: cannot apply {}", self.id, self.allocator.describe()))
        }
    }
}

macro_rules! registry {
    ($($id:literal => $m:ident, $strace:literal, $group:literal $(, $alloc:ident)?;)*) => {
        /// Every experiment, in catalog order.
        pub static ALL: &[Experiment] = &[
            $( Experiment {
                id: $id,
                page: include_str!(concat!("../specs/", $id, ".md")),
                build: crate::$m::build,
                strace: $strace,
                group: $group,
                allocator: registry!(@alloc $($alloc)?),
            }, )*
        ];
    };
    (@alloc) => { Allocator::Adaptive };
    (@alloc $alloc:ident) => { Allocator::$alloc };
}

registry! {
    "H01" => h01_npz_read, true, "I/O";
    "H02" => h02_fp8_chunked, false, "Conversion";
    "H03" => h03_dequant_output, false, "Conversion";
    "H04" => h04_safetensors_mmap, true, "I/O";
    "H05" => h05_gguf_bufreader, true, "I/O";
    "H06" => h06_pth_inspect, true, "I/O";
    "H07" => h07_sha256_parallel, false, "Hashing";
    "H08" => h08_sha256_throughput, false, "Hashing";
    "H09" => h09_narration, false, "Measurement";
    "H10" => h10_async_io, false, "I/O";
    // A's outputs come from the calling thread, B's from rayon's: see H11's hypothesis.
    "H11" => h11_parallel_load, false, "Loading strategy", FreshBuffers;
    "H12" => h12_streaming_convert, false, "Conversion";
    "H13" => h13_simd_f16, false, "Conversion";
    "H14" => h14_mmap_load, true, "I/O";
    "H15" => h15_lazy_load, false, "Loading strategy";
    "H16" => h16_prequant_cache, false, "Caching";
    "H17" => h17_direct_quantized, false, "Conversion";
    "H18" => h18_progress_callback, false, "Measurement";
    "H19" => h19_mmap_threshold, false, "I/O";
    "H20" => h20_lru_cache, false, "Caching";
    "H21" => h21_regression_tolerance, false, "Measurement";
    "H22" => h22_verify_read_size, false, "Hashing";
    "H23" => h23_packed_vocab, false, "I/O";
    "H25" => h25_dequant_direct, false, "Conversion";
    "H26" => h26_dequant_parallel, false, "Conversion";
    "H27" => h27_huge_pages, false, "Loading strategy";
    "H28" => h28_prefault, false, "Loading strategy";
    "H29" => h29_direct_io, false, "I/O";
    "H30" => h30_reads_in_flight, false, "I/O";
    "H31" => h31_read_advice, false, "I/O";
    "H32" => h32_verified_load, false, "Hashing";
    // The storage's limit: `reports/storage.md` states cold cases as a share of it.
    "H33" => h33_read_limit, false, "Limits";
    "H34" => h34_prefault_outside_huge, false, "Loading strategy";
    "H35" => h35_q6_k_runs, false, "Conversion";
    "H36" => h36_backend_by_storage, false, "I/O";
    "P01" => p01_gguf_inspect, false, "Peers";
    "P02" => p02_inspect_process, false, "Peers";
    "P03" => p03_safetensors_inspect, false, "Peers";
    "P04" => p04_f32_load, false, "Peers";
    "P05" => p05_dequant, false, "Peers";
    "P06" => p06_verify, false, "Peers";
    "P07" => p07_verify_process, false, "Peers";
    "P08" => p08_f16_convert, false, "Peers";
    "P09" => p09_python, false, "Peers";
    "P10" => p10_limits, false, "Peers";
    "P11" => p11_cold_load, false, "Peers";
}

/// The group `lab run` leaves out unless asked for (`--group peers`, `--only P01`).
pub const PEERS: &str = "Peers";

/// The experiment whose cold whole loads the README sets side by side per
/// storage profile: every backend and `Backend::Auto` on each file.
pub const BACKEND_CHOICE: &str = "H36";

/// The `EXPERIMENTS.md` section of an experiment id ("Other" when unknown).
pub fn group_of(id: &str) -> String {
    find(id).map_or("Other", |e| e.group).to_owned()
}

/// The experiment with this id (case-insensitive).
pub fn find(id: &str) -> Option<&'static Experiment> {
    ALL.iter().find(|e| e.id.eq_ignore_ascii_case(id))
}

/// The declaration of a registered experiment (for an experiment's own
/// code that needs its fixtures list or spec).
///
/// # Panics
/// If `id` is not registered: a programming error, caught by every test
/// that builds the experiment.
pub fn spec_of(id: &str) -> Spec {
    find(id).unwrap_or_else(|| panic!("{id} is not registered")).spec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn every_registered_experiment_has_exactly_one_page_and_every_page_an_experiment() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
        let mut pages: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        pages.sort();
        let mut ids: Vec<String> = ALL.iter().map(|e| format!("{}.md", e.id)).collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "an id is registered twice");
        assert_eq!(
            pages, ids,
            "pages in experiments/specs/ and registered experiments differ"
        );
        for e in ALL {
            let on_disk = std::fs::read_to_string(dir.join(format!("{}.md", e.id))).unwrap();
            assert_eq!(on_disk, e.page, "{}: compiled page is stale", e.id);
            let page = e.parsed().unwrap_or_else(|err| panic!("{err}"));
            assert_eq!(page.spec.id, e.id);
        }
    }

    #[test]
    fn the_catalog_on_disk_is_the_generated_one() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../HYPOTHESES.md");
        let on_disk = std::fs::read_to_string(path).unwrap();
        assert!(
            on_disk == crate::catalog::render().unwrap(),
            "HYPOTHESES.md differs from the pages: run `lab report`"
        );
    }

    #[test]
    fn the_readme_results_block_is_the_generated_one() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let campaigns = harness::ledger::load_all(&root.join("reports/ledger")).unwrap();
        let storage = harness::ledger::load_all(&root.join("reports/ledger/storage")).unwrap();
        let block = harness::report::readme_block(&campaigns, &storage, &group_of, Some(BACKEND_CHOICE));
        let spliced = harness::report::readme::splice(&readme, &block).expect("README has the results markers");
        assert!(
            spliced == readme,
            "README.md's results block differs from the ledger: run `lab report`"
        );
    }

    #[test]
    fn no_experiment_source_line_is_over_300_characters() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![src];
        let mut long = Vec::new();
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    for (i, l) in text.lines().enumerate() {
                        if l.chars().count() > 300 {
                            long.push(format!("{}:{}", p.display(), i + 1));
                        }
                    }
                }
            }
        }
        assert!(
            long.is_empty(),
            "lines over 300 characters (words belong in specs/): {long:?}"
        );
    }
}
