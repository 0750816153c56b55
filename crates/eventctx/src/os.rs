//! The public std-trait impls of one platform, under one cfg each, so that every other front
//! file reads the same on every platform.

#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(unix)]
pub use unix::{RawDescriptor, SafeDescriptor};
#[cfg(windows)]
pub use windows::{RawDescriptor, SafeDescriptor};
