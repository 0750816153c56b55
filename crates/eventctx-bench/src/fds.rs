//! The descriptors every back-end watches: eventfds, made once and shared.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `n` non-blocking eventfds, or an error once descriptors run out.
pub fn eventfds(n: usize) -> io::Result<Vec<OwnedFd>> {
    (0..n)
        .map(|_| {
            // SAFETY: eventfd takes no pointers.
            let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: a new descriptor that nothing else owns.
            Ok(unsafe { OwnedFd::from_raw_fd(fd) })
        })
        .collect()
}

/// Makes an eventfd readable.
#[inline]
pub fn signal(fd: &OwnedFd) {
    let one = 1u64;
    // SAFETY: writes 8 bytes from a live u64.
    let n = unsafe { libc::write(fd.as_raw_fd(), (&raw const one).cast(), 8) };
    debug_assert_eq!(n, 8);
}

/// Clears an eventfd.
#[inline]
pub fn drain(fd: &OwnedFd) {
    let mut count = 0u64;
    // SAFETY: reads 8 bytes into a live u64.
    let n = unsafe { libc::read(fd.as_raw_fd(), (&raw mut count).cast(), 8) };
    debug_assert_eq!(n, 8);
}

/// Raises the soft descriptor limit to the hard one; returns the limit now in force.
pub fn raise_fd_limit() -> io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into `lim`.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: setrlimit reads one rlimit from `lim`.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(lim.rlim_cur)
}
