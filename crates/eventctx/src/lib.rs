//! Wait on many file descriptors at once, each with a typed token.
//!
//! `eventctx` watches descriptors (sockets, pipes, [`Event`]s, [`Timer`]s, other contexts) and
//! reports which became readable, writable or hung up, naming each by the token you gave it
//! when you added it. A token is any [`EventToken`]: an integer, or an enum of your own with
//! `#[derive(EventToken)]`. The events are level-triggered: a descriptor that is still ready is
//! reported again by the next wait.
//!
//! On Linux the context is an epoll instance; [`Event`] is an eventfd, [`Timer`] a timerfd and
//! [`Signals`] a signalfd (how a daemon handles `SIGTERM` in its wait loop). On macOS, iOS and
//! the BSDs the context is a kqueue. On Windows it is an I/O completion port: sockets are
//! polled through AFD, an [`Event`] wakes the contexts watching it with a completion packet, a
//! [`Timer`] ends their waits at its expiry, a child's pipes ([`ChildStdout`](std::process::ChildStdout),
//! [`ChildStderr`](std::process::ChildStderr), [`ChildStdin`](std::process::ChildStdin)) are
//! watched through a zero-byte read, and any other waitable handle (a process, another
//! crate's event) through the system thread pool; [`Signals`] are the console's control events
//! and [`ProcessExit`] a process handle. The [platforms] page says what differs on each
//! platform and how each is checked.
//! A wait that finds descriptors ready is one system call. A wait with a finite timeout first
//! checks without blocking (cheaper in the kernel than a call that could block); when that
//! finds nothing it makes the blocking call too, and the next 32 waits skip the check, so a
//! loop whose waits must block makes about one call per wait. Every other call is one. Errors are [`std::io::Error`] with the errno kept, and nothing
//! panics on bad input.
//!
//! Code written for crosvm's `base` compiles against this crate renamed to `base`; the
//! [migration guide](migrating_from_crosvm) lists the few deliberate differences.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use eventctx::{Event, EventToken, Timer, WaitContext};
//!
//! #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
//! enum Token {
//!     Wake,
//!     Tick,
//! }
//!
//! let wake = Event::new()?;
//! let mut tick = Timer::new()?;
//! let ctx = WaitContext::build_with(&[(&wake, Token::Wake), (&tick, Token::Tick)])?;
//!
//! wake.signal()?;
//! let events = ctx.wait()?;
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0].token, Token::Wake);
//! assert!(events[0].is_readable);
//! wake.reset()?; // level-triggered: unless it is cleared, the next wait reports it again
//!
//! tick.reset_oneshot(Duration::from_millis(5))?;
//! let events = ctx.wait()?; // the timer fires 5 ms after it was armed
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0].token, Token::Tick);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # What to know
//!
//! - **Level-triggered.** A ready descriptor is reported by every wait until you consume what
//!   made it ready (read the data, reset the [`Event`], wait the [`Timer`]). Leaving it ready
//!   turns a wait loop into a busy loop.
//! - **Half-close and hang-up.** A peer that shuts down its writing side (a TCP FIN) makes the
//!   socket readable with `is_read_closed` set: read until a read returns 0, then delete it.
//!   `is_hungup` means a full hang-up (`EPOLLHUP`), exactly as in crosvm. Either way, delete
//!   the descriptor (or close it) once done, or every wait returns at once: ~100% CPU.
//! - **Errors.** `is_error` is set for an error condition on the descriptor (`EPOLLERR`), for
//!   example the write end of a pipe whose reader has gone. It is reported even when you asked
//!   for no events, as hang-ups are.
//! - **Duplicated descriptors.** The kernel watches the open file, not the number. A
//!   descriptor that was `dup`ed (or inherited by `fork`) stays watched after you close the
//!   number you added, until every copy is closed; delete it before closing it.
//! - **Other modes.** [`EventContext::add_with`] takes an [`Interest`]: edge-triggered,
//!   one-shot (for a pool of threads sharing one context), priority data, or exclusive
//!   wake-ups; [`Interest`] says when to use each, and its trap.
//! - **Many deadlines, and channels.** [`Deadlines`] keeps any number of keyed deadlines
//!   behind one descriptor (an idle timeout per connection, a back-off per child);
//!   [`channel`] gives a typed queue whose receiver a context watches.
//! - **Deleting during a batch.** A handler that deletes *another* descriptor must drop that
//!   descriptor's event from the batch it is handling: see
//!   [deleting during a batch](EventContext#deleting-during-a-batch).
//! - **Batches of 16.** [`EventContext::wait`] returns at most 16 events. When more are ready,
//!   the next wait returns the others: the kernel rotates its ready list, so none is starved.
//!   [`EventContext::wait_into`] fills a reusable [`Events`] buffer of any size instead.
#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

// Lets `#[derive(EventToken)]`, which names `::eventctx`, work inside this crate too.
extern crate self as eventctx;

pub mod channel;
mod deadlines;
mod descriptor;
mod errno;
mod event;
mod event_context;
mod events;
mod fake_clock;
mod interest;
mod notifiers;
mod os;
mod process_exit;
pub mod signal;
mod signals;
mod sys;
mod timer;
mod token;
mod wait_context;
mod worker_thread;

pub use deadlines::Deadlines;
pub use descriptor::{
    AsRawDescriptor, AsRawDescriptors, Descriptor, FromRawDescriptor, IntoRawDescriptor,
    RawDescriptor, SafeDescriptor, clone_descriptor, set_nonblocking, validate_raw_descriptor,
};
#[cfg(unix)]
pub use descriptor::{add_fd_flags, clear_fd_flags};
pub use errno::{ErrnoExt, errno_result};
pub use event::{Event, EventExt, EventWaitResult};
pub use event_context::{EVENT_CONTEXT_MAX_EVENTS, EventContext};
pub use events::{Events, EventsIter};
pub use fake_clock::{Clock, FakeClock, FakeTimer};
pub use interest::{EventType, Interest, TriggeredEvent};
pub use notifiers::{CloseNotifier, ReadNotifier};
pub use process_exit::ProcessExit;
pub use signals::{SignalInfo, Signals};
#[doc(no_inline)]
pub use smallvec::SmallVec;
pub use timer::{Timer, TimerOps, TimerTrait};
pub use token::EventToken;
pub use wait_context::WaitContext;
pub use worker_thread::WorkerThread;

/// The [`log`](https://docs.rs/log) crate's macros, as crosvm's `base` re-exports them, so that
/// `use base::{error, warn};` keeps compiling. They write to whatever logger the program
/// installs (`env_logger`, `syslog`, ...); with none installed they do nothing.
///
/// The crate itself logs only what a user wants to hear of and has no other way to learn: a
/// kernel too old for a fast path (`debug`), a worker's panic it had to drop (`error`). Nothing
/// on the wait path logs.
///
/// # Examples
///
/// ```
/// use eventctx::{error, warn};
///
/// let queue_len = 3;
/// warn!("queue is backing up: {queue_len} waiting");
/// if queue_len > 100 {
///     error!("dropping requests");
/// }
/// ```
#[doc(no_inline)]
pub use log::{debug, error, info, trace, warn};

#[doc(hidden)]
pub use token::__private;

/// Windows: runs the console control handler for `event` (`CTRL_C_EVENT` is 0,
/// `CTRL_BREAK_EVENT` 1, `CTRL_CLOSE_EVENT` 2) as if the console had sent it, and says whether a
/// [`Signals`] took it. For tests, which cannot make a console send one where they run.
#[cfg(windows)]
#[doc(hidden)]
pub fn __console_control_event(event: u32) -> bool {
    sys::control_event(event)
}

/// The result of every fallible call in this crate: errors are [`std::io::Error`], and when the
/// kernel refused a call, [`raw_os_error`](std::io::Error::raw_os_error) gives its errno.
///
/// # Examples
///
/// ```
/// use eventctx::{Event, EventContext};
///
/// fn watch(ctx: &EventContext<u8>, event: &Event) -> eventctx::Result<()> {
///     ctx.add(event, 1)
/// }
///
/// let ctx = EventContext::new()?;
/// let event = Event::new()?;
/// watch(&ctx, &event)?;
/// let twice = watch(&ctx, &event).unwrap_err();
/// assert_eq!(twice.kind(), std::io::ErrorKind::AlreadyExists);
/// #[cfg(unix)]
/// assert_eq!(twice.raw_os_error(), Some(17)); // EEXIST
/// #[cfg(windows)]
/// assert_eq!(twice.raw_os_error(), Some(183)); // ERROR_ALREADY_EXISTS
/// # Ok::<(), std::io::Error>(())
/// ```
pub type Result<T> = std::io::Result<T>;

/// The error of every fallible call: [`std::io::Error`], under crosvm's name, so that
/// `use base::Error as SysError;` keeps compiling. Its errno is
/// [`raw_os_error`](std::io::Error::raw_os_error).
///
/// # Examples
///
/// ```ignore-windows
/// use eventctx::{Error as SysError, EventContext};
///
/// let ctx: EventContext<u8> = EventContext::new()?;
/// let error: SysError = ctx.add(&std::fs::File::open("/")?, 1).unwrap_err();
/// assert_eq!(error.raw_os_error(), Some(1)); // EPERM: a directory cannot be watched
/// # Ok::<(), SysError>(())
/// ```
pub type Error = std::io::Error;

#[doc = include_str!("../docs/migrating-from-crosvm.md")]
pub mod migrating_from_crosvm {}

#[doc = include_str!("../docs/platforms.md")]
pub mod platforms {}

// The README's code runs as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
