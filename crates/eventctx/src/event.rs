//! `Event`: a counter that wakes waiters (an eventfd on Linux, a socket pair on kqueue
//! platforms).

use std::time::Duration;

use crate::sys::{self, time::Deadline};
use crate::{AsRawDescriptor, Result};

/// A wake-up signal that can be waited on directly or through a context.
///
/// An `Event` is signaled by [`signal`](Event::signal), which makes it readable, and cleared by
/// [`wait`](Event::wait) or [`reset`](Event::reset). Signals do not queue: several signals
/// before a wait are one wake-up. Clones made with [`try_clone`](Event::try_clone) share the
/// same signal, so one thread can signal while another waits.
///
/// On Linux it is an eventfd, created close-on-exec and closed on drop. The descriptor itself
/// is blocking, so that another process it is handed to (a vhost-user back-end, a KVM irqfd)
/// can block on it; the calls here that must not block ([`reset`](Event::reset),
/// [`wait_timeout`](Event::wait_timeout)) read it without blocking per call, and never wait past
/// their timeout, even when a clone or another process takes the count first.
///
/// On macOS and the BSDs it is a Unix datagram socket pair, both ends close-on-exec and
/// blocking; a context watches one end, a signal is a datagram sent from the other. The calls
/// here read and send without blocking per call (`MSG_DONTWAIT`), as on Linux.
///
/// On Linux an `Event` can be made from an `OwnedFd` that is an eventfd (say, one received
/// over a Unix socket) and turned back into one. Two `Event`s are equal when they hold the same
/// descriptor number; a clone holds another number, so it is not equal to the original.
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
    pub(crate) inner: sys::event::Event,
}

/// The same descriptor number: the same handle (a clone is another handle).
impl PartialEq for Event {
    fn eq(&self, other: &Event) -> bool {
        self.as_raw_descriptor() == other.as_raw_descriptor()
    }
}

impl Eq for Event {}

impl std::hash::Hash for Event {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_raw_descriptor().hash(state);
    }
}

/// How [`Event::wait_timeout`] ended.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use eventctx::{Event, EventWaitResult};
///
/// let event = Event::new()?;
/// match event.wait_timeout(Duration::from_millis(1))? {
///     EventWaitResult::Signaled => unreachable!("nobody signaled it"),
///     EventWaitResult::TimedOut => {}
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[must_use = "a wait that timed out did not clear a signal"]
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
            inner: sys::event::Event::new()?,
        })
    }

    /// Signals the event: it becomes readable, and wakes whoever waits on it.
    ///
    /// Signaling an event that is signaled already leaves it signaled (the count goes up by
    /// one).
    ///
    /// # Errors
    ///
    /// None in practice. A count at its maximum (`u64::MAX - 1`, which only
    /// [`EventExt::write_count`] can bring it near) blocks the call until a reader takes it, as
    /// for any writer of an eventfd.
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
        self.inner.signal(1)
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
        self.inner.read_blocking().map(drop)
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
        self.inner.read_nowait().map(drop)
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
            inner: self.inner.try_clone()?,
        })
    }

    fn wait_until(&self, mut deadline: Deadline) -> Result<EventWaitResult> {
        loop {
            if self.inner.read_nowait()?.is_some() {
                return Ok(EventWaitResult::Signaled);
            }
            // Not signaled, or a clone cleared it between the wake-up and the read.
            if !self.inner.wait_readable(&mut deadline)? {
                return Ok(EventWaitResult::TimedOut);
            }
        }
    }
}

/// crosvm's names for reading and writing an [`Event`]'s count.
///
/// An eventfd's count is a number, not only a flag: [`write_count`](EventExt::write_count)
/// adds to it, and [`read_count`](EventExt::read_count) takes it whole, setting it to zero.
/// [`Event::signal`] is `write_count(1)`.
///
/// # Examples
///
/// ```ignore-windows
/// use eventctx::{Event, EventExt};
///
/// let event = Event::new()?;
/// event.write_count(2)?;
/// event.write_count(3)?;
/// assert_eq!(event.read_count()?, 5);
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait EventExt {
    /// Adds `v` to the count, which makes the event readable when `v` is not zero.
    ///
    /// # Errors
    ///
    /// `EINVAL` when `v` is `u64::MAX`, which an eventfd cannot hold. A count that would pass
    /// `u64::MAX - 1` blocks the call until a reader takes it.
    ///
    /// # Examples
    ///
    /// ```ignore-windows
    /// use eventctx::{Event, EventExt};
    /// let event = Event::new()?;
    /// event.write_count(7)?;
    /// assert_eq!(event.write_count(u64::MAX).unwrap_err().raw_os_error(), Some(22)); // EINVAL
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn write_count(&self, v: u64) -> Result<()>;

    /// Takes the count, leaving zero; blocks until it is not zero.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// ```ignore-windows
    /// use eventctx::{Event, EventExt};
    /// let event = Event::new()?;
    /// let writer = event.try_clone()?;
    /// std::thread::spawn(move || writer.write_count(3));
    /// assert_eq!(event.read_count()?, 3); // blocks until the other thread writes
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn read_count(&self) -> Result<u64>;
}

impl EventExt for Event {
    fn write_count(&self, v: u64) -> Result<()> {
        self.inner.signal(v)
    }

    fn read_count(&self) -> Result<u64> {
        self.inner.read_blocking()
    }
}
