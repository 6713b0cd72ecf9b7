//! Guarded mappings: a file truncated while it is mapped reads as zeros
//! past its new end, and the loss is reported as
//! [`crate::LoadError::Truncated`] instead of killing the process.
//!
//! Touching a mapped page past the end of a file that shrank raises
//! `SIGBUS`, which no Rust error can catch. After [`install`], every mapping
//! the loader makes is registered here, and a `SIGBUS` handler that finds
//! the faulting address inside a registered mapping maps a page of zeros
//! over it (`MAP_FIXED`, anonymous, read-only) and counts the fault; the
//! faulting read then completes with zeros. [`crate::Model`] checks the
//! count after it parses and after every load, so the zeros never reach a
//! caller as data. A fault anywhere else is handed to the handler that was
//! installed before (by default, the process dies as it would have).
//!
//! The handler is process-wide, so installing it is the program's choice:
//! the `loader` command line installs it first thing; a library user calls
//! [`install`] once (it is idempotent) or uses the reader backend for files
//! that may change.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Mappings that can be guarded at once; a mapping made when all are taken
/// is unguarded (as if [`install`] had not been called).
const SLOTS: usize = 64;

struct Slot {
    start: AtomicUsize,
    end: AtomicUsize,
    faults: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)] // only to build the array below
const EMPTY: Slot = Slot {
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    faults: AtomicUsize::new(0),
};

static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];
/// Serializes registration (the handler only reads, with atomics).
static TAKEN: Mutex<[bool; SLOTS]> = Mutex::new([false; SLOTS]);
static INSTALLED: AtomicBool = AtomicBool::new(false);
#[cfg(all(any(target_os = "linux", target_os = "macos"), not(feature = "portable")))]
static PAGE: AtomicUsize = AtomicUsize::new(4096);
/// The action in force before ours, for faults that are not ours.
#[cfg(all(any(target_os = "linux", target_os = "macos"), not(feature = "portable")))]
static PREVIOUS: std::sync::OnceLock<Previous> = std::sync::OnceLock::new();

#[cfg(all(any(target_os = "linux", target_os = "macos"), not(feature = "portable")))]
struct Previous(libc::sigaction);
// SAFETY: a plain C struct of a handler address, flags and a signal mask,
// written once before the handler is installed and only read afterwards.
#[allow(unsafe_code)]
#[cfg(all(any(target_os = "linux", target_os = "macos"), not(feature = "portable")))]
unsafe impl Sync for Previous {}
#[allow(unsafe_code)]
#[cfg(all(any(target_os = "linux", target_os = "macos"), not(feature = "portable")))]
// SAFETY: as above.
unsafe impl Send for Previous {}

/// Installs the `SIGBUS` handler that guards the loader's mappings.
///
/// ```
/// // First thing in main, before any model is mapped:
/// let guarded = loadlab_loader::guard::install();
/// assert_eq!(guarded, loadlab_loader::guard::installed());
/// ```
/// Safe to
/// call more than once and from several threads. Returns false where it
/// is not available (not Linux or macOS, the `portable` feature, or
/// `sigaction` failed): mappings are then unguarded, as documented on
/// [`crate::Backend::Mmap`]. (On Windows a mapped file cannot be
/// truncated, so there is nothing to guard.)
pub fn install() -> bool {
    #[cfg(all(any(target_os = "linux", target_os = "macos"), not(feature = "portable")))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(install_handler);
    }
    INSTALLED.load(Ordering::Acquire)
}

/// True once [`install`] succeeded.
pub fn installed() -> bool {
    INSTALLED.load(Ordering::Acquire)
}

#[cfg(all(any(target_os = "linux", target_os = "macos"), not(feature = "portable")))]
#[allow(unsafe_code)] // sigaction and sysconf; see the SAFETY comments
fn install_handler() {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if page > 0 {
        PAGE.store(page as usize, Ordering::Relaxed);
    }
    // SAFETY: a zeroed sigaction is a valid value to fill in; the handler
    // has the three-argument signature SA_SIGINFO promises, and `old` is a
    // valid place for the kernel to write the previous action.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = on_sigbus as *const () as usize;
        act.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK;
        libc::sigemptyset(&mut act.sa_mask);
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGBUS, &act, &mut old) == 0 {
            let _ = PREVIOUS.set(Previous(old));
            INSTALLED.store(true, Ordering::Release);
        }
    }
}

/// The `SIGBUS` handler. Async-signal-safe: atomics, `mmap`, `sigaction`
/// and `raise` only.
#[cfg(all(any(target_os = "linux", target_os = "macos"), not(feature = "portable")))]
#[allow(unsafe_code)] // a signal handler; see the SAFETY comments
extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t for an SA_SIGINFO handler.
    let (addr, code) = unsafe { ((*info).si_addr() as usize, (*info).si_code) };
    if code > 0 {
        let page = PAGE.load(Ordering::Relaxed);
        for slot in &TABLE {
            let (start, end) = (slot.start.load(Ordering::Acquire), slot.end.load(Ordering::Acquire));
            if start <= addr && addr < end {
                let at = addr & !(page - 1);
                // SAFETY: `at` is a page inside a live mapping this crate
                // made read-only from a file (registration ends before the
                // mapping is unmapped); replacing that page with anonymous
                // zeros changes only what reads of it return, and the fault
                // count makes the owner report it as an error.
                let r = unsafe {
                    libc::mmap(
                        at as *mut libc::c_void,
                        page,
                        libc::PROT_READ,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                        -1,
                        0,
                    )
                };
                if r != libc::MAP_FAILED {
                    slot.faults.fetch_add(1, Ordering::AcqRel);
                    return;
                }
            }
        }
    }
    // Not ours: put the previous action back and let the signal happen
    // again under it (a fault repeats when this handler returns; a signal
    // sent by kill is raised again).
    if let Some(Previous(old)) = PREVIOUS.get() {
        // SAFETY: `old` is the action sigaction returned at install.
        unsafe { libc::sigaction(sig, old, std::ptr::null_mut()) };
    }
    if code <= 0 {
        // SAFETY: raise has no preconditions.
        unsafe { libc::raise(sig) };
    }
}

/// A mapping's registration: while it lives, faults in its range are
/// answered with zeros and counted. Drop it before unmapping.
#[derive(Debug)]
pub(crate) struct Registration {
    slot: usize,
}

impl Registration {
    /// Registers `[start, start + len)`, when the handler is installed and a
    /// slot is free.
    pub(crate) fn new(start: *const u8, len: usize) -> Option<Registration> {
        if !installed() || len == 0 {
            return None;
        }
        let mut taken = TAKEN.lock().unwrap_or_else(|p| p.into_inner());
        let slot = taken.iter().position(|t| !t)?;
        taken[slot] = true;
        let s = &TABLE[slot];
        s.faults.store(0, Ordering::Release);
        // An empty range first, so the handler never sees a half-written one.
        s.end.store(0, Ordering::Release);
        s.start.store(start as usize, Ordering::Release);
        s.end.store(start as usize + len, Ordering::Release);
        Some(Registration { slot })
    }

    /// Pages of the mapping that faulted past the file's end so far.
    pub(crate) fn faults(&self) -> usize {
        TABLE[self.slot].faults.load(Ordering::Acquire)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let s = &TABLE[self.slot];
        s.end.store(0, Ordering::Release);
        s.start.store(0, Ordering::Release);
        let mut taken = TAKEN.lock().unwrap_or_else(|p| p.into_inner());
        taken[self.slot] = false;
    }
}
