//! A peer's half-close is reported as crosvm reports it: readable, with `is_read_closed`, and
//! never `is_hungup`. A loop written the crosvm way, which deletes a descriptor on `is_hungup`
//! before it reads, therefore loses no byte when the peer only stops writing; a full hang-up
//! still sets `is_hungup`.

use std::io::{self, Read, Write};
use std::net::Shutdown;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::time::Duration;

use eventctx::{AsRawDescriptor, EventContext, EventToken};

mod support;
use support::tcp_pair;

#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Token {
    Peer,
}

/// What the crosvm-style loop saw: the bytes it read, and how it ended.
#[derive(Debug, PartialEq)]
enum End {
    /// `is_hungup` was reported, and the loop deleted the descriptor without reading.
    HungUp,
    /// A read returned 0.
    EndOfStream,
}

/// The shape of a crosvm worker loop: on each event, a hang-up deletes the descriptor at once,
/// before anything is read; otherwise one small read (2 bytes, so that the data takes several
/// rounds, as a device queue with little room would). Gives up after 5 s without an event.
fn crosvm_style_loop(
    stream: &mut impl Read,
    fd: &dyn AsRawDescriptor,
) -> io::Result<(Vec<u8>, End)> {
    let ctx = EventContext::build_with(&[(fd, Token::Peer)])?;
    let mut got = Vec::new();
    loop {
        let events = ctx.wait_timeout(Duration::from_secs(5))?;
        assert!(
            !events.is_empty(),
            "no event within 5 s; read so far: {got:?}"
        );
        for event in events.iter() {
            assert_eq!(event.token, Token::Peer);
            if event.is_hungup {
                ctx.delete(fd)?;
                return Ok((got, End::HungUp));
            }
            if event.is_readable {
                let mut buf = [0u8; 2];
                match stream.read(&mut buf)? {
                    0 => {
                        ctx.delete(fd)?;
                        return Ok((got, End::EndOfStream));
                    }
                    n => got.extend_from_slice(&buf[..n]),
                }
            }
        }
    }
}

#[cfg(unix)]
#[test]
fn unix_stream_half_close_loses_no_byte() -> io::Result<()> {
    let (mut near, mut far) = UnixStream::pair()?;
    far.write_all(b"hello")?;
    far.shutdown(Shutdown::Write)?;
    let fd = near.try_clone()?;
    let (got, end) = crosvm_style_loop(&mut near, &fd)?;
    assert_eq!(got, b"hello");
    assert_eq!(end, End::EndOfStream);
    // The peer still reads what this side writes: it only stopped writing.
    near.write_all(b"ok")?;
    let mut reply = [0u8; 2];
    far.read_exact(&mut reply)?;
    assert_eq!(&reply, b"ok");
    Ok(())
}

#[test]
fn tcp_half_close_loses_no_byte() -> io::Result<()> {
    let (mut client, mut server) = tcp_pair()?;
    client.write_all(b"hello")?;
    client.shutdown(Shutdown::Write)?;
    let fd = server.try_clone()?;
    let (got, end) = crosvm_style_loop(&mut server, &fd)?;
    assert_eq!(got, b"hello");
    assert_eq!(end, End::EndOfStream);
    Ok(())
}

/// A TCP peer that closes its socket sends a FIN, exactly as `shutdown(Write)` does: no byte
/// is lost either.
#[test]
fn tcp_peer_close_after_writing_loses_no_byte() -> io::Result<()> {
    let (mut client, mut server) = tcp_pair()?;
    let payload: Vec<u8> = (0..=255u8).cycle().take(1001).collect();
    client.write_all(&payload)?;
    drop(client);
    let fd = server.try_clone()?;
    let (got, end) = crosvm_style_loop(&mut server, &fd)?;
    assert_eq!(got, payload);
    assert_eq!(end, End::EndOfStream);
    Ok(())
}

#[test]
fn half_close_is_readable_and_read_closed_not_hungup() -> io::Result<()> {
    let (near, far) = support::stream_pair()?;
    let ctx = EventContext::build_with(&[(&near, Token::Peer)])?;
    far.shutdown(Shutdown::Write)?;
    let events = ctx.wait_timeout(Duration::from_secs(5))?;
    assert_eq!(events.len(), 1);
    let event = events[0];
    assert!(event.is_readable, "{event:?}");
    assert!(event.is_read_closed, "{event:?}");
    assert!(!event.is_hungup, "{event:?}");
    assert!(!event.is_error, "{event:?}");
    Ok(())
}

#[cfg(unix)]
#[test]
fn unix_stream_full_close_is_a_hang_up() -> io::Result<()> {
    let (mut near, far) = UnixStream::pair()?;
    let fd = near.try_clone()?;
    drop(far);
    let (got, end) = crosvm_style_loop(&mut near, &fd)?;
    assert!(got.is_empty());
    assert_eq!(end, End::HungUp);
    Ok(())
}

/// Both directions shut down: the kernel reports `EPOLLHUP`, and so `is_hungup`, with
/// `is_read_closed` beside it.
/// Unix only: AFD reports the peer's FIN, not a connection shut down both ways.
#[cfg(unix)]
#[test]
fn tcp_shut_down_both_ways_is_a_hang_up() -> io::Result<()> {
    let (client, server) = tcp_pair()?;
    let ctx = EventContext::build_with(&[(&server, Token::Peer)])?;
    client.shutdown(Shutdown::Write)?;
    server.shutdown(Shutdown::Write)?;
    // The FIN takes a moment on loopback; wait for the hang-up rather than for the first event.
    let mut last = None;
    for _ in 0..50 {
        let events = ctx.wait_timeout(Duration::from_secs(5))?;
        assert_eq!(events.len(), 1);
        last = Some(events[0]);
        if events[0].is_hungup {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let event = last.expect("an event");
    assert!(event.is_hungup && event.is_read_closed, "{event:?}");
    Ok(())
}

/// A hang-up is reported even to a descriptor watched for nothing; a half-close is not.
#[cfg(unix)]
#[cfg_attr(
    not(eventctx_hangups_unasked),
    ignore = "kqueue: a descriptor watched for nothing reports nothing, hang-ups included"
)]
#[test]
fn none_interest_hears_hang_ups_but_not_half_closes() -> io::Result<()> {
    let (near, far) = UnixStream::pair()?;
    let ctx: EventContext<Token> = EventContext::new()?;
    ctx.add_for_event(&near, eventctx::EventType::None, Token::Peer)?;
    far.shutdown(Shutdown::Write)?;
    assert!(ctx.wait_timeout(Duration::from_millis(20))?.is_empty());
    drop(far);
    let events = ctx.wait_timeout(Duration::from_secs(5))?;
    assert_eq!(events.len(), 1);
    assert!(
        events[0].is_hungup && !events[0].is_readable,
        "{:?}",
        events[0]
    );
    Ok(())
}
