//! `echo`: the echo example's server against the same server written on mio, under the same
//! load (client threads on loopback doing request/response round trips).

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// The echo example's server, from the example's own package.
use eventctx_echo::server::{self as eventctx_server, Pending, ServerConfig};

pub const MESSAGE: usize = 64;

/// Runs `clients` threads against the server at `addr` for `duration`; returns requests/s.
fn load(addr: SocketAddr, clients: usize, duration: Duration) -> io::Result<f64> {
    let start = Instant::now();
    let deadline = start + duration;
    let threads: Vec<_> = (0..clients)
        .map(|id| {
            thread::spawn(move || -> io::Result<u64> {
                let mut stream = TcpStream::connect(addr)?;
                stream.set_nodelay(true)?;
                stream.set_read_timeout(Some(Duration::from_secs(10)))?;
                let message = [id as u8; MESSAGE];
                let mut echo = [0u8; MESSAGE];
                let mut n = 0;
                while Instant::now() < deadline {
                    stream.write_all(&message)?;
                    stream.read_exact(&mut echo)?;
                    if echo != message {
                        return Err(io::Error::other("echo differs from the message"));
                    }
                    n += 1;
                }
                Ok(n)
            })
        })
        .collect();
    let mut total = 0;
    for t in threads {
        total += t.join().expect("client panicked")?;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
}

/// Requests per second through the eventctx server.
pub fn eventctx(clients: usize, duration: Duration) -> io::Result<f64> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let shutdown = eventctx::Event::new()?;
    let stop = shutdown.try_clone()?;
    let server = eventctx_server::Server::new(listener, shutdown, None, ServerConfig::default())?;
    let server = thread::spawn(move || server.run());
    let rps = load(addr, clients, duration);
    stop.signal()?;
    server.join().expect("server panicked")?;
    rps
}

/// Requests per second through the mio server.
pub fn mio(clients: usize, duration: Duration) -> io::Result<f64> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let poll = mio::Poll::new()?;
    let waker = std::sync::Arc::new(mio::Waker::new(poll.registry(), WAKER)?);
    let server = MioServer {
        poll,
        listener: mio::net::TcpListener::from_std(listener),
    };
    let server = thread::spawn(move || server.run());
    let rps = load(addr, clients, duration);
    waker.wake()?;
    server.join().expect("server panicked")?;
    rps
}

const LISTENER: mio::Token = mio::Token(0);
const WAKER: mio::Token = mio::Token(1);
const FIRST_CLIENT: usize = 2;

struct MioServer {
    poll: mio::Poll,
    listener: mio::net::TcpListener,
}

struct MioConnection {
    stream: mio::net::TcpStream,
    pending: Pending,
}

impl MioServer {
    /// The same loop as the example's server, in mio's edge-triggered style: every readiness
    /// is drained until `WouldBlock`, since it will not be reported again.
    fn run(mut self) -> io::Result<()> {
        let registry = self.poll.registry().try_clone()?;
        registry.register(&mut self.listener, LISTENER, mio::Interest::READABLE)?;
        let mut events = mio::Events::with_capacity(16);
        let mut conns: Vec<Option<MioConnection>> = Vec::new();
        let mut free: Vec<usize> = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            self.poll.poll(&mut events, None)?;
            for event in events.iter() {
                match event.token() {
                    LISTENER => loop {
                        let mut stream = match self.listener.accept() {
                            Ok((s, _)) => s,
                            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                            Err(e) => return Err(e),
                        };
                        stream.set_nodelay(true)?;
                        let id = free.pop().unwrap_or_else(|| {
                            conns.push(None);
                            conns.len() - 1
                        });
                        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
                        registry.register(&mut stream, mio::Token(FIRST_CLIENT + id), interest)?;
                        conns[id] = Some(MioConnection {
                            stream,
                            pending: Pending::default(),
                        });
                    },
                    WAKER => return Ok(()),
                    mio::Token(token) => {
                        let id = token - FIRST_CLIENT;
                        let Some(conn) = conns[id].as_mut() else {
                            continue;
                        };
                        let mut open = conn.pending.flush(&mut conn.stream)?;
                        while open && event.is_readable() {
                            match conn.stream.read(&mut buf) {
                                Ok(0) => open = false,
                                Ok(n) => {
                                    open =
                                        conn.pending.write_through(&mut conn.stream, &buf[..n])?;
                                }
                                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                                Err(_) => open = false,
                            }
                        }
                        if !open {
                            let mut conn = conns[id].take().expect("open");
                            registry.deregister(&mut conn.stream)?;
                            free.push(id);
                        }
                    }
                }
            }
        }
    }
}
