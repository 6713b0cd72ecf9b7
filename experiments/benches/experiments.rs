//! The experiments' variants under criterion: one bench group per case
//! (`H05/<case>`), its variants as the group's functions, built by the same
//! `build` functions the `lab` campaign runs (no duplicated code). After
//! each group the B/A ratios of its variants are printed (median time per
//! iteration of each variant over A's), since the ratio is what the lab is
//! about; criterion's HTML report is in `target/criterion/report/`.
//!
//! `cargo bench -p experiments` runs them all (quick cases);
//! `cargo bench -p experiments -- H05` builds and runs only H05 (an
//! experiment id as the filter selects before anything is built).

// criterion's macros define public items that cannot carry docs.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use experiments::{registry::ALL, Ctx};
use std::cell::RefCell;
use std::time::{Duration, Instant};

/// The experiment id a `cargo bench -- FILTER` selects, if the filter names one.
fn selected_experiment() -> Option<String> {
    std::env::args().skip(1).find_map(|a| {
        let id = a.get(..3)?;
        (id.starts_with(['H', 'h']) && id[1..].chars().all(|c| c.is_ascii_digit())).then(|| id.to_uppercase())
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn benches(c: &mut Criterion) {
    let Ok(store) = fixtures::Store::open_default() else {
        eprintln!("fixtures/manifest.toml not found");
        return;
    };
    let ctx = Ctx::new(store, harness::protocol::Tier::Quick);
    let only = selected_experiment();
    // The peers group runs only when named (it spawns other programs).
    let wanted = |e: &&experiments::Experiment| match only.as_deref() {
        Some(o) => o == e.id,
        None => e.group != experiments::registry::PEERS,
    };
    for exp in ALL.iter().filter(wanted) {
        let built = (exp.build)(&ctx);
        for s in &built.skipped {
            eprintln!("{}: skipped {s}", exp.id);
        }
        for mut case in built.cases {
            let mut g = c.benchmark_group(format!("{}/{}", exp.id, case.label));
            g.sample_size(10)
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(2));
            // Seconds per iteration of each variant, every sample.
            let per_iter: Vec<RefCell<Vec<f64>>> = case.variants.iter().map(|_| RefCell::new(Vec::new())).collect();
            let mut before = case.before_each.take();
            for (v, times) in case.variants.iter_mut().zip(&per_iter) {
                g.bench_function(v.name.clone(), |b| {
                    b.iter_custom(|iters| {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            if let Some(f) = before.as_mut() {
                                f();
                            }
                            let t = Instant::now();
                            let out = (v.run)().expect("variant runs");
                            total += t.elapsed();
                            drop(out);
                        }
                        times.borrow_mut().push(total.as_secs_f64() / iters.max(1) as f64);
                        total
                    })
                });
            }
            g.finish();
            let medians: Vec<f64> = per_iter.iter().map(|t| median(&mut t.borrow_mut())).collect();
            if let Some(&a) = medians.first() {
                for (v, m) in case.variants.iter().zip(&medians).skip(1) {
                    println!(
                        "ratio {}/{}: {} / {} = {:.3}",
                        exp.id,
                        case.label,
                        v.name,
                        case.variants[0].name,
                        m / a
                    );
                }
            }
        }
    }
}

criterion_group!(all, benches);
criterion_main!(all);
