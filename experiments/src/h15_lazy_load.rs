//! H15 — lazy per-tensor loading against eager: time to the first usable tensor.

use crate::context::{digest, Ctx, Skip};
use crate::registry::Built;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::convert::Target;
use loader::load::lazy::LazyModel;
use loader::load::{load_all, LoadOptions};
use loader::{Backend, Limits, Model};

fn case(ctx: &Ctx, name: &str, first: &'static str, target: Target) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let l = Limits::default();
    let (p1, p2, l2) = (path.clone(), path, l.clone());
    Ok(Case::new(
        format!("{name}: open → {first} as {target:?}"),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .variant("A eager", move || {
        let m = Model::open(&p1, Backend::Mmap, &l)?;
        let all = load_all(
            &m,
            &LoadOptions {
                target: Some(target),
                parallel: false,
                progress: None,
                ordinary_pages: false,
            },
        )?;
        let i = all.iter().position(|t| t.name == first).ok_or("first tensor missing")?;
        // The model and every tensor are dropped after the clock, with the digest.
        Ok(Outcome::output(move || {
            let d = digest(&all[i].data);
            drop(m);
            d
        }))
    })
    .variant("B lazy", move || {
        let lazy = LazyModel::new(Model::open(&p2, Backend::Mmap, &l2)?, Some(target));
        lazy.get(first)?;
        let loaded = lazy.loaded() as u64;
        // The tensor is cached: the second `get` hands it over, after the clock.
        Ok(
            Outcome::output(move || lazy.get(first).map_or(0, |t| digest(&t.data)))
                .with("tensors materialized", loaded),
        )
    }))
}

/// H15's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(
        ctx,
        "model.safetensors",
        "encoder.layer.0.attention.self.query.weight",
        Target::F16,
    ));
    b.case(case(
        ctx,
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "blk.0.attn_q.weight",
        Target::BF16,
    ));
    b
}
