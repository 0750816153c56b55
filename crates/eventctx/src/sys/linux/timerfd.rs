//! timerfd: a timer in the kernel that is readable once it has expired.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::time::{
    Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, timerfd_create, timerfd_settime,
};

use crate::sys::time::Deadline;
use crate::sys::unix::timespec;

/// A timerfd: what a `Timer` is made of on Linux. Non-blocking: its count is read without
/// blocking, and a wait polls.
#[derive(Debug)]
pub(crate) struct Timer {
    fd: OwnedFd,
}

impl Timer {
    /// A new timer, not armed.
    pub(crate) fn new() -> io::Result<Timer> {
        Ok(Timer { fd: create()? })
    }

    /// Adopts a descriptor that should be a timerfd, made non-blocking as `new` makes its own
    /// (a descriptor that refuses the flag is no timerfd; every later call says so).
    pub(crate) fn from_fd(fd: OwnedFd) -> Timer {
        let _ = set_nonblocking(fd.as_fd());
        Timer { fd }
    }

    /// Gives the descriptor back.
    pub(crate) fn into_fd(self) -> OwnedFd {
        self.fd
    }

    /// Arms the timer: first expiry after `value`, then every `interval` (zero: once only).
    /// A zero `value` disarms it.
    pub(crate) fn set(&self, value: Duration, interval: Duration) -> io::Result<()> {
        set(self.fd.as_fd(), value, interval)
    }

    /// Takes the number of expiries since the last read without blocking: `None` if none.
    pub(crate) fn read_count(&self) -> io::Result<Option<u64>> {
        crate::sys::linux::read_counter(self.fd.as_fd())
    }

    /// Waits until the timer has expired or `deadline` passes (`false`), reading nothing.
    pub(crate) fn wait_readable(&self, deadline: &mut Deadline) -> io::Result<bool> {
        crate::sys::unix::wait_readable(self.fd.as_fd(), deadline)
    }

    /// A second handle on the same timer.
    pub(crate) fn try_clone(&self) -> io::Result<Timer> {
        Ok(Timer {
            fd: self.fd.try_clone()?,
        })
    }
}

impl AsFd for Timer {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// `timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)`.
fn create() -> io::Result<OwnedFd> {
    let flags = TimerfdFlags::CLOEXEC | TimerfdFlags::NONBLOCK;
    Ok(timerfd_create(TimerfdClockId::Monotonic, flags)?)
}

/// `timerfd_settime`: first expiry after `value`, then every `interval` (zero: once only).
/// A zero `value` disarms the timer.
fn set(fd: BorrowedFd<'_>, value: Duration, interval: Duration) -> io::Result<()> {
    let spec = Itimerspec {
        it_interval: timespec(interval),
        it_value: timespec(value),
    };
    timerfd_settime(fd, TimerfdTimerFlags::empty(), &spec)?;
    Ok(())
}

/// Makes a timerfd adopted from elsewhere non-blocking, as `create` makes its own: a `Timer`
/// reads its count without blocking, and waits with `poll` when it means to wait.
fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
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
