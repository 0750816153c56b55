//! crosvm's ways of speaking of errors by number: `e.errno()`, `errno_result()` and
//! `handle_eintr_errno!`, over the crate's error, which is [`std::io::Error`].

/// crosvm's `e.errno()` on the crate's [`Error`](crate::Error), which is [`std::io::Error`].
///
/// `use eventctx::*;` (or `use base::*;` with the crate renamed) brings it in, so crosvm code
/// that calls `e.errno()` compiles unchanged; code that names items one by one adds
/// `use eventctx::ErrnoExt;`. New code can call
/// [`raw_os_error`](std::io::Error::raw_os_error), which says when there is no number.
///
/// It is the error's own errno (its Windows error code on Windows) when the system gave one;
/// for an error made without one (by std or by this crate, say an
/// [`Unsupported`](std::io::ErrorKind::Unsupported) mode) it is the nearest number for its
/// [`kind`](std::io::Error::kind): `ENOENT` for `NotFound`, `EINVAL` for `InvalidInput`,
/// `EOPNOTSUPP` for `Unsupported`, ..., and `EIO` for the rest. crosvm's `Error::new(e)`
/// becomes `Error::from_raw_os_error(e)`.
///
/// # Examples
///
/// ```ignore-windows
/// use eventctx::*;
///
/// let ctx: EventContext<u8> = EventContext::new()?;
/// let event = Event::new()?;
/// let error: Error = ctx.modify(&event, EventType::Read, 1).unwrap_err();
/// assert_eq!(error.errno(), libc::ENOENT);
/// assert_eq!(Error::from_raw_os_error(libc::EBADF).errno(), libc::EBADF);
/// # Ok::<(), Error>(())
/// ```
pub trait ErrnoExt {
    /// The error's number: its errno, or the nearest one for its kind.
    fn errno(&self) -> i32;
}

impl ErrnoExt for std::io::Error {
    fn errno(&self) -> i32 {
        crate::sys::descriptor::errno_of(self)
    }
}

/// `Err` with the calling thread's last OS error (`errno`), as crosvm's `errno_result`: for the
/// line after a `libc` call that failed.
///
/// # Errors
///
/// Always: that is what it is for.
///
/// # Examples
///
/// ```ignore-windows
/// fn close(fd: i32) -> eventctx::Result<()> {
///     // SAFETY: closing a number that is not open does no harm: the kernel says EBADF.
///     if unsafe { libc::close(fd) } < 0 {
///         return eventctx::errno_result();
///     }
///     Ok(())
/// }
///
/// let error = close(-1).unwrap_err();
/// assert_eq!(error.raw_os_error(), Some(libc::EBADF));
/// ```
pub fn errno_result<T>() -> crate::Result<T> {
    Err(std::io::Error::last_os_error())
}

/// Evaluates a C-style call again while it fails with `EINTR`, as crosvm's
/// `handle_eintr_errno!`: the expression's value is returned once it is not `-1`, or once the
/// thread's errno after a `-1` is something other than `EINTR`. Unix only, as in crosvm.
///
/// The expression is evaluated once per try, so it must be safe to repeat (a `read` into the
/// same buffer is; a call that consumed something before failing is not).
///
/// # Examples
///
/// ```ignore-windows
/// use eventctx::handle_eintr_errno;
///
/// let mut fds = [0; 2];
/// // SAFETY: `fds` has room for the two descriptors pipe writes.
/// assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
/// // SAFETY: the write end is open and the buffer is valid for 5 bytes.
/// let written = handle_eintr_errno!(unsafe { libc::write(fds[1], b"hello".as_ptr().cast(), 5) });
/// assert_eq!(written, 5);
/// for fd in fds {
///     // SAFETY: both are open, and closed once.
///     unsafe { libc::close(fd) };
/// }
/// ```
#[cfg(unix)]
#[macro_export]
macro_rules! handle_eintr_errno {
    ($x:expr) => {{
        loop {
            let result = $x;
            if result != -1 || !$crate::__private::last_error_is_eintr() {
                break result;
            }
        }
    }};
}
