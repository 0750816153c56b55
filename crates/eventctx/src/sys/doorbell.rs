//! A doorbell: a pipe that says "something is queued" with one byte in it, and "nobody will
//! queue anything any more" by the closing of its write end. What a `channel::Receiver` is
//! watched through: a pipe on Unix; on Windows, where contexts poll sockets and not pipes, a
//! loopback TCP pair.
//!
//! A pipe, not a Unix socket pair: a ping-pong of one message between two threads took about
//! 15 µs a round trip through a pipe and 42 µs through a socket pair (the benchmark's channel
//! table, same run), where the waker's `write` and the waiter's wake-up are all that differ.

use std::io::{self, Read, Write};

#[cfg(unix)]
type End = std::fs::File;
#[cfg(windows)]
type End = std::net::TcpStream;

/// The end contexts watch.
pub(crate) struct Bell(pub(crate) End);

/// The end senders ring through; dropped (closed) to hang up.
pub(crate) struct Button(Option<End>);

/// A new doorbell, both ends non-blocking and close-on-exec (not inherited).
pub(crate) fn new() -> io::Result<(Bell, Button)> {
    let (bell, button) = pair()?;
    Ok((Bell(bell), Button(Some(button))))
}

impl Bell {
    /// Makes the bell no longer readable (takes the byte, if there is one).
    pub(crate) fn quiet(&self) -> io::Result<()> {
        let mut byte = [0u8; 8];
        loop {
            match (&self.0).read(&mut byte) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl Button {
    /// Makes the bell readable. The caller rings only when the bell is quiet, so the one byte
    /// always has room; after a hang-up it does nothing.
    pub(crate) fn ring(&self) -> io::Result<()> {
        let Some(end) = &self.0 else {
            return Ok(());
        };
        loop {
            match (&*end).write(&[1]) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Closes the write end: the bell is readable from now on, with the hang-up (epoll: a pipe
    /// whose writers are gone is `EPOLLHUP`; kqueue: end of file; Windows: a closed
    /// connection).
    pub(crate) fn hang_up(&mut self) {
        self.0 = None;
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn pair() -> io::Result<(End, End)> {
    use rustix::pipe::{PipeFlags, pipe_with};
    let (r, w) = pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK)?;
    Ok((r.into(), w.into()))
}

/// `pipe2` is not everywhere (macOS has none): the flags are set right after.
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
fn pair() -> io::Result<(End, End)> {
    use rustix::io::{FdFlags, fcntl_setfd, ioctl_fionbio};
    let (r, w) = rustix::pipe::pipe()?;
    for end in [&r, &w] {
        fcntl_setfd(end, FdFlags::CLOEXEC)?;
        ioctl_fionbio(end, true)?;
    }
    Ok((r.into(), w.into()))
}

/// A loopback TCP pair: a listener on an ephemeral port, a connection to it, and the accepted
/// end whose peer is that connection (a connection from anyone else is turned away).
#[cfg(windows)]
fn pair() -> io::Result<(End, End)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let button = End::connect(listener.local_addr()?)?;
    let mine = button.local_addr()?;
    for _ in 0..16 {
        let (bell, peer) = listener.accept()?;
        if peer == mine {
            for end in [&bell, &button] {
                end.set_nonblocking(true)?;
                end.set_nodelay(true)?;
            }
            return Ok((bell, button));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::ConnectionRefused,
        "other connections kept arriving at a channel's loopback listener",
    ))
}
