// A token type without `#[derive(EventToken)]`: the error says to add it.
use eventctx::EventContext;

#[derive(Clone, Copy)]
enum Token {
    Listener,
}

fn main() {
    let _ctx: EventContext<Token> = EventContext::new().unwrap();
    let _ = Token::Listener;
}
