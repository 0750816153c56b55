//! timerfd: a timer in the kernel that is readable once it has expired.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::time::{
    Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, timerfd_create, timerfd_settime,
};

use crate::sys::time::timespec;

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

/// Makes a timerfd adopted from elsewhere non-blocking, as `create` makes its own: a `Timer`
/// reads its count without blocking, and waits with `poll` when it means to wait.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    Ok(rustix::io::ioctl_fionbio(fd, true)?)
}

/// The resolution of `CLOCK_MONOTONIC`, the clock every timerfd here runs on.
pub(crate) fn resolution() -> Duration {
    let res = rustix::time::clock_getres(rustix::time::ClockId::Monotonic);
    Duration::new(
        u64::try_from(res.tv_sec).unwrap_or(0),
        u32::try_from(res.tv_nsec).unwrap_or(0),
    )
}
