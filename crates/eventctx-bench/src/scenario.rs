//! The scenarios, each a loop body run the same way on every back-end.

use std::hint::black_box;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::backends::Backend;
use crate::counting_alloc::allocations_here;
use crate::fds::{drain, signal};

/// The finite timeout every wait passes, as a real loop would (raw epoll passes 1000 ms).
pub const TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// One descriptor: signal, wait, read back.
    Ping,
    /// Many registered, one signaled per iteration, round-robin.
    Idle,
    /// `Ping` with this many registered (the signaled one included).
    Scale(usize),
    /// All registered descriptors left ready; one wait per iteration.
    Burst,
    /// Add then delete one descriptor.
    Churn,
    /// Cross-thread ping-pong: signal a partner thread, wait for its answer. Every wait has to
    /// block until the partner wakes up and answers.
    Wake,
}

impl Scenario {
    pub fn name(&self) -> String {
        match self {
            Scenario::Ping => "ping".into(),
            Scenario::Idle => "idle".into(),
            Scenario::Scale(n) => format!("scale/{n}"),
            Scenario::Burst => "burst".into(),
            Scenario::Churn => "churn".into(),
            Scenario::Wake => "wake".into(),
        }
    }

    /// What one operation is, for the table.
    pub fn unit(&self) -> &'static str {
        match self {
            Scenario::Burst => "ns/event",
            Scenario::Churn => "ns/add+delete",
            _ => "ns/round trip",
        }
    }

    /// How many events a wait may return.
    pub fn capacity(&self, registered: usize) -> usize {
        match self {
            Scenario::Burst => registered,
            _ => 16,
        }
    }
}

/// One timed run.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub ns_per_op: f64,
    pub allocs_per_op: f64,
}

/// Runs `iters` iterations of `scenario` on a fresh `B` watching `fds` (token = index), after
/// a short warm-up. The poller is made and filled before the clock starts, and dropped after.
pub fn run<B: Backend>(
    scenario: Scenario,
    fds: &[OwnedFd],
    spare: &OwnedFd,
    iters: usize,
) -> io::Result<Sample> {
    let mut b = B::new(scenario.capacity(fds.len()))?;
    for (i, fd) in fds.iter().enumerate() {
        b.add(fd.as_fd(), i)?;
    }
    let partner = if scenario == Scenario::Wake {
        Some(Partner::start(fds[0].try_clone()?)?)
    } else {
        None
    };
    let body = |b: &mut B, i: usize| -> io::Result<usize> {
        match scenario {
            Scenario::Wake => {
                let partner = partner.as_ref().expect("started for wake");
                signal(&partner.ask);
                let (n, tokens) = b.wait(TIMEOUT)?;
                black_box(tokens);
                drain(&fds[0]);
                if n != 1 {
                    return Err(io::Error::other(format!(
                        "{}: wake got {n} events",
                        B::NAME
                    )));
                }
                Ok(1)
            }
            Scenario::Ping | Scenario::Scale(_) => round_trip(b, &fds[0]),
            Scenario::Idle => round_trip(b, &fds[i % fds.len()]),
            Scenario::Burst => {
                let (n, tokens) = b.wait(TIMEOUT)?;
                black_box(tokens); // every delivered token is read, on every back-end
                Ok(n)
            }
            Scenario::Churn => {
                b.add(spare.as_fd(), usize::MAX >> 8)?;
                b.delete(spare.as_fd())?;
                Ok(1)
            }
        }
    };
    for i in 0..iters / 10 + 1 {
        body(&mut b, i)?;
    }
    let allocs = allocations_here();
    let start = Instant::now();
    let mut ops = 0;
    for i in 0..iters {
        ops += body(&mut b, i)?;
    }
    let elapsed = start.elapsed();
    let allocs = allocations_here() - allocs;
    drop(partner);
    let ops = black_box(ops).max(1) as f64;
    Ok(Sample {
        ns_per_op: elapsed.as_nanos() as f64 / ops,
        allocs_per_op: allocs as f64 / ops,
    })
}

/// Signal one descriptor, wait for it with a finite timeout, read it back.
#[inline]
fn round_trip<B: Backend>(b: &mut B, fd: &OwnedFd) -> io::Result<usize> {
    signal(fd);
    let (n, tokens) = b.wait(TIMEOUT)?;
    black_box(tokens);
    drain(fd);
    if n != 1 {
        return Err(io::Error::other(format!(
            "{}: expected 1 event, got {n}",
            B::NAME
        )));
    }
    Ok(1)
}

/// The other side of `wake`: a thread that blocks until asked (in `poll`), then answers by
/// signaling the descriptor the poller under test watches.
struct Partner {
    ask: OwnedFd,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Partner {
    fn start(answer: OwnedFd) -> io::Result<Partner> {
        let ask = crate::fds::eventfds(1)?.remove(0);
        let theirs = ask.try_clone()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut pfd = libc::pollfd {
                fd: theirs.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            loop {
                // SAFETY: one valid pollfd for the length of the call.
                if unsafe { libc::poll(&mut pfd, 1, -1) } < 0 {
                    continue; // EINTR
                }
                drain(&theirs);
                if stopping.load(Ordering::Relaxed) {
                    return;
                }
                signal(&answer);
            }
        });
        Ok(Partner {
            ask,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Partner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        signal(&self.ask);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
