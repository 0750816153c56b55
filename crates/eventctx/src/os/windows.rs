//! Windows: a descriptor is a `HANDLE` (`RawDescriptor`, `SafeDescriptor` and the blanket impls
//! over std's handle traits are here); the crate's types are handles (`AsHandle`, `AsRawHandle`), std's sockets, files,
//! pipes and processes lend theirs to a context (`AsRawDescriptor`, which has no blanket impl
//! here: sockets are `AsRawSocket`, not `AsRawHandle`), and an `Event` or `Timer` converts to
//! and from its handle, as in crosvm.

use std::os::windows::io::{
    AsHandle, AsRawHandle, AsRawSocket, BorrowedHandle, BorrowedSocket, FromRawHandle,
    IntoRawHandle, OwnedHandle, OwnedSocket, RawHandle,
};

use crate::sys;
use crate::{
    AsRawDescriptor, Deadlines, Descriptor, Event, EventContext, EventToken, FakeTimer,
    FromRawDescriptor, IntoRawDescriptor, ProcessExit, Signals, Timer, channel,
};

/// The operating system's handle for an open file: a file descriptor on Unix, a `HANDLE` on
/// Windows (a socket's `SOCKET` is passed as one, as crosvm does).
pub type RawDescriptor = RawHandle;

/// An owned descriptor, closed on drop: crosvm's name for std's `OwnedFd` (`OwnedHandle` on
/// Windows).
pub type SafeDescriptor = OwnedHandle;

#[allow(unsafe_code)]
impl<T: FromRawHandle> FromRawDescriptor for T {
    #[inline]
    unsafe fn from_raw_descriptor(descriptor: RawDescriptor) -> Self {
        // SAFETY: our caller makes the promise that `from_raw_handle` asks for; it is the same.
        unsafe { T::from_raw_handle(descriptor) }
    }
}

impl<T: IntoRawHandle> IntoRawDescriptor for T {
    #[inline]
    fn into_raw_descriptor(self) -> RawDescriptor {
        self.into_raw_handle()
    }
}

impl AsRawDescriptor for Descriptor {
    #[inline]
    fn as_raw_descriptor(&self) -> RawDescriptor {
        self.0
    }
}

impl EventToken for Descriptor {
    #[inline]
    fn as_raw_token(&self) -> u64 {
        self.0 as usize as u64
    }

    #[inline]
    fn from_raw_token(data: u64) -> Self {
        Descriptor(data as usize as RawDescriptor)
    }
}

// SAFETY: a `Descriptor` is a number that owns nothing; on Windows that number is typed as a
// pointer (`HANDLE`), which is never dereferenced, only passed to the system.
#[allow(unsafe_code)]
unsafe impl Send for Descriptor {}
// SAFETY: as for `Send`: a shared `Descriptor` is a number that is only read.
#[allow(unsafe_code)]
unsafe impl Sync for Descriptor {}

/// Handles: lent as they are.
macro_rules! by_handle {
    ($($ty:ty),* $(,)?) => {$(
        impl AsRawDescriptor for $ty {
            fn as_raw_descriptor(&self) -> RawDescriptor {
                self.as_raw_handle()
            }
        }
    )*};
}

/// Sockets: the `SOCKET` number passed as a handle, as crosvm does; the context finds out it
/// is a socket and polls it as one.
macro_rules! by_socket {
    ($($ty:ty),* $(,)?) => {$(
        impl AsRawDescriptor for $ty {
            fn as_raw_descriptor(&self) -> RawDescriptor {
                self.as_raw_socket() as usize as RawDescriptor
            }
        }
    )*};
}

by_handle!(
    std::fs::File,
    std::process::Child,
    std::process::ChildStdin,
    std::process::ChildStdout,
    std::process::ChildStderr,
    OwnedHandle,
    BorrowedHandle<'_>,
);
by_socket!(
    std::net::TcpStream,
    std::net::TcpListener,
    std::net::UdpSocket,
    OwnedSocket,
    BorrowedSocket<'_>,
);

/// The crate's own types lend the handle a context watches.
macro_rules! handle {
    ($($ty:ty => |$this:ident| $handle:expr;)*) => {$(
        impl AsHandle for $ty {
            fn as_handle(&self) -> BorrowedHandle<'_> {
                let $this = self;
                $handle
            }
        }

        impl AsRawHandle for $ty {
            fn as_raw_handle(&self) -> RawHandle {
                self.as_handle().as_raw_handle()
            }
        }

        impl AsRawDescriptor for $ty {
            fn as_raw_descriptor(&self) -> RawDescriptor {
                self.as_raw_handle()
            }
        }
    )*};
}

/// The timer underneath.
impl<K> AsRawDescriptor for Deadlines<K> {
    fn as_raw_descriptor(&self) -> RawDescriptor {
        self.timer.as_raw_descriptor()
    }
}

/// The loopback socket that says a message is queued, passed as a handle as sockets are.
impl<T> AsRawDescriptor for channel::Receiver<T> {
    fn as_raw_descriptor(&self) -> RawDescriptor {
        self.shared.bell.0.as_raw_descriptor()
    }
}

handle! {
    Event => |this| this.inner.as_handle();
    Timer => |this| this.ops.inner.as_handle();
    Signals => |this| this.inner.as_handle();
    ProcessExit => |this| this.inner.as_handle();
    FakeTimer => |this| this.event.inner.as_handle();
}

impl<T> AsHandle for EventContext<T> {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.poller.as_handle()
    }
}

impl<T> AsRawHandle for EventContext<T> {
    fn as_raw_handle(&self) -> RawHandle {
        self.poller.as_handle().as_raw_handle()
    }
}

impl<T> AsRawDescriptor for EventContext<T> {
    fn as_raw_descriptor(&self) -> RawDescriptor {
        self.as_raw_handle()
    }
}

/// Takes an event object's handle as an `Event`.
impl From<OwnedHandle> for Event {
    fn from(handle: OwnedHandle) -> Event {
        Event {
            inner: sys::event::Event::from_handle(handle),
        }
    }
}

/// Gives up the `Event`'s handle, which stays open.
impl From<Event> for OwnedHandle {
    fn from(event: Event) -> OwnedHandle {
        event.inner.into_handle()
    }
}

#[allow(unsafe_code)]
impl FromRawHandle for Event {
    /// Takes ownership of a raw event object handle.
    ///
    /// # Safety
    ///
    /// As for [`OwnedHandle::from_raw_handle`]: `handle` must be open, and owned by nothing
    /// else.
    unsafe fn from_raw_handle(handle: RawHandle) -> Event {
        // SAFETY: the caller promises what `OwnedHandle::from_raw_handle` asks.
        Event::from(unsafe { OwnedHandle::from_raw_handle(handle) })
    }
}

impl IntoRawHandle for Event {
    fn into_raw_handle(self) -> RawHandle {
        OwnedHandle::from(self).into_raw_handle()
    }
}

/// Gives up the `Timer`'s handle, which stays open.
impl From<Timer> for OwnedHandle {
    fn from(timer: Timer) -> OwnedHandle {
        timer.ops.inner.into_handle()
    }
}

impl IntoRawHandle for Timer {
    fn into_raw_handle(self) -> RawHandle {
        OwnedHandle::from(self).into_raw_handle()
    }
}

/// Gives up the handle a context watches; the timer's clock forgets it.
impl IntoRawHandle for FakeTimer {
    fn into_raw_handle(self) -> RawHandle {
        self.into_event().inner.into_handle().into_raw_handle()
    }
}
