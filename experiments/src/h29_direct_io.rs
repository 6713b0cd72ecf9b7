//! H29 — reading a whole file cold around the page cache (`O_DIRECT` into
//! an aligned buffer) against through it.

use crate::context::{read_plan_case, Ctx};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::CacheMode;
use loader::io::ReadPlan;

const MIB: usize = 1 << 20;

/// H29's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    let plans = [
        ("A buffered 4 MiB × 1", ReadPlan::buffered(4 * MIB, 1)),
        ("B direct 4 MiB × 1", ReadPlan::direct(4 * MIB, 1)),
    ];
    let files = crate::context::cold_read_files(ctx);
    for name in files {
        b.case(read_plan_case(
            ctx,
            name,
            CacheMode::Cold,
            "one request at a time",
            &plans,
            Expect::Ratio(0.8),
        ));
    }
    if !ctx.quick() {
        // The price of going around the cache when the file is already in it.
        b.case(read_plan_case(
            ctx,
            "gemma-3-270m-q4_k_m.gguf",
            CacheMode::Warm,
            "one request at a time",
            &plans,
            Expect::Unclaimed,
        ));
    }
    b
}
