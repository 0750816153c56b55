//! `Signals` on kqueue: a kqueue of its own with one `EVFILT_SIGNAL` per signal.
//!
//! kqueue records every attempt to deliver a signal, blocked or not (kqueue(2): "even if the
//! signal has been marked as SIG_IGN"); the signals stay blocked, as on Linux, so that none
//! runs its default action. A blocked signal also stays *pending*, and would be delivered the
//! moment it is unblocked, so each one read here is taken from the pending set too
//! (`sigtimedwait` with a zero timeout, or `sigwait` where there is no `sigtimedwait`, after
//! `sigpending` says it is there): as on Linux, where reading a signalfd dequeues the signal.
//!
//! kqueue reports the signal's number and how many times it came since the last read, not
//! who sent it: `code`, `pid`, `uid` and `value` are 0, and `SignalInfo::sender` is `None`.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::kevent::{self, consts};
pub(crate) use crate::sys::unix::signal_mask::{
    RawSignal, SigSet, block, blocked, numbers, unblock, unblock_in_child,
};

/// A kqueue watching the signals of one set.
#[derive(Debug)]
pub(crate) struct Signals {
    kq: OwnedFd,
}

impl Signals {
    /// A kqueue with an `EVFILT_SIGNAL` for each signal in `set` (which the caller blocks).
    pub(crate) fn new(set: &SigSet) -> io::Result<Signals> {
        let kq = kevent::new_kqueue()?;
        for signal in (1..=64).filter(|&s| set.contains(s)) {
            let change = kevent::kevent(
                signal as usize,
                consts::EVFILT_SIGNAL,
                consts::EV_ADD,
                0,
                0,
                0,
            );
            kevent::apply_one(kq.as_fd(), change)?;
        }
        Ok(Signals { kq })
    }

    /// One signal that came, without blocking; `None` when none did.
    pub(crate) fn read(&self) -> io::Result<Option<RawSignal>> {
        let Some(event) = kevent::take_one(self.kq.as_fd())? else {
            return Ok(None);
        };
        let signal = event.ident as i32;
        take_pending(signal)?;
        Ok(Some(RawSignal {
            signal: signal as u32,
            code: 0,
            pid: 0,
            uid: 0,
            value: 0,
        }))
    }
}

impl AsFd for Signals {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.kq.as_fd()
    }
}

/// kqueue reports no sender: never a process's.
pub(crate) fn sent_by_a_process(_code: i32) -> bool {
    false
}

/// Takes `signal` out of the pending set if it is there, without blocking.
fn take_pending(signal: i32) -> io::Result<()> {
    let mut pending = SigSet::new(&[])?;
    // SAFETY: `pending.0` is an initialised sigset_t, valid for writes.
    if unsafe { libc::sigpending(&mut pending.0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if !pending.contains(signal) {
        return Ok(());
    }
    let one = SigSet::new(&[signal])?;
    dequeue(&one, signal)
}

#[cfg(any(target_os = "freebsd", target_os = "netbsd", target_os = "dragonfly"))]
fn dequeue(one: &SigSet, _signal: i32) -> io::Result<()> {
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `one.0` is an initialised sigset_t, `zero` a valid timespec; a null info
    // pointer asks for nothing back.
    let got = unsafe { libc::sigtimedwait(&one.0, std::ptr::null_mut(), &zero) };
    if got < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EAGAIN) {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Where there is no `sigtimedwait`: `sigwait` returns at once, since `sigpending` just saw
/// the signal pending (another thread taking it in between would make this wait for the next
/// one; nothing else in the crate takes signals).
#[cfg(not(any(target_os = "freebsd", target_os = "netbsd", target_os = "dragonfly")))]
fn dequeue(one: &SigSet, _signal: i32) -> io::Result<()> {
    let mut taken = 0;
    // SAFETY: `one.0` is an initialised sigset_t and `taken` is valid for writes.
    match unsafe { libc::sigwait(&one.0, &mut taken) } {
        0 => Ok(()),
        errno => Err(io::Error::from_raw_os_error(errno)),
    }
}
