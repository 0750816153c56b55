//! Raw descriptors and the trait that lends them.

use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use crate::EventToken;

/// The operating system's handle for an open file: a file descriptor on Unix.
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

/// An owned descriptor, closed on drop: crosvm's name for std's [`OwnedFd`].
///
/// # Examples
///
/// ```
/// use eventctx::{Event, SafeDescriptor};
///
/// let descriptor: SafeDescriptor = Event::new()?.into();
/// let event = Event::from(descriptor); // and back
/// event.signal()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub type SafeDescriptor = OwnedFd;

/// Builds an object that owns a raw descriptor.
///
/// Every type that implements [`FromRawFd`] implements this trait too ([`SafeDescriptor`],
/// `File`, `TcpStream`, [`Event`](crate::Event), [`Timer`](crate::Timer), ...), so a type that
/// implements `FromRawFd` must not implement it by hand.
///
/// # Examples
///
/// ```
/// use eventctx::{Event, FromRawDescriptor, IntoRawDescriptor};
///
/// let raw = Event::new()?.into_raw_descriptor(); // nothing owns it now
/// // SAFETY: `raw` is open, and nothing else owns it.
/// let event = unsafe { Event::from_raw_descriptor(raw) };
/// event.signal()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[allow(unsafe_code)] // crosvm's signature: the caller vouches for the descriptor
pub trait FromRawDescriptor {
    /// Takes ownership of `descriptor`: the new object closes it when dropped.
    ///
    /// # Safety
    ///
    /// `descriptor` must be open, and owned by nothing else, as for [`FromRawFd::from_raw_fd`].
    unsafe fn from_raw_descriptor(descriptor: RawDescriptor) -> Self;
}

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
/// Every type that implements [`IntoRawFd`] implements this trait too.
///
/// # Examples
///
/// ```
/// use eventctx::{Event, IntoRawDescriptor, SafeDescriptor};
/// use std::os::fd::FromRawFd;
///
/// let raw = Event::new()?.into_raw_descriptor();
/// // SAFETY: `raw` is open, and nothing else owns it.
/// drop(unsafe { SafeDescriptor::from_raw_fd(raw) }); // closes it
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait IntoRawDescriptor {
    /// Returns the descriptor, which the caller now owns (and must close).
    fn into_raw_descriptor(self) -> RawDescriptor;
}

impl<T: IntoRawFd> IntoRawDescriptor for T {
    #[inline]
    fn into_raw_descriptor(self) -> RawDescriptor {
        self.into_raw_fd()
    }
}

/// A raw descriptor number, as a value: it owns nothing and closes nothing.
///
/// It lends its number to a context ([`AsRawDescriptor`]) and is an
/// [`EventToken`](crate::EventToken), so a descriptor can be its own token.
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
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Descriptor(pub RawDescriptor);

impl AsRawFd for Descriptor {
    #[inline]
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

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
