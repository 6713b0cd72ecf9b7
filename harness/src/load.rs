//! Load awareness: how much of the machine other work took while a case
//! was measured. A verdict measured while another process ate a core is
//! not the verdict of a quiet machine; the runner extends such cases with
//! another process and reports mark them instead of letting them flip.
//!
//! The figure is the CPU time the whole machine spent busy (`/proc/stat`,
//! all CPUs) minus what this process and its children spent (`getrusage`), as a fraction of
//! the CPU time available (wall time × cores), plus the share the
//! hypervisor stole.

use crate::platform::Usage;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Above this share of the machine's CPU time taken by other processes
/// (0.25 = half a core of a 2-core machine), a measurement is "busy".
pub const BUSY_OTHERS: f64 = 0.25;
/// Above this share of CPU time stolen by the hypervisor, "busy".
pub const BUSY_STEAL: f64 = 0.05;

/// Names the processes that serve the storage a campaign reads from (a
/// storage profile's FUSE server, sshd, sshfs), comma-separated pids: their
/// CPU time and their descendants' is the storage's work, part of what is
/// measured, not other work on the machine.
pub const STORAGE_PIDS_VAR: &str = "LOADLAB_STORAGE_PIDS";

/// The machine's load over one measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Load {
    /// Share of all CPUs' time that other processes used (0..=1).
    pub others: f64,
    /// Share of all CPUs' time stolen by the hypervisor (0..=1).
    pub steal: f64,
    /// 1-minute load average at the end.
    pub load_average: f64,
    /// Share of all CPUs' time the storage's own servers used (0..=1; 0 on
    /// the local disk, absent from older records).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub storage: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl Load {
    /// True when other work took enough of the machine to move timings.
    pub fn busy(&self) -> bool {
        self.others > BUSY_OTHERS || self.steal > BUSY_STEAL
    }

    /// The worst of several measurements (each figure's maximum).
    pub fn worst(loads: impl IntoIterator<Item = Load>) -> Option<Load> {
        loads.into_iter().reduce(|a, b| Load {
            others: a.others.max(b.others),
            steal: a.steal.max(b.steal),
            load_average: a.load_average.max(b.load_average),
            storage: a.storage.max(b.storage),
        })
    }

    /// "others 31 % of the CPUs, steal 0 %, load 1.4".
    pub fn describe(&self) -> String {
        format!(
            "others {:.0} % of the CPUs, steal {:.0} %, load {:.1}",
            self.others * 100.0,
            self.steal * 100.0,
            self.load_average
        )
    }
}

/// Aggregate CPU jiffies from `/proc/stat`: (busy, steal, total).
fn machine_jiffies() -> Option<(u64, u64, u64)> {
    let s = std::fs::read_to_string("/proc/stat").ok()?;
    let line = s.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal [guest guest_nice]
    if v.len() < 8 {
        return None;
    }
    let idle = v[3] + v[4];
    let steal = v[7];
    let total: u64 = v[..8].iter().sum();
    Some((total - idle - steal, steal, total))
}

fn clock_ticks() -> f64 {
    100.0 // USER_HZ on every Linux ABI the lab runs on.
}

/// The storage's servers this process was told of ([`STORAGE_PIDS_VAR`]).
fn storage_servers() -> Vec<u32> {
    std::env::var_os(STORAGE_PIDS_VAR).map_or_else(Vec::new, |list| {
        list.to_string_lossy()
            .split(',')
            .filter_map(|p| p.trim().parse().ok())
            .collect()
    })
}

/// CPU seconds used so far by the processes `roots` and every process
/// under them, including children they already reaped; 0 for none.
fn cpu_s_under(roots: &[u32]) -> f64 {
    if roots.is_empty() {
        return 0.0;
    }
    // (pid, parent, CPU seconds of it and of its reaped children).
    let procs: Vec<(u32, u32, f64)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // Fields after the command name, which may hold spaces: state,
            // ppid, … utime (14th field of the line), stime, cutime, cstime.
            let rest: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
            let field = |n: usize| rest.get(n - 3).and_then(|x| x.parse::<u64>().ok());
            let ticks = field(14)? + field(15)? + field(16)? + field(17)?;
            Some((pid, u32::try_from(field(4)?).ok()?, ticks as f64 / clock_ticks()))
        })
        .collect();
    let mut inside: std::collections::HashSet<u32> = roots.iter().copied().collect();
    loop {
        let before = inside.len();
        for (pid, parent, _) in &procs {
            if inside.contains(parent) {
                inside.insert(*pid);
            }
        }
        if inside.len() == before {
            break;
        }
    }
    procs
        .iter()
        .filter(|(pid, _, _)| inside.contains(pid))
        .map(|(_, _, s)| s)
        .sum()
}

/// A running measurement of the machine's load; [`Meter::stop`] gives it.
pub struct Meter {
    start: Instant,
    jiffies: Option<(u64, u64, u64)>,
    usage: Usage,
    children: Usage,
    servers: Vec<u32>,
    storage_s: f64,
    cores: f64,
}

impl Meter {
    /// Starts measuring now.
    pub fn start() -> Meter {
        let servers = storage_servers();
        Meter {
            storage_s: cpu_s_under(&servers),
            servers,
            start: Instant::now(),
            jiffies: machine_jiffies(),
            usage: Usage::now(),
            children: Usage::children(),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()) as f64,
        }
    }

    /// The load since [`Meter::start`]; `None` where `/proc/stat` is not readable.
    pub fn stop(&self) -> Option<Load> {
        let (b0, s0, t0) = self.jiffies?;
        let (b1, s1, t1) = machine_jiffies()?;
        let own = Usage::now().since(&self.usage);
        // Children the variants ran (a Python reference) are not "others".
        let kids = Usage::children().since(&self.children);
        let wall = self.start.elapsed().as_secs_f64().max(1e-3);
        let avail = wall * self.cores;
        let busy = (b1.saturating_sub(b0)) as f64 / clock_ticks();
        // The storage's servers work for this measurement: not "others".
        let storage = (cpu_s_under(&self.servers) - self.storage_s).max(0.0);
        let mine = own.user_s + own.system_s + kids.user_s + kids.system_s;
        let others = ((busy - mine - storage) / avail).clamp(0.0, 1.0);
        let total = t1.saturating_sub(t0).max(1) as f64;
        Some(Load {
            others,
            steal: (s1.saturating_sub(s0)) as f64 / total,
            load_average: crate::env::load_average()[0],
            storage: (storage / avail).clamp(0.0, 1.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meter_reads_the_machine() {
        let m = Meter::start();
        let mut x = 1u64;
        let t = Instant::now();
        while t.elapsed().as_millis() < 30 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        if let Some(l) = m.stop() {
            assert!((0.0..=1.0).contains(&l.others) && (0.0..=1.0).contains(&l.steal));
        }
        let busy = Load {
            others: 0.5,
            steal: 0.0,
            load_average: 2.0,
            storage: 0.0,
        };
        assert!(busy.busy());
        let quiet = Load { others: 0.05, ..busy };
        assert!(!quiet.busy());
        assert_eq!(Load::worst([busy, quiet]).map(|l| l.others), Some(0.5));
    }

    #[test]
    fn a_storage_servers_time_is_its_own() {
        // This process as the storage's server: its CPU time (and its
        // children's) is counted there.
        let me = [std::process::id()];
        let before = cpu_s_under(&me);
        assert!(before > 0.0, "a running process has used some CPU");
        // Spin until the counter has seen 30 ms more of this process's CPU
        // time (its resolution is 10 ms); a counter that does not follow
        // never gets there and the wall-time cap fails the test.
        let mut x = 1u64;
        let t = Instant::now();
        while cpu_s_under(&me) - before < 0.03 {
            for _ in 0..100_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            assert!(t.elapsed().as_secs() < 30, "CPU time under this process did not grow");
        }
        std::hint::black_box(x);
        assert_eq!(cpu_s_under(&[]), 0.0);
        // A pid that names no process counts nothing.
        assert_eq!(cpu_s_under(&[u32::MAX]), 0.0);
    }
}
