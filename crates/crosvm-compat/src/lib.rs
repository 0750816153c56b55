//! Code written the way crosvm's devices are written, against `base::`, built with eventctx
//! renamed to `base` in `Cargo.toml`. It compiles unchanged; `tests/` runs it.
//!
//! [`run_worker`] is a device worker: a kill event, a queue event that the guest rings with a
//! count, and a timer held as `Box<dyn TimerTrait>` so that tests can give it a [`FakeTimer`].
//!
//! [`start_stream_reader`] is the shape of crosvm's stream input workers and of its generic
//! event loop: a [`WorkerThread`], the stream's read notifier, a concrete
//! `Timer` called through an imported `TimerTrait` (which must not be an unused import under
//! `-D warnings`), errors logged with `base::error!`, and a stream that is deleted as soon as
//! it is `is_hungup`, before it is read.
//!
//! [`FakeTimer`]: base::FakeTimer

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use base::{
    Error as SysError, Event, EventExt, EventToken, ReadNotifier, Timer, TimerTrait, WaitContext,
    WorkerThread, error,
};

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

/// What [`start_stream_reader`]'s worker read, and how many times its flush timer fired.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StreamLog {
    /// Every byte read from the stream, in order.
    pub bytes: Vec<u8>,
    /// Whether the stream was deleted because it was reported hung up.
    pub hung_up: bool,
    /// Whether a read returned 0 (the peer will send no more).
    pub end_of_stream: bool,
}

/// Starts a worker that reads `stream` in `chunk`-byte reads, one per wait, until the stream
/// ends or hangs up (then it signals `input_done`), or the worker is stopped. As crosvm's loops
/// do, a hang-up deletes the stream before anything else is done with it.
pub fn start_stream_reader(
    mut stream: UnixStream,
    chunk: usize,
    input_done: Event,
) -> WorkerThread<StreamLog> {
    WorkerThread::start("v_stream_reader", move |kill_evt: Event| {
        #[derive(EventToken)]
        enum Token {
            Kill,
            Input,
            Flush,
        }

        let mut log = StreamLog::default();
        let mut flush_timer = match Timer::new() {
            Ok(timer) => timer,
            Err(e) => {
                error!("failed to create the flush timer: {}", e);
                return log;
            }
        };
        let wait_ctx: WaitContext<Token> = match WaitContext::build_with(&[
            (&kill_evt, Token::Kill),
            (stream.get_read_notifier(), Token::Input),
            (&flush_timer, Token::Flush),
        ]) {
            Ok(ctx) => ctx,
            Err(e) => {
                error!("failed creating WaitContext: {}", e);
                return log;
            }
        };
        if let Err(e) = flush_timer.reset_repeating(Duration::from_millis(50)) {
            error!("failed to arm the flush timer: {}", e);
        }
        let mut buf = vec![0u8; chunk.max(1)];
        let mut input_open = true;
        loop {
            let events = match wait_ctx.wait() {
                Ok(events) => events,
                Err(e) => {
                    error!("failed polling for events: {}", e);
                    return log;
                }
            };
            for event in events.iter() {
                match event.token {
                    Token::Kill => return log,
                    Token::Flush => {
                        let _ = flush_timer.mark_waited();
                    }
                    Token::Input if input_open && event.is_hungup => {
                        let _ = wait_ctx.delete(&stream);
                        input_open = false;
                        log.hung_up = true;
                        let _ = input_done.signal();
                    }
                    Token::Input if input_open && event.is_readable => {
                        match stream.read(&mut buf) {
                            Ok(0) => {
                                let _ = wait_ctx.delete(&stream);
                                input_open = false;
                                log.end_of_stream = true;
                                let _ = input_done.signal();
                            }
                            Ok(n) => log.bytes.extend_from_slice(&buf[..n]),
                            Err(e) => error!("failed to read the stream: {}", e),
                        }
                    }
                    Token::Input => {}
                }
            }
        }
    })
}
