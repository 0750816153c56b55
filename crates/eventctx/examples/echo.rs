//! A TCP echo server driven by one `WaitContext`, with its own load.
//!
//! ```text
//! cargo run --release --example echo                      # server + 32 clients for 3 s
//! cargo run --release --example echo -- --clients 8 --duration 1 --size 512
//! cargo run --release --example echo -- --listen 127.0.0.1:7000   # serve real clients
//! ```
//!
//! The server waits on the listener, every client, a `Timer` that prints a stats line each
//! second, and an `Event` that shuts it down. Clients that hang up are deleted from the context
//! at once, so a closed connection never turns the loop into a busy loop.
//!
//! With no `--listen`, it starts N client threads that send messages, check that each echo is
//! byte for byte what they sent, and time the round trips; then it shuts the server down and
//! prints the totals, requests per second and p50/p99 latency. It exits with an error if any
//! echo was wrong.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
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

struct Options {
    clients: usize,
    duration: Duration,
    size: usize,
    listen: Option<SocketAddr>,
}

fn main() -> ExitCode {
    match parse_args().and_then(run) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("echo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args() -> io::Result<Options> {
    let usage = "usage: echo [--clients N] [--duration SECS] [--size BYTES] [--listen ADDR]";
    let bad = |what: String| io::Error::new(ErrorKind::InvalidInput, format!("{what}\n{usage}"));
    let mut opts = Options {
        clients: 32,
        duration: Duration::from_secs(3),
        size: 64,
        listen: None,
    };
    let mut listen_duration = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            println!("{usage}");
            std::process::exit(0);
        }
        let value = args
            .next()
            .ok_or_else(|| bad(format!("{flag} needs a value")))?;
        let invalid = || bad(format!("invalid value for {flag}: {value}"));
        match flag.as_str() {
            "--clients" => opts.clients = value.parse().map_err(|_| invalid())?,
            "--size" => opts.size = value.parse().map_err(|_| invalid())?,
            "--duration" => {
                let secs: f64 = value.parse().map_err(|_| invalid())?;
                let d = Duration::try_from_secs_f64(secs).map_err(|_| invalid())?;
                opts.duration = d;
                listen_duration = Some(d);
            }
            "--listen" => opts.listen = Some(value.parse().map_err(|_| invalid())?),
            _ => return Err(bad(format!("unknown flag {flag}"))),
        }
    }
    if opts.size == 0 || opts.clients == 0 {
        return Err(bad("--size and --clients must be at least 1".into()));
    }
    if opts.listen.is_some() && listen_duration.is_none() {
        opts.duration = Duration::MAX; // serve until interrupted
    }
    Ok(opts)
}

fn run(opts: Options) -> io::Result<ExitCode> {
    let listener = TcpListener::bind(opts.listen.unwrap_or(([127, 0, 0, 1], 0).into()))?;
    let addr = listener.local_addr()?;
    let shutdown = Event::new()?;
    let stopper = shutdown.try_clone()?;
    let size = opts.size;
    let server = thread::spawn(move || Server::new(listener, shutdown, size)?.run());

    if opts.listen.is_some() {
        println!("echo: serving on {addr}; Ctrl-C to stop");
        if opts.duration != Duration::MAX {
            thread::sleep(opts.duration);
            stopper.signal()?;
        }
        let stats = server.join().expect("server thread panicked")?;
        println!(
            "echo: served {} connections, echoed {} bytes",
            stats.accepted, stats.bytes
        );
        return Ok(ExitCode::SUCCESS);
    }

    println!(
        "echo: {} clients on {addr}, {}-byte messages, for {:.1} s",
        opts.clients,
        opts.size,
        opts.duration.as_secs_f64()
    );
    let start = Instant::now();
    let deadline = start + opts.duration;
    let clients: Vec<_> = (0..opts.clients)
        .map(|id| thread::spawn(move || client(addr, id as u64, size, deadline)))
        .collect();
    let mut total = ClientResult::default();
    let mut failures = Vec::new();
    for c in clients {
        match c.join().expect("client thread panicked") {
            Ok(r) => total.merge(r),
            Err(e) => failures.push(e),
        }
    }
    let elapsed = start.elapsed();
    stopper.signal()?;
    let stats = server.join().expect("server thread panicked")?;

    total.latencies_ns.sort_unstable();
    let pct = |p: f64| {
        let v = &total.latencies_ns;
        if v.is_empty() {
            return 0.0;
        }
        v[((v.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
    };
    println!(
        "requests: {} in {:.2} s = {:.0} per second",
        total.requests,
        elapsed.as_secs_f64(),
        total.requests as f64 / elapsed.as_secs_f64()
    );
    println!("latency: p50 {:.1} µs, p99 {:.1} µs", pct(0.50), pct(0.99));
    println!(
        "server: {} connections accepted, {} hung up and removed, {} bytes echoed",
        stats.accepted, stats.hung_up, stats.bytes
    );
    let mut ok = true;
    if total.mismatches > 0 {
        println!(
            "FAILED: {} echoes differed from what was sent",
            total.mismatches
        );
        ok = false;
    }
    for e in &failures {
        println!("FAILED: a client stopped: {e}");
        ok = false;
    }
    if stats.hung_up != opts.clients as u64 {
        println!(
            "FAILED: {} of {} clients were removed",
            stats.hung_up, opts.clients
        );
        ok = false;
    }
    if total.requests == 0 {
        println!("FAILED: no request completed");
        ok = false;
    }
    if ok {
        println!("all {} echoes verified", total.requests);
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}

// ---- the server -------------------------------------------------------------------------

struct Connection {
    stream: TcpStream,
    /// Echo bytes the socket would not take yet, sent when it becomes writable.
    pending: Vec<u8>,
    interest: EventType,
    /// The peer shut down its writing side: finish the echoes, then close.
    eof: bool,
}

#[derive(Default)]
struct ServerStats {
    accepted: u64,
    hung_up: u64,
    bytes: u64,
}

struct Server {
    ctx: WaitContext<Token>,
    listener: TcpListener,
    tick: Timer,
    shutdown: Event,
    connections: Vec<Option<Connection>>,
    free: Vec<u32>,
    stats: ServerStats,
    message_size: usize,
    buf: Vec<u8>,
}

impl Server {
    fn new(listener: TcpListener, shutdown: Event, message_size: usize) -> io::Result<Server> {
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

    fn run(mut self) -> io::Result<ServerStats> {
        let started = Instant::now();
        let mut last_bytes = 0;
        loop {
            for event in self.ctx.wait()? {
                match event.token {
                    Token::Listener => self.accept()?,
                    Token::Client(id) => self.serve(id, event)?,
                    Token::Tick => {
                        self.tick.mark_waited()?;
                        let bytes = self.stats.bytes - last_bytes;
                        last_bytes = self.stats.bytes;
                        let open = self.connections.iter().flatten().count();
                        println!(
                            "[{:>4.1} s] {open} connections, {} echoes/s, {:.1} MiB/s",
                            started.elapsed().as_secs_f64(),
                            bytes / self.message_size as u64,
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
            open = flush(conn)?;
        }
        // A hang-up may come with data still to read: read first, and stop on end-of-file.
        if open && !conn.eof && (event.is_readable || event.is_hungup || event.is_error) {
            match conn.stream.read(&mut self.buf) {
                Ok(0) => conn.eof = true,
                Ok(n) => {
                    self.stats.bytes += n as u64;
                    conn.pending.extend_from_slice(&self.buf[..n]);
                    open = flush(conn)?;
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

/// Writes what is pending. `false` if the connection is broken.
fn flush(conn: &mut Connection) -> io::Result<bool> {
    while !conn.pending.is_empty() {
        match conn.stream.write(&conn.pending) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                conn.pending.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Ok(false),
        }
    }
    Ok(true)
}

// ---- the load ---------------------------------------------------------------------------

#[derive(Default)]
struct ClientResult {
    requests: u64,
    mismatches: u64,
    latencies_ns: Vec<u32>,
}

impl ClientResult {
    fn merge(&mut self, other: ClientResult) {
        self.requests += other.requests;
        self.mismatches += other.mismatches;
        self.latencies_ns.extend(other.latencies_ns);
    }
}

/// Sends numbered messages until `deadline`, checking every echo, then hangs up.
fn client(addr: SocketAddr, id: u64, size: usize, deadline: Instant) -> io::Result<ClientResult> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut result = ClientResult::default();
    let mut message = vec![0u8; size];
    let mut echo = vec![0u8; size];
    let mut seq = 0u64;
    while Instant::now() < deadline {
        // Each message differs from the last and from other clients', so a crossed or stale
        // echo shows.
        for (i, byte) in message.iter_mut().enumerate() {
            *byte = ((id * 131 + seq * 7 + i as u64) % 251) as u8;
        }
        let sent = Instant::now();
        stream.write_all(&message)?;
        stream.read_exact(&mut echo)?;
        let rtt = sent.elapsed();
        result
            .latencies_ns
            .push(rtt.as_nanos().min(u32::MAX as u128) as u32);
        result.requests += 1;
        if echo != message {
            result.mismatches += 1;
        }
        seq += 1;
    }
    Ok(result)
}
