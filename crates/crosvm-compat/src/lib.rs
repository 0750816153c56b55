//! Code written the way crosvm's devices are written, against `base::`, built with eventctx
//! renamed to `base` in `Cargo.toml`. It compiles unchanged; `tests/` runs it.
//!
//! [`run_worker`] is a device worker: a kill event, a queue event that the guest rings with a
//! count, and a timer held as `Box<dyn TimerTrait>` so that tests can give it a [`FakeTimer`].
//!
//! [`FakeTimer`]: base::FakeTimer

use std::time::Duration;

use base::{Error as SysError, Event, EventExt, EventToken, TimerTrait, WaitContext};

/// What the worker did before it was told to stop.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Sum of the counts written to the queue event.
    pub queue_kicks: u64,
    /// Times the timer fired and was handled.
    pub ticks: u64,
}

/// Runs until `kill_evt` is signaled: counts queue kicks, and handles the timer, which it
/// re-arms as a repeating `interval`.
pub fn run_worker(
    kill_evt: Event,
    queue_evt: Event,
    mut timer: Box<dyn TimerTrait>,
    interval: Duration,
) -> Result<WorkerStats, SysError> {
    #[derive(EventToken)]
    enum Token {
        Kill,
        Queue,
        Timer,
    }

    let wait_ctx: WaitContext<Token> = WaitContext::build_with(&[
        (&kill_evt, Token::Kill),
        (&queue_evt, Token::Queue),
        (timer.as_ref(), Token::Timer),
    ])?;
    timer.reset_repeating(interval)?;

    let mut stats = WorkerStats::default();
    'wait: loop {
        let events = wait_ctx.wait()?;
        for event in events.iter().filter(|e| e.is_readable) {
            match event.token {
                Token::Kill => break 'wait,
                Token::Queue => stats.queue_kicks += queue_evt.read_count()?,
                Token::Timer => {
                    if !timer.mark_waited()? {
                        stats.ticks += 1;
                    }
                }
            }
        }
    }
    timer.clear()?;
    Ok(stats)
}
