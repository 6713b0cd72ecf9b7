//! `loader`: inspect, verify and export tensors from the command line.

use clap::{Parser, Subcommand, ValueEnum};
use loader::{Backend, Limits, Model};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "loader",
    version,
    about = "Inspect, verify and export tensors of safetensors, GGUF, NPZ and PyTorch files"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    /// Chosen by where the file lies and its size (`Backend::auto_for`).
    Auto,
    Mmap,
    Reader,
    ReaderUnbuffered,
    WholeRead,
}

impl From<BackendArg> for Backend {
    fn from(b: BackendArg) -> Backend {
        match b {
            BackendArg::Auto => Backend::Auto,
            BackendArg::Mmap => Backend::Mmap,
            BackendArg::Reader => Backend::Reader { buffered: true },
            BackendArg::ReaderUnbuffered => Backend::Reader { buffered: false },
            BackendArg::WholeRead => Backend::WholeRead,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// List a file's tensors (name, dtype, shape, byte range) and metadata.
    Inspect {
        file: PathBuf,
        /// Print the inventory as JSON.
        #[arg(long)]
        json: bool,
        /// Also print every metadata value (long for tokenizers).
        #[arg(long)]
        metadata: bool,
        #[arg(long, value_enum, default_value = "mmap")]
        backend: BackendArg,
    },
    /// Write one tensor as a standard .npy, converted or dequantized to the chosen dtype.
    Export {
        file: PathBuf,
        #[arg(long)]
        tensor: String,
        #[arg(long, default_value = "f32", value_parser = ["f32", "f16", "bf16"])]
        dtype: String,
        #[arg(long)]
        out: PathBuf,
        /// Replace OUT if it already is a regular file.
        #[arg(long)]
        force: bool,
    },
    /// Check a file against a digest, or a directory against a SHA256SUMS manifest.
    Verify {
        path: PathBuf,
        #[arg(long, conflicts_with = "manifest")]
        sha256: Option<String>,
        #[arg(long)]
        manifest: Option<PathBuf>,
    },
}

/// A digest that did not match (one file, or any file of a manifest).
const EXIT_MISMATCH: u8 = 1;
/// Anything else: a usage error, a file that cannot be read or parsed.
const EXIT_ERROR: u8 = 2;

/// Bytes in binary units, as the lab's reports print them ("87.5 MiB").
fn binary(b: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let (mut v, mut i) = (b, 0);
    while v >= 1024.0 && i < units.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

/// A throughput in binary units per second.
fn rate(bytes_per_s: f64) -> String {
    if bytes_per_s.is_finite() {
        format!("{}/s", binary(bytes_per_s))
    } else {
        "too fast to time".into()
    }
}

/// "1 tensor", "2 tensors".
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn main() -> ExitCode {
    // A file truncated while it is mapped is an error, not a SIGBUS.
    loader::guard::install();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // `loader inspect … | head` closes the pipe early: not an error.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let limits = Limits::default();
    match cli.cmd {
        Cmd::Inspect {
            file,
            json,
            metadata,
            backend,
        } => {
            let m = Model::open(&file, backend.into(), &limits)?;
            let inv = m.inventory();
            let mut out = std::io::stdout().lock();
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(inv)?)?;
                return Ok(ExitCode::SUCCESS);
            }
            writeln!(
                out,
                "{}: {} v{}, {} ({} header), {}, {}",
                file.display(),
                inv.format.name(),
                inv.version,
                binary(inv.file_bytes as f64),
                binary(inv.header_bytes as f64),
                plural(inv.tensors.len(), "tensor", "tensors"),
                plural(inv.metadata.len(), "metadata key", "metadata keys")
            )?;
            for (k, v) in &inv.metadata {
                let text = serde_json::to_string(v)?;
                if metadata || text.len() <= 80 {
                    writeln!(out, "  {k} = {text}")?;
                } else if let Some(n) = v.array_len() {
                    writeln!(out, "  {k} = [{n} items]")?;
                } else {
                    writeln!(
                        out,
                        "  {k} = {}…",
                        &text[..text.char_indices().nth(77).map_or(text.len(), |(i, _)| i)]
                    )?;
                }
            }
            let w = inv.tensors.iter().map(|t| t.name.len()).max().unwrap_or(4).max(4);
            writeln!(
                out,
                "{:w$}  {:8}  {:20}  {:>12}  {:>12}",
                "name", "dtype", "shape", "offset", "bytes"
            )?;
            for t in &inv.tensors {
                let off = match t.data {
                    loader::DataRef::Range { offset, .. } => offset.to_string(),
                    loader::DataRef::Deflated { .. } => "deflated".into(),
                };
                writeln!(
                    out,
                    "{:w$}  {:8}  {:20}  {:>12}  {:>12}",
                    t.name,
                    t.dtype.name(),
                    format!("{:?}", t.shape),
                    off,
                    t.data.len()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Export {
            file,
            tensor,
            dtype,
            out,
            force,
        } => {
            let to = loader::convert::Target::parse(&dtype).ok_or("dtype must be f32, f16 or bf16")?;
            // Before a byte of the model is read: never onto the input.
            if loader::export::is_same_file(&file, &out) {
                return Err(format!(
                    "--out {} is the input file {} itself; refusing to overwrite it",
                    out.display(),
                    file.display()
                )
                .into());
            }
            // Positioned reads, not a mapping: a file truncated while it is
            // exported gives an error, not SIGBUS (see `Backend::Mmap`).
            let m = Model::open(&file, Backend::READER, &limits)?;
            loader::export::export_npy_file(&m, &tensor, to, &out, force)?;
            writeln!(std::io::stdout(), "wrote {} ({tensor} as {dtype})", out.display())?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Verify { path, sha256, manifest } => match (sha256, manifest) {
            (Some(hex), None) => {
                let t = std::time::Instant::now();
                let bytes = std::fs::metadata(&path)
                    .map_err(|e| loader::LoadError::io(path.display().to_string(), e))?
                    .len();
                let bar = progress_bar(bytes);
                let r = loader::verify::verify_sha256_with_progress(&path, &hex, &|n| bar.inc(n));
                bar.finish_and_clear();
                // A digest that does not match is the answer, not a usage
                // error: exit 1, as `sha256sum -c` and manifest mode do.
                if let Err(e @ loader::LoadError::HashMismatch { .. }) = &r {
                    writeln!(std::io::stdout(), "FAIL {e}")?;
                    return Ok(ExitCode::from(EXIT_MISMATCH));
                }
                r?;
                let s = t.elapsed().as_secs_f64();
                writeln!(
                    std::io::stdout(),
                    "OK {} ({}, {})",
                    path.display(),
                    binary(bytes as f64),
                    rate(bytes as f64 / s)
                )?;
                Ok(ExitCode::SUCCESS)
            }
            (None, Some(man)) => {
                let entries = loader::verify::read_manifest(&man)?;
                let t = std::time::Instant::now();
                let total_bytes: u64 = entries
                    .iter()
                    .filter_map(|e| std::fs::metadata(path.join(&e.file)).ok())
                    .map(|m| m.len())
                    .sum();
                let bar = progress_bar(total_bytes);
                let verdicts =
                    loader::verify::verify_manifest_with_progress(&path, &entries, limits.max_file_bytes, &|n| {
                        bar.inc(n)
                    });
                bar.finish_and_clear();
                let mut bad = 0;
                let mut total = 0;
                let mut out = std::io::stdout().lock();
                for v in &verdicts {
                    total += v.bytes;
                    match &v.result {
                        Ok(()) => writeln!(out, "OK   {}", v.file.display())?,
                        Err(e) => {
                            bad += 1;
                            writeln!(out, "FAIL {e}")?;
                        }
                    }
                }
                let s = t.elapsed().as_secs_f64();
                writeln!(
                    out,
                    "{}, {} failed, {}, {}",
                    plural(verdicts.len(), "file", "files"),
                    bad,
                    binary(total as f64),
                    rate(total as f64 / s)
                )?;
                Ok(if bad == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(EXIT_MISMATCH)
                })
            }
            _ => Err("give either --sha256 HEX or --manifest SHA256SUMS".into()),
        },
    }
}

/// Bytes from which a verify shows its progress on a terminal.
const PROGRESS_FROM_BYTES: u64 = 256 << 20;

/// A progress bar on standard error for a verify of `total` bytes: drawn
/// on a terminal for large inputs, hidden otherwise (logs, pipes, small files).
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if total < PROGRESS_FROM_BYTES || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "verifying {bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}
