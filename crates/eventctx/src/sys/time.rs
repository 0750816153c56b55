//! Timeouts as deadlines, in one place.

use std::time::{Duration, Instant};

/// The longest single wait: `epoll_wait` takes its timeout as an `int` of milliseconds (about
/// 24.8 days). A longer timeout is waited out in steps of at most this.
pub(crate) const MAX_STEP: Duration = Duration::from_millis(i32::MAX as u64);

/// The time a blocking call has left, kept so that an interrupted call resumes with what
/// remains instead of starting the whole timeout again.
///
/// `None` waits forever: it is what the caller passes for "no timeout", and what
/// `Duration::MAX` (or a deadline past what `Instant` can hold) becomes. `Duration::ZERO` polls.
/// Other durations become an `Instant` deadline, read once when the wait starts; the clock is
/// read again only after a call that returned early (`EINTR`, or a step of a very long wait).
#[derive(Debug)]
pub(crate) struct Deadline {
    left: Option<Duration>,
    at: Option<Instant>,
}

impl Deadline {
    #[inline]
    pub(crate) fn new(timeout: Option<Duration>) -> Deadline {
        match timeout {
            None | Some(Duration::MAX) => Deadline {
                left: None,
                at: None,
            },
            Some(Duration::ZERO) => Deadline {
                left: Some(Duration::ZERO),
                at: None,
            },
            Some(d) => match Instant::now().checked_add(d) {
                Some(at) => Deadline {
                    left: Some(d),
                    at: Some(at),
                },
                None => Deadline {
                    left: None,
                    at: None,
                },
            },
        }
    }

    /// The timeout for the next call: at most [`MAX_STEP`], `None` for no limit. The kernel
    /// rounds it up to its own granularity, never down.
    #[inline]
    pub(crate) fn step(&self) -> Option<Duration> {
        self.left.map(|left| left.min(MAX_STEP))
    }

    /// Whether a call that timed out with the current step means the whole timeout has passed.
    #[cfg_attr(windows, allow(dead_code))]
    #[inline]
    pub(crate) fn is_last_step(&self) -> bool {
        matches!(self.left, Some(left) if left <= MAX_STEP)
    }

    /// Whether no time is left (a finite deadline that has passed). Windows waits, whose
    /// timeouts are whole milliseconds on a coarse clock, check it after each call.
    #[cfg_attr(unix, allow(dead_code))]
    #[inline]
    pub(crate) fn is_expired(&self) -> bool {
        self.left == Some(Duration::ZERO)
    }

    /// Works out the time left after a call came back early.
    pub(crate) fn refresh(&mut self) {
        if let Some(at) = self.at {
            self.left = Some(at.saturating_duration_since(Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_polls_and_max_waits_forever() {
        let zero = Deadline::new(Some(Duration::ZERO));
        assert_eq!(zero.step(), Some(Duration::ZERO));
        assert!(zero.is_last_step());

        for forever in [
            None,
            Some(Duration::MAX),
            Some(Duration::from_secs(u64::MAX - 1)),
        ] {
            let d = Deadline::new(forever);
            assert!(d.step().is_none(), "{forever:?}");
            assert!(!d.is_last_step());
        }
    }

    #[test]
    fn sub_millisecond_timeouts_are_kept_exactly() {
        let d = Deadline::new(Some(Duration::from_micros(500)));
        assert_eq!(d.step(), Some(Duration::from_micros(500)));
        let d = Deadline::new(Some(Duration::from_nanos(1)));
        assert_eq!(d.step(), Some(Duration::from_nanos(1)));
    }

    #[test]
    fn long_timeouts_are_waited_in_steps() {
        let forty_days = Duration::from_secs(40 * 24 * 3600);
        let mut d = Deadline::new(Some(forty_days));
        assert_eq!(d.step(), Some(MAX_STEP));
        assert!(
            !d.is_last_step(),
            "a 40-day wait must not end after one 24.8-day step"
        );
        d.refresh();
        assert!(d.left.unwrap() > forty_days - Duration::from_secs(60));
    }

    #[test]
    fn refresh_counts_down_and_stops_at_zero() {
        let mut d = Deadline::new(Some(Duration::from_millis(20)));
        std::thread::sleep(Duration::from_millis(5));
        d.refresh();
        let left = d.left.unwrap();
        assert!(left <= Duration::from_millis(15), "{left:?}");
        std::thread::sleep(Duration::from_millis(20));
        d.refresh();
        assert_eq!(d.left, Some(Duration::ZERO));
        assert!(d.is_last_step());
    }
}
