//! `WaitContext`: crosvm's portable name for the context.

use crate::EventContext;

/// Watches many descriptors at once: crosvm's portable name for [`EventContext`].
///
/// It is the same type, so it has the same methods with the same signatures and behaviour;
/// crosvm code that names either compiles. (In crosvm, `WaitContext` wraps the platform's
/// `EventContext` and forwards each call; here there is one context type, so the name is an
/// alias and there is nothing to forward.)
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use eventctx::{Event, EventToken, Timer, WaitContext};
///
/// #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
/// enum Token {
///     Quit,
///     Tick,
/// }
///
/// let quit = Event::new()?;
/// let mut tick = Timer::new()?;
/// tick.reset_repeating(Duration::from_millis(1))?;
/// let ctx = WaitContext::build_with(&[(&quit, Token::Quit), (&tick, Token::Tick)])?;
///
/// let mut ticks = 0;
/// 'run: loop {
///     for event in ctx.wait()? {
///         match event.token {
///             Token::Tick => {
///                 tick.mark_waited()?;
///                 ticks += 1;
///                 if ticks == 3 {
///                     quit.signal()?;
///                 }
///             }
///             Token::Quit => break 'run,
///         }
///     }
/// }
/// // A tick reported by the same wait as the quit may come before it in the batch.
/// assert!(ticks >= 3);
/// # Ok::<(), std::io::Error>(())
/// ```
pub type WaitContext<T> = EventContext<T>;
