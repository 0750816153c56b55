//! Operations on a caller's descriptor that crosvm's `base` offers as free functions: a
//! close-on-exec copy, the file status flags, crosvm's check of a descriptor passed in, and
//! non-blocking mode.

use std::ffi::c_int;
use std::io;
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};

use rustix::io::{Errno, FdFlags};

use super::borrow_raw;

/// A close-on-exec copy of `fd` (`F_DUPFD_CLOEXEC`), at the lowest free number.
pub(crate) fn clone(fd: RawFd) -> io::Result<OwnedFd> {
    Ok(rustix::io::fcntl_dupfd_cloexec(borrow_raw(fd)?, 0)?)
}

/// crosvm's rule for a descriptor number handed in from outside (inherited, or named on a
/// command line): it must be open and must not be close-on-exec (every descriptor the program
/// opened itself is), and the caller gets a close-on-exec copy of it.
pub(crate) fn validate(fd: RawFd) -> io::Result<RawFd> {
    let borrowed = borrow_raw(fd)?;
    if rustix::io::fcntl_getfd(borrowed)?.contains(FdFlags::CLOEXEC) {
        return Err(Errno::BADF.into());
    }
    Ok(rustix::io::fcntl_dupfd_cloexec(borrowed, 0)?.into_raw_fd())
}

/// Turns `O_NONBLOCK` on or off (`FIONBIO`: one call, whatever the other flags).
pub(crate) fn set_nonblocking(fd: RawFd, on: bool) -> io::Result<()> {
    Ok(rustix::io::ioctl_fionbio(borrow_raw(fd)?, on)?)
}

/// `F_GETFL`, then `F_SETFL` with `set` added and `clear` taken away.
#[allow(unsafe_code)]
pub(crate) fn change_status_flags(fd: RawFd, set: c_int, clear: c_int) -> io::Result<()> {
    let fd = borrow_raw(fd)?.as_raw_fd();
    // SAFETY: F_GETFL takes no argument and touches no memory; a bad descriptor is -1/EBADF.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: F_SETFL takes an int by value and touches no memory.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, (flags | set) & !clear) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether the calling thread's last error is `EINTR`.
pub(crate) fn last_error_is_eintr() -> bool {
    io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
}

/// The errno that stands for `error`: its own, or the nearest for an error the crate or std
/// made without one.
pub(crate) fn errno_of(error: &io::Error) -> i32 {
    use io::ErrorKind as K;
    if let Some(errno) = error.raw_os_error() {
        return errno;
    }
    match error.kind() {
        K::NotFound => libc::ENOENT,
        K::PermissionDenied => libc::EPERM,
        K::AlreadyExists => libc::EEXIST,
        K::WouldBlock => libc::EAGAIN,
        K::InvalidInput | K::InvalidData => libc::EINVAL,
        K::TimedOut => libc::ETIMEDOUT,
        K::Interrupted => libc::EINTR,
        K::Unsupported => libc::EOPNOTSUPP,
        K::OutOfMemory => libc::ENOMEM,
        K::BrokenPipe => libc::EPIPE,
        _ => libc::EIO,
    }
}
