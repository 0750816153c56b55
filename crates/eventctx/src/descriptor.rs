//! Raw descriptors and the trait that lends them.

use std::os::fd::{AsRawFd, RawFd};

/// The operating system's handle for an open file: a file descriptor on Unix.
pub type RawDescriptor = RawFd;

/// Lends the raw descriptor of an object, so that it can be watched by a context.
///
/// Every type that implements [`AsRawFd`] implements this trait too: `File`, `TcpStream`,
/// `UdpSocket`, `UnixStream`, `OwnedFd`, `BorrowedFd`, `ChildStdout`, [`Event`](crate::Event),
/// [`Timer`](crate::Timer), [`EventContext`](crate::EventContext) and the rest can all be passed
/// as `&dyn AsRawDescriptor` as they are.
///
/// The descriptor is only borrowed for the duration of a call; a context does not keep the
/// object alive. A descriptor that is not open when a call uses it gets an `EBADF` error.
///
/// # Examples
///
/// ```
/// use std::os::unix::net::UnixStream;
/// use eventctx::{AsRawDescriptor, EventContext};
///
/// let (a, _b) = UnixStream::pair()?;
/// let ctx: EventContext<u32> = EventContext::new()?;
/// ctx.add(&a, 7)?;
/// assert!(a.as_raw_descriptor() >= 0);
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait AsRawDescriptor {
    /// Returns the raw descriptor, without giving up ownership of it.
    fn as_raw_descriptor(&self) -> RawDescriptor;
}

impl<T: AsRawFd + ?Sized> AsRawDescriptor for T {
    #[inline]
    fn as_raw_descriptor(&self) -> RawDescriptor {
        self.as_raw_fd()
    }
}
