//! An event for a descriptor deleted earlier in the same batch must not reach the handler of
//! the descriptor that now has its token (rust-vmm event-manager's issue 41): the batch is
//! the caller's, and `Events::forget` / `SmallVec::retain` take the stale event out.

use std::io;

use eventctx::{Event, EventContext, EventToken, Events};

#[derive(EventToken, Clone, Copy, Debug, PartialEq)]
enum Token {
    Control,
    /// A connection slot: a new connection in slot 0 reuses the token.
    Slot(u32),
}

/// The shape of the crash: the control handler closes the connection in slot 0 and puts a new
/// one in that slot, under the same token, while the batch still holds slot 0's event.
struct Server {
    ctx: EventContext<Token>,
    control: Event,
    slot0: Event,
    /// Whether the connection in slot 0 is the replacement, which has had no readiness yet.
    replaced: bool,
    /// Readiness handed to the replacement that it never had.
    stale_handled: u32,
}

impl Server {
    fn new() -> io::Result<Server> {
        let control = Event::new()?;
        let slot0 = Event::new()?;
        let ctx =
            EventContext::build_with(&[(&control, Token::Control), (&slot0, Token::Slot(0))])?;
        // Control first, so that in the batch its event comes before slot 0's (epoll and the
        // other back-ends report in the order descriptors became ready).
        control.signal()?;
        slot0.signal()?;
        Ok(Server {
            ctx,
            control,
            slot0,
            replaced: false,
            stale_handled: 0,
        })
    }

    /// Returns the token to forget, if the handler deleted one.
    fn handle(&mut self, token: Token) -> io::Result<Option<Token>> {
        match token {
            Token::Control => {
                self.control.reset()?;
                self.ctx.delete(&self.slot0)?;
                self.slot0 = Event::new()?; // the replacement: nothing to read
                self.ctx.add(&self.slot0, Token::Slot(0))?;
                self.replaced = true;
                Ok(Some(Token::Slot(0)))
            }
            Token::Slot(_) => {
                if self.replaced {
                    self.stale_handled += 1;
                } else {
                    self.slot0.reset()?;
                }
                Ok(None)
            }
        }
    }

    fn control_comes_first(events: &[Token]) -> bool {
        events.first() == Some(&Token::Control)
    }
}

#[test]
fn without_forgetting_the_stale_event_reaches_the_new_descriptor() -> io::Result<()> {
    // The hazard is real: the batch keeps the deleted descriptor's event.
    let mut server = Server::new()?;
    let events = server.ctx.wait()?;
    let tokens: Vec<Token> = events.iter().map(|e| e.token).collect();
    assert_eq!(tokens.len(), 2);
    for event in &events {
        server.handle(event.token)?;
    }
    if Server::control_comes_first(&tokens) {
        assert_eq!(server.stale_handled, 1);
    }
    Ok(())
}

#[test]
fn retain_on_the_crosvm_shaped_list_drops_the_stale_event() -> io::Result<()> {
    let mut server = Server::new()?;
    let mut events = server.ctx.wait()?;
    assert_eq!(events.len(), 2);
    while !events.is_empty() {
        let event = events.remove(0);
        if let Some(gone) = server.handle(event.token)? {
            events.retain(|e| e.token != gone);
        }
    }
    assert_eq!(server.stale_handled, 0);
    Ok(())
}

#[test]
fn events_forget_drops_the_stale_event() -> io::Result<()> {
    let mut server = Server::new()?;
    let mut events = Events::with_capacity(8);
    assert_eq!(server.ctx.wait_into(&mut events, None)?, 2);
    for i in 0..events.len() {
        let Some(event) = events.get(i) else { continue };
        if let Some(gone) = server.handle(event.token)? {
            events.forget(&gone);
        }
    }
    assert_eq!(server.stale_handled, 0);
    // The iterator skips it too, until the next wait.
    assert!(events.iter().all(|e| e.token != Token::Slot(0)));
    server
        .ctx
        .wait_into(&mut events, Some(std::time::Duration::ZERO))?;
    Ok(())
}
