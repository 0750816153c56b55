//! Every `EventContext` method and the readiness semantics, on real descriptors.

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::time::Duration;

use eventctx::{
    Descriptor, Event, EventContext, EventToken, EventType, Timer, TriggeredEvent, WaitContext,
};

mod support;
#[cfg(unix)]
use support::pipe;
use support::{stream_pair, tcp_pair};

const NOW: Duration = Duration::ZERO;

fn only<T: EventToken + Copy>(events: &[TriggeredEvent<T>]) -> TriggeredEvent<T> {
    assert_eq!(events.len(), 1, "expected exactly one event");
    events[0]
}

#[test]
fn new_context_has_nothing_to_report() -> io::Result<()> {
    let ctx: EventContext<u32> = EventContext::new()?;
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    Ok(())
}

/// `modify` of a descriptor that is not open is the platform's "bad descriptor" error on every
/// back-end, as `add` and `delete` are: the descriptor is checked before the context's own
/// table, which would say "not watched" (`ENOENT`).
#[test]
fn modify_of_a_closed_descriptor_is_a_bad_descriptor() -> io::Result<()> {
    let ctx: EventContext<u32> = EventContext::new()?;
    let closed = Descriptor(support::closed_descriptor()?);
    for (call, result) in [
        ("add", ctx.add(&closed, 1)),
        ("modify", ctx.modify(&closed, EventType::Read, 1)),
        ("delete", ctx.delete(&closed)),
    ] {
        let error = result.expect_err(call);
        assert_eq!(
            error.raw_os_error(),
            Some(support::BAD_DESCRIPTOR),
            "{error}"
        );
    }
    Ok(())
}

#[test]
fn add_reports_readable_with_its_token() -> io::Result<()> {
    let (mut a, b) = stream_pair()?;
    let ctx: EventContext<u64> = EventContext::new()?;
    ctx.add(&b, 42)?;
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    a.write_all(b"x")?;
    let event = only(&ctx.wait()?);
    assert_eq!(event.token, 42);
    assert!(event.is_readable && !event.is_writable && !event.is_hungup && !event.is_error);
    Ok(())
}

#[test]
fn level_triggered_events_repeat_until_consumed() -> io::Result<()> {
    let (mut a, mut b) = stream_pair()?;
    let ctx: EventContext<u8> = EventContext::new()?;
    ctx.add(&b, 1)?;
    a.write_all(b"abc")?;
    for _ in 0..3 {
        assert_eq!(only(&ctx.wait_timeout(NOW)?).token, 1);
    }
    let mut buf = [0; 3];
    b.read_exact(&mut buf)?;
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    Ok(())
}

#[test]
fn build_with_and_add_many_add_every_pair() -> io::Result<()> {
    let events: Vec<Event> = (0..4).map(|_| Event::new()).collect::<io::Result<_>>()?;
    let ctx = EventContext::build_with(&[(&events[0], 0u32), (&events[1], 1)])?;
    ctx.add_many(&[(&events[2], 2), (&events[3], 3)])?;
    for e in &events {
        e.signal()?;
    }
    let mut seen: Vec<u32> = ctx.wait()?.iter().map(|e| e.token).collect();
    seen.sort();
    assert_eq!(seen, [0, 1, 2, 3]);
    Ok(())
}

#[test]
fn add_many_stops_at_the_first_error_and_keeps_what_it_added() -> io::Result<()> {
    let (a, b, c) = (Event::new()?, Event::new()?, Event::new()?);
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add(&b, 9)?;
    let err = ctx.add_many(&[(&a, 1), (&b, 2), (&c, 3)]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    a.signal()?;
    c.signal()?;
    assert_eq!(
        only(&ctx.wait_timeout(NOW)?).token,
        1,
        "c after the failure is not added"
    );
    Ok(())
}

#[test]
fn build_with_returns_the_error_instead_of_a_context() {
    let event = Event::new().unwrap();
    let err = EventContext::build_with(&[(&event, 1u8), (&event, 2)]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
}

#[test]
fn more_than_sixteen_ready_are_all_reported_over_repeated_waits() -> io::Result<()> {
    const N: usize = 100;
    let events: Vec<Event> = (0..N).map(|_| Event::new()).collect::<io::Result<_>>()?;
    let ctx: EventContext<usize> = EventContext::new()?;
    for (i, e) in events.iter().enumerate() {
        ctx.add(e, i)?;
        e.signal()?;
    }
    // Without consuming anything, repeated waits still cover every ready descriptor.
    // The kernel moves each reported descriptor to the back of its ready list, so the first
    // N / 16 batches hold no repeat, and N.div_ceil(16) batches cover all of them.
    let mut seen = HashSet::new();
    for round in 0..N.div_ceil(16) {
        let batch = ctx.wait()?;
        assert_eq!(batch.len(), 16, "every batch is full while 100 are ready");
        for e in &batch {
            let new = seen.insert(e.token);
            assert!(
                new || round == N / 16,
                "token {} repeated in round {round}",
                e.token
            );
        }
    }
    assert_eq!(seen.len(), N, "some ready descriptor was starved");
    // Consuming as they come drains them all.
    let mut left = N;
    while left > 0 {
        for e in ctx.wait_timeout(NOW)? {
            events[e.token].reset()?;
            left -= 1;
        }
    }
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    Ok(())
}

#[test]
fn write_readiness_follows_buffer_space() -> io::Result<()> {
    let (mut a, _b) = stream_pair()?;
    a.set_nonblocking(true)?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add_for_event(&a, EventType::Write, 7)?;
    let event = only(&ctx.wait_timeout(NOW)?);
    assert!(event.is_writable && !event.is_readable);
    // Fill the socket buffer: it stops being writable.
    let chunk = [0u8; 65536];
    loop {
        match a.write(&chunk) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    Ok(())
}

/// Unix only: under wine, AFD reports the event that completed the poll (here the data), and
/// the socket's room to write on a later wait.
#[cfg(unix)]
#[test]
fn read_write_interest_reports_both() -> io::Result<()> {
    let (mut a, b) = stream_pair()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add_for_event(&b, EventType::ReadWrite, 3)?;
    a.write_all(b"x")?;
    let event = only(&ctx.wait()?);
    assert!(event.is_readable && event.is_writable);
    Ok(())
}

#[cfg(unix)]
#[test]
fn pipe_writer_closing_hangs_up_the_reader() -> io::Result<()> {
    let (r, w) = pipe()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add(&r, 1)?;
    drop(w);
    let event = only(&ctx.wait()?);
    assert!(event.is_hungup);
    // The documented handling: delete it, and the waits stop reporting it.
    ctx.delete(&r)?;
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    Ok(())
}

#[cfg(unix)]
#[cfg_attr(
    not(eventctx_hangups_unasked),
    ignore = "kqueue: a descriptor watched for nothing reports nothing, hang-ups included"
)]
#[test]
fn pipe_reader_closing_is_an_error_on_the_writer() -> io::Result<()> {
    let (r, w) = pipe()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    // Watching for nothing still reports the error condition.
    ctx.add_for_event(&w, EventType::None, 1)?;
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    drop(r);
    let event = only(&ctx.wait()?);
    assert!(event.is_error, "{event:?}");
    Ok(())
}

/// A TCP peer that closes sends a FIN: from this side that is a half-close (readable, read
/// closed), not a hang-up, as crosvm reports it.
#[test]
fn socket_peer_close_is_a_read_close() -> io::Result<()> {
    let (client, server) = tcp_pair()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add(&server, 1)?;
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    drop(client);
    let event = only(&ctx.wait()?);
    assert!(
        event.is_readable && event.is_read_closed && !event.is_hungup,
        "{event:?}"
    );
    assert_eq!((&server).read(&mut [0u8; 8])?, 0);
    Ok(())
}

/// Unix only for the last step: AFD reports the peer's FIN, not a connection shut down both
/// ways (`tests/half_close.rs` checks the FIN everywhere).
#[cfg(unix)]
#[test]
fn socket_peer_shutdown_write_is_a_read_close() -> io::Result<()> {
    let (client, server) = tcp_pair()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add(&server, 1)?;
    client.shutdown(Shutdown::Write)?;
    let event = only(&ctx.wait()?);
    assert!(event.is_read_closed && !event.is_hungup, "{event:?}");
    // The other direction still works: the peer only stopped writing.
    (&server).write_all(b"still here")?;
    // Once this side shuts down its writing side too, the connection is hung up.
    server.shutdown(Shutdown::Write)?;
    let event = only(&ctx.wait()?);
    assert!(event.is_hungup && event.is_read_closed, "{event:?}");
    Ok(())
}

/// Write interest alone does not ask for the peer's half-close.
#[test]
fn write_interest_does_not_report_a_half_close() -> io::Result<()> {
    let (client, server) = tcp_pair()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add_for_event(&server, EventType::Write, 1)?;
    client.shutdown(Shutdown::Write)?;
    std::thread::sleep(Duration::from_millis(20));
    let event = only(&ctx.wait()?);
    assert!(
        event.is_writable && !event.is_read_closed && !event.is_readable,
        "{event:?}"
    );
    Ok(())
}

/// Unix only: a Unix socket's close is a hang-up; a TCP close (the Windows stream) is a FIN.
#[cfg(unix)]
#[test]
fn data_then_close_reports_readable_and_hungup() -> io::Result<()> {
    let (mut a, b) = stream_pair()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add(&b, 1)?;
    a.write_all(b"last words")?;
    drop(a);
    let event = only(&ctx.wait()?);
    // A Unix stream socket whose peer closed is hung up both ways.
    assert!(
        event.is_readable && event.is_hungup && event.is_read_closed,
        "{event:?}"
    );
    Ok(())
}

#[test]
fn modify_to_none_mutes_and_back_unmutes() -> io::Result<()> {
    let event = Event::new()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add(&event, 1)?;
    event.signal()?;
    ctx.modify(&event, EventType::None, 1)?;
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    ctx.modify(&event, EventType::Read, 1)?;
    assert_eq!(only(&ctx.wait_timeout(NOW)?).token, 1);
    Ok(())
}

#[test]
fn modify_replaces_the_token() -> io::Result<()> {
    let event = Event::new()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add(&event, 1)?;
    event.signal()?;
    ctx.modify(&event, EventType::Read, 2)?;
    assert_eq!(only(&ctx.wait()?).token, 2);
    Ok(())
}

#[test]
fn add_for_event_none_then_modify_to_read() -> io::Result<()> {
    let event = Event::new()?;
    event.signal()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add_for_event(&event, EventType::None, 5)?;
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    ctx.modify(&event, EventType::Read, 6)?;
    assert_eq!(only(&ctx.wait()?).token, 6);
    Ok(())
}

#[test]
fn delete_stops_reports_and_allows_adding_again() -> io::Result<()> {
    let event = Event::new()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add(&event, 1)?;
    event.signal()?;
    ctx.delete(&event)?;
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    ctx.add(&event, 2)?;
    assert_eq!(only(&ctx.wait()?).token, 2);
    Ok(())
}

/// Unix only: Windows gives a closed handle's value at once to the next object any thread
/// makes, and the tests here run in parallel, so a signaled `Event` of another test may take
/// it (a context cannot tell; its docs say to delete before closing). `tests/windows.rs`
/// closes watched handles with its tests run one at a time.
#[cfg(unix)]
#[test]
fn a_closed_descriptor_is_no_longer_reported() -> io::Result<()> {
    let event = Event::new()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add(&event, 1)?;
    event.signal()?;
    drop(event);
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    Ok(())
}

/// Unix only: a Windows context watches a handle value, not the object behind it.
#[cfg(unix)]
#[test]
fn a_duplicated_descriptor_stays_watched_after_the_original_closes() -> io::Result<()> {
    let event = Event::new()?;
    let copy = event.try_clone()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add(&event, 1)?;
    drop(event);
    copy.signal()?;
    // The kernel watches the open file, which `copy` keeps alive.
    assert_eq!(only(&ctx.wait_timeout(NOW)?).token, 1);
    Ok(())
}

#[cfg(unix)]
#[test]
fn contexts_nest() -> io::Result<()> {
    let event = Event::new()?;
    let inner: EventContext<u32> = EventContext::build_with(&[(&event, 1)])?;
    let outer: WaitContext<u32> = WaitContext::build_with(&[(&inner, 100)])?;
    assert!(outer.wait_timeout(NOW)?.is_empty());
    event.signal()?;
    assert_eq!(only(&outer.wait()?).token, 100);
    assert_eq!(only(&inner.wait()?).token, 1);
    Ok(())
}

#[test]
fn timers_and_events_are_watched_like_any_descriptor() -> io::Result<()> {
    let mut timer = Timer::new()?;
    let ctx: WaitContext<u32> = WaitContext::new()?;
    ctx.add(&timer, 9)?;
    timer.reset_oneshot(Duration::from_millis(1))?;
    assert_eq!(only(&ctx.wait()?).token, 9);
    assert!(!timer.mark_waited()?);
    assert!(ctx.wait_timeout(NOW)?.is_empty());
    Ok(())
}

#[cfg(unix)]
#[test]
fn std_types_pass_as_descriptors() -> io::Result<()> {
    use std::os::fd::{AsFd, OwnedFd};
    use std::process::{Command, Stdio};
    let ctx: WaitContext<u32> = WaitContext::new()?;
    let (a, b) = stream_pair()?;
    let owned = OwnedFd::from(a);
    ctx.add(&owned, 1)?;
    ctx.add(&b.as_fd(), 2)?;
    let (client, _server) = tcp_pair()?;
    ctx.add(&client, 3)?;
    let udp = std::net::UdpSocket::bind("127.0.0.1:0")?;
    ctx.add(&udp, 4)?;
    let mut child = Command::new("echo")
        .arg("hello")
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().expect("piped");
    ctx.add(&stdout, 5)?;
    let event = only(&ctx.wait()?);
    assert_eq!(event.token, 5);
    child.wait()?;
    Ok(())
}

#[test]
fn wait_context_forwards_every_method() -> io::Result<()> {
    let (a, b) = (Event::new()?, Event::new()?);
    let ctx = WaitContext::build_with(&[(&a, 1u16)])?;
    ctx.add_many(&[(&b, 2)])?;
    let c = Event::new()?;
    ctx.add_for_event(&c, EventType::ReadWrite, 3)?;
    let d = Event::new()?;
    ctx.add(&d, 4)?;
    ctx.modify(&d, EventType::Read, 5)?;
    ctx.delete(&a)?;
    for e in [&a, &b, &d] {
        e.signal()?;
    }
    let mut tokens: Vec<u16> = ctx.wait()?.iter().map(|e| e.token).collect();
    tokens.sort();
    // c is always writable on Unix (an eventfd counter has room); a Windows event object is
    // "writable" only when signaled, as crosvm reports it.
    #[cfg(unix)]
    assert_eq!(tokens, [2, 3, 5]);
    #[cfg(windows)]
    assert_eq!(tokens, [2, 5]);
    Ok(())
}

#[test]
fn unit_tokens_work() -> io::Result<()> {
    let event = Event::new()?;
    let ctx: EventContext<()> = EventContext::build_with(&[(&event, ())])?;
    event.signal()?;
    assert_eq!(ctx.wait()?.len(), 1);
    Ok(())
}

#[test]
fn derived_tokens_come_back_from_the_kernel() -> io::Result<()> {
    #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
    enum Token {
        Quit,
        Client(u32),
        Offset { delta: i64 },
    }
    let (q, c, o) = (Event::new()?, Event::new()?, Event::new()?);
    let ctx = WaitContext::build_with(&[
        (&q, Token::Quit),
        (&c, Token::Client(u32::MAX)),
        (&o, Token::Offset { delta: -5 }),
    ])?;
    for (event, token) in [
        (&q, Token::Quit),
        (&c, Token::Client(u32::MAX)),
        (&o, Token::Offset { delta: -5 }),
    ] {
        event.signal()?;
        assert_eq!(only(&ctx.wait()?).token, token);
        event.reset()?;
    }
    Ok(())
}

#[test]
fn wait_into_reports_a_whole_batch_in_one_call_and_replaces_it_next_time() -> io::Result<()> {
    use eventctx::Events;
    const N: usize = 300;
    let events: Vec<Event> = (0..N).map(|_| Event::new()).collect::<io::Result<_>>()?;
    let ctx: EventContext<usize> = EventContext::new()?;
    for (i, e) in events.iter().enumerate() {
        ctx.add(e, i)?;
        e.signal()?;
    }
    let mut buf = Events::with_capacity(1024);
    assert_eq!(ctx.wait_into(&mut buf, None)?, N);
    let mut tokens: Vec<usize> = buf.iter().map(|e| e.token).collect();
    tokens.sort();
    assert_eq!(tokens, (0..N).collect::<Vec<_>>());
    assert!(buf.iter().all(|e| e.is_readable && !e.is_hungup));

    // A smaller buffer gets at most its capacity; over repeated waits, every one of them.
    let mut small = Events::with_capacity(64);
    let mut seen = HashSet::new();
    for _ in 0..N.div_ceil(64) {
        assert_eq!(ctx.wait_into(&mut small, None)?, 64);
        seen.extend(small.iter().map(|e| e.token));
    }
    assert_eq!(seen.len(), N);

    // The next wait replaces what the buffer held.
    for e in &events {
        e.reset()?;
    }
    events[7].signal()?;
    assert_eq!(ctx.wait_into(&mut buf, Some(NOW))?, 1);
    assert_eq!(buf.len(), 1);
    assert_eq!(buf.iter().next().map(|e| e.token), Some(7));
    events[7].reset()?;
    assert_eq!(ctx.wait_into(&mut buf, Some(NOW))?, 0);
    assert!(buf.is_empty());
    Ok(())
}
