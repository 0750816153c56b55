//! A TCP echo server on one eventctx `WaitContext`, with a built-in load that checks every
//! echoed byte. `cargo run --release --example echo -- --help` lists the flags; the code is in
//! this package's `src/` (the server loop in `src/server.rs`).

use std::process::ExitCode;

fn main() -> ExitCode {
    eventctx_echo::main(std::env::args().skip(1))
}
