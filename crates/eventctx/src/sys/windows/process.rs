//! `ProcessExit` on Windows: a handle on the process, which is signaled once it has exited
//! and stays so.
#![allow(unsafe_code)]

use std::io;
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, FromRawHandle, OwnedHandle};
use std::time::Duration;

use windows_sys::Win32::Foundation::ERROR_INVALID_PARAMETER;
use windows_sys::Win32::System::Threading::{
    OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_SYNCHRONIZE, PROCESS_TERMINATE,
    TerminateProcess,
};

use crate::sys::time::Deadline;

/// A process handle.
#[derive(Debug)]
pub(crate) struct ProcessExit {
    handle: OwnedHandle,
}

impl ProcessExit {
    /// Opens process `pid` to wait for it and to end it. Pid 0 is `InvalidInput`; a pid that
    /// names no process `NotFound` (Windows answers `ERROR_INVALID_PARAMETER`).
    pub(crate) fn open(pid: u32) -> io::Result<ProcessExit> {
        if pid == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "pid 0 names no process (it is the system idle process)",
            ));
        }
        let access = PROCESS_SYNCHRONIZE | PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION;
        // SAFETY: the call takes numbers only.
        let raw = unsafe { OpenProcess(access, 0, pid) };
        if raw.is_null() {
            let error = io::Error::last_os_error();
            if error.raw_os_error() == Some(ERROR_INVALID_PARAMETER as i32) {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no process has this pid (it may have exited) ({error})"),
                ));
            }
            return Err(error);
        }
        Ok(ProcessExit {
            // SAFETY: a new handle that nothing else owns.
            handle: unsafe { OwnedHandle::from_raw_handle(raw) },
        })
    }

    /// Whether the process has exited, without waiting.
    pub(crate) fn has_exited(&self) -> io::Result<bool> {
        super::wait_signaled(
            self.handle.as_raw_handle(),
            &mut Deadline::new(Some(Duration::ZERO)),
        )
    }

    /// Blocks until the process has exited.
    pub(crate) fn wait(&self) -> io::Result<()> {
        let mut forever = Deadline::new(None);
        while !super::wait_signaled(self.handle.as_raw_handle(), &mut forever)? {}
        Ok(())
    }

    /// `SIGKILL` and `SIGTERM` end the process (`TerminateProcess`, exit code 1): Windows has
    /// no polite request to stop a process that has no window. Other signals are
    /// `Unsupported`.
    pub(crate) fn send_signal(&self, signal: i32) -> io::Result<()> {
        use super::console::numbers::{SIGKILL, SIGTERM};
        if signal != SIGKILL && signal != SIGTERM {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "Windows can send a process SIGKILL or SIGTERM (TerminateProcess) only",
            ));
        }
        // SAFETY: the handle is open with PROCESS_TERMINATE.
        if unsafe { TerminateProcess(self.handle.as_raw_handle(), 1) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl AsHandle for ProcessExit {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.handle.as_handle()
    }
}
