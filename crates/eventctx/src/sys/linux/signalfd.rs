//! signalfd: signals read from a descriptor instead of run in a handler.
//!
//! rustix does not wrap signalfd (its documentation lists it as not implemented), so this file
//! calls libc. Each `unsafe` block is one call, with the reason it is sound beside it.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};

use rustix::io::Errno;

// The signal sets and masks are POSIX, shared with every Unix back-end.
pub(crate) use crate::sys::unix::signal_mask::{
    RawSignal, SigSet, block, blocked, numbers, unblock, unblock_in_child,
};

/// A signalfd: what `Signals` is made of on Linux.
#[derive(Debug)]
pub(crate) struct Signals {
    fd: OwnedFd,
}

impl Signals {
    /// A descriptor that reads the signals of `set` (which the caller blocks).
    pub(crate) fn new(set: &SigSet) -> io::Result<Signals> {
        Ok(Signals { fd: create(set)? })
    }

    /// One pending signal, without blocking; `None` when none is pending.
    pub(crate) fn read(&self) -> io::Result<Option<RawSignal>> {
        read(self.fd.as_fd())
    }
}

impl AsFd for Signals {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// `signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK)`.
fn create(set: &SigSet) -> io::Result<OwnedFd> {
    // SAFETY: `set` is an initialized sigset_t; -1 asks for a new descriptor.
    let fd = unsafe { libc::signalfd(-1, &set.0, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: signalfd returned a new descriptor, which nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Whether a record's `si_code` says a process sent the signal (`kill`, `sigqueue`, `tgkill`),
/// so that its `si_pid` is the sender.
pub(crate) fn sent_by_a_process(code: i32) -> bool {
    matches!(code, libc::SI_USER | libc::SI_QUEUE | libc::SI_TKILL)
}

/// The size of one `struct signalfd_siginfo`, the record a read returns per signal.
const RECORD: usize = 128;

/// Reads one pending signal without blocking; `None` when none is pending.
///
/// The record is decoded from its bytes at the offsets the kernel's ABI fixes
/// (`<linux/signalfd.h>`), which needs no `unsafe`.
fn read(fd: BorrowedFd<'_>) -> io::Result<Option<RawSignal>> {
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
