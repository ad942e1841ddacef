//! `fake-model openai|anthropic`: serves a fake model API on 127.0.0.1 for
//! the browser tests, prints `listening on <url>`, and runs until killed.

use peon_tests::fake_model::FakeModel;

#[tokio::main]
async fn main() {
    let fake = match std::env::args().nth(1).as_deref() {
        Some("openai") => FakeModel::openai().await,
        Some("anthropic") => FakeModel::anthropic().await,
        _ => {
            eprintln!("usage: fake-model openai|anthropic");
            std::process::exit(2);
        }
    };
    println!("listening on {}", fake.base_url());
    let _ = tokio::signal::ctrl_c().await;
}
