//! One module per recorded hypothesis (catalog: `../shared/HYPOTHESES.md`).
#![forbid(unsafe_code)]
