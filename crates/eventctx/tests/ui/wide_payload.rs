#[derive(eventctx::EventToken)]
enum Token {
    Huge(u128),
}

fn main() {}
