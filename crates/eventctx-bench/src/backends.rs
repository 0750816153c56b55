//! The polling layers under test, behind one trait so that every scenario runs the same loop
//! on each. All of them watch the same kind of descriptors (eventfds), level-triggered where
//! the layer allows it.

use std::io;
use std::num::NonZeroUsize;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// One polling layer.
pub trait Backend: Sized {
    /// Its name in tables and files.
    const NAME: &'static str;
    /// Whether a descriptor left ready is reported by every wait (mio is edge-triggered).
    const LEVEL_TRIGGERED: bool = true;

    /// A poller whose waits return up to `capacity` events.
    fn new(capacity: usize) -> io::Result<Self>;
    /// Watches `fd` for readability under `token`.
    fn add(&mut self, fd: BorrowedFd<'_>, token: usize) -> io::Result<()>;
    /// Stops watching `fd`.
    fn delete(&mut self, fd: BorrowedFd<'_>) -> io::Result<()>;
    /// Waits up to `timeout`; returns how many events, and the sum of their tokens (so that
    /// every token is really read).
    fn wait(&mut self, timeout: Duration) -> io::Result<(usize, usize)>;
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Raw epoll through libc: the floor. No EINTR handling, no timeout care beyond `as_millis`.
pub struct RawEpoll {
    epoll: OwnedFd,
    events: Vec<libc::epoll_event>,
}

impl Backend for RawEpoll {
    const NAME: &'static str = "raw-epoll";

    fn new(capacity: usize) -> io::Result<Self> {
        // SAFETY: epoll_create1 takes no pointers.
        let fd = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: a new descriptor that nothing else owns.
        let epoll = unsafe { OwnedFd::from_raw_fd(fd) };
        let events = vec![libc::epoll_event { events: 0, u64: 0 }; capacity];
        Ok(RawEpoll { epoll, events })
    }

    fn add(&mut self, fd: BorrowedFd<'_>, token: usize) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: token as u64,
        };
        // SAFETY: `ev` is a valid epoll_event for the length of the call.
        check(unsafe {
            libc::epoll_ctl(
                self.epoll.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                fd.as_raw_fd(),
                &mut ev,
            )
        })
        .map(drop)
    }

    fn delete(&mut self, fd: BorrowedFd<'_>) -> io::Result<()> {
        let null = std::ptr::null_mut();
        // SAFETY: EPOLL_CTL_DEL ignores the event pointer.
        check(unsafe {
            libc::epoll_ctl(
                self.epoll.as_raw_fd(),
                libc::EPOLL_CTL_DEL,
                fd.as_raw_fd(),
                null,
            )
        })
        .map(drop)
    }

    #[inline]
    fn wait(&mut self, timeout: Duration) -> io::Result<(usize, usize)> {
        // SAFETY: the buffer has room for `len` events.
        let n = check(unsafe {
            libc::epoll_wait(
                self.epoll.as_raw_fd(),
                self.events.as_mut_ptr(),
                self.events.len() as libc::c_int,
                timeout.as_millis() as libc::c_int,
            )
        })? as usize;
        let sum = self.events[..n].iter().map(|e| e.u64 as usize).sum();
        Ok((n, sum))
    }
}

/// mio 1.x (edge-triggered on epoll).
pub struct Mio {
    poll: mio::Poll,
    events: mio::Events,
}

impl Backend for Mio {
    const NAME: &'static str = "mio";
    const LEVEL_TRIGGERED: bool = false;

    fn new(capacity: usize) -> io::Result<Self> {
        Ok(Mio {
            poll: mio::Poll::new()?,
            events: mio::Events::with_capacity(capacity),
        })
    }

    fn add(&mut self, fd: BorrowedFd<'_>, token: usize) -> io::Result<()> {
        let raw = fd.as_raw_fd();
        let source = &mut mio::unix::SourceFd(&raw);
        self.poll
            .registry()
            .register(source, mio::Token(token), mio::Interest::READABLE)
    }

    fn delete(&mut self, fd: BorrowedFd<'_>) -> io::Result<()> {
        let raw = fd.as_raw_fd();
        self.poll
            .registry()
            .deregister(&mut mio::unix::SourceFd(&raw))
    }

    #[inline]
    fn wait(&mut self, timeout: Duration) -> io::Result<(usize, usize)> {
        self.poll.poll(&mut self.events, Some(timeout))?;
        let sum = self.events.iter().map(|e| e.token().0).sum();
        Ok((self.events.iter().count(), sum))
    }
}

/// polling 3.x, in level-triggered mode.
pub struct Polling {
    poller: polling::Poller,
    events: polling::Events,
}

impl Backend for Polling {
    const NAME: &'static str = "polling";

    fn new(capacity: usize) -> io::Result<Self> {
        let capacity = NonZeroUsize::new(capacity).expect("capacity > 0");
        Ok(Polling {
            poller: polling::Poller::new()?,
            events: polling::Events::with_capacity(capacity),
        })
    }

    fn add(&mut self, fd: BorrowedFd<'_>, token: usize) -> io::Result<()> {
        let event = polling::Event::readable(token);
        // SAFETY: every descriptor is deleted (or the poller dropped) before it is closed.
        unsafe {
            self.poller
                .add_with_mode(fd.as_raw_fd(), event, polling::PollMode::Level)
        }
    }

    fn delete(&mut self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.poller.delete(fd)
    }

    #[inline]
    fn wait(&mut self, timeout: Duration) -> io::Result<(usize, usize)> {
        self.events.clear();
        let n = self.poller.wait(&mut self.events, Some(timeout))?;
        let sum = self.events.iter().map(|e| e.key).sum();
        Ok((n, sum))
    }
}

/// eventctx's seed API: `wait_timeout`, at most 16 events per call.
pub struct Eventctx {
    ctx: eventctx::EventContext<usize>,
}

impl Backend for Eventctx {
    const NAME: &'static str = "eventctx";

    fn new(_capacity: usize) -> io::Result<Self> {
        Ok(Eventctx {
            ctx: eventctx::EventContext::new()?,
        })
    }

    fn add(&mut self, fd: BorrowedFd<'_>, token: usize) -> io::Result<()> {
        self.ctx.add(&fd, token)
    }

    fn delete(&mut self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.ctx.delete(&fd)
    }

    #[inline]
    fn wait(&mut self, timeout: Duration) -> io::Result<(usize, usize)> {
        let events = self.ctx.wait_timeout(timeout)?;
        Ok((events.len(), events.iter().map(|e| e.token).sum()))
    }
}

/// eventctx's batch API: `wait_into` a reusable buffer of any capacity.
pub struct EventctxBatch {
    seed: Eventctx,
    events: eventctx::Events<usize>,
}

impl Backend for EventctxBatch {
    const NAME: &'static str = "eventctx-batch";

    fn new(capacity: usize) -> io::Result<Self> {
        let seed = Eventctx::new(capacity)?;
        Ok(EventctxBatch {
            seed,
            events: eventctx::Events::with_capacity(capacity),
        })
    }

    fn add(&mut self, fd: BorrowedFd<'_>, token: usize) -> io::Result<()> {
        self.seed.add(fd, token)
    }

    fn delete(&mut self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.seed.delete(fd)
    }

    #[inline]
    fn wait(&mut self, timeout: Duration) -> io::Result<(usize, usize)> {
        let n = self.seed.ctx.wait_into(&mut self.events, Some(timeout))?;
        Ok((n, self.events.iter().map(|e| e.token).sum()))
    }
}
