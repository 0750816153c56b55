//! The Linux (and Android) back-end: epoll for contexts, eventfd for `Event`, timerfd for
//! `Timer`, signalfd for `Signals`, pidfd for `ProcessExit`.

pub(crate) mod epoll;
#[cfg(not(eventctx_pipe_event))]
pub(crate) mod eventfd;
pub(crate) mod pidfd;
pub(crate) mod signalfd;
pub(crate) mod timerfd;

use std::io;
use std::os::fd::BorrowedFd;

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
