//! The `hindsight` binary: parse the command line and hand over to the library.

/// mimalloc rather than the system's allocator: indexing and serving
/// allocate many small, short-lived buffers, and glibc's malloc and free
/// were a sixth of the time of an import with its indexing.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    hindsight::cli::main()
}
