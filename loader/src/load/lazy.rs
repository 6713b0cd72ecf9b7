//! Lazy loading: a handle whose tensors materialize on first access, once,
//! thread-safely; nothing is read until a tensor is asked for. The ledger's
//! H15 measured the time to the first usable tensor at a
//! small fraction of an eager load's.

use super::{load_tensor, LoadedTensor};
use crate::convert::Target;
use crate::error::Result;
use crate::model::Model;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A model whose tensors are read on first use and kept (H15).
pub struct LazyModel {
    model: Model<'static>,
    target: Option<Target>,
    index: HashMap<String, usize>,
    cells: Vec<OnceLock<LoadedTensor>>,
}

impl LazyModel {
    /// Wraps an open model; costs one map of the tensor names.
    pub fn new(model: Model<'static>, target: Option<Target>) -> LazyModel {
        let tensors = &model.inventory().tensors;
        let index = tensors.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
        let cells = tensors.iter().map(|_| OnceLock::new()).collect();
        LazyModel {
            model,
            target,
            index,
            cells,
        }
    }

    /// The open model.
    pub fn model(&self) -> &Model<'static> {
        &self.model
    }

    /// The tensor, loading it on first use. Concurrent first uses load it
    /// once; the others wait for that result.
    pub fn get(&self, name: &str) -> Result<&LoadedTensor> {
        let &i = self.index.get(name).ok_or_else(|| crate::LoadError::TensorNotFound {
            file: self.model.name().to_owned(),
            name: name.to_owned(),
        })?;
        if let Some(t) = self.cells[i].get() {
            return Ok(t);
        }
        let loaded = load_tensor(&self.model, name, self.target)?;
        Ok(self.cells[i].get_or_init(|| loaded))
    }

    /// How many tensors have been materialized.
    pub fn loaded(&self) -> usize {
        self.cells.iter().filter(|c| c.get().is_some()).count()
    }
}
