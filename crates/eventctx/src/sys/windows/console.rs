//! `Signals` on Windows: the console's control events, delivered as the C runtime names them.
//! Ctrl-C is `SIGINT`, Ctrl-Break `SIGBREAK`, and closing the console, logging off or shutting
//! down `SIGTERM` (the system ends the process once the handler returns for those, or after
//! a few seconds). One handler (`SetConsoleCtrlHandler`) serves every `Signals` of the
//! process: it queues the signal for each one whose set has it and signals that one's
//! `Event` (the crate's own, so that a context watching it is woken without a thread hop),
//! which is the descriptor a context watches. There are no signal masks: `block` and
//! `unblock` change nothing, and a control event that no `Signals` takes gets the default
//! action (the process ends).
#![allow(unsafe_code)]

use std::collections::VecDeque;
use std::io;
use std::os::windows::io::{AsHandle, BorrowedHandle};
use std::process::Command;
use std::sync::{Arc, Mutex, Once, PoisonError, Weak};

use windows_sys::Win32::System::Console::{
    CTRL_BREAK_EVENT, CTRL_C_EVENT, CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT, CTRL_SHUTDOWN_EVENT,
    SetConsoleCtrlHandler,
};

use super::event::Event;
use super::translate::ERROR_INVALID_PARAMETER;

/// The signal numbers of the C runtime (`signal.h`).
pub(crate) mod numbers {
    pub(crate) const SIGINT: i32 = 2;
    pub(crate) const SIGKILL: i32 = 9;
    pub(crate) const SIGTERM: i32 = 15;
    pub(crate) const SIGBREAK: i32 = 21;
}

use numbers::{SIGBREAK, SIGINT, SIGTERM};

// Windows gives no sender: `code`, `pid`, `uid` and `value` are 0.
use crate::sys::RawSignal;

/// A set of the signals above.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SigSet(u64);

impl SigSet {
    /// The set of `signals`; a number this back-end cannot deliver is `InvalidInput`.
    pub(crate) fn new(signals: &[i32]) -> io::Result<SigSet> {
        let mut bits = 0;
        for &signal in signals {
            if ![SIGINT, SIGTERM, SIGBREAK].contains(&signal) {
                return Err(io::Error::from_raw_os_error(ERROR_INVALID_PARAMETER));
            }
            bits |= 1 << signal;
        }
        Ok(SigSet(bits))
    }

    /// Whether `signal` is in the set.
    pub(crate) fn contains(&self, signal: i32) -> bool {
        (0..64).contains(&signal) && self.0 & (1 << signal) != 0
    }
}

/// No masks on Windows: nothing to block.
pub(crate) fn block(_set: &SigSet) -> io::Result<()> {
    Ok(())
}

/// No masks on Windows: nothing to unblock.
pub(crate) fn unblock(_set: &SigSet) -> io::Result<()> {
    Ok(())
}

/// Every signal counts as "blocked": the handler takes the ones a `Signals` watches.
pub(crate) fn blocked() -> io::Result<SigSet> {
    Ok(SigSet(u64::MAX))
}

/// Children start with the default console handling; nothing to change.
pub(crate) fn unblock_in_child(command: &mut Command, _set: SigSet) -> &mut Command {
    command
}

/// Windows reports no sender.
pub(crate) fn sent_by_a_process(_code: i32) -> bool {
    false
}

/// What one `Signals` shares with the handler.
struct Shared {
    set: SigSet,
    queue: Mutex<VecDeque<i32>>,
    event: Event,
}

/// Every live `Signals`, for the handler.
static LISTENERS: Mutex<Vec<Weak<Shared>>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

/// What the handler does with control event `event` (`CTRL_C_EVENT`, ...): whether a
/// `Signals` took it. The tests call it directly, since no console can be made to send an
/// event where they run (a service, or wine without a console).
pub(crate) fn control_event(event: u32) -> bool {
    // SAFETY: `on_control` only reads its argument and queues.
    unsafe { on_control(event) != 0 }
}

/// The console's control handler: runs on a thread the system starts for it.
unsafe extern "system" fn on_control(event: u32) -> i32 {
    let signal = match event {
        CTRL_C_EVENT => SIGINT,
        CTRL_BREAK_EVENT => SIGBREAK,
        CTRL_CLOSE_EVENT | CTRL_LOGOFF_EVENT | CTRL_SHUTDOWN_EVENT => SIGTERM,
        _ => return 0,
    };
    i32::from(deliver(signal))
}

/// Queues `signal` for every `Signals` that watches it; whether one did.
pub(crate) fn deliver(signal: i32) -> bool {
    let mut listeners = LISTENERS.lock().unwrap_or_else(PoisonError::into_inner);
    listeners.retain(|l| l.strong_count() > 0);
    let mut taken = false;
    for shared in listeners.iter().filter_map(Weak::upgrade) {
        if !shared.set.contains(signal) {
            continue;
        }
        let mut queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.push_back(signal);
        // Signalling an open event cannot fail; if it did, the signal stays queued for the
        // next read.
        let _ = shared.event.signal(1);
        taken = true;
    }
    taken
}

/// The console's control events for one set of signals.
pub(crate) struct Signals {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signals")
            .field("set", &self.shared.set)
            .finish()
    }
}

impl Signals {
    /// Takes the console's control events of `set` from now on.
    pub(crate) fn new(set: &SigSet) -> io::Result<Signals> {
        let shared = Arc::new(Shared {
            set: *set,
            queue: Mutex::new(VecDeque::new()),
            event: Event::new()?,
        });
        let mut installed = Ok(());
        HANDLER.call_once(|| {
            // SAFETY: `on_control` is a valid handler for the life of the process.
            if unsafe { SetConsoleCtrlHandler(Some(on_control), 1) } == 0 {
                installed = Err(io::Error::last_os_error());
            }
        });
        installed?;
        LISTENERS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(&shared));
        Ok(Signals { shared })
    }

    /// One signal that came, without blocking; `None` when none did.
    pub(crate) fn read(&self) -> io::Result<Option<RawSignal>> {
        let mut queue = self
            .shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let signal = queue.pop_front();
        if queue.is_empty() {
            // The handler signals it again under this lock.
            self.shared.event.read_nowait()?;
        }
        Ok(signal.map(|signal| RawSignal {
            signal: signal as u32,
            code: 0,
            pid: 0,
            uid: 0,
            value: 0,
        }))
    }
}

impl AsHandle for Signals {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.shared.event.as_handle()
    }
}
