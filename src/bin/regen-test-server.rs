//! `regen-test-server`: an OpenAI-compatible server for tests and benchmarks.
//! Prints `listening on http://127.0.0.1:PORT/v1` once it accepts connections.

use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    cfg: regen::testserver::ServerConfig,
}

#[tokio::main]
async fn main() {
    use std::io::Write;
    let cli = Cli::parse();
    let _ = std::io::stdout().flush();
    if let Err(e) = regen::testserver::serve(cli.cfg).await {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
