//! `EventContext`: a set of watched descriptors, each with a token.

use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::sync::Mutex;
use std::time::Duration;

use smallvec::SmallVec;

use crate::sys;
use crate::{
    AsRawDescriptor, EventToken, EventType, Events, Interest, RawDescriptor, Result, TriggeredEvent,
};

/// The most events one [`EventContext::wait`] returns. When more descriptors are ready, the
/// next wait returns the others.
///
/// # Examples
///
/// ```
/// use eventctx::{EVENT_CONTEXT_MAX_EVENTS, Event, EventContext};
///
/// let events: Vec<Event> = (0..20).map(|_| Event::new()).collect::<std::io::Result<_>>()?;
/// let ctx: EventContext<usize> = EventContext::new()?;
/// for (i, event) in events.iter().enumerate() {
///     ctx.add(event, i)?;
///     event.signal()?;
/// }
/// assert_eq!(ctx.wait()?.len(), EVENT_CONTEXT_MAX_EVENTS); // 16 of the 20
/// # Ok::<(), std::io::Error>(())
/// ```
pub const EVENT_CONTEXT_MAX_EVENTS: usize = 16;

/// Watches many descriptors at once and reports which are ready, by the token each was added
/// with.
///
/// On Linux this is an epoll instance. Events are level-triggered: a descriptor is reported by
/// every wait for as long as it is ready. [`WaitContext`](crate::WaitContext) is the same type
/// behind the portable front; use either.
///
/// A context is `Send` and `Sync` when its token is `Send`: one thread may wait while others
/// add, modify and delete descriptors. The context is itself a descriptor, readable when any
/// of its descriptors is ready, so it can be added to another context.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::net::{TcpListener, TcpStream};
/// use eventctx::EventContext;
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let mut far = TcpStream::connect(listener.local_addr()?)?;
/// let (mut near, _) = listener.accept()?;
/// let ctx: EventContext<u32> = EventContext::new()?;
/// ctx.add(&near, 1)?;
///
/// far.write_all(b"hi")?;
/// let events = ctx.wait()?;
/// assert_eq!(events[0].token, 1);
/// assert!(events[0].is_readable);
///
/// let mut buf = [0; 2];
/// near.read_exact(&mut buf)?;
/// assert_eq!(&buf, b"hi");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Deleting during a batch
///
/// A wait returns a batch of events taken at one moment. If the handler of one event deletes
/// (or closes) *another* descriptor, the batch may still hold an event for it, and that event
/// reaches the loop after the delete. It is stale, and worse when its token has been given to
/// a new descriptor meanwhile (a connection slot reused, a number the system gave out again):
/// the new descriptor's handler then runs for readiness it never had, and may block on a read
/// or drop a connection that did nothing wrong. The context cannot take the event back; the
/// loop forgets it:
///
/// - with [`wait`](Self::wait) (a `SmallVec`), take the events one at a time from the front,
///   and `retain` the rest without the deleted token;
/// - with [`wait_into`](Self::wait_into), call [`Events::forget`] with the deleted token, and
///   go through the batch with [`Events::get`], which skips what was forgotten.
///
/// A descriptor that deletes *itself* needs nothing: each descriptor is reported once per
/// batch.
///
/// ```
/// use eventctx::{Event, EventContext, EventToken};
///
/// #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
/// enum Token {
///     Control,
///     Client(u32),
/// }
///
/// let control = Event::new()?;
/// let client = Event::new()?;
/// let ctx = EventContext::build_with(&[(&control, Token::Control), (&client, Token::Client(0))])?;
/// control.signal()?; // "drop client 0"
/// client.signal()?;
///
/// let mut events = ctx.wait()?;
/// let mut handled = Vec::new();
/// while !events.is_empty() {
///     let event = events.remove(0);
///     handled.push(event.token);
///     if event.token == Token::Control {
///         control.reset()?;
///         ctx.delete(&client)?;
///         events.retain(|e| e.token != Token::Client(0)); // its event is stale now
///     }
/// }
/// // Whichever came first in the batch, client 0 was not handled after its delete.
/// let control_at = handled.iter().position(|t| *t == Token::Control).unwrap();
/// assert!(!handled[control_at..].contains(&Token::Client(0)));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct EventContext<T> {
    pub(crate) poller: sys::Poller,
    // Tokens go in and come out by value and are never shared between threads by reference,
    // so the context may be sent and shared whenever `T` may be sent: the auto traits of
    // `Mutex<T>` say exactly that.
    tokens: PhantomData<Mutex<T>>,
}

impl<T: EventToken> EventContext<T> {
    /// Creates a new, empty context.
    ///
    /// The context's descriptor is close-on-exec, and is closed when the context is dropped.
    ///
    /// # Errors
    ///
    /// `EMFILE` or `ENFILE` when the process or the system is out of descriptors, `ENOMEM`
    /// when the kernel is out of memory.
    ///
    /// # Examples
    ///
    /// ```
    /// let ctx: eventctx::EventContext<u64> = eventctx::EventContext::new()?;
    /// assert!(ctx.wait_timeout(std::time::Duration::ZERO)?.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// [`epoll_create1(2)`](https://man7.org/linux/man-pages/man2/epoll_create1.2.html)
    #[doc(alias = "epoll_create1")]
    pub fn new() -> Result<EventContext<T>> {
        Ok(EventContext {
            poller: sys::Poller::new()?,
            tokens: PhantomData,
        })
    }

    /// Creates a new context and adds each descriptor with its token, watching for readable
    /// events.
    ///
    /// The same as [`new`](Self::new) followed by [`add_many`](Self::add_many).
    ///
    /// # Errors
    ///
    /// Those of [`new`](Self::new) and [`add`](Self::add). On error no context is returned;
    /// the half-built one is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventContext};
    ///
    /// let (a, b) = (Event::new()?, Event::new()?);
    /// let ctx = EventContext::build_with(&[(&a, 'a' as u32), (&b, 'b' as u32)])?;
    /// b.signal()?;
    /// assert_eq!(ctx.wait()?[0].token, 'b' as u32);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn build_with(fd_tokens: &[(&dyn AsRawDescriptor, T)]) -> Result<EventContext<T>> {
        let ctx = EventContext::new()?;
        ctx.add_many(fd_tokens)?;
        Ok(ctx)
    }

    /// Adds each descriptor with its token, watching for readable events.
    ///
    /// The same as calling [`add`](Self::add) for each pair, in order.
    ///
    /// # Errors
    ///
    /// Those of [`add`](Self::add). The first error stops the loop: the pairs before it stay
    /// added, the one that failed and those after it are not.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventContext};
    ///
    /// let events = [Event::new()?, Event::new()?, Event::new()?];
    /// let ctx: EventContext<usize> = EventContext::new()?;
    /// ctx.add_many(&[(&events[0], 0), (&events[1], 1), (&events[2], 2)])?;
    /// events[2].signal()?;
    /// assert_eq!(ctx.wait()?[0].token, 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn add_many(&self, fd_tokens: &[(&dyn AsRawDescriptor, T)]) -> Result<()> {
        for (fd, token) in fd_tokens {
            self.add_raw(
                fd.as_raw_descriptor(),
                Interest::new(EventType::Read),
                token,
            )?;
        }
        Ok(())
    }

    /// Adds a descriptor, watching for readable events, and names it with `token`.
    ///
    /// Read interest covers the peer's half-close too: a socket whose peer shut down its
    /// writing side is reported readable with `is_read_closed` (read until 0, then delete it);
    /// `is_hungup` means a full hang-up, as in crosvm.
    ///
    /// Set a socket non-blocking (`set_nonblocking(true)`) before adding it: a wait reports
    /// what was ready then, and a read or write on a blocking socket can still block. The
    /// context does not change the descriptor's mode.
    ///
    /// The descriptor is not kept open by the context. When every descriptor for the same open
    /// file is closed, the kernel stops watching it; but if it was duplicated (`dup`, `fork`),
    /// it is still watched while a copy is open, so delete it before closing it.
    ///
    /// # Errors
    ///
    /// - `EEXIST`: the descriptor is in this context already (use [`modify`](Self::modify)).
    /// - `EBADF`: the descriptor is negative or not open.
    /// - `EPERM`: the descriptor cannot be watched (a regular file or a directory).
    /// - `EINVAL`: the descriptor is this context itself.
    /// - `ELOOP`: adding it would nest contexts in a cycle or too deeply.
    /// - `ENOSPC`: the per-user limit on watched descriptors is reached.
    ///
    /// On Windows: `ERROR_ALREADY_EXISTS` for the first, `ERROR_INVALID_HANDLE` for the
    /// second, `ERROR_ACCESS_DENIED` for a disk file; `Unsupported` (with the reason in the
    /// message) for another context (a completion port cannot be waited for), a console, and
    /// the read end of a pipe opened for synchronous I/O (`std::io::pipe`, `CreatePipe`: only
    /// overlapped pipes, as std makes a child's, can be watched). See the [platforms] page.
    ///
    /// [platforms]: crate::platforms
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventContext};
    ///
    /// let event = Event::new()?;
    /// let ctx: EventContext<u8> = EventContext::new()?;
    /// ctx.add(&event, 9)?;
    /// let again = ctx.add(&event, 9).unwrap_err();
    /// assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
    /// #[cfg(unix)]
    /// assert_eq!(again.raw_os_error(), Some(17)); // EEXIST
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// [`epoll_ctl(2)`](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[doc(alias = "epoll_ctl")]
    pub fn add(&self, fd: &dyn AsRawDescriptor, token: T) -> Result<()> {
        self.add_raw(
            fd.as_raw_descriptor(),
            Interest::new(EventType::Read),
            &token,
        )
    }

    /// Adds a descriptor, watching for the events of `event_type`, and names it with `token`.
    ///
    /// `EventType::None` watches for nothing but hang-ups and errors, which the kernel always
    /// reports; use [`modify`](Self::modify) later to watch for more.
    ///
    /// # Errors
    ///
    /// As for [`add`](Self::add).
    ///
    /// # Examples
    ///
    /// ```ignore-windows
    /// use std::os::unix::net::UnixStream;
    /// use eventctx::{EventContext, EventType};
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// let ctx: EventContext<u32> = EventContext::new()?;
    /// ctx.add_for_event(&a, EventType::Write, 5)?;
    /// let events = ctx.wait()?; // an empty socket buffer has room
    /// assert!(events[0].is_writable && !events[0].is_readable);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "epoll_ctl")]
    pub fn add_for_event(
        &self,
        descriptor: &dyn AsRawDescriptor,
        event_type: EventType,
        token: T,
    ) -> Result<()> {
        self.add_raw(
            descriptor.as_raw_descriptor(),
            Interest::new(event_type),
            &token,
        )
    }

    /// Replaces the events watched for on a descriptor already added, and its token.
    ///
    /// # Errors
    ///
    /// - `ENOENT`: the descriptor is not in this context.
    /// - `EBADF`: the descriptor is negative or not open.
    /// - `EPERM`, `EINVAL`: as for [`add`](Self::add).
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventContext, EventType};
    /// use std::time::Duration;
    ///
    /// let event = Event::new()?;
    /// let ctx: EventContext<u32> = EventContext::new()?;
    /// ctx.add(&event, 1)?;
    /// event.signal()?;
    ///
    /// ctx.modify(&event, EventType::None, 1)?; // mute it
    /// assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty());
    ///
    /// ctx.modify(&event, EventType::Read, 2)?; // listen again, under a new token
    /// assert_eq!(ctx.wait()?[0].token, 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "epoll_ctl")]
    pub fn modify(&self, fd: &dyn AsRawDescriptor, event_type: EventType, token: T) -> Result<()> {
        self.poller.modify(
            fd.as_raw_descriptor(),
            Interest::new(event_type),
            token.as_raw_token(),
        )
    }

    /// Adds a descriptor with an [`Interest`]: what to watch for, and how to report it
    /// (level, edge, one-shot, exclusive; with or without priority data).
    ///
    /// `add_with(fd, Interest::new(event_type), token)` is
    /// [`add_for_event`](Self::add_for_event). [`Interest`] says when to use each mode, and
    /// the trap of each.
    ///
    /// # Errors
    ///
    /// As for [`add`](Self::add), and `EINVAL` for an exclusive interest that is also one-shot
    /// or priority.
    ///
    /// # Examples
    ///
    /// ```ignore-windows
    /// use std::time::Duration;
    /// use eventctx::{Event, EventContext, EventType, Interest};
    ///
    /// let event = Event::new()?;
    /// let ctx: EventContext<u8> = EventContext::new()?;
    /// ctx.add_with(&event, Interest::new(EventType::Read).edge(), 1)?;
    /// event.signal()?;
    /// assert_eq!(ctx.wait()?.len(), 1);
    /// assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty()); // edge: reported once
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "epoll_ctl")]
    pub fn add_with(
        &self,
        descriptor: &dyn AsRawDescriptor,
        interest: Interest,
        token: T,
    ) -> Result<()> {
        self.add_raw(descriptor.as_raw_descriptor(), interest, &token)
    }

    /// Replaces the [`Interest`] and the token of a descriptor already added; re-arms a
    /// one-shot descriptor.
    ///
    /// # Errors
    ///
    /// As for [`modify`](Self::modify), and `EINVAL` for an exclusive interest (the kernel
    /// allows `EPOLLEXCLUSIVE` only when adding).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use eventctx::{Event, EventContext, EventType, Interest};
    ///
    /// let event = Event::new()?;
    /// let ctx: EventContext<u8> = EventContext::new()?;
    /// let once = Interest::new(EventType::Read).oneshot();
    /// ctx.add_with(&event, once, 1)?;
    /// event.signal()?;
    /// assert_eq!(ctx.wait()?.len(), 1);
    /// assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty()); // disarmed
    /// ctx.modify_with(&event, once, 1)?;
    /// assert_eq!(ctx.wait()?.len(), 1); // still signaled: reported again
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "epoll_ctl")]
    pub fn modify_with(
        &self,
        descriptor: &dyn AsRawDescriptor,
        interest: Interest,
        token: T,
    ) -> Result<()> {
        self.poller.modify(
            descriptor.as_raw_descriptor(),
            interest,
            token.as_raw_token(),
        )
    }

    /// Stops watching a descriptor.
    ///
    /// A descriptor that is not in this context is not an error: the call does nothing.
    ///
    /// A descriptor reported hung up stays hung up: delete it (or close it, if it was never
    /// duplicated), or every wait returns at once with it again, a busy loop at ~100% CPU.
    ///
    /// # Errors
    ///
    /// - `EBADF`: the descriptor is negative or not open.
    /// - `EPERM`: the descriptor can never be watched (a regular file or a directory); the
    ///   kernel refuses it before it looks for it.
    /// - `EINVAL`: the descriptor is this context itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventContext};
    /// use std::time::Duration;
    ///
    /// let event = Event::new()?;
    /// let ctx: EventContext<u32> = EventContext::new()?;
    /// ctx.add(&event, 1)?;
    /// event.signal()?;
    /// ctx.delete(&event)?;
    /// assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty());
    /// ctx.delete(&event)?; // not watched any more: still Ok
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "epoll_ctl")]
    pub fn delete(&self, fd: &dyn AsRawDescriptor) -> Result<()> {
        self.poller.delete(fd.as_raw_descriptor())
    }

    /// Blocks until at least one descriptor is ready, and returns up to
    /// [`EVENT_CONTEXT_MAX_EVENTS`] (16) of them.
    ///
    /// Events are level-triggered: a descriptor whose readiness was not consumed (data not
    /// read, [`Event`](crate::Event) not reset, hang-up not handled by deleting or closing) is
    /// reported again by the next wait at once. Calling `wait` in a loop without consuming
    /// turns the loop into a busy loop at ~100% CPU. When more than 16 descriptors are ready,
    /// the next wait reports the others first.
    ///
    /// Signals do not end the wait: when a signal handler interrupts it, it resumes.
    ///
    /// The list is returned by value, its 16 slots inline (272 bytes with a `u64` token).
    /// `let events = ctx.wait()?;` moves it once more, a 256-byte copy; a loop that counts
    /// instructions can borrow it instead (`match &result { Ok(events) => .., Err(e) => .. }`),
    /// or use [`wait_into`](Self::wait_into), which fills a buffer it keeps.
    ///
    /// # Errors
    ///
    /// Only what the kernel reports for a broken context (`EBADF`, `EINVAL`), which the type
    /// does not allow to happen.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{Event, EventContext};
    ///
    /// let event = Event::new()?;
    /// let ctx = EventContext::build_with(&[(&event, 0u32)])?;
    /// event.signal()?;
    /// assert_eq!(ctx.wait()?.len(), 1);
    /// assert_eq!(ctx.wait()?.len(), 1); // still signaled: reported again
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// [`epoll_wait(2)`](https://man7.org/linux/man-pages/man2/epoll_wait.2.html)
    #[doc(alias = "epoll_wait")]
    pub fn wait(&self) -> Result<SmallVec<[TriggeredEvent<T>; EVENT_CONTEXT_MAX_EVENTS]>> {
        self.wait_for(None)
    }

    /// Like [`wait`](Self::wait), but returns an empty list once `timeout` has passed with no
    /// descriptor ready.
    ///
    /// It never returns empty before `timeout` has passed, and a wait interrupted by a signal
    /// resumes with the time that remains. A timeout with a fraction of a millisecond is
    /// waited to the microsecond on Linux (through `ppoll`, one more call when events come)
    /// and kqueue, rounded up to the next millisecond on Windows; never down to zero. `Duration::ZERO` checks without blocking,
    /// and `Duration::MAX` waits forever. A timeout longer than one kernel call can hold
    /// (about 24.8 days) is waited out in several.
    ///
    /// # Errors
    ///
    /// As for [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use eventctx::{Event, EventContext};
    ///
    /// let event = Event::new()?;
    /// let ctx = EventContext::build_with(&[(&event, 0u32)])?;
    /// let start = Instant::now();
    /// assert!(ctx.wait_timeout(Duration::from_millis(3))?.is_empty());
    /// assert!(start.elapsed() >= Duration::from_millis(3));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "epoll_wait")]
    #[inline(always)]
    pub fn wait_timeout(
        &self,
        timeout: Duration,
    ) -> Result<SmallVec<[TriggeredEvent<T>; EVENT_CONTEXT_MAX_EVENTS]>> {
        self.wait_for(Some(timeout))
    }

    /// Blocks until at least one descriptor is ready, or `timeout` passes, and fills `events`
    /// with as many ready descriptors as it holds. Returns how many (0 when the timeout
    /// passed).
    ///
    /// The batch form of [`wait_timeout`](Self::wait_timeout): one system call reports up to
    /// [`events.capacity()`](Events::capacity) descriptors, where `wait` reports 16. The
    /// buffer's earlier contents are replaced, and nothing is allocated. `None` waits forever;
    /// a timeout behaves as for [`wait_timeout`](Self::wait_timeout).
    ///
    /// # Errors
    ///
    /// As for [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use eventctx::{Event, EventContext, Events};
    ///
    /// let event = Event::new()?;
    /// let ctx = EventContext::build_with(&[(&event, 1u32)])?;
    /// let mut events = Events::with_capacity(64);
    ///
    /// assert_eq!(ctx.wait_into(&mut events, Some(Duration::ZERO))?, 0);
    /// event.signal()?;
    /// assert_eq!(ctx.wait_into(&mut events, Some(Duration::from_secs(1)))?, 1);
    /// assert_eq!(events.iter().next().map(|e| e.token), Some(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "epoll_wait")]
    #[inline]
    pub fn wait_into(&self, events: &mut Events<T>, timeout: Option<Duration>) -> Result<usize> {
        *events.handed.get_mut() = 0;
        self.poller.wait_vec(&mut events.ready.0, timeout)
    }

    fn add_raw(&self, fd: RawDescriptor, interest: Interest, token: &T) -> Result<()> {
        self.poller.add(fd, interest, token.as_raw_token())
    }

    #[inline(always)]
    fn wait_for(
        &self,
        timeout: Option<Duration>,
    ) -> Result<SmallVec<[TriggeredEvent<T>; EVENT_CONTEXT_MAX_EVENTS]>> {
        let mut buf = [MaybeUninit::<sys::ReadyEvent>::uninit(); EVENT_CONTEXT_MAX_EVENTS];
        let ready = self.poller.wait(&mut buf, timeout)?;
        let mut events = SmallVec::new();
        sys::fill_triggered(&mut events, ready);
        Ok(events)
    }
}

impl<T> fmt::Debug for EventContext<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventContext")
            .field("descriptor", &self.as_raw_descriptor())
            .finish()
    }
}
