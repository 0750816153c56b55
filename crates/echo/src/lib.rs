//! The echo example: a TCP echo server on one `WaitContext`, with a built-in load that checks
//! every echoed byte, or serving real clients with `--listen`.
//!
//! ```text
//! cargo run --release --example echo                      # server + 32 clients for 3 s
//! cargo run --release --example echo -- --clients 1000 --duration 2
//! cargo run --release --example echo -- --size 16000000 --clients 1 --duration 1
//! cargo run --release --example echo -- --listen 127.0.0.1:7000   # serve real clients
//! ```
//!
//! It lives in a package of its own so that the example builds without the library's
//! test-only dependencies. The pieces are public so that the tests and the benchmark run the
//! same code: [`args`] (the command line), [`server`] (the server loop) and [`load`] (the
//! clients).

pub mod args;
pub mod load;
pub mod server;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use eventctx::{Event, EventToken, Signals, WaitContext};

use args::{Command, Options, USAGE};
use load::{LoadConfig, LoadResult};
use server::{Progress, Server, ServerConfig, ServerStats};

/// The example's `main`: parses `args` (without the program name), runs, and says how it went.
/// Bad flags exit with status 2, a failed self-check or a fatal error with 1.
pub fn main(args: impl IntoIterator<Item = String>) -> ExitCode {
    let opts = match args::parse(args) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(opts)) => opts,
        Err(e) => {
            eprintln!("echo: {e}\n(echo --help lists the flags)");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("echo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs what `opts` asks for: the server and the load, or the server alone (`--listen`).
///
/// # Errors
///
/// When the server cannot start (the address cannot be bound, out of descriptors), or its
/// context fails.
pub fn run(opts: &Options) -> io::Result<ExitCode> {
    // Before any thread exists: SIGINT and SIGTERM are blocked in every thread from here on,
    // and read from this descriptor.
    let signals = Signals::new(&[libc::SIGINT, libc::SIGTERM])?;
    let addr = opts.listen.unwrap_or_else(|| ([127, 0, 0, 1], 0).into());
    let listener = bind(addr, opts.backlog)?;
    match opts.listen {
        Some(_) => serve(listener, signals, opts),
        None => {
            let outcome = load_and_check(listener, signals, opts)?;
            Ok(if outcome.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// How a run of the built-in load went.
#[derive(Debug)]
pub struct Outcome {
    /// What the clients saw.
    pub load: LoadResult,
    /// What the server did.
    pub stats: ServerStats,
    /// Each way the self-check failed; empty when the run was exact.
    pub failures: Vec<String>,
    /// The signal that stopped the load early, if one did.
    pub interrupted: Option<i32>,
}

/// Binds `addr` and listens with `backlog` (std fixes 128; listen(2) again sets ours).
///
/// # Errors
///
/// An error that names the address.
pub fn bind(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let named = |e: io::Error| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"));
    let listener = TcpListener::bind(addr).map_err(named)?;
    let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
    rustix::net::listen(&listener, backlog).map_err(|e| named(e.into()))?;
    Ok(listener)
}

fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGINT => "SIGINT".into(),
        libc::SIGTERM => "SIGTERM".into(),
        n => format!("signal {n}"),
    }
}

/// `--listen`: serve real clients on this thread until a signal or `--duration`.
fn serve(listener: TcpListener, signals: Signals, opts: &Options) -> io::Result<ExitCode> {
    let addr = listener.local_addr()?;
    match opts.duration {
        None => println!(
            "echo: serving on {addr} (backlog {}); Ctrl-C or SIGTERM stops it",
            opts.backlog
        ),
        Some(d) => println!(
            "echo: serving on {addr} (backlog {}) for {:.1} s; Ctrl-C or SIGTERM stops it sooner",
            opts.backlog,
            d.as_secs_f64()
        ),
    }
    let config = ServerConfig {
        report: true,
        stop_after: opts.duration,
        idle_timeout: opts.idle_timeout,
        ..ServerConfig::default()
    };
    let started = Instant::now();
    let stats = Server::new(listener, Event::new()?, Some(signals), config)?.run()?;
    match stats.stopped_by {
        Some(signal) => println!("echo: {} received: stopped", signal_name(signal)),
        None => println!(
            "echo: stopped after {:.1} s",
            started.elapsed().as_secs_f64()
        ),
    }
    print_server(&stats);
    Ok(ExitCode::SUCCESS)
}

fn print_server(stats: &ServerStats) {
    println!(
        "server: {} connections accepted, {} closed while serving, {} closed at shutdown; \
         {} bytes in, {} bytes out",
        stats.accepted, stats.closed, stats.closed_at_shutdown, stats.bytes_in, stats.bytes_out
    );
    if stats.stalled > 0 {
        println!(
            "server: closed {} connections whose peers took no echo for 10 s",
            stats.stalled
        );
    }
    if stats.idle_closed > 0 {
        println!(
            "server: closed {} connections that sent nothing for the idle timeout",
            stats.idle_closed
        );
    }
    if stats.evicted > 0 {
        println!(
            "server: out of descriptors, closed {} idle connections to serve new clients",
            stats.evicted
        );
    }
    println!(
        "server: echo buffers held at most {:.1} MiB at once",
        stats.peak_buffered as f64 / (1 << 20) as f64
    );
    if stats.accept_backoffs > 0 {
        println!(
            "server: stopped accepting {} times for want of descriptors, and served on",
            stats.accept_backoffs
        );
    }
}

/// Waits up to 10 s for `done`, checking every millisecond.
fn wait_for(done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(1));
    }
    true
}

/// Watches `signals` on its own thread until `done` is signaled; a signal sets `stop`.
fn watch_signals(
    signals: Signals,
    done: Event,
    stop: Arc<AtomicBool>,
) -> thread::JoinHandle<io::Result<Option<i32>>> {
    #[derive(EventToken, Clone, Copy, PartialEq)]
    enum Token {
        Signal,
        Done,
    }
    thread::spawn(move || {
        let ctx = WaitContext::build_with(&[(&signals, Token::Signal), (&done, Token::Done)])?;
        let mut received = None;
        loop {
            for event in ctx.wait()? {
                match event.token {
                    Token::Done => return Ok(received),
                    Token::Signal => {
                        while let Some(info) = signals.read()? {
                            if received.is_none() {
                                println!(
                                    "echo: {} received: finishing the messages in flight",
                                    signal_name(info.signal)
                                );
                            }
                            received.get_or_insert(info.signal);
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
    })
}

/// The built-in load against a server on `listener`, then the summary and the self-check.
/// `signals` (SIGINT, SIGTERM) stop the load early; the run is still checked.
///
/// # Errors
///
/// When the server or the clients cannot start; what goes wrong later is in
/// [`Outcome::failures`].
pub fn load_and_check(
    listener: TcpListener,
    signals: Signals,
    opts: &Options,
) -> io::Result<Outcome> {
    let addr = listener.local_addr()?;
    let duration = opts.load_duration();
    println!(
        "echo: {} clients on {addr}, {}-byte messages, for {:.1} s",
        opts.clients,
        opts.size,
        duration.as_secs_f64()
    );
    let shutdown = Event::new()?;
    let stopper = shutdown.try_clone()?;
    let config = ServerConfig {
        report: true,
        ..ServerConfig::default()
    };
    let server = Server::new(listener, shutdown, None, config)?;
    let progress = server.progress();
    let server = thread::spawn(move || server.run());

    let stop = Arc::new(AtomicBool::new(false));
    let watcher_done = Event::new()?;
    let watcher = watch_signals(signals, watcher_done.try_clone()?, stop.clone());

    let clients = opts.clients as u64;
    let ready = || {
        // The clock starts once the server has accepted every client: none is left in the
        // accept queue, and none is counted as served before it was.
        if wait_for(|| progress.accepted.load(Ordering::Relaxed) >= clients) {
            Ok(())
        } else {
            Err(format!(
                "the server accepted {} of {clients} connections within 10 s",
                progress.accepted.load(Ordering::Relaxed)
            ))
        }
    };
    let load_config = LoadConfig {
        clients: opts.clients,
        size: opts.size,
        duration,
        threads: 2,
    };
    let load = load::run(addr, &load_config, ready, stop);
    // Every client has shut its side and seen the server close (or failed): wait until the
    // server has closed them all, then stop it.
    let all_closed = wait_for(|| closed_all(&progress));
    stopper.signal()?;
    let stats = server
        .join()
        .map_err(|_| io::Error::other("the server panicked"))??;
    watcher_done.signal()?;
    let interrupted = watcher
        .join()
        .map_err(|_| io::Error::other("the signal thread panicked"))??;
    let mut load = load?;
    if !all_closed {
        load.failures
            .push("the server did not close every connection within 10 s".into());
    }
    let failures = report(opts, &mut load, &stats, interrupted);
    Ok(Outcome {
        load,
        stats,
        failures,
        interrupted,
    })
}

fn closed_all(progress: &Progress) -> bool {
    progress.closed.load(Ordering::Relaxed) >= progress.accepted.load(Ordering::Relaxed)
}

/// Prints the summary and checks the run exactly: every client accepted and closed by its
/// client, every byte echoed and matching, no failure. Returns what failed.
fn report(
    opts: &Options,
    load: &mut LoadResult,
    stats: &ServerStats,
    interrupted: Option<i32>,
) -> Vec<String> {
    let secs = load.elapsed.as_secs_f64().max(1e-9);
    println!(
        "requests: {} in {:.2} s = {:.0} per second",
        load.requests,
        secs,
        load.requests as f64 / secs
    );
    println!(
        "latency: p50 {:.1} µs, p99 {:.1} µs",
        load.latency_us(0.50),
        load.latency_us(0.99)
    );
    print_server(stats);
    let clients = opts.clients as u64;
    let mut failed = load.failures.clone();
    if load.mismatched_bytes > 0 {
        failed.push(format!(
            "{} echoed bytes differed from what was sent",
            load.mismatched_bytes
        ));
    }
    if load.requests == 0 {
        failed.push("no request completed".into());
    }
    if stats.accepted != clients {
        failed.push(format!(
            "{} connections accepted for {clients} clients",
            stats.accepted
        ));
    }
    if stats.closed != clients || stats.closed_at_shutdown != 0 {
        failed.push(format!(
            "{} of {clients} connections closed by their clients, {} left open until shutdown",
            stats.closed, stats.closed_at_shutdown
        ));
    }
    let bytes = [
        load.bytes_sent,
        stats.bytes_in,
        stats.bytes_out,
        load.bytes_received,
    ];
    if bytes.iter().any(|&b| b != load.bytes_sent) {
        failed.push(format!(
            "bytes sent {}, read by the server {}, written back {}, received {}",
            bytes[0], bytes[1], bytes[2], bytes[3]
        ));
    }
    for f in &failed {
        println!("FAILED: {f}");
    }
    if !failed.is_empty() {
        return failed;
    }
    if let Some(signal) = interrupted {
        println!("stopped early by {}", signal_name(signal));
    }
    println!(
        "all {} echoes verified: {} bytes, {clients} clients accepted and closed",
        load.requests, load.bytes_sent
    );
    failed
}
