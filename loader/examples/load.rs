//! Loads every tensor of a model file, converted to F32 or F16 (GGUF
//! blocks dequantized), and prints a checksum of each.
//!
//! ```sh
//! cargo run -p loadlab-loader --example load -- model.safetensors f16
//! ```

use loadlab_loader::convert::Target;
use loadlab_loader::load::{load_all, LoadOptions};
use loadlab_loader::{Backend, Limits, Model};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: load FILE [f32|f16|bf16]")?;
    let target =
        Target::parse(&args.next().unwrap_or_else(|| "f32".into())).ok_or("target must be f32, f16 or bf16")?;
    // Positioned reads: a file truncated meanwhile is an error, not a signal.
    let model = Model::open(&path, Backend::READER, &Limits::default())?;
    let opts = LoadOptions {
        target: Some(target),
        ..LoadOptions::default()
    };
    let tensors = load_all(&model, &opts)?;
    let mut bytes = 0;
    for t in &tensors {
        let sum = t
            .data
            .iter()
            .fold(0u64, |a, &b| a.wrapping_mul(31).wrapping_add(u64::from(b)));
        println!(
            "  {:<40} {:<5} {:?} checksum {sum:016x}",
            t.name,
            t.dtype.name(),
            t.shape
        );
        bytes += t.data.len();
    }
    println!("{} tensors, {bytes} bytes as {}", tensors.len(), target.dtype().name());
    Ok(())
}
