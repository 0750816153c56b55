//! `Event`: a counter that wakes waiters, on eventfd.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::Result;
use crate::sys::{self, time::Deadline};

/// A wake-up signal that can be waited on directly or through a context.
///
/// An `Event` is signaled by [`signal`](Event::signal), which makes it readable, and cleared by
/// [`wait`](Event::wait) or [`reset`](Event::reset). Signals do not queue: several signals
/// before a wait are one wake-up. Clones made with [`try_clone`](Event::try_clone) share the
/// same signal, so one thread can signal while another waits.
///
/// On Linux it is an eventfd, created close-on-exec and non-blocking (so `reset` never blocks,
/// even when a clone cleared the signal first), and closed on drop.
///
/// # Examples
///
/// ```
/// use std::thread;
/// use eventctx::Event;
///
/// let done = Event::new()?;
/// let signaller = done.try_clone()?;
/// let worker = thread::spawn(move || signaller.signal());
/// done.wait()?; // blocks until the worker signals
/// worker.join().unwrap()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Event {
    fd: OwnedFd,
}

/// How [`Event::wait_timeout`] ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EventWaitResult {
    /// The event was signaled (and is now cleared).
    Signaled,
    /// The timeout passed first.
    TimedOut,
}

impl Event {
    /// Creates an event that is not signaled.
    ///
    /// # Errors
    ///
    /// `EMFILE` or `ENFILE` when out of descriptors, `ENOMEM` when out of memory.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventWaitResult};
    /// use std::time::Duration;
    ///
    /// let event = Event::new()?;
    /// assert_eq!(event.wait_timeout(Duration::ZERO)?, EventWaitResult::TimedOut);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// [`eventfd(2)`](https://man7.org/linux/man-pages/man2/eventfd.2.html)
    #[doc(alias = "eventfd")]
    pub fn new() -> Result<Event> {
        Ok(Event {
            fd: sys::eventfd::create()?,
        })
    }

    /// Signals the event: it becomes readable, and wakes whoever waits on it.
    ///
    /// Signaling an event that is signaled already leaves it signaled.
    ///
    /// # Errors
    ///
    /// None in practice: the kernel accepts every signal.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventWaitResult};
    /// use std::time::Duration;
    ///
    /// let event = Event::new()?;
    /// event.signal()?;
    /// event.signal()?;
    /// assert_eq!(event.wait_timeout(Duration::ZERO)?, EventWaitResult::Signaled);
    /// assert_eq!(event.wait_timeout(Duration::ZERO)?, EventWaitResult::TimedOut);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn signal(&self) -> Result<()> {
        sys::eventfd::add_one(self.fd.as_fd())
    }

    /// Blocks until the event is signaled, then clears it.
    ///
    /// If it is signaled already, returns at once. Signals (the Unix kind) do not end the wait.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = eventctx::Event::new()?;
    /// event.signal()?;
    /// event.wait()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait(&self) -> Result<()> {
        self.wait_until(Deadline::new(None)).map(drop)
    }

    /// Blocks until the event is signaled, then clears it, or until `timeout` has passed.
    ///
    /// Returns [`EventWaitResult::TimedOut`] only once `timeout` has passed; a wait interrupted
    /// by a signal resumes with the time that remains. `Duration::ZERO` checks without
    /// blocking and `Duration::MAX` waits forever.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventWaitResult};
    /// use std::time::Duration;
    ///
    /// let event = Event::new()?;
    /// assert_eq!(event.wait_timeout(Duration::from_millis(1))?, EventWaitResult::TimedOut);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> Result<EventWaitResult> {
        self.wait_until(Deadline::new(Some(timeout)))
    }

    /// Clears the event without blocking, whether it was signaled or not.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventWaitResult};
    /// use std::time::Duration;
    ///
    /// let event = Event::new()?;
    /// event.reset()?; // not signaled: nothing to do
    /// event.signal()?;
    /// event.reset()?;
    /// assert_eq!(event.wait_timeout(Duration::ZERO)?, EventWaitResult::TimedOut);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reset(&self) -> Result<()> {
        sys::read_counter(self.fd.as_fd()).map(drop)
    }

    /// Makes another handle to the same event: a signal through either is seen by both.
    ///
    /// # Errors
    ///
    /// `EMFILE` when the process is out of descriptors.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = eventctx::Event::new()?;
    /// let clone = event.try_clone()?;
    /// clone.signal()?;
    /// event.wait()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> Result<Event> {
        Ok(Event {
            fd: self.fd.try_clone()?,
        })
    }

    fn wait_until(&self, mut deadline: Deadline) -> Result<EventWaitResult> {
        loop {
            if sys::read_counter(self.fd.as_fd())?.is_some() {
                return Ok(EventWaitResult::Signaled);
            }
            // Not signaled, or a clone cleared it between the wake-up and the read.
            if !sys::wait_readable(self.fd.as_fd(), &mut deadline)? {
                return Ok(EventWaitResult::TimedOut);
            }
        }
    }
}

impl AsFd for Event {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Event {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
