//! `candle-inspect FILE.gguf`: what `loader inspect` prints, computed with
//! candle-core's GGUF reader — the peer the peers group times as a whole
//! process (P02). Built only with `--features peers`.

use candle_core::quantized::gguf_file::{Content, Value};
use std::io::Write;
use std::process::ExitCode;

fn short(v: &Value) -> String {
    match v {
        Value::Array(a) => format!("[{} items]", a.len()),
        Value::String(s) => format!("{s:?}"),
        other => format!("{other:?}"),
    }
}

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: candle-inspect FILE.gguf");
        return ExitCode::from(2);
    };
    let run = || -> Result<(), Box<dyn std::error::Error>> {
        let mut r = std::io::BufReader::new(std::fs::File::open(&path)?);
        let c = Content::read(&mut r)?;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{}: gguf, {} tensors, {} metadata keys",
            std::path::Path::new(&path).display(),
            c.tensor_infos.len(),
            c.metadata.len()
        )?;
        let mut keys: Vec<_> = c.metadata.iter().collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (k, v) in keys {
            writeln!(out, "  {k} = {}", short(v))?;
        }
        let mut tensors: Vec<_> = c.tensor_infos.iter().collect();
        tensors.sort_by_key(|(_, t)| t.offset);
        for (name, t) in tensors {
            writeln!(out, "{name}  {:?}  {:?}  {}", t.ggml_dtype, t.shape.dims(), t.offset)?;
        }
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
