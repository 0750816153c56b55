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

use eventctx::Event;

mod server;
use server::Server;

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
    let server = thread::spawn(move || Server::new(listener, shutdown, Some(size))?.run());

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
