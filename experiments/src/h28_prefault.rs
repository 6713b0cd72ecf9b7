//! H28 — fresh output buffers filled page fault by page fault (A) or
//! populated writable in one `madvise(MADV_POPULATE_WRITE)` before their
//! first write (B).

use crate::context::{Ctx, Scoped};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use loader::alloc::with_prefault;
use loader::load::LoadOptions;
use loader::Backend;

const PREFAULT: Scoped<bool> = Scoped {
    scope: |on, f| with_prefault(on, f),
    a: ("A faulted as written", false),
    b: ("B pre-faulted (MADV_POPULATE_WRITE)", true),
    expect: Expect::Ratio(0.8),
};

/// H28's cases for this run (`ctx.quick()`: the MiniLM ones).
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    // One thread: the setting is the calling thread's.
    let one = LoadOptions {
        parallel: false,
        ..LoadOptions::default()
    };
    b.case(PREFAULT.load(ctx, Backend::Mmap, one, "one thread", true));
    b.case(PREFAULT.dequant(ctx, "minilm-q4_0.gguf", "embeddings.word_embeddings.weight"));
    if !ctx.quick() {
        b.case(PREFAULT.dequant(ctx, "gemma-3-270m-q4_k_m.gguf", "token_embd.weight"));
        b.case(PREFAULT.load(ctx, Backend::Reader { buffered: true }, one, "one thread", true));
    }
    b
}
