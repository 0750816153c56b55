//! An `Event` made of a Unix datagram socket pair: what kqueue platforms have in place of
//! eventfd. Built on Linux too with `--cfg eventctx_pipe_event`, so the test suite runs
//! against it here.
//!
//! Why a socket pair and not a pipe: both ends stay *blocking*, as an `Event`'s descriptor
//! must (it may be handed to another process, whose blocking reads must block), and every call
//! here still never blocks, because `send` and `recv` take `MSG_DONTWAIT` per call. A pipe
//! offers that only through `O_NONBLOCK` on the open file, which every process sharing it
//! would see (the BSDs have no `RWF_NOWAIT`).
//!
//! The count: each signal is one 8-byte datagram holding the value added; a read drains every
//! queued datagram and adds them up (saturating at `u64::MAX - 1`, an eventfd's largest count;
//! adding `u64::MAX` is `EINVAL`, as there). A datagram of another size
//! counts as 1, so another process can signal by writing any byte to the signalling end. When
//! the queue is full, `signal` drains it, adds it to its own value and sends the sum as one
//! datagram, so no count is lost and a signal never blocks.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

use crate::sys::time::Deadline;

/// One end watched by contexts and read, the other sent to.
#[derive(Debug)]
pub(crate) struct Event {
    watched: OwnedFd,
    signaller: OwnedFd,
}

/// Close-on-exec at creation where the platform can (not on Apple's, which has no
/// `SOCK_CLOEXEC`: there the flag is set right after, as std does for its sockets).
#[cfg(not(eventctx_apple))]
const CREATE: SocketFlags = SocketFlags::CLOEXEC;
#[cfg(eventctx_apple)]
const CREATE: SocketFlags = SocketFlags::empty();

fn socket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let (a, b) = rustix::net::socketpair(AddressFamily::UNIX, SocketType::DGRAM, CREATE, None)?;
    if cfg!(eventctx_apple) {
        for fd in [&a, &b] {
            rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC)?;
        }
    }
    Ok((a, b))
}

/// `MSG_DONTWAIT`, and `MSG_NOSIGNAL` where there is one: a signal to a pair whose reading
/// end another process holds alone, and closed, is `EPIPE`, never a `SIGPIPE`.
#[cfg(not(eventctx_apple))]
const SEND: SendFlags = SendFlags::DONTWAIT.union(SendFlags::NOSIGNAL);
#[cfg(eventctx_apple)]
const SEND: SendFlags = SendFlags::DONTWAIT;

impl Event {
    /// A new pair, count zero.
    pub(crate) fn new() -> io::Result<Event> {
        let (watched, signaller) = socket_pair()?;
        Ok(Event { watched, signaller })
    }

    /// Adds `value` to the count without blocking. As on eventfd, adding zero changes
    /// nothing and `u64::MAX` is `EINVAL`.
    pub(crate) fn signal(&self, value: u64) -> io::Result<()> {
        if value == u64::MAX {
            return Err(Errno::INVAL.into());
        }
        if value == 0 {
            return Ok(());
        }
        let mut value = value;
        loop {
            match rustix::net::send(&self.signaller, &value.to_ne_bytes(), SEND) {
                Ok(_) => return Ok(()),
                Err(Errno::INTR) => {}
                // The queue is full: fold it into this signal and send the sum alone.
                Err(Errno::AGAIN) => {
                    if let Some(queued) = self.read_nowait()? {
                        value = add(value, queued);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Takes the count, blocking until it is not zero.
    pub(crate) fn read_blocking(&self) -> io::Result<u64> {
        let mut forever = Deadline::new(None);
        loop {
            if let Some(count) = self.read_nowait()? {
                return Ok(count);
            }
            self.wait_readable(&mut forever)?;
        }
    }

    /// Takes the count without blocking: `None` if it was zero (or another reader took it).
    pub(crate) fn read_nowait(&self) -> io::Result<Option<u64>> {
        let mut total: Option<u64> = None;
        loop {
            let mut buf = [0u8; 8];
            match rustix::net::recv(&self.watched, &mut buf, RecvFlags::DONTWAIT) {
                Ok((_, received)) => {
                    let value = datagram_value(&buf, received);
                    total = Some(add(total.unwrap_or(0), value));
                }
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => return Ok(total),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Waits until the count is not zero or `deadline` passes (`false`), reading nothing.
    pub(crate) fn wait_readable(&self, deadline: &mut Deadline) -> io::Result<bool> {
        crate::sys::unix::wait_readable(self.watched.as_fd(), deadline)
    }

    /// A second handle on the same count: both ends duplicated.
    pub(crate) fn try_clone(&self) -> io::Result<Event> {
        Ok(Event {
            watched: self.watched.try_clone()?,
            signaller: self.signaller.try_clone()?,
        })
    }

    /// The watched end, the signalling end closed (for a `FakeTimer` given up as a descriptor:
    /// what is left is readable while a count is queued, and never signalled again).
    pub(crate) fn into_fd(self) -> OwnedFd {
        self.watched
    }
}

impl AsFd for Event {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.watched.as_fd()
    }
}

/// The largest count, an eventfd's.
const MAX_COUNT: u64 = u64::MAX - 1;

/// `a + b`, saturating at [`MAX_COUNT`].
fn add(a: u64, b: u64) -> u64 {
    a.saturating_add(b).min(MAX_COUNT)
}

/// What one datagram adds to the count: its 8-byte value, or 1 for a datagram of any other
/// size (another process's byte, say), and never 0, so that a datagram always counts.
fn datagram_value(buf: &[u8; 8], received: usize) -> u64 {
    if received == 8 {
        u64::from_ne_bytes(*buf).max(1)
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_add_up_and_a_read_takes_them_all() -> io::Result<()> {
        let event = Event::new()?;
        assert_eq!(event.read_nowait()?, None);
        event.signal(3)?;
        event.signal(4)?;
        event.signal(0)?;
        assert_eq!(event.read_nowait()?, Some(7));
        assert_eq!(event.read_nowait()?, None);
        assert_eq!(
            event.signal(u64::MAX).unwrap_err().raw_os_error(),
            Some(libc::EINVAL)
        );
        event.signal(u64::MAX - 1)?;
        event.signal(1)?;
        assert_eq!(event.read_nowait()?, Some(u64::MAX - 1));
        Ok(())
    }

    #[test]
    fn a_full_queue_folds_into_one_datagram_and_loses_no_count() -> io::Result<()> {
        let event = Event::new()?;
        for _ in 0..20_000 {
            event.signal(1)?;
        }
        assert_eq!(event.read_nowait()?, Some(20_000));
        Ok(())
    }

    #[test]
    fn both_ends_are_blocking_and_close_on_exec() -> io::Result<()> {
        let event = Event::new()?;
        for fd in [&event.watched, &event.signaller] {
            assert!(rustix::io::fcntl_getfd(fd)?.contains(rustix::io::FdFlags::CLOEXEC));
            assert!(!is_nonblocking(fd.as_fd())?);
        }
        Ok(())
    }

    #[allow(unsafe_code)]
    fn is_nonblocking(fd: BorrowedFd<'_>) -> io::Result<bool> {
        use std::os::fd::AsRawFd;
        // SAFETY: F_GETFL reads the open file's status flags; it takes no pointer, and an
        // invalid descriptor is an error return.
        let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
        if flags < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(flags & libc::O_NONBLOCK != 0)
    }

    #[test]
    fn a_byte_from_elsewhere_counts_as_one() -> io::Result<()> {
        let event = Event::new()?;
        rustix::io::write(&event.signaller, b"x")?;
        assert_eq!(event.read_nowait()?, Some(1));
        assert_eq!(datagram_value(&[0; 8], 8), 1);
        assert_eq!(datagram_value(&5u64.to_ne_bytes(), 8), 5);
        Ok(())
    }
}
