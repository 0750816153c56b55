#[derive(eventctx::EventToken)]
enum Token {
    Ok(u8),
    Pair(u8, u16),
    Named { a: u8, b: u8 },
}

fn main() {}
