//! H31 — readahead advice before reading a whole file cold
//! (`POSIX_FADV_SEQUENTIAL`, `POSIX_FADV_WILLNEED`) against none.

use crate::context::{read_plan_case, Ctx};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::CacheMode;
use loader::io::{Advice, ReadPlan};

const MIB: usize = 1 << 20;

/// H31's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    let plain = ReadPlan::buffered(MIB, 1);
    let plans = [
        ("A buffered 1 MiB × 1, no advice", plain),
        ("B sequential advice", plain.advised(Advice::Sequential)),
        ("C willneed advice", plain.advised(Advice::WillNeed)),
    ];
    let files = crate::context::cold_read_files(ctx);
    for name in files {
        b.case(read_plan_case(
            ctx,
            name,
            CacheMode::Cold,
            "1 MiB reads",
            &plans,
            Expect::Ratio(0.9),
        ));
    }
    b
}
