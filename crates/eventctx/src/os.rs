//! The public std-trait impls of one platform, under one cfg each, so that every other front
//! file reads the same on every platform; and the trait that lends a descriptor, whose
//! compiler hints name each platform's own traits.

#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(unix)]
pub use unix::{RawDescriptor, SafeDescriptor};
#[cfg(windows)]
pub use windows::{RawDescriptor, SafeDescriptor};

/// Lends the raw descriptor of an object, so that it can be watched by a context.
///
/// On Unix every type that implements `AsRawFd` implements this trait too: `File`,
/// `TcpStream`, `UdpSocket`, `UnixStream`, `OwnedFd`, `BorrowedFd`, `ChildStdout`,
/// [`Event`](crate::Event), [`Timer`](crate::Timer), [`EventContext`](crate::EventContext) and
/// the rest can all be passed as `&dyn AsRawDescriptor` as they are. On Windows std's sockets,
/// files, pipes, handles and child processes, and the crate's own types implement it; a type
/// of your own implements it by hand.
///
/// The descriptor is only borrowed for the duration of a call; a context does not keep the
/// object alive. A descriptor that is not open when a call uses it gets an `EBADF` error.
///
/// # Examples
///
/// ```ignore-windows
/// use std::os::unix::net::UnixStream;
/// use eventctx::{AsRawDescriptor, EventContext};
///
/// let (a, _b) = UnixStream::pair()?;
/// let ctx: EventContext<u32> = EventContext::new()?;
/// ctx.add(&a, 7)?;
/// assert!(a.as_raw_descriptor() >= 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[cfg_attr(
    unix,
    diagnostic::on_unimplemented(
        message = "`{Self}` is not a descriptor that a context can watch",
        label = "not a descriptor",
        note = "a context watches what has a file descriptor: sockets, pipes, `File`, `OwnedFd`, \
                `Event`, `Timer`, `Signals`, another context; pass a reference to one (`&stream`)",
        note = "for a type of your own that holds one, implement `std::os::fd::AsRawFd` (it gives \
                `AsRawDescriptor`); a raw number can be wrapped as `Descriptor(fd)`"
    )
)]
#[cfg_attr(
    windows,
    diagnostic::on_unimplemented(
        message = "`{Self}` is not a descriptor that a context can watch",
        label = "not a descriptor",
        note = "a context watches sockets and waitable handles: `TcpStream`, `UdpSocket`, \
                `Child`, `Event`, `Timer`, `Signals`, `OwnedHandle`; pass a reference (`&stream`)",
        note = "for a type of your own, implement `AsRawDescriptor` by hand; a raw handle can be \
                wrapped as `Descriptor(handle)`"
    )
)]
pub trait AsRawDescriptor {
    /// Returns the raw descriptor, without giving up ownership of it.
    fn as_raw_descriptor(&self) -> RawDescriptor;
}
