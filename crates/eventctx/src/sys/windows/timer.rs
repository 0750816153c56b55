//! `Timer` on Windows: its next expiry kept in this process (`native.rs`), beside a
//! manual-reset waitable timer (high resolution where the system has one) kept in step for
//! whoever waits for the handle itself. A context watching the timer reports it from its due
//! time until it is read, as a timerfd, and waits with a timeout that ends at the next expiry:
//! no thread wakes it. Reading a repeating timer counts the expiries since the last read and
//! moves the next one forward by whole periods, so the timer keeps its phase; the waitable
//! timer is then set again for that expiry (Windows cannot clear a timer's signal without
//! setting it again). A one-shot timer is disarmed by its read.
#![allow(unsafe_code)]

use std::io;
use std::mem::ManuallyDrop;
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, FromRawHandle, OwnedHandle};
use std::ptr::{null, null_mut};
use std::sync::Arc;
use std::time::{Duration, Instant};

use windows_sys::Win32::System::Threading::{
    CREATE_WAITABLE_TIMER_HIGH_RESOLUTION, CREATE_WAITABLE_TIMER_MANUAL_RESET, CancelWaitableTimer,
    CreateWaitableTimerExW, SetWaitableTimer, TIMER_ALL_ACCESS,
};

use super::native::{self, TimerState};
use super::translate::{self, ERROR_INVALID_PARAMETER};
use crate::sys::time::Deadline;

/// A waitable timer.
#[derive(Debug)]
pub(crate) struct Timer {
    handle: OwnedHandle,
    /// The next expiry and the period, shared by clones, which contexts watching the timer
    /// look at; its lock also orders the calls that set the waitable timer.
    state: Arc<TimerState>,
}

impl Timer {
    /// A new timer, not armed.
    pub(crate) fn new() -> io::Result<Timer> {
        let manual = CREATE_WAITABLE_TIMER_MANUAL_RESET;
        // SAFETY: no security attributes, no name: a new unnamed timer.
        let mut raw = unsafe {
            CreateWaitableTimerExW(
                null(),
                null(),
                manual | CREATE_WAITABLE_TIMER_HIGH_RESOLUTION,
                TIMER_ALL_ACCESS,
            )
        };
        if raw.is_null() {
            // Before Windows 10 1803 (and on wine) there is no high-resolution timer.
            // SAFETY: as above.
            raw = unsafe { CreateWaitableTimerExW(null(), null(), manual, TIMER_ALL_ACCESS) };
        }
        if raw.is_null() {
            return Err(io::Error::last_os_error());
        }
        let state = Arc::new(TimerState::default());
        state.live().hold();
        native::enroll_timer(raw, &state);
        Ok(Timer {
            // SAFETY: a new handle that nothing else owns.
            handle: unsafe { OwnedHandle::from_raw_handle(raw) },
            state,
        })
    }

    /// Gives the handle back, no longer enrolled (a context then waits for the waitable timer
    /// itself, which a read no longer sets again).
    pub(crate) fn into_handle(self) -> OwnedHandle {
        let this = ManuallyDrop::new(self);
        native::withdraw(this.handle.as_raw_handle());
        this.state.live().release();
        // SAFETY: `this` is never dropped, so each field is read out exactly once.
        unsafe {
            drop(std::ptr::read(&this.state));
            std::ptr::read(&this.handle)
        }
    }

    /// Arms the timer (first expiry after `value`, then every `interval`; zero: once), or
    /// disarms it for a zero `value`. Setting a timer clears its signal.
    pub(crate) fn set(&self, value: Duration, interval: Duration) -> io::Result<()> {
        if value.is_zero() {
            return self.state.set(None, None, || self.disarm());
        }
        // Read before the waitable timer is set, so that it never fires before the expiry
        // contexts see. An expiry too far to be an `Instant` is never reached.
        let next = Instant::now().checked_add(value);
        self.state
            .set(next, Some(interval), || self.arm(value, interval))
    }

    fn arm(&self, value: Duration, interval: Duration) -> io::Result<()> {
        let due = translate::due_time(value);
        let period = translate::period_ms(interval)
            .ok_or_else(|| io::Error::from_raw_os_error(ERROR_INVALID_PARAMETER))?;
        // SAFETY: `due` is a live local; no completion routine.
        let ok = unsafe {
            SetWaitableTimer(
                self.handle.as_raw_handle(),
                &due,
                period,
                None,
                null_mut(),
                0,
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Stops the timer and clears its signal (cancelling alone keeps the signal): set it far
    /// away, which clears the signal, then cancel.
    fn disarm(&self) -> io::Result<()> {
        self.arm(Duration::from_secs(365 * 24 * 3600), Duration::ZERO)?;
        // SAFETY: the handle is an open timer.
        if unsafe { CancelWaitableTimer(self.handle.as_raw_handle()) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Takes the timer's expiries without blocking: `Some(count)` since the last read, or
    /// `None` if it has not expired.
    pub(crate) fn read_count(&self) -> io::Result<Option<u64>> {
        let now = Instant::now();
        let count = self.state.take(now, |next, period| match (next, period) {
            // The waitable timer, set again for the next expiry, clears its signal.
            (Some(next), Some(period)) => self.arm(next.saturating_duration_since(now), period),
            _ => self.disarm(),
        })?;
        Ok((count > 0).then_some(count))
    }

    /// Waits until the timer has fired or `deadline` passes (`false`), reading nothing.
    pub(crate) fn wait_readable(&self, deadline: &mut Deadline) -> io::Result<bool> {
        super::wait_signaled(self.handle.as_raw_handle(), deadline)
    }

    /// A second handle on the same timer.
    pub(crate) fn try_clone(&self) -> io::Result<Timer> {
        let handle = self.handle.try_clone()?;
        self.state.live().hold();
        native::enroll_timer(handle.as_raw_handle(), &self.state);
        Ok(Timer {
            handle,
            state: Arc::clone(&self.state),
        })
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        // Before the handle closes, so that its number, once reused, is not found.
        native::withdraw(self.handle.as_raw_handle());
        self.state.live().release();
    }
}

impl AsHandle for Timer {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.handle.as_handle()
    }
}

/// Periods are kept in whole milliseconds.
pub(crate) fn resolution() -> Duration {
    Duration::from_millis(1)
}
