use clap::Parser;

use convene::cli::{self, Cli};
use convene::config::Settings;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(&cli.config, cli.database_url.as_deref())?;
    convene::telemetry::init(&settings.log);
    cli::run(cli, settings).await
}
