//! The Linux (and Android) back-end: epoll for contexts, eventfd for `Event`, timerfd for
//! `Timer`, signalfd for `Signals`, pidfd for `ProcessExit`.

pub(crate) mod epoll;
#[cfg(not(eventctx_pipe_event))]
pub(crate) mod eventfd;
pub(crate) mod pidfd;
pub(crate) mod signalfd;
pub(crate) mod timerfd;
