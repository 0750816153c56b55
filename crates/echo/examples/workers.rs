//! An echo server on a pool of threads, in the two ways eventctx allows, under the echo
//! example's built-in load, checked byte for byte:
//!
//! - `--mode shared` (default): one context shared by every thread, every descriptor added
//!   one-shot. A readiness goes to one thread, which handles the connection and re-arms it;
//!   no other thread hears of that connection meanwhile, so no connection is ever handled by
//!   two threads at once (the run checks this).
//! - `--mode exclusive`: a context per thread. The listener is in all of them with
//!   `Interest::exclusive`, so a new connection wakes one thread, which accepts it and keeps it
//!   in its own context, level-triggered.
//! - `--mode shared-level`: the shared context with level-triggered registrations, the
//!   arming not to use. Every waiting thread is handed the same ready connection; the check
//!   counts each time a second thread is handed one that another is handling, and the run
//!   fails. `tests/workers.rs` runs both shared modes and sees each answer.
//!
//! ```text
//! cargo run --release --example workers -- --threads 4 --clients 64 --duration 2
//! cargo run --release --example workers -- --mode exclusive
//! ```

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use eventctx::{Event, EventContext, EventType, Interest, TriggeredEvent};
use eventctx_echo::load::{self, LoadConfig};
use eventctx_echo::server::Pending;

const LISTENER: u64 = 0;
const STOP: u64 = 1;
const FIRST_CONNECTION: u64 = 2;
/// Stop reading from a client whose echoes are not being taken, past this much buffered.
const MAX_PENDING: usize = 1 << 20;

#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Mode {
    Shared,
    Exclusive,
    /// The shared context with level-triggered registrations: the arming not to use, which
    /// hands one connection to several threads at once. It is here so that the overlap check
    /// can be seen to fail (`tests/workers.rs` runs it).
    SharedLevel,
}

pub(crate) struct Options {
    pub(crate) mode: Mode,
    pub(crate) threads: usize,
    pub(crate) clients: usize,
    pub(crate) duration: Duration,
    pub(crate) size: usize,
}

const USAGE: &str = "\
usage: workers [--mode shared|exclusive] [--threads N] [--clients N] [--duration SECS] [--size BYTES]

  --mode       shared: one context, one-shot registrations (default);
               exclusive: a context per thread, the listener added with Interest::exclusive;
               shared-level: one context, level-triggered: the wrong arming, which the
               overlap check reports (the run fails)
  --threads N  worker threads (default 4)
  --clients N  client connections of the load (default 64)
  --duration   seconds of load (default 2)
  --size       bytes per message (default 64)";

/// The flags that take a value (all of them but `--help`).
const FLAGS: [&str; 5] = ["--mode", "--threads", "--clients", "--size", "--duration"];

fn parse() -> Result<Options, String> {
    let mut opts = Options {
        mode: Mode::Shared,
        threads: 4,
        clients: 64,
        duration: Duration::from_secs(2),
        size: 64,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        if !FLAGS.contains(&flag.as_str()) {
            return Err(format!("unknown flag {flag}\n{USAGE}"));
        }
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = |max: usize| match value.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(format!(
                "{flag} {value}: must be a whole number from 1 to {max}"
            )),
        };
        match flag.as_str() {
            "--mode" => {
                opts.mode = match value.as_str() {
                    "shared" => Mode::Shared,
                    "exclusive" => Mode::Exclusive,
                    "shared-level" => Mode::SharedLevel,
                    _ => {
                        return Err(format!("--mode {value}: shared, exclusive or shared-level"));
                    }
                }
            }
            "--threads" => opts.threads = number(256)?,
            "--clients" => opts.clients = number(10_000)?,
            "--size" => opts.size = number(1 << 30)?,
            "--duration" => {
                opts.duration = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| (0.001..=3600.0).contains(s))
                    .map(Duration::from_secs_f64)
                    .ok_or(format!("--duration {value}: seconds, from 0.001 to 3600"))?
            }
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    Ok(opts)
}

/// A client connection, as a worker handles it.
struct Connection {
    stream: TcpStream,
    pending: Pending,
    /// The client shut down its side: send what is left, then close.
    eof: bool,
}

/// A connection of `--mode shared`, as the threads share it.
struct Shared {
    /// Set by a thread from the moment it is handed the connection's event until it re-arms
    /// it, *before* it takes the lock: a second thread handed the connection meanwhile finds
    /// it set, which is the overlap the check counts (behind the lock it would wait its turn
    /// and never see it).
    busy: AtomicBool,
    conn: Mutex<Connection>,
}

/// What to do with a connection after handling it.
enum Next {
    Watch(EventType),
    Close,
}

impl Connection {
    fn new(stream: TcpStream) -> io::Result<Connection> {
        stream.set_nonblocking(true)?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            pending: Pending::default(),
            eof: false,
        })
    }

    /// Writes what is pending, reads until the socket is empty (or too much is pending),
    /// and says what to watch for next. `bytes` counts what was read.
    fn handle(&mut self, event: &TriggeredEvent<u64>, buf: &mut [u8], bytes: &AtomicU64) -> Next {
        match self.pending.flush(&mut self.stream) {
            Ok(true) => {}
            _ => return Next::Close,
        }
        // A half-close (`is_read_closed`) comes with data still queued: read until 0, so that
        // nothing the peer sent before it stopped writing is lost.
        let read_ready =
            event.is_readable || event.is_read_closed || event.is_hungup || event.is_error;
        if !self.eof && read_ready {
            while self.pending.len() < MAX_PENDING {
                match self.stream.read(buf) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(n) => {
                        bytes.fetch_add(n as u64, Ordering::Relaxed);
                        self.pending.extend(&buf[..n]);
                        if !matches!(self.pending.flush(&mut self.stream), Ok(true)) {
                            return Next::Close;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => return Next::Close,
                }
            }
        }
        match (self.eof, self.pending.len()) {
            (true, 0) => Next::Close,
            (true, _) => Next::Watch(EventType::Write),
            (false, 0) => Next::Watch(EventType::Read),
            (false, n) if n >= MAX_PENDING => Next::Watch(EventType::Write),
            (false, _) => Next::Watch(EventType::ReadWrite),
        }
    }
}

/// Counters every worker adds to.
#[derive(Default)]
struct Stats {
    accepted: AtomicU64,
    closed: AtomicU64,
    bytes: AtomicU64,
    overlaps: AtomicU64,
}

/// Accepts every connection waiting on `listener` (non-blocking) and hands each to `add`.
/// An accept error other than "none left" is reported and ends this round; the listener stays.
fn accept_each(
    listener: &TcpListener,
    mut add: impl FnMut(TcpStream) -> io::Result<()>,
) -> io::Result<()> {
    loop {
        match listener.accept() {
            Ok((stream, _)) => add(stream)?,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::ConnectionAborted => {}
            Err(e) => {
                eprintln!("workers: accept: {e}");
                return Ok(());
            }
        }
    }
}

/// One worker of `--mode shared`: waits on the shared context; everything it is handed is its
/// alone until it re-arms it.
fn shared_worker(
    ctx: &EventContext<u64>,
    listener: &TcpListener,
    connections: &Mutex<HashMap<u64, Arc<Shared>>>,
    next_id: &AtomicU64,
    stats: &Stats,
    level: bool,
) -> io::Result<u64> {
    // One-shot, as it must be; level-triggered only for the run that shows why.
    let arming = |event_type| {
        let interest = Interest::new(event_type);
        if level { interest } else { interest.oneshot() }
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut handled = 0;
    loop {
        for event in ctx.wait()? {
            handled += 1;
            match event.token {
                STOP => return Ok(handled), // level-triggered: every worker sees it
                LISTENER => {
                    accept_each(listener, |stream| {
                        let id = next_id.fetch_add(1, Ordering::Relaxed);
                        let shared = Arc::new(Shared {
                            busy: AtomicBool::new(false),
                            conn: Mutex::new(Connection::new(stream)?),
                        });
                        // In the map before it is armed: the thread it goes to must find it.
                        connections.lock().unwrap().insert(id, shared.clone());
                        let guard = shared.conn.lock().unwrap();
                        ctx.add_with(&guard.stream, arming(EventType::Read), id)?;
                        drop(guard);
                        stats.accepted.fetch_add(1, Ordering::Relaxed);
                        Ok(())
                    })?;
                    ctx.modify_with(listener, arming(EventType::Read), LISTENER)?;
                }
                id => {
                    let Some(shared) = connections.lock().unwrap().get(&id).cloned() else {
                        continue;
                    };
                    if shared.busy.swap(true, Ordering::AcqRel) {
                        stats.overlaps.fetch_add(1, Ordering::Relaxed);
                    }
                    let mut conn = shared.conn.lock().unwrap();
                    let next = conn.handle(&event, &mut buf, &stats.bytes);
                    // Cleared before the re-arm: from then on another thread may be handed it.
                    shared.busy.store(false, Ordering::Release);
                    match next {
                        Next::Watch(event_type) => {
                            ctx.modify_with(&conn.stream, arming(event_type), id)?;
                        }
                        Next::Close => {
                            ctx.delete(&conn.stream)?;
                            connections.lock().unwrap().remove(&id);
                            stats.closed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
    }
}

/// One worker of `--mode exclusive`: its own context, the shared listener added exclusive,
/// and the connections it accepted, level-triggered.
fn exclusive_worker(listener: &TcpListener, stop: &Event, stats: &Stats) -> io::Result<u64> {
    let ctx: EventContext<u64> = EventContext::new()?;
    ctx.add_with(
        listener,
        Interest::new(EventType::Read).exclusive(),
        LISTENER,
    )?;
    ctx.add(stop, STOP)?;
    let mut connections: HashMap<u64, Connection> = HashMap::new();
    let mut next_id = FIRST_CONNECTION;
    let mut buf = vec![0u8; 64 * 1024];
    let mut handled = 0;
    loop {
        for event in ctx.wait()? {
            handled += 1;
            match event.token {
                STOP => return Ok(handled),
                // Another thread may have taken it: no connection at all is the common case.
                LISTENER => accept_each(listener, |stream| {
                    let conn = Connection::new(stream)?;
                    ctx.add(&conn.stream, next_id)?;
                    connections.insert(next_id, conn);
                    next_id += 1;
                    stats.accepted.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                })?,
                id => {
                    let Some(conn) = connections.get_mut(&id) else {
                        continue;
                    };
                    match conn.handle(&event, &mut buf, &stats.bytes) {
                        Next::Watch(event_type) => ctx.modify(&conn.stream, event_type, id)?,
                        Next::Close => {
                            ctx.delete(&conn.stream)?;
                            connections.remove(&id);
                            stats.closed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
    }
}

/// What a run found: every failed check, and how often a connection was handled by two
/// threads at once.
pub(crate) struct Outcome {
    pub(crate) failures: Vec<String>,
    #[allow(dead_code)] // read by tests/workers.rs; `main` reports it among the failures
    pub(crate) overlaps: u64,
}

pub(crate) fn run(opts: &Options) -> io::Result<Outcome> {
    let listener = Arc::new(eventctx_echo::bind(([127, 0, 0, 1], 0).into(), 1024)?);
    listener.set_nonblocking(true)?;
    let addr: SocketAddr = listener.local_addr()?;
    let stop = Arc::new(Event::new()?);
    let stats = Arc::new(Stats::default());
    println!(
        "workers: {:?} mode, {} threads, {} clients on {addr}, {}-byte messages, {:.1} s",
        opts.mode,
        opts.threads,
        opts.clients,
        opts.size,
        opts.duration.as_secs_f64()
    );

    let workers: Vec<thread::JoinHandle<io::Result<u64>>> = match opts.mode {
        Mode::Shared | Mode::SharedLevel => {
            let level = opts.mode == Mode::SharedLevel;
            let ctx = Arc::new(EventContext::<u64>::new()?);
            let listen = Interest::new(EventType::Read);
            ctx.add_with(
                &*listener,
                if level { listen } else { listen.oneshot() },
                LISTENER,
            )?;
            ctx.add(&*stop, STOP)?;
            let connections = Arc::new(Mutex::new(HashMap::new()));
            let next_id = Arc::new(AtomicU64::new(FIRST_CONNECTION));
            (0..opts.threads)
                .map(|_| {
                    let (ctx, listener, connections, next_id, stats) = (
                        ctx.clone(),
                        listener.clone(),
                        connections.clone(),
                        next_id.clone(),
                        stats.clone(),
                    );
                    thread::spawn(move || {
                        shared_worker(&ctx, &listener, &connections, &next_id, &stats, level)
                    })
                })
                .collect()
        }
        Mode::Exclusive => (0..opts.threads)
            .map(|_| {
                let (listener, stop, stats) = (listener.clone(), stop.clone(), stats.clone());
                thread::spawn(move || exclusive_worker(&listener, &stop, &stats))
            })
            .collect(),
    };

    let config = LoadConfig {
        clients: opts.clients,
        size: opts.size,
        duration: opts.duration,
        threads: 2,
    };
    let clients = opts.clients as u64;
    let ready = || {
        for _ in 0..10_000 {
            if stats.accepted.load(Ordering::Relaxed) >= clients {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(1));
        }
        Err("not every client was accepted within 10 s".to_owned())
    };
    let mut result = load::run(addr, &config, ready, Arc::new(AtomicBool::new(false)))?;
    for _ in 0..10_000 {
        if stats.closed.load(Ordering::Relaxed) >= clients {
            break;
        }
        thread::sleep(Duration::from_millis(1));
    }
    stop.signal()?;
    let mut per_thread = Vec::new();
    for w in workers {
        per_thread.push(
            w.join()
                .map_err(|_| io::Error::other("a worker panicked"))??,
        );
    }

    let secs = result.elapsed.as_secs_f64();
    let (p50, p99) = (result.latency_us(0.5), result.latency_us(0.99));
    println!(
        "requests: {} in {secs:.2} s = {:.0} per second; latency p50 {p50:.1} µs, p99 {p99:.1} µs",
        result.requests,
        result.requests as f64 / secs,
    );
    println!("events handled per thread: {per_thread:?}");
    let mut failures = result.failures.clone();
    let (accepted, closed) = (
        stats.accepted.load(Ordering::Relaxed),
        stats.closed.load(Ordering::Relaxed),
    );
    if accepted != clients || closed != clients {
        failures.push(format!(
            "{accepted} accepted and {closed} closed of {clients} clients"
        ));
    }
    if result.mismatched_bytes > 0 || result.requests == 0 {
        failures.push(format!(
            "{} bytes differed, {} requests",
            result.mismatched_bytes, result.requests
        ));
    }
    let bytes = stats.bytes.load(Ordering::Relaxed);
    if bytes != result.bytes_sent || result.bytes_received != result.bytes_sent {
        failures.push(format!(
            "bytes sent {}, read by the server {bytes}, received {}",
            result.bytes_sent, result.bytes_received
        ));
    }
    let overlaps = stats.overlaps.load(Ordering::Relaxed);
    if overlaps > 0 {
        failures.push(format!(
            "{overlaps} times a connection was handled by two threads at once"
        ));
    }
    for f in &failures {
        println!("FAILED: {f}");
    }
    if failures.is_empty() {
        println!(
            "all {} echoes verified; {clients} clients accepted and closed; no connection handled \
             by two threads at once",
            result.requests
        );
    }
    Ok(Outcome { failures, overlaps })
}

fn main() -> ExitCode {
    let opts = match parse() {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("workers: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(outcome) if outcome.failures.is_empty() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("workers: {e}");
            ExitCode::FAILURE
        }
    }
}
