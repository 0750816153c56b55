//! `Event` on Windows: a manual-reset event object (so that a context testing it does not
//! clear it). A signal sets it; a read that finds it set resets it, under a lock its clones
//! share, so that of two readers in this process one wins, as with eventfd. Windows keeps no
//! count: a read takes 1, whatever was written.
#![allow(unsafe_code)]

use std::io;
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, FromRawHandle, OwnedHandle};
use std::ptr::null;
use std::sync::{Arc, Mutex, PoisonError};

use windows_sys::Win32::Foundation::WAIT_OBJECT_0;
use windows_sys::Win32::System::Threading::{
    CreateEventW, INFINITE, ResetEvent, SetEvent, WaitForSingleObject,
};

use super::translate::ERROR_INVALID_PARAMETER;
use crate::sys::time::Deadline;

/// An event object.
#[derive(Debug)]
pub(crate) struct Event {
    handle: OwnedHandle,
    /// Held while a read tests and resets the event.
    gate: Arc<Mutex<()>>,
}

impl Event {
    /// A new event, not set. Handles are not inherited by child processes unless asked.
    pub(crate) fn new() -> io::Result<Event> {
        // SAFETY: no security attributes, no name: a new unnamed manual-reset event.
        let raw = unsafe { CreateEventW(null(), 1, 0, null()) };
        if raw.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(Event {
            // SAFETY: a new handle that nothing else owns.
            handle: unsafe { OwnedHandle::from_raw_handle(raw) },
            gate: Arc::default(),
        })
    }

    /// Adopts an event object's handle.
    pub(crate) fn from_handle(handle: OwnedHandle) -> Event {
        Event {
            handle,
            gate: Arc::default(),
        }
    }

    /// Gives the handle back.
    pub(crate) fn into_handle(self) -> OwnedHandle {
        self.handle
    }

    /// Sets the event. Zero changes nothing and `u64::MAX` is refused, as on eventfd.
    pub(crate) fn signal(&self, value: u64) -> io::Result<()> {
        if value == u64::MAX {
            return Err(io::Error::from_raw_os_error(ERROR_INVALID_PARAMETER));
        }
        if value == 0 {
            return Ok(());
        }
        // SAFETY: the handle is an open event object.
        if unsafe { SetEvent(self.handle.as_raw_handle()) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Waits until the event is set, and resets it.
    pub(crate) fn read_blocking(&self) -> io::Result<u64> {
        loop {
            // SAFETY: the call only reads the handle value.
            if unsafe { WaitForSingleObject(self.handle.as_raw_handle(), INFINITE) }
                != WAIT_OBJECT_0
            {
                return Err(io::Error::last_os_error());
            }
            if let Some(count) = self.read_nowait()? {
                return Ok(count);
            }
        }
    }

    /// Resets the event if it is set: `Some(1)`, or `None` if it was not.
    pub(crate) fn read_nowait(&self) -> io::Result<Option<u64>> {
        let _gate = self.gate.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: a zero wait only tests the handle.
        if unsafe { WaitForSingleObject(self.handle.as_raw_handle(), 0) } != WAIT_OBJECT_0 {
            return Ok(None);
        }
        // SAFETY: the handle is an open event object.
        if unsafe { ResetEvent(self.handle.as_raw_handle()) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Some(1))
    }

    /// Waits until the event is set or `deadline` passes (`false`), resetting nothing.
    pub(crate) fn wait_readable(&self, deadline: &mut Deadline) -> io::Result<bool> {
        super::wait_signaled(self.handle.as_raw_handle(), deadline)
    }

    /// A second handle on the same event.
    pub(crate) fn try_clone(&self) -> io::Result<Event> {
        Ok(Event {
            handle: self.handle.try_clone()?,
            gate: Arc::clone(&self.gate),
        })
    }
}

impl AsHandle for Event {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.handle.as_handle()
    }
}
