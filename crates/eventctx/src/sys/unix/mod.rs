//! What every Unix back-end shares: borrowing a caller's raw descriptor, waiting for one
//! descriptor with `poll`, reading an 8-byte counter.

pub(crate) mod signal_mask;
#[cfg(eventctx_pipe_event)]
pub(crate) mod socket_event;

use std::io;
use std::os::fd::{BorrowedFd, RawFd};

/// Borrows a caller's raw descriptor for the length of one system call.
///
/// A negative number is refused with `EBADF` before it reaches `BorrowedFd`, which asserts
/// that the number is not -1.
#[allow(unsafe_code)]
pub(crate) fn borrow_raw(fd: RawFd) -> io::Result<BorrowedFd<'static>> {
    if fd < 0 {
        return Err(rustix::io::Errno::BADF.into());
    }
    // SAFETY: `fd` is not -1 (checked above), which is all `borrow_raw` needs to build a valid
    // value. The borrow is passed to a single system call and dropped right after it (the
    // callers never keep it); the kernel only reads the number, and answers `EBADF` if it is not
    // an open descriptor, so no Rust object is ever created for a descriptor it does not own.
    Ok(unsafe { BorrowedFd::borrow_raw(fd) })
}

/// Blocks until `fd` is readable or `deadline` passes: `ppoll` on one descriptor, resumed after
/// `EINTR` with the time that remains. Returns `false` if the deadline passed first.
pub(crate) fn wait_readable(
    fd: BorrowedFd<'_>,
    deadline: &mut crate::sys::time::Deadline,
) -> io::Result<bool> {
    use rustix::event::{PollFd, PollFlags, poll};
    loop {
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        let result = poll(&mut fds, deadline.step().as_ref());
        // Whatever happened, time has passed: the next call needs what is left.
        let last = deadline.is_last_step();
        deadline.refresh();
        match result {
            Ok(0) if last => return Ok(false),
            Ok(0) | Err(rustix::io::Errno::INTR) => {}
            Ok(_) => return Ok(true),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reads the 8-byte counter of a non-blocking timerfd or eventfd, which sets it to zero. `None`
/// if it was zero already. (On a blocking descriptor, a zero counter blocks the read.)
pub(crate) fn read_counter(fd: BorrowedFd<'_>) -> io::Result<Option<u64>> {
    use rustix::io::Errno;
    let mut buf = [0u8; 8];
    loop {
        match rustix::io::read(fd, &mut buf[..]) {
            Ok(_) => return Ok(Some(u64::from_ne_bytes(buf))),
            Err(Errno::AGAIN) => return Ok(None),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}
