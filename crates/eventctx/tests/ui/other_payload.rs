#[derive(eventctx::EventToken)]
enum Token {
    Name(String),
    Ratio { r: f32 },
}

fn main() {}
