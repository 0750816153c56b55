//! A `Timer` on kqueue: a kqueue of its own holding one `EVFILT_TIMER`, so that the timer is a
//! descriptor a context can watch (a kqueue is readable while it has an event pending).

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use super::kevent::{self, FINE_TIMERS, consts};
use super::translate::{self, TimerSetting};
use crate::sys::time::Deadline;

/// The timer's identifier inside its own kqueue: there is only one.
const IDENT: usize = 1;

/// A kqueue with (when armed) one `EVFILT_TIMER`.
#[derive(Debug)]
pub(crate) struct Timer {
    kq: OwnedFd,
}

impl Timer {
    /// A new timer, not armed.
    pub(crate) fn new() -> io::Result<Timer> {
        Ok(Timer {
            kq: kevent::new_kqueue()?,
        })
    }

    /// Gives the descriptor (the kqueue) back.
    pub(crate) fn into_fd(self) -> OwnedFd {
        self.kq
    }

    /// Arms the timer (first expiry after `value`, then every `interval`; zero: once), or
    /// disarms it for a zero `value`. Expiries not yet read are dropped, as `timerfd_settime`
    /// drops them: the old `EVFILT_TIMER` is deleted first.
    pub(crate) fn set(&self, value: Duration, interval: Duration) -> io::Result<()> {
        let setting = translate::timer_setting(value, interval)?;
        let timer = consts::EVFILT_TIMER;
        let delete = consts::EV_DELETE;
        let [deleted, ..] = kevent::apply(
            self.kq.as_fd(),
            &mut [kevent::kevent(IDENT, timer, delete, 0, 0, 0)],
        )?;
        if deleted != 0 && deleted != libc::ENOENT {
            return Err(io::Error::from_raw_os_error(deleted));
        }
        let (period, once) = match setting {
            TimerSetting::Disarm => return Ok(()),
            TimerSetting::Once(period) => (period, true),
            TimerSetting::Every(period) => (period, false),
        };
        let (data, unit) = translate::timer_period(period, FINE_TIMERS);
        let mut flags = consts::EV_ADD;
        if once {
            flags |= consts::EV_ONESHOT;
        }
        let change = kevent::kevent(IDENT, timer, flags, kevent::timer_unit(unit), data, 0);
        kevent::apply_one(self.kq.as_fd(), change)
    }

    /// Takes the number of expiries since the last read without blocking: `None` if none.
    /// (A one-shot timer's event is removed by the read, a repeating one's count reset.)
    pub(crate) fn read_count(&self) -> io::Result<Option<u64>> {
        Ok(kevent::take_one(self.kq.as_fd())?
            .map(|event| u64::try_from(event.data).unwrap_or(1).max(1)))
    }

    /// Waits until the timer has expired or `deadline` passes (`false`), reading nothing.
    pub(crate) fn wait_readable(&self, deadline: &mut Deadline) -> io::Result<bool> {
        crate::sys::unix::wait_readable(self.kq.as_fd(), deadline)
    }

    /// A second handle on the same timer (the same kqueue).
    pub(crate) fn try_clone(&self) -> io::Result<Timer> {
        Ok(Timer {
            kq: self.kq.try_clone()?,
        })
    }
}

impl AsFd for Timer {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.kq.as_fd()
    }
}

/// The finest period a timer keeps here.
pub(crate) fn resolution() -> Duration {
    translate::timer_resolution(FINE_TIMERS)
}
