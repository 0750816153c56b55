//! `Event` on Windows: a manual-reset event object (so that a context testing it does not
//! clear it), and its state in this process (`native.rs`), shared by its clones: a signal sets
//! both and wakes the contexts watching the event with a completion packet each; a read that
//! finds it set resets both, under the state's lock, so that of two readers in this process one
//! wins, as with eventfd. Windows keeps no count: a read takes 1, whatever was written.
//!
//! An event adopted from a handle (`from_handle`) may be set from elsewhere: it is not enrolled
//! (contexts wait for it as for any handle), and its reads test the event object itself.
#![allow(unsafe_code)]

use std::io;
use std::mem::ManuallyDrop;
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, FromRawHandle, OwnedHandle};
use std::ptr::null;
use std::sync::{Arc, Mutex, PoisonError};

use windows_sys::Win32::Foundation::WAIT_OBJECT_0;
use windows_sys::Win32::System::Threading::{
    CreateEventW, INFINITE, ResetEvent, SetEvent, WaitForSingleObject,
};

use super::native::{self, EventState, ObjectOps};
use super::translate::ERROR_INVALID_PARAMETER;
use crate::sys::time::Deadline;

/// An event object.
#[derive(Debug)]
pub(crate) struct Event {
    handle: OwnedHandle,
    /// Its state in this process, when enrolled (made here, or cloned from one made here).
    state: Option<Arc<EventState>>,
    /// Held while a read of an adopted event tests and resets it.
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
        // SAFETY: a new handle that nothing else owns.
        let handle = unsafe { OwnedHandle::from_raw_handle(raw) };
        let state = Arc::new(EventState::default());
        state.live().hold();
        native::enroll_event(raw, &state);
        Ok(Event {
            handle,
            state: Some(state),
            gate: Arc::default(),
        })
    }

    /// Adopts an event object's handle (not enrolled: it may be set from elsewhere).
    pub(crate) fn from_handle(handle: OwnedHandle) -> Event {
        Event {
            handle,
            state: None,
            gate: Arc::default(),
        }
    }

    /// Gives the handle back, no longer enrolled.
    pub(crate) fn into_handle(self) -> OwnedHandle {
        let this = ManuallyDrop::new(self);
        if let Some(state) = &this.state {
            native::withdraw(this.handle.as_raw_handle());
            state.live().release();
        }
        // SAFETY: `this` is never dropped, so each field is read out exactly once.
        unsafe {
            drop(std::ptr::read(&this.state));
            drop(std::ptr::read(&this.gate));
            std::ptr::read(&this.handle)
        }
    }

    /// Sets the event. Zero changes nothing and `u64::MAX` is refused, as on eventfd.
    pub(crate) fn signal(&self, value: u64) -> io::Result<()> {
        if value == u64::MAX {
            return Err(io::Error::from_raw_os_error(ERROR_INVALID_PARAMETER));
        }
        if value == 0 {
            return Ok(());
        }
        match &self.state {
            Some(state) => state.signal(&self.ops()),
            None => (self.ops().set)(),
        }
    }

    /// The event object's calls, for the shared state.
    fn ops(
        &self,
    ) -> ObjectOps<
        impl Fn() -> io::Result<()> + '_,
        impl Fn() -> io::Result<()> + '_,
        impl Fn() -> bool + '_,
    > {
        let handle = self.handle.as_raw_handle();
        ObjectOps {
            set: move || {
                // SAFETY: the handle is an open event object.
                if unsafe { SetEvent(handle) } == 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            },
            reset: move || {
                // SAFETY: the handle is an open event object.
                if unsafe { ResetEvent(handle) } == 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            },
            // SAFETY: a zero wait only tests the handle.
            is_set: move || unsafe { WaitForSingleObject(handle, 0) } == WAIT_OBJECT_0,
        }
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

    /// Resets the event if it is set: `Some(1)`, or `None` if it was not. An enrolled event
    /// is set if its state in this process says so, or if the event object is (a raw
    /// `SetEvent` from elsewhere); an adopted event if the event object is.
    pub(crate) fn read_nowait(&self) -> io::Result<Option<u64>> {
        let ops = self.ops();
        if let Some(state) = &self.state {
            return Ok(state.take(&ops)?.then_some(1));
        }
        let _gate = self.gate.lock().unwrap_or_else(PoisonError::into_inner);
        if !(ops.is_set)() {
            return Ok(None);
        }
        (ops.reset)()?;
        Ok(Some(1))
    }

    /// Waits until the event is set or `deadline` passes (`false`), resetting nothing.
    pub(crate) fn wait_readable(&self, deadline: &mut Deadline) -> io::Result<bool> {
        super::wait_signaled(self.handle.as_raw_handle(), deadline)
    }

    /// A second handle on the same event.
    pub(crate) fn try_clone(&self) -> io::Result<Event> {
        let handle = self.handle.try_clone()?;
        if let Some(state) = &self.state {
            state.live().hold();
            native::enroll_event(handle.as_raw_handle(), state);
        }
        Ok(Event {
            handle,
            state: self.state.clone(),
            gate: Arc::clone(&self.gate),
        })
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        if let Some(state) = &self.state {
            // Before the handle closes, so that its number, once reused, is not found.
            native::withdraw(self.handle.as_raw_handle());
            state.live().release();
        }
    }
}

impl AsHandle for Event {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.handle.as_handle()
    }
}
