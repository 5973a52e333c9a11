//! The `seamless` binary: parses the command line, loads settings, runs the app.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    seamless::server::cli::run().await
}
