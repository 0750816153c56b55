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

/// A duplicate of `descriptor`, owned by the caller and closed on drop: crosvm's
/// `clone_descriptor`. On Unix it is close-on-exec (`F_DUPFD_CLOEXEC`), on Windows a handle
/// that is not inherited.
///
/// The copy shares the open file with the original: its offset, its status flags and its
/// readiness. A context watches the open file, so a copy of a watched descriptor keeps it
/// watched after the original is closed.
///
/// # Errors
///
/// `EBADF` (`ERROR_INVALID_HANDLE` on Windows) for a descriptor that is not open; `EMFILE`
/// when the process has no descriptor to spare.
///
/// # Examples
///
/// ```
/// use eventctx::{AsRawDescriptor, Event, clone_descriptor};
///
/// let event = Event::new()?;
/// let copy = clone_descriptor(&event)?;
/// assert_ne!(copy.as_raw_descriptor(), event.as_raw_descriptor());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn clone_descriptor(
    descriptor: &(impl AsRawDescriptor + ?Sized),
) -> crate::Result<SafeDescriptor> {
    crate::sys::descriptor::clone(descriptor.as_raw_descriptor())
}

/// crosvm's check of a descriptor number that came from outside the program (inherited from
/// the parent, named on a command line): it must be open and, on Unix, must *not* be
/// close-on-exec, since every descriptor the program opened itself is. Returns a close-on-exec
/// duplicate, which the caller owns (wrap it with
/// [`FromRawDescriptor::from_raw_descriptor`]) and which stays valid whatever else closes the
/// original.
///
/// # Errors
///
/// `EBADF` for a descriptor that is not open or is close-on-exec (Windows:
/// `ERROR_INVALID_HANDLE` for a handle that is not open).
///
/// # Examples
///
/// ```ignore-windows
/// use eventctx::{Event, AsRawDescriptor, validate_raw_descriptor};
///
/// // The crate's own descriptors are close-on-exec: not something handed in.
/// let event = Event::new()?;
/// let error = validate_raw_descriptor(event.as_raw_descriptor()).unwrap_err();
/// assert_eq!(error.raw_os_error(), Some(libc::EBADF));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn validate_raw_descriptor(raw_descriptor: RawDescriptor) -> crate::Result<RawDescriptor> {
    crate::sys::descriptor::validate(raw_descriptor)
}

/// Puts `descriptor` in non-blocking mode (`true`) or takes it out (`false`): a read or write
/// that would wait then fails with [`WouldBlock`](std::io::ErrorKind::WouldBlock).
///
/// std offers `set_nonblocking` on its sockets but not on the pipes of a child process
/// (`ChildStdout`, `ChildStderr`, `ChildStdin`) or on a `File`; a wait loop that drains what
/// a context reported must not block on its last read, so those need it too. The mode belongs
/// to the open file, so it is shared with every duplicate of the descriptor (and with a child
/// process that inherited it).
///
/// On Unix it is `ioctl(FIONBIO)`, for any descriptor. On Windows only sockets have such a
/// mode.
///
/// # Errors
///
/// `EBADF` for a descriptor that is not open; on Windows, `Unsupported` for a handle that is
/// not a socket.
///
/// # Examples
///
/// ```ignore-windows
/// use std::io::Read;
/// use std::process::{Command, Stdio};
///
/// let mut child = Command::new("sleep").arg("1").stdout(Stdio::piped()).spawn()?;
/// let mut out = child.stdout.take().unwrap();
/// eventctx::set_nonblocking(&out, true)?;
/// // Nothing written yet: the read says so instead of waiting a second.
/// let error = out.read(&mut [0; 64]).unwrap_err();
/// assert_eq!(error.kind(), std::io::ErrorKind::WouldBlock);
/// child.kill()?;
/// child.wait()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn set_nonblocking(descriptor: &dyn AsRawDescriptor, nonblocking: bool) -> crate::Result<()> {
    crate::sys::descriptor::set_nonblocking(descriptor.as_raw_descriptor(), nonblocking)
}

/// Adds `set_flags` to the descriptor's file status flags (`F_GETFL`, then `F_SETFL`), as
/// crosvm's `add_fd_flags`: for example `libc::O_NONBLOCK` or `libc::O_APPEND`. Unix only, as
/// in crosvm. ([`set_nonblocking`] does the common case on every platform.)
///
/// # Errors
///
/// `EBADF` for a descriptor that is not open; what `F_SETFL` refuses.
///
/// # Examples
///
/// ```ignore-windows
/// use std::os::unix::net::UnixStream;
/// use eventctx::{AsRawDescriptor, add_fd_flags, clear_fd_flags};
///
/// let (a, _b) = UnixStream::pair()?;
/// add_fd_flags(a.as_raw_descriptor(), libc::O_NONBLOCK)?;
/// // SAFETY: F_GETFL only reads the flags of an open descriptor.
/// let flags = unsafe { libc::fcntl(a.as_raw_descriptor(), libc::F_GETFL) };
/// assert_ne!(flags & libc::O_NONBLOCK, 0);
/// clear_fd_flags(a.as_raw_descriptor(), libc::O_NONBLOCK)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[cfg(unix)]
pub fn add_fd_flags(fd: RawDescriptor, set_flags: std::ffi::c_int) -> crate::Result<()> {
    crate::sys::descriptor::change_status_flags(fd, set_flags, 0)
}

/// Takes `clear_flags` out of the descriptor's file status flags (`F_GETFL`, then `F_SETFL`),
/// as crosvm's `clear_fd_flags`. Unix only, as in crosvm.
///
/// # Errors
///
/// `EBADF` for a descriptor that is not open; what `F_SETFL` refuses.
///
/// # Examples
///
/// ```ignore-windows
/// use std::os::unix::net::UnixStream;
/// use eventctx::{AsRawDescriptor, clear_fd_flags};
///
/// let (a, _b) = UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// clear_fd_flags(a.as_raw_descriptor(), libc::O_NONBLOCK)?;
/// // SAFETY: F_GETFL only reads the flags of an open descriptor.
/// let flags = unsafe { libc::fcntl(a.as_raw_descriptor(), libc::F_GETFL) };
/// assert_eq!(flags & libc::O_NONBLOCK, 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[cfg(unix)]
pub fn clear_fd_flags(fd: RawDescriptor, clear_flags: std::ffi::c_int) -> crate::Result<()> {
    crate::sys::descriptor::change_status_flags(fd, 0, clear_flags)
}
