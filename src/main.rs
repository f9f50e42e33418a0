//! The `handoff` command: a thin shell over the library.

fn main() {
    std::process::exit(handoff::cli::run(std::env::args_os()));
}
