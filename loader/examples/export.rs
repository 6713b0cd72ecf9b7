//! Writes one tensor as a standard `.npy` (what `np.save` writes),
//! converted or dequantized to F32, F16 or BF16.
//!
//! ```sh
//! cargo run -p loadlab-loader --example export -- model.gguf token_embd.weight emb.npy f16
//! ```

use loadlab_loader::convert::Target;
use loadlab_loader::export::export_npy_file;
use loadlab_loader::{Backend, Limits, Model};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, tensor, out, rest @ ..] = args.as_slice() else {
        return Err("usage: export FILE TENSOR OUT.npy [f32|f16|bf16]".into());
    };
    let to = Target::parse(rest.first().map_or("f32", String::as_str)).ok_or("dtype must be f32, f16 or bf16")?;
    let model = Model::open(file, Backend::READER, &Limits::default())?;
    // Refuses to replace OUT (pass `true` to allow it) or the input itself.
    export_npy_file(&model, tensor, to, Path::new(out), false)?;
    println!("wrote {out} ({tensor} as {})", to.dtype().name());
    Ok(())
}
