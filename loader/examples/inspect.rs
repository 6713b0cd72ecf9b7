//! Lists a model file's tensors and metadata without reading tensor data.
//!
//! ```sh
//! cargo run -p loadlab-loader --example inspect -- model.gguf
//! ```

use loadlab_loader::{Backend, Limits, Model};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: inspect FILE")?;
    // The mapping touches only the header's pages.
    let model = Model::open(&path, Backend::Mmap, &Limits::default())?;
    let inv = model.inventory();
    println!(
        "{path}: {} v{}, {} tensors, {} metadata keys",
        inv.format.name(),
        inv.version,
        inv.tensors.len(),
        inv.metadata.len()
    );
    for t in &inv.tensors {
        println!("  {:<40} {:<8} {:?}", t.name, t.dtype.name(), t.shape);
    }
    Ok(())
}
