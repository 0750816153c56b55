//! Operations on a caller's handle that crosvm's `base` offers as free functions: a copy, the
//! check of a handle passed in, and non-blocking mode for a socket.

use std::io;
use std::os::windows::io::{FromRawHandle, OwnedHandle, RawHandle};

use windows_sys::Win32::Foundation::{
    DUPLICATE_SAME_ACCESS, DuplicateHandle, ERROR_INVALID_HANDLE, HANDLE,
};
use windows_sys::Win32::Networking::WinSock::{
    FIONBIO, SOCKET, WSAENOTSOCK, WSAEWOULDBLOCK, ioctlsocket,
};
use windows_sys::Win32::System::Threading::GetCurrentProcess;

/// A copy of `handle` in this process, with the same access, not inheritable.
#[allow(unsafe_code)]
pub(crate) fn clone(handle: RawHandle) -> io::Result<OwnedHandle> {
    let mut copy: HANDLE = std::ptr::null_mut();
    // SAFETY: both process handles are the current-process pseudo handle; `copy` is valid for
    // one write; a bad source handle is an error return with nothing written.
    let ok = unsafe {
        DuplicateHandle(
            GetCurrentProcess(),
            handle as HANDLE,
            GetCurrentProcess(),
            &mut copy,
            0,
            0,
            DUPLICATE_SAME_ACCESS,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: DuplicateHandle succeeded, so `copy` is a new handle that nothing else owns.
    Ok(unsafe { OwnedHandle::from_raw_handle(copy as RawHandle) })
}

/// crosvm's check of a handle handed in from outside: it must be open; the caller gets a copy
/// of it (not inheritable), which it owns by number.
pub(crate) fn validate(handle: RawHandle) -> io::Result<RawHandle> {
    use std::os::windows::io::IntoRawHandle;
    if handle.is_null() {
        return Err(io::Error::from_raw_os_error(ERROR_INVALID_HANDLE as i32));
    }
    Ok(clone(handle)?.into_raw_handle())
}

/// Non-blocking mode for a socket (`FIONBIO`); any other handle is `Unsupported`: Windows
/// pipes and files have no such mode (their reads are made non-blocking by overlapped I/O).
#[allow(unsafe_code)]
pub(crate) fn set_nonblocking(handle: RawHandle, on: bool) -> io::Result<()> {
    let mut arg: u32 = on.into();
    // SAFETY: `arg` is valid for the call; a handle that is no socket is an error return.
    if unsafe { ioctlsocket(handle as SOCKET, FIONBIO, &mut arg) } == 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    if error.raw_os_error() == Some(WSAENOTSOCK) {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "only a socket has a non-blocking mode on Windows",
        ));
    }
    Err(error)
}

/// The code that stands for `error`: its own, or the nearest Windows error code for an error
/// the crate or std made without one.
pub(crate) fn errno_of(error: &io::Error) -> i32 {
    use io::ErrorKind as K;
    if let Some(code) = error.raw_os_error() {
        return code;
    }
    match error.kind() {
        K::NotFound => 1168,                    // ERROR_NOT_FOUND
        K::PermissionDenied => 5,               // ERROR_ACCESS_DENIED
        K::AlreadyExists => 183,                // ERROR_ALREADY_EXISTS
        K::WouldBlock => WSAEWOULDBLOCK,        // what a non-blocking socket says
        K::InvalidInput | K::InvalidData => 87, // ERROR_INVALID_PARAMETER
        K::TimedOut => 1460,                    // ERROR_TIMEOUT
        K::Unsupported => 50,                   // ERROR_NOT_SUPPORTED
        K::OutOfMemory => 14,                   // ERROR_OUTOFMEMORY
        K::BrokenPipe => 109,                   // ERROR_BROKEN_PIPE
        _ => 31,                                // ERROR_GEN_FAILURE
    }
}
