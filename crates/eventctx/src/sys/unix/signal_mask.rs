//! Signal sets and the calling thread's signal mask: POSIX, the same on every Unix. Each
//! `unsafe` block is one libc call, with the reason it is sound beside it.
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;
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

pub(crate) use crate::sys::RawSignal;

/// A set of signal numbers, as the kernel takes it.
#[derive(Clone, Copy)]
pub(crate) struct SigSet(pub(crate) libc::sigset_t);

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
