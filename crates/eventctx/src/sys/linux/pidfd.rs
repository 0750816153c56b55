//! pidfd: a descriptor for a process, readable once the process has exited (Linux 5.3).

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, Signal};

/// `pidfd_open(pid, 0)`. The descriptor is close-on-exec (the kernel always sets it).
///
/// A pid that names no process is `io::ErrorKind::NotFound` and a kernel without pidfds is
/// `io::ErrorKind::Unsupported`: the portable kinds (std files `ESRCH` under none), with the
/// kernel's error (`ESRCH`, `ENOSYS`) named in the message.
pub(crate) fn open(pid: u32) -> io::Result<OwnedFd> {
    let raw = i32::try_from(pid).map_err(|_| not_found(pid))?;
    let Some(pid_value) = Pid::from_raw(raw) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "pid 0 names no process (it means the caller's process group)",
        ));
    };
    match rustix::process::pidfd_open(pid_value, PidfdFlags::empty()) {
        Ok(fd) => Ok(fd),
        Err(Errno::SRCH) => Err(not_found(pid)),
        Err(Errno::NOSYS) => Err(kernel_error(
            io::ErrorKind::Unsupported,
            "watching a process needs pidfd_open, which Linux has since 5.3",
            Errno::NOSYS,
        )),
        Err(e) => Err(e.into()),
    }
}

fn not_found(pid: u32) -> io::Error {
    let what = if pid > i32::MAX as u32 {
        "no process has a pid this large"
    } else {
        "no process has this pid (it may have exited and been reaped)"
    };
    kernel_error(io::ErrorKind::NotFound, what, Errno::SRCH)
}

/// An error of the portable `kind`, whose message names the kernel's answer.
fn kernel_error(kind: io::ErrorKind, what: &str, errno: Errno) -> io::Error {
    io::Error::new(kind, format!("{what} ({})", io::Error::from(errno)))
}

/// `pidfd_send_signal(fd, signal, NULL, 0)`: a signal to exactly the process the descriptor
/// names, even if its pid has been reused since. Only the named signals (`SIGTERM`, ...) are
/// accepted; another number is `EINVAL`. A process that has exited gives `ESRCH`.
pub(crate) fn send_signal(fd: BorrowedFd<'_>, signal: i32) -> io::Result<()> {
    let signal = Signal::from_named_raw(signal).ok_or(Errno::INVAL)?;
    rustix::process::pidfd_send_signal(fd, signal)?;
    Ok(())
}
