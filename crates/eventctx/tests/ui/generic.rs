#[derive(eventctx::EventToken)]
enum Token<T> {
    Id(T),
}

fn main() {}
