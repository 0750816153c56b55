//! Every Unix: the crate's types are file descriptors (`AsFd`, `AsRawFd`, and `IntoRawFd` for
//! the timers, which crosvm's `TimerTrait` asks for).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd, RawFd};

use crate::{Event, EventContext, FakeTimer, ProcessExit, Signals, Timer};

/// Each type lends the descriptor a context watches.
macro_rules! descriptor {
    ($($ty:ty => |$this:ident| $fd:expr;)*) => {$(
        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                let $this = self;
                $fd
            }
        }

        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.as_fd().as_raw_fd()
            }
        }
    )*};
}

descriptor! {
    Event => |this| this.inner.as_fd();
    Timer => |this| this.ops.inner.as_fd();
    Signals => |this| this.inner.as_fd();
    ProcessExit => |this| this.inner.as_fd();
}

impl<T> AsFd for EventContext<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.poller.as_fd()
    }
}

impl<T> AsRawFd for EventContext<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.poller.as_fd().as_raw_fd()
    }
}

/// Gives up the `Timer`'s descriptor, which stays open.
impl From<Timer> for OwnedFd {
    fn from(timer: Timer) -> OwnedFd {
        timer.ops.inner.into_fd()
    }
}

impl IntoRawFd for Timer {
    fn into_raw_fd(self) -> RawFd {
        OwnedFd::from(self).into_raw_fd()
    }
}

impl AsRawFd for FakeTimer {
    fn as_raw_fd(&self) -> RawFd {
        self.event.inner.as_fd().as_raw_fd()
    }
}

/// Gives up the descriptor a context watches; the timer's clock forgets it.
impl IntoRawFd for FakeTimer {
    fn into_raw_fd(self) -> RawFd {
        self.into_event().inner.into_fd().into_raw_fd()
    }
}
