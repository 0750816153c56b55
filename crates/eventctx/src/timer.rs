//! `Timer`: a timer that is a descriptor, on timerfd.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use crate::sys::{self, time::Deadline};
use crate::{AsRawDescriptor, IntoRawDescriptor, Result};

/// A timer that can be waited on directly or through a context.
///
/// A timer is armed once ([`reset_oneshot`](TimerOps::reset_oneshot)) or to repeat
/// ([`reset_repeating`](TimerOps::reset_repeating)); it becomes readable when it fires, and
/// stays so until [`wait`](TimerOps::wait) or [`mark_waited`](TimerOps::mark_waited) clears it.
/// Time is measured on `CLOCK_MONOTONIC`, so changes to the wall clock do not move it.
///
/// Those methods are [`TimerOps`]'s, which a `Timer` dereferences to: they are called on a
/// `Timer` as on any type, with no import. (They are not `Timer`'s own, so that crosvm code
/// that imports [`TimerTrait`] to call them, as crosvm requires, uses that import and gets
/// no "unused import" warning.)
///
/// On Linux it is a timerfd, created close-on-exec and non-blocking, and closed on drop. On
/// macOS and the BSDs it is a kqueue of its own holding one `EVFILT_TIMER`, so it is a
/// descriptor there too.
/// [`try_clone`](Timer::try_clone) makes a second handle to the same timer: arming it through
/// one handle is seen by both.
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
    pub(crate) ops: TimerOps,
}

/// What a [`Timer`] does: arm, wait, clear. A `Timer` dereferences to it, so these are called
/// on the `Timer` itself (`timer.wait()`); see there.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use eventctx::Timer;
///
/// let mut timer = Timer::new()?;
/// timer.reset_oneshot(Duration::from_millis(1))?; // TimerOps::reset_oneshot
/// timer.wait()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct TimerOps {
    pub(crate) inner: sys::timer::Timer,
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
        Ok(Timer::from_sys(sys::timer::Timer::new()?))
    }

    pub(crate) fn from_sys(inner: sys::timer::Timer) -> Timer {
        Timer {
            ops: TimerOps { inner },
        }
    }

    /// Makes another handle to the same timer: arming, clearing or waiting through either acts
    /// on both.
    ///
    /// # Errors
    ///
    /// `EMFILE` when the process is out of descriptors.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut timer = eventctx::Timer::new()?;
    /// let mut clone = timer.try_clone()?;
    /// clone.reset_oneshot(Duration::ZERO)?;
    /// timer.wait()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> std::result::Result<Timer, std::io::Error> {
        Ok(Timer::from_sys(self.ops.inner.try_clone()?))
    }
}

impl Deref for Timer {
    type Target = TimerOps;

    fn deref(&self) -> &TimerOps {
        &self.ops
    }
}

impl DerefMut for Timer {
    fn deref_mut(&mut self) -> &mut TimerOps {
        &mut self.ops
    }
}

impl TimerOps {
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
        self.inner.set(dur, Duration::ZERO)
    }

    /// Arms the timer to fire every `interval`, the first time `interval` from now.
    ///
    /// Firings that were not waited for add up: [`wait`](TimerOps::wait) and
    /// [`mark_waited`](TimerOps::mark_waited) clear them all at once. `Duration::ZERO` disarms
    /// the timer, as [`clear`](TimerOps::clear) does (a timer that fired every 0 ns could not be
    /// served).
    ///
    /// # Errors
    ///
    /// None in practice: every interval is accepted (beyond `i64::MAX` seconds it is clamped).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut timer = eventctx::Timer::new()?;
    /// timer.reset_repeating(Duration::from_millis(1))?;
    /// timer.wait()?;
    /// timer.wait()?;
    /// timer.reset_repeating(Duration::ZERO)?; // disarmed
    /// std::thread::sleep(Duration::from_millis(3));
    /// assert!(timer.mark_waited()?); // and so it has not fired
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "timerfd_settime")]
    pub fn reset_repeating(&mut self, interval: Duration) -> Result<()> {
        self.inner.set(interval, interval)
    }

    /// Blocks until the timer fires, then clears it. Returns at once if it fired already.
    ///
    /// Signals do not end the wait: when a handler interrupts it, it resumes. A timer that is
    /// not armed may still be armed through a clone ([`try_clone`](Timer::try_clone)) by
    /// another thread, so waiting on it blocks until it fires; if nothing ever arms it, the
    /// call never returns.
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
    /// let mut other = timer.try_clone()?;
    /// let arm = std::thread::spawn(move || other.reset_oneshot(Duration::from_millis(1)));
    /// timer.wait()?; // not armed yet: blocks until the other thread arms it and it fires
    /// arm.join().unwrap()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait(&mut self) -> Result<()> {
        let mut forever = Deadline::new(None);
        loop {
            if self.inner.read_count()?.is_some() {
                return Ok(());
            }
            self.inner.wait_readable(&mut forever)?;
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
        Ok(self.inner.read_count()?.is_none())
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
    /// std::thread::sleep(Duration::from_millis(2));
    /// timer.clear()?;
    /// assert!(timer.mark_waited()?); // the firings were cleared, and no more come
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn clear(&mut self) -> Result<()> {
        self.inner.set(Duration::ZERO, Duration::ZERO)
    }

    /// The resolution of the clock the timer runs on (`CLOCK_MONOTONIC`): no timer fires more
    /// precisely than this.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// let timer = eventctx::Timer::new()?;
    /// assert!(timer.resolution()? <= std::time::Duration::from_millis(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// [`clock_getres(2)`](https://man7.org/linux/man-pages/man2/clock_getres.2.html)
    #[doc(alias = "clock_getres")]
    pub fn resolution(&self) -> Result<Duration> {
        Ok(sys::timer::resolution())
    }
}

/// What crosvm's devices hold as `Box<dyn TimerTrait>`: a [`Timer`] in production, a
/// [`FakeTimer`](crate::FakeTimer) in tests.
///
/// The methods mean what [`Timer`]'s methods of the same names mean; the trait adds nothing
/// to them.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use eventctx::{FakeClock, FakeTimer, Timer, TimerTrait};
///
/// fn arm(timer: &mut dyn TimerTrait) -> eventctx::Result<()> {
///     timer.reset_oneshot(Duration::from_millis(5))
/// }
///
/// let clock = Arc::new(Mutex::new(FakeClock::new()));
/// let mut timers: Vec<Box<dyn TimerTrait>> =
///     vec![Box::new(Timer::new()?), Box::new(FakeTimer::new(clock.clone()))];
/// for timer in &mut timers {
///     arm(timer.as_mut())?;
/// }
/// clock.lock().unwrap().add_ns(5_000_000);
/// for timer in &mut timers {
///     timer.wait()?; // the real one after 5 ms, the fake one at once
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait TimerTrait: AsRawDescriptor + IntoRawDescriptor + Send {
    /// Arms the timer to fire once, `dur` from now. See [`Timer::reset_oneshot`](TimerOps::reset_oneshot).
    ///
    /// # Errors
    ///
    /// As for [`Timer::reset_oneshot`](TimerOps::reset_oneshot).
    fn reset_oneshot(&mut self, dur: Duration) -> Result<()>;

    /// Arms the timer to fire every `dur`; zero disarms it. See [`Timer::reset_repeating`](TimerOps::reset_repeating).
    ///
    /// # Errors
    ///
    /// As for [`Timer::reset_repeating`](TimerOps::reset_repeating).
    fn reset_repeating(&mut self, dur: Duration) -> Result<()>;

    /// Blocks until the timer fires, then clears it. See [`Timer::wait`](TimerOps::wait).
    ///
    /// # Errors
    ///
    /// As for [`Timer::wait`](TimerOps::wait).
    fn wait(&mut self) -> Result<()>;

    /// Clears a firing without blocking; `true` if it had not fired. See
    /// [`Timer::mark_waited`](TimerOps::mark_waited).
    ///
    /// # Errors
    ///
    /// As for [`Timer::mark_waited`](TimerOps::mark_waited).
    fn mark_waited(&mut self) -> Result<bool>;

    /// Disarms the timer. See [`Timer::clear`](TimerOps::clear).
    ///
    /// # Errors
    ///
    /// As for [`Timer::clear`](TimerOps::clear).
    fn clear(&mut self) -> Result<()>;

    /// The finest step the timer can fire at. See [`Timer::resolution`](TimerOps::resolution).
    ///
    /// # Errors
    ///
    /// As for [`Timer::resolution`](TimerOps::resolution).
    fn resolution(&self) -> Result<Duration>;
}

impl TimerTrait for Timer {
    fn reset_oneshot(&mut self, dur: Duration) -> Result<()> {
        self.ops.reset_oneshot(dur)
    }

    fn reset_repeating(&mut self, dur: Duration) -> Result<()> {
        self.ops.reset_repeating(dur)
    }

    fn wait(&mut self) -> Result<()> {
        self.ops.wait()
    }

    fn mark_waited(&mut self) -> Result<bool> {
        self.ops.mark_waited()
    }

    fn clear(&mut self) -> Result<()> {
        self.ops.clear()
    }

    fn resolution(&self) -> Result<Duration> {
        self.ops.resolution()
    }
}
