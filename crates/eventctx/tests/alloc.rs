//! No heap allocation on the hot paths: `wait`, `wait_timeout`, `wait_into`, `add`, `modify`,
//! `delete`, `Event::signal`/`reset`. A counting global allocator checks it, counting this
//! thread's allocations only (the harness's own threads allocate when they will). (epoll keeps registrations in the kernel;
//! the kqueue and Windows back-ends keep a registry, so there `add` and `delete` may allocate,
//! and only the rest is held to none.)

use std::io;
use std::time::Duration;

use eventctx::{Event, EventContext, EventToken, EventType, Events, Timer};

#[global_allocator]
static GLOBAL: Counting = Counting;

mod support;
use support::counting_alloc::{Counting, allocations_here};

fn allocations_in(f: impl FnOnce() -> io::Result<()>) -> io::Result<usize> {
    let before = allocations_here();
    f()?;
    Ok(allocations_here() - before)
}

#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Token {
    Wake(u32),
    Tick,
}

#[test]
fn hot_paths_do_not_allocate() -> io::Result<()> {
    // Everything that may allocate is made first.
    let ctx: EventContext<Token> = EventContext::new()?;
    let wakes: Vec<Event> = (0..40).map(|_| Event::new()).collect::<io::Result<_>>()?;
    let mut timer = Timer::new()?;
    let mut events = Events::with_capacity(64);

    // The check can fail: allocating shows up.
    let one = allocations_in(|| {
        std::hint::black_box(vec![1u8; 10]);
        Ok(())
    })?;
    assert_eq!(one, 1);

    let mut registry = 0;
    let n = allocations_in(|| {
        for _ in 0..100 {
            for (i, w) in wakes.iter().enumerate() {
                registry += allocations_in(|| ctx.add(w, Token::Wake(i as u32)))?;
                ctx.modify(w, EventType::ReadWrite, Token::Wake(i as u32))?;
                ctx.modify(w, EventType::Read, Token::Wake(i as u32))?;
                w.signal()?;
            }
            registry += allocations_in(|| ctx.add(&timer, Token::Tick))?;
            timer.reset_oneshot(Duration::ZERO)?;
            // More ready than one seed wait returns: the SmallVec stays inline.
            assert_eq!(ctx.wait()?.len(), 16);
            assert_eq!(ctx.wait_timeout(Duration::from_millis(100))?.len(), 16);
            assert_eq!(
                ctx.wait_into(&mut events, Some(Duration::from_secs(1)))?,
                41
            );
            assert_eq!(events.iter().filter(|e| e.token == Token::Tick).count(), 1);
            timer.wait()?;
            for w in &wakes {
                w.reset()?;
                registry += allocations_in(|| ctx.delete(w))?;
            }
            registry += allocations_in(|| ctx.delete(&timer))?;
            assert_eq!(ctx.wait_into(&mut events, Some(Duration::ZERO))?, 0);
        }
        Ok(())
    })?;
    let n = if cfg!(any(target_os = "linux", target_os = "android")) {
        n
    } else {
        n - registry
    };
    assert_eq!(n, 0, "{n} heap allocations on paths that must make none");
    Ok(())
}
