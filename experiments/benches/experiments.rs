//! The experiments' variants under criterion: one bench group per
//! experiment, each case's variants as its benchmarks, built by the same
//! `build` functions the `lab` campaign runs (no duplicated code).
//!
//! `cargo bench -p experiments` runs them all (quick cases);
//! `cargo bench -p experiments -- H05` runs one group.

// criterion's macros define public items that cannot carry docs.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use experiments::{registry::ALL, Ctx};
use std::time::Duration;

fn benches(c: &mut Criterion) {
    let Ok(store) = fixtures::Store::open_default() else {
        eprintln!("fixtures/manifest.toml not found");
        return;
    };
    let ctx = Ctx::new(store, true);
    for exp in ALL {
        let built = (exp.build)(&ctx);
        for s in &built.skipped {
            eprintln!("{}: skipped {s}", exp.id);
        }
        let mut g = c.benchmark_group(exp.id);
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2));
        for mut case in built.cases {
            let label = case.label.clone();
            for v in case.variants.iter_mut() {
                let id = format!("{label} / {}", v.name);
                let mut before = case.before_each.take();
                g.bench_function(id, |b| {
                    b.iter_batched(
                        || {
                            if let Some(f) = before.as_mut() {
                                f();
                            }
                        },
                        |()| (v.run)().expect("variant runs"),
                        BatchSize::PerIteration,
                    )
                });
                case.before_each = before;
            }
        }
        g.finish();
    }
}

criterion_group!(all, benches);
criterion_main!(all);
