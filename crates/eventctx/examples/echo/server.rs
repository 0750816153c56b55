//! The echo server: one `WaitContext` for the listener, every client, a stats `Timer` and a
//! shutdown `Event`. The benchmark crate compiles this same file to measure it against mio.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use eventctx::{Event, EventToken, EventType, Timer, TriggeredEvent, WaitContext};

#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Token {
    Listener,
    Client(u32),
    Tick,
    Shutdown,
}

/// Stop reading from a client whose echoes are not being taken, past this much buffered.
const MAX_PENDING: usize = 1 << 20;

struct Connection {
    stream: TcpStream,
    /// Echo bytes the socket would not take yet, sent when it becomes writable.
    pending: Vec<u8>,
    interest: EventType,
    /// The peer shut down its writing side: finish the echoes, then close.
    eof: bool,
}

/// What the server did, returned when it shuts down.
#[derive(Default, Debug)]
pub struct ServerStats {
    /// Connections accepted.
    pub accepted: u64,
    /// Connections closed and removed from the context.
    pub hung_up: u64,
    /// Bytes read and echoed.
    pub bytes: u64,
}

/// The server; [`run`](Server::run) serves until the shutdown event is signaled.
pub struct Server {
    ctx: WaitContext<Token>,
    listener: TcpListener,
    tick: Timer,
    shutdown: Event,
    connections: Vec<Option<Connection>>,
    free: Vec<u32>,
    stats: ServerStats,
    /// For the stats line's echoes per second; `None` prints no stats line.
    message_size: Option<usize>,
    buf: Vec<u8>,
}

impl Server {
    /// A server on `listener` that stops when `shutdown` is signaled. With `message_size`, it
    /// prints a stats line every second.
    pub fn new(
        listener: TcpListener,
        shutdown: Event,
        message_size: Option<usize>,
    ) -> io::Result<Server> {
        listener.set_nonblocking(true)?;
        let mut tick = Timer::new()?;
        tick.reset_repeating(Duration::from_secs(1))?;
        let ctx = WaitContext::build_with(&[
            (&listener, Token::Listener),
            (&tick, Token::Tick),
            (&shutdown, Token::Shutdown),
        ])?;
        Ok(Server {
            ctx,
            listener,
            tick,
            shutdown,
            connections: Vec::new(),
            free: Vec::new(),
            stats: ServerStats::default(),
            message_size,
            buf: vec![0; 64 * 1024],
        })
    }

    /// Serves until shut down; closes every connection that is left, and returns the stats.
    pub fn run(mut self) -> io::Result<ServerStats> {
        let started = Instant::now();
        let mut last_bytes = 0;
        loop {
            for event in self.ctx.wait()? {
                match event.token {
                    Token::Listener => self.accept()?,
                    Token::Client(id) => self.serve(id, event)?,
                    Token::Tick => {
                        self.tick.mark_waited()?;
                        let Some(message_size) = self.message_size else {
                            continue;
                        };
                        let bytes = self.stats.bytes - last_bytes;
                        last_bytes = self.stats.bytes;
                        let open = self.connections.iter().flatten().count();
                        println!(
                            "[{:>4.1} s] {open} connections, {} echoes/s, {:.1} MiB/s",
                            started.elapsed().as_secs_f64(),
                            bytes / message_size as u64,
                            bytes as f64 / (1 << 20) as f64
                        );
                    }
                    Token::Shutdown => {
                        self.shutdown.reset()?;
                        // Close every connection that is left: clients see end-of-file.
                        for id in 0..self.connections.len() as u32 {
                            self.close(id)?;
                        }
                        return Ok(self.stats);
                    }
                }
            }
        }
    }

    fn accept(&mut self) -> io::Result<()> {
        loop {
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                // A connection reset before it was accepted: nothing to serve.
                Err(e) if e.kind() == ErrorKind::ConnectionAborted => continue,
                Err(e) => return Err(e),
            };
            stream.set_nonblocking(true)?;
            stream.set_nodelay(true)?;
            let id = match self.free.pop() {
                Some(id) => id,
                None => {
                    self.connections.push(None);
                    (self.connections.len() - 1) as u32
                }
            };
            self.ctx.add(&stream, Token::Client(id))?;
            self.connections[id as usize] = Some(Connection {
                stream,
                pending: Vec::new(),
                interest: EventType::Read,
                eof: false,
            });
            self.stats.accepted += 1;
        }
    }

    fn serve(&mut self, id: u32, event: TriggeredEvent<Token>) -> io::Result<()> {
        let Some(conn) = self.connections[id as usize].as_mut() else {
            return Ok(()); // closed earlier in this batch
        };
        let mut open = true;
        // After the peer's end-of-file only writing is left: a hang-up or error then means
        // the rest cannot be delivered, which the write attempt finds out.
        if event.is_writable || (conn.eof && (event.is_hungup || event.is_error)) {
            open = flush(&mut conn.stream, &mut conn.pending)?;
        }
        // A hang-up may come with data still to read: read first, and stop on end-of-file.
        if open && !conn.eof && (event.is_readable || event.is_hungup || event.is_error) {
            match conn.stream.read(&mut self.buf) {
                Ok(0) => conn.eof = true,
                Ok(n) => {
                    self.stats.bytes += n as u64;
                    conn.pending.extend_from_slice(&self.buf[..n]);
                    open = flush(&mut conn.stream, &mut conn.pending)?;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => open = false, // reset by the peer, or another socket error
            }
        }
        // The peer is done sending and has every echo: the conversation is over.
        if !open || (conn.eof && conn.pending.is_empty()) {
            return self.close(id);
        }
        // Watch for room to write while echoes wait, and stop reading when too many do (or
        // when there is nothing more to read).
        let interest = match conn.pending.len() {
            _ if conn.eof => EventType::Write,
            0 => EventType::Read,
            n if n < MAX_PENDING => EventType::ReadWrite,
            _ => EventType::Write,
        };
        if interest != conn.interest {
            self.ctx.modify(&conn.stream, interest, Token::Client(id))?;
            conn.interest = interest;
        }
        Ok(())
    }

    fn close(&mut self, id: u32) -> io::Result<()> {
        if let Some(conn) = self.connections[id as usize].take() {
            // Deleted before it is dropped: a hung-up socket left in the context would be
            // reported by every wait.
            self.ctx.delete(&conn.stream)?;
            self.free.push(id);
            self.stats.hung_up += 1;
        }
        Ok(())
    }
}

/// Writes what is pending, as far as the socket takes it without blocking; what it does not
/// take stays in `pending`. `false` if the connection is broken. (The benchmark's mio server
/// uses this too, so both servers do the same work.)
pub fn flush(stream: &mut impl Write, pending: &mut Vec<u8>) -> io::Result<bool> {
    while !pending.is_empty() {
        match stream.write(pending) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                pending.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Ok(false),
        }
    }
    Ok(true)
}
