//! `Signals`: Unix signals as a descriptor (signalfd on Linux, kqueue on macOS and the BSDs,
//! the console's control events on Windows).

use std::fmt;
use std::process::Command;

use crate::sys::signals::{self as signalfd, SigSet};
use crate::{AsRawDescriptor, Result};

/// Unix signals read from a descriptor, so that a wait loop handles them as events.
///
/// A context reports a `Signals` readable while one of its signals is pending; [`read`]
/// takes them one at a time. This is how a daemon shuts down cleanly on `SIGINT` or `SIGTERM`:
/// no handler runs, and nothing is done in a signal's context.
///
/// On macOS and the BSDs it is a kqueue with one `EVFILT_SIGNAL` per signal; kqueue reports the
/// number only, so a [`SignalInfo`]'s other fields are 0 there and [`SignalInfo::sender`] is
/// `None`. The rule below holds there too.
///
/// On Windows, which has no signals, it takes the console's control events under the C
/// runtime's numbers: Ctrl-C is `SIGINT` (2), Ctrl-Break `SIGBREAK` (21), and closing the
/// console, logging off or shutting down `SIGTERM` (15; the system ends the process soon after
/// those, whatever the program does). Other numbers are refused (`ERROR_INVALID_PARAMETER`).
/// One console handler serves every `Signals` in the process and sets an event object that
/// the context watches. There are no masks: [`block`](Signals::block) and
/// [`unblock`](Signals::unblock) change nothing, children are not affected, and the rule below
/// does not apply; a control event that no `Signals` takes gets the default action (the
/// process ends). A [`SignalInfo`] carries the number only.
///
/// # The rule: block the signals in every thread
///
/// The kernel hands a signal to the signalfd only while it is *blocked*; a thread that does not
/// block it takes it the ordinary way (its handler, or the default action: `SIGINT` and
/// `SIGTERM` end the process) and the descriptor never sees it. A signal sent to the process
/// goes to any one thread that does not block it. So:
///
/// - [`Signals::new`] blocks the signals in the thread that calls it, and threads inherit the
///   mask of the thread that spawns them: **make the `Signals` in `main` before spawning any
///   thread**, and every thread blocks them.
/// - A thread spawned earlier, or one that unblocks them, can still take them: for `SIGINT`
///   that means the process dies on Ctrl-C as if there were no `Signals`.
///   [`Signals::block`] blocks the signals in the calling thread, for threads that were spawned
///   before.
/// - Signals sent to one thread (`pthread_kill`, `tgkill`) are reported only by a `Signals`
///   read in that thread.
///
/// # Child processes inherit the mask
///
/// A child process starts with the signal mask of the thread that started it, and keeps it
/// through `exec`: a child started while `SIGTERM` is blocked ignores `kill -TERM` (the signal
/// waits, pending, forever) unless its program unblocks it, which few do. Start children
/// through [`restore_in_child`](Signals::restore_in_child), which unblocks this set in the
/// child only.
///
/// Dropping a `Signals` closes its descriptor and changes **no** mask: the signals stay
/// blocked, since unblocking them could deliver a pending `SIGTERM` at once, with its default
/// action. Call [`Signals::unblock`] to restore them yourself.
///
/// Standard signals do not queue: the same signal sent twice before a read is reported once.
/// Real-time signals (`SIGRTMIN` to `SIGRTMAX`) queue, and each is reported.
///
/// [`read`]: Signals::read
///
/// # Examples
///
/// ```ignore-windows
/// use eventctx::{EventToken, Signals, WaitContext, signal};
///
/// #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
/// enum Token {
///     Signal,
/// }
///
/// // In `main`, before spawning threads.
/// let signals = Signals::new(&[signal::SIGUSR1])?;
/// let ctx = WaitContext::build_with(&[(&signals, Token::Signal)])?;
///
/// // What `kill -USR1 <pid>` does: a signal to the whole process, which every thread blocks.
/// eventctx::ProcessExit::from_pid(std::process::id())?.send_signal(signal::SIGUSR1)?;
///
/// assert_eq!(ctx.wait()?[0].token, Token::Signal);
/// let info = signals.read()?.expect("a signal is pending");
/// assert_eq!(info.signal, signal::SIGUSR1);
/// assert!(signals.read()?.is_none());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Signals {
    pub(crate) inner: signalfd::Signals,
    set: SigSet,
}

/// One signal, as [`Signals::read`] reports it.
///
/// On Linux every field is the kernel's record (signalfd). kqueue reports the signal alone:
/// `code`, `pid`, `uid` and `value` are 0 and [`sender`](SignalInfo::sender) is `None`.
///
/// # Examples
///
/// ```ignore-windows,ignore-apple,ignore-bsd,ignore-dragonfly
/// use eventctx::{ProcessExit, Signals, signal};
///
/// let signals = Signals::new(&[signal::SIGUSR2])?;
/// ProcessExit::from_pid(std::process::id())?.send_signal(signal::SIGUSR2)?;
/// let info = signals.read()?.unwrap();
/// assert_eq!(info.signal, signal::SIGUSR2);
/// assert_eq!(info.sender(), Some(std::process::id()));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SignalInfo {
    /// The signal number ([`signal::SIGINT`](crate::signal::SIGINT), ...).
    pub signal: i32,
    /// How it was sent (`si_code`): `SI_USER` for `kill(2)`, `SI_QUEUE` for `sigqueue(3)`,
    /// `SI_TKILL` for `tgkill(2)`, `SI_KERNEL` or a signal-specific code from the kernel.
    pub code: i32,
    /// The process id in the record (`si_pid`): the sender for a signal sent by a process, the
    /// child for `SIGCHLD`, 0 when the kernel sent it. See [`sender`](SignalInfo::sender).
    pub pid: u32,
    /// The real user id in the record (`si_uid`), meaningful where `pid` is.
    pub uid: u32,
    /// The value sent with `sigqueue(3)` (`si_int`); 0 otherwise.
    pub value: i32,
}

impl SignalInfo {
    /// The process that sent the signal, when a process sent it with `kill`, `sigqueue`,
    /// `raise` or `tgkill`; `None` for a signal the kernel sent (`SIGCHLD`, `SIGPIPE`,
    /// ...), whose `pid` means something else or nothing. Always `None` where the platform
    /// does not say who sent a signal (kqueue, Windows).
    ///
    /// # Examples
    ///
    /// ```ignore-windows,ignore-apple,ignore-bsd,ignore-dragonfly
    /// let info = eventctx::SignalInfo { signal: 15, code: 0, pid: 42, uid: 0, value: 0 };
    /// assert_eq!(info.sender(), Some(42)); // code SI_USER: kill(2)
    /// let kernel = eventctx::SignalInfo { code: 0x80, ..info };
    /// assert_eq!(kernel.sender(), None); // SI_KERNEL
    /// ```
    #[must_use]
    pub fn sender(&self) -> Option<u32> {
        signalfd::sent_by_a_process(self.code).then_some(self.pid)
    }
}

impl Signals {
    /// Blocks `signals` in the calling thread and creates a descriptor that reports them.
    ///
    /// Call it in `main` before spawning threads: a signal sent to the process goes to any
    /// thread that does not block it, so every thread must; see
    /// [the rule](Signals#the-rule-block-the-signals-in-every-thread). Child processes
    /// inherit the blocked mask: start them through
    /// [`restore_in_child`](Signals::restore_in_child). The descriptor is close-on-exec and
    /// non-blocking, and is closed on drop (the mask stays as it is).
    ///
    /// # Errors
    ///
    /// `EINVAL` for a number that is not a signal (`SIGKILL` and `SIGSTOP` are accepted but
    /// never reported: the kernel cannot block them). `EMFILE` or `ENFILE` when out of
    /// descriptors.
    ///
    /// # Examples
    ///
    /// ```
    /// let signals = eventctx::Signals::new(&[eventctx::signal::SIGINT, eventctx::signal::SIGTERM])?;
    /// assert!(signals.is_blocked()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// [`signalfd(2)`](https://man7.org/linux/man-pages/man2/signalfd.2.html)
    #[doc(alias = "signalfd")]
    pub fn new(signals: &[i32]) -> Result<Signals> {
        let set = SigSet::new(signals)?;
        let inner = signalfd::Signals::new(&set)?;
        signalfd::block(&set)?;
        Ok(Signals { inner, set })
    }

    /// Takes one pending signal, without blocking; `None` when none is pending.
    ///
    /// Call it until it returns `None` when a context reports the descriptor readable: several
    /// signals may be pending.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// ```ignore-windows
    /// let signals = eventctx::Signals::new(&[eventctx::signal::SIGUSR1])?;
    /// assert!(signals.read()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read(&self) -> Result<Option<SignalInfo>> {
        Ok(self.inner.read()?.map(|raw| SignalInfo {
            signal: raw.signal as i32,
            code: raw.code,
            pid: raw.pid,
            uid: raw.uid,
            value: raw.value,
        }))
    }

    /// Blocks `signals` in the calling thread, as [`Signals::new`] does in its thread: for a thread
    /// spawned before the `Signals` was made.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a number that is not a signal.
    ///
    /// # Examples
    ///
    /// ```
    /// let early = std::thread::spawn(|| -> std::io::Result<()> {
    ///     // spawned before the Signals below: block them here too
    ///     eventctx::Signals::block(&[eventctx::signal::SIGTERM])
    /// });
    /// let signals = eventctx::Signals::new(&[eventctx::signal::SIGTERM])?;
    /// early.join().unwrap()?;
    /// assert!(signals.is_blocked()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn block(signals: &[i32]) -> Result<()> {
        signalfd::block(&SigSet::new(signals)?)
    }

    /// Unblocks `signals` in the calling thread: the ordinary delivery (handler or default action)
    /// applies again, at once for one that is pending.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a number that is not a signal.
    ///
    /// # Examples
    ///
    /// ```ignore-windows
    /// let signals = eventctx::Signals::new(&[eventctx::signal::SIGUSR2])?;
    /// drop(signals); // the mask is unchanged: SIGUSR2 stays blocked
    /// eventctx::Signals::unblock(&[eventctx::signal::SIGUSR2])?; // now it is delivered as before
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn unblock(signals: &[i32]) -> Result<()> {
        signalfd::unblock(&SigSet::new(signals)?)
    }

    /// Makes the children that `command` starts begin with this set's signals unblocked, as if
    /// there were no `Signals`; the parent's mask is left as it is.
    ///
    /// Without it a child inherits the blocked mask ([why](Signals#child-processes-inherit-the-mask))
    /// and, for example, does not die on `SIGTERM`. It is safe to call: the unblocking runs in
    /// the child between `fork` and `exec` and makes one async-signal-safe call.
    ///
    /// # Examples
    ///
    /// ```ignore-windows
    /// use std::os::unix::process::ExitStatusExt;
    /// use std::process::Command;
    /// use eventctx::{ProcessExit, Signals, signal};
    ///
    /// let signals = Signals::new(&[signal::SIGTERM])?;
    /// let mut command = Command::new("sleep");
    /// command.arg("10");
    /// let mut child = signals.restore_in_child(&mut command).spawn()?;
    ///
    /// let exit = ProcessExit::new(&child)?;
    /// exit.send_signal(signal::SIGTERM)?;
    /// assert_eq!(child.wait()?.signal(), Some(signal::SIGTERM)); // it died of it
    /// assert!(signals.is_blocked()?); // and this thread still blocks it
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn restore_in_child<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        signalfd::unblock_in_child(command, self.set)
    }

    /// Whether the calling thread blocks every signal this descriptor reports (if not, that
    /// thread takes them itself, and the descriptor does not see them).
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// ```ignore-windows
    /// let signals = eventctx::Signals::new(&[eventctx::signal::SIGUSR1])?;
    /// let thread = std::thread::spawn(move || signals.is_blocked());
    /// assert!(thread.join().unwrap()?); // inherited from the thread that made it
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_blocked(&self) -> Result<bool> {
        let blocked = signalfd::blocked()?;
        Ok((1..=64).all(|s| !self.set.contains(s) || blocked.contains(s)))
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signals: Vec<i32> = (1..=64).filter(|&s| self.set.contains(s)).collect();
        f.debug_struct("Signals")
            .field("descriptor", &self.as_raw_descriptor())
            .field("signals", &signals)
            .finish()
    }
}
