// A value that is no descriptor passed to a context: the error says what is one.
use eventctx::EventContext;

fn main() {
    let ctx: EventContext<u32> = EventContext::new().unwrap();
    let port = 8080u16;
    ctx.add(&port, 1).unwrap();
}
