//! eventfd: a counter in the kernel that is readable while it is not zero.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::event::{EventfdFlags, eventfd};
use rustix::io::Errno;

/// `eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)`. Non-blocking, so that draining it never blocks
/// even when another handle to the same counter drained it first.
pub(crate) fn create() -> io::Result<OwnedFd> {
    Ok(eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?)
}

/// Adds one to the counter, which makes it readable.
pub(crate) fn add_one(fd: BorrowedFd<'_>) -> io::Result<()> {
    match rustix::io::write(fd, &1u64.to_ne_bytes()) {
        // EAGAIN: the counter is at its maximum, so it is signaled already.
        Ok(_) | Err(Errno::AGAIN) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
