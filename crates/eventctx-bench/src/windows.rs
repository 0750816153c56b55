//! The benchmark on Windows: eventctx beside mio and polling on loopback sockets, wake-ups
//! from another thread and a 1 ms periodic timer.
//!
//! Every scenario runs on every back-end in each round, the back-ends' order rotated from one
//! round to the next; a scenario's figure is the median over rounds of the per-round ratio to
//! mio (below 1: faster than mio), so that a noisy machine (or wine, where every system call is
//! a round trip to the wine server) disturbs them alike.
//!
//! ```text
//! cargo run --release -p eventctx-bench --target x86_64-pc-windows-gnu            # 9 rounds
//! cargo run --release -p eventctx-bench --target x86_64-pc-windows-gnu -- --quick # 3 rounds
//! eventctx-bench.exe --only wake --backend eventctx --iters 200   # one sample, for tracing
//! ```

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use eventctx::{EventContext, EventType};

const BACKENDS: [&str; 3] = ["eventctx", "mio", "polling"];
const SCENARIOS: [&str; 5] = ["ping", "fan32", "wake", "sockets1000", "timer1ms"];
/// Every wait passes a finite timeout, as a real loop would.
const TIMEOUT: Duration = Duration::from_secs(5);

/// One sample: the median and mean of one operation, in microseconds.
#[derive(Clone, Copy, Debug)]
struct Sample {
    p50: f64,
    mean: f64,
}

fn sample_of(mut times: Vec<Duration>) -> Sample {
    times.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let mean = times.iter().map(|&d| us(d)).sum::<f64>() / times.len().max(1) as f64;
    Sample {
        p50: times.get(times.len() / 2).map_or(0.0, |&d| us(d)),
        mean,
    }
}

/// A loopback TCP connection's two ends.
fn tcp_pairs(n: usize) -> io::Result<Vec<(TcpStream, TcpStream)>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    (0..n)
        .map(|_| {
            let a = TcpStream::connect(addr)?;
            let (b, _) = listener.accept()?;
            a.set_nodelay(true)?;
            b.set_nodelay(true)?;
            Ok((a, b))
        })
        .collect()
}

/// One polling layer: sockets it owns (by token), a waker another thread can use.
trait Layer: Sized + Send + 'static {
    const NAME: &'static str;
    /// Whether a socket's readiness is reported once per arrival (reads must drain).
    const EDGE: bool;
    type Waker: Send + Sync + 'static;
    fn new() -> io::Result<Self>;
    /// Watches `socket` (made non-blocking) for readability under `token` (= its index).
    fn add_socket(&mut self, socket: TcpStream) -> io::Result<()>;
    fn socket(&mut self, token: usize) -> &mut dyn ReadWrite;
    /// Waits; returns the tokens of the sockets reported (wakes are not sockets).
    fn wait(&mut self, timeout: Option<Duration>, tokens: &mut Vec<usize>) -> io::Result<()>;
    /// A waker registered in this layer (token `usize::MAX`).
    fn waker(&mut self) -> io::Result<Arc<Self::Waker>>;
    fn wake(waker: &Self::Waker) -> io::Result<()>;
    /// After a wait that a wake ended: whatever the layer needs to quiet the waker.
    fn rearm_waker(&mut self, waker: &Self::Waker) -> io::Result<()>;
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

const WAKER: usize = usize::MAX;

struct Eventctx {
    ctx: EventContext<usize>,
    sockets: Vec<TcpStream>,
    events: eventctx::Events<usize>,
}

impl Layer for Eventctx {
    const NAME: &'static str = "eventctx";
    const EDGE: bool = false;
    type Waker = eventctx::Event;
    fn new() -> io::Result<Self> {
        Ok(Eventctx {
            ctx: EventContext::new()?,
            sockets: Vec::new(),
            events: eventctx::Events::with_capacity(64),
        })
    }
    fn add_socket(&mut self, socket: TcpStream) -> io::Result<()> {
        socket.set_nonblocking(true)?;
        self.ctx
            .add_for_event(&socket, EventType::Read, self.sockets.len())?;
        self.sockets.push(socket);
        Ok(())
    }
    fn socket(&mut self, token: usize) -> &mut dyn ReadWrite {
        &mut self.sockets[token]
    }
    fn wait(&mut self, timeout: Option<Duration>, tokens: &mut Vec<usize>) -> io::Result<()> {
        self.ctx.wait_into(&mut self.events, timeout)?;
        tokens.extend(self.events.iter().map(|e| e.token).filter(|&t| t != WAKER));
        Ok(())
    }
    fn waker(&mut self) -> io::Result<Arc<eventctx::Event>> {
        let event = eventctx::Event::new()?;
        self.ctx.add(&event, WAKER)?;
        Ok(Arc::new(event))
    }
    fn wake(waker: &eventctx::Event) -> io::Result<()> {
        waker.signal()
    }
    fn rearm_waker(&mut self, waker: &eventctx::Event) -> io::Result<()> {
        waker.reset()
    }
}

struct Mio {
    poll: mio::Poll,
    events: mio::Events,
    sockets: Vec<mio::net::TcpStream>,
}

impl Layer for Mio {
    const NAME: &'static str = "mio";
    const EDGE: bool = true;
    type Waker = mio::Waker;
    fn new() -> io::Result<Self> {
        Ok(Mio {
            poll: mio::Poll::new()?,
            events: mio::Events::with_capacity(64),
            sockets: Vec::new(),
        })
    }
    fn add_socket(&mut self, socket: TcpStream) -> io::Result<()> {
        socket.set_nonblocking(true)?;
        let mut socket = mio::net::TcpStream::from_std(socket);
        let token = mio::Token(self.sockets.len());
        self.poll
            .registry()
            .register(&mut socket, token, mio::Interest::READABLE)?;
        self.sockets.push(socket);
        Ok(())
    }
    fn socket(&mut self, token: usize) -> &mut dyn ReadWrite {
        &mut self.sockets[token]
    }
    fn wait(&mut self, timeout: Option<Duration>, tokens: &mut Vec<usize>) -> io::Result<()> {
        self.poll.poll(&mut self.events, timeout)?;
        tokens.extend(
            self.events
                .iter()
                .map(|e| e.token().0)
                .filter(|&t| t != WAKER),
        );
        Ok(())
    }
    fn waker(&mut self) -> io::Result<Arc<mio::Waker>> {
        Ok(Arc::new(mio::Waker::new(
            self.poll.registry(),
            mio::Token(WAKER),
        )?))
    }
    fn wake(waker: &mio::Waker) -> io::Result<()> {
        waker.wake()
    }
    fn rearm_waker(&mut self, _: &mio::Waker) -> io::Result<()> {
        Ok(())
    }
}

struct Polling {
    poller: Arc<polling::Poller>,
    events: polling::Events,
    sockets: Vec<TcpStream>,
}

impl Layer for Polling {
    const NAME: &'static str = "polling";
    const EDGE: bool = false;
    type Waker = polling::Poller;
    fn new() -> io::Result<Self> {
        Ok(Polling {
            poller: Arc::new(polling::Poller::new()?),
            events: polling::Events::new(),
            sockets: Vec::new(),
        })
    }
    fn add_socket(&mut self, socket: TcpStream) -> io::Result<()> {
        socket.set_nonblocking(true)?;
        let key = self.sockets.len();
        // SAFETY: the socket is deleted from the poller before it is dropped (`Drop` below).
        unsafe {
            self.poller.add_with_mode(
                &socket,
                polling::Event::readable(key),
                polling::PollMode::Level,
            )?
        };
        self.sockets.push(socket);
        Ok(())
    }
    fn socket(&mut self, token: usize) -> &mut dyn ReadWrite {
        &mut self.sockets[token]
    }
    fn wait(&mut self, timeout: Option<Duration>, tokens: &mut Vec<usize>) -> io::Result<()> {
        self.events.clear();
        self.poller.wait(&mut self.events, timeout)?;
        tokens.extend(self.events.iter().map(|e| e.key));
        Ok(())
    }
    fn waker(&mut self) -> io::Result<Arc<polling::Poller>> {
        Ok(Arc::clone(&self.poller))
    }
    fn wake(waker: &polling::Poller) -> io::Result<()> {
        waker.notify()
    }
    fn rearm_waker(&mut self, _: &polling::Poller) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Polling {
    fn drop(&mut self) {
        for socket in &self.sockets {
            let _ = self.poller.delete(socket);
        }
    }
}

/// Reads what `token`'s socket has (all of it for an edge-triggered layer).
fn take<L: Layer>(layer: &mut L, token: usize) -> io::Result<()> {
    let mut buf = [0u8; 64];
    loop {
        match layer.socket(token).read(&mut buf) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
            Ok(_) if !L::EDGE => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Waits until `token` is reported.
fn wait_for<L: Layer>(layer: &mut L, token: usize, tokens: &mut Vec<usize>) -> io::Result<()> {
    loop {
        tokens.clear();
        layer.wait(Some(TIMEOUT), tokens)?;
        if tokens.contains(&token) {
            return Ok(());
        }
        if tokens.is_empty() && !L::EDGE {
            // Level-triggered layers report a written byte at once; nothing is a lost wake-up.
            return Err(io::Error::new(io::ErrorKind::TimedOut, "nothing reported"));
        }
    }
}

/// One TCP pair, both ends watched: a byte one way, then back. Time per round trip.
fn ping<L: Layer>(iters: usize) -> io::Result<Sample> {
    let mut layer = L::new()?;
    let (a, b) = tcp_pairs(1)?.remove(0);
    layer.add_socket(a)?;
    layer.add_socket(b)?;
    let mut tokens = Vec::with_capacity(64);
    let mut times = Vec::with_capacity(iters);
    for _ in 0..iters {
        let start = Instant::now();
        layer.socket(0).write_all(b"x")?;
        wait_for(&mut layer, 1, &mut tokens)?;
        take(&mut layer, 1)?;
        layer.socket(1).write_all(b"y")?;
        wait_for(&mut layer, 0, &mut tokens)?;
        take(&mut layer, 0)?;
        times.push(start.elapsed());
    }
    Ok(sample_of(times))
}

/// 32 connections on one context, echoed by its thread; a client thread writes a byte on each
/// and reads the 32 echoes back (blocking). Time per batch of 32 round trips.
fn fan32<L: Layer>(iters: usize) -> io::Result<Sample> {
    const N: usize = 32;
    let mut layer = L::new()?;
    let mut clients = Vec::with_capacity(N);
    for (a, b) in tcp_pairs(N)? {
        layer.add_socket(b)?;
        clients.push(a);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = Arc::clone(&stop);
    let server = thread::spawn(move || -> io::Result<()> {
        let mut tokens = Vec::with_capacity(64);
        let mut buf = [0u8; 64];
        while !stop2.load(Ordering::Relaxed) {
            tokens.clear();
            layer.wait(Some(Duration::from_millis(100)), &mut tokens)?;
            for &t in &tokens {
                loop {
                    match layer.socket(t).read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            layer.socket(t).write_all(&buf[..n])?;
                            if !L::EDGE {
                                break;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(())
    });
    let mut times = Vec::with_capacity(iters);
    let mut byte = [0u8; 1];
    for _ in 0..iters {
        let start = Instant::now();
        for c in &mut clients {
            c.write_all(b"x")?;
        }
        for c in &mut clients {
            c.read_exact(&mut byte)?;
        }
        times.push(start.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    server
        .join()
        .map_err(|_| io::Error::other("the echo thread panicked"))??;
    Ok(sample_of(times))
}

/// Two threads, each with its own layer and waker, wake each other in turn. Time per round
/// trip (two wake-ups, each ending a blocked wait).
fn wake<L: Layer>(iters: usize) -> io::Result<Sample> {
    let mut mine = L::new()?;
    let my_waker = mine.waker()?;
    let (tx, rx) = std::sync::mpsc::channel();
    let my_waker2 = Arc::clone(&my_waker);
    let partner = thread::spawn(move || -> io::Result<()> {
        let mut theirs = L::new()?;
        let their_waker = theirs.waker()?;
        tx.send(Arc::clone(&their_waker))
            .map_err(|_| io::Error::other("send"))?;
        let mut tokens = Vec::new();
        for _ in 0..iters {
            tokens.clear();
            theirs.wait(Some(TIMEOUT), &mut tokens)?;
            theirs.rearm_waker(&their_waker)?;
            L::wake(&my_waker2)?;
        }
        Ok(())
    });
    let their_waker = rx
        .recv()
        .map_err(|_| io::Error::other("the partner did not start"))?;
    let mut tokens = Vec::new();
    let mut times = Vec::with_capacity(iters);
    for _ in 0..iters {
        let start = Instant::now();
        L::wake(&their_waker)?;
        tokens.clear();
        mine.wait(Some(TIMEOUT), &mut tokens)?;
        mine.rearm_waker(&my_waker)?;
        times.push(start.elapsed());
    }
    partner
        .join()
        .map_err(|_| io::Error::other("the partner panicked"))??;
    Ok(sample_of(times))
}

/// 1,000 connections watched, one made readable per iteration (round-robin). Time per
/// write, wait and read.
fn sockets1000<L: Layer>(iters: usize) -> io::Result<Sample> {
    const N: usize = 1000;
    let mut layer = L::new()?;
    let mut writers = Vec::with_capacity(N);
    for (a, b) in tcp_pairs(N)? {
        layer.add_socket(b)?;
        writers.push(a);
    }
    let mut tokens = Vec::with_capacity(64);
    let mut times = Vec::with_capacity(iters);
    for i in 0..iters {
        let t = (i * 7) % N;
        let start = Instant::now();
        writers[t].write_all(b"x")?;
        wait_for(&mut layer, t, &mut tokens)?;
        take(&mut layer, t)?;
        times.push(start.elapsed());
    }
    Ok(sample_of(times))
}

/// A 1 ms period, `ticks` times: eventctx's periodic `Timer` watched by a context; mio and
/// polling have no timer descriptor, so theirs is a wait with a 1 ms timeout. Time per tick.
fn timer1ms<L: Layer>(ticks: usize) -> io::Result<Sample> {
    let period = Duration::from_millis(1);
    let mut times = Vec::with_capacity(ticks);
    if L::NAME == Eventctx::NAME {
        let ctx: EventContext<u32> = EventContext::new()?;
        let mut timer = eventctx::Timer::new()?;
        ctx.add(&timer, 1)?;
        timer.reset_repeating(period)?;
        let mut last = Instant::now();
        while times.len() < ticks {
            let events = ctx.wait_timeout(TIMEOUT)?;
            if events.is_empty() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no tick"));
            }
            if !timer.mark_waited()? {
                let now = Instant::now();
                times.push(now - last);
                last = now;
            }
        }
    } else {
        let mut layer = L::new()?;
        let mut tokens = Vec::new();
        let mut last = Instant::now();
        while times.len() < ticks {
            layer.wait(Some(period), &mut tokens)?;
            let now = Instant::now();
            times.push(now - last);
            last = now;
        }
    }
    Ok(sample_of(times))
}

/// `sleep(1 ms)`, `ticks` times: the floor the timer figures are held to.
fn sleep1ms(ticks: usize) -> Sample {
    let mut times = Vec::with_capacity(ticks);
    for _ in 0..ticks {
        let start = Instant::now();
        thread::sleep(Duration::from_millis(1));
        times.push(start.elapsed());
    }
    sample_of(times)
}

fn run_one(scenario: &str, backend: &str, iters: usize) -> io::Result<Sample> {
    fn go<L: Layer>(scenario: &str, iters: usize) -> io::Result<Sample> {
        match scenario {
            "ping" => ping::<L>(iters),
            "fan32" => fan32::<L>(iters),
            "wake" => wake::<L>(iters),
            "sockets1000" => sockets1000::<L>(iters),
            "timer1ms" => timer1ms::<L>(iters),
            _ => Err(io::Error::other(format!("unknown scenario {scenario}"))),
        }
    }
    match backend {
        Eventctx::NAME => go::<Eventctx>(scenario, iters),
        Mio::NAME => go::<Mio>(scenario, iters),
        Polling::NAME => go::<Polling>(scenario, iters),
        _ => Err(io::Error::other(format!("unknown back-end {backend}"))),
    }
}

fn iterations(scenario: &str, quick: bool) -> usize {
    let full = match scenario {
        "ping" => 1_000,
        "fan32" => 200,
        "wake" => 1_000,
        "sockets1000" => 1_000,
        _ => 500, // timer ticks
    };
    if quick { full / 4 } else { full }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

pub fn main() {
    if let Err(e) = run() {
        eprintln!("eventctx-bench: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let mut quick = false;
    let mut rounds = 0;
    let (mut only, mut backend, mut iters) = (None, None, None);
    let mut args = std::env::args().skip(1);
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidInput, m.to_string());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--rounds" => {
                rounds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| bad("--rounds needs a number"))?
            }
            "--only" => only = Some(args.next().ok_or_else(|| bad("--only needs a scenario"))?),
            "--backend" => {
                backend = Some(args.next().ok_or_else(|| bad("--backend needs a name"))?)
            }
            "--iters" => {
                iters = Some(
                    args.next()
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| bad("--iters needs a number"))?,
                )
            }
            "-h" | "--help" => {
                println!(
                    "usage: eventctx-bench [--quick] [--rounds N]\n       \
                     eventctx-bench --only {} --backend {} [--iters N]",
                    SCENARIOS.join("|"),
                    BACKENDS.join("|")
                );
                return Ok(());
            }
            _ => return Err(bad(&format!("unknown argument {arg}"))),
        }
    }
    if let Some(scenario) = only {
        // One sample of one scenario on one back-end: for tracing (WINEDEBUG=+server).
        let backend = backend.ok_or_else(|| bad("--only needs --backend"))?;
        let iters = iters.unwrap_or_else(|| iterations(&scenario, quick));
        let s = run_one(&scenario, &backend, iters)?;
        println!(
            "{backend} {scenario} x{iters}: p50 {:.1} µs, mean {:.1} µs",
            s.p50, s.mean
        );
        return Ok(());
    }
    if rounds == 0 {
        rounds = if quick { 3 } else { 9 };
    }
    // (scenario, back-end) -> per round: (p50, mean); and the sleep floor per round.
    let mut samples: BTreeMap<(&str, &str), Vec<Sample>> = BTreeMap::new();
    let mut sleeps = Vec::new();
    let started = Instant::now();
    for round in 0..rounds {
        for scenario in SCENARIOS {
            let n = iterations(scenario, quick);
            for k in 0..BACKENDS.len() {
                let backend = BACKENDS[(k + round) % BACKENDS.len()];
                let s = run_one(scenario, backend, n).map_err(|e| {
                    io::Error::new(e.kind(), format!("{scenario} on {backend}: {e}"))
                })?;
                samples.entry((scenario, backend)).or_default().push(s);
            }
            if scenario == "timer1ms" {
                sleeps.push(sleep1ms(n));
            }
        }
    }
    println!(
        "eventctx-bench (Windows): {rounds} rounds, back-ends interleaved, order rotated; {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!("Figures: median over rounds; ratio: median of the per-round ratios to mio.\n");
    println!("| scenario | measure | eventctx | mio | polling | eventctx / mio | polling / mio |");
    println!("|---|---|---|---|---|---|---|");
    for scenario in SCENARIOS {
        let (measure, pick): (&str, fn(&Sample) -> f64) = match scenario {
            "timer1ms" => ("mean period, µs", |s| s.mean),
            _ => ("p50, µs", |s| s.p50),
        };
        let column = |b: &str| -> Vec<f64> { samples[&(scenario, b)].iter().map(pick).collect() };
        let ratio = |b: &str| -> f64 {
            median(
                column(b)
                    .iter()
                    .zip(column("mio"))
                    .map(|(x, m)| x / m)
                    .collect(),
            )
        };
        println!(
            "| {scenario} | {measure} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} |",
            median(column("eventctx")),
            median(column("mio")),
            median(column("polling")),
            ratio("eventctx"),
            ratio("polling"),
        );
        if scenario == "fan32" {
            let per_s = |b: &str| median(column(b).iter().map(|us| 32.0 * 1e6 / us).collect());
            println!(
                "| fan32 | round trips/s | {:.0} | {:.0} | {:.0} | {:.2}× | {:.2}× |",
                per_s("eventctx"),
                per_s("mio"),
                per_s("polling"),
                per_s("eventctx") / per_s("mio"),
                per_s("polling") / per_s("mio"),
            );
        }
    }
    let floor = median(sleeps.iter().map(|s| s.mean).collect());
    let timer = median(
        samples[&("timer1ms", "eventctx")]
            .iter()
            .zip(&sleeps)
            .map(|(t, s)| t.mean / s.mean)
            .collect(),
    );
    println!(
        "\nsleep(1 ms): mean {floor:.1} µs; eventctx's 1 ms periodic Timer / sleep(1 ms): {timer:.2}"
    );
    Ok(())
}
