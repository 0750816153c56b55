//! The built-in load: client connections driven by eventctx contexts, a few threads each
//! serving many connections. Every client reads while it writes, so a message of any size
//! flows through the server without either side waiting on the other, and every echoed byte
//! is checked against what was sent.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use eventctx::{EventType, WaitContext};

/// After the deadline, how long messages in flight may take to come back.
pub const GRACE: Duration = Duration::from_secs(10);
/// The largest piece written or read at once.
const CHUNK: usize = 64 * 1024;

/// What the load is asked to do.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Client connections.
    pub clients: usize,
    /// Bytes per message.
    pub size: usize,
    /// How long to start new messages.
    pub duration: Duration,
    /// Threads driving the clients (each with its own context).
    pub threads: usize,
}

/// What the load saw.
#[derive(Debug, Default)]
pub struct LoadResult {
    /// Messages whose echo came back whole.
    pub requests: u64,
    /// Bytes written.
    pub bytes_sent: u64,
    /// Bytes read back.
    pub bytes_received: u64,
    /// Echoed bytes that differed from what was sent.
    pub mismatched_bytes: u64,
    /// Round-trip time of each message, first byte written to last byte read, in ns.
    pub latencies_ns: Vec<u32>,
    /// Time from the start to the last message's end.
    pub elapsed: Duration,
    /// What went wrong, one line each.
    pub failures: Vec<String>,
}

impl LoadResult {
    fn merge(&mut self, other: LoadResult) {
        self.requests += other.requests;
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
        self.mismatched_bytes += other.mismatched_bytes;
        self.latencies_ns.extend(other.latencies_ns);
        self.elapsed = self.elapsed.max(other.elapsed);
        self.failures.extend(other.failures);
    }

    /// The `p`-th quantile of the round-trip times, in µs (0 with none).
    pub fn latency_us(&mut self, p: f64) -> f64 {
        self.latencies_ns.sort_unstable();
        let v = &self.latencies_ns;
        if v.is_empty() {
            return 0.0;
        }
        v[((v.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
    }
}

/// Byte `i` of message `seq` of client `id`: every message differs from the last and from
/// other clients', so a crossed, stale or shifted echo shows.
fn pattern(id: u64, seq: u64, i: u64) -> u8 {
    (id.wrapping_mul(131)
        .wrapping_add(seq.wrapping_mul(7))
        .wrapping_add(i)
        % 251) as u8
}

struct Client {
    id: u64,
    stream: TcpStream,
    seq: u64,
    sent: usize,
    received: usize,
    started: Instant,
    interest: EventType,
    /// No more messages: the write side is shut, waiting for the server to close.
    finishing: bool,
    done: bool,
}

/// Connects every client (blocking, so each is in the server's accept queue when this
/// returns), then calls `ready` and runs the load from there; `stop` ends it early.
///
/// # Errors
///
/// Only a failure to connect; what goes wrong later is in [`LoadResult::failures`].
pub fn run(
    addr: SocketAddr,
    config: &LoadConfig,
    ready: impl FnOnce() -> Result<(), String>,
    stop: Arc<AtomicBool>,
) -> io::Result<LoadResult> {
    let mut streams = Vec::with_capacity(config.clients);
    for _ in 0..config.clients {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        streams.push(stream);
    }
    if let Err(failure) = ready() {
        return Ok(LoadResult {
            failures: vec![failure],
            ..LoadResult::default()
        });
    }
    let start = Instant::now();
    let deadline = start + config.duration;
    let threads = config.threads.clamp(1, config.clients);
    let mut groups: Vec<Vec<Client>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, stream) in streams.into_iter().enumerate() {
        groups[i % threads].push(Client {
            id: i as u64,
            stream,
            seq: 0,
            sent: 0,
            received: 0,
            started: start,
            interest: EventType::ReadWrite,
            finishing: false,
            done: false,
        });
    }
    let size = config.size;
    let handles: Vec<_> = groups
        .into_iter()
        .map(|group| {
            let stop = stop.clone();
            thread::spawn(move || drive(group, size, start, deadline, &stop))
        })
        .collect();
    let mut total = LoadResult::default();
    for handle in handles {
        match handle.join() {
            Ok(Ok(result)) => total.merge(result),
            Ok(Err(e)) => total.failures.push(format!("a load thread failed: {e}")),
            Err(_) => total.failures.push("a load thread panicked".into()),
        }
    }
    Ok(total)
}

/// One thread's clients, on one context, until each has finished its last message and seen
/// the server close, or the grace period after the deadline ends.
fn drive(
    mut clients: Vec<Client>,
    size: usize,
    start: Instant,
    deadline: Instant,
    stop: &AtomicBool,
) -> io::Result<LoadResult> {
    let ctx: WaitContext<usize> = WaitContext::new()?;
    for (i, c) in clients.iter().enumerate() {
        ctx.add_for_event(&c.stream, EventType::ReadWrite, i)?;
    }
    let mut result = LoadResult::default();
    let mut buf = vec![0u8; CHUNK];
    let mut left = clients.len();
    while left > 0 {
        let now = Instant::now();
        if now >= deadline + GRACE {
            let stuck = clients.iter().filter(|c| !c.done).count();
            result.failures.push(format!(
                "{stuck} clients still had a message in flight {} s after the deadline",
                GRACE.as_secs()
            ));
            break;
        }
        let stopping = now >= deadline || stop.load(Ordering::Relaxed);
        if stopping {
            // Clients between messages stop now; the others finish the one in flight.
            for (i, c) in clients.iter_mut().enumerate() {
                if !c.finishing && c.sent == 0 {
                    finish(&ctx, i, c)?;
                }
            }
        }
        // Wake at least every 100 ms to notice the deadline and `stop`.
        let timeout = deadline
            .saturating_duration_since(now)
            .clamp(Duration::from_millis(1), Duration::from_millis(100));
        for event in ctx.wait_timeout(timeout)? {
            let i = event.token;
            let c = &mut clients[i];
            if c.done {
                continue;
            }
            if let Err(e) = step(&ctx, i, c, size, &mut buf, &mut result, stopping) {
                result.failures.push(format!("client {}: {e}", c.id));
                c.done = true;
                ctx.delete(&c.stream)?;
            }
            if c.done {
                left -= 1;
            }
        }
    }
    result.elapsed = start.elapsed();
    Ok(result)
}

/// Shuts the client's write side: the server sees end-of-file, sends what is left, closes.
fn finish(ctx: &WaitContext<usize>, i: usize, c: &mut Client) -> io::Result<()> {
    c.finishing = true;
    c.stream.shutdown(Shutdown::Write)?;
    set_interest(ctx, i, c, EventType::Read)
}

fn set_interest(
    ctx: &WaitContext<usize>,
    i: usize,
    c: &mut Client,
    interest: EventType,
) -> io::Result<()> {
    if c.interest != interest {
        ctx.modify(&c.stream, interest, i)?;
        c.interest = interest;
    }
    Ok(())
}

/// Writes what the socket takes of the message in flight, reads and checks what came back,
/// and starts the next message at once when one completes (before the deadline).
fn step(
    ctx: &WaitContext<usize>,
    i: usize,
    c: &mut Client,
    size: usize,
    buf: &mut [u8],
    result: &mut LoadResult,
    stopping: bool,
) -> io::Result<()> {
    'message: loop {
        while !c.finishing && c.sent < size {
            let n = (size - c.sent).min(buf.len());
            for (k, byte) in buf[..n].iter_mut().enumerate() {
                *byte = pattern(c.id, c.seq, (c.sent + k) as u64);
            }
            match c.stream.write(&buf[..n]) {
                Ok(0) => return Err(io::Error::other("the server stopped taking bytes")),
                Ok(w) => {
                    c.sent += w;
                    result.bytes_sent += w as u64;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        loop {
            match c.stream.read(buf) {
                Ok(0) if c.finishing => {
                    c.done = true; // the server closed after our end-of-file: all is well
                    ctx.delete(&c.stream)?;
                    return Ok(());
                }
                Ok(0) => {
                    return Err(io::Error::other(format!(
                        "the server closed the connection with {} of {size} bytes echoed",
                        c.received
                    )));
                }
                Ok(n) => {
                    if c.received + n > c.sent || c.finishing {
                        return Err(io::Error::other(
                            "the server sent bytes that were never sent",
                        ));
                    }
                    for (k, &byte) in buf[..n].iter().enumerate() {
                        if byte != pattern(c.id, c.seq, (c.received + k) as u64) {
                            result.mismatched_bytes += 1;
                        }
                    }
                    c.received += n;
                    result.bytes_received += n as u64;
                    if c.received == size {
                        let rtt = c.started.elapsed();
                        result
                            .latencies_ns
                            .push(rtt.as_nanos().min(u32::MAX as u128) as u32);
                        result.requests += 1;
                        c.seq += 1;
                        c.sent = 0;
                        c.received = 0;
                        c.started = Instant::now();
                        if stopping {
                            return finish(ctx, i, c);
                        }
                        continue 'message;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break 'message,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    // Wait for room to write only while part of the message is unsent.
    let interest = if c.finishing || c.sent == size {
        EventType::Read
    } else {
        EventType::ReadWrite
    };
    set_interest(ctx, i, c, interest)
}
