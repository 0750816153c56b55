//! The words that fronts and back-ends share: what to watch for ([`EventType`], [`Interest`]),
//! and what a wait reports ([`TriggeredEvent`]). This module imports nothing of the fronts, so a
//! back-end can speak it without reaching up into them.

use crate::EventToken;

/// Which readiness a context watches a descriptor for.
///
/// Hang-ups and errors are reported whatever is chosen, `None` included.
///
/// # Examples
///
/// ```ignore-windows
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
    /// Readable, and the peer's half-close (reported as `is_read_closed`).
    Read,
    /// Writable.
    Write,
    /// Readable or writable.
    ReadWrite,
}

/// One ready descriptor, as a wait reports it.
///
/// At least one of the flags is set. Several may be: a socket whose peer sent data and then
/// shut down its writing side is readable and `is_read_closed` at once. Read until a read
/// returns 0, then delete it.
///
/// # Half-close and hang-up
///
/// | the peer | reported | a read |
/// |---|---|---|
/// | sent data | `is_readable` | returns the data |
/// | shut down its writing side (TCP FIN, `shutdown(Write)`, a TCP socket closed) | `is_readable`, `is_read_closed` | returns what is queued, then 0 |
/// | is gone both ways (a Unix socket or pipe closed, a TCP reset, both sides shut down) | `is_hungup`, `is_read_closed` (and `is_readable` while data is queued) | as above |
///
/// `is_hungup` is set exactly when crosvm sets it (`EPOLLHUP`), so a crosvm loop that deletes a
/// descriptor on `is_hungup` before reading it loses no data to a half-close.
///
/// The table is epoll's, which Windows follows for sockets. kqueue reports a full hang-up as
/// `is_hungup` only to write interest; to read interest it is `is_read_closed`, as a
/// half-close is (see the [platforms](crate::platforms) page).
///
/// # Examples
///
/// ```ignore-windows
/// use std::io::{Read, Write};
/// use std::net::Shutdown;
/// use std::os::unix::net::UnixStream;
/// use eventctx::EventContext;
///
/// let (mut near, mut far) = UnixStream::pair()?;
/// let ctx = EventContext::build_with(&[(&near, 3u32)])?;
/// far.write_all(b"bye")?;
/// far.shutdown(Shutdown::Write)?; // a half-close: `far` may still read
///
/// let event = ctx.wait()?[0];
/// assert_eq!(event.token, 3);
/// assert!(event.is_readable && event.is_read_closed && !event.is_hungup);
/// let mut rest = Vec::new();
/// near.read_to_end(&mut rest)?; // read what is left (up to the 0), then delete
/// assert_eq!(rest, b"bye");
///
/// drop(far); // now gone both ways: `is_hungup` too on Linux (kqueue: with write interest)
/// assert!(ctx.wait()?[0].is_read_closed);
/// ctx.delete(&near)?;
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
    /// The descriptor is hung up (`EPOLLHUP`): the peer is gone both ways (a pipe's or Unix
    /// socket's other end closed, a TCP connection reset or shut down in both directions).
    /// Data may still be queued: read it first if you want it. Remove the descriptor then, or
    /// the next wait reports it again at once. A half-close is not a hang-up: see
    /// [`is_read_closed`](TriggeredEvent::is_read_closed).
    pub is_hungup: bool,
    /// The peer will send nothing more (`EPOLLRDHUP` or `EPOLLHUP`): it shut down its writing
    /// side (a TCP FIN, `shutdown(Write)`) or hung up. What is queued can still be read, then
    /// a read returns 0. Reported with read interest, and set whenever `is_hungup` is; not
    /// reported with [`exclusive`](Interest::exclusive) read interest, where a half-close is
    /// only readable.
    pub is_read_closed: bool,
    /// An error condition is pending on the descriptor (`EPOLLERR`), for example on the write
    /// end of a pipe whose read end is closed. Reading or writing it shows the error.
    pub is_error: bool,
    /// Priority data can be read (`EPOLLPRI`): TCP urgent data, a `sysfs` attribute that
    /// changed, an exceptional condition. Reported only for descriptors added with
    /// [`Interest::priority`].
    pub is_priority: bool,
}

/// What a context watches a descriptor for, and how it reports it.
///
/// [`Interest::new`] is level-triggered, like [`EventContext::add_for_event`]: a descriptor is
/// reported by every wait while it is ready. The builder methods change how:
///
/// | mode | reported | use it for | the trap |
/// |---|---|---|---|
/// | level (default) | by every wait while ready | most loops | a readiness not consumed makes a busy loop |
/// | [`edge`](Interest::edge) | once per new readiness | few wake-ups per burst | read until `WouldBlock`, or the rest waits for the next readiness, maybe forever |
/// | [`oneshot`](Interest::oneshot) | once, then muted until re-armed | thread pools sharing a context | forget to re-arm with `modify_with` and the descriptor goes silent forever |
/// | [`exclusive`](Interest::exclusive) | to one of the contexts that watch it | a listener shared by per-thread contexts | add only; no `oneshot`, no `priority`, and a half-close shows as readable, without `is_read_closed` |
///
/// [`priority`](Interest::priority) adds urgent data (`EPOLLPRI`) to what is watched.
///
/// On macOS and the BSDs (kqueue) `edge` is `EV_CLEAR` and `oneshot` is `EV_DISPATCH`;
/// `priority`, `exclusive`, and one-shot interest in both directions are refused with
/// `io::ErrorKind::Unsupported` (see the [platforms](crate::platforms) page).
///
/// [`EventContext::add_for_event`]: crate::EventContext::add_for_event
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use eventctx::{Event, EventContext, EventType, Interest};
///
/// let event = Event::new()?;
/// let ctx: EventContext<u8> = EventContext::new()?;
/// ctx.add_with(&event, Interest::new(EventType::Read).oneshot(), 1)?;
/// event.signal()?;
/// assert_eq!(ctx.wait()?.len(), 1);
/// assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty()); // muted, though still signaled
/// ctx.modify_with(&event, Interest::new(EventType::Read).oneshot(), 1)?; // re-armed
/// assert_eq!(ctx.wait()?.len(), 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[must_use = "an Interest does nothing until it is passed to add_with or modify_with"]
pub struct Interest {
    event_type: EventType,
    edge: bool,
    oneshot: bool,
    priority: bool,
    exclusive: bool,
}

impl Interest {
    /// Level-triggered interest in `event_type`, as [`add_for_event`] watches.
    ///
    /// [`add_for_event`]: crate::EventContext::add_for_event
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{EventType, Interest};
    /// assert_eq!(Interest::new(EventType::Read), Interest::from(EventType::Read));
    /// ```
    pub const fn new(event_type: EventType) -> Interest {
        Interest {
            event_type,
            edge: false,
            oneshot: false,
            priority: false,
            exclusive: false,
        }
    }

    /// Edge-triggered (`EPOLLET`): a readiness is reported once, when it appears, and not again
    /// until the descriptor becomes ready anew (more data arrives, room to write opens up).
    ///
    /// Use it to be woken once per burst. **Read (or write) until `WouldBlock`** each time it
    /// is reported: what is left unread is not reported again, and if no more data comes, the
    /// rest waits forever.
    ///
    /// # Examples
    ///
    /// ```ignore-windows
    /// use std::time::Duration;
    /// use eventctx::{Event, EventContext, EventExt, EventType, Interest};
    ///
    /// let event = Event::new()?;
    /// let ctx: EventContext<u8> = EventContext::new()?;
    /// ctx.add_with(&event, Interest::new(EventType::Read).edge(), 1)?;
    /// event.signal()?;
    /// assert_eq!(ctx.wait()?.len(), 1);
    /// assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty()); // still readable, not new
    /// event.signal()?; // new readiness
    /// assert_eq!(ctx.wait()?.len(), 1);
    /// assert_eq!(event.read_count()?, 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub const fn edge(self) -> Interest {
        Interest { edge: true, ..self }
    }

    /// One-shot (`EPOLLONESHOT`): reported once, then muted until
    /// [`modify_with`](crate::EventContext::modify_with) re-arms it.
    ///
    /// Use it when several threads wait on one context: each readiness goes to exactly one of
    /// them, and no other thread hears of the descriptor until the one handling it re-arms it.
    /// **Re-arm it when done**: a descriptor that is never re-armed goes silent forever (it
    /// stays in the context; `add` again fails with `EEXIST`).
    ///
    /// # Examples
    ///
    /// See [`Interest`].
    pub const fn oneshot(self) -> Interest {
        Interest {
            oneshot: true,
            ..self
        }
    }

    /// Also watch for priority data (`EPOLLPRI`), reported with
    /// [`is_priority`](TriggeredEvent::is_priority): TCP urgent data (`MSG_OOB`), a changed
    /// `sysfs` attribute, a pseudo-terminal's state change.
    ///
    /// Linux only: kqueue and Windows refuse it with
    /// [`Unsupported`](std::io::ErrorKind::Unsupported) when it is added.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{EventType, Interest};
    /// let interest = Interest::new(EventType::Read).priority();
    /// assert_ne!(interest, Interest::new(EventType::Read));
    /// ```
    pub const fn priority(self) -> Interest {
        Interest {
            priority: true,
            ..self
        }
    }

    /// Exclusive wake-up (`EPOLLEXCLUSIVE`): when several contexts watch the same descriptor
    /// with it, a readiness wakes one of their waiters (or a few), not all of them.
    ///
    /// Use it for a listening socket shared by per-thread contexts, so that a new connection
    /// does not wake every thread. The kernel's rules, which this crate reports as `EINVAL`:
    /// it applies to [`add_with`](crate::EventContext::add_with) only, never to
    /// `modify_with`; it cannot be combined with [`oneshot`](Interest::oneshot) or
    /// [`priority`](Interest::priority). The kernel also refuses `EPOLLRDHUP` beside it, so
    /// with exclusive read interest a peer's half-close is reported as **readable** (a read
    /// returns 0), without `is_read_closed`; a full hang-up (`EPOLLHUP`) is still `is_hungup`.
    ///
    /// Linux only: kqueue and Windows refuse it with
    /// [`Unsupported`](std::io::ErrorKind::Unsupported) (the misuses above stay `EINVAL`).
    ///
    /// # Examples
    ///
    /// ```ignore-windows,ignore-apple,ignore-bsd,ignore-dragonfly
    /// use std::net::TcpListener;
    /// use eventctx::{EventContext, EventType, Interest};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let contexts: Vec<EventContext<u8>> =
    ///     (0..2).map(|_| EventContext::new()).collect::<std::io::Result<_>>()?;
    /// for ctx in &contexts {
    ///     ctx.add_with(&listener, Interest::new(EventType::Read).exclusive(), 0)?;
    /// }
    /// let err = contexts[0]
    ///     .modify_with(&listener, Interest::new(EventType::Read).exclusive(), 0)
    ///     .unwrap_err();
    /// assert_eq!(err.raw_os_error(), Some(22)); // EINVAL: add only
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub const fn exclusive(self) -> Interest {
        Interest {
            exclusive: true,
            ..self
        }
    }

    /// The readiness watched for.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{EventType, Interest};
    /// assert_eq!(Interest::new(EventType::Write).edge().event_type(), EventType::Write);
    /// ```
    pub const fn event_type(&self) -> EventType {
        self.event_type
    }

    /// Whether it is edge-triggered.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{EventType, Interest};
    /// assert!(Interest::new(EventType::Read).edge().is_edge());
    /// ```
    pub const fn is_edge(&self) -> bool {
        self.edge
    }

    /// Whether it is one-shot.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{EventType, Interest};
    /// assert!(Interest::new(EventType::Read).oneshot().is_oneshot());
    /// ```
    pub const fn is_oneshot(&self) -> bool {
        self.oneshot
    }

    /// Whether priority data is watched for.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{EventType, Interest};
    /// assert!(!Interest::new(EventType::Read).is_priority());
    /// ```
    pub const fn is_priority(&self) -> bool {
        self.priority
    }

    /// Whether it asks for exclusive wake-ups.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::{EventType, Interest};
    /// assert!(Interest::new(EventType::Read).exclusive().is_exclusive());
    /// ```
    pub const fn is_exclusive(&self) -> bool {
        self.exclusive
    }

    /// Whether this breaks the kernel's rules for exclusive interest, which every back-end
    /// answers with its invalid-argument error: exclusive with `modify` (add only), with
    /// `oneshot` or with `priority`.
    pub(crate) const fn misuses_exclusive(&self, modify: bool) -> bool {
        self.exclusive && (modify || self.oneshot || self.priority)
    }
}

/// Level-triggered interest in the event type, as the crosvm methods watch.
impl From<EventType> for Interest {
    fn from(event_type: EventType) -> Interest {
        Interest::new(event_type)
    }
}
