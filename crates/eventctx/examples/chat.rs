//! A line-based chat server: every line a client sends goes to every other client.
//!
//! ```text
//! cargo run --example chat -- --listen 127.0.0.1:7878    # then: nc 127.0.0.1 7878 (twice)
//! cargo run --example chat -- --self-check               # what CI runs: checks itself
//! ```
//!
//! One thread, one `WaitContext`, level-triggered, and the patterns a server needs:
//!
//! - Sockets are non-blocking: a wait says what *was* ready, and `WouldBlock` means "wait
//!   again".
//! - Output is queued per client, and **write interest is on only while the queue is not
//!   empty** (a socket with room is writable at almost every wait: left on, it is a busy loop).
//! - Queues are bounded: a client that does not read fast enough is dropped, so that one slow
//!   reader cannot make the server hold everyone's lines without end.
//! - A line longer than `MAX_LINE` is refused and its client dropped, however the line's bytes
//!   were split across reads.
//! - A client that sends no line for `--idle-timeout` is closed; every client's deadline is in
//!   one `Deadlines`, moved lazily (only when it comes due is the last line looked at).
//! - Out of descriptors, the client whose last line is oldest is closed to make room for the
//!   newcomer, if it sent none for a second (a crowd that connects and says nothing cannot
//!   lock others out); if none qualifies, the listener is muted (`EventType::None`) until a
//!   client leaves or a 100 ms `Timer` fires, instead of spinning on `EMFILE`, and that is
//!   said once per episode.
//! - A stats `Timer` reports once a second, only when something changed.
//! - `SIGINT` or `SIGTERM` (through `Signals`): stop accepting, tell every client, flush what
//!   the sockets take within 2 s, close, and exit 0.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use eventctx::{
    Deadlines, EventToken, EventType, ProcessExit, Signals, Timer, WaitContext, signal,
};

const USAGE: &str = "\
usage: chat [--listen ADDR] [--backlog N] [--idle-timeout SECS] [--max-queue BYTES] [--self-check]
  --listen ADDR      where to listen, host:port (default 127.0.0.1:7878)
  --backlog N        listen backlog (default 1024; the kernel caps it; Unix only)
  --idle-timeout SECS  close a client that sends no line for this long (default 600);
                     out of descriptors, the client whose last line is oldest is closed for
                     a newcomer, if it sent none for a second
  --max-queue BYTES  output a client may have waiting before it is dropped (default 65536)
  --self-check       run clients against the server: five that chat and check every line,
                     one that never reads and must be dropped; then SIGTERM to itself";

/// The longest line a client may send, newline included.
const MAX_LINE: usize = 4096;
/// How long shutdown waits for clients to take their last lines.
const FLUSH_GRACE: Duration = Duration::from_secs(2);
/// Out of descriptors, a client that sent no line for this long may be closed for a newcomer.
const EVICTABLE_IDLE: Duration = Duration::from_secs(1);

#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Token {
    Listener,
    Signal,
    Stats,
    Backoff,
    Timeouts,
    Client(u32),
}

struct Client {
    stream: TcpStream,
    /// Bytes of a line not finished yet.
    partial: Vec<u8>,
    /// Output not yet taken by the socket.
    out: VecDeque<u8>,
    /// Whether the context watches it for writable (exactly while `out` is not empty).
    writing: bool,
    /// When it last sent a complete line (or connected).
    last_line: Instant,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Stats {
    accepted: u64,
    lines: u64,
    dropped_slow: u64,
    dropped_long: u64,
    left: u64,
    idle_closed: u64,
    evicted: u64,
}

struct Server {
    ctx: WaitContext<Token>,
    listener: TcpListener,
    clients: Vec<Option<Client>>,
    max_queue: usize,
    accepting: bool,
    /// Whether this run out of descriptors was reported already.
    paused_reported: bool,
    backoff: Timer,
    /// Each client's idle deadline, keyed by its id.
    timeouts: Deadlines<usize>,
    idle_timeout: Duration,
    stats: Stats,
}

impl Server {
    fn new(
        listener: TcpListener,
        signals: &Signals,
        stats: &Timer,
        max_queue: usize,
        idle_timeout: Duration,
    ) -> io::Result<Server> {
        listener.set_nonblocking(true)?;
        let backoff = Timer::new()?;
        let timeouts = Deadlines::new()?;
        let ctx = WaitContext::build_with(&[
            (&listener, Token::Listener),
            (signals, Token::Signal),
            (stats, Token::Stats),
            (&backoff, Token::Backoff),
            (&timeouts, Token::Timeouts),
        ])?;
        Ok(Server {
            ctx,
            listener,
            clients: Vec::new(),
            max_queue,
            accepting: true,
            paused_reported: false,
            backoff,
            timeouts,
            idle_timeout,
            stats: Stats::default(),
        })
    }

    fn accept(&mut self) -> io::Result<()> {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(true)?;
                    let id = match self.clients.iter().position(Option::is_none) {
                        Some(free) => free,
                        None => {
                            self.clients.push(None);
                            self.clients.len() - 1
                        }
                    };
                    self.ctx.add(&stream, Token::Client(id as u32))?;
                    let now = Instant::now();
                    self.clients[id] = Some(Client {
                        stream,
                        partial: Vec::new(),
                        out: VecDeque::new(),
                        writing: false,
                        last_line: now,
                    });
                    self.timeouts.insert(id, now + self.idle_timeout);
                    self.stats.accepted += 1;
                    self.send(id, format!("* welcome, you are client {id}\n").as_bytes())?;
                    self.broadcast(id, format!("* client {id} joined\n").as_bytes())?;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.paused_reported = false; // the queue is drained: the episode is over
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::ConnectionAborted => {}
                Err(e) if is_out_of_descriptors(&e) && self.evict()? => {}
                Err(e) => {
                    // EMFILE and friends: the listener would stay readable and every wait would
                    // report it at once. Mute it until a client leaves or 100 ms pass; say so
                    // once per episode (it ends when an accept finds the queue empty).
                    if !self.paused_reported {
                        eprintln!("chat: accept: {e}; pausing accepts until a client leaves");
                        self.paused_reported = true;
                    }
                    self.ctx
                        .modify(&self.listener, EventType::None, Token::Listener)?;
                    self.accepting = false;
                    self.backoff.reset_oneshot(Duration::from_millis(100))?;
                    return Ok(());
                }
            }
        }
    }

    fn resume_accepting(&mut self) -> io::Result<()> {
        if !self.accepting {
            self.ctx
                .modify(&self.listener, EventType::Read, Token::Listener)?;
            self.accepting = true;
        }
        Ok(())
    }

    /// Queues `bytes` for client `id` and writes what the socket takes now. A client whose
    /// queue would pass the bound is dropped.
    fn send(&mut self, id: usize, bytes: &[u8]) -> io::Result<()> {
        let Some(client) = self.clients[id].as_mut() else {
            return Ok(());
        };
        if client.out.len() + bytes.len() > self.max_queue {
            self.stats.dropped_slow += 1;
            self.close(id)?;
            return self.broadcast(id, format!("* client {id} dropped: too slow\n").as_bytes());
        }
        client.out.extend(bytes);
        self.flush(id)
    }

    /// Writes what the socket takes, and watches for writable exactly while output waits.
    fn flush(&mut self, id: usize) -> io::Result<()> {
        let Some(client) = self.clients[id].as_mut() else {
            return Ok(());
        };
        while !client.out.is_empty() {
            let (front, _) = client.out.as_slices();
            match client.stream.write(front) {
                Ok(n) => {
                    client.out.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return self.leave(id), // reset, broken pipe: the client is gone
            }
        }
        let want_write = !client.out.is_empty();
        if want_write != client.writing {
            let interest = if want_write {
                EventType::ReadWrite
            } else {
                EventType::Read
            };
            self.ctx
                .modify(&client.stream, interest, Token::Client(id as u32))?;
            client.writing = want_write;
        }
        if client.out.capacity() > 4 * MAX_LINE && client.out.is_empty() {
            client.out = VecDeque::new(); // an idle client gives its burst's memory back
        }
        Ok(())
    }

    /// Sends `bytes` to every client but `from`.
    fn broadcast(&mut self, from: usize, bytes: &[u8]) -> io::Result<()> {
        for id in 0..self.clients.len() {
            if id != from && self.clients[id].is_some() {
                self.send(id, bytes)?;
            }
        }
        Ok(())
    }

    /// Reads what client `id` sent, and broadcasts each complete line. A read of 0 (the
    /// client closed, or shut down its writing side) ends it, after the lines before it.
    fn read(&mut self, id: usize) -> io::Result<()> {
        let mut buf = [0u8; 16 * 1024];
        let Some(client) = self.clients[id].as_mut() else {
            return Ok(());
        };
        let n = match client.stream.read(&mut buf) {
            Ok(0) => return self.leave(id),
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                return Ok(());
            }
            Err(_) => return self.leave(id),
        };
        // Complete lines, each held to MAX_LINE however its bytes came: a line that was short
        // when the last read ended and long when this one brought its newline is as long as
        // one that came in a single read.
        let before = client.partial.len();
        client.partial.extend_from_slice(&buf[..n]);
        let mut lines = Vec::new();
        let mut too_long = false;
        let mut start = 0;
        for (i, &b) in client.partial.iter().enumerate().skip(before) {
            if b == b'\n' {
                too_long |= i + 1 - start > MAX_LINE;
                lines.push(start..i + 1);
                start = i + 1;
            }
        }
        let lines: Vec<Vec<u8>> = lines
            .into_iter()
            .map(|r| client.partial[r].to_vec())
            .collect();
        client.partial.drain(..start);
        if !lines.is_empty() {
            client.last_line = Instant::now();
        }
        if too_long || client.partial.len() >= MAX_LINE {
            self.stats.dropped_long += 1;
            self.send(id, b"* line too long; goodbye\n")?;
            self.close(id)?;
            return self.broadcast(
                id,
                format!("* client {id} dropped: line too long\n").as_bytes(),
            );
        }
        for line in lines {
            self.stats.lines += 1;
            let mut message = format!("[{id}] ").into_bytes();
            message.extend_from_slice(&line);
            self.broadcast(id, &message)?;
        }
        Ok(())
    }

    fn leave(&mut self, id: usize) -> io::Result<()> {
        if self.clients[id].is_some() {
            self.stats.left += 1;
            self.close(id)?;
            self.broadcast(id, format!("* client {id} left\n").as_bytes())?;
        }
        Ok(())
    }

    /// Out of descriptors: closes the client whose last line is oldest, if it sent none for
    /// `EVICTABLE_IDLE`, so that the newcomer can be accepted. `false` if none qualifies.
    fn evict(&mut self) -> io::Result<bool> {
        let oldest = self
            .clients
            .iter()
            .enumerate()
            .filter_map(|(id, c)| c.as_ref().map(|c| (id, c.last_line)))
            .min_by_key(|&(_, last)| last);
        match oldest {
            Some((id, last)) if last.elapsed() >= EVICTABLE_IDLE => {
                self.stats.evicted += 1;
                self.send(id, b"* server full and you are quiet; goodbye\n")?;
                self.close(id)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Closes the clients whose idle deadline came and that sent no line since it was set;
    /// the others get a new deadline, counted from their last line.
    fn timeouts_due(&mut self) -> io::Result<()> {
        let now = Instant::now();
        for id in self.timeouts.expired() {
            let Some(client) = &self.clients[id] else {
                continue;
            };
            let due = client.last_line + self.idle_timeout;
            if due > now {
                self.timeouts.insert(id, due);
                continue;
            }
            self.stats.idle_closed += 1;
            self.send(id, b"* idle too long; goodbye\n")?;
            self.close(id)?;
            self.broadcast(id, format!("* client {id} timed out\n").as_bytes())?;
        }
        Ok(())
    }

    fn close(&mut self, id: usize) -> io::Result<()> {
        if let Some(client) = self.clients[id].take() {
            self.timeouts.remove(&id);
            self.ctx.delete(&client.stream)?;
            self.resume_accepting()?; // a descriptor is free again
        }
        Ok(())
    }

    fn connected(&self) -> usize {
        self.clients.iter().flatten().count()
    }

    /// Runs until SIGINT or SIGTERM, then says goodbye and flushes.
    fn run(&mut self, signals: &Signals, stats_timer: &mut Timer, quiet: bool) -> io::Result<()> {
        let mut reported = Stats::default();
        loop {
            for event in self.ctx.wait()?.iter() {
                match event.token {
                    Token::Listener => self.accept()?,
                    Token::Backoff => {
                        self.backoff.mark_waited()?;
                        self.resume_accepting()?;
                    }
                    Token::Timeouts => self.timeouts_due()?,
                    Token::Stats => {
                        stats_timer.mark_waited()?;
                        if self.stats != reported && !quiet {
                            println!("{} connected, {:?}", self.connected(), self.stats);
                            reported = self.stats;
                        }
                    }
                    Token::Signal => {
                        while let Some(info) = signals.read()? {
                            if info.signal == signal::SIGINT || info.signal == signal::SIGTERM {
                                return self.shut_down();
                            }
                        }
                    }
                    Token::Client(id) => {
                        let id = id as usize;
                        if event.is_writable {
                            self.flush(id)?;
                        }
                        // A half-close comes readable with data before it: read it all.
                        if event.is_readable || event.is_hungup || event.is_error {
                            self.read(id)?;
                        }
                    }
                }
            }
        }
    }

    fn shut_down(&mut self) -> io::Result<()> {
        self.ctx.delete(&self.listener)?;
        for id in 0..self.clients.len() {
            self.send(id, b"* server shutting down\n")?;
        }
        let deadline = Instant::now() + FLUSH_GRACE;
        while self.clients.iter().flatten().any(|c| !c.out.is_empty()) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            for event in self.ctx.wait_timeout(left)?.iter() {
                if let Token::Client(id) = event.token {
                    self.flush(id as usize)?;
                }
            }
        }
        for id in 0..self.clients.len() {
            self.close(id)?;
        }
        println!("shut down: {:?}", self.stats);
        Ok(())
    }
}

/// Whether `accept` failed for want of a descriptor (`EMFILE`, `ENFILE` on Unix).
fn is_out_of_descriptors(error: &io::Error) -> bool {
    #[cfg(unix)]
    return matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE));
    #[cfg(not(unix))]
    return error.raw_os_error() == Some(10024); // WSAEMFILE
}

pub(crate) fn main() -> ExitCode {
    // First, before any thread exists, so that every thread blocks these signals.
    let signals = match Signals::new(&[signal::SIGINT, signal::SIGTERM]) {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("chat: cannot watch signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut listen: SocketAddr = ([127, 0, 0, 1], 7878).into();
    let mut max_queue = 64 * 1024;
    let mut backlog: i32 = 1024;
    let mut idle_timeout = Duration::from_secs(600);
    let mut self_check = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let parsed: Result<(), String> = match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--self-check" => {
                self_check = true;
                Ok(())
            }
            "--listen" => value("--listen").and_then(|v| {
                // host:port, the host a name or an address (`localhost:7878` too).
                listen = v
                    .to_socket_addrs()
                    .map_err(|e| format!("--listen {v}: {e} (expected host:port)"))?
                    .next()
                    .ok_or(format!("--listen {v}: the name has no address"))?;
                Ok(())
            }),
            "--backlog" => value("--backlog").and_then(|v| {
                backlog = match v.parse() {
                    Ok(n @ 1..=65_535) => n,
                    _ => return Err(format!("--backlog {v}: a number from 1 to 65535")),
                };
                Ok(())
            }),
            "--idle-timeout" => value("--idle-timeout").and_then(|v| {
                idle_timeout = v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| (0.001..=86_400.0).contains(s))
                    .map(Duration::from_secs_f64)
                    .ok_or(format!("--idle-timeout {v}: seconds, from 0.001 to 86400"))?;
                Ok(())
            }),
            "--max-queue" => value("--max-queue").and_then(|v| {
                max_queue = match v.parse() {
                    Ok(n) if n >= MAX_LINE * 2 => n,
                    _ => {
                        return Err(format!(
                            "--max-queue {v}: a byte count of at least {}",
                            MAX_LINE * 2
                        ));
                    }
                };
                Ok(())
            }),
            other => Err(format!("unknown flag {other}")),
        };
        if let Err(e) = parsed {
            eprintln!("chat: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    if self_check {
        listen = ([127, 0, 0, 1], 0).into();
    }
    let config = Config {
        listen,
        backlog,
        idle_timeout,
        max_queue,
    };
    match serve(&signals, &config, self_check) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("chat: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the flags set.
struct Config {
    listen: SocketAddr,
    backlog: i32,
    idle_timeout: Duration,
    max_queue: usize,
}

/// Binds and listens with the backlog asked for: std listens with 128, and a second
/// `listen(2)` sets ours (Unix; Windows keeps the first).
fn bind(config: &Config) -> io::Result<TcpListener> {
    let listen = config.listen;
    let named = |e: io::Error| io::Error::new(e.kind(), format!("cannot listen on {listen}: {e}"));
    let listener = TcpListener::bind(listen).map_err(named)?;
    #[cfg(unix)]
    rustix::net::listen(&listener, config.backlog).map_err(|e| named(e.into()))?;
    #[cfg(not(unix))]
    let _ = config.backlog;
    Ok(listener)
}

fn serve(signals: &Signals, config: &Config, self_check: bool) -> io::Result<bool> {
    let listener = bind(config)?;
    let addr = listener.local_addr()?;
    let mut stats_timer = Timer::new()?;
    stats_timer.reset_repeating(Duration::from_secs(1))?;
    let mut server = Server::new(
        listener,
        signals,
        &stats_timer,
        config.max_queue,
        config.idle_timeout,
    )?;
    if !self_check {
        println!("chat: listening on {addr}; SIGINT or SIGTERM stops it");
        server.run(signals, &mut stats_timer, false)?;
        return Ok(true);
    }
    let clients = thread::spawn(move || check_clients(addr));
    server.run(signals, &mut stats_timer, true)?;
    let verdict = clients.join().expect("the client thread panicked");
    let stats = server.stats;
    let mut ok = true;
    if let Err(e) = verdict {
        println!("self-check FAILED: {e}");
        ok = false;
    }
    if stats.dropped_slow != 1 {
        println!(
            "self-check FAILED: {} clients dropped as slow, expected 1",
            stats.dropped_slow
        );
        ok = false;
    }
    if ok {
        println!(
            "self-check passed: {} lines broadcast to {GOOD} clients byte for byte, the reader \
             that never read was dropped, shutdown reached every client",
            stats.lines
        );
    }
    Ok(ok)
}

/// Clients that chat and check what they get.
const GOOD: usize = 5;
/// Lines each of them sends (about 200 bytes each): what the slow client is sent, 8 MB, is far
/// more than its socket buffers and its queue can hold.
const LINES: usize = 8000;

/// The self-check's clients: `GOOD` clients send `LINES` numbered lines each and read
/// everything; each must get every line of every other client, in order, and never its own.
/// One more connects and never reads. Then SIGTERM goes to this process, and each good client
/// must see the shutdown line and the end of the stream.
fn check_clients(addr: SocketAddr) -> Result<(), String> {
    let connect = || -> io::Result<TcpStream> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(stream)
    };
    let slow = connect().map_err(|e| format!("connect: {e}"))?;
    let ready = Arc::new(Barrier::new(GOOD));
    let mut threads = Vec::new();
    for i in 0..GOOD {
        let stream = connect().map_err(|e| format!("connect: {e}"))?;
        let ready = ready.clone();
        threads.push(thread::spawn(move || good_client(i, stream, &ready)));
    }
    let mut result = Ok(());
    for thread in threads {
        let outcome = thread
            .join()
            .unwrap_or_else(|_| Err("a client panicked".into()));
        if result.is_ok() {
            result = outcome;
        }
    }
    drop(slow);
    result
}

fn good_client(i: usize, stream: TcpStream, ready: &Barrier) -> Result<(), String> {
    let mut reader = io::BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
    let mut line = String::new();
    let mut read_line = |line: &mut String| -> Result<usize, String> {
        line.clear();
        io::BufRead::read_line(&mut reader, line).map_err(|e| format!("client {i}: {e}"))
    };
    read_line(&mut line)?;
    if !line.starts_with("* welcome") {
        return Err(format!("client {i}: expected a welcome, got {line:?}"));
    }
    // Every client is connected (and so will be sent every line) before anyone sends.
    ready.wait();
    let writer = {
        let mut stream = stream.try_clone().map_err(|e| e.to_string())?;
        thread::spawn(move || -> io::Result<()> {
            let mut out = io::BufWriter::new(&mut stream);
            for seq in 0..LINES {
                writeln!(out, "from {i} line {seq:05} {}", padding(i))?;
            }
            out.flush()
        })
    };
    // From each other client, the next sequence number expected.
    let mut next = [0usize; GOOD];
    let expected = (GOOD - 1) * LINES;
    let mut got = 0;
    let mut shutdown_line = false;
    loop {
        if read_line(&mut line)? == 0 {
            break; // the server closed after its shutdown line
        }
        if line.starts_with("* server shutting down") {
            shutdown_line = true;
            continue;
        }
        if line.starts_with('*') {
            continue; // joined, left, dropped
        }
        let text = line.split_once("] ").map(|(_, t)| t).unwrap_or("");
        let mut words = text.split_whitespace();
        let (Some("from"), Some(from), Some("line"), Some(seq)) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(format!("client {i}: a garbled line {line:?}"));
        };
        let (from, seq): (usize, usize) = match (from.parse(), seq.parse()) {
            (Ok(from), Ok(seq)) if from < GOOD => (from, seq),
            _ => return Err(format!("client {i}: a garbled line {line:?}")),
        };
        if from == i {
            return Err(format!("client {i}: got its own line back"));
        }
        if seq != next[from]
            || text.trim_end() != format!("from {from} line {seq:05} {}", padding(from))
        {
            return Err(format!(
                "client {i}: from {from} expected line {}, got {line:?}",
                next[from]
            ));
        }
        next[from] += 1;
        got += 1;
        // Client 0 got everything: once all have (they read at their own pace, and the last
        // waits at most 30 s), the server is told to stop, as an operator would stop it.
        if got == expected && i == 0 {
            thread::sleep(Duration::from_millis(300));
            ProcessExit::from_pid(std::process::id())
                .and_then(|me| me.send_signal(signal::SIGTERM))
                .map_err(|e| format!("SIGTERM to self: {e}"))?;
        }
    }
    writer
        .join()
        .map_err(|_| "writer panicked".to_string())?
        .map_err(|e| format!("client {i} writing: {e}"))?;
    if got != expected {
        return Err(format!("client {i}: got {got} lines, expected {expected}"));
    }
    if !shutdown_line {
        return Err(format!("client {i}: no shutdown line before the end"));
    }
    Ok(())
}

/// What client `i` puts after each line's number: about 200 bytes, different per client.
fn padding(i: usize) -> String {
    "x".repeat(150 + i * 7 % 50)
}
