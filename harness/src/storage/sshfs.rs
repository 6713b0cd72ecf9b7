//! The `sshfs` profile: a real network filesystem on one machine. A
//! private `sshd` listens on a loopback port with a throw-away host key
//! and a throw-away client key, serves a folder of links to the view's
//! files over SFTP, and `sshfs` mounts it read-only. Every read crosses
//! the SFTP protocol, encryption and a TCP connection, as on a remote
//! volume; only the wire is short. Both are torn down when dropped.

use super::view::View;
use crate::error::{HarnessError, Result};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's `openssh-server` puts the daemon.
const SSHD: &str = "/usr/sbin/sshd";

/// The programs this profile needs, with the Debian packages that have them.
pub const NEEDS: [(&str, &str); 3] = [
    (SSHD, "openssh-server"),
    ("sshfs", "sshfs"),
    ("ssh-keygen", "openssh-client"),
];

/// A mounted sshfs view with its server.
#[derive(Debug)]
pub struct Mounted {
    /// Where the view's files appear.
    pub root: PathBuf,
    /// The loopback port the server listens on.
    pub port: u16,
    sshd: Option<Child>,
    /// The client, run in the foreground so its pid is known.
    client: Option<Child>,
    dir: tempfile::TempDir,
}

/// What is missing for this profile, as "program (package)"; empty when
/// everything is there.
pub fn missing() -> Vec<String> {
    NEEDS
        .iter()
        .filter(|(program, _)| !on_path(program))
        .map(|(program, package)| format!("{program} (Debian package {package})"))
        .collect()
}

fn on_path(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| HarnessError::Other(format!("sshfs storage: {what}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(HarnessError::Other(format!(
            "sshfs storage: {what}: {} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// A port on 127.0.0.1 nobody listens on now.
fn free_port() -> Result<u16> {
    let l = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .map_err(|e| HarnessError::Other(format!("sshfs storage: no free loopback port: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| HarnessError::Other(format!("sshfs storage: {e}")))
}

/// The user the client logs in as: the one running the lab.
fn user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "root".to_owned())
}

/// Starts the server and mounts `view` read-only; everything lives in a
/// fresh temporary folder.
pub fn mount(view: &View) -> Result<Mounted> {
    let lacking = missing();
    if !lacking.is_empty() {
        return Err(HarnessError::Other(format!(
            "sshfs storage needs {}",
            lacking.join(", ")
        )));
    }
    let dir = tempfile::Builder::new()
        .prefix("loadlab-storage-sshfs-")
        .tempdir()
        .map_err(|e| HarnessError::Other(format!("sshfs storage: temporary folder: {e}")))?;
    let d = dir.path().to_path_buf();
    let served = d.join("served");
    let root = d.join("mnt");
    for p in [&served, &root] {
        std::fs::create_dir(p).map_err(|e| HarnessError::io(p, e))?;
    }
    view.link_into(&served)?;
    for key in ["host", "client"] {
        run(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", "loadlab", "-f"])
                .arg(d.join(key)),
            "ssh-keygen",
        )?;
    }
    let public = d.join("client.pub");
    std::fs::copy(&public, d.join("authorized_keys")).map_err(|e| HarnessError::io(&public, e))?;
    // sshd refuses to start without its privilege-separation folder.
    let _ = std::fs::create_dir_all("/run/sshd");
    let port = free_port()?;
    let config = d.join("sshd_config");
    let text = format!(
        "Port {port}\n\
         ListenAddress 127.0.0.1\n\
         HostKey {host}\n\
         PidFile {pid}\n\
         AuthorizedKeysFile {keys}\n\
         StrictModes no\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         UsePAM no\n\
         PermitRootLogin prohibit-password\n\
         Subsystem sftp internal-sftp\n\
         LogLevel ERROR\n",
        host = d.join("host").display(),
        pid = d.join("sshd.pid").display(),
        keys = d.join("authorized_keys").display(),
    );
    std::fs::write(&config, text).map_err(|e| HarnessError::io(&config, e))?;
    let sshd = Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| HarnessError::Other(format!("sshfs storage: starting {SSHD}: {e}")))?;
    let mut m = Mounted {
        root,
        port,
        sshd: Some(sshd),
        client: None,
        dir,
    };
    m.wait_for_server(Duration::from_secs(10))?;
    let remote = format!("{}@127.0.0.1:{}", user(), served.display());
    let options = format!(
        "ro,follow_symlinks,IdentityFile={},StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,BatchMode=yes,LogLevel=ERROR",
        d.join("client").display()
    );
    let log = d.join("sshfs.log");
    let log_file = std::fs::File::create(&log).map_err(|e| HarnessError::io(&log, e))?;
    let client = Command::new("sshfs")
        .arg(&remote)
        .arg(&m.root)
        .args(["-f", "-p", &port.to_string(), "-o", &options])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .map_err(|e| HarnessError::Other(format!("sshfs storage: starting sshfs: {e}")))?;
    m.client = Some(client);
    m.wait_for_mount(Duration::from_secs(15), &log)?;
    Ok(m)
}

impl Mounted {
    fn wait_for_server(&mut self, patience: Duration) -> Result<()> {
        let start = Instant::now();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        while start.elapsed() < patience {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.sshd.as_mut().map(Child::try_wait) {
                return Err(HarnessError::Other(format!(
                    "sshfs storage: {SSHD} exited at start ({status}); run it with -d -f {} to see why",
                    self.dir.path().join("sshd_config").display()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(HarnessError::Other(format!(
            "sshfs storage: {SSHD} did not listen on port {} within {patience:?}",
            self.port
        )))
    }
}

impl Mounted {
    /// The processes serving the mount: sshd (and the session it forks)
    /// and the sshfs client.
    pub fn servers(&self) -> Vec<u32> {
        [&self.sshd, &self.client]
            .into_iter()
            .flatten()
            .map(Child::id)
            .collect()
    }

    fn wait_for_mount(&mut self, patience: Duration, log: &Path) -> Result<()> {
        let start = Instant::now();
        while start.elapsed() < patience {
            if super::mounts::all()
                .iter()
                .any(|m| Path::new(&m.mount_point) == self.root)
            {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.client.as_mut().map(Child::try_wait) {
                let said = std::fs::read_to_string(log).unwrap_or_default();
                return Err(HarnessError::Other(format!(
                    "sshfs storage: sshfs exited ({status}): {}",
                    said.trim()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(HarnessError::Other(format!(
            "sshfs storage: {} was not mounted within {patience:?}",
            self.root.display()
        )))
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if self.client.is_some() {
            super::unmount(&self.root);
        }
        for mut child in [self.client.take(), self.sshd.take()].into_iter().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
