//! The `handoff` command: a thin shell over the library. Each command is
//! a module of `cli` over library code; the CLI is a consumer of the
//! library, not part of its API.

mod cli;

fn main() {
    std::process::exit(cli::run(std::env::args_os()));
}
