//! The system calls every kqueue piece shares: making a kqueue, building a `kevent`, applying
//! changes with a receipt for each, and reading ready events. Each `unsafe` block is one libc
//! call or one plain-data initialisation, with the reason it is sound beside it.
#![allow(unsafe_code)]
// Field types differ between the BSDs (NetBSD's `filter` and `flags` are u32, the others'
// i16/u16; `data` is isize on macOS, i64 elsewhere), so the casts below are needed on some
// targets and not on others.
#![allow(clippy::unnecessary_cast, clippy::useless_conversion)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::ptr;

use super::translate::{Change, Filter, Flags, TimerUnit};
use crate::sys::time::Deadline;

/// One `struct kevent`.
pub(crate) type KEvent = libc::kevent;

/// The `EV_*` and `EVFILT_*` numbers the back-end uses, in one type on every platform.
pub(crate) mod consts {
    pub(crate) const EV_ADD: u32 = libc::EV_ADD as u32;
    pub(crate) const EV_DELETE: u32 = libc::EV_DELETE as u32;
    pub(crate) const EV_ONESHOT: u32 = libc::EV_ONESHOT as u32;
    pub(crate) const EV_EOF: u32 = libc::EV_EOF as u32;
    pub(crate) const EV_ERROR: u32 = libc::EV_ERROR as u32;
    pub(crate) const EVFILT_TIMER: i32 = libc::EVFILT_TIMER as i32;
    pub(crate) const EVFILT_SIGNAL: i32 = libc::EVFILT_SIGNAL as i32;
    pub(crate) const EVFILT_PROC: i32 = libc::EVFILT_PROC as i32;
}

/// Whether `EVFILT_TIMER` takes periods in seconds, microseconds and nanoseconds
/// (`NOTE_SECONDS`, `NOTE_USECONDS`, `NOTE_NSECONDS`), or milliseconds only.
pub(crate) const FINE_TIMERS: bool = cfg!(eventctx_fine_timers);

/// A new kqueue, close-on-exec (`kqueue()` has no flag for it; a kqueue is not inherited by a
/// forked child anyway, but its descriptor number would be, across exec).
pub(crate) fn new_kqueue() -> io::Result<OwnedFd> {
    let kq = rustix::event::kqueue::kqueue()?;
    rustix::io::fcntl_setfd(&kq, rustix::io::FdFlags::CLOEXEC)?;
    Ok(kq)
}

/// A `kevent` with the given fields and the rest zero.
pub(crate) fn kevent(
    ident: usize,
    filter: i32,
    flags: u32,
    fflags: u32,
    data: i64,
    udata: u64,
) -> KEvent {
    // SAFETY: `struct kevent` is integers and one pointer-sized field on every platform, for
    // which all-zero bytes are a valid value.
    let mut event: KEvent = unsafe { std::mem::zeroed() };
    event.ident = ident as _;
    event.filter = filter as _;
    event.flags = flags as _;
    event.fflags = fflags;
    event.data = data as _;
    event.udata = udata as usize as _;
    event
}

/// The `filter` of an entry that stands for both filters of one descriptor (see
/// `poller::merge`): no platform has a filter numbered so (they are small negative numbers, or
/// small positive ones on NetBSD), and it fits both a 16-bit and a 32-bit field.
pub(crate) const MERGED: i32 = -0x7000;

/// The platform's `EVFILT_*` for a filter.
pub(crate) fn filter(filter: Filter) -> i32 {
    match filter {
        Filter::Read => libc::EVFILT_READ as i32,
        Filter::Write => libc::EVFILT_WRITE as i32,
    }
}

/// The platform's `EV_*` bits for the back-end's flag names.
pub(crate) fn flags(flags: Flags) -> u32 {
    let mut bits = 0;
    for (name, value) in [
        (Flags::ADD, libc::EV_ADD as u32),
        (Flags::DELETE, libc::EV_DELETE as u32),
        (Flags::ENABLE, libc::EV_ENABLE as u32),
        (Flags::DISABLE, libc::EV_DISABLE as u32),
        (Flags::CLEAR, libc::EV_CLEAR as u32),
        (Flags::DISPATCH, libc::EV_DISPATCH as u32),
    ] {
        if flags.contains(name) {
            bits |= value;
        }
    }
    bits
}

/// The `kevent` for one change on descriptor `fd`, carrying `token`.
pub(crate) fn change(fd: i32, change: &Change, token: u64) -> KEvent {
    kevent(
        fd as usize,
        filter(change.filter),
        flags(change.flags),
        0,
        0,
        token,
    )
}

/// The platform's `fflags` for a timer unit.
pub(crate) fn timer_unit(unit: TimerUnit) -> u32 {
    match unit {
        TimerUnit::Millis => 0,
        #[cfg(eventctx_fine_timers)]
        TimerUnit::Seconds => libc::NOTE_SECONDS as u32,
        #[cfg(eventctx_fine_timers)]
        TimerUnit::Micros => libc::NOTE_USECONDS as u32,
        #[cfg(eventctx_fine_timers)]
        TimerUnit::Nanos => libc::NOTE_NSECONDS as u32,
        // `translate::timer_period` gives only milliseconds where `FINE_TIMERS` is false.
        #[allow(unreachable_patterns)]
        _ => 0,
    }
}

/// Applies `changes` (at most 4) with `EV_RECEIPT`, so that each gets its own answer and no
/// pending event is taken: the errno of each change, 0 for success.
pub(crate) fn apply(kq: BorrowedFd<'_>, changes: &mut [KEvent]) -> io::Result<[i32; 4]> {
    assert!(changes.len() <= 4, "at most 4 changes at once");
    for change in changes.iter_mut() {
        change.flags = (change.flags as u32 | libc::EV_RECEIPT as u32) as _;
    }
    let mut receipts = [kevent(0, 0, 0, 0, 0, 0); 4];
    let n = changes.len();
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    loop {
        // SAFETY: `changes` holds `n` initialised kevents and `receipts` has room for `n`;
        // the kernel reads the first and writes at most `n` entries of the second; `zero`
        // outlives the call.
        let got = unsafe {
            libc::kevent(
                kq.as_raw_fd(),
                changes.as_ptr(),
                n as _,
                receipts.as_mut_ptr(),
                n as _,
                &zero,
            )
        };
        if got >= 0 {
            let mut errors = [0; 4];
            for (error, receipt) in errors.iter_mut().zip(&receipts[..got as usize]) {
                if receipt.flags as u32 & libc::EV_ERROR as u32 != 0 {
                    *error = receipt.data as i32;
                }
            }
            return Ok(errors);
        }
        let error = io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::EINTR) {
            return Err(error);
        }
    }
}

/// Applies one change: its errno as the error.
pub(crate) fn apply_one(kq: BorrowedFd<'_>, change: KEvent) -> io::Result<()> {
    match apply(kq, &mut [change])? {
        [0, ..] => Ok(()),
        [errno, ..] => Err(io::Error::from_raw_os_error(errno)),
    }
}

/// Waits for ready events into `out` (room for `len`), resumed after `EINTR` with the time
/// that remains; `None` waits forever. Returns how many entries were written.
///
/// # Safety
///
/// `out` must be valid for writes of `len` kevents.
pub(crate) unsafe fn wait(
    kq: BorrowedFd<'_>,
    out: *mut KEvent,
    len: usize,
    timeout: Option<std::time::Duration>,
) -> io::Result<usize> {
    let len = i32::try_from(len).unwrap_or(i32::MAX);
    let mut deadline = Deadline::new(timeout);
    loop {
        let step = deadline.step().map(|t| libc::timespec {
            tv_sec: t.as_secs().min(i64::MAX as u64) as _,
            tv_nsec: t.subsec_nanos() as _,
        });
        let timeout_ptr = step
            .as_ref()
            .map_or(ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: no changes are passed; `out` is valid for `len` entries (the caller's
        // promise), of which the kernel writes at most `len`; `timeout_ptr` is null or points
        // to `step`, which outlives the call.
        let got =
            unsafe { libc::kevent(kq.as_raw_fd(), ptr::null(), 0, out, len as _, timeout_ptr) };
        if got > 0 || (got == 0 && deadline.is_last_step()) {
            return Ok(got as usize);
        }
        if got < 0 {
            let error = io::Error::last_os_error();
            if error.raw_os_error() != Some(libc::EINTR) {
                return Err(error);
            }
        }
        deadline.refresh();
    }
}

/// Takes one pending event without blocking, if there is one.
pub(crate) fn take_one(kq: BorrowedFd<'_>) -> io::Result<Option<KEvent>> {
    let mut event = kevent(0, 0, 0, 0, 0, 0);
    // SAFETY: `event` is valid for writes of one kevent.
    let got = unsafe { wait(kq, &mut event, 1, Some(std::time::Duration::ZERO))? };
    Ok((got == 1).then_some(event))
}

/// The token a returned event carries.
pub(crate) fn token(event: &KEvent) -> u64 {
    event.udata as usize as u64
}

/// Whether a returned event has `flag` (`libc::EV_EOF`, ...).
pub(crate) fn has_flag(event: &KEvent, flag: u32) -> bool {
    event.flags as u32 & flag != 0
}
