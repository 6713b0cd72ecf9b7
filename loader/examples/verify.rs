//! Checks a file against a SHA-256 digest, or a folder against a
//! `SHA256SUMS` manifest (`sha256sum` format), hashing files in parallel.
//!
//! ```sh
//! cargo run -p loadlab-loader --example verify -- model.gguf 53aa51…
//! cargo run -p loadlab-loader --example verify -- model_dir SHA256SUMS
//! ```

use loadlab_loader::verify;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (path, check) = match (args.next(), args.next()) {
        (Some(p), Some(c)) => (p, c),
        _ => return Err("usage: verify FILE SHA256 | verify DIR MANIFEST".into()),
    };
    let path = Path::new(&path);
    if path.is_dir() {
        let entries = verify::read_manifest(Path::new(&check))?;
        let mut failed = 0;
        for v in verify::verify_manifest(path, &entries, u64::MAX) {
            match v.result {
                Ok(()) => println!("OK   {} ({} bytes)", v.file.display(), v.bytes),
                Err(e) => {
                    failed += 1;
                    println!("FAIL {e}");
                }
            }
        }
        if failed > 0 {
            std::process::exit(1);
        }
    } else {
        verify::verify_sha256(path, &check)?;
        println!("OK   {}", path.display());
    }
    Ok(())
}
