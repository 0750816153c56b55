#[derive(eventctx::EventToken)]
#[eventctx(krate = "eventctx")]
enum Token {
    A,
}

fn main() {}
