//! `ReadNotifier` and `CloseNotifier`: the descriptor to watch for an object that is not
//! itself the descriptor. (The impls for `UnixStream` are in `crate::os::unix`; `File`'s is
//! here, as in crosvm.)

use crate::AsRawDescriptor;

/// An object that names the descriptor to watch to learn that it has something to read.
///
/// crosvm's channels implement it, so that a worker adds `channel.get_read_notifier()` to its
/// context and never needs to know what the channel is made of. For a socket, the notifier is
/// the socket itself.
///
/// # Examples
///
/// ```ignore-windows
/// use std::io::Write;
/// use std::os::unix::net::UnixStream;
/// use eventctx::{ReadNotifier, WaitContext};
///
/// let (near, mut far) = UnixStream::pair()?;
/// let ctx = WaitContext::build_with(&[(near.get_read_notifier(), 1u8)])?;
/// far.write_all(b"x")?;
/// assert!(ctx.wait()?[0].is_readable);
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait ReadNotifier {
    /// The descriptor that becomes readable when there is something to read.
    fn get_read_notifier(&self) -> &dyn AsRawDescriptor;
}

/// An object that names the descriptor to watch to learn that its peer has gone.
///
/// For a socket it is the socket itself. Watched for reading, it reports `is_read_closed`
/// when the peer closes or shuts down its side (on Linux also `is_hungup` for a full close).
/// Watched for nothing (`EventType::None`), it reports the hang-up alone on Linux and Windows;
/// kqueue reports nothing for such a descriptor, so portable code watches it for reading.
///
/// # Examples
///
/// ```ignore-windows
/// use std::os::unix::net::UnixStream;
/// use eventctx::{CloseNotifier, WaitContext};
///
/// let (near, far) = UnixStream::pair()?;
/// let ctx: WaitContext<u8> = WaitContext::new()?;
/// ctx.add(near.get_close_notifier(), 1)?;
/// drop(far);
/// assert!(ctx.wait()?[0].is_read_closed);
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait CloseNotifier {
    /// The descriptor that reports a hang-up when the peer goes.
    fn get_close_notifier(&self) -> &dyn AsRawDescriptor;
}

/// The file itself, as in crosvm: a character device, a FIFO or a pipe opened as a `File` is
/// readable when it has something to read. (A regular file cannot be watched: contexts refuse
/// it with `EPERM`, as epoll does.)
impl ReadNotifier for std::fs::File {
    fn get_read_notifier(&self) -> &dyn AsRawDescriptor {
        self
    }
}
