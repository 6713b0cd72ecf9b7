//! The `loader` command line as a user meets it: output into a pipe that
//! its reader already closed (`loader verify … | head`) ends the command
//! quietly, without a panic.

use sha2::{Digest, Sha256};
use std::process::Command;

#[test]
fn verify_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sums = String::new();
    for i in 0..64 {
        let name = format!("f{i:02}.bin");
        let body = vec![i as u8; 1000 + i];
        std::fs::write(dir.path().join(&name), &body).expect("write file");
        let hex: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
        sums.push_str(&format!("{hex}  {name}\n"));
    }
    let manifest = dir.path().join("SHA256SUMS");
    std::fs::write(&manifest, sums).expect("write manifest");
    let (reader, writer) = std::io::pipe().expect("pipe");
    // Closed before the command starts, so its first line meets a closed pipe.
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_loader"))
        .arg("verify")
        .arg(dir.path())
        .arg("--manifest")
        .arg(&manifest)
        .stdout(writer)
        .output()
        .expect("run loader");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "loader panicked: {stderr}");
    assert!(out.status.success(), "loader ended with {:?}: {stderr}", out.status);
}
