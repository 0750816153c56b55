//! eventfd: a counter in the kernel that is readable while it is not zero.
//!
//! The descriptor is created *blocking*. `O_NONBLOCK` would live on the open file, which is
//! shared with every process the descriptor is handed to (a vhost-user back-end, a KVM irqfd
//! user), and their blocking reads would fail with `EAGAIN`. eventctx's own reads that must not
//! block ask for that per call instead: `preadv2(.., RWF_NOWAIT)`, which eventfd honours since
//! Linux 5.12.
//!
//! On an older kernel (or on Android, where `preadv2` is not offered) the first `create` finds
//! out, and from then on:
//! - new eventfds are created with `O_NONBLOCK` after all, as they were before, so that the
//!   promise that no timed call blocks past its timeout still holds; the cost is the shared flag
//!   above: other processes that read the descriptor see `EAGAIN` instead of blocking.
//! - a read that must not block polls first and reads only if the counter is not zero. On a
//!   blocking eventfd adopted from elsewhere (`From<OwnedFd>`), a read that loses a race with
//!   another reader between the poll and the read blocks until the next signal.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU8, Ordering};

use crate::sys::time::Deadline;

use rustix::event::{EventfdFlags, eventfd};
use rustix::io::Errno;

/// Whether `preadv2(RWF_NOWAIT)` works on an eventfd: not known yet, yes, or no.
static NOWAIT: AtomicU8 = AtomicU8::new(UNKNOWN);
const UNKNOWN: u8 = 0;
const YES: u8 = 1;
const NO: u8 = 2;

/// An eventfd: what an `Event` is made of on Linux.
#[derive(Debug)]
pub(crate) struct Event {
    fd: OwnedFd,
}

impl Event {
    /// A new eventfd, count zero: see [`create`].
    pub(crate) fn new() -> io::Result<Event> {
        Ok(Event { fd: create()? })
    }

    /// Adopts a descriptor that should be an eventfd; calls on anything else fail.
    pub(crate) fn from_fd(fd: OwnedFd) -> Event {
        Event { fd }
    }

    /// Gives the descriptor back.
    pub(crate) fn into_fd(self) -> OwnedFd {
        self.fd
    }

    /// Adds `value` to the count: see [`add`].
    pub(crate) fn signal(&self, value: u64) -> io::Result<()> {
        add(self.fd.as_fd(), value)
    }

    /// Takes the count, blocking until it is not zero.
    pub(crate) fn read_blocking(&self) -> io::Result<u64> {
        read_blocking(self.fd.as_fd())
    }

    /// Takes the count without blocking: `None` if it was zero.
    pub(crate) fn read_nowait(&self) -> io::Result<Option<u64>> {
        read_nowait(self.fd.as_fd())
    }

    /// Waits until the count is not zero or `deadline` passes (`false`), reading nothing.
    pub(crate) fn wait_readable(&self, deadline: &mut Deadline) -> io::Result<bool> {
        crate::sys::unix::wait_readable(self.fd.as_fd(), deadline)
    }

    /// A second handle on the same count.
    pub(crate) fn try_clone(&self) -> io::Result<Event> {
        Ok(Event {
            fd: self.fd.try_clone()?,
        })
    }
}

impl AsFd for Event {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// `eventfd(0, EFD_CLOEXEC)`: blocking, unless this kernel cannot read it without blocking
/// per call (see the module's documentation).
fn create() -> io::Result<OwnedFd> {
    let fd = eventfd(0, EventfdFlags::CLOEXEC)?;
    if NOWAIT.load(Ordering::Relaxed) == UNKNOWN {
        // The probe: a new counter is zero, so a read that may not block fails with EAGAIN
        // where the kernel supports it, and never blocks where it does not.
        read_nowait(fd.as_fd())?;
    }
    if NOWAIT.load(Ordering::Relaxed) == NO {
        rustix::io::ioctl_fionbio(&fd, true)?;
    }
    Ok(fd)
}

/// Adds `value` to the counter, which makes it readable. A counter within `value` of its
/// maximum (`u64::MAX - 1`) makes this block until a reader takes the count, as it does for
/// any writer of an eventfd; on a non-blocking eventfd that is `EAGAIN` instead.
fn add(fd: BorrowedFd<'_>, value: u64) -> io::Result<()> {
    loop {
        match rustix::io::write(fd, &value.to_ne_bytes()) {
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reads the counter, which sets it to zero, blocking until it is not zero.
fn read_blocking(fd: BorrowedFd<'_>) -> io::Result<u64> {
    let mut forever = Deadline::new(None);
    loop {
        let mut buf = [0u8; 8];
        match rustix::io::read(fd, &mut buf[..]) {
            Ok(_) => return Ok(u64::from_ne_bytes(buf)),
            Err(Errno::INTR) => {}
            // A non-blocking eventfd (an old kernel's, or one made elsewhere): wait, then read.
            Err(Errno::AGAIN) => {
                crate::sys::unix::wait_readable(fd, &mut forever)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reads the counter without blocking, which sets it to zero: `None` if it was zero already
/// (or another reader took the count first).
fn read_nowait(fd: BorrowedFd<'_>) -> io::Result<Option<u64>> {
    #[cfg(not(target_os = "android"))]
    if NOWAIT.load(Ordering::Relaxed) != NO {
        use rustix::io::{IoSliceMut, ReadWriteFlags, preadv2};
        loop {
            let mut buf = [0u8; 8];
            // An offset of u64::MAX is -1: read at the current position, as `read` does;
            // an eventfd has no other.
            let result = preadv2(
                fd,
                &mut [IoSliceMut::new(&mut buf)],
                u64::MAX,
                ReadWriteFlags::NOWAIT,
            );
            match result {
                Ok(_) => {
                    learned(YES);
                    return Ok(Some(u64::from_ne_bytes(buf)));
                }
                Err(Errno::AGAIN) => {
                    learned(YES);
                    return Ok(None);
                }
                Err(Errno::INTR) => {}
                // Before 5.12 eventfd refuses RWF_NOWAIT; before 4.14 every file does, and
                // before 4.6 there is no preadv2.
                Err(Errno::OPNOTSUPP | Errno::NOSYS) => break,
                Err(e) => return Err(e.into()),
            }
        }
    }
    learned(NO);
    read_after_poll(fd)
}

/// Records what a read found out about `RWF_NOWAIT`, once: every later read only loads the
/// answer, so threads reading events do not keep writing one shared cache line.
fn learned(answer: u8) {
    if NOWAIT.load(Ordering::Relaxed) != answer
        && NOWAIT.swap(answer, Ordering::Relaxed) == UNKNOWN
        && answer == NO
    {
        log::debug!(
            "eventfd: this kernel has no RWF_NOWAIT reads (Linux < 5.12); Event reads \
             poll first, and a blocking read can block if another process drains it"
        );
    }
}

/// The fallback for kernels without `RWF_NOWAIT` on eventfd: read only what a poll saw.
fn read_after_poll(fd: BorrowedFd<'_>) -> io::Result<Option<u64>> {
    let mut now = Deadline::new(Some(std::time::Duration::ZERO));
    if !crate::sys::unix::wait_readable(fd, &mut now)? {
        return Ok(None);
    }
    crate::sys::linux::read_counter(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_descriptor_is_blocking_where_the_kernel_reads_it_without_blocking() -> io::Result<()> {
        let fd = create()?;
        assert_eq!(read_nowait(fd.as_fd())?, None);
        let flags = rustix::io::fcntl_getfd(&fd)?;
        assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
        add(fd.as_fd(), 3)?;
        add(fd.as_fd(), 4)?;
        assert_eq!(read_nowait(fd.as_fd())?, Some(7));
        assert_eq!(read_nowait(fd.as_fd())?, None);
        add(fd.as_fd(), 1)?;
        assert_eq!(read_blocking(fd.as_fd())?, 1);
        Ok(())
    }

    /// The path for kernels without `RWF_NOWAIT` on eventfd, run directly (this kernel has it,
    /// so the global choice never falls back here): a poll first, so a zero counter on a
    /// blocking eventfd returns `None` instead of blocking.
    #[test]
    fn the_fallback_reads_only_what_a_poll_saw() -> io::Result<()> {
        let blocking = eventfd(0, EventfdFlags::CLOEXEC)?;
        assert_eq!(read_after_poll(blocking.as_fd())?, None);
        add(blocking.as_fd(), 5)?;
        assert_eq!(read_after_poll(blocking.as_fd())?, Some(5));
        assert_eq!(read_after_poll(blocking.as_fd())?, None);
        // And on a non-blocking one, as old kernels' `create` makes.
        let nonblocking = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        assert_eq!(read_after_poll(nonblocking.as_fd())?, None);
        // A blocking read of a non-blocking eventfd gets EAGAIN, polls, and reads.
        let writer = nonblocking.try_clone()?;
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            add(writer.as_fd(), 2)
        });
        assert_eq!(read_blocking(nonblocking.as_fd())?, 2);
        t.join().unwrap()?;
        Ok(())
    }
}
