//! Side-by-side benchmark of eventctx against raw epoll, mio and polling.
//!
//! Every scenario runs on every back-end in the same process, interleaved over several rounds
//! (A B C D E, A B C D E, ...), so that a noisy machine disturbs them alike; the table shows
//! medians and their ratio to raw epoll. Results go to `target/eventctx-bench/` as CSV and an
//! SVG plot.
//!
//! ```text
//! cargo run --release -p eventctx-bench              # full run (about a minute)
//! cargo run --release -p eventctx-bench -- --quick   # shorter, for CI
//! cargo run --release -p eventctx-bench -- --instr ping --backend eventctx --iters 10000
//! ```

#[cfg(windows)]
mod windows;
#[cfg(windows)]
fn main() {
    windows::main()
}

#[cfg(unix)]
mod backends;
#[cfg(unix)]
mod echo;
#[cfg(unix)]
mod fds;
#[cfg(unix)]
mod plot;
#[cfg(unix)]
mod queues;
#[cfg(unix)]
mod scenario;
#[cfg(unix)]
mod threads;
#[cfg(unix)]
mod timeouts;

#[cfg(unix)]
use std::collections::BTreeMap;
#[cfg(unix)]
use std::fmt::Write as _;
#[cfg(unix)]
use std::io;
#[cfg(unix)]
use std::path::PathBuf;
#[cfg(unix)]
use std::time::{Duration, Instant};

#[cfg(unix)]
use backends::{Backend, Eventctx, EventctxBatch, Mio, Polling, RawEpoll};
#[cfg(unix)]
use scenario::{Sample, Scenario};

/// Counts heap allocations, to report allocations per operation for every back-end.
#[cfg(unix)]
#[path = "../../eventctx/tests/support/counting_alloc.rs"]
mod counting_alloc;

#[cfg(unix)]
#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

#[cfg(unix)]
const BACKENDS: [&str; 5] = [
    RawEpoll::NAME,
    Mio::NAME,
    Polling::NAME,
    Eventctx::NAME,
    EventctxBatch::NAME,
];

/// Runs one sample of `scenario` on the back-end called `name`.
#[cfg(unix)]
fn sample(
    name: &str,
    scenario: Scenario,
    fds: &[std::os::fd::OwnedFd],
    spare: &std::os::fd::OwnedFd,
    iters: usize,
) -> io::Result<Option<Sample>> {
    fn go<B: Backend>(
        s: Scenario,
        fds: &[std::os::fd::OwnedFd],
        spare: &std::os::fd::OwnedFd,
        iters: usize,
    ) -> io::Result<Option<Sample>> {
        if s == Scenario::Burst && !B::LEVEL_TRIGGERED {
            return Ok(None); // an edge-triggered poller reports a ready descriptor once
        }
        scenario::run::<B>(s, fds, spare, iters).map(Some)
    }
    match name {
        RawEpoll::NAME => go::<RawEpoll>(scenario, fds, spare, iters),
        Mio::NAME => go::<Mio>(scenario, fds, spare, iters),
        Polling::NAME => go::<Polling>(scenario, fds, spare, iters),
        Eventctx::NAME => go::<Eventctx>(scenario, fds, spare, iters),
        EventctxBatch::NAME => go::<EventctxBatch>(scenario, fds, spare, iters),
        _ => Err(io::Error::other(format!("unknown back-end {name}"))),
    }
}

#[cfg(unix)]
struct Options {
    quick: bool,
    /// Only the deadline and channel tables.
    queues_only: bool,
    /// Only the timeout table.
    timeouts_only: bool,
    rounds: usize,
    out: PathBuf,
    instr: Option<(Scenario, String, usize)>,
}

#[cfg(unix)]
fn parse_args() -> io::Result<Options> {
    let mut opts = Options {
        quick: false,
        queues_only: false,
        timeouts_only: false,
        rounds: 0,
        out: PathBuf::from("target/eventctx-bench"),
        instr: None,
    };
    let (mut instr, mut backend, mut iters) = (None, None, 10_000);
    let mut args = std::env::args().skip(1);
    let bad = |m: String| io::Error::new(io::ErrorKind::InvalidInput, m);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| bad(format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--quick" => opts.quick = true,
            "--queues" => opts.queues_only = true,
            "--timeouts" => opts.timeouts_only = true,
            "--rounds" => opts.rounds = value()?.parse().map_err(|_| bad("bad --rounds".into()))?,
            "--out" => opts.out = PathBuf::from(value()?),
            "--instr" => instr = Some(value()?),
            "--backend" => backend = Some(value()?),
            "--iters" => iters = value()?.parse().map_err(|_| bad("bad --iters".into()))?,
            "-h" | "--help" => {
                println!(
                    "usage: eventctx-bench [--quick] [--queues | --timeouts] [--rounds N] [--out DIR]\n       \
                     eventctx-bench --instr ping|idle|churn|burst|wake --backend NAME [--iters N]\n\
                     back-ends: {}",
                    BACKENDS.join(" ")
                );
                std::process::exit(0);
            }
            _ => return Err(bad(format!("unknown argument {arg}"))),
        }
    }
    if let Some(name) = instr {
        let s = match name.as_str() {
            "ping" => Scenario::Ping,
            "wake" => Scenario::Wake,
            "idle" => Scenario::Idle,
            "churn" => Scenario::Churn,
            "burst" => Scenario::Burst,
            _ => return Err(bad(format!("--instr: unknown scenario {name}"))),
        };
        let backend = backend.ok_or_else(|| bad("--instr needs --backend".into()))?;
        opts.instr = Some((s, backend, iters));
    }
    if opts.rounds == 0 {
        opts.rounds = if opts.quick { 3 } else { 7 };
    }
    Ok(opts)
}

#[cfg(unix)]
fn main() {
    if let Err(e) = parse_args().and_then(run) {
        eprintln!("eventctx-bench: {e}");
        std::process::exit(1);
    }
}

/// Medians over rounds: (scenario, back-end) -> samples.
#[cfg(unix)]
type Results = BTreeMap<(String, &'static str), Vec<Sample>>;

#[cfg(unix)]
fn run(opts: Options) -> io::Result<()> {
    let limit = fds::raise_fd_limit()?;
    let spare = fds::eventfds(1)?.remove(0);

    if opts.timeouts_only {
        print!("{}", timeout_table(&opts)?);
        return Ok(());
    }
    if opts.queues_only {
        print!("{}", queue_tables(&opts, limit)?);
        return Ok(());
    }

    if let Some((scenario, backend, iters)) = opts.instr {
        // One back-end, one scenario, a fixed number of iterations: for callgrind and strace.
        let fds = fds::eventfds(registered(scenario))?;
        if scenario == Scenario::Burst {
            fds.iter().for_each(fds::signal);
        }
        let s = sample(&backend, scenario, &fds, &spare, iters)?;
        eprintln!("{backend} {}: {s:?}", scenario.name());
        return Ok(());
    }

    let started = Instant::now();
    let scale_iters = if opts.quick { 5_000 } else { 40_000 };
    let iters = |s: Scenario| -> usize {
        let full = match s {
            Scenario::Burst => 2_000,
            Scenario::Scale(_) => scale_iters,
            Scenario::Wake => 5_000,
            _ => 60_000,
        };
        if opts.quick { full / 8 } else { full }
    };

    // Scale levels: up to 100,000, or as far as the descriptor limit allows, keeping room for
    // the burst scenario's 1,024, the pollers, the echo run's sockets and the process's own.
    let room = (limit as usize).saturating_sub(1024 + 600);
    let mut levels: Vec<usize> = [10, 100, 1_000, 10_000, 100_000]
        .into_iter()
        .filter(|&n| n <= room)
        .collect();
    let scale_note = if room < 100_000 {
        levels.push(room / 1000 * 1000);
        format!(
            "scale: 100,000 descriptors not reached: RLIMIT_NOFILE hard limit is {limit}; the largest level is {}",
            levels.last().unwrap()
        )
    } else {
        "scale: reached 100,000 registered descriptors".into()
    };
    println!("{scale_note}");

    let mut scenarios = vec![
        Scenario::Ping,
        Scenario::Idle,
        Scenario::Burst,
        Scenario::Churn,
        Scenario::Wake,
    ];
    scenarios.extend(levels.iter().map(|&n| Scenario::Scale(n)));

    let mut results = Results::new();
    // The largest set of descriptors, made once: each scenario watches a prefix of it.
    let all = fds::eventfds(levels.iter().copied().max().unwrap_or(10).max(10_000))?;
    let burst = fds::eventfds(1024)?;
    burst.iter().for_each(fds::signal); // left ready for good
    for &s in &scenarios {
        let fds = if s == Scenario::Burst {
            &burst[..]
        } else {
            &all[..registered(s)]
        };
        // wake is the noisiest (two threads, a wake-up each way): three times the rounds.
        let rounds = if s == Scenario::Wake {
            opts.rounds * 3
        } else {
            opts.rounds
        };
        for round in 0..rounds {
            for name in BACKENDS {
                if let Some(sample) = sample(name, s, fds, &spare, iters(s))? {
                    results.entry((s.name(), name)).or_default().push(sample);
                }
            }
            if round == 0 {
                eprint!("{} ", s.name());
            }
        }
    }
    eprintln!();

    // echo: requests per second, eventctx's server against mio's, interleaved.
    let echo_secs = if opts.quick { 0.5 } else { 1.5 };
    let clients = 16;
    let mut echo: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for _ in 0..opts.rounds.min(5) {
        let d = Duration::from_secs_f64(echo_secs);
        echo.entry("eventctx")
            .or_default()
            .push(echo::eventctx(clients, d)?);
        echo.entry("mio").or_default().push(echo::mio(clients, d)?);
    }

    // Thread pools: events handled per second, each way of sharing, interleaved.
    let pool_secs = Duration::from_secs_f64(if opts.quick { 0.2 } else { 0.5 });
    let mut pools: BTreeMap<(&str, usize), Vec<f64>> = BTreeMap::new();
    for _ in 0..opts.rounds.min(5) {
        for t in THREADS {
            for name in threads::POOLS {
                let rate = threads::events_per_second(name, t, pool_secs)?;
                pools.entry((name, t)).or_default().push(rate);
            }
        }
    }
    let herd_rounds = if opts.quick { 50 } else { 300 };
    let herd = (
        threads::herd(false, herd_rounds)?,
        threads::herd(true, herd_rounds)?,
    );

    drop((all, burst)); // a `Timer` per key needs the room
    let queues = queue_tables(&opts, limit)?;
    let timeouts = timeout_table(&opts)?;

    std::fs::create_dir_all(&opts.out)?;
    let mut table = report(&results, &scenarios, &echo, clients)?;
    table.push_str(&pool_report(&pools, herd, herd_rounds));
    table.push_str(&queues);
    table.push_str(&timeouts);
    print!("{table}");
    write_csv(&opts, &results, &echo)?;
    let series: Vec<(&str, Vec<(usize, f64)>)> = BACKENDS
        .iter()
        .map(|&b| {
            let points = levels
                .iter()
                .filter_map(|&n| {
                    Some((
                        n,
                        median(results.get(&(Scenario::Scale(n).name(), b))?, |s| {
                            s.ns_per_op
                        }),
                    ))
                })
                .collect();
            (b, points)
        })
        .collect();
    let svg = opts.out.join("scale.svg");
    plot::scale_svg(&svg, &series)?;
    let pool_series: Vec<(&str, Vec<(usize, f64)>)> = threads::POOLS
        .iter()
        .map(|&name| {
            let points = THREADS
                .iter()
                .map(|&t| (t, median(&pools[&(name, t)], |x| *x) / 1e6))
                .collect();
            (name, points)
        })
        .collect();
    plot::threads_svg(&opts.out.join("threads.svg"), &pool_series)?;
    std::fs::write(opts.out.join("table.txt"), &table)?;
    println!(
        "\n{scale_note}\nwrote {}, {}, {}, {} in {:.0} s",
        opts.out.join("results.csv").display(),
        opts.out.join("summary.csv").display(),
        svg.display(),
        opts.out.join("threads.svg").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(unix)]
fn registered(s: Scenario) -> usize {
    match s {
        Scenario::Ping | Scenario::Churn | Scenario::Wake => 1,
        Scenario::Idle => 10_000,
        Scenario::Burst => 1024,
        Scenario::Scale(n) => n,
    }
}

#[cfg(unix)]
fn median<T>(samples: &[T], f: impl Fn(&T) -> f64) -> f64 {
    let mut v: Vec<f64> = samples.iter().map(f).collect();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// The first and third quartiles (nearest rank).
#[cfg(unix)]
fn quartiles<T>(samples: &[T], f: impl Fn(&T) -> f64) -> (f64, f64) {
    let mut v: Vec<f64> = samples.iter().map(f).collect();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.25), at(0.75))
}

#[cfg(unix)]
fn report(
    results: &Results,
    scenarios: &[Scenario],
    echo: &BTreeMap<&str, Vec<f64>>,
    clients: usize,
) -> io::Result<String> {
    let mut out = String::new();
    let w = |out: &mut String, s: String| out.push_str(&s);
    w(&mut out, format!("\n{:<14} {:<14}", "scenario", "unit"));
    for b in BACKENDS {
        w(&mut out, format!(" {b:>18}"));
    }
    w(&mut out, "\n".into());
    for s in scenarios {
        w(&mut out, format!("{:<14} {:<14}", s.name(), s.unit()));
        let raw = results
            .get(&(s.name(), RawEpoll::NAME))
            .map(|v| median(v, |x| x.ns_per_op));
        for b in BACKENDS {
            match (results.get(&(s.name(), b)), raw) {
                (Some(v), Some(raw)) => {
                    let m = median(v, |x| x.ns_per_op);
                    w(&mut out, format!(" {:>10.1} ({:>4.2}x)", m, m / raw));
                }
                _ => w(&mut out, format!(" {:>18}", "n/a")),
            }
        }
        w(&mut out, "\n".into());
    }
    w(
        &mut out,
        format!("{:<14} {:<14}", "allocations", "per op (ping)"),
    );
    for b in BACKENDS {
        let a = results
            .get(&(Scenario::Ping.name(), b))
            .map(|v| median(v, |x| x.allocs_per_op));
        w(
            &mut out,
            format!(" {:>18}", a.map_or("n/a".into(), |a| format!("{a:.2}"))),
        );
    }
    let e = median(&echo["eventctx"], |x| *x);
    let m = median(&echo["mio"], |x| *x);
    let _ = write!(
        out,
        "\n\necho ({clients} clients, {}-byte round trips, median of {} rounds):\n  \
         eventctx server {e:.0} req/s, mio server {m:.0} req/s, eventctx/mio = {:.3}\n",
        echo::MESSAGE,
        echo["eventctx"].len(),
        e / m
    );
    w(
        &mut out,
        "\nburst: mio is edge-triggered, so a descriptor left ready is reported once: n/a.\n"
            .into(),
    );
    if let Some(raw) = results.get(&(Scenario::Wake.name(), RawEpoll::NAME)) {
        let _ = write!(
            out,
            "\nwake (another thread answers each signal, so every wait blocks), median and \
             interquartile range of {} rounds, ns per round trip:\n ",
            raw.len()
        );
        for b in BACKENDS {
            if let Some(v) = results.get(&(Scenario::Wake.name(), b)) {
                let (q1, q3) = quartiles(v, |x| x.ns_per_op);
                let _ = write!(
                    out,
                    " {b} {:.0} (iqr {:.0}-{:.0});",
                    median(v, |x| x.ns_per_op),
                    q1,
                    q3
                );
            }
        }
        out.push('\n');
    }
    Ok(out)
}

/// Many deadlines, and a channel a context watches: every kind in each round, interleaved.
#[cfg(unix)]
fn queue_tables(opts: &Options, limit: u64) -> io::Result<String> {
    // Many deadlines, and a channel a context watches: every kind in each round.
    let queue_rounds = opts.rounds.clamp(1, 3);
    let fd_room = (limit as usize).saturating_sub(600);
    let mut deadline_rows: BTreeMap<(u32, &str), Vec<Option<queues::Phases>>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for _ in 0..queue_rounds {
        for n in DEADLINE_KEYS {
            for (name, phases) in queues::deadlines(n, fd_room)? {
                if !order.contains(&name) {
                    order.push(name);
                }
                deadline_rows.entry((n, name)).or_default().push(phases);
            }
        }
    }
    let round_trips = if opts.quick { 2_000 } else { 20_000 };
    let mut channels: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for _ in 0..opts.rounds.min(5) {
        for name in queues::CHANNELS {
            let ns = queues::channel_ping_pong(name, round_trips)?;
            channels.entry(name).or_default().push(ns);
        }
    }

    Ok(queue_report(&deadline_rows, &order, &channels, round_trips))
}

/// How long a wait with nothing ready takes, per back-end and timeout; the back-ends take
/// turns, timeout by timeout.
#[cfg(unix)]
fn timeout_table(opts: &Options) -> io::Result<String> {
    let samples = if opts.quick { 40 } else { 200 };
    let mut out = format!(
        "\nidle waits: median (shortest) µs a wait with nothing ready took, {samples} waits each\n\
         {:<16}",
        "asked"
    );
    for us in timeouts::ASKED_US {
        let _ = write!(out, " {:>18}", format!("{us} µs"));
    }
    out.push('\n');
    for name in BACKENDS {
        let _ = write!(out, "{name:<16}");
        for (median, shortest) in timeouts::waits(name, samples)? {
            let _ = write!(out, " {:>18}", format!("{median:.0} ({shortest:.0})"));
        }
        out.push('\n');
    }
    Ok(out)
}

/// Key counts for the deadline table.
#[cfg(unix)]
const DEADLINE_KEYS: [u32; 2] = [1_000, 100_000];

#[cfg(unix)]
fn queue_report(
    rows: &BTreeMap<(u32, &str), Vec<Option<queues::Phases>>>,
    order: &[&str],
    channels: &BTreeMap<&str, Vec<f64>>,
    round_trips: u32,
) -> String {
    let rounds = rows.values().next().map_or(0, Vec::len);
    let mut out = format!(
        "\ndeadlines: ns per key and phase, median of {rounds} rounds; ratio to Deadlines in \
         the same phase (expire 1: ns per call that finds one key due of all)\n{:<18} {:>8} \
         {:>19} {:>19} {:>19} {:>19} {:>19}\n",
        "queue", "keys", "insert", "move", "expire all", "expire 1", "remove"
    );
    for n in DEADLINE_KEYS {
        let base = &rows[&(n, order[0])];
        for name in order {
            let samples = &rows[&(n, *name)];
            let _ = write!(out, "{name:<18} {n:>8}");
            if samples.iter().any(Option::is_none) {
                let _ = writeln!(out, "   not run: a descriptor per key is past the limit");
                continue;
            }
            for phase in 0..queues::PHASES {
                let m = median(samples, |p| p.unwrap()[phase]);
                let b = median(base, |p| p.unwrap()[phase]);
                let _ = write!(out, " {m:>10.1} ({:>5.2}x)", m / b);
            }
            out.push('\n');
        }
    }
    let base = median(&channels["eventctx channel"], |x| *x);
    let _ = write!(
        out,
        "\nchannel ping-pong between two threads, each waiting on its own loop: ns per round \
         trip, median of {} rounds of {round_trips}; ratio to eventctx's channel\n",
        channels.values().next().map_or(0, Vec::len)
    );
    for name in queues::CHANNELS {
        let m = median(&channels[name], |x| *x);
        let _ = writeln!(out, "{name:<18} {m:>10.0} ({:>5.2}x)", m / base);
    }
    out
}

/// Thread counts for the pool table.
#[cfg(unix)]
const THREADS: [usize; 3] = [1, 2, 4];

#[cfg(unix)]
fn pool_report(
    pools: &BTreeMap<(&str, usize), Vec<f64>>,
    herd: (f64, f64),
    herd_rounds: usize,
) -> String {
    let mut out = format!(
        "\nthread pools: events handled per second (millions), {} eventfds, median of {} rounds;\n\
         ratio to eventctx-oneshot at the same thread count; this machine has {} cores\n{:<22}",
        threads::DESCRIPTORS,
        pools.values().next().map_or(0, Vec::len),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        "pool"
    );
    for t in THREADS {
        let _ = write!(
            out,
            " {:>19}",
            format!("{t} thread{}", if t == 1 { "" } else { "s" })
        );
    }
    out.push('\n');
    for name in threads::POOLS {
        let _ = write!(out, "{name:<22}");
        for t in THREADS {
            let m = median(&pools[&(name, t)], |x| *x);
            let base = median(&pools[&("eventctx-oneshot", t)], |x| *x);
            let _ = write!(out, " {:>11.2} ({:>4.2}x)", m / 1e6, m / base);
        }
        out.push('\n');
    }
    let _ = write!(
        out,
        "\nherd: one eventfd in 4 contexts, a thread waiting on each, {herd_rounds} signals: \
         {:.2} threads woken per signal level-triggered, {:.2} with Interest::exclusive\n",
        herd.0, herd.1
    );
    out
}

#[cfg(unix)]
fn write_csv(opts: &Options, results: &Results, echo: &BTreeMap<&str, Vec<f64>>) -> io::Result<()> {
    let mut all = String::from("scenario,backend,round,ns_per_op,allocs_per_op\n");
    let mut summary = String::from("scenario,backend,median_ns_per_op,ratio_to_raw_epoll\n");
    for ((s, b), samples) in results {
        for (i, x) in samples.iter().enumerate() {
            let _ = writeln!(all, "{s},{b},{i},{:.2},{:.3}", x.ns_per_op, x.allocs_per_op);
        }
        let raw = median(&results[&(s.clone(), RawEpoll::NAME)], |x| x.ns_per_op);
        let m = median(samples, |x| x.ns_per_op);
        let _ = writeln!(summary, "{s},{b},{m:.2},{:.4}", m / raw);
    }
    for (b, v) in echo {
        for (i, rps) in v.iter().enumerate() {
            let _ = writeln!(all, "echo,{b},{i},{:.2},", 1e9 / rps);
        }
        let _ = writeln!(summary, "echo_req_per_s,{b},{:.0},", median(v, |x| *x));
    }
    std::fs::write(opts.out.join("results.csv"), all)?;
    std::fs::write(opts.out.join("summary.csv"), summary)?;
    Ok(())
}
