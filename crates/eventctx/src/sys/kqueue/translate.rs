//! The decisions of the kqueue back-end, as plain functions over plain values: which `kevent`
//! changes an [`Interest`] becomes, what a returned `kevent` means as readiness, how a timer's
//! period is written. No system call and no platform constant is named here (the back-end maps
//! these names to its platform's numbers), so this file is compiled and unit-tested on every
//! host, Linux included, while the code around it can only be type-checked there.
//!
//! Checked against the kqueue(2) manual pages of FreeBSD 14, NetBSD 10, OpenBSD 7 and macOS
//! (xnu `bsd/sys/event.h`), and mio's and polling's kqueue back-ends.
#![cfg_attr(not(eventctx_kqueue), allow(dead_code))]

use std::io;
use std::time::Duration;

use crate::interest::{EventType, Interest};
pub(crate) use crate::sys::readiness::Readiness;

/// The filters a descriptor is watched with. Every watched descriptor has both registered,
/// the one not asked for disabled, so that a later `modify` only flips them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Filter {
    /// `EVFILT_READ`.
    Read,
    /// `EVFILT_WRITE`.
    Write,
}

/// `kevent` flags by name; the back-end turns them into its platform's `EV_*` numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flags(u8);

impl Flags {
    pub(crate) const ADD: Flags = Flags(1);
    pub(crate) const DELETE: Flags = Flags(1 << 1);
    pub(crate) const ENABLE: Flags = Flags(1 << 2);
    pub(crate) const DISABLE: Flags = Flags(1 << 3);
    /// `EV_CLEAR`: the state resets once reported, so a readiness is reported once (edge).
    pub(crate) const CLEAR: Flags = Flags(1 << 4);
    /// `EV_DISPATCH`: disabled once reported, until re-enabled (one-shot, kept registered).
    pub(crate) const DISPATCH: Flags = Flags(1 << 5);

    /// Whether every flag of `other` is set.
    pub(crate) const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;

    fn bitor(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

/// One change for `kevent`'s change list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) filter: Filter,
    pub(crate) flags: Flags,
}

/// The changes one `add`, `modify` or `delete` makes: at most four, in order.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Changes {
    list: [Change; 4],
    len: usize,
}

impl Changes {
    fn new() -> Changes {
        let none = Change {
            filter: Filter::Read,
            flags: Flags::default(),
        };
        Changes {
            list: [none; 4],
            len: 0,
        }
    }

    fn push(&mut self, filter: Filter, flags: Flags) {
        self.list[self.len] = Change { filter, flags };
        self.len += 1;
    }

    /// The changes, in the order they are to be made.
    pub(crate) fn as_slice(&self) -> &[Change] {
        &self.list[..self.len]
    }
}

/// Refuses what kqueue cannot keep exactly, before any system call:
///
/// - exclusive with `modify`, `oneshot` or `priority` is `EINVAL`, as epoll answers, so the
///   same misuse gives the same error everywhere; exclusive alone is `Unsupported`: a kqueue
///   has no wake-one between several kqueues watching one descriptor.
/// - priority is `Unsupported`: there is no filter for urgent data that means `EPOLLPRI` on
///   every kqueue platform (`EVFILT_EXCEPT` is macOS and FreeBSD only, with other semantics).
/// - one-shot with read *and* write interest is `Unsupported`: the two filters are dispatched
///   separately, so readability and writability could reach two threads, where epoll disarms
///   the descriptor after one report.
pub(crate) fn check(interest: Interest, modify: bool) -> io::Result<()> {
    if interest.misuses_exclusive(modify) {
        return Err(io::Error::from_raw_os_error(EINVAL));
    }
    if interest.is_exclusive() {
        return Err(unsupported(
            "exclusive interest (EPOLLEXCLUSIVE): kqueue has no wake-one between kqueues",
        ));
    }
    if interest.is_priority() {
        return Err(unsupported(
            "priority interest (EPOLLPRI): kqueue has no portable urgent-data filter",
        ));
    }
    if interest.is_oneshot() && interest.event_type() == EventType::ReadWrite {
        return Err(unsupported(
            "one-shot read-write interest: kqueue dispatches reading and writing separately; \
             watch one direction, or use level or edge mode",
        ));
    }
    Ok(())
}

/// `EINVAL`, which has the same number on every kqueue platform and on Linux.
const EINVAL: i32 = 22;

fn unsupported(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{what}, on this platform"),
    )
}

/// The mode flags of an interest: `EV_CLEAR` for edge, `EV_DISPATCH` for one-shot.
fn mode(interest: Interest) -> Flags {
    let mut flags = Flags::default();
    if interest.is_edge() {
        flags = flags | Flags::CLEAR;
    }
    if interest.is_oneshot() {
        flags = flags | Flags::DISPATCH;
    }
    flags
}

/// The changes that watch a descriptor with `new`, when it was watched with `old` (`None`:
/// not yet). Both filters are added, the unwanted one disabled; `EV_ADD` on a registered
/// filter updates it, and `EV_ENABLE` re-arms one that `EV_DISPATCH` disabled. When the mode
/// changes, the filters are deleted first: whether `EV_ADD` on an existing filter takes new
/// `EV_CLEAR`/`EV_DISPATCH` flags differs between the BSDs.
pub(crate) fn changes(old: Option<Interest>, new: Interest) -> io::Result<Changes> {
    check(new, old.is_some())?;
    let mut changes = Changes::new();
    if let Some(old) = old {
        if mode(old) != mode(new) {
            changes.push(Filter::Read, Flags::DELETE);
            changes.push(Filter::Write, Flags::DELETE);
        }
    }
    let (read, write) = match new.event_type() {
        EventType::None => (false, false),
        EventType::Read => (true, false),
        EventType::Write => (false, true),
        EventType::ReadWrite => (true, true),
    };
    for (filter, wanted) in [(Filter::Read, read), (Filter::Write, write)] {
        let on = if wanted {
            Flags::ENABLE
        } else {
            Flags::DISABLE
        };
        changes.push(filter, Flags::ADD | on | mode(new));
    }
    Ok(changes)
}

/// A change that leaves a registration of `interest` as it is, and fails with `ENOENT` when
/// the kernel no longer holds it (the descriptor was closed without a `delete`): it disables a
/// filter that is disabled already, or, when both are on (read-write in level or edge mode;
/// one-shot read-write is refused), enables the read filter, which is enabled already.
pub(crate) fn probe(interest: Interest) -> Change {
    match interest.event_type() {
        EventType::None | EventType::Write => Change {
            filter: Filter::Read,
            flags: Flags::DISABLE,
        },
        EventType::Read => Change {
            filter: Filter::Write,
            flags: Flags::DISABLE,
        },
        EventType::ReadWrite => Change {
            filter: Filter::Read,
            flags: Flags::ENABLE,
        },
    }
}

/// The changes that stop watching a descriptor.
pub(crate) fn deletes() -> Changes {
    let mut changes = Changes::new();
    changes.push(Filter::Read, Flags::DELETE);
    changes.push(Filter::Write, Flags::DELETE);
    changes
}

/// A `kevent` as `kevent` returned it, in plain words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Returned {
    pub(crate) filter: Filter,
    /// `EV_EOF`.
    pub(crate) eof: bool,
    /// `EV_ERROR`.
    pub(crate) error: bool,
    /// `fflags`: with `EV_EOF` on a socket, the socket's pending error (`ECONNRESET`, ...).
    pub(crate) fflags: u32,
}

/// Readiness from one returned `kevent`:
///
/// - The read filter is readable. With `EV_EOF` the peer has stopped writing (a FIN, a
///   `shutdown(Write)`, a pipe's last writer gone): `read_closed`, never `hungup`. kqueue does
///   not tell a half-close from a full close on the read side; the data still queued is read,
///   then a read returns 0, so a crosvm loop that deletes on `is_hungup` loses nothing.
/// - The write filter is writable. With `EV_EOF` nothing more can be written (the peer is gone
///   or has stopped reading): `hungup`, and so `read_closed` too, as on Linux.
/// - `EV_ERROR`, or `EV_EOF` carrying a socket error in `fflags`, is `error`.
pub(crate) fn readiness(event: Returned) -> Readiness {
    let socket_error = event.eof && event.fflags != 0;
    let mut readiness = Readiness {
        error: event.error || socket_error,
        ..Readiness::default()
    };
    match event.filter {
        Filter::Read => {
            readiness.readable = true;
            readiness.read_closed = event.eof;
        }
        Filter::Write => {
            readiness.writable = true;
            readiness.hungup = event.eof;
            readiness.read_closed = event.eof;
        }
    }
    readiness
}

/// Makes one entry of the two a wait may return for one descriptor (its read filter and its
/// write filter), as epoll reports a descriptor once: `merge(kept, other)` folds `other` into
/// `kept`. Returns how many entries are left, at the front of `entries`.
///
/// One entry per descriptor is what a crosvm loop expects: given two, one readable with data
/// and one hung up, a loop that handles the hung-up one first would drop the connection
/// before reading what it had sent. `key` gives an entry's descriptor and filter. Entries
/// keep their order unless some must be merged (the usual case, a wait that reports one
/// direction only, costs one pass); then they are sorted by descriptor.
pub(crate) fn merge_directions<E>(
    entries: &mut [E],
    key: impl Fn(&E) -> (usize, Filter),
    mut merge: impl FnMut(&mut E, &E),
) -> usize {
    let both = entries.len() > 1
        && entries.iter().any(|e| key(e).1 == Filter::Read)
        && entries.iter().any(|e| key(e).1 == Filter::Write);
    if !both {
        return entries.len();
    }
    entries.sort_unstable_by_key(|e| key(e).0);
    let mut kept = 0;
    for i in 0..entries.len() {
        if kept > 0 && key(&entries[kept - 1]).0 == key(&entries[i]).0 {
            let (front, back) = entries.split_at_mut(i);
            merge(&mut front[kept - 1], &back[0]);
        } else {
            entries.swap(kept, i);
            kept += 1;
        }
    }
    kept
}

/// What a `Timer` is asked to do: the front only ever asks for these three.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerSetting {
    /// Delete the timer's `EVFILT_TIMER`.
    Disarm,
    /// Fire once after the period (`EV_ONESHOT`).
    Once(Duration),
    /// Fire every period, the first after one period.
    Every(Duration),
}

/// A timer's (first expiry, interval) as a setting: a zero first expiry disarms; a zero
/// interval fires once; otherwise the interval must equal the first expiry, as kqueue timers
/// have one period (`EINVAL` else, which the front never asks for).
pub(crate) fn timer_setting(value: Duration, interval: Duration) -> io::Result<TimerSetting> {
    if value.is_zero() {
        Ok(TimerSetting::Disarm)
    } else if interval.is_zero() {
        Ok(TimerSetting::Once(value))
    } else if interval == value {
        Ok(TimerSetting::Every(value))
    } else {
        Err(io::Error::from_raw_os_error(EINVAL))
    }
}

/// The unit of an `EVFILT_TIMER`'s `data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerUnit {
    Seconds,
    Micros,
    Nanos,
    /// The default unit, when no `NOTE_*SECONDS` flag is given; the only one on OpenBSD and
    /// DragonFly.
    Millis,
}

/// An `EVFILT_TIMER` period as (`data`, unit): the coarsest unit that keeps it exactly (a
/// larger unit reaches further before `data` overflows), or, where the platform knows
/// milliseconds only (`fine` false), whole milliseconds rounded *up*, so that a timer never
/// fires early. Never zero (some kernels refuse a zero period), and at most `i64::MAX`.
pub(crate) fn timer_period(period: Duration, fine: bool) -> (i64, TimerUnit) {
    let clamp = |n: u128| i64::try_from(n.max(1)).unwrap_or(i64::MAX);
    if !fine {
        let millis = period.as_nanos().div_ceil(1_000_000);
        return (clamp(millis), TimerUnit::Millis);
    }
    if period.is_zero() {
        (1, TimerUnit::Nanos)
    } else if period.subsec_nanos() == 0 {
        (clamp(period.as_secs().into()), TimerUnit::Seconds)
    } else if period.subsec_nanos() % 1_000 == 0 {
        (clamp(period.as_micros()), TimerUnit::Micros)
    } else {
        (clamp(period.as_nanos()), TimerUnit::Nanos)
    }
}

/// The finest period a timer keeps: 1 ns where periods are given in nanoseconds, else 1 ms.
pub(crate) fn timer_resolution(fine: bool) -> Duration {
    if fine {
        Duration::from_nanos(1)
    } else {
        Duration::from_millis(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Entry {
        fd: usize,
        filter: Filter,
        bits: u8,
    }

    fn entry(fd: usize, filter: Filter) -> Entry {
        let readiness = readiness(Returned {
            filter,
            eof: false,
            error: false,
            fflags: 0,
        });
        Entry {
            fd,
            filter,
            bits: readiness.bits(),
        }
    }

    fn merge_all(entries: &mut Vec<Entry>) {
        let n = merge_directions(
            entries,
            |e| (e.fd, e.filter),
            |kept, other| kept.bits |= other.bits,
        );
        entries.truncate(n);
    }

    #[test]
    fn a_descriptor_ready_both_ways_is_one_entry() {
        let mut entries = vec![
            entry(7, Filter::Write),
            entry(3, Filter::Read),
            entry(7, Filter::Read),
            entry(5, Filter::Write),
        ];
        merge_all(&mut entries);
        assert_eq!(entries.len(), 3);
        let seven = entries
            .iter()
            .find(|e| e.fd == 7)
            .expect("fd 7 is reported");
        let both = Readiness::from_bits(seven.bits);
        assert!(both.readable && both.writable);
        let mut fds: Vec<usize> = entries.iter().map(|e| e.fd).collect();
        fds.sort();
        assert_eq!(fds, [3, 5, 7]);
        for fd in [3, 5] {
            let e = entries.iter().find(|e| e.fd == fd).expect("reported");
            assert_eq!(*e, entry(fd, e.filter), "fd {fd} is left as it was");
        }
    }

    #[test]
    fn entries_of_one_direction_keep_their_order() {
        let mut entries = vec![
            entry(9, Filter::Read),
            entry(2, Filter::Read),
            entry(4, Filter::Read),
        ];
        let before = entries.clone();
        merge_all(&mut entries);
        assert_eq!(entries, before);
        let mut writes = vec![entry(9, Filter::Write), entry(1, Filter::Write)];
        let before = writes.clone();
        merge_all(&mut writes);
        assert_eq!(writes, before);
        let mut none: Vec<Entry> = Vec::new();
        merge_all(&mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn many_descriptors_ready_both_ways_are_each_one_entry() {
        // Reversed and interleaved, as a kernel may return them.
        let mut entries = Vec::new();
        for fd in (0..100).rev() {
            entries.push(entry(fd, Filter::Write));
        }
        for fd in 0..100 {
            entries.push(entry(fd, Filter::Read));
        }
        merge_all(&mut entries);
        assert_eq!(entries.len(), 100);
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(e.fd, i);
            let r = Readiness::from_bits(e.bits);
            assert!(r.readable && r.writable, "fd {i}: {r:?}");
        }
    }

    #[test]
    fn data_and_a_hang_up_of_one_descriptor_come_together() {
        // A Unix socket whose peer wrote, then closed: the read filter has data and EOF, the
        // write filter EOF. As one entry, a loop that deletes on `is_hungup` sees it is also
        // readable, and can read first.
        let read = readiness(Returned {
            filter: Filter::Read,
            eof: true,
            error: false,
            fflags: 0,
        });
        let write = readiness(Returned {
            filter: Filter::Write,
            eof: true,
            error: false,
            fflags: 0,
        });
        let both = read.merged(write);
        assert!(both.readable && both.hungup && both.read_closed && both.writable);
        assert!(!both.error);
        assert_eq!(write.merged(read), both);
    }

    fn interest(event_type: EventType) -> Interest {
        Interest::new(event_type)
    }

    #[test]
    fn a_new_descriptor_gets_both_filters_one_disabled() -> io::Result<()> {
        let read = changes(None, interest(EventType::Read))?;
        assert_eq!(
            read.as_slice(),
            [
                Change {
                    filter: Filter::Read,
                    flags: Flags::ADD | Flags::ENABLE
                },
                Change {
                    filter: Filter::Write,
                    flags: Flags::ADD | Flags::DISABLE
                },
            ]
        );
        let write = changes(None, interest(EventType::Write))?;
        assert!(write.as_slice()[0].flags.contains(Flags::DISABLE));
        assert!(write.as_slice()[1].flags.contains(Flags::ENABLE));
        let both = changes(None, interest(EventType::ReadWrite))?;
        assert!(
            both.as_slice()
                .iter()
                .all(|c| c.flags.contains(Flags::ENABLE))
        );
        // `None` keeps the descriptor registered, both filters off.
        let none = changes(None, interest(EventType::None))?;
        assert_eq!(none.as_slice().len(), 2);
        assert!(
            none.as_slice()
                .iter()
                .all(|c| c.flags.contains(Flags::ADD | Flags::DISABLE))
        );
        Ok(())
    }

    #[test]
    fn modes_become_clear_and_dispatch() -> io::Result<()> {
        let edge = changes(None, interest(EventType::Read).edge())?;
        assert!(
            edge.as_slice()
                .iter()
                .all(|c| c.flags.contains(Flags::CLEAR))
        );
        assert!(!edge.as_slice()[0].flags.contains(Flags::DISPATCH));
        let oneshot = changes(None, interest(EventType::Write).oneshot())?;
        assert!(
            oneshot
                .as_slice()
                .iter()
                .all(|c| c.flags.contains(Flags::DISPATCH))
        );
        let level = changes(None, interest(EventType::Read))?;
        assert!(
            level
                .as_slice()
                .iter()
                .all(|c| !c.flags.contains(Flags::CLEAR) && !c.flags.contains(Flags::DISPATCH))
        );
        Ok(())
    }

    #[test]
    fn modify_in_the_same_mode_updates_and_rearms_in_place() -> io::Result<()> {
        let old = interest(EventType::Read).oneshot();
        let rearm = changes(Some(old), old)?;
        assert_eq!(rearm.as_slice().len(), 2, "no delete: {rearm:?}");
        assert_eq!(
            rearm.as_slice()[0].flags,
            Flags::ADD | Flags::ENABLE | Flags::DISPATCH
        );
        let to_write = changes(Some(interest(EventType::Read)), interest(EventType::Write))?;
        assert_eq!(to_write.as_slice().len(), 2);
        Ok(())
    }

    #[test]
    fn modify_to_another_mode_deletes_first() -> io::Result<()> {
        let c = changes(
            Some(interest(EventType::Read)),
            interest(EventType::Read).edge(),
        )?;
        let flags: Vec<Flags> = c.as_slice().iter().map(|c| c.flags).collect();
        assert_eq!(flags.len(), 4);
        assert_eq!(flags[0], Flags::DELETE);
        assert_eq!(flags[1], Flags::DELETE);
        assert_eq!(flags[2], Flags::ADD | Flags::ENABLE | Flags::CLEAR);
        assert_eq!(flags[3], Flags::ADD | Flags::DISABLE | Flags::CLEAR);
        Ok(())
    }

    #[test]
    fn what_kqueue_cannot_keep_is_refused() {
        let read = interest(EventType::Read);
        let kind = |r: io::Result<Changes>| r.unwrap_err().kind();
        assert_eq!(
            kind(changes(None, read.exclusive())),
            io::ErrorKind::Unsupported
        );
        assert_eq!(
            kind(changes(None, read.priority())),
            io::ErrorKind::Unsupported
        );
        assert_eq!(
            kind(changes(None, interest(EventType::ReadWrite).oneshot())),
            io::ErrorKind::Unsupported
        );
        // The misuse epoll refuses with EINVAL is EINVAL here too.
        for misuse in [
            changes(None, read.exclusive().oneshot()),
            changes(None, read.exclusive().priority()),
            changes(Some(read), read.exclusive()),
        ] {
            assert_eq!(misuse.unwrap_err().raw_os_error(), Some(libc::EINVAL));
        }
        assert!(changes(None, read.oneshot().edge()).is_ok());
    }

    #[test]
    fn delete_removes_both_filters() {
        let d = deletes();
        assert_eq!(d.as_slice().len(), 2);
        assert!(d.as_slice().iter().all(|c| c.flags == Flags::DELETE));
        assert_ne!(d.as_slice()[0].filter, d.as_slice()[1].filter);
    }

    #[test]
    fn the_probe_repeats_a_filters_state_and_never_adds() -> io::Result<()> {
        for event_type in [
            EventType::None,
            EventType::Read,
            EventType::Write,
            EventType::ReadWrite,
        ] {
            for interest in [
                interest(event_type),
                interest(event_type).edge(),
                interest(event_type).oneshot(),
            ] {
                let Ok(registered) = changes(None, interest) else {
                    continue; // refused, so never registered
                };
                let probe = probe(interest);
                assert!(!probe.flags.contains(Flags::ADD), "{interest:?}");
                // The probed filter's registration has the state the probe asks for, and a
                // filter that one-shot may have disabled is never enabled by it.
                let state = registered
                    .as_slice()
                    .iter()
                    .find(|c| c.filter == probe.filter)
                    .map(|c| c.flags)
                    .unwrap();
                assert!(
                    state.contains(probe.flags),
                    "{interest:?}: {state:?} vs {probe:?}"
                );
                if probe.flags.contains(Flags::ENABLE) {
                    assert!(!interest.is_oneshot());
                }
            }
        }
        Ok(())
    }

    fn returned(filter: Filter, eof: bool, error: bool, fflags: u32) -> Readiness {
        readiness(Returned {
            filter,
            eof,
            error,
            fflags,
        })
    }

    #[test]
    fn the_read_side_closing_is_read_closed_never_hungup() {
        let plain = returned(Filter::Read, false, false, 0);
        assert_eq!(
            plain,
            Readiness {
                readable: true,
                ..Readiness::default()
            }
        );
        let half_closed = returned(Filter::Read, true, false, 0);
        assert!(half_closed.readable && half_closed.read_closed);
        assert!(!half_closed.hungup && !half_closed.error);
        let reset = returned(Filter::Read, true, false, 54); // ECONNRESET on the BSDs
        assert!(reset.read_closed && reset.error && !reset.hungup);
    }

    #[test]
    fn the_write_side_closing_is_hungup() {
        let plain = returned(Filter::Write, false, false, 0);
        assert!(plain.writable && !plain.readable && !plain.hungup);
        let gone = returned(Filter::Write, true, false, 0);
        assert!(gone.writable && gone.hungup && gone.read_closed && !gone.error);
        let broken = returned(Filter::Write, true, false, 32); // EPIPE
        assert!(broken.hungup && broken.error);
        // A readiness with every flag false never comes out of a returned event.
        for filter in [Filter::Read, Filter::Write] {
            for eof in [false, true] {
                for error in [false, true] {
                    let r = returned(filter, eof, error, 0);
                    assert!(r.readable || r.writable, "{r:?}");
                    assert_eq!(r.error, error);
                }
            }
        }
    }

    #[test]
    fn timer_settings_are_the_three_the_front_asks_for() -> io::Result<()> {
        let s = Duration::from_millis(5);
        assert_eq!(
            timer_setting(Duration::ZERO, Duration::ZERO)?,
            TimerSetting::Disarm
        );
        assert_eq!(timer_setting(Duration::ZERO, s)?, TimerSetting::Disarm);
        assert_eq!(timer_setting(s, Duration::ZERO)?, TimerSetting::Once(s));
        assert_eq!(timer_setting(s, s)?, TimerSetting::Every(s));
        let other = timer_setting(s, Duration::from_millis(6));
        assert_eq!(other.unwrap_err().raw_os_error(), Some(libc::EINVAL));
        Ok(())
    }

    #[test]
    fn timer_periods_keep_their_precision_in_the_coarsest_unit() {
        let fine = |d| timer_period(d, true);
        assert_eq!(fine(Duration::from_secs(3)), (3, TimerUnit::Seconds));
        assert_eq!(
            fine(Duration::from_millis(1500)),
            (1_500_000, TimerUnit::Micros)
        );
        assert_eq!(fine(Duration::from_micros(7)), (7, TimerUnit::Micros));
        assert_eq!(fine(Duration::new(1, 1)), (1_000_000_001, TimerUnit::Nanos));
        // 1.0005 s is not 1 s: a period is never cut short.
        assert_eq!(
            fine(Duration::new(1, 500_000)),
            (1_000_500, TimerUnit::Micros)
        );
        assert_eq!(fine(Duration::from_nanos(1)), (1, TimerUnit::Nanos));
        assert_eq!(fine(Duration::ZERO), (1, TimerUnit::Nanos), "never zero");
        assert_eq!(fine(Duration::MAX), (i64::MAX, TimerUnit::Nanos));
        assert_eq!(
            fine(Duration::from_secs(u64::MAX)),
            (i64::MAX, TimerUnit::Seconds)
        );
    }

    #[test]
    fn millisecond_platforms_round_up() {
        let coarse = |d| timer_period(d, false);
        assert_eq!(coarse(Duration::from_millis(20)), (20, TimerUnit::Millis));
        assert_eq!(
            coarse(Duration::from_micros(20_001)),
            (21, TimerUnit::Millis)
        );
        assert_eq!(coarse(Duration::from_nanos(1)), (1, TimerUnit::Millis));
        assert_eq!(coarse(Duration::ZERO), (1, TimerUnit::Millis));
        assert_eq!(coarse(Duration::MAX), (i64::MAX, TimerUnit::Millis));
        assert_eq!(timer_resolution(false), Duration::from_millis(1));
        assert_eq!(timer_resolution(true), Duration::from_nanos(1));
    }
}
