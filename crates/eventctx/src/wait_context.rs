//! The portable front: `WaitContext`, `EventType` and `TriggeredEvent`.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

use smallvec::SmallVec;

use crate::{AsRawDescriptor, EVENT_CONTEXT_MAX_EVENTS, EventContext, EventToken, Events, Result};

/// Which readiness a context watches a descriptor for.
///
/// Hang-ups and errors are reported whatever is chosen, `None` included.
///
/// # Examples
///
/// ```
/// use std::os::unix::net::UnixStream;
/// use std::time::Duration;
/// use eventctx::{EventContext, EventType};
///
/// let (a, _b) = UnixStream::pair()?;
/// let ctx: EventContext<u8> = EventContext::new()?;
/// ctx.add_for_event(&a, EventType::Read, 1)?;
/// assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty()); // nothing to read yet
/// ctx.modify(&a, EventType::Write, 1)?;
/// assert!(ctx.wait()?[0].is_writable); // but room to write
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    /// Nothing but hang-ups and errors: the descriptor stays added but is muted.
    None,
    /// Readable, and the peer's half-close (reported as a hang-up).
    Read,
    /// Writable.
    Write,
    /// Readable or writable.
    ReadWrite,
}

/// One ready descriptor, as a wait reports it.
///
/// At least one of the flags is set. Several may be: a socket can be readable and hung up at
/// once when its peer sent data and then closed; read what is left before deleting it.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use eventctx::EventContext;
///
/// let (mut near, mut far) = UnixStream::pair()?;
/// let ctx = EventContext::build_with(&[(&near, 3u32)])?;
/// far.write_all(b"bye")?;
/// drop(far);
///
/// let event = ctx.wait()?[0];
/// assert_eq!(event.token, 3);
/// assert!(event.is_readable && event.is_hungup); // data left, and the peer is gone
/// let mut rest = Vec::new();
/// near.read_to_end(&mut rest)?; // read what is left, then delete
/// ctx.delete(&near)?;
/// assert_eq!(rest, b"bye");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TriggeredEvent<T: EventToken> {
    /// The token the descriptor was added (or last modified) with.
    pub token: T,
    /// Data can be read without blocking (`EPOLLIN`).
    pub is_readable: bool,
    /// Data can be written without blocking (`EPOLLOUT`).
    pub is_writable: bool,
    /// The peer hung up or shut down its writing side (`EPOLLHUP` or `EPOLLRDHUP`). Remove the
    /// descriptor once what is left has been read, or the next wait reports it again at once.
    pub is_hungup: bool,
    /// An error condition is pending on the descriptor (`EPOLLERR`), for example on the write
    /// end of a pipe whose read end is closed. Reading or writing it shows the error.
    pub is_error: bool,
}

/// Watches many descriptors at once: the portable name for [`EventContext`].
///
/// It has the same methods, with the same behaviour, and forwards every call to the
/// platform's context; write code against `WaitContext` to keep it independent of the
/// back-end.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use eventctx::{Event, EventToken, Timer, WaitContext};
///
/// #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
/// enum Token {
///     Quit,
///     Tick,
/// }
///
/// let quit = Event::new()?;
/// let mut tick = Timer::new()?;
/// tick.reset_repeating(Duration::from_millis(1))?;
/// let ctx = WaitContext::build_with(&[(&quit, Token::Quit), (&tick, Token::Tick)])?;
///
/// let mut ticks = 0;
/// 'run: loop {
///     for event in ctx.wait()? {
///         match event.token {
///             Token::Tick => {
///                 tick.mark_waited()?;
///                 ticks += 1;
///                 if ticks == 3 {
///                     quit.signal()?;
///                 }
///             }
///             Token::Quit => break 'run,
///         }
///     }
/// }
/// assert_eq!(ticks, 3);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct WaitContext<T: EventToken>(pub(crate) EventContext<T>);

impl<T: EventToken> WaitContext<T> {
    /// Creates a new, empty context. See [`EventContext::new`].
    ///
    /// # Errors
    ///
    /// `EMFILE` or `ENFILE` when out of descriptors, `ENOMEM` when out of memory.
    ///
    /// # Examples
    ///
    /// ```
    /// let ctx: eventctx::WaitContext<u32> = eventctx::WaitContext::new()?;
    /// assert!(ctx.wait_timeout(std::time::Duration::ZERO)?.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> Result<WaitContext<T>> {
        EventContext::new().map(WaitContext)
    }

    /// Creates a new context holding each descriptor with its token, watched for readable
    /// events. See [`EventContext::build_with`].
    ///
    /// # Errors
    ///
    /// Those of [`new`](Self::new) and [`add`](Self::add).
    ///
    /// # Examples
    ///
    /// ```
    /// let quit = eventctx::Event::new()?;
    /// let ctx = eventctx::WaitContext::build_with(&[(&quit, 0u8)])?;
    /// quit.signal()?;
    /// assert_eq!(ctx.wait()?[0].token, 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn build_with(fd_tokens: &[(&dyn AsRawDescriptor, T)]) -> Result<WaitContext<T>> {
        EventContext::build_with(fd_tokens).map(WaitContext)
    }

    /// Adds each descriptor with its token, watched for readable events; stops at the first
    /// error. See [`EventContext::add_many`].
    ///
    /// # Errors
    ///
    /// Those of [`add`](Self::add).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = (eventctx::Event::new()?, eventctx::Event::new()?);
    /// let ctx: eventctx::WaitContext<u8> = eventctx::WaitContext::new()?;
    /// ctx.add_many(&[(&a, 1), (&b, 2)])?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn add_many(&self, fd_tokens: &[(&dyn AsRawDescriptor, T)]) -> Result<()> {
        self.0.add_many(fd_tokens)
    }

    /// Adds a descriptor watched for readable events. See [`EventContext::add`].
    ///
    /// # Errors
    ///
    /// `EEXIST` if already added, `EBADF` if not open, `EPERM` for a regular file or
    /// directory, `EINVAL` for the context itself.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = eventctx::Event::new()?;
    /// let ctx: eventctx::WaitContext<u8> = eventctx::WaitContext::new()?;
    /// ctx.add(&event, 1)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn add(&self, fd: &dyn AsRawDescriptor, token: T) -> Result<()> {
        self.0.add(fd, token)
    }

    /// Adds a descriptor watched for `event_type`. See [`EventContext::add_for_event`].
    ///
    /// # Errors
    ///
    /// As for [`add`](Self::add).
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{EventType, WaitContext};
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let ctx: WaitContext<u8> = WaitContext::new()?;
    /// ctx.add_for_event(&a, EventType::ReadWrite, 1)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn add_for_event(
        &self,
        descriptor: &dyn AsRawDescriptor,
        event_type: EventType,
        token: T,
    ) -> Result<()> {
        self.0.add_for_event(descriptor, event_type, token)
    }

    /// Replaces the watched events and the token of a descriptor already added. See
    /// [`EventContext::modify`].
    ///
    /// # Errors
    ///
    /// `ENOENT` if the descriptor is not in the context, `EBADF` if it is not open.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventType, WaitContext};
    /// let event = Event::new()?;
    /// let ctx: WaitContext<u8> = WaitContext::new()?;
    /// ctx.add(&event, 1)?;
    /// ctx.modify(&event, EventType::None, 2)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn modify(&self, fd: &dyn AsRawDescriptor, event_type: EventType, token: T) -> Result<()> {
        self.0.modify(fd, event_type, token)
    }

    /// Stops watching a descriptor; one that is not watched is not an error. See
    /// [`EventContext::delete`].
    ///
    /// # Errors
    ///
    /// `EBADF` if the descriptor is not open, `EPERM` for a regular file or directory,
    /// `EINVAL` for the context itself.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = eventctx::Event::new()?;
    /// let ctx = eventctx::WaitContext::build_with(&[(&event, 1u8)])?;
    /// ctx.delete(&event)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn delete(&self, fd: &dyn AsRawDescriptor) -> Result<()> {
        self.0.delete(fd)
    }

    /// Blocks until a descriptor is ready; returns up to 16 events. See [`EventContext::wait`].
    ///
    /// # Errors
    ///
    /// Only for a broken context, which the type does not allow.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = eventctx::Event::new()?;
    /// let ctx = eventctx::WaitContext::build_with(&[(&event, 1u8)])?;
    /// event.signal()?;
    /// assert_eq!(ctx.wait()?[0].token, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait(&self) -> Result<SmallVec<[TriggeredEvent<T>; EVENT_CONTEXT_MAX_EVENTS]>> {
        self.0.wait()
    }

    /// Like [`wait`](Self::wait), giving up after `timeout`. See [`EventContext::wait_timeout`].
    ///
    /// # Errors
    ///
    /// As for [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// let ctx: eventctx::WaitContext<u8> = eventctx::WaitContext::new()?;
    /// assert!(ctx.wait_timeout(std::time::Duration::from_micros(500))?.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait_timeout(
        &self,
        timeout: Duration,
    ) -> Result<SmallVec<[TriggeredEvent<T>; EVENT_CONTEXT_MAX_EVENTS]>> {
        self.0.wait_timeout(timeout)
    }

    /// Fills a reusable buffer with up to its capacity of ready descriptors, waiting at most
    /// `timeout` (`None`: forever). See [`EventContext::wait_into`].
    ///
    /// # Errors
    ///
    /// As for [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// let event = eventctx::Event::new()?;
    /// let ctx = eventctx::WaitContext::build_with(&[(&event, 1u8)])?;
    /// let mut events = eventctx::Events::with_capacity(32);
    /// event.signal()?;
    /// assert_eq!(ctx.wait_into(&mut events, None)?, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait_into(&self, events: &mut Events<T>, timeout: Option<Duration>) -> Result<usize> {
        self.0.wait_into(events, timeout)
    }
}

// By hand: a derive would ask `T: Debug`, though no token is shown.
impl<T: EventToken> std::fmt::Debug for WaitContext<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("WaitContext").field(&self.0).finish()
    }
}

impl<T: EventToken> AsFd for WaitContext<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl<T: EventToken> AsRawFd for WaitContext<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}
