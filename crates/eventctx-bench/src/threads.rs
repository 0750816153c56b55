//! Thread pools: events handled per second by 1, 2 and 4 threads, and the thundering herd.
//!
//! The work: 64 eventfds, all signaled at the start. Handling an event reads the eventfd's
//! count and signals it again, so that it is ready again at once and the pool never runs dry;
//! what is measured is the cost of handing readiness to threads. Four ways of sharing it:
//!
//! - `eventctx-oneshot`: one eventctx context shared by every thread, each eventfd one-shot;
//!   the thread that handles an event re-arms it with `modify_with`.
//! - `eventctx-per-thread`: a context per thread, each with its own share of the eventfds,
//!   level-triggered.
//! - `polling-oneshot`: one `polling::Poller` (one-shot, its default) shared by every thread,
//!   re-armed with `modify`.
//! - `mio-per-thread`: a `mio::Poll` per thread (mio's `Poll::poll` takes `&mut self`, so it
//!   cannot be shared), edge-triggered; each handling makes a new edge.
//!
//! The herd: one eventfd in 4 contexts, each with a thread waiting on it; per signal, how many
//! threads wake, watched level-triggered and with `Interest::exclusive`.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use eventctx::{EventContext, EventType, Events, Interest};

use crate::fds;

/// The eventfds the pool shares.
pub const DESCRIPTORS: usize = 64;
const READ_ONCE: Interest = Interest::new(EventType::Read).oneshot();
const WAIT: Duration = Duration::from_millis(50);

/// The ways of sharing the work, in table order.
pub const POOLS: [&str; 4] = [
    "eventctx-oneshot",
    "eventctx-per-thread",
    "polling-oneshot",
    "mio-per-thread",
];

/// Handles one ready eventfd: take its count, make it ready again.
#[inline]
fn handle(fd: &OwnedFd) {
    fds::drain(fd);
    fds::signal(fd);
}

/// Runs `threads` copies of `work(thread index)` until `duration` passes; returns events
/// handled per second, over all threads.
fn pool(
    threads: usize,
    duration: Duration,
    work: impl Fn(usize, &AtomicBool) -> io::Result<u64> + Send + Sync + 'static,
) -> io::Result<f64> {
    let stop = Arc::new(AtomicBool::new(false));
    let work = Arc::new(work);
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (stop, work) = (stop.clone(), work.clone());
            thread::spawn(move || work(t, &stop))
        })
        .collect();
    thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let mut handled = 0;
    for h in handles {
        handled += h
            .join()
            .map_err(|_| io::Error::other("a worker panicked"))??;
    }
    Ok(handled as f64 / start.elapsed().as_secs_f64())
}

/// Events handled per second by `threads` threads sharing the work the way `name` says.
pub fn events_per_second(name: &str, threads: usize, duration: Duration) -> io::Result<f64> {
    let fds = Arc::new(fds::eventfds(DESCRIPTORS)?);
    fds.iter().for_each(fds::signal);
    match name {
        "eventctx-oneshot" => {
            let ctx = Arc::new(EventContext::<usize>::new()?);
            for (i, fd) in fds.iter().enumerate() {
                ctx.add_with(fd, READ_ONCE, i)?;
            }
            pool(threads, duration, move |_, stop| {
                let mut events = Events::with_capacity(16);
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    ctx.wait_into(&mut events, Some(WAIT))?;
                    for event in &events {
                        handle(&fds[event.token]);
                        ctx.modify_with(&fds[event.token], READ_ONCE, event.token)?;
                        n += 1;
                    }
                }
                Ok(n)
            })
        }
        "eventctx-per-thread" => {
            let contexts = (0..threads)
                .map(|t| {
                    let ctx = EventContext::<usize>::new()?;
                    for i in (t..DESCRIPTORS).step_by(threads) {
                        ctx.add(&fds[i], i)?;
                    }
                    Ok(ctx)
                })
                .collect::<io::Result<Vec<_>>>()?;
            let contexts = Arc::new(contexts);
            pool(threads, duration, move |t, stop| {
                let mut events = Events::with_capacity(16);
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    contexts[t].wait_into(&mut events, Some(WAIT))?;
                    for event in &events {
                        handle(&fds[event.token]);
                        n += 1;
                    }
                }
                Ok(n)
            })
        }
        "polling-oneshot" => {
            let poller = Arc::new(polling::Poller::new()?);
            for (i, fd) in fds.iter().enumerate() {
                // SAFETY: polling asks that a source be deleted before it is closed, or a later
                // wait could report it under a reused number. The eventfds are closed only
                // when this run ends, together with the poller, and no thread waits on the
                // poller after that.
                unsafe { poller.add(fd.as_raw_fd(), polling::Event::readable(i))? };
            }
            pool(threads, duration, move |_, stop| {
                let capacity = std::num::NonZeroUsize::new(16).expect("16 > 0");
                let mut events = polling::Events::with_capacity(capacity);
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    events.clear();
                    poller.wait(&mut events, Some(WAIT))?;
                    for event in events.iter() {
                        handle(&fds[event.key]);
                        poller.modify(&fds[event.key], polling::Event::readable(event.key))?;
                        n += 1;
                    }
                }
                Ok(n)
            })
        }
        "mio-per-thread" => {
            let polls = (0..threads)
                .map(|t| {
                    let poll = mio::Poll::new()?;
                    for i in (t..DESCRIPTORS).step_by(threads) {
                        let raw = fds[i].as_raw_fd();
                        poll.registry().register(
                            &mut mio::unix::SourceFd(&raw),
                            mio::Token(i),
                            mio::Interest::READABLE,
                        )?;
                    }
                    Ok(std::sync::Mutex::new(Some(poll)))
                })
                .collect::<io::Result<Vec<_>>>()?;
            let polls = Arc::new(polls);
            pool(threads, duration, move |t, stop| {
                let mut poll = polls[t].lock().expect("not poisoned").take().expect("once");
                let mut events = mio::Events::with_capacity(16);
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    poll.poll(&mut events, Some(WAIT))?;
                    for event in events.iter() {
                        // Edge-triggered: the signal after the read is a new edge.
                        handle(&fds[event.token().0]);
                        n += 1;
                    }
                }
                Ok(n)
            })
        }
        _ => Err(io::Error::other(format!("unknown pool {name}"))),
    }
}

/// Threads woken per event: one eventfd in `CONTEXTS` contexts, a thread waiting on each, and
/// `rounds` signals; `exclusive` adds it with `Interest::exclusive`.
pub fn herd(exclusive: bool, rounds: usize) -> io::Result<f64> {
    const CONTEXTS: usize = 4;
    let fd = Arc::new(fds::eventfds(1)?.remove(0));
    let interest = if exclusive {
        Interest::new(EventType::Read).exclusive()
    } else {
        Interest::new(EventType::Read)
    };
    let woken = Arc::new(AtomicUsize::new(0));
    let round = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let waiting = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..CONTEXTS)
        .map(|_| {
            let ctx = EventContext::<u8>::new()?;
            ctx.add_with(&*fd, interest, 0)?;
            let (woken, round, stop, waiting) =
                (woken.clone(), round.clone(), stop.clone(), waiting.clone());
            Ok(thread::spawn(move || -> io::Result<()> {
                while !stop.load(Ordering::Relaxed) {
                    let mine = round.load(Ordering::Acquire);
                    waiting.fetch_add(1, Ordering::AcqRel);
                    let events = ctx.wait_timeout(Duration::from_secs(1))?;
                    waiting.fetch_sub(1, Ordering::AcqRel);
                    if !events.is_empty() {
                        woken.fetch_add(1, Ordering::AcqRel);
                        // Wait out this round, so that a level-triggered readiness counts once.
                        while round.load(Ordering::Acquire) == mine && !stop.load(Ordering::Relaxed)
                        {
                            thread::yield_now();
                        }
                    }
                }
                Ok(())
            }))
        })
        .collect::<io::Result<_>>()?;
    let mut total = 0;
    for _ in 0..rounds {
        // Every thread is in its wait before the signal.
        while waiting.load(Ordering::Acquire) < CONTEXTS {
            thread::yield_now();
        }
        thread::sleep(Duration::from_micros(200));
        woken.store(0, Ordering::Release);
        fds::signal(&fd);
        thread::sleep(Duration::from_millis(2));
        fds::drain(&fd);
        total += woken.load(Ordering::Acquire);
        round.fetch_add(1, Ordering::AcqRel);
    }
    stop.store(true, Ordering::Relaxed);
    round.fetch_add(1, Ordering::AcqRel);
    for t in threads {
        t.join()
            .map_err(|_| io::Error::other("a waiter panicked"))??;
    }
    Ok(total as f64 / rounds as f64)
}
