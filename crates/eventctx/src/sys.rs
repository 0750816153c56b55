//! The operating-system back-end. Everything that makes a system call lives below here.
//!
//! # What a back-end provides
//!
//! The public types (`EventContext`, `Event`, `Timer`, `Signals`, `ProcessExit`) hold
//! back-end values and forward to them; they never name a system call or an OS type (the
//! std-trait impls of a platform are in `crate::os`). A back-end provides:
//!
//! - `Poller`: an owned kernel object watching descriptors, with `new()`,
//!   `add(fd, Interest, data)`, `modify(fd, Interest, data)`, `delete(fd)` and
//!   `wait(&mut [MaybeUninit<ReadyEvent>], Option<Duration>) -> io::Result<&[ReadyEvent]>`,
//!   `wait_vec(&mut Vec<ReadyEvent>, Option<Duration>) -> io::Result<usize>` (fills the spare
//!   capacity, never grows it), and `AsFd`. `data` is the token's `u64`; `None` as timeout
//!   waits forever. None of these allocates.
//! - `ReadyEvent`: one entry filled in by `wait`, `ReadyEvents(Vec<ReadyEvent>)` (`Send`,
//!   `Sync`), `triggered::<T>(&ReadyEvent) -> TriggeredEvent<T>` and `raw_token(&ReadyEvent)
//!   -> u64`.
//! - `event::Event`: `new`, `signal(u64)`, `read_blocking`, `read_nowait -> Option<u64>`,
//!   `wait_readable(&mut Deadline) -> bool`, `try_clone`, `into_fd` and `AsFd` (the end a
//!   context watches). Its descriptor is blocking; its own reads and writes never block.
//! - `timer::Timer`: `new`, `set(first, interval)` (zero first: disarm; zero interval: once;
//!   pending expiries dropped), `read_count -> Option<u64>` without blocking, `wait_readable`,
//!   `try_clone`, `into_fd`, `AsFd`; `timer::resolution()`.
//! - `signals::Signals`: `new(&SigSet)`, `read -> Option<RawSignal>` without blocking, `AsFd`;
//!   and the mask functions (`block`, `unblock`, `blocked`, `unblock_in_child`) and
//!   `sent_by_a_process(code)`.
//! - `process::ProcessExit`: `open(pid)`, `has_exited`, `wait`, `send_signal`, `AsFd`; readable
//!   from the process's exit until dropped.
//!
//! The words a back-end takes and gives (`EventType`, `Interest`, `TriggeredEvent`) live in
//! `crate::interest`, which imports nothing of the public fronts.
//!
//! and these promises, which the tests hold every back-end to:
//!
//! - Level-triggered readiness; read interest includes the peer's half-close
//!   (`is_read_closed`, never `is_hungup`, which is a full hang-up only). Under epoll,
//!   hang-up and error conditions are reported even for `EventType::None`; kqueue reports
//!   nothing for it (documented). A mode a back-end cannot keep exactly is refused with
//!   `io::ErrorKind::Unsupported` before any system call.
//! - Errors keep their errno, the same errno for the same misuse in every back-end: `EBADF` for
//!   a negative or closed descriptor, `EEXIST` for a second `add`, `ENOENT` for `modify` of a
//!   descriptor that is not watched, `EPERM` for a regular file or directory, `EINVAL` for the
//!   poller itself. `delete` of a descriptor that is not watched is `Ok(())`.
//! - `wait` never reports `EINTR`, and never returns empty before its timeout has passed: an
//!   interrupted wait resumes with the time that remains, computed by [`time::Deadline`].
//! - Every descriptor it creates is close-on-exec, and is closed on drop.

//! # Layout
//!
//! One platform in one place: `linux/` (epoll, eventfd, timerfd, signalfd, pidfd), `kqueue/`
//! (macOS, iOS and the BSDs; its `translate.rs` is built everywhere for its unit tests), and
//! `unix/` for what every Unix back-end shares (the socket-pair `Event`, signal masks). The
//! fronts reach a platform's pieces under neutral names: `sys::event` (what an `Event` is made
//! of), `sys::timer`, `sys::signals`, `sys::process`, beside `Poller`. `--cfg
//! eventctx_pipe_event` puts the socket-pair `Event` in place of eventfd on Linux, so that the
//! test suite runs against it here.

/// What a `channel::Receiver` is watched through.
pub(crate) mod doorbell;
/// Readiness worked out by a back-end (kqueue, Windows), and its byte.
#[cfg(any(eventctx_kqueue, windows, test))]
mod readiness;
pub(crate) mod time;

/// One signal as a back-end's `Signals::read` reports it; fields a platform does not report
/// are 0.
pub(crate) struct RawSignal {
    pub(crate) signal: u32,
    pub(crate) code: i32,
    pub(crate) pid: u32,
    pub(crate) uid: u32,
    pub(crate) value: i32,
}
#[cfg(unix)]
pub(crate) mod unix;
#[cfg(windows)]
mod windows;
#[cfg(unix)]
pub(crate) use unix::descriptor;
#[cfg(windows)]
pub(crate) use windows::console::control_event;
#[cfg(windows)]
pub(crate) use windows::descriptor;
#[cfg(windows)]
pub(crate) use windows::{
    console as signals, event,
    iocp::{Poller, ReadyEvent, ReadyEvents, raw_token, triggered},
    process, timer,
};
/// The Windows back-end's decisions, unit-tested on every host.
#[cfg(all(test, not(windows)))]
#[path = "sys/windows/translate.rs"]
mod windows_translate;

#[cfg(any(eventctx_kqueue, all(test, unix)))]
mod kqueue;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux;
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(eventctx_pipe_event)
))]
pub(crate) use linux::eventfd as event;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use linux::{
    epoll::{Poller, ReadyEvent, ReadyEvents, raw_token, triggered},
    pidfd as process, signalfd as signals, timerfd as timer,
};
#[cfg(all(any(target_os = "linux", target_os = "android"), eventctx_pipe_event))]
pub(crate) use unix::socket_event as event;
#[cfg(eventctx_kqueue)]
pub(crate) use {
    kqueue::{
        poller::{Poller, ReadyEvent, ReadyEvents, raw_token, triggered},
        process, signals, timer,
    },
    unix::socket_event as event,
};

/// Fills `events`, which must be empty, with the ready entries (at most its inline capacity,
/// 16), converted and written straight into its inline storage.
///
/// `push` would check on each entry whether the list must move to the heap, and keep its
/// (never taken) growth path beside every entry: 10 instructions per wait on the ping
/// benchmark, measured with callgrind.
#[allow(unsafe_code)]
#[inline(always)]
pub(crate) fn fill_triggered<T: crate::token::EventToken>(
    events: &mut smallvec::SmallVec<[crate::interest::TriggeredEvent<T>; 16]>,
    ready: &[ReadyEvent],
) {
    debug_assert!(events.is_empty() && !events.spilled());
    let ready = &ready[..ready.len().min(events.inline_size())];
    let slots = events.as_mut_ptr();
    for (i, event) in ready.iter().enumerate() {
        // SAFETY: `i` is below `ready.len()`, which is at most the inline capacity of the
        // empty, unspilled list, so the slot is inside its storage and holds no value yet.
        unsafe { slots.add(i).write(triggered(event)) };
    }
    // SAFETY: the first `ready.len()` slots were written just above (if a token's
    // `from_raw_token` panicked, the length stays 0 and the written ones are leaked, not
    // dropped twice).
    unsafe { events.set_len(ready.len()) };
}

#[cfg(not(any(target_os = "linux", target_os = "android", eventctx_kqueue, windows)))]
compile_error!(
    "eventctx supports Linux and Android (epoll), macOS, iOS and the BSDs (kqueue), and \
     Windows (I/O completion ports)"
);
