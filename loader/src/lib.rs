//! loadlab's production loader: inspect, validate, verify and load tensors
//! from safetensors, GGUF, NPZ and PyTorch `.pth` files.
//!
//! ```no_run
//! use loader::{Backend, Limits, Model};
//! let m = Model::open("model.safetensors".as_ref(), Backend::Mmap, &Limits::default())?;
//! for t in &m.inventory().tensors {
//!     let bytes = m.tensor_bytes(&t.name)?; // borrowed from the mapping
//!     println!("{} {} {:?} {} bytes", t.name, t.dtype, t.shape, bytes.len());
//! }
//! # Ok::<(), loader::LoadError>(())
//! ```
//!
//! Untrusted input gets a [`LoadError`], never a panic: every length read
//! from a file is checked against [`Limits`] and the bytes remaining before
//! anything is allocated.

pub mod alloc;
pub mod backend;
pub mod cache;
pub mod convert;
pub mod dequant;
pub mod dtype;
pub mod error;
pub mod export;
pub mod formats;
pub mod guard;
pub mod input;
pub mod inventory;
pub mod limits;
pub mod load;
pub mod metadata;
pub mod model;
pub mod path;
pub mod quant;
pub mod verify;

pub use backend::{Backend, ReadStrategy};
pub use dtype::{DType, GgmlType};
pub use error::{LoadError, Result};
pub use inventory::{DataRef, Format, Inventory, Layout, TensorInfo};
pub use limits::Limits;
pub use metadata::{MetaValue, Numbers, StrArray};
pub use model::{inspect_bytes, inspect_path, inspect_reader, Model};
