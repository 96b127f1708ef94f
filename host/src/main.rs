//! The `xrm` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;
use xrm::config::{Cli, Command, LogFormat};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("xrm: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Serve(args) => {
                let config = xrm::config::serve_config(args, cli.config.as_deref())?;
                xrm::telemetry::init(config.log_format, &config.log);
                xrm::server::serve(config)
                    .await
                    .map_err(|error| error.to_string())
            }
            Command::Migrate(args) => {
                let config = xrm::config::migrate_config(args, cli.config.as_deref())?;
                xrm::telemetry::init(LogFormat::Human, "info");
                let store = xrm::store::Store::open(&config)
                    .await
                    .map_err(|error| error.to_string())?;
                store.close().await;
                println!("xrm: the database schema is up to date");
                Ok(())
            }
            Command::Plugin { command, database } => {
                xrm::telemetry::init(LogFormat::Human, "warn");
                let store = match command {
                    xrm::config::PluginCommand::New { .. } => None,
                    _ => Some(xrm::config::migrate_config(
                        database,
                        cli.config.as_deref(),
                    )?),
                };
                xrm::plugin_cli::run(command, store).await
            }
            Command::User { command, database } => {
                xrm::telemetry::init(LogFormat::Human, "warn");
                let store = xrm::config::migrate_config(database, cli.config.as_deref())?;
                xrm::plugin_cli::run_user(command, store).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xrm: {message}");
            ExitCode::FAILURE
        }
    }
}
