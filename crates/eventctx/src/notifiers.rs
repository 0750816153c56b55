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
/// For a socket it is the socket itself: a context reports `is_hungup` (or `is_read_closed`
/// for a half-close) on it.
///
/// # Examples
///
/// ```ignore-windows
/// use std::os::unix::net::UnixStream;
/// use eventctx::{CloseNotifier, EventType, WaitContext};
///
/// let (near, far) = UnixStream::pair()?;
/// let ctx: WaitContext<u8> = WaitContext::new()?;
/// ctx.add_for_event(near.get_close_notifier(), EventType::None, 1)?;
/// drop(far);
/// assert!(ctx.wait()?[0].is_hungup);
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
