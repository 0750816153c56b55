//! Pipes on Windows: readiness that Windows does not offer, made from what it does.
//!
//! - A read end is *readable* while `PeekNamedPipe` finds bytes queued, and *hung up* once the
//!   write end is closed and the data is gone (`ERROR_BROKEN_PIPE`). To wake a wait that blocks,
//!   a zero-byte overlapped read is left pending on the pipe (libuv's way): it completes, taking
//!   nothing, when data arrives or the writer goes, and sets an event object that the thread
//!   pool waits for. The read end must therefore be open for overlapped I/O, as the parent's end
//!   of std's child pipes (`ChildStdout`, `ChildStderr`) is; a pipe opened for synchronous I/O
//!   (`std::io::pipe`, `CreatePipe`) is refused, since a zero-byte read on it would block.
//!   The pipe is not associated with the context's completion port: std reads a child's pipes
//!   with `ReadFileEx`, which a port-associated handle refuses.
//! - A write end (`ChildStdin`) is *writable* whenever it is watched for writing: Windows says
//!   nothing of the room left in a pipe without read access to it, and a zero-byte write, the
//!   one probe left, would reach the reader as an end of file. A write to a full pipe blocks
//!   until the reader takes data (std's `ChildStdin` blocks so anyway). The reader's closing is
//!   not seen until a write fails (`ERROR_NO_DATA`, `BrokenPipe`).
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicBool, Ordering};

use windows_sys::Wdk::Storage::FileSystem::NtQueryInformationFile;
use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_BROKEN_PIPE, ERROR_IO_PENDING, ERROR_NO_DATA,
    ERROR_PIPE_NOT_CONNECTED, HANDLE, STATUS_PENDING, WAIT_OBJECT_0,
};
use windows_sys::Win32::Storage::FileSystem::ReadFile;
use windows_sys::Win32::System::IO::{CancelIoEx, IO_STATUS_BLOCK, OVERLAPPED};
use windows_sys::Win32::System::Pipes::PeekNamedPipe;
use windows_sys::Win32::System::Threading::{CreateEventW, WaitForSingleObject};

/// `FileModeInformation`: how a file object was opened.
const FILE_MODE_INFORMATION: i32 = 16;
/// The file object does synchronous I/O (alertable or not): no overlapped read on it.
const FILE_SYNCHRONOUS_IO: u32 = 0x10 | 0x20;

/// Which end of a pipe a handle is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    Read,
    Write,
}

/// Which end `handle` (a pipe) is, or why it cannot be watched.
pub(crate) fn end_of(handle: HANDLE) -> io::Result<End> {
    match peek(handle) {
        Ok(_) => {}
        // Without read access, a pipe handle is a write end.
        Err(e) if e.raw_os_error() == Some(ERROR_ACCESS_DENIED as i32) => return Ok(End::Write),
        Err(e) => return Err(e),
    }
    // SAFETY: a zeroed IO_STATUS_BLOCK is a valid value.
    let mut iosb: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
    let mut mode = 0u32;
    // SAFETY: `iosb` and `mode` are live locals of the sizes given; the call only writes them.
    let status = unsafe {
        NtQueryInformationFile(
            handle,
            &mut iosb,
            (&raw mut mode).cast(),
            size_of::<u32>() as u32,
            FILE_MODE_INFORMATION,
        )
    };
    if status >= 0 && mode & FILE_SYNCHRONOUS_IO != 0 {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the read end of a pipe opened for synchronous I/O (std::io::pipe, CreatePipe) cannot \
             be watched on Windows; std's child pipes and overlapped named pipes can",
        ));
    }
    Ok(End::Read)
}

/// What a read end holds now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReadState {
    /// Bytes are queued.
    pub(crate) readable: bool,
    /// The write end is closed and nothing is left to read.
    pub(crate) closed: bool,
}

/// Looks at a read end without taking anything.
pub(crate) fn peek(handle: HANDLE) -> io::Result<ReadState> {
    let mut available = 0u32;
    // SAFETY: only `available` (a live local) is written; no buffer is given.
    let ok = unsafe {
        PeekNamedPipe(
            handle,
            null_mut(),
            0,
            null_mut(),
            &mut available,
            null_mut(),
        )
    };
    if ok != 0 {
        return Ok(ReadState {
            readable: available > 0,
            closed: false,
        });
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error().map(|c| c as u32) {
        Some(ERROR_BROKEN_PIPE | ERROR_NO_DATA | ERROR_PIPE_NOT_CONNECTED) => Ok(ReadState {
            readable: false,
            closed: true,
        }),
        _ => Err(error),
    }
}

/// A zero-byte overlapped read left pending on a read end, and the event it sets.
pub(crate) struct ZeroRead {
    overlapped: UnsafeCell<OVERLAPPED>,
    event: OwnedHandle,
    in_flight: AtomicBool,
}

impl std::fmt::Debug for ZeroRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZeroRead")
            .field("in_flight", &self.in_flight)
            .finish()
    }
}

impl ZeroRead {
    pub(crate) fn new() -> io::Result<ZeroRead> {
        // SAFETY: no security attributes, no name: a new manual-reset event, not set.
        let raw = unsafe { CreateEventW(null(), 1, 0, null()) };
        if raw.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(ZeroRead {
            // SAFETY: OVERLAPPED is plain data; zeroes are valid.
            overlapped: UnsafeCell::new(unsafe { std::mem::zeroed() }),
            // SAFETY: a new handle that nothing else owns.
            event: unsafe { OwnedHandle::from_raw_handle(raw) },
            in_flight: AtomicBool::new(false),
        })
    }

    /// The event the read sets when it completes.
    pub(crate) fn event(&self) -> HANDLE {
        self.event.as_raw_handle()
    }

    /// Starts the read unless one is in flight: `true` if it completed at once (data or an
    /// end of file is there now), `false` if it is pending.
    ///
    /// # Safety
    /// The caller keeps `self` alive, and does not move it, until the read is over: until
    /// [`ZeroRead::finish`] or [`ZeroRead::cancel`] says so.
    pub(crate) unsafe fn start(&self, pipe: HANDLE) -> io::Result<bool> {
        if self.in_flight.load(Ordering::Acquire) {
            return Ok(false);
        }
        let overlapped = self.overlapped.get();
        // SAFETY: no read is in flight, so nothing else touches the OVERLAPPED; a zero-byte
        // read takes no buffer; the caller keeps the OVERLAPPED alive while the read pends.
        let ok = unsafe {
            *overlapped = std::mem::zeroed();
            (*overlapped).hEvent = self.event.as_raw_handle();
            ReadFile(pipe, null_mut(), 0, null_mut(), overlapped)
        };
        if ok != 0 {
            return Ok(true);
        }
        let error = io::Error::last_os_error();
        match error.raw_os_error().map(|c| c as u32) {
            Some(ERROR_IO_PENDING) => {
                self.in_flight.store(true, Ordering::Release);
                Ok(false)
            }
            Some(ERROR_BROKEN_PIPE | ERROR_NO_DATA | ERROR_PIPE_NOT_CONNECTED) => Ok(true),
            _ => Err(error),
        }
    }

    /// After the event was set: the read is over if its status says so.
    pub(crate) fn finish(&self) {
        // SAFETY: `Internal` is the status the system writes last; reading it races with
        // nothing once the event is set, and a stale STATUS_PENDING only keeps the read
        // counted as in flight.
        let status = unsafe { (*self.overlapped.get()).Internal };
        if status != STATUS_PENDING as usize {
            self.in_flight.store(false, Ordering::Release);
        }
    }

    /// Cancels a read in flight and waits for it to end (up to 1 s: a cancelled read ends at
    /// once): `true` if it is over (the OVERLAPPED may go), `false` if not (the pipe was closed
    /// behind the context's back while a duplicate keeps it open: the caller must then keep
    /// `self` alive for good).
    pub(crate) fn cancel(&self, pipe: HANDLE) -> bool {
        if !self.in_flight.load(Ordering::Acquire) {
            return true;
        }
        // SAFETY: the OVERLAPPED identifies our read; a handle closed since only fails.
        unsafe { CancelIoEx(pipe, self.overlapped.get()) };
        // SAFETY: the event is ours and open.
        if unsafe { WaitForSingleObject(self.event.as_raw_handle(), 1000) } == WAIT_OBJECT_0 {
            self.finish();
        }
        !self.in_flight.load(Ordering::Acquire)
    }
}

// SAFETY: the OVERLAPPED is written by `start` (no read in flight, under the poller's registry
// lock) and by the system while a read is in flight; the rest is atomic or a handle value.
unsafe impl Send for ZeroRead {}
// SAFETY: as above.
unsafe impl Sync for ZeroRead {}
