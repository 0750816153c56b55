//! signalfd: signals read from a descriptor instead of run in a handler.
//!
//! rustix does not wrap signalfd (its documentation lists it as not implemented), so this file
//! calls libc. Each `unsafe` block is one call, with the reason it is sound beside it.
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

use rustix::io::Errno;

/// The signal numbers that `crate::signal` names.
pub(crate) mod numbers {
    pub(crate) const SIGHUP: i32 = libc::SIGHUP;
    pub(crate) const SIGINT: i32 = libc::SIGINT;
    pub(crate) const SIGQUIT: i32 = libc::SIGQUIT;
    pub(crate) const SIGKILL: i32 = libc::SIGKILL;
    pub(crate) const SIGTERM: i32 = libc::SIGTERM;
    pub(crate) const SIGCHLD: i32 = libc::SIGCHLD;
    pub(crate) const SIGUSR1: i32 = libc::SIGUSR1;
    pub(crate) const SIGUSR2: i32 = libc::SIGUSR2;
    pub(crate) const SIGALRM: i32 = libc::SIGALRM;
    pub(crate) const SIGPIPE: i32 = libc::SIGPIPE;
    pub(crate) const SIGWINCH: i32 = libc::SIGWINCH;
}

/// A set of signal numbers, as the kernel takes it.
#[derive(Clone, Copy)]
pub(crate) struct SigSet(libc::sigset_t);

impl SigSet {
    /// The set of `signals`; `EINVAL` for a number that is not a signal.
    pub(crate) fn new(signals: &[i32]) -> io::Result<SigSet> {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initializes the set it is given, which is valid for writes.
        if unsafe { libc::sigemptyset(set.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: initialized by sigemptyset above.
        let mut set = unsafe { set.assume_init() };
        for &signal in signals {
            // SAFETY: `set` is an initialized sigset_t; a bad number is refused with EINVAL.
            if unsafe { libc::sigaddset(&mut set, signal) } != 0 {
                return Err(Errno::INVAL.into());
            }
        }
        Ok(SigSet(set))
    }

    /// Whether `signal` is in the set.
    pub(crate) fn contains(&self, signal: i32) -> bool {
        // SAFETY: `self.0` is an initialized sigset_t; sigismember only reads it.
        unsafe { libc::sigismember(&self.0, signal) == 1 }
    }
}

/// Adds `set` to the calling thread's signal mask.
pub(crate) fn block(set: &SigSet) -> io::Result<()> {
    thread_mask(libc::SIG_BLOCK, set)
}

/// Removes `set` from the calling thread's signal mask.
pub(crate) fn unblock(set: &SigSet) -> io::Result<()> {
    thread_mask(libc::SIG_UNBLOCK, set)
}

/// Makes the children `command` starts unblock `set` before they run their program: their mask
/// is inherited from the thread that spawns them, and a blocked `SIGTERM` would make them
/// deaf to it. The parent's mask is not touched.
pub(crate) fn unblock_in_child(command: &mut Command, set: SigSet) -> &mut Command {
    let unblock = move || {
        // SAFETY: `set` is an initialized sigset_t owned by the closure; sigprocmask is
        // async-signal-safe, which is all a child between fork and exec may call, and with a
        // null old-set pointer it writes nothing.
        if unsafe { libc::sigprocmask(libc::SIG_UNBLOCK, &set.0, std::ptr::null_mut()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    };
    // SAFETY: the closure runs in the child after fork, where only async-signal-safe calls are
    // allowed: it makes one (sigprocmask), allocates nothing and takes no lock.
    unsafe { command.pre_exec(unblock) }
}

/// Whether a record's `si_code` says a process sent the signal (`kill`, `sigqueue`, `tgkill`),
/// so that its `si_pid` is the sender.
pub(crate) fn sent_by_a_process(code: i32) -> bool {
    matches!(code, libc::SI_USER | libc::SI_QUEUE | libc::SI_TKILL)
}

/// Changes the calling thread's signal mask: `SIG_BLOCK` adds `set`, `SIG_UNBLOCK` removes it.
fn thread_mask(how: libc::c_int, set: &SigSet) -> io::Result<()> {
    // SAFETY: `set` is an initialized sigset_t; a null old-set pointer asks for nothing back.
    match unsafe { libc::pthread_sigmask(how, &set.0, std::ptr::null_mut()) } {
        0 => Ok(()),
        errno => Err(io::Error::from_raw_os_error(errno)),
    }
}

/// The signals blocked in the calling thread.
pub(crate) fn blocked() -> io::Result<SigSet> {
    let mut old = SigSet::new(&[])?;
    // SAFETY: a null new-set pointer changes nothing; `old.0` is valid for writes.
    match unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut old.0) } {
        0 => Ok(old),
        errno => Err(io::Error::from_raw_os_error(errno)),
    }
}

/// `signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK)`.
pub(crate) fn create(set: &SigSet) -> io::Result<OwnedFd> {
    // SAFETY: `set` is an initialized sigset_t; -1 asks for a new descriptor.
    let fd = unsafe { libc::signalfd(-1, &set.0, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: signalfd returned a new descriptor, which nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// One signal as the kernel reports it.
pub(crate) struct RawSignal {
    pub(crate) signal: u32,
    pub(crate) code: i32,
    pub(crate) pid: u32,
    pub(crate) uid: u32,
    pub(crate) value: i32,
}

/// The size of one `struct signalfd_siginfo`, the record a read returns per signal.
const RECORD: usize = 128;

/// Reads one pending signal without blocking; `None` when none is pending.
///
/// The record is decoded from its bytes at the offsets the kernel's ABI fixes
/// (`<linux/signalfd.h>`), which needs no `unsafe`.
pub(crate) fn read(fd: BorrowedFd<'_>) -> io::Result<Option<RawSignal>> {
    let mut record = [0u8; RECORD];
    loop {
        match rustix::io::read(fd, &mut record[..]) {
            Ok(RECORD) => break,
            Ok(_) => return Err(Errno::IO.into()), // a short record: never from a signalfd
            Err(Errno::AGAIN) => return Ok(None),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let field = |offset: usize| {
        let bytes: [u8; 4] = record[offset..offset + 4].try_into().expect("4 bytes");
        u32::from_ne_bytes(bytes)
    };
    Ok(Some(RawSignal {
        signal: field(0),        // ssi_signo
        code: field(8) as i32,   // ssi_code
        pid: field(12),          // ssi_pid
        uid: field(16),          // ssi_uid
        value: field(44) as i32, // ssi_int
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_record_layout_is_the_kernels() {
        assert_eq!(std::mem::size_of::<libc::signalfd_siginfo>(), super::RECORD);
        let mut info: libc::signalfd_siginfo = unsafe_zeroed();
        info.ssi_signo = 1;
        info.ssi_code = 2;
        info.ssi_pid = 3;
        info.ssi_uid = 4;
        info.ssi_int = 5;
        let base = std::ptr::addr_of!(info) as usize;
        assert_eq!(std::ptr::addr_of!(info.ssi_signo) as usize - base, 0);
        assert_eq!(std::ptr::addr_of!(info.ssi_code) as usize - base, 8);
        assert_eq!(std::ptr::addr_of!(info.ssi_pid) as usize - base, 12);
        assert_eq!(std::ptr::addr_of!(info.ssi_uid) as usize - base, 16);
        assert_eq!(std::ptr::addr_of!(info.ssi_int) as usize - base, 44);
    }

    fn unsafe_zeroed() -> libc::signalfd_siginfo {
        // SAFETY: signalfd_siginfo is plain integers, for which all-zero bytes are valid.
        unsafe { std::mem::zeroed() }
    }
}
