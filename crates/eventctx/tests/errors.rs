//! Bad input gets an `io::Error` with the right errno, never a panic.
//!
//! It checks the errno of each misuse, which is Unix's vocabulary; the portable kinds are checked by the other files.
#![cfg(unix)]

use std::fs::File;
use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use eventctx::{AsRawDescriptor, Event, EventContext, EventType, RawDescriptor, Timer};

mod support;

/// A descriptor number, whatever it refers to.
struct Raw(RawFd);

impl AsRawDescriptor for Raw {
    fn as_raw_descriptor(&self) -> RawDescriptor {
        self.0
    }
}

fn errno<T: std::fmt::Debug>(result: io::Result<T>) -> i32 {
    result.unwrap_err().raw_os_error().expect("an errno")
}

#[test]
fn negative_descriptors_are_ebadf_for_every_call() -> io::Result<()> {
    let ctx: EventContext<u32> = EventContext::new()?;
    for fd in [-1, -2, RawFd::MIN] {
        let fd = Raw(fd);
        assert_eq!(errno(ctx.add(&fd, 1)), libc::EBADF);
        assert_eq!(
            errno(ctx.add_for_event(&fd, EventType::Write, 1)),
            libc::EBADF
        );
        assert_eq!(errno(ctx.modify(&fd, EventType::Read, 1)), libc::EBADF);
        assert_eq!(errno(ctx.delete(&fd)), libc::EBADF);
        assert_eq!(errno(ctx.add_many(&[(&fd, 1)])), libc::EBADF);
        assert_eq!(errno(EventContext::build_with(&[(&fd, 1u32)])), libc::EBADF);
    }
    Ok(())
}

#[test]
fn closed_descriptors_are_ebadf() -> io::Result<()> {
    let ctx: EventContext<u32> = EventContext::new()?;
    // Numbers far above anything this process opens are closed.
    for fd in [support::closed_descriptor()?, 1 << 20, RawFd::MAX] {
        let fd = Raw(fd);
        assert_eq!(errno(ctx.add(&fd, 1)), libc::EBADF);
        assert_eq!(errno(ctx.modify(&fd, EventType::Read, 1)), libc::EBADF);
        assert_eq!(errno(ctx.delete(&fd)), libc::EBADF);
    }
    Ok(())
}

#[test]
fn adding_twice_is_eexist() -> io::Result<()> {
    let event = Event::new()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.add(&event, 1)?;
    assert_eq!(errno(ctx.add(&event, 2)), libc::EEXIST);
    assert_eq!(
        errno(ctx.add_for_event(&event, EventType::Write, 2)),
        libc::EEXIST
    );
    Ok(())
}

#[test]
fn modify_of_an_unwatched_descriptor_is_enoent() -> io::Result<()> {
    let event = Event::new()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    assert_eq!(errno(ctx.modify(&event, EventType::Read, 1)), libc::ENOENT);
    Ok(())
}

#[test]
fn delete_of_an_unwatched_descriptor_is_ok() -> io::Result<()> {
    let event = Event::new()?;
    let ctx: EventContext<u32> = EventContext::new()?;
    ctx.delete(&event)?;
    ctx.add(&event, 1)?;
    ctx.delete(&event)?;
    ctx.delete(&event)?;
    Ok(())
}

#[test]
fn regular_files_and_directories_are_eperm() -> io::Result<()> {
    let ctx: EventContext<u32> = EventContext::new()?;
    let exe = File::open(std::env::current_exe()?)?;
    assert_eq!(errno(ctx.add(&exe, 1)), libc::EPERM);
    let dir = File::open(std::env::temp_dir())?;
    assert_eq!(errno(ctx.add(&dir, 1)), libc::EPERM);
    assert_eq!(
        errno(ctx.add_for_event(&dir, EventType::Write, 1)),
        libc::EPERM
    );
    Ok(())
}

#[test]
fn a_context_added_to_itself_is_einval() -> io::Result<()> {
    let ctx: EventContext<u32> = EventContext::new()?;
    assert_eq!(errno(ctx.add(&ctx, 1)), libc::EINVAL);
    Ok(())
}

#[cfg_attr(
    not(eventctx_cycle_refused),
    ignore = "a cycle of kqueues: the kernel's answer is not established"
)]
#[test]
fn contexts_added_to_each_other_in_a_cycle_are_eloop() -> io::Result<()> {
    let a: EventContext<u32> = EventContext::new()?;
    let b: EventContext<u32> = EventContext::new()?;
    a.add(&b, 1)?;
    assert_eq!(errno(b.add(&a, 1)), libc::ELOOP);
    Ok(())
}

#[test]
fn a_zero_repeating_interval_disarms_the_timer_as_crosvm_does() -> io::Result<()> {
    let mut timer = Timer::new()?;
    timer.reset_repeating(Duration::from_millis(1))?;
    // crosvm returns Ok and disarms; a caller that ignores the result must not keep firing at
    // the old rate.
    timer.reset_repeating(Duration::ZERO)?;
    std::thread::sleep(Duration::from_millis(5));
    assert!(timer.mark_waited()?, "a disarmed timer fired");
    let ctx: EventContext<u8> = EventContext::build_with(&[(&timer, 1)])?;
    assert!(ctx.wait_timeout(Duration::from_millis(5))?.is_empty());
    Ok(())
}

#[test]
fn extreme_durations_are_accepted() -> io::Result<()> {
    let event = Event::new()?;
    let ctx: EventContext<u32> = EventContext::build_with(&[(&event, 1)])?;
    event.signal()?;
    for d in [
        Duration::ZERO,
        Duration::from_nanos(1),
        Duration::MAX,
        Duration::from_secs(u64::MAX / 2),
    ] {
        assert_eq!(ctx.wait_timeout(d)?.len(), 1, "{d:?}");
    }
    let mut timer = Timer::new()?;
    timer.reset_oneshot(Duration::MAX)?;
    assert!(
        timer.mark_waited()?,
        "a timer set for the end of time has not fired"
    );
    timer.reset_repeating(Duration::MAX)?;
    timer.reset_repeating(Duration::from_nanos(1))?;
    timer.wait()?;
    Ok(())
}
