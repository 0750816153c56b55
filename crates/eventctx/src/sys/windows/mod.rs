//! The Windows back-end: a context is an I/O completion port; sockets are polled through AFD
//! (readiness as on Linux), any other waitable handle is waited for by the thread pool.
//! `Event` is an event object, `Timer` a waitable timer, `Signals` the console's control
//! events, `ProcessExit` a process handle. The decisions are plain functions in `translate`,
//! unit-tested on every host.

pub(crate) mod afd;
pub(crate) mod console;
pub(crate) mod descriptor;
pub(crate) mod event;
pub(crate) mod iocp;
pub(crate) mod native;
pub(crate) mod pipe;
pub(crate) mod process;
pub(crate) mod timer;
pub(crate) mod translate;

use std::io;

use windows_sys::Win32::Foundation::{HANDLE, WAIT_OBJECT_0, WAIT_TIMEOUT};
use windows_sys::Win32::System::Threading::WaitForSingleObject;

use crate::sys::time::Deadline;

/// Waits until `handle` is signaled (`true`) or `deadline` passes (`false`), in whole
/// milliseconds rounded up, going round again if the system's coarse clock ended a wait early.
pub(crate) fn wait_signaled(handle: HANDLE, deadline: &mut Deadline) -> io::Result<bool> {
    loop {
        let ms = translate::millis(deadline.step());
        #[allow(unsafe_code)]
        // SAFETY: the call only reads the handle value; a bad one is WAIT_FAILED.
        match unsafe { WaitForSingleObject(handle, ms) } {
            WAIT_OBJECT_0 | 0x80 => return Ok(true), // 0x80: WAIT_ABANDONED (a mutex)
            WAIT_TIMEOUT => {
                deadline.refresh();
                if deadline.is_expired() {
                    return Ok(false);
                }
            }
            _ => return Err(io::Error::last_os_error()),
        }
    }
}
