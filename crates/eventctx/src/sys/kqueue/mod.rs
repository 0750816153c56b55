//! The kqueue back-end: macOS, iOS, FreeBSD, NetBSD, OpenBSD, DragonFly.
//!
//! - `poller`: a context is a kqueue; each watched descriptor has `EVFILT_READ` and
//!   `EVFILT_WRITE` registered, the one not asked for disabled.
//! - `timer`: a `Timer` is a kqueue of its own holding one `EVFILT_TIMER`, so that it is a
//!   descriptor a context can watch (a kqueue is readable while it has events pending).
//! - `signals`: `Signals` is a kqueue of its own with one `EVFILT_SIGNAL` per signal.
//! - `process`: `ProcessExit` is a kqueue of its own with `EVFILT_PROC` / `NOTE_EXIT`.
//! - `Event` is the Unix socket pair of `sys::unix::socket_event`.
//!
//! The decisions (interest to changes, returned events to readiness, timer periods) are plain
//! functions in `translate`, which is built and unit-tested on every host. This file holds the
//! thin layer of system calls they all share. Calls are made through `libc`: rustix's kqueue
//! wrapper writes some timer periods short (1.0005 s as 1 s) and has no way to read a
//! returned event's `fflags`.
//!
//! Tokens travel in `udata`, a pointer-sized field, so this back-end needs 64-bit pointers to
//! keep a token's 64 bits.

pub(crate) mod translate;

#[cfg(eventctx_kqueue)]
pub(crate) mod kevent;
#[cfg(eventctx_kqueue)]
pub(crate) mod poller;
#[cfg(eventctx_kqueue)]
pub(crate) mod process;
#[cfg(eventctx_kqueue)]
pub(crate) mod signals;
#[cfg(eventctx_kqueue)]
pub(crate) mod timer;

#[cfg(all(eventctx_kqueue, not(target_pointer_width = "64")))]
compile_error!("eventctx's kqueue back-end keeps 64-bit tokens in `udata`: 64-bit targets only");
