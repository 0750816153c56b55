//! The epoll back-end.
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use rustix::buffer::spare_capacity;
use rustix::event::epoll::{self, CreateFlags, EventData, EventFlags};
use rustix::io::Errno;
use rustix::time::Timespec;

use crate::interest::{EventType, Interest, TriggeredEvent};
use crate::sys::time::Deadline;
use crate::sys::unix::borrow_raw;
use crate::token::EventToken;

/// A zero timeout: a wait that does not block.
const POLL: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

/// One ready descriptor, as `epoll_wait` reports it.
pub(crate) type ReadyEvent = epoll::Event;

/// A reusable buffer of ready events, behind the public `Events`.
pub(crate) struct ReadyEvents(pub(crate) Vec<ReadyEvent>);

// SAFETY: rustix's `epoll::Event` keeps the user data as a union of a `u64` and a raw pointer,
// and the pointer is what keeps it from being `Send` and `Sync`. This crate only ever stores a
// `u64` there (a token's bits) and reads it back as a `u64`; no pointer is made or followed, so
// the entries are plain integers, which any thread may own or read.
unsafe impl Send for ReadyEvents {}
// SAFETY: as for `Send` above: the entries are plain integers, and `&ReadyEvents` only reads them.
unsafe impl Sync for ReadyEvents {}

/// An epoll instance.
#[derive(Debug)]
pub(crate) struct Poller {
    epoll: OwnedFd,
    /// How many more finite-timeout waits go straight to the blocking call, without the
    /// non-blocking check first: 0 means check first. See [`Poller::wait_with`].
    skip_checks: AtomicU8,
}

/// After a check that found nothing, this many waits block without checking first: a loop
/// whose waits have to block then makes one system call per wait (1 + 1/33 on average),
/// and one that is busy again finds its way back to the cheaper check within 32 waits.
const SKIP_CHECKS: u8 = 32;

/// What an [`Interest`] asks epoll for. Read interest includes `EPOLLRDHUP`, so that a
/// socket whose peer shut down its writing side is reported `is_read_closed`, except beside
/// `EPOLLEXCLUSIVE`, which the kernel allows only with `EPOLLIN`, `EPOLLOUT`, `EPOLLET` and
/// `EPOLLWAKEUP`. `EPOLLHUP` and `EPOLLERR` are always reported, whatever is asked.
///
/// The kernel's rules for `EPOLLEXCLUSIVE` are checked here, so that breaking them is the same
/// `EINVAL` in every back-end: not with `EPOLLONESHOT` or `EPOLLPRI`.
#[inline]
fn flags(interest: Interest) -> io::Result<EventFlags> {
    let mut flags = match interest.event_type() {
        EventType::None => EventFlags::empty(),
        EventType::Read => EventFlags::IN | EventFlags::RDHUP,
        EventType::Write => EventFlags::OUT,
        EventType::ReadWrite => EventFlags::IN | EventFlags::RDHUP | EventFlags::OUT,
    };
    if interest.is_edge() {
        flags |= EventFlags::ET;
    }
    if interest.is_oneshot() {
        flags |= EventFlags::ONESHOT;
    }
    if interest.is_priority() {
        flags |= EventFlags::PRI;
    }
    if interest.is_exclusive() {
        if interest.misuses_exclusive(false) {
            return Err(Errno::INVAL.into());
        }
        flags.remove(EventFlags::RDHUP);
        flags |= EventFlags::EXCLUSIVE;
    }
    Ok(flags)
}

impl Poller {
    /// `epoll_create1(EPOLL_CLOEXEC)`.
    pub(crate) fn new() -> io::Result<Poller> {
        let epoll = epoll::create(CreateFlags::CLOEXEC)?;
        Ok(Poller {
            epoll,
            skip_checks: AtomicU8::new(0),
        })
    }

    /// `epoll_ctl(EPOLL_CTL_ADD)`.
    #[inline]
    pub(crate) fn add(&self, fd: RawFd, interest: Interest, data: u64) -> io::Result<()> {
        let flags = flags(interest)?;
        let fd = borrow_raw(fd)?;
        epoll::add(&self.epoll, fd, EventData::new_u64(data), flags)?;
        Ok(())
    }

    /// `epoll_ctl(EPOLL_CTL_MOD)`. `EPOLLEXCLUSIVE` is refused with `EINVAL`, as the kernel
    /// refuses it, before the descriptor is looked at.
    #[inline]
    pub(crate) fn modify(&self, fd: RawFd, interest: Interest, data: u64) -> io::Result<()> {
        if interest.misuses_exclusive(true) {
            return Err(Errno::INVAL.into());
        }
        let flags = flags(interest)?;
        let fd = borrow_raw(fd)?;
        epoll::modify(&self.epoll, fd, EventData::new_u64(data), flags)?;
        Ok(())
    }

    /// `epoll_ctl(EPOLL_CTL_DEL)`; a descriptor that is not watched is not an error.
    #[inline]
    pub(crate) fn delete(&self, fd: RawFd) -> io::Result<()> {
        let fd = borrow_raw(fd)?;
        match epoll::delete(&self.epoll, fd) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// `epoll_wait` into a slice, resumed after `EINTR` with the time that remains, and in
    /// steps when the timeout is longer than one call can express. Returns the entries it
    /// filled in.
    #[inline]
    pub(crate) fn wait<'a>(
        &self,
        events: &'a mut [MaybeUninit<ReadyEvent>],
        timeout: Option<Duration>,
    ) -> io::Result<&'a [ReadyEvent]> {
        let filled = self.wait_with(timeout, |step| {
            epoll::wait(&self.epoll, &mut *events, step).map(|(ready, _)| ready.len())
        })?;
        // SAFETY: `epoll_wait` initialized the first `filled` entries of `events` (rustix
        // returned them to us as an initialized slice of that length), and
        // `MaybeUninit<ReadyEvent>` has the layout of `ReadyEvent`.
        Ok(unsafe { std::slice::from_raw_parts(events.as_ptr().cast::<ReadyEvent>(), filled) })
    }

    /// Like [`wait`](Self::wait), into the spare capacity of a `Vec`, which it clears first and
    /// never grows: the number of events is at most `events.capacity()`, which must not be 0.
    #[inline]
    pub(crate) fn wait_vec(
        &self,
        events: &mut Vec<ReadyEvent>,
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        self.wait_with(timeout, |step| {
            events.clear();
            epoll::wait(&self.epoll, spare_capacity(&mut *events), step)
        })
    }

    /// The wait loop: calls `wait` with each step of `timeout` until it reports events, or the
    /// timeout has passed. `EINTR` and steps of a very long timeout go round again with the
    /// time that remains.
    ///
    /// A finite timeout usually starts with a call that does not block. When it finds events
    /// (a busy loop's common case) it is the whole wait: one system call, and no clock read,
    /// which costs the kernel more than the rest of the call when it is asked to block (a
    /// zero timeout sets up no timer). When it finds nothing, the call that blocks follows,
    /// and the next [`SKIP_CHECKS`] waits go straight to it: a loop whose waits must block
    /// (woken by another thread, say) pays for the check only once in 33 waits. The counter
    /// is one relaxed atomic per wait; threads sharing a context share it, which only
    /// decides which of them checks first.
    #[inline(always)]
    fn wait_with(
        &self,
        timeout: Option<Duration>,
        mut wait: impl FnMut(Option<&Timespec>) -> rustix::io::Result<usize>,
    ) -> io::Result<usize> {
        if !matches!(timeout, None | Some(Duration::MAX)) {
            let zero = timeout == Some(Duration::ZERO);
            let skip = self.skip_checks.load(Ordering::Relaxed);
            if zero || skip == 0 {
                match wait(Some(&POLL)) {
                    Ok(n) if n > 0 || zero => return Ok(n),
                    Ok(_) | Err(Errno::INTR) => {
                        self.skip_checks.store(SKIP_CHECKS, Ordering::Relaxed);
                    }
                    Err(e) => return Err(e.into()),
                }
            } else {
                self.skip_checks.store(skip - 1, Ordering::Relaxed);
            }
        }
        Self::wait_blocking(self.epoll.as_fd(), timeout, wait)
    }

    /// The part of [`wait_with`](Self::wait_with) that blocks, kept out of line so that the
    /// path that finds events ready stays small enough to inline into the caller.
    ///
    /// `epoll_wait` takes whole milliseconds (rustix rounds a finer timeout up, and does not
    /// try `epoll_pwait2`, which a seccomp policy written for older kernels may kill the
    /// process for). A step with a sub-millisecond remainder is waited out with `ppoll` on the
    /// epoll descriptor itself, which takes nanoseconds and is readable while events are
    /// ready; the events are then taken without blocking. So 500 µs is waited as 500 µs (plus
    /// the kernel's timer slack, 50 µs by default), at the cost of a second call when events
    /// come; zero, infinite and whole-millisecond timeouts make the same calls as before.
    #[cold]
    #[inline(never)]
    fn wait_blocking(
        epoll: BorrowedFd<'_>,
        timeout: Option<Duration>,
        mut wait: impl FnMut(Option<&Timespec>) -> rustix::io::Result<usize>,
    ) -> io::Result<usize> {
        use rustix::event::{PollFd, PollFlags, poll};
        let mut deadline = Deadline::new(timeout);
        loop {
            let step = deadline.step();
            let result = match step {
                Some(d) if d.subsec_nanos() % 1_000_000 != 0 => {
                    let mut fds = [PollFd::from_borrowed_fd(epoll, PollFlags::IN)];
                    match poll(&mut fds, Some(&crate::sys::unix::timespec(d))) {
                        Ok(0) => Ok(0),
                        // Ready: take the events. Another thread may have taken them first;
                        // then the time left is waited again, as after an interruption.
                        Ok(_) => match wait(Some(&POLL)) {
                            Ok(0) => Err(Errno::INTR),
                            other => other,
                        },
                        Err(e) => Err(e),
                    }
                }
                _ => wait(step.map(crate::sys::unix::timespec).as_ref()),
            };
            match result {
                Ok(n) if n > 0 || deadline.is_last_step() => return Ok(n),
                Ok(_) | Err(Errno::INTR) => deadline.refresh(),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl AsFd for Poller {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}

impl AsRawFd for Poller {
    fn as_raw_fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }
}

/// The token's bits of one entry.
#[inline]
pub(crate) fn raw_token(event: &ReadyEvent) -> u64 {
    event.data.u64()
}

/// Reads one entry. `epoll_event` is packed on x86-64, so its fields are copied out, never
/// borrowed.
#[inline]
pub(crate) fn triggered<T: EventToken>(event: &ReadyEvent) -> TriggeredEvent<T> {
    let flags = event.flags;
    let data = event.data;
    TriggeredEvent {
        token: T::from_raw_token(data.u64()),
        is_readable: flags.contains(EventFlags::IN),
        is_writable: flags.contains(EventFlags::OUT),
        // A full hang-up only, as crosvm reports it: a peer's half-close (`EPOLLRDHUP`) comes
        // with `EPOLLIN`, and the data still queued must be read before the descriptor goes.
        is_hungup: flags.contains(EventFlags::HUP),
        is_read_closed: flags.intersects(EventFlags::HUP | EventFlags::RDHUP),
        is_error: flags.contains(EventFlags::ERR),
        is_priority: flags.contains(EventFlags::PRI),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interest(event_type: EventType) -> EventFlags {
        flags(Interest::new(event_type)).unwrap()
    }

    #[test]
    fn read_interest_asks_for_peer_half_close() {
        assert!(interest(EventType::Read).contains(EventFlags::RDHUP));
        assert!(interest(EventType::ReadWrite).contains(EventFlags::RDHUP | EventFlags::OUT));
        assert!(interest(EventType::None).is_empty());
        assert!(!interest(EventType::Write).contains(EventFlags::IN));
    }

    #[test]
    fn modes_map_to_their_flags() {
        let read = Interest::new(EventType::Read);
        assert!(flags(read.edge()).unwrap().contains(EventFlags::ET));
        assert!(flags(read.oneshot()).unwrap().contains(EventFlags::ONESHOT));
        assert!(flags(read.priority()).unwrap().contains(EventFlags::PRI));
        let exclusive = flags(read.exclusive()).unwrap();
        assert!(exclusive.contains(EventFlags::EXCLUSIVE | EventFlags::IN));
        assert!(
            !exclusive.contains(EventFlags::RDHUP),
            "the kernel refuses RDHUP here"
        );
        assert!(flags(read.exclusive().oneshot()).is_err());
        assert!(flags(read.exclusive().priority()).is_err());
        assert!(flags(read.exclusive().edge()).is_ok());
    }

    #[test]
    fn every_reported_condition_sets_a_flag() {
        for flags in [
            EventFlags::HUP,
            EventFlags::RDHUP,
            EventFlags::ERR,
            EventFlags::PRI,
        ] {
            let event = ReadyEvent {
                flags,
                data: EventData::new_u64(3),
            };
            let t = triggered::<u64>(&event);
            assert_eq!(t.token, 3);
            assert!(
                t.is_readable
                    || t.is_writable
                    || t.is_hungup
                    || t.is_read_closed
                    || t.is_error
                    || t.is_priority,
                "{flags:?}"
            );
        }
    }

    #[test]
    fn a_half_close_is_not_a_hang_up() {
        let event = |flags| {
            triggered::<u64>(&ReadyEvent {
                flags,
                data: EventData::new_u64(0),
            })
        };
        let half = event(EventFlags::IN | EventFlags::RDHUP);
        assert!(half.is_readable && half.is_read_closed && !half.is_hungup);
        let full = event(EventFlags::HUP);
        assert!(full.is_hungup && full.is_read_closed);
        let plain = event(EventFlags::IN);
        assert!(!plain.is_read_closed && !plain.is_hungup);
    }

    /// A finite wait that finds nothing checks first, then blocks, and the next `SKIP_CHECKS`
    /// waits block at once; a check that finds events keeps checking; a zero timeout always
    /// checks and changes nothing.
    #[test]
    fn a_check_that_finds_nothing_is_skipped_for_a_while() {
        let poller = Poller::new().unwrap();
        let skip = || poller.skip_checks.load(Ordering::Relaxed);
        let mut buf = [MaybeUninit::<ReadyEvent>::uninit(); 4];
        let short = Some(Duration::from_micros(10));
        assert_eq!(skip(), 0);
        assert!(
            poller
                .wait(&mut buf, Some(Duration::ZERO))
                .unwrap()
                .is_empty()
        );
        assert_eq!(skip(), 0, "a poll is a poll");
        assert!(poller.wait(&mut buf, short).unwrap().is_empty());
        assert_eq!(skip(), SKIP_CHECKS);
        for left in (0..SKIP_CHECKS).rev() {
            assert!(poller.wait(&mut buf, short).unwrap().is_empty());
            assert_eq!(skip(), left);
        }
        // Something ready: the check finds it, and checking goes on.
        let (r, mut w) = std::os::unix::net::UnixStream::pair().unwrap();
        poller
            .add(r.as_raw_fd(), Interest::new(EventType::Read), 9)
            .unwrap();
        std::io::Write::write_all(&mut w, b"x").unwrap();
        for _ in 0..3 {
            let ready = poller.wait(&mut buf, short).unwrap();
            assert_eq!(ready.len(), 1);
            assert_eq!(skip(), 0);
        }
    }

    #[test]
    fn events_have_the_kernel_layout() {
        // struct epoll_event is 12 bytes on x86-64 (packed) and 16 elsewhere.
        let expected = if cfg!(target_arch = "x86_64") { 12 } else { 16 };
        assert_eq!(std::mem::size_of::<ReadyEvent>(), expected);
    }
}
