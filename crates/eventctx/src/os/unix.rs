//! Every Unix: a descriptor is a file descriptor. The names `RawDescriptor` and
//! `SafeDescriptor`, the blanket impls over std's fd traits, and the crate's types as file
//! descriptors (`AsFd`, `AsRawFd`, and `IntoRawFd` for the timers, which crosvm's
//! `TimerTrait` asks for).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use crate::{
    AsRawDescriptor, CloseNotifier, Deadlines, Descriptor, Event, EventContext, EventToken,
    FakeTimer, FromRawDescriptor, IntoRawDescriptor, ProcessExit, ReadNotifier, Signals, Timer,
    channel,
};

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
pub type RawDescriptor = RawFd;

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
pub type SafeDescriptor = OwnedFd;

impl<T: AsRawFd + ?Sized> AsRawDescriptor for T {
    #[inline]
    fn as_raw_descriptor(&self) -> RawDescriptor {
        self.as_raw_fd()
    }
}

#[allow(unsafe_code)]
impl<T: FromRawFd> FromRawDescriptor for T {
    #[inline]
    unsafe fn from_raw_descriptor(descriptor: RawDescriptor) -> Self {
        // SAFETY: our caller makes the promise that `from_raw_fd` asks for; it is the same one.
        unsafe { T::from_raw_fd(descriptor) }
    }
}

impl<T: IntoRawFd> IntoRawDescriptor for T {
    #[inline]
    fn into_raw_descriptor(self) -> RawDescriptor {
        self.into_raw_fd()
    }
}

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

/// The stream itself: it is readable when data comes.
impl ReadNotifier for UnixStream {
    fn get_read_notifier(&self) -> &dyn AsRawDescriptor {
        self
    }
}

/// The stream itself: it is hung up when the peer closes.
impl CloseNotifier for UnixStream {
    fn get_close_notifier(&self) -> &dyn AsRawDescriptor {
        self
    }
}

/// Each type lends the descriptor a context watches.
macro_rules! descriptor {
    ($($ty:ty => |$this:ident| $fd:expr;)*) => {$(
        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                let $this = self;
                $fd
            }
        }

        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.as_fd().as_raw_fd()
            }
        }
    )*};
}

descriptor! {
    Event => |this| this.inner.as_fd();
    Timer => |this| this.ops.inner.as_fd();
    Signals => |this| this.inner.as_fd();
    ProcessExit => |this| this.inner.as_fd();
}

/// The timer underneath.
impl<K> AsFd for Deadlines<K> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.timer.as_fd()
    }
}

impl<K> AsRawFd for Deadlines<K> {
    fn as_raw_fd(&self) -> RawFd {
        self.timer.as_raw_fd()
    }
}

/// The read end of the pipe that says a message is queued.
impl<T> AsFd for channel::Receiver<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.shared.bell.0.as_fd()
    }
}

impl<T> AsRawFd for channel::Receiver<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.shared.bell.0.as_raw_fd()
    }
}

impl<T> AsFd for EventContext<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.poller.as_fd()
    }
}

impl<T> AsRawFd for EventContext<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.poller.as_fd().as_raw_fd()
    }
}

/// Gives up the `Timer`'s descriptor, which stays open.
impl From<Timer> for OwnedFd {
    fn from(timer: Timer) -> OwnedFd {
        timer.ops.inner.into_fd()
    }
}

impl IntoRawFd for Timer {
    fn into_raw_fd(self) -> RawFd {
        OwnedFd::from(self).into_raw_fd()
    }
}

impl AsRawFd for FakeTimer {
    fn as_raw_fd(&self) -> RawFd {
        self.event.inner.as_fd().as_raw_fd()
    }
}

/// Gives up the descriptor a context watches; the timer's clock forgets it.
impl IntoRawFd for FakeTimer {
    fn into_raw_fd(self) -> RawFd {
        self.into_event().inner.into_fd().into_raw_fd()
    }
}
