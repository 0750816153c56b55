//! `Timer`: a timer that is a descriptor, on timerfd.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::Result;
use crate::sys::{self, time::Deadline};

/// A timer that can be waited on directly or through a context.
///
/// A timer is armed once ([`reset_oneshot`](Timer::reset_oneshot)) or to repeat
/// ([`reset_repeating`](Timer::reset_repeating)); it becomes readable when it fires, and stays
/// so until [`wait`](Timer::wait) or [`mark_waited`](Timer::mark_waited) clears it. Time is
/// measured on `CLOCK_MONOTONIC`, so changes to the wall clock do not move it.
///
/// On Linux it is a timerfd, created close-on-exec and non-blocking, and closed on drop.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use eventctx::Timer;
///
/// let mut timer = Timer::new()?;
/// let start = Instant::now();
/// timer.reset_oneshot(Duration::from_millis(2))?;
/// timer.wait()?;
/// assert!(start.elapsed() >= Duration::from_millis(2));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Timer {
    fd: OwnedFd,
}

impl Timer {
    /// Creates a timer that is not armed.
    ///
    /// # Errors
    ///
    /// `EMFILE` or `ENFILE` when out of descriptors, `ENOMEM` when out of memory.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut timer = eventctx::Timer::new()?;
    /// assert!(timer.mark_waited()?); // not armed, so it has not fired
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// [`timerfd_create(2)`](https://man7.org/linux/man-pages/man2/timerfd_create.2.html)
    #[doc(alias = "timerfd_create")]
    pub fn new() -> Result<Timer> {
        Ok(Timer {
            fd: sys::timerfd::create()?,
        })
    }

    /// Arms the timer to fire once, `dur` from now, replacing any earlier setting.
    ///
    /// `Duration::ZERO` fires at once. A firing that was not waited for yet is cleared.
    ///
    /// # Errors
    ///
    /// None in practice: every duration is accepted (beyond `i64::MAX` seconds it is clamped).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut timer = eventctx::Timer::new()?;
    /// timer.reset_oneshot(Duration::ZERO)?;
    /// timer.wait()?; // fired already
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// [`timerfd_settime(2)`](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[doc(alias = "timerfd_settime")]
    pub fn reset_oneshot(&mut self, dur: Duration) -> Result<()> {
        // A zero expiry would disarm the timer: the soonest the kernel can fire is 1 ns.
        let dur = dur.max(Duration::from_nanos(1));
        sys::timerfd::set(self.fd.as_fd(), dur, Duration::ZERO)
    }

    /// Arms the timer to fire every `interval`, the first time `interval` from now.
    ///
    /// Firings that were not waited for add up: [`wait`](Timer::wait) and
    /// [`mark_waited`](Timer::mark_waited) clear them all at once.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `interval` is zero, which would never fire.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut timer = eventctx::Timer::new()?;
    /// timer.reset_repeating(Duration::from_millis(1))?;
    /// timer.wait()?;
    /// timer.wait()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "timerfd_settime")]
    pub fn reset_repeating(&mut self, interval: Duration) -> Result<()> {
        if interval.is_zero() {
            return Err(rustix::io::Errno::INVAL.into());
        }
        sys::timerfd::set(self.fd.as_fd(), interval, interval)
    }

    /// Blocks until the timer fires, then clears it. Returns at once if it fired already.
    ///
    /// Signals do not end the wait: when a handler interrupts it, it resumes.
    ///
    /// # Errors
    ///
    /// `EINVAL` if the timer is not armed and has not fired: it would never wake.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut timer = eventctx::Timer::new()?;
    /// assert!(timer.wait().is_err()); // not armed
    /// timer.reset_oneshot(Duration::from_micros(100))?;
    /// timer.wait()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait(&mut self) -> Result<()> {
        let mut forever = Deadline::new(None);
        loop {
            if sys::read_counter(self.fd.as_fd())?.is_some() {
                return Ok(());
            }
            if !sys::timerfd::is_armed(self.fd.as_fd())? {
                return Err(rustix::io::Errno::INVAL.into());
            }
            sys::wait_readable(self.fd.as_fd(), &mut forever)?;
        }
    }

    /// Clears a firing without blocking. Returns `true` if the timer had *not* fired (there
    /// was nothing to clear), `false` if it had.
    ///
    /// This is what to call when a context reports the timer readable.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut timer = eventctx::Timer::new()?;
    /// assert!(timer.mark_waited()?); // nothing fired
    /// timer.reset_oneshot(Duration::ZERO)?;
    /// std::thread::sleep(Duration::from_millis(1));
    /// assert!(!timer.mark_waited()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn mark_waited(&mut self) -> Result<bool> {
        Ok(sys::read_counter(self.fd.as_fd())?.is_none())
    }

    /// Disarms the timer, and clears a firing that was not waited for.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut timer = eventctx::Timer::new()?;
    /// timer.reset_repeating(Duration::from_millis(1))?;
    /// timer.clear()?;
    /// assert!(timer.wait().is_err()); // disarmed: waiting would never end
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn clear(&mut self) -> Result<()> {
        sys::timerfd::set(self.fd.as_fd(), Duration::ZERO, Duration::ZERO)
    }
}

impl AsFd for Timer {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Timer {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
