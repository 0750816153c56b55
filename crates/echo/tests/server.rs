//! The server alone, in process: a peer that stops reading is closed after the stall timeout,
//! and the other clients are served meanwhile.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use eventctx::Event;
use eventctx_echo::server::{Server, ServerConfig};

#[test]
fn a_peer_that_stops_reading_is_closed_and_the_others_are_served() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let shutdown = Event::new()?;
    let stop = shutdown.try_clone()?;
    let config = ServerConfig {
        stall_timeout: Duration::from_secs(1),
        ..ServerConfig::default()
    };
    let server = Server::new(listener, shutdown, None, config)?;
    let server = thread::spawn(move || server.run());

    // The stalled peer: sends as much as the sockets take and never reads an echo.
    let mut stalled = TcpStream::connect(addr)?;
    stalled.set_nonblocking(true)?;
    let chunk = vec![7u8; 64 * 1024];
    let mut sent = 0;
    let fill_until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < fill_until {
        match stalled.write(&chunk) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(e),
        }
    }
    assert!(sent > 1 << 20, "only {sent} bytes went out");

    // A well-behaved client is served all the while, round trip after round trip.
    let mut good = TcpStream::connect(addr)?;
    good.set_read_timeout(Some(Duration::from_secs(5)))?;
    let start = Instant::now();
    let mut rounds = 0;
    while start.elapsed() < Duration::from_secs(3) {
        good.write_all(b"ping")?;
        let mut back = [0u8; 4];
        good.read_exact(&mut back)?;
        assert_eq!(&back, b"ping");
        rounds += 1;
        thread::sleep(Duration::from_millis(20));
    }
    assert!(rounds > 50, "{rounds} rounds");

    // By now (1 s without progress, when its deadline came) the server has closed the stalled
    // peer: its writes fail, or its reads see the end.
    stalled.set_nonblocking(false)?;
    stalled.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut buf = vec![0u8; 1 << 20];
    let closed = loop {
        match stalled.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => {} // echoes that left before the close
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break true,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break false,
            Err(e) => return Err(e),
        }
    };
    assert!(closed, "the stalled peer was not closed");

    drop(good);
    thread::sleep(Duration::from_millis(50));
    stop.signal()?;
    let stats = server.join().unwrap()?;
    assert_eq!(stats.stalled, 1, "{stats:?}");
    assert_eq!(stats.accepted, 2);
    Ok(())
}

/// A client that sends everything, then shuts down its writing side (a half-close), gets every
/// byte back, and then the server's end-of-file.
#[test]
fn a_half_closed_client_gets_every_byte_back() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let shutdown = Event::new()?;
    let stop = shutdown.try_clone()?;
    let server = Server::new(listener, shutdown, None, ServerConfig::default())?;
    let server = thread::spawn(move || server.run());

    for size in [1usize, 5, 100_000, 3 << 20] {
        let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let mut client = TcpStream::connect(addr)?;
        client.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut reader = client.try_clone()?;
        // Read on another thread while this one writes, so that neither side's buffers stall.
        let echoed = thread::spawn(move || {
            let mut back = Vec::new();
            reader.read_to_end(&mut back).map(|_| back)
        });
        client.write_all(&payload)?;
        client.shutdown(std::net::Shutdown::Write)?;
        let back = echoed.join().unwrap()?;
        assert_eq!(back.len(), payload.len(), "{size} bytes sent");
        assert!(back == payload, "{size} bytes: the echo differs");
    }

    stop.signal()?;
    let stats = server.join().unwrap()?;
    assert_eq!(stats.accepted, 4, "{stats:?}");
    Ok(())
}
