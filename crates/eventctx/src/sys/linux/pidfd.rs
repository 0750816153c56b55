//! pidfd: a descriptor for a process, readable once the process has exited (Linux 5.3).

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, Signal};

use crate::sys::time::Deadline;
use crate::sys::unix::{kernel_error, pid_error};

/// A pidfd: what a `ProcessExit` is made of on Linux.
#[derive(Debug)]
pub(crate) struct ProcessExit {
    fd: OwnedFd,
}

impl ProcessExit {
    /// Watches process `pid`: see [`open`].
    pub(crate) fn open(pid: u32) -> io::Result<ProcessExit> {
        Ok(ProcessExit { fd: open(pid)? })
    }

    /// Whether the process has exited, without waiting.
    pub(crate) fn has_exited(&self) -> io::Result<bool> {
        let mut now = Deadline::new(Some(Duration::ZERO));
        crate::sys::unix::wait_readable(self.fd.as_fd(), &mut now)
    }

    /// Blocks until the process has exited.
    pub(crate) fn wait(&self) -> io::Result<()> {
        let mut forever = Deadline::new(None);
        while !crate::sys::unix::wait_readable(self.fd.as_fd(), &mut forever)? {}
        Ok(())
    }

    /// Sends `signal` to exactly this process: see [`send_signal`].
    pub(crate) fn send_signal(&self, signal: i32) -> io::Result<()> {
        send_signal(self.fd.as_fd(), signal)
    }
}

impl AsFd for ProcessExit {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// `pidfd_open(pid, 0)`. The descriptor is close-on-exec (the kernel always sets it).
///
/// A pid that names no process is `io::ErrorKind::NotFound` and a kernel without pidfds is
/// `io::ErrorKind::Unsupported`: the portable kinds (std files `ESRCH` under none), with the
/// kernel's error (`ESRCH`, `ENOSYS`) named in the message.
fn open(pid: u32) -> io::Result<OwnedFd> {
    let raw = i32::try_from(pid).map_err(|_| pid_error(pid))?;
    let pid_value = Pid::from_raw(raw).ok_or_else(|| pid_error(0))?;
    match rustix::process::pidfd_open(pid_value, PidfdFlags::empty()) {
        Ok(fd) => Ok(fd),
        Err(Errno::SRCH) => Err(pid_error(pid)),
        Err(Errno::NOSYS) => Err(kernel_error(
            io::ErrorKind::Unsupported,
            "watching a process needs pidfd_open, which Linux has since 5.3",
            Errno::NOSYS,
        )),
        Err(e) => Err(e.into()),
    }
}

/// `pidfd_send_signal(fd, signal, NULL, 0)`: a signal to exactly the process the descriptor
/// names, even if its pid has been reused since. Only the named signals (`SIGTERM`, ...) are
/// accepted; another number is `EINVAL`. A process that has exited gives `ESRCH`.
fn send_signal(fd: BorrowedFd<'_>, signal: i32) -> io::Result<()> {
    let signal = Signal::from_named_raw(signal).ok_or(Errno::INVAL)?;
    rustix::process::pidfd_send_signal(fd, signal)?;
    Ok(())
}
