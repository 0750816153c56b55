//! Linux and Android: an `Event` is an eventfd and a `Timer` a timerfd, so both convert to and
//! from the descriptor, as in crosvm.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use crate::Timer;
use crate::sys;

/// The conversions of an eventfd `Event` (not built when `--cfg eventctx_pipe_event` puts the
/// kqueue platforms' socket-pair `Event` in its place, which is two descriptors).
#[cfg(not(eventctx_pipe_event))]
mod eventfd {
    use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd, RawFd};

    use crate::Event;
    use crate::sys;

    /// Takes an eventfd, say one received over a Unix socket, as an `Event`. The descriptor's
    /// flags are left as they are.
    impl From<OwnedFd> for Event {
        fn from(fd: OwnedFd) -> Event {
            Event {
                inner: sys::event::Event::from_fd(fd),
            }
        }
    }

    /// Gives up the `Event`'s descriptor, which stays open.
    impl From<Event> for OwnedFd {
        fn from(event: Event) -> OwnedFd {
            event.inner.into_fd()
        }
    }

    #[allow(unsafe_code)]
    impl FromRawFd for Event {
        /// Takes ownership of a raw eventfd.
        ///
        /// # Safety
        ///
        /// As for [`OwnedFd::from_raw_fd`]: `fd` must be open, and owned by nothing else.
        unsafe fn from_raw_fd(fd: RawFd) -> Event {
            // SAFETY: the caller promises what `OwnedFd::from_raw_fd` asks: an open descriptor
            // that nothing else owns.
            Event::from(unsafe { OwnedFd::from_raw_fd(fd) })
        }
    }

    impl IntoRawFd for Event {
        fn into_raw_fd(self) -> RawFd {
            OwnedFd::from(self).into_raw_fd()
        }
    }
}

/// Takes a timerfd as a `Timer`, and makes it non-blocking (as [`Timer::new`] makes its own):
/// the timer reads its count without blocking and waits with `poll`.
impl From<OwnedFd> for Timer {
    fn from(fd: OwnedFd) -> Timer {
        Timer::from_sys(sys::timer::Timer::from_fd(fd))
    }
}

#[allow(unsafe_code)]
impl FromRawFd for Timer {
    /// Takes ownership of a raw timerfd; see [`From<OwnedFd>`](#impl-From<OwnedFd>-for-Timer).
    ///
    /// # Safety
    ///
    /// As for [`OwnedFd::from_raw_fd`]: `fd` must be open, and owned by nothing else.
    unsafe fn from_raw_fd(fd: RawFd) -> Timer {
        // SAFETY: the caller promises what `OwnedFd::from_raw_fd` asks: an open descriptor
        // that nothing else owns.
        Timer::from(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}
