//! H34 — fresh output buffers faulted as written (A) or pre-faulted only
//! where they get no huge-page advice (B).

use crate::context::{Ctx, Scoped};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use loader::alloc::{with_prefault_of, Prefault};
use loader::load::LoadOptions;
use loader::Backend;

const OUTSIDE: Scoped<Prefault> = Scoped {
    scope: |which, f| with_prefault_of(which, f),
    a: ("A faulted as written", Prefault::Off),
    b: ("B pre-faulted outside the huge-page range", Prefault::OutsideHugePages),
    expect: Expect::Ratio(0.92),
};

/// H34's cases for this run (`ctx.quick()`: the MiniLM ones).
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    let one = LoadOptions {
        parallel: false,
        ..LoadOptions::default()
    };
    b.case(OUTSIDE.load(ctx, Backend::Mmap, one, "one thread", true));
    // 44.7 MiB of F32: inside the huge-page range, so B leaves it alone.
    let inside = Scoped {
        expect: Expect::NoEffect,
        ..OUTSIDE
    };
    b.case(inside.dequant(ctx, "minilm-q4_0.gguf", "embeddings.word_embeddings.weight"));
    if !ctx.quick() {
        b.case(OUTSIDE.dequant(ctx, "gemma-3-270m-q4_k_m.gguf", "token_embd.weight"));
        b.case(OUTSIDE.load(ctx, Backend::Reader { buffered: true }, one, "one thread", true));
    }
    b
}
