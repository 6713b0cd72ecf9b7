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

/// A safetensors file with a header of about `mib` MiB of metadata, so
/// parsing it through a mapping takes long enough to be cut under.
fn big_header_model(path: &std::path::Path, mib: usize) {
    let mut meta = String::from("{\"__metadata__\":{");
    let value = "v".repeat(1000);
    for i in 0..mib * 1024 {
        if i > 0 {
            meta.push(',');
        }
        meta.push_str(&format!("\"k{i}\":\"{value}\""));
    }
    meta.push_str("},\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}");
    let mut f = (meta.len() as u64).to_le_bytes().to_vec();
    f.extend_from_slice(meta.as_bytes());
    f.extend_from_slice(&[0u8; 16]);
    std::fs::write(path, f).expect("write model");
}

/// `loader inspect --backend mmap` of a file truncated while it parses:
/// whenever the cut lands, the command ends with an exit code (0 if it
/// finished first, 2 with a "truncated" error otherwise), never killed by
/// SIGBUS.
#[test]
fn inspect_of_a_file_truncated_under_its_mapping_is_never_killed_by_a_signal() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("big.safetensors");
    let mut cut_mid_parse = 0;
    for delay_ms in [0u64, 5, 20, 40, 80, 150] {
        big_header_model(&p, 48);
        let child = Command::new(env!("CARGO_BIN_EXE_loader"))
            .args(["inspect", "--backend", "mmap"])
            .arg(&p)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run loader");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .expect("open for truncation")
            .set_len(4096)
            .expect("truncate");
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.signal(),
            None,
            "killed by a signal after {delay_ms} ms: {stderr}"
        );
        if !out.status.success() {
            assert_eq!(out.status.code(), Some(2), "{stderr}");
            assert!(stderr.contains("truncated"), "{stderr}");
            cut_mid_parse += 1;
        }
    }
    eprintln!("{cut_mid_parse} of 6 cuts landed before the parse ended");
}

#[test]
fn export_refuses_its_own_input_under_any_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("m.safetensors");
    big_header_model(&p, 0);
    let before = std::fs::read(&p).expect("read");
    let hard = dir.path().join("hard");
    std::fs::hard_link(&p, &hard).expect("hard link");
    let soft = dir.path().join("soft");
    std::os::unix::fs::symlink(&p, &soft).expect("symlink");
    for out in [&p, &hard, &soft] {
        let r = Command::new(env!("CARGO_BIN_EXE_loader"))
            .args(["export", "--tensor", "w", "--force", "--out"])
            .arg(out)
            .arg(&p)
            .output()
            .expect("run loader");
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{}: {stderr}", out.display());
        assert!(stderr.contains("itself"), "{stderr}");
    }
    assert_eq!(std::fs::read(&p).expect("read"), before);
}

/// A digest that does not match exits 1 in both modes (as `sha256sum -c`
/// does), a match 0, and a usage error 2; sizes print in binary units.
#[test]
fn a_mismatch_exits_1_in_both_modes_and_a_usage_error_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = vec![7u8; 3 << 20];
    let file = dir.path().join("w.bin");
    std::fs::write(&file, &body).expect("write file");
    let good: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
    let bad = "0".repeat(64);
    let loader = |args: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_loader"))
            .args(args)
            .output()
            .expect("run loader")
    };
    let verify = |hex: &str| loader(&["verify".as_ref(), file.as_os_str(), "--sha256".as_ref(), hex.as_ref()]);
    let ok = verify(&good);
    assert_eq!(ok.status.code(), Some(0));
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(text.contains("3.0 MiB") && text.contains("/s"), "{text}");
    let miss = verify(&bad);
    assert_eq!(miss.status.code(), Some(1), "{}", String::from_utf8_lossy(&miss.stderr));
    assert!(String::from_utf8_lossy(&miss.stdout).starts_with("FAIL "));
    let manifest = dir.path().join("SHA256SUMS");
    for (hex, code) in [(&good, 0), (&bad, 1)] {
        std::fs::write(&manifest, format!("{hex}  w.bin\n")).expect("write manifest");
        let out = loader(&[
            "verify".as_ref(),
            dir.path().as_os_str(),
            "--manifest".as_ref(),
            manifest.as_os_str(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("1 file,"),
            "one file, singular"
        );
    }
    let usage = loader(&["verify".as_ref(), file.as_os_str()]);
    assert_eq!(usage.status.code(), Some(2));
}
