//! `Timer` on Windows: a manual-reset waitable timer (high resolution where the system has
//! one). It stays signaled once it fires, so a context watching it reports it until it is
//! read, as a timerfd. Reading a repeating timer re-arms it with its period from now (Windows
//! cannot clear a timer's signal without setting it again); a one-shot timer is disarmed.
#![allow(unsafe_code)]

use std::io;
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, FromRawHandle, OwnedHandle};
use std::ptr::{null, null_mut};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use windows_sys::Win32::Foundation::WAIT_OBJECT_0;
use windows_sys::Win32::System::Threading::{
    CREATE_WAITABLE_TIMER_HIGH_RESOLUTION, CREATE_WAITABLE_TIMER_MANUAL_RESET, CancelWaitableTimer,
    CreateWaitableTimerExW, SetWaitableTimer, TIMER_ALL_ACCESS, WaitForSingleObject,
};

use super::translate::{self, ERROR_INVALID_PARAMETER};
use crate::sys::time::Deadline;

/// How the timer was last armed, shared by its clones: reading it needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setting {
    Off,
    Once,
    Every(Duration),
}

/// A waitable timer.
#[derive(Debug)]
pub(crate) struct Timer {
    handle: OwnedHandle,
    setting: Arc<Mutex<Setting>>,
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
        Ok(Timer {
            // SAFETY: a new handle that nothing else owns.
            handle: unsafe { OwnedHandle::from_raw_handle(raw) },
            setting: Arc::new(Mutex::new(Setting::Off)),
        })
    }

    /// Gives the handle back.
    pub(crate) fn into_handle(self) -> OwnedHandle {
        self.handle
    }

    /// Arms the timer (first expiry after `value`, then every `interval`; zero: once), or
    /// disarms it for a zero `value`. Setting a timer clears its signal.
    pub(crate) fn set(&self, value: Duration, interval: Duration) -> io::Result<()> {
        let mut setting = self.setting.lock().unwrap_or_else(PoisonError::into_inner);
        if value.is_zero() {
            self.disarm()?;
            *setting = Setting::Off;
            return Ok(());
        }
        self.arm(value, interval)?;
        *setting = if interval.is_zero() {
            Setting::Once
        } else {
            Setting::Every(interval)
        };
        Ok(())
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

    /// Takes the timer's firing without blocking: `Some(1)` if it had fired (Windows keeps no
    /// count), `None` if not.
    pub(crate) fn read_count(&self) -> io::Result<Option<u64>> {
        let mut setting = self.setting.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: a zero wait only tests the handle.
        if unsafe { WaitForSingleObject(self.handle.as_raw_handle(), 0) } != WAIT_OBJECT_0 {
            return Ok(None);
        }
        match *setting {
            Setting::Every(period) => self.arm(period, period)?,
            Setting::Once | Setting::Off => {
                self.disarm()?;
                *setting = Setting::Off;
            }
        }
        Ok(Some(1))
    }

    /// Waits until the timer has fired or `deadline` passes (`false`), reading nothing.
    pub(crate) fn wait_readable(&self, deadline: &mut Deadline) -> io::Result<bool> {
        super::wait_signaled(self.handle.as_raw_handle(), deadline)
    }

    /// A second handle on the same timer.
    pub(crate) fn try_clone(&self) -> io::Result<Timer> {
        Ok(Timer {
            handle: self.handle.try_clone()?,
            setting: Arc::clone(&self.setting),
        })
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
