//! The decisions of the Windows back-end, as plain functions over plain values: which AFD poll
//! events an [`Interest`] asks for, what a completed poll means as readiness, and which modes
//! are refused. Built and unit-tested on every host; the calls around it run under Windows
//! (and wine).
#![cfg_attr(not(windows), allow(dead_code))]

use std::io;

use crate::interest::{EventType, Interest};
pub(crate) use crate::sys::readiness::Readiness;

/// `AFD_POLL_*`: what an AFD poll of one socket can report (`afd.h` of the Windows driver kit,
/// as mio and polling use it).
pub(crate) mod afd_event {
    /// Data to read, or a connection to accept on a listener.
    pub(crate) const RECEIVE: u32 = 0x0001;
    /// Room to write.
    pub(crate) const SEND: u32 = 0x0004;
    /// The peer shut down its writing side (a FIN).
    pub(crate) const DISCONNECT: u32 = 0x0008;
    /// The connection was reset.
    pub(crate) const ABORT: u32 = 0x0010;
    /// The socket was closed in this process.
    pub(crate) const LOCAL_CLOSE: u32 = 0x0020;
    /// A connection to accept.
    pub(crate) const ACCEPT: u32 = 0x0080;
    /// A `connect` failed.
    pub(crate) const CONNECT_FAIL: u32 = 0x0100;
}

use afd_event::*;

/// Refuses what this back-end cannot keep exactly, before any system call. AFD polls are
/// one-shot by nature: level-triggered (re-polled before each wait) and one-shot (re-polled
/// by `modify_with`) are kept; edge-triggered would need to know when the caller has drained
/// the socket, so it is `Unsupported`, as are `priority` and `exclusive`. The `exclusive`
/// misuses epoll refuses (`modify`, with `oneshot` or `priority`) are `EINVAL`-like
/// (`ERROR_INVALID_PARAMETER`, `InvalidInput`) here too.
pub(crate) fn check(interest: Interest, modify: bool) -> io::Result<()> {
    if interest.misuses_exclusive(modify) {
        return Err(io::Error::from_raw_os_error(ERROR_INVALID_PARAMETER));
    }
    if interest.is_exclusive() {
        return Err(unsupported("exclusive interest (EPOLLEXCLUSIVE)"));
    }
    if interest.is_edge() {
        return Err(unsupported(
            "edge-triggered interest: an AFD poll cannot tell when the socket was drained; \
             use level-triggered or one-shot interest",
        ));
    }
    if interest.is_priority() {
        return Err(unsupported("priority interest (EPOLLPRI)"));
    }
    Ok(())
}

/// `ERROR_INVALID_PARAMETER`, which std files under `InvalidInput`.
pub(crate) const ERROR_INVALID_PARAMETER: i32 = 87;

fn unsupported(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, format!("{what}, on Windows"))
}

/// The AFD events to poll a socket for. A reset, a failed connect and the socket's own close
/// are always asked for, so that `EventType::None` still hears errors and hang-ups, as under
/// epoll.
pub(crate) fn poll_events(event_type: EventType) -> u32 {
    let always = ABORT | CONNECT_FAIL | LOCAL_CLOSE;
    let read = RECEIVE | ACCEPT | DISCONNECT;
    match event_type {
        EventType::None => always,
        EventType::Read => always | read,
        EventType::Write => always | SEND,
        EventType::ReadWrite => always | read | SEND,
    }
}

/// Readiness from the events a poll returned, as epoll would report the same socket:
///
/// - data or a connection to accept: readable;
/// - the peer's FIN (`DISCONNECT`): readable and `read_closed`, never `hungup` (the data still
///   queued is read first, then a read returns 0);
/// - a reset (`ABORT`): readable, `read_closed`, `hungup` and `error`, as `EPOLLIN | EPOLLRDHUP
///   | EPOLLHUP | EPOLLERR`;
/// - a failed connect: writable, `hungup` and `error`, as `EPOLLOUT | EPOLLHUP | EPOLLERR`;
/// - room to write: writable.
///
/// Only what `event_type` asks for is reported as readable or writable; errors and hang-ups
/// always are. `failed` says the poll itself failed (an error status), which is an error.
pub(crate) fn readiness(events: u32, event_type: EventType, failed: bool) -> Readiness {
    let (read, write) = match event_type {
        EventType::None => (false, false),
        EventType::Read => (true, false),
        EventType::Write => (false, true),
        EventType::ReadWrite => (true, true),
    };
    let reset = events & ABORT != 0;
    let connect_failed = events & CONNECT_FAIL != 0;
    Readiness {
        readable: read && (events & (RECEIVE | ACCEPT | DISCONNECT) != 0 || reset),
        writable: write && (events & SEND != 0 || connect_failed),
        read_closed: events & DISCONNECT != 0 || reset,
        hungup: reset || connect_failed,
        error: reset || connect_failed || failed,
    }
}

/// Whether the poll says the socket was closed in this process: its registration is over.
pub(crate) fn closed_locally(events: u32) -> bool {
    events & LOCAL_CLOSE != 0
}

/// Milliseconds for a Windows wait of `step`: rounded up, so that a wait never ends early
/// (`None`: `INFINITE`, `u32::MAX`; a finite step stays below it).
pub(crate) fn millis(step: Option<std::time::Duration>) -> u32 {
    match step {
        None => u32::MAX,
        Some(d) => {
            let ms = d.as_nanos().div_ceil(1_000_000);
            u32::try_from(ms).unwrap_or(u32::MAX - 1).min(u32::MAX - 1)
        }
    }
}

/// A waitable timer's due time: negative (relative), in 100 ns units, rounded up and never
/// zero (zero would mean an absolute time in 1601, which has passed: it would fire at once,
/// which is right only for a zero duration, and is what -1 does too).
pub(crate) fn due_time(d: std::time::Duration) -> i64 {
    let units = d.as_nanos().div_ceil(100).max(1);
    -i64::try_from(units).unwrap_or(i64::MAX)
}

/// A waitable timer's period in whole milliseconds, rounded up (0: once); `None` when it does
/// not fit the `i32` the call takes.
pub(crate) fn period_ms(d: std::time::Duration) -> Option<i32> {
    i32::try_from(d.as_nanos().div_ceil(1_000_000)).ok()
}

/// Of a timer due at `next` (≤ `now`), repeating every `period`: how many expiries have passed
/// by `now`, and the next one after `now` (none for a one-shot timer).
pub(crate) fn expiries(
    next: std::time::Instant,
    period: Option<std::time::Duration>,
    now: std::time::Instant,
) -> (u64, Option<std::time::Instant>) {
    let Some(period) = period else {
        return (1, None);
    };
    let late = now.saturating_duration_since(next).as_nanos();
    let skipped = late / period.as_nanos().max(1);
    let count = u64::try_from(skipped).unwrap_or(u64::MAX - 1) + 1;
    let ahead = u32::try_from(count)
        .ok()
        .and_then(|c| period.checked_mul(c));
    let following = ahead.and_then(|d| next.checked_add(d));
    (count, following)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn interest_becomes_afd_events_and_errors_are_always_asked_for() {
        let always = ABORT | CONNECT_FAIL | LOCAL_CLOSE;
        assert_eq!(poll_events(EventType::None), always);
        let read = poll_events(EventType::Read);
        assert_eq!(
            read & (RECEIVE | ACCEPT | DISCONNECT),
            RECEIVE | ACCEPT | DISCONNECT
        );
        assert_eq!(read & SEND, 0);
        let write = poll_events(EventType::Write);
        assert_eq!(write & (SEND | RECEIVE), SEND);
        let both = poll_events(EventType::ReadWrite);
        assert_eq!(both, read | write);
        assert_eq!(
            both & 0x0002,
            0,
            "no urgent data (AFD_POLL_RECEIVE_EXPEDITED)"
        );
    }

    #[test]
    fn a_fin_is_read_closed_a_reset_is_a_hang_up() {
        let fin = readiness(DISCONNECT, EventType::Read, false);
        assert!(fin.readable && fin.read_closed && !fin.hungup && !fin.error);
        let data_and_fin = readiness(RECEIVE | DISCONNECT, EventType::ReadWrite, false);
        assert!(data_and_fin.readable && !data_and_fin.writable);
        let reset = readiness(ABORT, EventType::Read, false);
        assert!(reset.readable && reset.read_closed && reset.hungup && reset.error);
        let failed = readiness(CONNECT_FAIL, EventType::Write, false);
        assert!(failed.writable && failed.hungup && failed.error && !failed.readable);
        assert!(readiness(SEND, EventType::Write, false).writable);
        assert!(readiness(ACCEPT, EventType::Read, false).readable);
    }

    #[test]
    fn only_what_was_asked_for_is_reported_but_errors_always_are() {
        assert!(!readiness(RECEIVE, EventType::Write, false).any());
        assert!(!readiness(SEND, EventType::Read, false).any());
        let silenced = readiness(RECEIVE | ABORT, EventType::None, false);
        assert!(!silenced.readable && silenced.hungup && silenced.error);
        let poll_failed = readiness(0, EventType::Read, true);
        assert!(poll_failed.error && !poll_failed.readable);
        assert!(closed_locally(LOCAL_CLOSE | RECEIVE));
        assert!(!closed_locally(RECEIVE));
    }

    #[test]
    fn what_afd_cannot_keep_is_refused() {
        let read = Interest::new(EventType::Read);
        assert!(check(read, false).is_ok());
        assert!(check(read.oneshot(), true).is_ok());
        for refused in [read.edge(), read.priority(), read.exclusive()] {
            assert_eq!(
                check(refused, false).unwrap_err().kind(),
                io::ErrorKind::Unsupported
            );
        }
        for misuse in [
            check(read.exclusive(), true),
            check(read.exclusive().oneshot(), false),
            check(read.exclusive().priority(), false),
        ] {
            assert_eq!(
                misuse.unwrap_err().raw_os_error(),
                Some(ERROR_INVALID_PARAMETER)
            );
        }
    }

    #[test]
    fn waits_round_up_to_whole_milliseconds() {
        assert_eq!(millis(None), u32::MAX);
        assert_eq!(millis(Some(Duration::ZERO)), 0);
        assert_eq!(millis(Some(Duration::from_nanos(1))), 1);
        assert_eq!(millis(Some(Duration::from_micros(1500))), 2);
        assert_eq!(millis(Some(Duration::from_millis(7))), 7);
        assert_eq!(millis(Some(Duration::from_secs(u64::MAX))), u32::MAX - 1);
    }

    #[test]
    fn timer_due_times_are_relative_and_never_zero() {
        assert_eq!(due_time(Duration::ZERO), -1);
        assert_eq!(due_time(Duration::from_nanos(1)), -1);
        assert_eq!(due_time(Duration::from_nanos(101)), -2);
        assert_eq!(due_time(Duration::from_millis(5)), -50_000);
        assert_eq!(due_time(Duration::MAX), -i64::MAX);
        assert_eq!(period_ms(Duration::ZERO), Some(0));
        assert_eq!(period_ms(Duration::from_micros(1)), Some(1));
        assert_eq!(period_ms(Duration::from_millis(20)), Some(20));
        assert_eq!(period_ms(Duration::from_secs(u64::MAX)), None);
    }

    #[test]
    fn a_repeating_timer_keeps_its_phase() {
        let t0 = std::time::Instant::now();
        let ms = Duration::from_millis;
        // On time: one expiry, the next a period after the last.
        assert_eq!(expiries(t0, Some(ms(10)), t0), (1, Some(t0 + ms(10))));
        // 3.5 periods late: 4 expiries, the next on the original grid.
        assert_eq!(
            expiries(t0, Some(ms(10)), t0 + ms(35)),
            (4, Some(t0 + ms(40)))
        );
        // One-shot: one, none after.
        assert_eq!(expiries(t0, None, t0 + ms(35)), (1, None));
    }
}
