//! The `seamless` binary: parses the command line, loads settings, runs the app.

// Rendering pages allocates many small, short-lived objects; mimalloc serves them faster than
// glibc's allocator and returns memory to the system more readily.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    seamless::server::cli::run().await
}
