//! Runs the GitHub/Google stand-in on its own, for the browser tests:
//! `cargo run --example oauth_standin --features ssr` (address from `STANDIN_ADDR`,
//! default 127.0.0.1:3108). It never talks to the real providers.

use seamless_standins::oauth::StandIn;

#[tokio::main]
async fn main() {
    let addr = std::env::var("STANDIN_ADDR").unwrap_or_else(|_| "127.0.0.1:3108".into());
    let standin = StandIn::start_on(&addr).await;
    println!("OAuth stand-in listening on {}", standin.base);
    std::future::pending::<()>().await;
}
