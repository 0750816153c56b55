//! What every Unix back-end shares: borrowing a caller's raw descriptor, waiting for one
//! descriptor with `poll`, signal masks, the socket-pair `Event`, errors for bad pids.

pub(crate) mod descriptor;
pub(crate) mod signal_mask;
#[cfg(any(
    eventctx_pipe_event,
    not(any(target_os = "linux", target_os = "android"))
))]
pub(crate) mod socket_event;

use std::io;
use std::os::fd::{BorrowedFd, RawFd};
use std::time::Duration;

use rustix::time::Timespec;

/// A duration as the kernel takes it (seconds beyond `i64::MAX` are clamped).
#[inline]
pub(crate) fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: d.subsec_nanos().into(),
    }
}

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
        let step = deadline.step().map(timespec);
        let result = poll(&mut fds, step.as_ref());
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

/// The error for a pid that names no process to watch, the same on every Unix: pid 0 is
/// `InvalidInput` (it means the caller's process group), any other `NotFound`, with `ESRCH`
/// named in the message (std files `ESRCH` under no kind, so kind and errno cannot both be
/// kept; the portable kind wins).
pub(crate) fn pid_error(pid: u32) -> io::Error {
    let what = match pid {
        0 => {
            return io::Error::new(
                io::ErrorKind::InvalidInput,
                "pid 0 names no process (it means the caller's process group)",
            );
        }
        p if p > i32::MAX as u32 => "no process has a pid this large",
        _ => "no process has this pid (it may have exited and been reaped)",
    };
    kernel_error(io::ErrorKind::NotFound, what, rustix::io::Errno::SRCH)
}

/// An error of the portable `kind`, whose message names the kernel's answer.
pub(crate) fn kernel_error(kind: io::ErrorKind, what: &str, errno: rustix::io::Errno) -> io::Error {
    io::Error::new(kind, format!("{what} ({})", io::Error::from(errno)))
}
