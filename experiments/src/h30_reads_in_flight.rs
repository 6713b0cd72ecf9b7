//! H30 — reading a whole file cold with several requests in flight
//! against one at a time, through the page cache and around it.

use crate::context::{read_plan_case, Ctx};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::CacheMode;
use loader::io::ReadPlan;

const MIB: usize = 1 << 20;

/// H30's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    let buffered = [
        ("A buffered 4 MiB × 1", ReadPlan::buffered(4 * MIB, 1)),
        ("B buffered 4 MiB × 4", ReadPlan::buffered(4 * MIB, 4)),
        ("C buffered 4 MiB × 16", ReadPlan::buffered(4 * MIB, 16)),
    ];
    let direct = [
        ("A direct 4 MiB × 1", ReadPlan::direct(4 * MIB, 1)),
        ("B direct 4 MiB × 4", ReadPlan::direct(4 * MIB, 4)),
        ("C direct 4 MiB × 16", ReadPlan::direct(4 * MIB, 16)),
    ];
    let files = crate::context::cold_read_files(ctx);
    for name in files {
        b.case(read_plan_case(
            ctx,
            name,
            CacheMode::Cold,
            "through the cache",
            &buffered,
            Expect::Ratio(0.7),
        ));
        b.case(read_plan_case(
            ctx,
            name,
            CacheMode::Cold,
            "around the cache",
            &direct,
            Expect::Ratio(0.7),
        ));
    }
    b
}
