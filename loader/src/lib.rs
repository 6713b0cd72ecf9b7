//! loadlab's production loader: inspect, validate, verify and load tensors
//! from safetensors, GGUF, NPZ and PyTorch `.pth` files.
//!
//! ```no_run
//! use loadlab_loader::{Backend, Limits, Model};
//! let m = Model::open("model.safetensors", Backend::Mmap, &Limits::default())?;
//! for t in &m.inventory().tensors {
//!     let bytes = m.tensor_bytes(&t.name)?; // borrowed from the mapping
//!     println!("{} {} {:?} {} bytes", t.name, t.dtype, t.shape, bytes.len());
//! }
//! # Ok::<(), loadlab_loader::LoadError>(())
//! ```
//!
//! Untrusted input gets a [`LoadError`], never a panic: every length read
//! from a file is checked against [`Limits`] and the bytes remaining before
//! anything is allocated.

/// Declares modules that are public with the `lab` feature (loadlab's
/// experiments compare the production paths against them) and private
/// without it, so they are not part of the crate's stable API.
macro_rules! lab_modules {
    ($($(#[$attr:meta])* mod $name:ident;)*) => {$(
        $(#[$attr])*
        #[cfg(feature = "lab")]
        pub mod $name;
        $(#[$attr])*
        #[cfg(not(feature = "lab"))]
        #[allow(dead_code, unused_imports)]
        mod $name;
    )*};
}

// The public face: what a program that reads model files needs.
pub mod convert;
pub mod dequant;
pub mod dtype;
pub mod error;
pub mod export;
pub mod guard;
pub mod inventory;
pub mod limits;
pub mod load;
pub mod metadata;
pub mod verify;

mod backend;
mod model;
mod sys;

lab_modules! {
    /// Fresh output buffers and their huge-page advice.
    mod alloc;
    /// In-memory caches of loaded models (H16, H20).
    mod cache;
    /// The parsers of each format, their writers and their internals.
    mod formats;
    /// The bounds-checked cursor every parser reads through.
    mod input;
    /// Reading whole files by request size, reads in flight, `O_DIRECT`
    /// and advice (the storage limits and their hypotheses).
    mod io;
    /// Path validation and non-blocking opens.
    mod path;
    /// Quantizers (the reference for the dequantizers' tests).
    mod quant;
}

pub use backend::{Backend, StorageClass};
#[cfg(feature = "lab")]
pub use backend::{PositionedReader, ReadStrategy, READER_BUFFER_BYTES};
pub use dtype::{DType, GgmlType};
pub use error::{LoadError, Result};
pub use export::NpyArray;
pub use inventory::{DataRef, Format, Inventory, Layout, TensorInfo};
pub use limits::Limits;
pub use load::QuantizedTensor;
pub use metadata::{MetaValue, Numbers, StrArray};
pub use model::{inspect_bytes, inspect_path, inspect_reader, Model};
