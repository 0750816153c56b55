#[derive(eventctx::EventToken)]
struct Token(u32);

fn main() {}
