//! `Clock`, and `FakeClock` and `FakeTimer`: time that moves only when a test moves it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use crate::{Event, EventExt, EventWaitResult, Result, TimerTrait};

/// The real clock: what code reads where a test would put a [`FakeClock`].
///
/// crosvm's devices take the time from a `Clock` in production and from a `FakeClock` in
/// tests, through the same `now()`; both give an [`Instant`], so the code under test does its
/// arithmetic the same way on either.
///
/// # Examples
///
/// ```
/// use std::time::Instant;
/// use eventctx::Clock;
///
/// let before = Instant::now();
/// let clock = Clock::new();
/// assert!(clock.now() >= before);
/// ```
#[derive(Debug, Default, Copy, Clone)]
pub struct Clock;

impl Clock {
    /// The real clock.
    ///
    /// # Examples
    ///
    /// ```
    /// let clock = eventctx::Clock::new();
    /// let a = clock.now();
    /// assert!(clock.now() >= a); // monotonic
    /// ```
    #[must_use]
    pub fn new() -> Clock {
        Clock
    }

    /// The current time: [`Instant::now`].
    ///
    /// # Examples
    ///
    /// ```
    /// let clock = eventctx::Clock::new();
    /// let start = clock.now();
    /// std::thread::sleep(std::time::Duration::from_millis(1));
    /// assert!(clock.now() - start >= std::time::Duration::from_millis(1));
    /// ```
    #[must_use]
    pub fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock for tests that stands still until [`add_ns`](FakeClock::add_ns) moves it.
///
/// [`FakeTimer`]s run on it: each fires when the clock is moved to or past its deadline, never
/// because real time passed. Share the clock as an `Arc<Mutex<FakeClock>>` between the test,
/// which moves it, and the timers of the code under test.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use eventctx::{FakeClock, FakeTimer, TimerTrait};
///
/// let clock = Arc::new(Mutex::new(FakeClock::new()));
/// let mut timer = FakeTimer::new(clock.clone());
/// timer.reset_oneshot(Duration::from_secs(60))?;
///
/// clock.lock().unwrap().add_ns(59_000_000_000);
/// assert!(timer.mark_waited()?); // a minute has not passed on the fake clock
/// clock.lock().unwrap().add_ns(1_000_000_000);
/// assert!(!timer.mark_waited()?); // now it has: the timer fired
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct FakeClock {
    /// The [`Instant`] that stands for 0 ns on this clock: when it was made.
    epoch: Instant,
    ns: u64,
    alarms: Vec<Alarm>,
}

impl Default for FakeClock {
    fn default() -> FakeClock {
        FakeClock {
            epoch: Instant::now(),
            ns: 0,
            alarms: Vec::new(),
        }
    }
}

/// An armed [`FakeTimer`], as its clock keeps it.
#[derive(Debug)]
struct Alarm {
    deadline_ns: u64,
    /// Zero for a one-shot timer.
    interval_ns: u64,
    /// The timer's event. Weak, so that a dropped timer's alarm goes away by itself.
    event: Weak<Event>,
}

/// The most expirations one move of the clock adds to a timer's count: an eventfd write that
/// would take the count near `u64::MAX` blocks, and a test never needs to count that far.
const MAX_EXPIRATIONS_PER_MOVE: u64 = 1 << 32;

impl FakeClock {
    /// A clock at 0 ns, with no timer armed.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(eventctx::FakeClock::new().nanos(), 0);
    /// ```
    #[must_use]
    pub fn new() -> FakeClock {
        FakeClock::default()
    }

    /// The time on this clock, in nanoseconds since it was made.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut clock = eventctx::FakeClock::new();
    /// clock.add_ns(1_500);
    /// assert_eq!(clock.nanos(), 1_500);
    /// ```
    #[must_use]
    pub fn nanos(&self) -> u64 {
        self.ns
    }

    /// The time on this clock as an [`Instant`]: the real time when the clock was made, plus
    /// [`nanos`](FakeClock::nanos). It moves only when [`add_ns`](FakeClock::add_ns) moves it,
    /// so code that reads `now()` from a [`Clock`] in production can read it from a
    /// `FakeClock` in tests.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut clock = eventctx::FakeClock::new();
    /// let start = clock.now();
    /// std::thread::sleep(Duration::from_millis(2));
    /// assert_eq!(clock.now(), start); // real time does not move it
    /// clock.add_ns(1_000_000);
    /// assert_eq!(clock.now() - start, Duration::from_millis(1));
    /// ```
    #[must_use]
    pub fn now(&self) -> Instant {
        // An `Instant` reaches hundreds of years past any start on every supported platform,
        // so `u64::MAX` nanoseconds (584 years) cannot overflow it; should one fall short, this
        // halves the offset until it fits rather than panicking.
        let mut ns = self.ns;
        loop {
            if let Some(now) = self.epoch.checked_add(Duration::from_nanos(ns)) {
                return now;
            }
            ns /= 2;
        }
    }

    /// Moves the clock `ns` nanoseconds on (stopping at `u64::MAX`), and fires every timer
    /// whose deadline is now reached.
    ///
    /// A repeating timer fires once for each interval that has passed, so a move of three
    /// intervals adds three to its count, and its next deadline is the first one still ahead.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use eventctx::{EventContext, FakeClock, FakeTimer, TimerTrait};
    ///
    /// let clock = Arc::new(Mutex::new(FakeClock::new()));
    /// let mut tick = FakeTimer::new(clock.clone());
    /// tick.reset_repeating(Duration::from_millis(10))?;
    /// let ctx = EventContext::build_with(&[(&tick, 1u32)])?;
    ///
    /// assert!(ctx.wait_timeout(Duration::from_millis(20))?.is_empty()); // real time: nothing
    /// clock.lock().unwrap().add_ns(10_000_000);
    /// assert_eq!(ctx.wait()?[0].token, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn add_ns(&mut self, ns: u64) {
        self.ns = self.ns.saturating_add(ns);
        let now = self.ns;
        self.alarms.retain_mut(|alarm| {
            let Some(event) = alarm.event.upgrade() else {
                return false; // the timer was dropped
            };
            if alarm.deadline_ns > now {
                return true;
            }
            let (expirations, keep) = match alarm.interval_ns {
                0 => (1, false),
                interval => {
                    let passed = (now - alarm.deadline_ns) / interval;
                    alarm.deadline_ns = alarm
                        .deadline_ns
                        .saturating_add(passed.saturating_add(1).saturating_mul(interval));
                    // A deadline past the end of time never comes.
                    (passed.saturating_add(1), alarm.deadline_ns > now)
                }
            };
            // Cannot fail on an eventfd this module made, whose count a test reads long
            // before it nears the maximum; a failure would only lose this firing.
            let _ = event.write_count(expirations.min(MAX_EXPIRATIONS_PER_MOVE));
            keep
        });
    }

    /// Arms (or re-arms) the timer whose event is `event`.
    fn arm(&mut self, event: &Arc<Event>, delay_ns: u64, interval_ns: u64) {
        self.disarm(event);
        self.alarms.push(Alarm {
            deadline_ns: self.ns.saturating_add(delay_ns),
            interval_ns,
            event: Arc::downgrade(event),
        });
        // A zero delay is due now.
        self.add_ns(0);
    }

    fn disarm(&mut self, event: &Arc<Event>) {
        self.alarms
            .retain(|alarm| !std::ptr::eq(alarm.event.as_ptr(), Arc::as_ptr(event)));
    }
}

/// A timer on a [`FakeClock`]: it fires when the clock is moved past its deadline, never by
/// itself.
///
/// It is a real descriptor (an eventfd), readable while it has fired and not been waited for,
/// so it can be added to a real [`EventContext`](crate::EventContext) beside real descriptors:
/// a time-driven loop can then be tested step by step, without sleeping. It has the methods of
/// [`Timer`](crate::Timer) through [`TimerTrait`], with the same meaning.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use eventctx::{FakeClock, FakeTimer, TimerTrait};
///
/// let clock = Arc::new(Mutex::new(FakeClock::new()));
/// let mut timer: Box<dyn TimerTrait> = Box::new(FakeTimer::new(clock.clone()));
/// timer.reset_repeating(Duration::from_nanos(100))?;
/// clock.lock().unwrap().add_ns(250); // two intervals pass
/// timer.wait()?; // returns at once: it has fired
/// assert!(timer.mark_waited()?); // the wait cleared both firings
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct FakeTimer {
    clock: Arc<Mutex<FakeClock>>,
    /// Readable while fired; its count is the number of expirations not yet waited for. The
    /// clock holds a weak reference while the timer is armed.
    pub(crate) event: Arc<Event>,
}

impl FakeTimer {
    /// A timer on `clock`, not armed.
    ///
    /// # Panics
    ///
    /// If the process is out of descriptors (the timer needs one). Use
    /// [`try_new`](FakeTimer::try_new) to get the error instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use eventctx::{FakeClock, FakeTimer, TimerTrait};
    ///
    /// let mut timer = FakeTimer::new(Arc::new(Mutex::new(FakeClock::new())));
    /// assert!(timer.mark_waited()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(clock: Arc<Mutex<FakeClock>>) -> FakeTimer {
        match FakeTimer::try_new(clock) {
            Ok(timer) => timer,
            Err(e) => panic!("FakeTimer::new: cannot create its eventfd: {e}"),
        }
    }

    /// A timer on `clock`, not armed; an error instead of a panic when out of descriptors.
    ///
    /// # Errors
    ///
    /// `EMFILE` or `ENFILE` when out of descriptors.
    ///
    /// # Examples
    ///
    /// ```ignore-windows
    /// use std::sync::{Arc, Mutex};
    /// use eventctx::{AsRawDescriptor, FakeClock, FakeTimer};
    ///
    /// let timer = FakeTimer::try_new(Arc::new(Mutex::new(FakeClock::new())))?;
    /// assert!(timer.as_raw_descriptor() >= 0); // a real descriptor
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_new(clock: Arc<Mutex<FakeClock>>) -> Result<FakeTimer> {
        Ok(FakeTimer {
            clock,
            event: Arc::new(Event::new()?),
        })
    }

    /// The clock, locked. A test that panicked while holding the lock leaves the clock as it
    /// was; other tests' timers go on with it.
    fn lock(&self) -> MutexGuard<'_, FakeClock> {
        self.clock.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Nanoseconds, saturating at `u64::MAX` (about 584 years).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl TimerTrait for FakeTimer {
    /// Arms the timer to fire once, when the clock has moved `dur` on; `Duration::ZERO` fires
    /// at once. A firing not yet waited for is cleared.
    fn reset_oneshot(&mut self, dur: Duration) -> Result<()> {
        let mut clock = self.lock();
        self.event.reset()?;
        clock.arm(&self.event, nanos(dur), 0);
        Ok(())
    }

    /// Arms the timer to fire each time the clock has moved `dur` on; zero disarms it.
    fn reset_repeating(&mut self, dur: Duration) -> Result<()> {
        if dur.is_zero() {
            return self.clear();
        }
        let mut clock = self.lock();
        self.event.reset()?;
        let interval = nanos(dur);
        clock.arm(&self.event, interval, interval);
        Ok(())
    }

    /// Blocks (in real time) until the timer has fired, then clears it. Only a move of the
    /// clock, from another thread, can end the wait of a timer that has not fired.
    fn wait(&mut self) -> Result<()> {
        self.event.wait()
    }

    fn mark_waited(&mut self) -> Result<bool> {
        Ok(self.event.wait_timeout(Duration::ZERO)? == EventWaitResult::TimedOut)
    }

    fn clear(&mut self) -> Result<()> {
        let mut clock = self.lock();
        clock.disarm(&self.event);
        self.event.reset()
    }

    /// One nanosecond: the clock's unit.
    fn resolution(&self) -> Result<Duration> {
        Ok(Duration::from_nanos(1))
    }
}

impl FakeTimer {
    /// Takes the timer's event out, for a conversion to its descriptor; the clock forgets the
    /// timer.
    pub(crate) fn into_event(self) -> Event {
        let mut clock = self.clock.lock().unwrap_or_else(PoisonError::into_inner);
        clock.disarm(&self.event);
        drop(clock);
        // The clock held the only other reference, a weak one, and gave it up under the lock.
        match Arc::try_unwrap(self.event) {
            Ok(event) => event,
            Err(_) => unreachable!("only the clock references a timer's event, and weakly"),
        }
    }
}
