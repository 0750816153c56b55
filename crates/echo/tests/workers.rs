//! The workers example's overlap check can fail: run with level-triggered registrations on a
//! shared context (the arming not to use), it reports connections handled by two threads at
//! once; with one-shot, none. The example's own code, included.

#[path = "../examples/workers.rs"]
#[allow(dead_code)] // its `main` and usage text
mod workers;

use std::time::Duration;

use workers::{Mode, Options, run};

fn options(mode: Mode) -> Options {
    Options {
        mode,
        threads: 4,
        clients: 32,
        duration: Duration::from_millis(700),
        size: 64,
    }
}

#[test]
fn one_shot_hands_each_connection_to_one_thread() {
    let outcome = run(&options(Mode::Shared)).unwrap();
    assert_eq!(outcome.overlaps, 0);
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
}

#[test]
fn level_triggered_on_a_shared_context_is_caught() {
    let outcome = run(&options(Mode::SharedLevel)).unwrap();
    assert!(
        outcome.overlaps > 0,
        "the check found no overlap with level-triggered registrations: it cannot fail"
    );
    assert!(
        outcome
            .failures
            .iter()
            .any(|f| f.contains("handled by two threads at once")),
        "{:?}",
        outcome.failures
    );
}
