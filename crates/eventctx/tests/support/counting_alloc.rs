//! A global allocator that counts allocations, to check that a path makes none. Register it
//! with `#[global_allocator]` in the one binary that counts (the benchmark includes this file
//! too, to report allocations per operation for every back-end).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Forwards to the system allocator; counts `alloc` and `realloc` calls.
pub struct Counting;

thread_local! {
    /// This thread's count. A `const` `Cell` of an integer: reading it allocates nothing and
    /// it has no destructor, so the allocator may touch it at any time.
    static HERE: Cell<usize> = const { Cell::new(0) };
}

/// Allocations (and reallocations) so far by the calling thread alone: what a check of one
/// thread's path counts, without other threads' (libtest's main thread, on a loaded machine,
/// can still be getting ready to wait for the test while the test counts; a process-wide
/// count took its 4 allocations for the test's, 1 run in 6 under load).
pub fn allocations_here() -> usize {
    HERE.with(Cell::get)
}

fn count() {
    let _ = HERE.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's guarantees for `alloc` are passed on as they are.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
