//! A context on an I/O completion port.
//!
//! - A socket is polled through AFD (`afd.rs`): one poll in flight per socket, completing
//!   through the port. A poll is one-shot by nature, so a socket whose readiness was reported
//!   is polled again at the start of the next wait: a socket still ready is reported again
//!   (level-triggered), one whose data was read in between is not (no stale readiness). With
//!   one-shot interest it is polled again only by `modify`.
//! - The crate's own `Event`s and `Timer`s (`native.rs`) are tested in this process at each
//!   wait, without a system call; a signal wakes a blocked wait with a completion packet (one
//!   in flight per port and object), and a wait watching a timer blocks no longer than its next
//!   expiry.
//! - A pipe (`pipe.rs`) is looked at with `PeekNamedPipe` at each wait; a wait that blocks
//!   leaves a zero-byte read pending on a read end, whose event the thread pool waits for as
//!   for a handle (below).
//! - Any other handle (a process, another crate's event, ...) is *tested* at each wait,
//!   64 at a time (`WaitForMultipleObjects` with a zero timeout), so a wait reports what is
//!   signaled then, like epoll: a handle signaled just before a zero-timeout wait is reported
//!   by it, and one cleared in between is not. Only when the wait must block is each handle
//!   handed to the system thread pool (`RegisterWaitForSingleObject`, once), whose callback
//!   posts a completion that wakes the wait, which then tests again: no limit on how many
//!   handles, unlike `WaitForMultipleObjects`' 64. The test does not clear a manual-reset
//!   object (the crate's `Event` and `Timer` are manual-reset); an auto-reset one given to a
//!   context is cleared by it, so watch those only if the wake-up is all you need.
//!
//! Every operation in flight holds a strong reference to its `Source` (given to the system as
//! the completion's context and taken back when the completion is dequeued), so a source
//! deleted while a poll or a wait is in flight stays alive until the system is done with it.
//! The registry (a mutex) says which sources are current; a completion for one that is not
//! is dropped.
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::collections::HashMap;
use std::ffi::c_void;
use std::io;
use std::mem::MaybeUninit;
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, FromRawHandle, OwnedHandle};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    ERROR_ALREADY_EXISTS, ERROR_INVALID_HANDLE, ERROR_NOT_FOUND, GetHandleInformation, HANDLE,
    INVALID_HANDLE_VALUE, STATUS_CANCELLED, WAIT_ABANDONED_0, WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use windows_sys::Win32::Storage::FileSystem::{
    FILE_TYPE_CHAR, FILE_TYPE_DISK, FILE_TYPE_PIPE, GetFileType,
};
use windows_sys::Win32::System::IO::{
    CreateIoCompletionPort, GetQueuedCompletionStatusEx, IO_STATUS_BLOCK, OVERLAPPED,
    OVERLAPPED_ENTRY, PostQueuedCompletionStatus,
};
use windows_sys::Win32::System::Threading::{
    INFINITE, RegisterWaitForSingleObject, UnregisterWaitEx, WT_EXECUTEONLYONCE,
    WaitForMultipleObjects, WaitForSingleObject,
};

use super::afd::{self, Afd, PollInfo};
use super::native::{self, NATIVE_KEY, Native, PortBell};
use super::pipe::{self, End, ZeroRead};
use super::translate::{self, Readiness};
use crate::interest::{EventType, Interest, TriggeredEvent};
use crate::sys::time::Deadline;
use crate::token::EventToken;

/// Completion keys: which kind of operation a completion belongs to.
const AFD_KEY: usize = 1;
const HANDLE_KEY: usize = 2;
/// A packet that only wakes a blocked wait, to test the handles again.
const WAKE_KEY: usize = 3;

/// The most completions one call takes.
const BATCH: usize = 64;

/// One ready descriptor: its token and readiness.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    token: u64,
    bits: u8,
}

/// A reusable buffer of ready events, behind the public `Events`.
pub(crate) struct ReadyEvents(pub(crate) Vec<ReadyEvent>);

/// The token's bits of one entry.
#[inline]
pub(crate) fn raw_token(event: &ReadyEvent) -> u64 {
    event.token
}

/// Reads one entry.
#[inline]
pub(crate) fn triggered<T: EventToken>(event: &ReadyEvent) -> TriggeredEvent<T> {
    let r = Readiness::from_bits(event.bits);
    TriggeredEvent {
        token: T::from_raw_token(event.token),
        is_readable: r.readable,
        is_writable: r.writable,
        is_hungup: r.hungup,
        is_read_closed: r.read_closed || r.hungup,
        is_error: r.error,
        is_priority: false,
    }
}

/// What is watched.
enum Kind {
    /// A socket, polled through AFD on its base socket.
    Socket { base: usize },
    /// A waitable handle, waited for by the thread pool.
    Handle { handle: HANDLE },
    /// The crate's own `Event` or `Timer`, tested here and ringing the port itself.
    Native { native: Native, bell: Arc<PortBell> },
    /// A pipe's end; a read end has its zero-byte read, whose event the thread pool waits for.
    Pipe {
        handle: HANDLE,
        end: End,
        zero: Option<ZeroRead>,
    },
}

/// One watched descriptor. The cells are touched only under the registry lock, or by the
/// system while an operation is in flight (and then by nobody else).
struct Source {
    /// The handle value it was added with: the registry's key.
    key: usize,
    kind: Kind,
    /// The port a handle's wait callback posts to.
    port: HANDLE,
    /// A socket's poll request and status block, which the driver writes while a poll is in
    /// flight.
    poll: UnsafeCell<(PollInfo, IO_STATUS_BLOCK)>,
    /// A handle's registered wait.
    wait: UnsafeCell<HANDLE>,
    /// Set by a handle's wait callback before it posts: the completion then holds the
    /// reference the registration was given.
    fired: AtomicBool,
}

// SAFETY: the raw handles in a `Source` are numbers that the system resolves; the cells are
// only accessed under the registry's mutex (or by the system while an operation is in flight,
// when nothing else touches them), so sharing and sending a `Source` between threads is sound.
unsafe impl Send for Source {}
// SAFETY: as above.
unsafe impl Sync for Source {}

/// The registry's record of a watched descriptor.
struct Entry {
    source: Arc<Source>,
    interest: Interest,
    token: u64,
    /// An operation is in flight.
    pending: bool,
    /// Another poll or wait is wanted (false after a one-shot report, until `modify`).
    armed: bool,
}

#[derive(Default)]
struct Registry {
    entries: HashMap<usize, Entry>,
    /// Sockets to poll again at the start of the next wait.
    again: Vec<usize>,
    /// The handles (not sockets) watched, in the order they are tested.
    handles: Vec<usize>,
    /// The crate's own events and timers watched.
    natives: Vec<usize>,
    /// The pipes watched.
    pipes: Vec<usize>,
    /// Where the next look at `pipes` starts (taken modulo their number).
    pipe_cursor: usize,
    /// Where the next test of `natives` starts (taken modulo their number).
    native_cursor: usize,
    /// Polls and thread-pool waits in flight: when none is, and no native packet is queued,
    /// a wait that found something ready need not look at the port.
    in_flight: usize,
    /// Where the next test of `handles` starts, so that none is starved.
    cursor: usize,
}

/// An I/O completion port, its AFD handle, and what it watches.
pub(crate) struct Poller {
    port: OwnedHandle,
    afd: Afd,
    registry: Mutex<Registry>,
    /// How many threads are blocked in this port. A handle's wake-up is one packet, which
    /// wakes one of them; the thread that takes it wakes the others, since a signaled
    /// (level-triggered) handle is reported to every wait, as under epoll.
    blocked: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller").field("port", &self.port).finish()
    }
}

/// The completion ports of every live context, so that adding one context to another, which
/// a port cannot keep (it is not a waitable object), is refused instead of silently never
/// reporting.
static PORTS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

fn ports() -> MutexGuard<'static, Vec<usize>> {
    PORTS.lock().unwrap_or_else(PoisonError::into_inner)
}

fn os_error(code: u32) -> io::Error {
    io::Error::from_raw_os_error(code as i32)
}

impl Poller {
    /// A new completion port with its AFD handle.
    pub(crate) fn new() -> io::Result<Poller> {
        // SAFETY: INVALID_HANDLE_VALUE with no existing port asks for a new port.
        let raw = unsafe { CreateIoCompletionPort(INVALID_HANDLE_VALUE, null_mut(), 0, 0) };
        if raw.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a new handle that nothing else owns.
        let port = unsafe { OwnedHandle::from_raw_handle(raw) };
        let afd = Afd::open(raw, AFD_KEY)?;
        ports().push(raw as usize);
        Ok(Poller {
            port,
            afd,
            registry: Mutex::new(Registry::default()),
            blocked: Arc::new(AtomicUsize::new(0)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts watching `handle` (a socket's number or a waitable handle).
    pub(crate) fn add(&self, handle: HANDLE, interest: Interest, token: u64) -> io::Result<()> {
        translate::check(interest, false)?;
        let kind = match native::lookup(handle) {
            Some(native) => Kind::Native {
                native,
                bell: PortBell::new(self.port.as_raw_handle(), Arc::clone(&self.blocked)),
            },
            None => classify(handle)?,
        };
        let key = handle as usize;
        let mut registry = self.lock();
        if registry.entries.contains_key(&key) {
            return Err(os_error(ERROR_ALREADY_EXISTS));
        }
        let source = self.new_source(key, kind);
        let is_socket = matches!(source.kind, Kind::Socket { .. });
        let mut entry = Entry {
            source,
            interest,
            token,
            pending: false,
            armed: true,
        };
        match &entry.source.kind {
            Kind::Socket { .. } => self.arm(&mut registry.in_flight, &mut entry)?,
            Kind::Handle { .. } => registry.handles.push(key),
            Kind::Pipe { .. } => registry.pipes.push(key),
            Kind::Native { native, bell } => {
                native.watch(bell);
                registry.natives.push(key);
            }
        }
        registry.entries.insert(key, entry);
        drop(registry);
        if !is_socket {
            self.wake_blocked();
        }
        Ok(())
    }

    /// A source for `kind`, under the registry key `key`.
    fn new_source(&self, key: usize, kind: Kind) -> Arc<Source> {
        let poll_info = match kind {
            Kind::Socket { base } => PollInfo::new(base, 0),
            Kind::Handle { .. } | Kind::Native { .. } | Kind::Pipe { .. } => PollInfo::new(0, 0),
        };
        Arc::new(Source {
            key,
            kind,
            port: self.port.as_raw_handle(),
            // SAFETY: a zeroed IO_STATUS_BLOCK is a valid value.
            poll: UnsafeCell::new((poll_info, unsafe { std::mem::zeroed() })),
            wait: UnsafeCell::new(null_mut()),
            fired: AtomicBool::new(false),
        })
    }

    /// Changes what `handle` is watched for, and its token; re-arms a one-shot one.
    pub(crate) fn modify(&self, handle: HANDLE, interest: Interest, token: u64) -> io::Result<()> {
        translate::check(interest, true)?;
        // A closed handle is ERROR_INVALID_HANDLE, as `add` and epoll's EBADF, before the
        // registry says "not watched".
        check_open(handle)?;
        let mut registry = self.lock();
        let Registry {
            entries, in_flight, ..
        } = &mut *registry;
        let Some(entry) = entries.get_mut(&(handle as usize)) else {
            // std files ERROR_NOT_FOUND under no kind; the portable kind wins, the code is
            // named in the message (as ESRCH is on Linux).
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "the handle is not watched by this context ({})",
                    os_error(ERROR_NOT_FOUND)
                ),
            ));
        };
        let old = entry.interest.event_type();
        entry.interest = interest;
        entry.token = token;
        entry.armed = true;
        if !entry.pending {
            return match entry.source.kind {
                Kind::Socket { .. } => self.arm(in_flight, entry),
                Kind::Handle { .. } | Kind::Native { .. } | Kind::Pipe { .. } => {
                    drop(registry);
                    self.wake_blocked();
                    Ok(())
                }
            };
        }
        match entry.source.kind {
            // A poll in flight asks for the old events: cancel it; its completion re-polls.
            Kind::Socket { .. } if old != interest.event_type() => {
                let iosb = self.iosb(entry);
                // SAFETY: the poll is in flight (pending), and its completion not dequeued.
                unsafe { self.afd.cancel(iosb) }
            }
            // A wait in flight is right for any interest but `None`, which waits for nothing.
            Kind::Handle { .. } if interest.event_type() == EventType::None => {
                self.unregister(in_flight, entry);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Stops watching `handle`; one that is not watched is not an error.
    pub(crate) fn delete(&self, handle: HANDLE) -> io::Result<()> {
        let mut registry = self.lock();
        let Some(mut entry) = registry.entries.remove(&(handle as usize)) else {
            // Not watched: `Ok`, as crosvm documents, unless the handle is not open at all
            // (ERROR_INVALID_HANDLE, as epoll's EBADF). A watched handle closed before its
            // delete is let go above without a word: there is nothing else to do with it.
            drop(registry);
            return check_open(handle);
        };
        match &entry.source.kind {
            Kind::Handle { .. } => registry.handles.retain(|&k| k != handle as usize),
            Kind::Pipe { .. } => registry.pipes.retain(|&k| k != handle as usize),
            Kind::Native { native, bell } => {
                native.unwatch(bell);
                registry.natives.retain(|&k| k != handle as usize);
            }
            Kind::Socket { .. } => {}
        }
        if entry.pending {
            match entry.source.kind {
                Kind::Socket { .. } => {
                    // Its completion is not counted when it comes: the entry is gone.
                    registry.in_flight = registry.in_flight.saturating_sub(1);
                    let iosb = self.iosb(&entry);
                    // SAFETY: the poll is in flight; its completion (which holds the source)
                    // is dropped when dequeued, since the entry is gone.
                    unsafe { self.afd.cancel(iosb) }?;
                }
                Kind::Handle { .. } | Kind::Pipe { .. } => {
                    self.unregister(&mut registry.in_flight, &mut entry)
                }
                Kind::Native { .. } => {}
            }
        }
        end_zero_read(&entry.source);
        Ok(())
    }

    /// Wakes every thread blocked in this port, to test the handles again: a handle added or
    /// re-armed while they wait is not in their registrations yet.
    fn wake_blocked(&self) {
        self.post_wakes(self.blocked.load(Ordering::SeqCst));
    }

    /// Posts `count` wake-up packets.
    fn post_wakes(&self, count: usize) {
        for _ in 0..count {
            // SAFETY: the port is open; a packet with no context only wakes a wait.
            unsafe {
                PostQueuedCompletionStatus(self.port.as_raw_handle(), 0, WAKE_KEY, null_mut())
            };
        }
    }

    fn iosb(&self, entry: &Entry) -> *mut IO_STATUS_BLOCK {
        // SAFETY: only a pointer is made; nothing is read or written through it here.
        unsafe { &raw mut (*entry.source.poll.get()).1 }
    }

    /// Starts the poll or the wait that `entry` wants, if any, counting it in `in_flight`.
    fn arm(&self, in_flight: &mut usize, entry: &mut Entry) -> io::Result<()> {
        if entry.pending || !entry.armed {
            return Ok(());
        }
        let event_type = entry.interest.event_type();
        match entry.source.kind {
            Kind::Socket { base } => {
                let cell = entry.source.poll.get();
                // SAFETY: no poll is in flight (not pending), so nothing else touches the
                // cell; the driver gets it until the completion, which holds a reference to
                // the source (so the cell stays alive).
                unsafe {
                    (*cell).0 = PollInfo::new(base, translate::poll_events(event_type));
                    let context = Arc::into_raw(Arc::clone(&entry.source)).cast_mut();
                    if let Err(e) =
                        self.afd
                            .poll(&raw mut (*cell).0, &raw mut (*cell).1, context.cast())
                    {
                        drop(Arc::from_raw(context));
                        return Err(e);
                    }
                }
            }
            Kind::Handle { .. } | Kind::Pipe { .. } => {
                let waitable = match &entry.source.kind {
                    Kind::Handle { .. } if event_type == EventType::None => return Ok(()),
                    Kind::Handle { handle } => *handle,
                    Kind::Pipe {
                        handle,
                        zero: Some(zero),
                        ..
                    } => {
                        // SAFETY: the source holds the read's OVERLAPPED; it is kept alive
                        // until the read is over (`end_zero_read` on delete and drop).
                        if unsafe { zero.start(*handle) }? {
                            // Data or an end of file is there now: the next test sees it.
                            return Ok(());
                        }
                        zero.event()
                    }
                    // A write end is always writable: nothing to wait for.
                    _ => return Ok(()),
                };
                entry.source.fired.store(false, Ordering::Relaxed);
                let context = Arc::into_raw(Arc::clone(&entry.source)).cast_mut();
                let mut wait: HANDLE = null_mut();
                // SAFETY: `wait` is a live local the call writes the registration into; the
                // callback gets `context`, a strong reference it hands to the port (or that
                // `unregister` takes back), so the source outlives every use of it.
                let ok = unsafe {
                    RegisterWaitForSingleObject(
                        &mut wait,
                        waitable,
                        Some(on_signaled),
                        context.cast(),
                        INFINITE,
                        WT_EXECUTEONLYONCE,
                    )
                };
                if ok == 0 {
                    let error = io::Error::last_os_error();
                    // SAFETY: the registration failed, so the callback never gets `context`.
                    drop(unsafe { Arc::from_raw(context) });
                    return Err(error);
                }
                // SAFETY: under the registry lock, the only place the cell is touched.
                unsafe { *entry.source.wait.get() = wait };
            }
            // Nothing to start: the object rings the port itself.
            Kind::Native { .. } => return Ok(()),
        }
        entry.pending = true;
        *in_flight += 1;
        Ok(())
    }

    /// Ends a handle's registered wait, and takes back the reference it held unless its
    /// callback already handed it to the port.
    fn unregister(&self, in_flight: &mut usize, entry: &mut Entry) {
        // SAFETY: under the registry lock, the only place the cell is touched.
        let wait = unsafe { std::mem::replace(&mut *entry.source.wait.get(), null_mut()) };
        if wait.is_null() {
            return;
        }
        // SAFETY: `wait` is a live registration; INVALID_HANDLE_VALUE makes the call return
        // only once no callback is running, so `fired` is final below.
        unsafe { UnregisterWaitEx(wait, INVALID_HANDLE_VALUE) };
        if !entry.source.fired.swap(true, Ordering::AcqRel) {
            // SAFETY: the callback never ran, so the reference given at registration is
            // still ours to take back, once.
            drop(unsafe { Arc::from_raw(Arc::as_ptr(&entry.source)) });
        }
        entry.pending = false;
        *in_flight = in_flight.saturating_sub(1);
    }

    /// Waits into a slice: the entries filled in.
    pub(crate) fn wait<'a>(
        &self,
        events: &'a mut [MaybeUninit<ReadyEvent>],
        timeout: Option<Duration>,
    ) -> io::Result<&'a [ReadyEvent]> {
        let len = events.len();
        let filled = self.wait_raw(timeout, len, |i, event| {
            events[i].write(event);
        })?;
        // SAFETY: `wait_raw` wrote the first `filled` entries.
        Ok(unsafe { std::slice::from_raw_parts(events.as_ptr().cast::<ReadyEvent>(), filled) })
    }

    /// Waits into the spare capacity of a `Vec`, which it clears first and never grows.
    pub(crate) fn wait_vec(
        &self,
        events: &mut Vec<ReadyEvent>,
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        events.clear();
        let room = events.capacity();
        self.wait_raw(timeout, room, |_, event| events.push(event))
    }

    /// The wait loop: polls the sockets reported last time again, tests the handles, takes
    /// the completions, and goes round again (with the time left) when nothing was ready. A
    /// wait that must block first hands the handles to the thread pool, whose completions
    /// wake it to test them again. Before returning empty, it tests once more.
    fn wait_raw(
        &self,
        timeout: Option<Duration>,
        room: usize,
        mut put: impl FnMut(usize, ReadyEvent),
    ) -> io::Result<usize> {
        let mut deadline = Deadline::new(timeout);
        let mut last = deadline.is_expired();
        loop {
            let (mut filled, due, quiet) = {
                let mut registry = self.lock();
                self.rearm(&mut registry);
                let mut filled = self.test_handles(&mut registry, room, &mut put);
                filled += self.test_pipes(&mut registry, filled, room, &mut put);
                let (natives, due) = self.test_natives(&mut registry, filled, room, &mut put);
                (filled + natives, due, self.is_quiet(&registry))
            };
            let mut step = deadline.step();
            if let Some(due) = due {
                // A watched timer's next expiry ends the wait (rounded up to whole ms below).
                let until = due.saturating_duration_since(std::time::Instant::now());
                step = Some(step.map_or(until, |s| s.min(until)));
            }
            let mut block = filled == 0 && !last && step != Some(Duration::ZERO);
            if block {
                // Counted before the handles are handed over and everything is tested once
                // more, so that a thread taking a wake-up (or an event's signal, which rings
                // only a port with a thread blocked) either sees this one counted or this one
                // sees the handle signaled.
                self.blocked.fetch_add(1, Ordering::SeqCst);
                self.register_wakes();
                let mut registry = self.lock();
                filled = self.test_handles(&mut registry, room, &mut put);
                filled += self.test_pipes(&mut registry, filled, room, &mut put);
                filled += self.test_natives(&mut registry, filled, room, &mut put).0;
                drop(registry);
                if filled > 0 {
                    self.blocked.fetch_sub(1, Ordering::SeqCst);
                    block = false;
                }
            }
            let ms = if block { translate::millis(step) } else { 0 };
            // When nothing can be in the port but wake-ups (no poll or wait in flight): if
            // something was ready, return without asking the port; if not, one packet is
            // enough to go round again (a call asking for more looks at the port once more
            // after the first).
            let want = match (quiet, filled > 0) {
                (true, true) => 0,
                (true, false) => 1,
                (false, _) => (room - filled).min(BATCH),
            };
            if want > 0 {
                // SAFETY: OVERLAPPED_ENTRY is plain data; zeroes are valid.
                let mut entries: [OVERLAPPED_ENTRY; BATCH] = unsafe { std::mem::zeroed() };
                let mut got: u32 = 0;
                // SAFETY: `entries` has room for `want` (at most BATCH) entries and `got` is a
                // live local; the port is open.
                let ok = unsafe {
                    GetQueuedCompletionStatusEx(
                        self.port.as_raw_handle(),
                        entries.as_mut_ptr(),
                        want as u32,
                        &mut got,
                        ms,
                        0,
                    )
                };
                let error = (ok == 0).then(io::Error::last_os_error);
                if block {
                    self.blocked.fetch_sub(1, Ordering::SeqCst);
                }
                if let Some(error) = error {
                    if error.raw_os_error() != Some(WAIT_TIMEOUT as i32) {
                        return Err(error);
                    }
                    got = 0;
                }
                if got > 0 {
                    filled += self.take(&entries[..got as usize], filled, !block, &mut put);
                }
            }
            if filled > 0 || last {
                return Ok(filled);
            }
            deadline.refresh();
            last = deadline.is_expired();
        }
    }

    /// Polls again the sockets that the last wait reported (level-triggered).
    fn rearm(&self, registry: &mut Registry) {
        let Registry {
            entries,
            again,
            in_flight,
            ..
        } = registry;
        for key in again.drain(..) {
            if let Some(entry) = entries.get_mut(&key) {
                if let Err(e) = self.arm(in_flight, entry) {
                    // A socket closed behind the context's back: it is not watched any more.
                    log::debug!("eventctx: dropping a socket that cannot be polled again: {e}");
                    entries.remove(&key);
                }
            }
        }
    }

    /// Tests the watched handles, 64 at a time from where the last test stopped, and reports
    /// the signaled ones, at most `room`. A one-shot handle is muted once reported. A handle
    /// that cannot be waited for any more (closed behind the context's back) is dropped.
    fn test_handles(
        &self,
        registry: &mut Registry,
        room: usize,
        put: &mut impl FnMut(usize, ReadyEvent),
    ) -> usize {
        let n = registry.handles.len();
        if n == 0 || room == 0 {
            return 0;
        }
        let start = registry.cursor % n;
        let mut filled = 0;
        let mut examined = 0;
        // Where the next test starts: after the last handle reported when `room` ran out (the
        // ones examined after it, signaled or not, come first next time), else after all.
        let mut resume = None;
        let mut gone: Vec<usize> = Vec::new();
        while examined < n && filled < room {
            let mut chunk: [HANDLE; 64] = [null_mut(); 64];
            let mut keys = [0usize; 64];
            let mut positions = [0usize; 64];
            let mut len = 0;
            while examined < n && len < 64 {
                let position = start + examined;
                let key = registry.handles[position % n];
                examined += 1;
                let Some(entry) = registry.entries.get(&key) else {
                    continue;
                };
                if !entry.armed || entry.interest.event_type() == EventType::None {
                    continue;
                }
                if let Kind::Handle { handle } = entry.source.kind {
                    chunk[len] = handle;
                    keys[len] = key;
                    positions[len] = position;
                    len += 1;
                }
            }
            let mut from = 0;
            while from < len && filled < room {
                let count = (len - from) as u32;
                // SAFETY: `chunk[from..len]` holds `count` handle values; a zero timeout only
                // tests them.
                let r = unsafe { WaitForMultipleObjects(count, chunk[from..].as_ptr(), 0, 0) };
                let index = if r < WAIT_OBJECT_0 + count {
                    (r - WAIT_OBJECT_0) as usize
                } else if (WAIT_ABANDONED_0..WAIT_ABANDONED_0 + count).contains(&r) {
                    (r - WAIT_ABANDONED_0) as usize
                } else if r == WAIT_TIMEOUT {
                    break;
                } else {
                    // One of them is no handle any more: test them one by one.
                    for j in from..len {
                        // SAFETY: a zero wait only tests the handle value.
                        match unsafe { WaitForSingleObject(chunk[j], 0) } {
                            WAIT_OBJECT_0 | WAIT_ABANDONED_0 if filled < room => {
                                self.report(registry, keys[j], filled, put);
                                filled += 1;
                                resume = Some(positions[j] + 1);
                            }
                            WAIT_OBJECT_0 | WAIT_ABANDONED_0 | WAIT_TIMEOUT => {}
                            _ => gone.push(keys[j]),
                        }
                    }
                    break;
                };
                let j = from + index;
                self.report(registry, keys[j], filled, put);
                filled += 1;
                resume = Some(positions[j] + 1);
                from = j + 1;
            }
        }
        registry.cursor = match resume {
            Some(after) if filled == room => after % n,
            _ => (start + examined) % n,
        };
        for key in gone {
            if let Some(mut entry) = registry.entries.remove(&key) {
                self.unregister(&mut registry.in_flight, &mut entry);
            }
            registry.handles.retain(|&k| k != key);
        }
        filled
    }

    /// Tests the crate's own events and timers, from where the last test stopped, and reports
    /// the ready ones as entries from `offset`, up to `room` in all: how many, and the earliest
    /// expiry of the watched timers not due yet.
    fn test_natives(
        &self,
        registry: &mut Registry,
        offset: usize,
        room: usize,
        put: &mut impl FnMut(usize, ReadyEvent),
    ) -> (usize, Option<std::time::Instant>) {
        self.drop_gone_natives(registry);
        let n = registry.natives.len();
        let mut filled = 0;
        let mut due: Option<std::time::Instant> = None;
        let mut now = None;
        let start = registry.native_cursor % n.max(1);
        for i in 0..n {
            if offset + filled == room {
                // Out of room: the next test starts with the first not looked at.
                registry.native_cursor = start + i;
                return (filled, None);
            }
            let key = registry.natives[(start + i) % n];
            let Some(entry) = registry.entries.get(&key) else {
                continue;
            };
            let Kind::Native { native, .. } = &entry.source.kind else {
                continue;
            };
            if !entry.armed || entry.interest.event_type() == EventType::None {
                continue;
            }
            if native.is_ready(|| *now.get_or_insert_with(std::time::Instant::now)) {
                self.report(registry, key, offset + filled, put);
                filled += 1;
            } else if let Some(at) = native.due() {
                due = Some(due.map_or(at, |d| d.min(at)));
            }
        }
        registry.native_cursor = start + 1;
        (filled, due)
    }

    /// Stops watching the crate's events and timers that nothing holds any more (every clone
    /// dropped), as epoll forgets a closed file. One whose handle was given away and is still
    /// open (`into_raw_descriptor`) is watched on as any handle, with its token and interest.
    fn drop_gone_natives(&self, registry: &mut Registry) {
        let gone: Vec<usize> = registry
            .natives
            .iter()
            .copied()
            .filter(|key| {
                registry.entries.get(key).is_some_and(|entry| {
                    matches!(&entry.source.kind, Kind::Native { native, .. } if native.is_gone())
                })
            })
            .collect();
        for key in gone {
            registry.natives.retain(|&k| k != key);
            let Some(entry) = registry.entries.remove(&key) else {
                continue;
            };
            if let Kind::Native { native, bell } = &entry.source.kind {
                native.unwatch(bell);
            }
            let handle = key as HANDLE;
            if check_open(handle).is_err() {
                continue;
            }
            if let Ok(kind @ Kind::Handle { .. }) = classify(handle) {
                registry.entries.insert(
                    key,
                    Entry {
                        source: self.new_source(key, kind),
                        ..entry
                    },
                );
                registry.handles.push(key);
            }
        }
    }

    /// Looks at the watched pipes and reports the ready ones as entries from `offset`, up to
    /// `room` in all: a read end with data is readable, one whose writer is gone hung up
    /// (whatever the interest, as epoll reports a hang-up); a write end watched for writing is
    /// writable. A pipe that cannot be looked at any more (closed behind the context's back)
    /// is dropped. The list turns by one at each call, so that none is starved.
    fn test_pipes(
        &self,
        registry: &mut Registry,
        offset: usize,
        room: usize,
        put: &mut impl FnMut(usize, ReadyEvent),
    ) -> usize {
        let n = registry.pipes.len();
        if n == 0 {
            return 0;
        }
        let start = registry.pipe_cursor % n;
        registry.pipe_cursor = start + 1;
        let mut filled = 0;
        let mut gone = Vec::new();
        for i in 0..n {
            if offset + filled == room {
                break;
            }
            let key = registry.pipes[(start + i) % n];
            let Some(entry) = registry.entries.get(&key) else {
                continue;
            };
            let Kind::Pipe { handle, end, .. } = &entry.source.kind else {
                continue;
            };
            if !entry.armed {
                continue;
            }
            let event_type = entry.interest.event_type();
            let wants_read = matches!(event_type, EventType::Read | EventType::ReadWrite);
            let wants_write = matches!(event_type, EventType::Write | EventType::ReadWrite);
            let readiness = match end {
                End::Write => Readiness {
                    writable: wants_write,
                    ..Readiness::default()
                },
                End::Read => match pipe::peek(*handle) {
                    Ok(state) => Readiness {
                        readable: state.readable && wants_read,
                        hungup: state.closed,
                        ..Readiness::default()
                    },
                    Err(e) => {
                        log::debug!("eventctx: dropping a pipe that cannot be looked at: {e}");
                        gone.push(key);
                        continue;
                    }
                },
            };
            if readiness.any() {
                self.report_as(registry, key, offset + filled, put, |_| readiness);
                filled += 1;
            }
        }
        for key in gone {
            if let Some(mut entry) = registry.entries.remove(&key) {
                self.unregister(&mut registry.in_flight, &mut entry);
                end_zero_read(&entry.source);
            }
            registry.pipes.retain(|&k| k != key);
        }
        filled
    }

    /// Whether nothing but a stray wake-up can be in the port: no poll or wait in flight and
    /// no packet from an event or a timer queued.
    fn is_quiet(&self, registry: &Registry) -> bool {
        registry.in_flight == 0
            && registry.natives.iter().all(|key| {
                registry
                    .entries
                    .get(key)
                    .is_none_or(|entry| match &entry.source.kind {
                        Kind::Native { bell, .. } => !bell.is_posted(),
                        _ => true,
                    })
            })
    }

    /// Reports the signaled handle `key` as entry `index`: ready for what it is watched for.
    fn report(
        &self,
        registry: &mut Registry,
        key: usize,
        index: usize,
        put: &mut impl FnMut(usize, ReadyEvent),
    ) {
        self.report_as(registry, key, index, put, |event_type| Readiness {
            readable: matches!(event_type, EventType::Read | EventType::ReadWrite),
            writable: matches!(event_type, EventType::Write | EventType::ReadWrite),
            ..Readiness::default()
        });
    }

    /// Reports `key` as entry `index`, with the readiness `readiness` makes of its interest;
    /// a one-shot one is muted (its wait in flight, if any, ended) until `modify`.
    fn report_as(
        &self,
        registry: &mut Registry,
        key: usize,
        index: usize,
        put: &mut impl FnMut(usize, ReadyEvent),
        readiness: impl FnOnce(EventType) -> Readiness,
    ) {
        let Registry {
            entries, in_flight, ..
        } = registry;
        let Some(entry) = entries.get_mut(&key) else {
            return;
        };
        let readiness = readiness(entry.interest.event_type());
        put(
            index,
            ReadyEvent {
                token: entry.token,
                bits: readiness.bits(),
            },
        );
        if entry.interest.is_oneshot() {
            entry.armed = false;
            if entry.pending {
                self.unregister(in_flight, entry);
            }
        }
    }

    /// Before a wait blocks: hands every handle (and every pipe's zero-byte read's event) that
    /// is watched and not handed yet to the thread pool, whose completion will wake the wait
    /// when it is signaled.
    fn register_wakes(&self) {
        let mut registry = self.lock();
        let Registry {
            entries,
            handles,
            pipes,
            in_flight,
            ..
        } = &mut *registry;
        for key in handles.iter().chain(pipes.iter()) {
            let Some(entry) = entries.get_mut(key) else {
                continue;
            };
            if entry.pending || !entry.armed {
                continue;
            }
            // A handle watched for nothing is not waited for; a pipe is, for its hang-up.
            let is_pipe = matches!(entry.source.kind, Kind::Pipe { .. });
            if !is_pipe && entry.interest.event_type() == EventType::None {
                continue;
            }
            if let Err(e) = self.arm(in_flight, entry) {
                log::debug!("eventctx: cannot wait for a handle: {e}");
            }
        }
    }

    /// Turns dequeued completions into events, numbered from `offset`: a socket's poll gives
    /// its readiness; a handle's wake-up only says to test the handles again (the next round
    /// of the wait loop does).
    ///
    /// Wake-up packets are one per blocked thread: those this wait took beyond the one it
    /// needed (one call can take several), or all of them when it was not blocked (collecting
    /// socket completions after finding a handle ready), are posted again for the others.
    fn take(
        &self,
        completions: &[OVERLAPPED_ENTRY],
        offset: usize,
        pass_wakes_on: bool,
        put: &mut impl FnMut(usize, ReadyEvent),
    ) -> usize {
        let mut registry = self.lock();
        let Registry {
            entries,
            again,
            in_flight,
            ..
        } = &mut *registry;
        let mut filled = 0;
        let mut woken = false;
        let mut wake_packets = 0usize;
        for completion in completions {
            if completion.lpOverlapped.is_null() {
                if completion.lpCompletionKey == WAKE_KEY {
                    wake_packets += 1;
                }
                continue;
            }
            if completion.lpCompletionKey == NATIVE_KEY {
                // An event was signaled or a timer set: the next round of the wait loop tests
                // them, and every other blocked thread is woken to test them too.
                // SAFETY: a packet with this key was posted by `PortBell::ring`.
                drop(unsafe { PortBell::taken(completion.lpOverlapped) });
                woken = true;
                continue;
            }
            // SAFETY: every completion with a context was posted with a strong reference made
            // by `Arc::into_raw` (a poll's or a wait's), taken back here exactly once.
            let source =
                unsafe { Arc::from_raw(completion.lpOverlapped.cast::<Source>().cast_const()) };
            let Some(entry) = entries.get_mut(&source.key) else {
                continue; // deleted since
            };
            if !Arc::ptr_eq(&entry.source, &source) {
                continue; // deleted, and the number added again since
            }
            match (completion.lpCompletionKey, &source.kind) {
                (AFD_KEY, Kind::Socket { .. }) => {
                    entry.pending = false;
                    *in_flight = in_flight.saturating_sub(1);
                    // SAFETY: the poll is over (its completion is here), so the cell is ours.
                    let (info, iosb) = unsafe { &*source.poll.get() };
                    // SAFETY: the status is the union's NTSTATUS member, written by the driver.
                    let status = unsafe { iosb.Anonymous.Status };
                    if status == STATUS_CANCELLED {
                        // `modify` changed the events: poll again with the new ones.
                        if self.arm(in_flight, entry).is_err() {
                            entries.remove(&source.key);
                        }
                        continue;
                    }
                    let events = if status < 0 || info.number_of_handles == 0 {
                        0
                    } else {
                        info.handles[0].events
                    };
                    if translate::closed_locally(events) {
                        entries.remove(&source.key);
                        continue;
                    }
                    let readiness =
                        translate::readiness(events, entry.interest.event_type(), status < 0);
                    if readiness.any() {
                        put(
                            offset + filled,
                            ReadyEvent {
                                token: entry.token,
                                bits: readiness.bits(),
                            },
                        );
                        filled += 1;
                        if entry.interest.is_oneshot() {
                            entry.armed = false;
                            continue;
                        }
                    }
                    again.push(source.key);
                }
                (HANDLE_KEY, Kind::Handle { .. } | Kind::Pipe { .. }) => {
                    if let Kind::Pipe {
                        zero: Some(zero), ..
                    } = &source.kind
                    {
                        zero.finish();
                    }
                    // SAFETY: under the registry lock, the only place the cell is touched.
                    let wait = unsafe { std::mem::replace(&mut *source.wait.get(), null_mut()) };
                    if !wait.is_null() {
                        // SAFETY: `wait` has fired (its callback posted this); the call frees
                        // it once the callback has returned.
                        unsafe { UnregisterWaitEx(wait, INVALID_HANDLE_VALUE) };
                    }
                    entry.pending = false;
                    *in_flight = in_flight.saturating_sub(1);
                    woken = true;
                }
                _ => {}
            }
        }
        drop(registry);
        let passed_on = if pass_wakes_on {
            wake_packets
        } else {
            wake_packets.saturating_sub(1)
        };
        let wakes = if woken {
            self.blocked.load(Ordering::SeqCst).max(passed_on)
        } else {
            passed_on
        };
        if wakes > 0 {
            for _ in 0..wakes {
                // SAFETY: the port is open; a packet with no context only wakes a wait.
                unsafe {
                    PostQueuedCompletionStatus(self.port.as_raw_handle(), 0, WAKE_KEY, null_mut())
                };
            }
        }
        filled
    }
}

/// The thread pool's callback for a signaled handle: posts the source to the port.
unsafe extern "system" fn on_signaled(context: *mut c_void, _timed_out: bool) {
    let source = context.cast::<Source>().cast_const();
    // SAFETY: `context` is the strong reference given at registration, alive until the
    // completion posted here is dequeued (or `unregister` takes it back, which it does only
    // when `fired` was not set here).
    unsafe {
        (*source).fired.store(true, Ordering::Release);
        PostQueuedCompletionStatus((*source).port, 0, HANDLE_KEY, context.cast::<OVERLAPPED>());
    }
}

/// Ends a pipe's zero-byte read in flight, once its source is out of the registry. If it
/// cannot be ended (the pipe was closed behind the context's back while a duplicate keeps it
/// open), the source is kept alive for good, since the system may still write its OVERLAPPED.
fn end_zero_read(source: &Arc<Source>) {
    if let Kind::Pipe {
        handle,
        zero: Some(zero),
        ..
    } = &source.kind
    {
        if !zero.cancel(*handle) {
            log::debug!("eventctx: a pipe's pending read could not be cancelled; keeping it");
            std::mem::forget(Arc::clone(source));
        }
    }
}

/// `ERROR_INVALID_HANDLE` for a null, invalid or closed handle.
fn check_open(handle: HANDLE) -> io::Result<()> {
    if handle.is_null() || handle == INVALID_HANDLE_VALUE {
        return Err(os_error(ERROR_INVALID_HANDLE));
    }
    let mut flags = 0u32;
    // SAFETY: GetHandleInformation only reads the handle table and writes one u32.
    if unsafe { GetHandleInformation(handle, &mut flags) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// What `handle` is: a socket (with its base socket), or a handle to wait for. A disk file is
/// refused as epoll refuses a regular file (`ERROR_ACCESS_DENIED`, `PermissionDenied`), a pipe
/// or a console as `Unsupported` (Windows cannot wait for their readiness), another context
/// as `Unsupported`, a null or invalid handle with `ERROR_INVALID_HANDLE`.
fn classify(handle: HANDLE) -> io::Result<Kind> {
    if handle.is_null() || handle == INVALID_HANDLE_VALUE {
        return Err(os_error(ERROR_INVALID_HANDLE));
    }
    if let Ok(base) = afd::base_socket(handle as u64) {
        return Ok(Kind::Socket { base });
    }
    if ports().contains(&(handle as usize)) {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "a context cannot watch another context on Windows (a completion port is not a \
             waitable object)",
        ));
    }
    // SAFETY: GetFileType only reads the handle value; any handle may be asked.
    match unsafe { GetFileType(handle) } {
        FILE_TYPE_DISK => Err(io::Error::from_raw_os_error(5)), // ERROR_ACCESS_DENIED
        FILE_TYPE_PIPE => {
            let end = pipe::end_of(handle)?;
            let zero = match end {
                End::Read => Some(ZeroRead::new()?),
                End::Write => None,
            };
            Ok(Kind::Pipe { handle, end, zero })
        }
        FILE_TYPE_CHAR => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "a console has no readiness to wait for on Windows",
        )),
        _ => {
            // An invalid handle: WaitForSingleObject says so.
            // SAFETY: a zero wait only tests the handle.
            match unsafe { WaitForSingleObject(handle, 0) } {
                WAIT_OBJECT_0 | WAIT_TIMEOUT => Ok(Kind::Handle { handle }),
                0x80 => Ok(Kind::Handle { handle }), // WAIT_ABANDONED (a mutex)
                _ => Err(io::Error::last_os_error()),
            }
        }
    }
}

impl AsHandle for Poller {
    fn as_handle(&self) -> BorrowedHandle<'_> {
        self.port.as_handle()
    }
}

impl Drop for Poller {
    /// Ends every wait and poll in flight and takes back their references, then closes.
    fn drop(&mut self) {
        ports().retain(|&p| p != self.port.as_raw_handle() as usize);
        let mut polls = 0usize;
        {
            let mut registry = self.lock();
            let entries: Vec<Entry> = registry.entries.drain().map(|(_, e)| e).collect();
            let mut in_flight = 0;
            for mut entry in entries {
                if let Kind::Native { native, bell } = &entry.source.kind {
                    // No packet is posted to this port once the bell is out of the list.
                    native.unwatch(bell);
                }
                if !entry.pending {
                    continue;
                }
                match entry.source.kind {
                    Kind::Socket { .. } => {
                        let iosb = self.iosb(&entry);
                        // SAFETY: the poll is in flight; its completion is drained below.
                        if unsafe { self.afd.cancel(iosb) }.is_ok() {
                            polls += 1;
                        }
                    }
                    Kind::Handle { .. } | Kind::Pipe { .. } => {
                        self.unregister(&mut in_flight, &mut entry)
                    }
                    Kind::Native { .. } => {}
                }
                end_zero_read(&entry.source);
            }
        }
        // Drain: cancelled polls and fired waits hand their references back through the port.
        let mut rounds = 0;
        while rounds < 50 {
            // SAFETY: as in `wait_raw`.
            let mut entries: [OVERLAPPED_ENTRY; BATCH] = unsafe { std::mem::zeroed() };
            let mut got: u32 = 0;
            let wait_ms = if polls > 0 { 20 } else { 0 };
            // SAFETY: as in `wait_raw`.
            let ok = unsafe {
                GetQueuedCompletionStatusEx(
                    self.port.as_raw_handle(),
                    entries.as_mut_ptr(),
                    BATCH as u32,
                    &mut got,
                    wait_ms,
                    0,
                )
            };
            if ok == 0 || got == 0 {
                if polls == 0 {
                    break;
                }
                rounds += 1;
                continue;
            }
            for completion in &entries[..got as usize] {
                if completion.lpOverlapped.is_null() {
                    continue;
                }
                if completion.lpCompletionKey == NATIVE_KEY {
                    // SAFETY: a packet with this key was posted by `PortBell::ring`.
                    drop(unsafe { PortBell::taken(completion.lpOverlapped) });
                    continue;
                }
                if completion.lpCompletionKey == AFD_KEY {
                    polls = polls.saturating_sub(1);
                }
                // SAFETY: as in `take`: each completion's context is one strong reference.
                drop(unsafe {
                    Arc::from_raw(completion.lpOverlapped.cast::<Source>().cast_const())
                });
            }
        }
    }
}
