//! `ProcessExit` on kqueue: a kqueue of its own with `EVFILT_PROC` / `NOTE_EXIT` on the pid.
//! Nothing ever takes that event, so once the process has exited the kqueue stays readable
//! until it is dropped, as a pidfd does.
//!
//! A process that has exited but is not reaped yet (a zombie) cannot be watched on every BSD
//! (`ESRCH`); when `waitid(.., WNOWAIT)` shows that it is the caller's own exited child, the
//! kqueue gets a timer that fires at once instead, so it is readable straight away.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::process::{Pid, Signal};

use super::kevent::{self, consts};
use super::translate;
use crate::sys::time::Deadline;
use crate::sys::unix::{pid_error, wait_readable};

/// A kqueue watching one process.
#[derive(Debug)]
pub(crate) struct ProcessExit {
    kq: OwnedFd,
    pid: Pid,
}

impl ProcessExit {
    /// Watches process `pid`; the same errors as on Linux for a pid that names no process.
    pub(crate) fn open(pid: u32) -> io::Result<ProcessExit> {
        let raw = i32::try_from(pid).map_err(|_| pid_error(pid))?;
        let pid_value = Pid::from_raw(raw).ok_or_else(|| pid_error(0))?;
        let kq = kevent::new_kqueue()?;
        let watch = kevent::kevent(
            pid as usize,
            consts::EVFILT_PROC,
            consts::EV_ADD,
            libc::NOTE_EXIT,
            0,
            0,
        );
        match kevent::apply(kq.as_fd(), &mut [watch])? {
            [0, ..] => {}
            [libc::ESRCH, ..] if exited_child(raw) => {
                let (data, unit) = translate::timer_period(Duration::ZERO, kevent::FINE_TIMERS);
                let fire = kevent::kevent(
                    0,
                    consts::EVFILT_TIMER,
                    consts::EV_ADD | consts::EV_ONESHOT,
                    kevent::timer_unit(unit),
                    data,
                    0,
                );
                kevent::apply_one(kq.as_fd(), fire)?;
            }
            [libc::ESRCH, ..] => return Err(pid_error(pid)),
            [errno, ..] => return Err(io::Error::from_raw_os_error(errno)),
        }
        Ok(ProcessExit { kq, pid: pid_value })
    }

    /// Whether the process has exited, without waiting.
    pub(crate) fn has_exited(&self) -> io::Result<bool> {
        wait_readable(self.kq.as_fd(), &mut Deadline::new(Some(Duration::ZERO)))
    }

    /// Blocks until the process has exited.
    pub(crate) fn wait(&self) -> io::Result<()> {
        let mut forever = Deadline::new(None);
        while !wait_readable(self.kq.as_fd(), &mut forever)? {}
        Ok(())
    }

    /// `kill(pid, signal)`. Unlike a pidfd, this names the process by its pid, which the system
    /// may give to another process once this one is reaped: signal only before reaping. Only
    /// the named signals are accepted (`EINVAL` else).
    pub(crate) fn send_signal(&self, signal: i32) -> io::Result<()> {
        let signal = Signal::from_named_raw(signal).ok_or(rustix::io::Errno::INVAL)?;
        rustix::process::kill_process(self.pid, signal)?;
        Ok(())
    }
}

impl AsFd for ProcessExit {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.kq.as_fd()
    }
}

/// Whether `pid` is the caller's child, exited and not reaped (left so: `WNOWAIT`).
fn exited_child(pid: i32) -> bool {
    use rustix::process::{WaitId, WaitIdOptions, waitid};
    let Some(pid) = Pid::from_raw(pid) else {
        return false;
    };
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    matches!(waitid(WaitId::Pid(pid), options), Ok(Some(_)))
}
