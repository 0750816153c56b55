//! Raw descriptors and the trait that lends them.

#[cfg(unix)]
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
#[cfg(windows)]
use std::os::windows::io::{FromRawHandle, IntoRawHandle, OwnedHandle, RawHandle};

use crate::EventToken;

/// The operating system's handle for an open file: a file descriptor on Unix, a `HANDLE` on
/// Windows (a socket's `SOCKET` is passed as one, as crosvm does).
///
/// # Examples
///
/// ```
/// use eventctx::{AsRawDescriptor, Event, RawDescriptor};
///
/// let event = Event::new()?;
/// let raw: RawDescriptor = event.as_raw_descriptor();
/// assert!(raw >= 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[cfg(unix)]
pub type RawDescriptor = RawFd;
/// The operating system's handle for an open file: a file descriptor on Unix, a `HANDLE` on
/// Windows (a socket's `SOCKET` is passed as one, as crosvm does).
#[cfg(windows)]
pub type RawDescriptor = RawHandle;

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

/// An object that has several descriptors to watch (a device with a queue and an interrupt,
/// say): crosvm's way to list them, for a context or for a sandbox that must keep them open.
///
/// Every [`AsRawDescriptor`] has it, as a list of one.
///
/// # Examples
///
/// ```
/// use eventctx::{AsRawDescriptor, AsRawDescriptors, Event, RawDescriptor};
///
/// struct Device {
///     queue: Event,
///     irq: Event,
/// }
///
/// impl AsRawDescriptors for Device {
///     fn as_raw_descriptors(&self) -> Vec<RawDescriptor> {
///         vec![self.queue.as_raw_descriptor(), self.irq.as_raw_descriptor()]
///     }
/// }
///
/// let device = Device { queue: Event::new()?, irq: Event::new()? };
/// assert_eq!(device.as_raw_descriptors().len(), 2);
/// assert_eq!(device.queue.as_raw_descriptors(), [device.queue.as_raw_descriptor()]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait AsRawDescriptors {
    /// Returns every raw descriptor, without giving up ownership of them.
    fn as_raw_descriptors(&self) -> Vec<RawDescriptor>;
}

impl<T: AsRawDescriptor + ?Sized> AsRawDescriptors for T {
    fn as_raw_descriptors(&self) -> Vec<RawDescriptor> {
        vec![self.as_raw_descriptor()]
    }
}

#[cfg(unix)]
impl<T: AsRawFd + ?Sized> AsRawDescriptor for T {
    #[inline]
    fn as_raw_descriptor(&self) -> RawDescriptor {
        self.as_raw_fd()
    }
}

/// An owned descriptor, closed on drop: crosvm's name for std's `OwnedFd` (`OwnedHandle` on
/// Windows).
///
/// # Examples
///
/// ```
/// use std::os::unix::net::UnixStream;
/// use eventctx::SafeDescriptor;
///
/// let (near, _far) = UnixStream::pair()?;
/// let descriptor: SafeDescriptor = near.into();
/// let near = UnixStream::from(descriptor); // and back
/// near.set_nonblocking(true)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[cfg(unix)]
pub type SafeDescriptor = OwnedFd;
/// An owned descriptor, closed on drop: crosvm's name for std's `OwnedFd` (`OwnedHandle` on
/// Windows).
#[cfg(windows)]
pub type SafeDescriptor = OwnedHandle;

/// Builds an object that owns a raw descriptor.
///
/// Every type that implements `FromRawFd` (`FromRawHandle` on Windows) implements this trait
/// too ([`SafeDescriptor`],
/// `File`, `TcpStream`, [`Event`](crate::Event), [`Timer`](crate::Timer), ...), so a type that
/// implements `FromRawFd` must not implement it by hand.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use std::os::unix::net::UnixStream;
/// use eventctx::{FromRawDescriptor, IntoRawDescriptor};
///
/// let (near, _far) = UnixStream::pair()?;
/// let raw = near.into_raw_descriptor(); // nothing owns it now
/// // SAFETY: `raw` is open, and nothing else owns it.
/// let mut near = unsafe { UnixStream::from_raw_descriptor(raw) };
/// near.write_all(b"still open")?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[allow(unsafe_code)] // crosvm's signature: the caller vouches for the descriptor
pub trait FromRawDescriptor {
    /// Takes ownership of `descriptor`: the new object closes it when dropped.
    ///
    /// # Safety
    ///
    /// `descriptor` must be open, and owned by nothing else, as for `FromRawFd::from_raw_fd`.
    unsafe fn from_raw_descriptor(descriptor: RawDescriptor) -> Self;
}

#[cfg(unix)]
#[allow(unsafe_code)]
impl<T: FromRawFd> FromRawDescriptor for T {
    #[inline]
    unsafe fn from_raw_descriptor(descriptor: RawDescriptor) -> Self {
        // SAFETY: our caller makes the promise that `from_raw_fd` asks for; it is the same one.
        unsafe { T::from_raw_fd(descriptor) }
    }
}

/// Gives up ownership of a descriptor, leaving it open.
///
/// Every type that implements `IntoRawFd` (`IntoRawHandle` on Windows) implements this trait
/// too.
///
/// # Examples
///
/// ```
/// use eventctx::{IntoRawDescriptor, SafeDescriptor, Timer};
/// use std::os::fd::FromRawFd;
///
/// let raw = Timer::new()?.into_raw_descriptor();
/// // SAFETY: `raw` is open, and nothing else owns it.
/// drop(unsafe { SafeDescriptor::from_raw_fd(raw) }); // closes it
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait IntoRawDescriptor {
    /// Returns the descriptor, which the caller now owns (and must close).
    fn into_raw_descriptor(self) -> RawDescriptor;
}

#[cfg(unix)]
impl<T: IntoRawFd> IntoRawDescriptor for T {
    #[inline]
    fn into_raw_descriptor(self) -> RawDescriptor {
        self.into_raw_fd()
    }
}

#[cfg(windows)]
#[allow(unsafe_code)]
impl<T: FromRawHandle> FromRawDescriptor for T {
    #[inline]
    unsafe fn from_raw_descriptor(descriptor: RawDescriptor) -> Self {
        // SAFETY: our caller makes the promise that `from_raw_handle` asks for; it is the same.
        unsafe { T::from_raw_handle(descriptor) }
    }
}

#[cfg(windows)]
impl<T: IntoRawHandle> IntoRawDescriptor for T {
    #[inline]
    fn into_raw_descriptor(self) -> RawDescriptor {
        self.into_raw_handle()
    }
}

/// A raw descriptor number, as a value: it owns nothing and closes nothing.
///
/// It lends its number to a context ([`AsRawDescriptor`]) and is an
/// [`EventToken`](crate::EventToken), so a descriptor can be its own token. It is ordered by
/// number, so it can key a `BTreeMap`.
///
/// # Examples
///
/// ```
/// use eventctx::{AsRawDescriptor, Descriptor, Event, EventContext};
///
/// let event = Event::new()?;
/// let ctx: EventContext<Descriptor> = EventContext::new()?;
/// let token = Descriptor(event.as_raw_descriptor());
/// ctx.add(&token, token)?;
/// event.signal()?;
/// assert_eq!(ctx.wait()?[0].token, token);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Descriptor(pub RawDescriptor);

#[cfg(unix)]
impl AsRawFd for Descriptor {
    #[inline]
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

#[cfg(unix)]
impl EventToken for Descriptor {
    #[inline]
    fn as_raw_token(&self) -> u64 {
        self.0 as u64
    }

    #[inline]
    fn from_raw_token(data: u64) -> Self {
        Descriptor(data as RawDescriptor)
    }
}

#[cfg(windows)]
impl AsRawDescriptor for Descriptor {
    #[inline]
    fn as_raw_descriptor(&self) -> RawDescriptor {
        self.0
    }
}

#[cfg(windows)]
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
#[cfg(windows)]
#[allow(unsafe_code)]
unsafe impl Send for Descriptor {}
// SAFETY: as for `Send`: a shared `Descriptor` is a number that is only read.
#[cfg(windows)]
#[allow(unsafe_code)]
unsafe impl Sync for Descriptor {}
