//! How long a wait with nothing ready takes, for timeouts under and over a millisecond: the
//! median of many waits on a context watching one idle eventfd, per back-end. None may be
//! shorter than asked (raw epoll, through `as_millis`, is: it rounds 1,500 µs down to 1 ms
//! and 500 µs to a poll).

use std::io;
use std::time::{Duration, Instant};

use crate::backends::{Backend, Eventctx, EventctxBatch, Mio, Polling, RawEpoll};

/// The timeouts asked for, in µs.
pub const ASKED_US: [u64; 5] = [250, 500, 1_000, 1_500, 2_000];

/// Median wait in µs for each timeout of [`ASKED_US`], and the shortest, on back-end `name`.
pub fn waits(name: &str, samples: usize) -> io::Result<Vec<(f64, f64)>> {
    fn go<B: Backend>(samples: usize) -> io::Result<Vec<(f64, f64)>> {
        let idle = crate::fds::eventfds(1)?;
        let mut b = B::new(16)?;
        b.add(std::os::fd::AsFd::as_fd(&idle[0]), 0)?;
        let mut out = Vec::new();
        for us in ASKED_US {
            let asked = Duration::from_micros(us);
            let mut took: Vec<f64> = (0..samples)
                .map(|_| {
                    let start = Instant::now();
                    b.wait(asked).map(|_| start.elapsed().as_secs_f64() * 1e6)
                })
                .collect::<io::Result<_>>()?;
            took.sort_by(f64::total_cmp);
            out.push((took[took.len() / 2], took[0]));
        }
        Ok(out)
    }
    match name {
        RawEpoll::NAME => go::<RawEpoll>(samples),
        Mio::NAME => go::<Mio>(samples),
        Polling::NAME => go::<Polling>(samples),
        Eventctx::NAME => go::<Eventctx>(samples),
        EventctxBatch::NAME => go::<EventctxBatch>(samples),
        _ => Err(io::Error::other(format!("unknown back-end {name}"))),
    }
}
