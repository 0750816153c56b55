//! `ProcessExit`: a descriptor that becomes readable when a process exits.

use std::fmt;
use std::process::Child;

use crate::sys::process as platform;
use crate::{AsRawDescriptor, Result};

/// A process's exit, as a descriptor: readable once the process has exited, and from then on
/// until it is deleted from the context or dropped.
///
/// Add it to a context beside sockets, [`Signals`](crate::Signals) and
/// [`Timer`](crate::Timer)s to supervise child processes: each child gets its own
/// `ProcessExit` and its own token, so three exits are three events (where `SIGCHLD`, which
/// does not queue, may arrive once for all three).
///
/// It reports readiness only: **the caller still reaps the child** with [`Child::wait`] or
/// [`Child::try_wait`] once it is reported, or it stays a zombie. On Linux it is a pidfd
/// (kernel 5.3 and later), close-on-exec, closed on drop. On macOS and the BSDs it is a kqueue
/// watching the pid (`EVFILT_PROC`), and [`send_signal`](ProcessExit::send_signal) is
/// `kill(pid)`, which can reach another process once this one is reaped and its pid reused.
///
/// On Windows it is a handle on the process (`OpenProcess` with `SYNCHRONIZE`), which is
/// signaled once the process has exited and stays so; a context waits for it through the
/// system thread pool. There are no zombies: [`Child::wait`] still gives the exit status. The
/// handle keeps the process id from being reused while it is open, so
/// [`send_signal`](ProcessExit::send_signal) surely reaches this process: it accepts
/// `SIGKILL` (9) and `SIGTERM` (15), both `TerminateProcess` (exit code 1); other numbers are
/// `Unsupported`. The `tail` example (`examples/tail.rs`) watches a child's exit beside its
/// pipes and a timer, unchanged on Unix and Windows.
///
/// # Examples
///
/// ```ignore-windows
/// use std::process::Command;
/// use eventctx::{EventToken, ProcessExit, WaitContext};
///
/// #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
/// enum Token {
///     Child(u32),
/// }
///
/// let mut child = Command::new("true").spawn()?;
/// let exit = ProcessExit::new(&child)?;
/// let ctx = WaitContext::build_with(&[(&exit, Token::Child(exit.pid()))])?;
///
/// let events = ctx.wait()?; // blocks until `true` has exited
/// assert_eq!(events[0].token, Token::Child(child.id()));
/// assert!(events[0].is_readable);
/// ctx.delete(&exit)?;
/// assert!(child.wait()?.success()); // reap it: returns at once
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ProcessExit {
    pub(crate) inner: platform::ProcessExit,
    pid: u32,
}

impl ProcessExit {
    /// Watches `child` for its exit.
    ///
    /// Call it before reaping the child: until it is reaped (by [`Child::wait`] or a
    /// [`Child::try_wait`] that returned its status), its pid cannot be given to another
    /// process, so the descriptor surely names this child. After that, the pid may name a
    /// new process, or none.
    ///
    /// # Errors
    ///
    /// - `io::ErrorKind::NotFound` (`ESRCH`): the child was reaped already.
    /// - `io::ErrorKind::Unsupported` (`ENOSYS`): the kernel has no pidfds (Linux before 5.3).
    /// - `EMFILE` or `ENFILE` when out of descriptors.
    ///
    /// # Examples
    ///
    /// ```ignore-windows
    /// let mut child = std::process::Command::new("sleep").arg("10").spawn()?;
    /// let exit = eventctx::ProcessExit::new(&child)?;
    /// assert!(!exit.has_exited()?);
    /// child.kill()?;
    /// exit.wait()?; // the kill has taken effect
    /// child.wait()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// [`pidfd_open(2)`](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
    #[doc(alias = "pidfd_open")]
    pub fn new(child: &Child) -> Result<ProcessExit> {
        ProcessExit::from_pid(child.id())
    }

    /// Watches the process `pid`, which need not be a child of the caller.
    ///
    /// A pid can be reused once its process has exited and been reaped, so unless the process
    /// is the caller's own unreaped child, the descriptor names whatever process has the pid
    /// now. Once made, it keeps naming that process, whatever happens to the number.
    ///
    /// # Errors
    ///
    /// - `io::ErrorKind::NotFound` (`ESRCH`): no process has this pid.
    /// - `io::ErrorKind::InvalidInput`: pid 0, which names no process.
    /// - `io::ErrorKind::Unsupported` (`ENOSYS`): the kernel has no pidfds (Linux before 5.3).
    /// - `EMFILE` or `ENFILE` when out of descriptors.
    ///
    /// # Examples
    ///
    /// ```
    /// use eventctx::ProcessExit;
    ///
    /// let me = ProcessExit::from_pid(std::process::id())?;
    /// assert!(!me.has_exited()?);
    /// let nobody = ProcessExit::from_pid(u32::MAX).unwrap_err();
    /// assert_eq!(nobody.kind(), std::io::ErrorKind::NotFound);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_pid(pid: u32) -> Result<ProcessExit> {
        Ok(ProcessExit {
            inner: platform::ProcessExit::open(pid)?,
            pid,
        })
    }

    /// The pid the descriptor was made for.
    ///
    /// # Examples
    ///
    /// ```
    /// let me = eventctx::ProcessExit::from_pid(std::process::id())?;
    /// assert_eq!(me.pid(), std::process::id());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the process has exited, without blocking.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// See [`ProcessExit::new`].
    pub fn has_exited(&self) -> Result<bool> {
        self.inner.has_exited()
    }

    /// Blocks until the process has exited. (It does not reap it.)
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// See [`ProcessExit::new`].
    pub fn wait(&self) -> Result<()> {
        self.inner.wait()
    }

    /// Sends `signal` ([`signal::SIGTERM`](crate::signal::SIGTERM), ...) to the process,
    /// through the descriptor: it reaches this process even if it has been reaped and its pid
    /// given to another since (then it fails instead).
    ///
    /// # Errors
    ///
    /// `ESRCH` once the process has exited; `EPERM` when the caller may not signal it;
    /// `EINVAL` for a number that is not one of the named signals.
    ///
    /// # Examples
    ///
    /// ```ignore-windows
    /// use eventctx::{ProcessExit, signal};
    ///
    /// let mut child = std::process::Command::new("sleep").arg("10").spawn()?;
    /// let exit = ProcessExit::new(&child)?;
    /// exit.send_signal(signal::SIGTERM)?;
    /// exit.wait()?;
    /// use std::os::unix::process::ExitStatusExt;
    /// assert_eq!(child.wait()?.signal(), Some(signal::SIGTERM));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// [`pidfd_send_signal(2)`](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
    #[doc(alias = "pidfd_send_signal")]
    pub fn send_signal(&self, signal: i32) -> Result<()> {
        self.inner.send_signal(signal)
    }
}

impl fmt::Debug for ProcessExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessExit")
            .field("descriptor", &self.as_raw_descriptor())
            .field("pid", &self.pid)
            .finish()
    }
}
