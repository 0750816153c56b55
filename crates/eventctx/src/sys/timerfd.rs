//! timerfd: a timer in the kernel that is readable once it has expired.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::time::{
    Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, timerfd_create, timerfd_gettime,
    timerfd_settime,
};

use super::time::timespec;

/// `timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)`.
pub(crate) fn create() -> io::Result<OwnedFd> {
    let flags = TimerfdFlags::CLOEXEC | TimerfdFlags::NONBLOCK;
    Ok(timerfd_create(TimerfdClockId::Monotonic, flags)?)
}

/// `timerfd_settime`: first expiry after `value`, then every `interval` (zero: once only).
/// A zero `value` disarms the timer.
pub(crate) fn set(fd: BorrowedFd<'_>, value: Duration, interval: Duration) -> io::Result<()> {
    let spec = Itimerspec {
        it_interval: timespec(interval),
        it_value: timespec(value),
    };
    timerfd_settime(fd, TimerfdTimerFlags::empty(), &spec)?;
    Ok(())
}

/// Whether the timer will expire again (`timerfd_gettime` shows a time left).
pub(crate) fn is_armed(fd: BorrowedFd<'_>) -> io::Result<bool> {
    let spec = timerfd_gettime(fd)?;
    Ok(spec.it_value.tv_sec != 0 || spec.it_value.tv_nsec != 0)
}
