// An enum with no variants derives (crosvm's own tests do this); it has no value to encode.
#[derive(eventctx::EventToken)]
enum Token {}

fn main() {
    fn is_token<T: eventctx::EventToken>() {}
    is_token::<Token>();
}
