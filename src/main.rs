//! The `handoff` command: a thin shell over the library.

/// mimalloc instead of the system allocator: evaluation builds and drops
/// small lists for every lead, and the parser allocates per token; both
/// spend a tenth of their time in glibc's malloc otherwise.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(handoff::cli::run(std::env::args_os()));
}
