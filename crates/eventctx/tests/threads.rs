//! One context shared between threads.

use std::io;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use eventctx::{Event, EventContext, EventType, Timer, WaitContext};

fn assert_send<T: Send>() {}
fn assert_sync<T: Sync>() {}

#[test]
fn contexts_events_and_timers_are_send_and_sync() {
    assert_send::<EventContext<u64>>();
    assert_sync::<EventContext<u64>>();
    assert_send::<WaitContext<u64>>();
    assert_sync::<WaitContext<u64>>();
    // A token that is Send but not Sync still gives a shareable context: tokens are only
    // ever moved in and out, never shared.
    assert_sync::<EventContext<std::cell::Cell<u64>>>();
    assert_send::<Event>();
    assert_sync::<Event>();
    assert_send::<Timer>();
    assert_send::<eventctx::Events<u64>>();
    assert_sync::<eventctx::Events<u64>>();
    assert_send::<eventctx::FakeTimer>();
    assert_send::<Box<dyn eventctx::TimerTrait>>();
}

#[test]
fn one_thread_waits_while_another_adds() -> io::Result<()> {
    let ctx: Arc<EventContext<u32>> = Arc::new(EventContext::new()?);
    let events: Vec<Event> = (0..8).map(|_| Event::new()).collect::<io::Result<_>>()?;
    let (seen_tx, seen_rx) = std::sync::mpsc::channel();
    let waiter = {
        let ctx = ctx.clone();
        thread::spawn(move || -> io::Result<()> {
            let mut distinct = std::collections::HashSet::new();
            while distinct.len() < 8 {
                for e in ctx.wait()? {
                    if distinct.insert(e.token) {
                        let _ = seen_tx.send(e.token);
                    }
                }
            }
            Ok(())
        })
    };
    // The waiter is blocked on an empty context (or on the muted ones); each descriptor
    // arrives from this thread, signaled, and must wake it. Once the waiter has reported it,
    // it is muted, so that the next add is what wakes the waiter again. A lost wake-up fails
    // the test after 10 s instead of hanging it.
    for (i, e) in events.iter().enumerate() {
        thread::sleep(Duration::from_millis(2));
        e.signal()?;
        ctx.add(e, i as u32)?;
        let seen = seen_rx.recv_timeout(Duration::from_secs(10));
        assert_eq!(seen, Ok(i as u32), "the add of {i} did not wake the waiter");
        ctx.modify(e, EventType::None, i as u32)?;
    }
    waiter.join().unwrap()?;
    Ok(())
}

#[test]
fn a_signal_from_another_thread_always_wakes_a_blocked_wait() -> io::Result<()> {
    let event = Event::new()?;
    let ctx = Arc::new(WaitContext::build_with(&[(&event, 0u8)])?);
    let reply = Event::new()?;
    const ROUNDS: usize = 2000;
    let waiter = {
        let (ctx, event, reply) = (ctx.clone(), event.try_clone()?, reply.try_clone()?);
        thread::spawn(move || -> io::Result<()> {
            for _ in 0..ROUNDS {
                let events = ctx.wait()?;
                assert_eq!(events.len(), 1);
                event.reset()?;
                reply.signal()?;
            }
            Ok(())
        })
    };
    for _ in 0..ROUNDS {
        event.signal()?;
        // Bounded, so a lost wake-up fails the test instead of hanging it.
        assert_eq!(
            reply.wait_timeout(Duration::from_secs(10))?,
            eventctx::EventWaitResult::Signaled
        );
    }
    waiter.join().unwrap()?;
    Ok(())
}

#[test]
fn event_wait_across_clones_never_blocks_on_reset() -> io::Result<()> {
    let event = Event::new()?;
    let clone = event.try_clone()?;
    event.signal()?;
    clone.reset()?; // drains the shared counter
    event.reset()?; // nothing left: must return at once, not block
    assert_eq!(
        event.wait_timeout(Duration::ZERO)?,
        eventctx::EventWaitResult::TimedOut
    );
    Ok(())
}
