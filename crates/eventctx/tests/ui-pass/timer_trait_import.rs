// crosvm code imports `TimerTrait` to call a concrete `Timer`'s methods; under
// `-D warnings` that import must count as used. Code that does not import it still calls them.
#![deny(warnings)]

mod crosvm_style {
    use std::time::Duration;

    use eventctx::{Timer, TimerTrait};

    pub fn arm(timer: &mut Timer) -> eventctx::Result<()> {
        timer.reset_oneshot(Duration::from_millis(1))?;
        timer.wait()
    }
}

mod without_the_trait {
    use std::time::Duration;

    use eventctx::Timer;

    pub fn arm(timer: &mut Timer) -> eventctx::Result<bool> {
        timer.reset_repeating(Duration::from_millis(1))?;
        timer.wait()?;
        timer.clear()?;
        let _ = timer.resolution()?;
        timer.mark_waited()
    }
}

fn main() -> eventctx::Result<()> {
    let mut timer = eventctx::Timer::new()?;
    crosvm_style::arm(&mut timer)?;
    assert!(without_the_trait::arm(&mut timer)?);
    Ok(())
}
