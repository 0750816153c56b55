//! Raw descriptors and the trait that lends them.

// The names each platform fills in, the impls that tie them to std's traits, and
// `AsRawDescriptor` (whose compiler hints name each platform's own traits) are in `crate::os`.
pub use crate::os::{AsRawDescriptor, RawDescriptor, SafeDescriptor};

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

/// Builds an object that owns a raw descriptor.
///
/// Every type that implements `FromRawFd` (`FromRawHandle` on Windows) implements this trait
/// too ([`SafeDescriptor`],
/// `File`, `TcpStream`, [`Event`](crate::Event), [`Timer`](crate::Timer), ...), so a type that
/// implements `FromRawFd` must not implement it by hand.
///
/// # Examples
///
/// ```ignore-windows
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

/// Gives up ownership of a descriptor, leaving it open.
///
/// Every type that implements `IntoRawFd` (`IntoRawHandle` on Windows) implements this trait
/// too.
///
/// # Examples
///
/// ```ignore-windows
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
