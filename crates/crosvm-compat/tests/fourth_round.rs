//! crosvm's fourth round of `base` names, used the way crosvm code uses them: `e.errno()` on
//! a `base::Error` reached through a glob import, `clone_descriptor`, `add_fd_flags` and
//! `clear_fd_flags`, `validate_raw_descriptor`, `handle_eintr_errno!` (imported and by path),
//! and `ReadNotifier` for `File`.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base::handle_eintr_errno;

/// A pipe made as C code makes one (not close-on-exec), as a parent hands one to a child.
fn inheritable_pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: pipe succeeded: both descriptors are new and owned by nothing else.
    unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) }
}

fn status_flags(fd: RawFd) -> i32 {
    // SAFETY: F_GETFL only reads the flags of a descriptor.
    unsafe { libc::fcntl(fd, libc::F_GETFL) }
}

fn is_cloexec(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(flags >= 0);
    flags & libc::FD_CLOEXEC != 0
}

/// The shape of crosvm's watchdog: errors become their errno with `e.errno()`, the trait coming
/// in with the glob.
mod glob_users {
    use base::*;

    pub fn modify_unwatched() -> std::result::Result<(), i32> {
        let ctx: WaitContext<u32> = WaitContext::new().map_err(|e| e.errno())?;
        let event = Event::new().map_err(|e| e.errno())?;
        ctx.modify(&event, EventType::Read, 1)
            .map_err(|e| e.errno())
    }

    pub fn errno_of(e: Error) -> i32 {
        e.errno()
    }
}

#[test]
fn errno_comes_with_a_glob_import() {
    assert_eq!(glob_users::modify_unwatched(), Err(libc::ENOENT));
    // crosvm's `Error::new(e)` is `Error::from_raw_os_error(e)`.
    let error = base::Error::from_raw_os_error(libc::EAGAIN);
    assert_eq!(glob_users::errno_of(error), libc::EAGAIN);
    // An error made without a number gets the nearest one for its kind.
    let unsupported = std::io::Error::new(std::io::ErrorKind::Unsupported, "no such mode");
    assert_eq!(glob_users::errno_of(unsupported), libc::EOPNOTSUPP);
}

#[test]
fn clone_descriptor_is_a_close_on_exec_copy() -> base::Result<()> {
    let (mut r, w) = inheritable_pipe();
    let copy: base::SafeDescriptor = base::clone_descriptor(&w)?;
    assert_ne!(copy.as_raw_fd(), w.as_raw_fd());
    assert!(is_cloexec(copy.as_raw_fd()));
    // The same pipe: what goes in through the copy comes out of the read end.
    drop(w);
    File::from(copy).write_all(b"via copy")?;
    let mut got = [0u8; 8];
    r.read_exact(&mut got)?;
    assert_eq!(&got, b"via copy");
    // A closed number is EBADF.
    let error = base::clone_descriptor(&base::Descriptor(1 << 20)).unwrap_err();
    assert_eq!(error.raw_os_error(), Some(libc::EBADF));
    Ok(())
}

#[test]
fn fd_flags_are_added_and_cleared() -> base::Result<()> {
    let (r, _w) = inheritable_pipe();
    let fd = r.as_raw_fd();
    assert_eq!(status_flags(fd) & libc::O_NONBLOCK, 0);
    base::add_fd_flags(fd, libc::O_NONBLOCK)?;
    assert_ne!(status_flags(fd) & libc::O_NONBLOCK, 0);
    // Nothing queued: a read says so instead of blocking.
    let error = (&r).read(&mut [0u8; 4]).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::WouldBlock);
    base::clear_fd_flags(fd, libc::O_NONBLOCK)?;
    assert_eq!(status_flags(fd) & libc::O_NONBLOCK, 0);
    let error = base::add_fd_flags(-1, libc::O_NONBLOCK).unwrap_err();
    assert_eq!(error.raw_os_error(), Some(libc::EBADF));
    Ok(())
}

#[test]
fn validate_raw_descriptor_takes_inherited_descriptors_only() -> base::Result<()> {
    let (r, _w) = inheritable_pipe();
    // A descriptor handed in (not close-on-exec): a close-on-exec copy comes back.
    let copy = base::validate_raw_descriptor(r.as_raw_fd())?;
    assert_ne!(copy, r.as_raw_fd());
    assert!(is_cloexec(copy));
    // SAFETY: validate_raw_descriptor returned a new descriptor that the caller owns.
    drop(unsafe { OwnedFd::from_raw_fd(copy) });
    // One the program opened itself (close-on-exec), or a closed one: EBADF.
    let event = base::Event::new()?;
    for fd in [
        base::AsRawDescriptor::as_raw_descriptor(&event),
        1 << 20,
        -1,
    ] {
        let error = base::validate_raw_descriptor(fd).unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::EBADF), "fd {fd}");
    }
    Ok(())
}

#[test]
fn a_file_is_its_own_read_notifier() -> base::Result<()> {
    use base::{EventToken, ReadNotifier, WaitContext};

    #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
    enum Token {
        Input,
    }

    let (r, mut w) = inheritable_pipe();
    let ctx = WaitContext::build_with(&[(r.get_read_notifier(), Token::Input)])?;
    assert!(ctx.wait_timeout(Duration::ZERO)?.is_empty());
    w.write_all(b"x")?;
    let events = ctx.wait()?;
    assert_eq!(events[0].token, Token::Input);
    assert!(events[0].is_readable);
    Ok(())
}

static INTERRUPTIONS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_interruption(_: libc::c_int) {
    INTERRUPTIONS.fetch_add(1, Ordering::SeqCst);
}

/// A blocking `read` interrupted by a signal whose handler does not ask for restarts fails with
/// `EINTR`; the macro reads again, and gets the byte written after the interruption.
#[test]
fn handle_eintr_errno_repeats_an_interrupted_call() {
    // SAFETY: a zeroed sigaction is a valid value to fill in; the handler only touches an
    // atomic, which is async-signal-safe; SA_RESTART is left out on purpose.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count_interruption as *const () as usize;
        assert_eq!(libc::sigemptyset(&mut action.sa_mask), 0);
        assert_eq!(
            libc::sigaction(libc::SIGUSR2, &action, std::ptr::null_mut()),
            0
        );
    }
    let (r, mut w) = inheritable_pipe();
    // SAFETY: pthread_self has no preconditions.
    let reader = unsafe { libc::pthread_self() };
    let writer = std::thread::spawn(move || {
        // Interrupt the read until the handler has run, then write.
        while INTERRUPTIONS.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(20));
            // SAFETY: the reading thread outlives this one (it joins it below).
            unsafe { libc::pthread_kill(reader, libc::SIGUSR2) };
        }
        std::thread::sleep(Duration::from_millis(20));
        w.write_all(b"!").unwrap();
    });
    let mut byte = [0u8; 1];
    // SAFETY: the read end is open and `byte` is valid for one byte.
    let n = handle_eintr_errno!(unsafe { libc::read(r.as_raw_fd(), byte.as_mut_ptr().cast(), 1) });
    writer.join().unwrap();
    assert!(INTERRUPTIONS.load(Ordering::SeqCst) > 0);
    assert_eq!(n, 1, "{}", std::io::Error::last_os_error());
    assert_eq!(&byte, b"!");
    // By path, as `base::handle_eintr_errno!`, on a call that fails for another reason: the
    // failure is returned, not repeated.
    // SAFETY: closing a number that is not open does nothing but fail.
    assert_eq!(base::handle_eintr_errno!(unsafe { libc::close(-1) }), -1);
}
