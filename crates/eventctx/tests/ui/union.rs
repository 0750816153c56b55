#[derive(eventctx::EventToken)]
union Token {
    a: u32,
}

fn main() {}
