//! H33 — the storage's limit for reading a file: every way on
//! `ReadPlan::grid` (through the page cache and around it, 1/4/8 MiB
//! requests, 1/4/16 in flight) and a mapping touched page by page, cold,
//! in the same rounds. The fastest is that file's limit on that storage in
//! that campaign; `reports/storage.md` states other cold cases of the same
//! file as a share of it. On remote storage (FUSE, network filesystems)
//! every plan reads the whole file at the network's speed, so a full run
//! tries the grid's corners there, as the quick tier does, and MiniLM only.

use crate::context::{digest, read_plan_case_at, Ctx, Skip};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Outcome};
use loader::io::ReadPlan;

const MIB: usize = 1 << 20;

/// The plans a case tries, named with their letters: the whole grid, or
/// (`corners`: the quick tier, remote storage) its corners. The naive read (buffered 1 MiB, one at a
/// time) is first: it is A, what every other way is compared with.
pub fn plans(corners: bool) -> Vec<(String, ReadPlan)> {
    let grid: Vec<ReadPlan> = if corners {
        vec![
            ReadPlan::buffered(MIB, 1),
            ReadPlan::buffered(8 * MIB, 16),
            ReadPlan::direct(MIB, 1),
            ReadPlan::direct(8 * MIB, 16),
        ]
    } else {
        let mut g = ReadPlan::grid();
        g.sort_by_key(|p| (p.direct, p.request, p.in_flight));
        g
    };
    grid.into_iter()
        .enumerate()
        .map(|(i, p)| (format!("{} {}", letter(i), p.name()), p))
        .collect()
}

/// A, B, …, Z, then AA, AB, … for variant names.
fn letter(i: usize) -> String {
    let abc = |k: usize| char::from(b'A' + (k % 26) as u8);
    if i < 26 {
        abc(i).to_string()
    } else {
        format!("{}{}", abc(i / 26 - 1), abc(i))
    }
}

/// Whether the file lies on remote storage (see the module's doc).
fn remote(path: &std::path::Path) -> bool {
    std::fs::File::open(path).is_ok_and(|f| loader::StorageClass::of(&f) == loader::StorageClass::Remote)
}

fn case(ctx: &Ctx, name: &str) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let remote = remote(&path);
    if !ctx.quick() && name != "model.safetensors" && remote {
        return Err(Skip::from(format!(
            "{name}: on remote storage the limit is measured on model.safetensors only"
        )));
    }
    let corners = ctx.quick() || remote;
    limit_case(&path, name, corners)
}

/// The limit case of the file at `path` (`name` in its label): every plan
/// the storage takes (only the grid's corners with `corners`), and the
/// mapping touched page by page, cold.
pub fn limit_case(path: &std::path::Path, name: &str, corners: bool) -> Result<Case<'static>, Skip> {
    let named = plans(corners);
    let mut plans: Vec<(&str, ReadPlan)> = named.iter().map(|(n, p)| (n.as_str(), *p)).collect();
    if !loader::io::direct_supported(path) {
        // Storage that refuses O_DIRECT (tmpfs) has a limit too: through the cache.
        plans.retain(|(_, p)| !p.direct);
    }
    let c = read_plan_case_at(
        path,
        name,
        CacheMode::Cold,
        "every way to read it",
        &plans,
        Expect::Unclaimed,
    )?;
    let first = plans.first().map(|(n, _)| n.to_string()).unwrap_or_default();
    // Lettered after every plan, so its name is the same on every storage.
    let mapped = format!("{} mmap, one byte per page", letter(named.len()));
    let p = path.to_path_buf();
    Ok(c.variant(mapped.clone(), move || {
        // Map the file and fault every page in, one byte each.
        let bytes = loader::io::map_touched(&p)?;
        Ok(Outcome::output(move || digest(&bytes)))
    })
    .compare(&first, &mapped, Expect::Unclaimed))
}

/// H33's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "model.safetensors"));
    if !ctx.quick() {
        b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf"));
        b.case(case(ctx, "minilm.npz"));
    }
    b
}
