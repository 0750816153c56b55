//! The AFD driver (`\Device\Afd`), which Winsock sits on: one `IOCTL_AFD_POLL` asks it for a
//! socket's readiness and completes through the I/O completion port the helper handle is
//! associated with. This is how mio and polling get readiness (not completion) for sockets on
//! Windows. Each `unsafe` block is one call, with the reason it is sound beside it.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::io;
use std::mem::size_of;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawSocket};
use std::ptr::null_mut;

use windows_sys::Wdk::Foundation::OBJECT_ATTRIBUTES;
use windows_sys::Wdk::Storage::FileSystem::{FILE_OPEN, NtCancelIoFileEx, NtCreateFile};
use windows_sys::Wdk::System::IO::NtDeviceIoControlFile;
use windows_sys::Win32::Foundation::{
    HANDLE, NTSTATUS, RtlNtStatusToDosError, STATUS_NOT_FOUND, STATUS_PENDING, STATUS_SUCCESS,
    UNICODE_STRING,
};
use windows_sys::Win32::Networking::WinSock::{
    SIO_BASE_HANDLE, SO_TYPE, SOCKET_ERROR, SOL_SOCKET, WSAIoctl, getsockopt,
};
use windows_sys::Win32::Storage::FileSystem::{
    FILE_SHARE_READ, FILE_SHARE_WRITE, SYNCHRONIZE, SetFileCompletionNotificationModes,
};
use windows_sys::Win32::System::IO::{CreateIoCompletionPort, IO_STATUS_BLOCK};
use windows_sys::Win32::System::WindowsProgramming::FILE_SKIP_SET_EVENT_ON_HANDLE;

/// The control code of a poll.
const IOCTL_AFD_POLL: u32 = 0x0001_2024;

/// One socket of a poll: what to watch for in, what happened out.
#[repr(C)]
pub(crate) struct PollHandleInfo {
    pub(crate) handle: HANDLE,
    pub(crate) events: u32,
    pub(crate) status: NTSTATUS,
}

/// A poll request, which the driver also writes its answer into.
#[repr(C)]
pub(crate) struct PollInfo {
    pub(crate) timeout: i64,
    /// 1 in a request; in the answer, how many handles have events (0: none).
    pub(crate) number_of_handles: u32,
    pub(crate) exclusive: u32,
    pub(crate) handles: [PollHandleInfo; 1],
}

impl PollInfo {
    /// A request for `events` on `base_socket`, with no timeout.
    pub(crate) fn new(base_socket: usize, events: u32) -> PollInfo {
        PollInfo {
            timeout: i64::MAX,
            number_of_handles: 1,
            exclusive: 0,
            handles: [PollHandleInfo {
                handle: base_socket as HANDLE,
                events,
                status: 0,
            }],
        }
    }
}

/// An NTSTATUS as an `io::Error` with the Windows error code it stands for.
pub(crate) fn status_error(status: NTSTATUS) -> io::Error {
    // SAFETY: RtlNtStatusToDosError only maps a number.
    io::Error::from_raw_os_error(unsafe { RtlNtStatusToDosError(status) } as i32)
}

/// A handle on the AFD driver, associated with one completion port.
#[derive(Debug)]
pub(crate) struct Afd {
    handle: OwnedHandle,
}

/// `\Device\Afd\eventctx`, as UTF-16: the name after `\Device\Afd\` is free; it only shows in
/// handle listings.
const NAME: [u16; 20] = {
    let ascii = *b"\\Device\\Afd\\eventctx";
    let mut wide = [0u16; 20];
    let mut i = 0;
    while i < ascii.len() {
        wide[i] = ascii[i] as u16;
        i += 1;
    }
    wide
};

impl Afd {
    /// Opens the driver and associates the handle with `port`, its completions carrying `key`.
    pub(crate) fn open(port: HANDLE, key: usize) -> io::Result<Afd> {
        let name = UNICODE_STRING {
            Length: (NAME.len() * 2) as u16,
            MaximumLength: (NAME.len() * 2) as u16,
            Buffer: NAME.as_ptr().cast_mut(),
        };
        let attributes = OBJECT_ATTRIBUTES {
            Length: size_of::<OBJECT_ATTRIBUTES>() as u32,
            RootDirectory: null_mut(),
            ObjectName: &name,
            Attributes: 0,
            SecurityDescriptor: null_mut(),
            SecurityQualityOfService: null_mut(),
        };
        let mut raw: HANDLE = null_mut();
        // SAFETY: a zeroed IO_STATUS_BLOCK is a valid value (integers and a union of them).
        let mut iosb: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
        // SAFETY: every pointer is to a live local (`name` outlives `attributes`, both outlive
        // the call); the call writes the new handle into `raw` and its status into `iosb`.
        let status = unsafe {
            NtCreateFile(
                &mut raw,
                SYNCHRONIZE,
                &attributes,
                &mut iosb,
                null_mut(),
                0,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                FILE_OPEN,
                0,
                null_mut(),
                0,
            )
        };
        if status != STATUS_SUCCESS {
            let error = status_error(status);
            return Err(io::Error::new(
                error.kind(),
                format!("cannot open \\Device\\Afd (socket readiness): {error}"),
            ));
        }
        // SAFETY: NtCreateFile succeeded, so `raw` is a new handle that nothing else owns.
        let handle = unsafe { OwnedHandle::from_raw_handle(raw) };
        // SAFETY: both handles are open; the call only links them.
        if unsafe { CreateIoCompletionPort(raw, port, key, 0) }.is_null() {
            return Err(io::Error::last_os_error());
        }
        // Completions go to the port only; the handle itself need not be signaled.
        // SAFETY: `raw` is open; the call sets a flag on it.
        if unsafe { SetFileCompletionNotificationModes(raw, FILE_SKIP_SET_EVENT_ON_HANDLE as u8) }
            == 0
        {
            return Err(io::Error::last_os_error());
        }
        Ok(Afd { handle })
    }

    /// Starts a poll. Its completion, carrying `context`, comes through the port even when it
    /// completes at once.
    ///
    /// # Safety
    ///
    /// `info` and `iosb` must stay valid, and untouched, until the completion is dequeued.
    pub(crate) unsafe fn poll(
        &self,
        info: *mut PollInfo,
        iosb: *mut IO_STATUS_BLOCK,
        context: *mut c_void,
    ) -> io::Result<()> {
        let size = size_of::<PollInfo>() as u32;
        // SAFETY: the caller keeps `info` and `iosb` valid until the completion; the status is
        // written before the call so that a reader never sees a stale one.
        unsafe {
            (*iosb).Anonymous.Status = STATUS_PENDING;
            let status = NtDeviceIoControlFile(
                self.handle.as_raw_handle(),
                null_mut(),
                None,
                context,
                iosb,
                IOCTL_AFD_POLL,
                info.cast(),
                size,
                info.cast(),
                size,
            );
            match status {
                STATUS_SUCCESS | STATUS_PENDING => Ok(()),
                _ => Err(status_error(status)),
            }
        }
    }

    /// Cancels a pending poll; its completion still comes, with `STATUS_CANCELLED`.
    ///
    /// # Safety
    ///
    /// `iosb` must be the one of a poll started on this handle whose completion has not been
    /// dequeued.
    pub(crate) unsafe fn cancel(&self, iosb: *mut IO_STATUS_BLOCK) -> io::Result<()> {
        // SAFETY: a zeroed IO_STATUS_BLOCK is a valid value.
        let mut cancel_iosb: IO_STATUS_BLOCK = unsafe { std::mem::zeroed() };
        // SAFETY: `iosb` names a poll in flight on this handle (the caller's promise);
        // `cancel_iosb` is a live local.
        let status =
            unsafe { NtCancelIoFileEx(self.handle.as_raw_handle(), iosb, &mut cancel_iosb) };
        match status {
            STATUS_SUCCESS | STATUS_NOT_FOUND => Ok(()),
            _ => Err(status_error(status)),
        }
    }
}

/// The base provider socket under `socket` (a layered service provider may wrap it), which is
/// what AFD polls; an error when `socket` is not a socket at all. Whether it is a socket is
/// asked first (`SO_TYPE`): wine answers `SIO_BASE_HANDLE` for any handle.
pub(crate) fn base_socket(socket: RawSocket) -> io::Result<usize> {
    let mut kind: i32 = 0;
    let mut len = size_of::<i32>() as i32;
    // SAFETY: SO_TYPE writes one int into `kind`, whose size is given in `len`.
    if unsafe {
        getsockopt(
            socket as usize,
            SOL_SOCKET,
            SO_TYPE,
            (&raw mut kind).cast(),
            &mut len,
        )
    } == SOCKET_ERROR
    {
        return Err(io::Error::last_os_error());
    }
    let mut base: usize = 0;
    let mut bytes: u32 = 0;
    // SAFETY: SIO_BASE_HANDLE takes no input and writes one SOCKET into `base`, whose size is
    // given; `bytes` is a live local; no overlapped operation.
    let result = unsafe {
        WSAIoctl(
            socket as usize,
            SIO_BASE_HANDLE,
            null_mut(),
            0,
            (&raw mut base).cast(),
            size_of::<usize>() as u32,
            &mut bytes,
            null_mut(),
            None,
        )
    };
    if result == SOCKET_ERROR {
        return Err(io::Error::last_os_error());
    }
    Ok(base)
}
