//! H27 — large output buffers on ordinary 4 KiB pages (A) or advised onto
//! transparent huge pages before their first write (B).

use crate::context::{Ctx, Scoped};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use loader::alloc::with_huge_pages;
use loader::load::LoadOptions;
use loader::Backend;

const PAGES: Scoped<bool> = Scoped {
    scope: |huge, f| with_huge_pages(huge, f),
    a: ("A 4 KiB pages", false),
    b: ("B huge pages", true),
    expect: Expect::Ratio(0.5),
};

/// H27's cases for this run (`ctx.quick()`: the MiniLM ones).
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    let own = LoadOptions::default();
    b.case(PAGES.dequant(ctx, "minilm-q4_0.gguf", "embeddings.word_embeddings.weight"));
    b.case(PAGES.load(ctx, Backend::Mmap, own, "own dtype", false));
    if !ctx.quick() {
        b.case(PAGES.dequant(ctx, "gemma-3-270m-q4_k_m.gguf", "token_embd.weight"));
        b.case(PAGES.load(ctx, Backend::Reader { buffered: true }, own, "own dtype", false));
        let f16 = LoadOptions {
            target: Some(loader::convert::Target::F16),
            ..LoadOptions::default()
        };
        b.case(PAGES.load(ctx, Backend::Mmap, f16, "to F16", false));
    }
    b
}
