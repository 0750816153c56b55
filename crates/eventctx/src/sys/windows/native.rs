//! The crate's own `Event`s and `Timer`s, which wake the contexts watching them themselves.
//!
//! A context could wait for an event object or a waitable timer as for any handle: hand it to
//! the system thread pool, whose callback posts to the context's port. That costs three thread
//! hops per wake-up. An `Event` made by this crate knows better: its state (set or not) is kept
//! here, beside the event object, and `signal` posts a completion packet to every port that
//! watches it, as mio's `Waker` does; a context tests the state without a system call. A
//! `Timer` keeps its next expiry here, and a context watching it waits with a timeout that ends
//! at that expiry: no thread at all, and a periodic timer keeps its phase.
//!
//! The objects are found by handle value: each `Event` and `Timer` (clones included) enrolls its
//! handle while it owns it. The event object and the waitable timer are kept in step with the
//! state, so that a thread waiting for the handle itself (`WaitForSingleObject`) sees the same.
//! What is not seen: an event object set from outside this crate's `Event` (another process
//! holding a duplicate, a raw `SetEvent`) does not wake a context watching an enrolled `Event`;
//! an `Event` adopted from a handle (`from_raw_descriptor`) is not enrolled, and is waited for
//! as any handle.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use smallvec::SmallVec;

use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::System::IO::{OVERLAPPED, PostQueuedCompletionStatus};

/// The completion key of a packet that an enrolled object posts to a port.
pub(crate) const NATIVE_KEY: usize = 4;

/// One port's doorbell for one watched object: at most one packet in flight.
#[derive(Debug)]
pub(crate) struct PortBell {
    port: HANDLE,
    /// A packet is queued or being taken; cleared by the taker before it tests the states.
    posted: AtomicBool,
    /// How many threads are blocked in the port (the poller's count): with none, nobody needs
    /// waking, since every wait tests the states before it blocks (after counting itself).
    blocked: Arc<AtomicUsize>,
}

// SAFETY: the port is a handle value that the system resolves; it stays open while the bell is
// in any object's list (a `Poller` takes its bells out before it closes its port).
unsafe impl Send for PortBell {}
// SAFETY: as above; `posted` is atomic.
unsafe impl Sync for PortBell {}

impl PortBell {
    pub(crate) fn new(port: HANDLE, blocked: Arc<AtomicUsize>) -> Arc<PortBell> {
        Arc::new(PortBell {
            port,
            posted: AtomicBool::new(false),
            blocked,
        })
    }

    /// Posts a packet to the port if a thread is blocked there and no packet is in flight.
    /// The packet carries a strong reference to the bell, which the taker gives back with
    /// [`PortBell::taken`]. Called after the state changed, under its lock.
    pub(crate) fn ring(self: &Arc<PortBell>) {
        if self.blocked.load(Ordering::SeqCst) == 0 || self.posted.swap(true, Ordering::SeqCst) {
            return;
        }
        let context = Arc::into_raw(Arc::clone(self)).cast_mut();
        // SAFETY: the port is open (see `Send`); the packet's context is a strong reference
        // that the port's taker (or the poller's drop) takes back once.
        let ok = unsafe {
            PostQueuedCompletionStatus(self.port, 0, NATIVE_KEY, context.cast::<OVERLAPPED>())
        };
        if ok == 0 {
            self.posted.store(false, Ordering::SeqCst);
            // SAFETY: the post failed, so nobody else got the reference.
            drop(unsafe { Arc::from_raw(context) });
        }
    }

    /// Takes back the reference a dequeued packet carried, and lets the bell ring again.
    ///
    /// # Safety
    /// `context` is the `lpOverlapped` of a dequeued packet with key [`NATIVE_KEY`].
    pub(crate) unsafe fn taken(context: *mut OVERLAPPED) -> Arc<PortBell> {
        // SAFETY: the caller's promise: `ring` made this pointer with `Arc::into_raw`.
        let bell = unsafe { Arc::from_raw(context.cast::<PortBell>().cast_const()) };
        bell.posted.store(false, Ordering::SeqCst);
        bell
    }

    /// Whether a packet is in flight.
    pub(crate) fn is_posted(&self) -> bool {
        self.posted.load(Ordering::SeqCst)
    }
}

/// How many objects (an `Event` or `Timer` and its clones) hold a state. When none does, a
/// context watching it drops it (or, if the handle was given away and is still open, watches
/// that handle as any other), as epoll forgets a descriptor once its file is closed.
#[derive(Debug, Default)]
pub(crate) struct Live(AtomicUsize);

impl Live {
    pub(crate) fn hold(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    pub(crate) fn release(&self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
    fn is_gone(&self) -> bool {
        self.0.load(Ordering::SeqCst) == 0
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The bells of the ports watching one object.
#[derive(Debug, Default)]
struct Bells(Vec<Arc<PortBell>>);

impl Bells {
    fn ring(&self) {
        self.0.iter().for_each(PortBell::ring);
    }
    /// The bells, to ring once the lock is let go (no allocation for up to 4 ports).
    fn snapshot(&self) -> SmallVec<[Arc<PortBell>; 4]> {
        self.0.iter().cloned().collect()
    }
    fn remove(&mut self, bell: &Arc<PortBell>) {
        self.0.retain(|b| !Arc::ptr_eq(b, bell));
    }
}

/// An `Event`'s state, shared by its clones.
///
/// `set` is what contexts look at. The event object is brought in line with it after each
/// change (`sync`), after the ports are rung, so that a woken wait need not wait for the
/// object's system call; `object` says what the object was last told, under its own lock, so
/// that two threads' changes leave the object as the state ends up, whatever their order.
#[derive(Debug, Default)]
pub(crate) struct EventState {
    inner: Mutex<EventInner>,
    /// Whether the event object was last set (`true`) or reset by this state.
    object: Mutex<bool>,
    /// How many `Event`s (clones) own a handle enrolled with this state.
    live: Live,
}

#[derive(Debug, Default)]
struct EventInner {
    set: bool,
    bells: Bells,
}

/// The event object's calls, given by the `Event` that owns the handle.
pub(crate) struct ObjectOps<S, R, T> {
    /// `SetEvent`.
    pub(crate) set: S,
    /// `ResetEvent`.
    pub(crate) reset: R,
    /// Whether the object is set (a zero wait).
    pub(crate) is_set: T,
}

impl EventState {
    /// Sets the state and rings every watching port, unless it is set already; then sets the
    /// event object.
    pub(crate) fn signal<S, R, T>(&self, ops: &ObjectOps<S, R, T>) -> std::io::Result<()>
    where
        S: Fn() -> std::io::Result<()>,
        R: Fn() -> std::io::Result<()>,
        T: Fn() -> bool,
    {
        let bells = {
            let mut inner = lock(&self.inner);
            if inner.set {
                return Ok(());
            }
            inner.set = true;
            inner.bells.snapshot()
        };
        bells.iter().for_each(PortBell::ring);
        self.sync(ops)
    }

    /// Takes the signal: `true` if the state was set (it is cleared, then the object reset),
    /// or if the object was found set while this state had left it reset (a `SetEvent` from
    /// elsewhere: the object is reset); `false` otherwise.
    pub(crate) fn take<S, R, T>(&self, ops: &ObjectOps<S, R, T>) -> std::io::Result<bool>
    where
        S: Fn() -> std::io::Result<()>,
        R: Fn() -> std::io::Result<()>,
        T: Fn() -> bool,
    {
        let took = {
            let mut inner = lock(&self.inner);
            std::mem::replace(&mut inner.set, false)
        };
        if took {
            self.sync(ops)?;
            return Ok(true);
        }
        let object = lock(&self.object);
        if !*object && (ops.is_set)() {
            (ops.reset)()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Brings the event object in line with the state.
    fn sync<S, R, T>(&self, ops: &ObjectOps<S, R, T>) -> std::io::Result<()>
    where
        S: Fn() -> std::io::Result<()>,
        R: Fn() -> std::io::Result<()>,
    {
        let mut object = lock(&self.object);
        let want = lock(&self.inner).set;
        if *object != want {
            if want {
                (ops.set)()?;
            } else {
                (ops.reset)()?;
            }
            *object = want;
        }
        Ok(())
    }

    pub(crate) fn is_set(&self) -> bool {
        lock(&self.inner).set
    }

    /// The count of the `Event`s that hold this state.
    pub(crate) fn live(&self) -> &Live {
        &self.live
    }
}

/// A `Timer`'s state, shared by its clones.
#[derive(Debug, Default)]
pub(crate) struct TimerState {
    inner: Mutex<TimerInner>,
    /// How many `Timer`s (clones) own a handle enrolled with this state.
    live: Live,
}

#[derive(Debug, Default)]
struct TimerInner {
    /// The next expiry, if armed.
    next: Option<Instant>,
    /// The period of a repeating timer.
    period: Option<Duration>,
    bells: Bells,
}

impl TimerState {
    /// Runs `set_object` (which sets the waitable timer to match) and arms the timer to
    /// expire at `next` and then every `period` (none or zero: once), or disarms it (`next`
    /// none); then rings the watching ports so that their waits take the new expiry. Under the
    /// lock that `take` holds, so that a read's re-setting of the waitable timer and this one
    /// come in the order of the state's changes.
    pub(crate) fn set(
        &self,
        next: Option<Instant>,
        period: Option<Duration>,
        set_object: impl FnOnce() -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut inner = lock(&self.inner);
        set_object()?;
        inner.next = next;
        inner.period = period.filter(|p| !p.is_zero());
        inner.bells.ring();
        Ok(())
    }

    /// How many expiries have passed since the last take (0: none), moving the next expiry
    /// forward by whole periods, so that a repeating timer keeps its phase. `resync` is called
    /// with the new next expiry and period (under the lock) when something was taken.
    pub(crate) fn take(
        &self,
        now: Instant,
        resync: impl FnOnce(Option<Instant>, Option<Duration>) -> std::io::Result<()>,
    ) -> std::io::Result<u64> {
        let mut inner = lock(&self.inner);
        let Some(next) = inner.next.filter(|&n| n <= now) else {
            return Ok(0);
        };
        let (count, following) = super::translate::expiries(next, inner.period, now);
        resync(following, inner.period)?;
        inner.next = following;
        Ok(count)
    }

    /// The next expiry, if armed.
    pub(crate) fn next(&self) -> Option<Instant> {
        lock(&self.inner).next
    }

    /// The count of the `Timer`s that hold this state.
    pub(crate) fn live(&self) -> &Live {
        &self.live
    }
}

/// An enrolled object.
#[derive(Clone, Debug)]
pub(crate) enum Native {
    Event(Arc<EventState>),
    Timer(Arc<TimerState>),
}

impl Native {
    /// Adds `bell` to the object's watching ports.
    pub(crate) fn watch(&self, bell: &Arc<PortBell>) {
        match self {
            Native::Event(s) => lock(&s.inner).bells.0.push(Arc::clone(bell)),
            Native::Timer(s) => lock(&s.inner).bells.0.push(Arc::clone(bell)),
        }
    }

    /// Takes `bell` out of the object's watching ports.
    pub(crate) fn unwatch(&self, bell: &Arc<PortBell>) {
        match self {
            Native::Event(s) => lock(&s.inner).bells.remove(bell),
            Native::Timer(s) => lock(&s.inner).bells.remove(bell),
        }
    }

    /// Whether the object is ready now (an event set, a timer due).
    pub(crate) fn is_ready(&self, now: impl FnOnce() -> Instant) -> bool {
        match self {
            Native::Event(s) => s.is_set(),
            Native::Timer(s) => s.next().is_some_and(|n| n <= now()),
        }
    }

    /// Whether no `Event` or `Timer` holds the object any more (all dropped, or the handle
    /// given away).
    pub(crate) fn is_gone(&self) -> bool {
        match self {
            Native::Event(s) => s.live.is_gone(),
            Native::Timer(s) => s.live.is_gone(),
        }
    }

    /// A timer's next expiry.
    pub(crate) fn due(&self) -> Option<Instant> {
        match self {
            Native::Event(_) => None,
            Native::Timer(s) => s.next(),
        }
    }
}

#[derive(Debug)]
enum Weakly {
    Event(Weak<EventState>),
    Timer(Weak<TimerState>),
}

/// The enrolled handles, by value.
static ENROLLED: Mutex<Option<HashMap<usize, Weakly>>> = Mutex::new(None);

/// Enrolls an `Event`'s handle.
pub(crate) fn enroll_event(handle: HANDLE, state: &Arc<EventState>) {
    lock(&ENROLLED)
        .get_or_insert_with(HashMap::new)
        .insert(handle as usize, Weakly::Event(Arc::downgrade(state)));
}

/// Enrolls a `Timer`'s handle.
pub(crate) fn enroll_timer(handle: HANDLE, state: &Arc<TimerState>) {
    lock(&ENROLLED)
        .get_or_insert_with(HashMap::new)
        .insert(handle as usize, Weakly::Timer(Arc::downgrade(state)));
}

/// Withdraws a handle, before it is closed or given away.
pub(crate) fn withdraw(handle: HANDLE) {
    if let Some(map) = lock(&ENROLLED).as_mut() {
        map.remove(&(handle as usize));
    }
}

/// The enrolled object behind `handle`, if any.
pub(crate) fn lookup(handle: HANDLE) -> Option<Native> {
    let guard = lock(&ENROLLED);
    match guard.as_ref()?.get(&(handle as usize))? {
        Weakly::Event(w) => w.upgrade().map(Native::Event),
        Weakly::Timer(w) => w.upgrade().map(Native::Timer),
    }
}
