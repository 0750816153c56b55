//! Windows: what its back-end promises beyond the portable tests — many handles and sockets
//! in one context, modes kept or refused, bad handles as errors, child processes, console
//! control events. Run under wine in CI (`scripts/windows.sh`).
#![cfg(windows)]

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::windows::io::{FromRawHandle, IntoRawHandle, OwnedHandle};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use eventctx::{
    AsRawDescriptor, Descriptor, Event, EventContext, EventType, Events, Interest, ProcessExit,
    Signals, Timer, WaitContext, signal,
};

/// The tests here close handles on purpose, and Windows gives a closed handle's number to the
/// next object made, by any thread: they run one at a time, so that none sees another's.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

const NOW: Duration = Duration::ZERO;
const LONG: Duration = Duration::from_secs(10);

/// Waits until every token in `0..n` has been reported, consuming each with `consume`.
fn drain(
    ctx: &EventContext<usize>,
    n: usize,
    mut consume: impl FnMut(usize) -> io::Result<()>,
) -> io::Result<HashSet<usize>> {
    let mut seen = HashSet::new();
    let mut events = Events::with_capacity(256);
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.len() < n && Instant::now() < deadline {
        ctx.wait_into(&mut events, Some(Duration::from_secs(5)))?;
        for event in events.iter() {
            assert!(event.is_readable, "{event:?}");
            if seen.insert(event.token) {
                consume(event.token)?;
            }
        }
    }
    Ok(seen)
}

#[test]
fn a_thousand_events_in_one_context_are_each_reported() -> io::Result<()> {
    let _serial = serial();
    const N: usize = 1000;
    let events: Vec<Event> = (0..N).map(|_| Event::new()).collect::<io::Result<_>>()?;
    let ctx: EventContext<usize> = EventContext::new()?;
    for (i, e) in events.iter().enumerate() {
        ctx.add(e, i)?;
    }
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    for e in &events {
        e.signal()?;
    }
    let seen = drain(&ctx, N, |i| events[i].reset())?;
    assert_eq!(seen.len(), N, "{} of {N} reported", seen.len());
    assert!(ctx.wait_timeout(Duration::from_millis(20))?.is_empty());
    Ok(())
}

#[test]
fn a_thousand_tcp_connections_in_one_context_are_each_reported() -> io::Result<()> {
    let _serial = serial();
    const N: usize = 1000;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    let mut clients = Vec::with_capacity(N);
    let mut servers = Vec::with_capacity(N);
    for _ in 0..N {
        clients.push(TcpStream::connect(address)?);
        servers.push(listener.accept()?.0);
    }
    let ctx: EventContext<usize> = EventContext::new()?;
    for (i, s) in servers.iter().enumerate() {
        s.set_nonblocking(true)?;
        ctx.add(s, i)?;
    }
    assert!(ctx.wait_timeout(Duration::from_millis(20))?.is_empty());
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&[(i % 251) as u8])?;
    }
    let seen = drain(&ctx, N, |i| {
        let mut byte = [0u8; 1];
        assert_eq!((&servers[i]).read(&mut byte)?, 1);
        assert_eq!(byte[0], (i % 251) as u8);
        Ok(())
    })?;
    assert_eq!(seen.len(), N, "{} of {N} reported", seen.len());
    // Read, so no longer readable: nothing stale is reported.
    assert!(ctx.wait_timeout(Duration::from_millis(50))?.is_empty());
    Ok(())
}

#[test]
fn a_socket_is_reported_while_unread_and_not_after() -> io::Result<()> {
    let _serial = serial();
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut client = TcpStream::connect(listener.local_addr()?)?;
    let (mut server, _) = listener.accept()?;
    let ctx: EventContext<u8> = EventContext::new()?;
    ctx.add(&server, 1)?;
    client.write_all(b"abc")?;
    for _ in 0..3 {
        let events = ctx.wait_timeout(LONG)?;
        assert_eq!(events.len(), 1);
        assert!(events[0].is_readable);
    }
    let mut buf = [0u8; 3];
    server.read_exact(&mut buf)?;
    assert!(ctx.wait_timeout(Duration::from_millis(50))?.is_empty());
    Ok(())
}

#[test]
fn a_listener_is_readable_when_a_connection_waits() -> io::Result<()> {
    let _serial = serial();
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let ctx: EventContext<u8> = EventContext::new()?;
    ctx.add(&listener, 7)?;
    assert!(ctx.wait_timeout(Duration::from_millis(20))?.is_empty());
    let _client = TcpStream::connect(listener.local_addr()?)?;
    assert_eq!(ctx.wait_timeout(LONG)?[0].token, 7);
    let _ = listener.accept()?;
    assert!(ctx.wait_timeout(Duration::from_millis(50))?.is_empty());
    Ok(())
}

#[test]
fn write_interest_reports_room_to_write() -> io::Result<()> {
    let _serial = serial();
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let _server = listener.accept()?;
    let ctx: EventContext<u8> = EventContext::new()?;
    ctx.add_for_event(&client, EventType::Write, 2)?;
    let events = ctx.wait_timeout(LONG)?;
    assert_eq!(events.len(), 1);
    assert!(
        events[0].is_writable && !events[0].is_readable,
        "{:?}",
        events[0]
    );
    Ok(())
}

#[test]
fn a_reset_connection_is_a_hang_up_and_an_error() -> io::Result<()> {
    let _serial = serial();
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    let ctx: EventContext<u8> = EventContext::new()?;
    ctx.add_for_event(&server, EventType::None, 3)?;
    // A zero linger makes the close a reset (RST), not a FIN.
    socket_linger_zero(&client)?;
    drop(client);
    let events = ctx.wait_timeout(LONG)?;
    assert_eq!(events.len(), 1);
    let event = events[0];
    assert!(
        event.is_hungup && event.is_error && !event.is_readable,
        "{event:?}"
    );
    Ok(())
}

fn socket_linger_zero(stream: &TcpStream) -> io::Result<()> {
    use std::os::windows::io::AsRawSocket;
    use windows_sys::Win32::Networking::WinSock::{LINGER, SO_LINGER, SOL_SOCKET, setsockopt};
    let linger = LINGER {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: SO_LINGER reads one LINGER, whose size is given.
    let rc = unsafe {
        setsockopt(
            stream.as_raw_socket() as usize,
            SOL_SOCKET,
            SO_LINGER,
            (&raw const linger).cast(),
            size_of::<LINGER>() as i32,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[test]
fn one_shot_sockets_are_muted_until_modify_rearms_them() -> io::Result<()> {
    let _serial = serial();
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    let ctx: EventContext<u8> = EventContext::new()?;
    let read = Interest::new(EventType::Read);
    ctx.add_with(&server, read.oneshot(), 1)?;
    client.write_all(b"x")?;
    assert_eq!(ctx.wait_timeout(LONG)?[0].token, 1);
    assert!(
        ctx.wait_timeout(Duration::from_millis(50))?.is_empty(),
        "muted"
    );
    ctx.modify_with(&server, read.oneshot(), 2)?;
    assert_eq!(ctx.wait_timeout(LONG)?[0].token, 2, "re-armed, new token");
    Ok(())
}

#[test]
fn modes_windows_cannot_keep_are_refused() -> io::Result<()> {
    let _serial = serial();
    let event = Event::new()?;
    let ctx: EventContext<u8> = EventContext::new()?;
    let read = Interest::new(EventType::Read);
    for refused in [read.edge(), read.priority(), read.exclusive()] {
        let error = ctx.add_with(&event, refused, 1).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::Unsupported, "{error}");
    }
    let misuse = ctx
        .add_with(&event, read.exclusive().oneshot(), 1)
        .unwrap_err();
    assert_eq!(misuse.kind(), io::ErrorKind::InvalidInput, "{misuse}");
    // Nothing was added by the refusals.
    ctx.add(&event, 1)?;
    Ok(())
}

#[test]
fn misuse_gets_the_portable_error_kinds() -> io::Result<()> {
    let _serial = serial();
    let event = Event::new()?;
    let ctx: EventContext<u8> = EventContext::new()?;
    let unwatched = ctx.modify(&event, EventType::Read, 1).unwrap_err();
    assert_eq!(unwatched.kind(), io::ErrorKind::NotFound, "{unwatched}");
    ctx.delete(&event)?; // not watched: fine
    ctx.add(&event, 1)?;
    let twice = ctx.add(&event, 2).unwrap_err();
    assert_eq!(twice.kind(), io::ErrorKind::AlreadyExists, "{twice}");
    assert!(
        twice.raw_os_error().is_some(),
        "the platform's code is kept"
    );
    // A disk file has no readiness: refused as epoll refuses a regular file.
    let file = std::fs::File::open(std::env::current_exe()?)?;
    let error = ctx.add(&file, 3).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::PermissionDenied, "{error}");
    // A context inside a context cannot be kept on Windows.
    let inner: EventContext<u8> = EventContext::new()?;
    let nested = ctx.add(&inner, 4).unwrap_err();
    assert_eq!(nested.kind(), io::ErrorKind::Unsupported, "{nested}");
    Ok(())
}

/// Whether `raw` names an open handle of this process now.
fn is_open(raw: std::os::windows::io::RawHandle) -> bool {
    let mut flags = 0;
    // SAFETY: GetHandleInformation only looks the number up in the handle table and writes one
    // u32; a number that names nothing is an error return.
    unsafe { windows_sys::Win32::Foundation::GetHandleInformation(raw, &mut flags) != 0 }
}

#[test]
fn bad_and_closed_handles_are_errors_not_panics() -> io::Result<()> {
    let _serial = serial();
    let ctx: EventContext<u8> = EventContext::new()?;
    let null = Descriptor(std::ptr::null_mut());
    let invalid = Descriptor(-1isize as usize as *mut std::ffi::c_void);
    for bad in [null, invalid] {
        assert!(ctx.add(&bad, 1).is_err(), "{bad:?}");
        assert!(ctx.modify(&bad, EventType::Read, 1).is_err(), "{bad:?}");
    }
    // A handle closed before it is added. Another thread of the process (the thread pool,
    // the runtime) may be given the same number at once; then the number names a live object
    // again, which the context rightly accepts, and the test tries again with a new one.
    let mut refused = 0;
    for _ in 0..20 {
        let raw = Event::new()?.into_raw_handle();
        // SAFETY: `raw` was given up by the event above; this closes it.
        drop(unsafe { OwnedHandle::from_raw_handle(raw) });
        match ctx.add(&Descriptor(raw), 1) {
            Err(_) => refused += 1,
            Ok(()) => {
                assert!(is_open(raw), "a closed handle was accepted");
                ctx.delete(&Descriptor(raw))?;
            }
        }
    }
    assert!(
        refused > 0,
        "every closed handle's number was taken at once by another object"
    );
    // A handle closed while watched: the wait still works (the number may be reused by
    // another object at once, which a context cannot tell: delete before closing).
    let event = Event::new()?;
    let other = Event::new()?;
    ctx.add(&event, 2)?;
    ctx.add(&other, 3)?;
    other.signal()?;
    drop(event);
    let tokens: Vec<u8> = ctx.wait_timeout(LONG)?.iter().map(|e| e.token).collect();
    assert!(tokens.contains(&3), "{tokens:?}");
    Ok(())
}

#[test]
fn timers_fire_through_a_context_and_clear_when_read() -> io::Result<()> {
    let _serial = serial();
    let mut timer = Timer::new()?;
    let ctx: WaitContext<u8> = WaitContext::new()?;
    ctx.add(&timer, 9)?;
    let start = Instant::now();
    timer.reset_oneshot(Duration::from_millis(30))?;
    assert_eq!(ctx.wait_timeout(LONG)?[0].token, 9);
    assert!(
        start.elapsed() >= Duration::from_millis(30),
        "{:?}",
        start.elapsed()
    );
    assert!(
        ctx.wait_timeout(NOW)?.len() == 1,
        "level-triggered until read"
    );
    assert!(!timer.mark_waited()?, "it had fired");
    assert!(ctx.wait_timeout(Duration::from_millis(50))?.is_empty());
    timer.reset_repeating(Duration::from_millis(10))?;
    for _ in 0..3 {
        assert_eq!(ctx.wait_timeout(LONG)?.len(), 1);
        timer.wait()?;
    }
    timer.clear()?;
    assert!(ctx.wait_timeout(Duration::from_millis(50))?.is_empty());
    Ok(())
}

#[test]
fn process_exit_reports_a_child_that_exits() -> io::Result<()> {
    let _serial = serial();
    let mut child = Command::new("cmd").args(["/C", "exit 3"]).spawn()?;
    let exit = ProcessExit::new(&child)?;
    assert_eq!(exit.pid(), child.id());
    let ctx: EventContext<u8> = EventContext::new()?;
    ctx.add(&exit, 5)?;
    let events = ctx.wait_timeout(Duration::from_secs(30))?;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].token, 5);
    assert!(exit.has_exited()?);
    assert_eq!(child.wait()?.code(), Some(3));
    // Still readable once reaped, until deleted.
    assert_eq!(ctx.wait_timeout(NOW)?.len(), 1);
    Ok(())
}

#[test]
fn process_exit_ends_a_child_with_sigkill_and_refuses_other_signals() -> io::Result<()> {
    let _serial = serial();
    let mut child = Command::new("cmd")
        .args(["/C", "ping -n 60 127.0.0.1 > NUL"])
        .spawn()?;
    let exit = ProcessExit::new(&child)?;
    assert!(!exit.has_exited()?);
    let refused = exit.send_signal(signal::SIGINT).unwrap_err();
    assert_eq!(refused.kind(), io::ErrorKind::Unsupported);
    exit.send_signal(signal::SIGKILL)?;
    exit.wait()?;
    assert!(!child.wait()?.success());
    let missing = ProcessExit::from_pid(0).unwrap_err();
    assert_eq!(missing.kind(), io::ErrorKind::InvalidInput);
    Ok(())
}

#[test]
fn console_control_events_are_signals() -> io::Result<()> {
    let _serial = serial();
    let signals = Signals::new(&[signal::SIGINT, signal::SIGTERM])?;
    let ctx: EventContext<u8> = EventContext::new()?;
    ctx.add(&signals, 1)?;
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    assert!(eventctx::__console_control_event(0)); // Ctrl-C
    assert!(eventctx::__console_control_event(2)); // the console closing
    assert_eq!(ctx.wait_timeout(LONG)?[0].token, 1);
    assert_eq!(signals.read()?.map(|s| s.signal), Some(signal::SIGINT));
    let term = signals.read()?.expect("SIGTERM queued");
    assert_eq!(term.signal, signal::SIGTERM);
    assert_eq!(term.sender(), None);
    assert!(signals.read()?.is_none());
    assert!(
        ctx.wait_timeout(NOW)?.is_empty(),
        "drained: no longer readable"
    );
    // Ctrl-Break: nobody takes SIGBREAK, so the default action would run.
    assert!(!eventctx::__console_control_event(1));
    let bad = Signals::new(&[signal::SIGKILL]).unwrap_err();
    assert_eq!(bad.kind(), io::ErrorKind::InvalidInput);
    drop(signals);
    assert!(!eventctx::__console_control_event(0), "no Signals left");
    Ok(())
}

#[test]
fn several_contexts_watch_one_event() -> io::Result<()> {
    let _serial = serial();
    let event = Event::new()?;
    let a: EventContext<u8> = EventContext::build_with(&[(&event, 1)])?;
    let b: EventContext<u8> = EventContext::build_with(&[(&event, 2)])?;
    event.signal()?;
    assert_eq!(a.wait_timeout(LONG)?[0].token, 1);
    assert_eq!(b.wait_timeout(LONG)?[0].token, 2);
    Ok(())
}

#[test]
fn a_blocked_wait_wakes_for_a_handle_signaled_later_from_another_thread() -> io::Result<()> {
    let _serial = serial();
    let event = Event::new()?;
    let ctx: EventContext<u8> = EventContext::build_with(&[(&event, 4)])?;
    let signaller = event.try_clone()?;
    let started = Instant::now();
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        signaller.signal()
    });
    let events = ctx.wait_timeout(LONG)?;
    thread.join().unwrap()?;
    assert_eq!(events[0].token, 4);
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert!(started.elapsed() < LONG, "woken, not timed out");
    Ok(())
}

#[test]
fn tokens_keep_all_64_bits() -> io::Result<()> {
    let _serial = serial();
    let event = Event::new()?;
    let ctx: EventContext<u64> = EventContext::build_with(&[(&event, u64::MAX - 1)])?;
    event.signal()?;
    assert_eq!(ctx.wait_timeout(LONG)?[0].token, u64::MAX - 1);
    assert_eq!(
        Descriptor(event.as_raw_descriptor()),
        Descriptor(event.as_raw_descriptor())
    );
    Ok(())
}

#[test]
fn a_signaled_handle_wakes_every_blocked_thread() -> io::Result<()> {
    let _serial = serial();
    for _ in 0..5 {
        let ctx = std::sync::Arc::new(EventContext::<u8>::new()?);
        let stop = Event::new()?;
        ctx.add(&stop, 1)?;
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let ctx = ctx.clone();
                std::thread::spawn(move || ctx.wait_timeout(LONG).map(|e| e.len()))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        stop.signal()?;
        for thread in threads {
            assert_eq!(thread.join().unwrap()?, 1, "woken by the signal");
        }
        assert!(started.elapsed() < LONG / 2, "{:?}", started.elapsed());
    }
    Ok(())
}

/// Sets an event object the way another process holding a duplicate of its handle would: a
/// raw `SetEvent`, outside the crate's `Event`.
fn set_from_outside(event: &Event) {
    let handle = event.as_raw_descriptor();
    // SAFETY: the handle is an open event object for the length of the call.
    let ok = unsafe { windows_sys::Win32::System::Threading::SetEvent(handle.cast()) };
    assert_ne!(ok, 0);
}

#[test]
fn an_event_set_from_outside_is_read_by_the_crate_s_event() -> io::Result<()> {
    let _serial = serial();
    let event = Event::new()?;
    set_from_outside(&event);
    assert_eq!(
        event.wait_timeout(NOW)?,
        eventctx::EventWaitResult::Signaled
    );
    // Taken: the next read finds nothing.
    assert_eq!(
        event.wait_timeout(NOW)?,
        eventctx::EventWaitResult::TimedOut
    );
    Ok(())
}

#[test]
fn an_adopted_event_wakes_a_blocked_wait_when_set_from_outside() -> io::Result<()> {
    let _serial = serial();
    // As the platforms page says: an Event another process will set is adopted by its handle.
    let event = Event::from(OwnedHandle::from(Event::new()?));
    let ctx: WaitContext<u8> = WaitContext::build_with(&[(&event, 7)])?;
    let setter = {
        let event = event.try_clone()?;
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            set_from_outside(&event);
        })
    };
    let started = Instant::now();
    let events = ctx.wait_timeout(LONG)?;
    setter.join().unwrap();
    assert_eq!(events.len(), 1, "not woken after {:?}", started.elapsed());
    assert_eq!(events[0].token, 7);
    event.reset()?;
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    Ok(())
}

#[test]
fn a_set_event_dropped_while_watched_is_no_longer_reported() -> io::Result<()> {
    let _serial = serial();
    let ctx: WaitContext<u8> = WaitContext::new()?;
    let event = Event::new()?;
    let clone = event.try_clone()?;
    ctx.add(&event, 1)?;
    event.signal()?;
    drop(event);
    // A clone holds it: still watched, still set.
    assert_eq!(ctx.wait_timeout(NOW)?.len(), 1);
    drop(clone);
    // Nothing holds it: forgotten, as epoll forgets a closed eventfd.
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    Ok(())
}

#[test]
fn a_repeating_timer_dropped_while_watched_is_no_longer_reported() -> io::Result<()> {
    let _serial = serial();
    let ctx: WaitContext<u8> = WaitContext::new()?;
    let mut timer = Timer::new()?;
    ctx.add(&timer, 1)?;
    timer.reset_repeating(Duration::from_millis(5))?;
    assert_eq!(ctx.wait_timeout(LONG)?.len(), 1);
    drop(timer);
    assert!(ctx.wait_timeout(Duration::from_millis(50))?.is_empty());
    Ok(())
}

#[test]
fn an_event_given_away_while_watched_is_watched_as_its_handle() -> io::Result<()> {
    let _serial = serial();
    let ctx: WaitContext<u8> = WaitContext::new()?;
    let event = Event::new()?;
    ctx.add(&event, 4)?;
    // The handle stays open, in another owner: the context watches it still.
    let adopted = Event::from(OwnedHandle::from(event));
    adopted.signal()?;
    let events = ctx.wait_timeout(LONG)?;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].token, 4);
    adopted.reset()?;
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    Ok(())
}
