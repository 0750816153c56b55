//! Many deadlines and a watched channel, against what a user would build instead.
//!
//! Deadlines: eventctx's `Deadlines` (one descriptor, a B-tree), a `Timer` per key (a
//! descriptor each, so only as many as the descriptor limit allows), a scan (a hash map of
//! deadlines, every entry looked at to find what is due, as the echo server used to each
//! second) and a sorted `Vec` (binary search, then a shift of everything after). Each is timed
//! on five phases over `n` keys: insert every key, move every key's deadline, take what is due
//! when every deadline has passed (expire all, per key), take the one key that is due among
//! `n` (expire 1, per call: what each wake-up of a server's timeout loop costs), and insert
//! then remove every key (remove, per key). The sorted `Vec` is quadratic: at 100,000 keys only its first 5,000 operations of
//! each phase are timed.
//!
//! Channel: a ping-pong between two threads, each waiting on a context of its own for the
//! other's message: eventctx's `channel`, `std::sync::mpsc` beside an `Event` as users pair
//! them by hand, and calloop's channel in calloop's event loop. Nanoseconds per round trip.

use std::collections::HashMap;
use std::io;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use eventctx::{Deadlines, Event, EventContext, Timer, channel};

/// How many phases each queue is timed on.
pub const PHASES: usize = 5;

/// ns per operation, per phase: insert, move, expire all (per key), expire one (per call that
/// finds one key due among all the others), remove.
pub type Phases = [f64; PHASES];

/// A deadline queue as the benchmark drives it.
trait Queue {
    fn insert(&mut self, key: u32, at: Instant);
    fn remove(&mut self, key: u32);
    /// Takes what is due; returns how many.
    fn expire(&mut self) -> usize;
}

impl Queue for Deadlines<u32> {
    fn insert(&mut self, key: u32, at: Instant) {
        Deadlines::insert(self, key, at);
    }
    fn remove(&mut self, key: u32) {
        Deadlines::remove(self, &key);
    }
    fn expire(&mut self) -> usize {
        self.expired().len()
    }
}

/// A `Timer` per key: a descriptor each.
struct TimerPerKey {
    timers: HashMap<u32, Timer>,
}

impl Queue for TimerPerKey {
    fn insert(&mut self, key: u32, at: Instant) {
        let timer = self
            .timers
            .entry(key)
            .or_insert_with(|| Timer::new().expect("a timer per key: out of descriptors"));
        timer
            .reset_oneshot(at.saturating_duration_since(Instant::now()))
            .unwrap();
    }
    fn remove(&mut self, key: u32) {
        self.timers.remove(&key); // closes its descriptor
    }
    fn expire(&mut self) -> usize {
        // Each timer is asked (a read of each descriptor), as a loop that woke for them must.
        let mut due = Vec::new();
        for (&key, timer) in &mut self.timers {
            if !timer.mark_waited().unwrap() {
                due.push(key);
            }
        }
        for key in &due {
            self.timers.remove(key);
        }
        due.len()
    }
}

/// Deadlines in a hash map; what is due is found by looking at every entry.
struct Scan {
    deadlines: HashMap<u32, Instant>,
}

impl Queue for Scan {
    fn insert(&mut self, key: u32, at: Instant) {
        self.deadlines.insert(key, at);
    }
    fn remove(&mut self, key: u32) {
        self.deadlines.remove(&key);
    }
    fn expire(&mut self) -> usize {
        let now = Instant::now();
        let before = self.deadlines.len();
        self.deadlines.retain(|_, at| *at > now);
        before - self.deadlines.len()
    }
}

/// A `Vec` kept sorted by deadline, and each key's deadline to find its place.
struct SortedVec {
    queue: Vec<(Instant, u32)>,
    at: HashMap<u32, Instant>,
}

impl Queue for SortedVec {
    fn insert(&mut self, key: u32, at: Instant) {
        if let Some(old) = self.at.insert(key, at) {
            let i = self.queue.binary_search(&(old, key)).unwrap();
            self.queue.remove(i);
        }
        let i = self.queue.binary_search(&(at, key)).unwrap_or_else(|i| i);
        self.queue.insert(i, (at, key));
    }
    fn remove(&mut self, key: u32) {
        if let Some(old) = self.at.remove(&key) {
            let i = self.queue.binary_search(&(old, key)).unwrap();
            self.queue.remove(i);
        }
    }
    fn expire(&mut self) -> usize {
        let now = Instant::now();
        let due = self.queue.partition_point(|(at, _)| *at <= now);
        for (_, key) in self.queue.drain(..due) {
            self.at.remove(&key);
        }
        due
    }
}

/// A deadline an hour away, spread over a second so that keys do not tie.
fn spread(base: Instant, key: u32) -> Instant {
    base + Duration::from_secs(3600)
        + Duration::from_nanos(u64::from(key.wrapping_mul(2_654_435_761)) % 1_000_000_000)
}

fn phases<Q: Queue>(queue: &mut Q, n: u32, timed: u32) -> Phases {
    let base = Instant::now();
    let keys: Vec<u32> = (0..n).collect();
    let per = |start: Instant, ops: u32| start.elapsed().as_nanos() as f64 / f64::from(ops.max(1));
    // Untimed fill up to what the timed part leaves, so that every phase works on n keys.
    for &k in &keys[timed as usize..] {
        queue.insert(k, spread(base, k));
    }
    let start = Instant::now();
    for &k in &keys[..timed as usize] {
        queue.insert(k, spread(base, k));
    }
    let insert = per(start, timed);
    let start = Instant::now();
    for &k in &keys[..timed as usize] {
        queue.insert(k, spread(base, k) + Duration::from_secs(60));
    }
    let moved = per(start, timed);
    // One key due among n, a hundred times: each expiry call takes it.
    let past = base.checked_sub(Duration::from_secs(1)).unwrap_or(base);
    let singles = 100.min(n);
    let mut single = 0.0;
    for &k in &keys[..singles as usize] {
        queue.insert(k, past);
        let start = Instant::now();
        let due = queue.expire();
        single += start.elapsed().as_nanos() as f64;
        assert_eq!(due, 1, "one key was due");
        queue.insert(k, spread(base, k));
    }
    let expire_one = single / f64::from(singles);
    // Every key due now, then one expiry.
    for &k in &keys {
        queue.insert(k, past);
    }
    let start = Instant::now();
    let due = queue.expire();
    let expire = per(start, due as u32);
    assert_eq!(due, n as usize, "every deadline had passed");
    // Insert then remove (the insert untimed).
    for &k in &keys {
        queue.insert(k, spread(base, k));
    }
    let start = Instant::now();
    for &k in &keys[..timed as usize] {
        queue.remove(k);
    }
    let remove = per(start, timed);
    for &k in &keys[timed as usize..] {
        queue.remove(k);
    }
    [insert, moved, expire, expire_one, remove]
}

/// One round of every deadline queue at `n` keys; `None` for one that cannot hold `n`.
pub fn deadlines(n: u32, fd_room: usize) -> io::Result<Vec<(&'static str, Option<Phases>)>> {
    let mut rows = Vec::new();
    let mut d: Deadlines<u32> = Deadlines::new()?;
    rows.push(("Deadlines (1 fd)", Some(phases(&mut d, n, n))));
    assert!(d.is_empty());
    let per_key = if (n as usize) <= fd_room {
        let mut q = TimerPerKey {
            timers: HashMap::new(),
        };
        Some(phases(&mut q, n, n))
    } else {
        None
    };
    rows.push(("Timer per key", per_key));
    let mut q = Scan {
        deadlines: HashMap::new(),
    };
    rows.push(("scan (HashMap)", Some(phases(&mut q, n, n))));
    let mut q = SortedVec {
        queue: Vec::new(),
        at: HashMap::new(),
    };
    rows.push(("sorted Vec", Some(phases(&mut q, n, n.min(5_000)))));
    Ok(rows)
}

/// Round trips of one message between two threads, each waiting on its own context.
pub fn channel_ping_pong(kind: &str, round_trips: u32) -> io::Result<f64> {
    match kind {
        "eventctx channel" => eventctx_channel(round_trips),
        "mpsc + Event" => mpsc_and_event(round_trips),
        "calloop channel" => calloop_channel(round_trips),
        _ => Err(io::Error::other(format!("unknown channel {kind}"))),
    }
}

/// The channels compared, in the order of the table.
pub const CHANNELS: [&str; 3] = ["eventctx channel", "mpsc + Event", "calloop channel"];

fn eventctx_channel(round_trips: u32) -> io::Result<f64> {
    let (ping_tx, ping_rx) = channel::channel::<u32>();
    let (pong_tx, pong_rx) = channel::channel::<u32>();
    let echo = thread::spawn(move || -> io::Result<()> {
        let ctx = EventContext::build_with(&[(&ping_rx, 0u8)])?;
        loop {
            let events = ctx.wait()?;
            for m in ping_rx.try_iter() {
                pong_tx
                    .send(m)
                    .map_err(|_| io::Error::other("pong receiver gone"))?;
            }
            if events[0].is_hungup || events[0].is_read_closed {
                return Ok(());
            }
        }
    });
    let ctx = EventContext::build_with(&[(&pong_rx, 0u8)])?;
    let start = Instant::now();
    for i in 0..round_trips {
        ping_tx.send(i).unwrap();
        loop {
            ctx.wait()?;
            if let Ok(m) = pong_rx.try_recv() {
                assert_eq!(m, i);
                break;
            }
        }
    }
    let elapsed = start.elapsed();
    drop(ping_tx);
    echo.join().unwrap()?;
    Ok(elapsed.as_nanos() as f64 / f64::from(round_trips))
}

/// `std::sync::mpsc` and an `Event` beside it, as users pair them: push, then signal; the
/// receiver resets the event, then drains (in that order, or a message could be missed).
fn mpsc_and_event(round_trips: u32) -> io::Result<f64> {
    let (ping_tx, ping_rx) = mpsc::channel::<u32>();
    let (pong_tx, pong_rx) = mpsc::channel::<u32>();
    let ping_evt = Event::new()?;
    let pong_evt = Event::new()?;
    let (ping_signal, pong_wait) = (ping_evt.try_clone()?, pong_evt.try_clone()?);
    let echo = thread::spawn(move || -> io::Result<()> {
        let ctx = EventContext::build_with(&[(&ping_evt, 0u8)])?;
        loop {
            ctx.wait()?;
            ping_evt.reset()?;
            loop {
                match ping_rx.try_recv() {
                    Ok(m) => {
                        pong_tx.send(m).map_err(|_| io::Error::other("gone"))?;
                        pong_evt.signal()?;
                    }
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => return Ok(()),
                }
            }
        }
    });
    let ctx = EventContext::build_with(&[(&pong_wait, 0u8)])?;
    let start = Instant::now();
    for i in 0..round_trips {
        ping_tx.send(i).unwrap();
        ping_signal.signal()?;
        loop {
            ctx.wait()?;
            pong_wait.reset()?;
            if let Ok(m) = pong_rx.try_recv() {
                assert_eq!(m, i);
                break;
            }
        }
    }
    let elapsed = start.elapsed();
    drop(ping_tx);
    ping_signal.signal()?;
    echo.join().unwrap()?;
    Ok(elapsed.as_nanos() as f64 / f64::from(round_trips))
}

/// calloop's channel source in calloop's own event loop, each side dispatching until its
/// message has come.
fn calloop_channel(round_trips: u32) -> io::Result<f64> {
    use calloop::EventLoop;
    use calloop::channel::{Event as Msg, channel as calloop_channel};

    /// What a loop's callback gathers: a message, or `None` once the channel closed.
    type Got<T> = Vec<Option<T>>;

    fn looped<T: 'static>(
        rx: calloop::channel::Channel<T>,
    ) -> io::Result<(EventLoop<'static, Got<T>>, Got<T>)> {
        let event_loop: EventLoop<Got<T>> = EventLoop::try_new().map_err(io::Error::other)?;
        event_loop
            .handle()
            .insert_source(rx, |event, _, got: &mut Got<T>| match event {
                Msg::Msg(m) => got.push(Some(m)),
                Msg::Closed => got.push(None),
            })
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok((event_loop, Vec::new()))
    }

    let (ping_tx, ping_rx) = calloop_channel::<u32>();
    let (pong_tx, pong_rx) = calloop_channel::<u32>();
    let echo = thread::spawn(move || -> io::Result<()> {
        let (mut event_loop, mut got) = looped(ping_rx)?;
        loop {
            event_loop
                .dispatch(None, &mut got)
                .map_err(io::Error::other)?;
            for m in got.drain(..) {
                match m {
                    Some(m) => pong_tx.send(m).map_err(|_| io::Error::other("gone"))?,
                    None => return Ok(()),
                }
            }
        }
    });
    let (mut event_loop, mut got) = looped(pong_rx)?;
    let start = Instant::now();
    for i in 0..round_trips {
        ping_tx.send(i).unwrap();
        while got.is_empty() {
            event_loop
                .dispatch(None, &mut got)
                .map_err(io::Error::other)?;
        }
        assert_eq!(got.pop(), Some(Some(i)));
    }
    let elapsed = start.elapsed();
    drop(ping_tx);
    echo.join().unwrap()?;
    Ok(elapsed.as_nanos() as f64 / f64::from(round_trips))
}
