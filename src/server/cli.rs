//! The command line: `seamless [--config FILE]`.

use std::{path::PathBuf, process::ExitCode};

use super::{
    config::{ProcessEnv, Settings, CONFIG_FILE_VARIABLE},
    startup::Application,
    telemetry,
};

const HELP: &str = "\
seamless: tasks, accounts and sessions in one Rust process

USAGE:
    seamless [--config FILE]

OPTIONS:
    -c, --config FILE   Settings file (default: Leptos.toml in the working directory, if any;
                        also APP_CONFIG). Environment variables override it: see README.md.
    -h, --help          Print this help.
    -V, --version       Print the version.
";

pub async fn run() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut config: Option<PathBuf> = std::env::var_os(CONFIG_FILE_VARIABLE).map(PathBuf::from);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return ExitCode::SUCCESS;
            }
            "-V" | "--version" => {
                println!("seamless {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            "-c" | "--config" => match args.next() {
                Some(path) => config = Some(PathBuf::from(path)),
                None => {
                    eprintln!("error: --config needs a file name\n\n{HELP}");
                    return ExitCode::from(2);
                }
            },
            other => match other.strip_prefix("--config=") {
                Some(path) => config = Some(PathBuf::from(path)),
                None => {
                    eprintln!("error: unknown argument `{other}`\n\n{HELP}");
                    return ExitCode::from(2);
                }
            },
        }
    }

    let settings = match Settings::load(config.as_deref(), &ProcessEnv) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let telemetry = telemetry::init(&settings.log);
    let app_url = settings.app_url.clone();
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(err) => {
            tracing::error!("cannot start: {err}");
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(port = app.port(), url = %app_url, "listening");
    let ran = app.run_until_stopped().await;
    telemetry.shutdown().await;
    match ran {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
