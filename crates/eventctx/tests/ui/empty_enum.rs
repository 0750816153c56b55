#[derive(eventctx::EventToken)]
enum Token {}

fn main() {}
