//! The `ioc-stream` command: `demo`, `serve` and `check` (PROTOCOL.md, "Command line").

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ioc_stream::config::{Config, Flags};
use ioc_stream::simulator::SimulatorOptions;

#[derive(Parser)]
#[command(
    name = "ioc-stream",
    version,
    about = "Live SQL operating scenarios for a provincial IOC"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How log lines on stderr look: `text` (coloured only when stderr is a terminal) or `json` (one
    /// object per line, for log shippers).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info,datafusion=warn`). ANSI colours only on a
/// terminal: systemd, files and log shippers get plain text, or JSON with `--log-format json`.
fn init_logging(format: LogFormat) {
    use std::io::IsTerminal;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,datafusion=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().with_current_span(false).init(),
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve with the built-in simulator of provincial events.
    Demo {
        #[command(flatten)]
        common: Common,
        /// Simulated events per second, across all streams.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        /// Days of history written on a first start into the streams that keep one (0: none).
        #[arg(long, default_value_t = 365)]
        history_days: u32,
        /// How the simulator's events arrive: `http` (the ingest path, no broker) or `nats` (published to
        /// NATS JetStream, taken in by sources added to every stream).
        #[arg(long, default_value = "http", value_parser = ["http", "nats"])]
        via: String,
        /// The NATS server for `--via nats`.
        #[arg(long, default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
    },
    /// Serve: ingest events, evaluate scenarios, push results.
    Serve {
        #[command(flatten)]
        common: Common,
        /// A TOML file with settings (see docs/protocol.md, "Configuration file").
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// A stateless fan-out node of a cluster (docs/cluster.md): serves `/ws`, the screens' REST reads and
    /// the frontend from the results the cluster's leader publishes; holds no events, evaluates nothing.
    Edge {
        #[command(flatten)]
        common: Common,
        /// A TOML file with settings (tokens, limits, `[cluster]`).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Load Parquet, CSV or NDJSON files into a stream of a running server, through its ingest API.
    Import {
        /// The server, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        url: String,
        /// The stream to load into.
        #[arg(long)]
        stream: String,
        /// A token with the `ingest` role (or the IOC_TOKEN environment variable).
        #[arg(long, env = "IOC_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Rows per request.
        #[arg(long, default_value_t = 10_000)]
        chunk: usize,
        /// Rows of the first file already imported (the summary of a stopped import says how many).
        #[arg(long, default_value_t = 0)]
        skip: usize,
        /// The files, `.parquet`, `.csv` (with a header) or `.ndjson`.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Validate the catalog and every scenario offline; prints `file:line: message`, exits 1 on error.
    Check {
        #[arg(long, default_value = "queries")]
        queries: PathBuf,
    },
}

#[derive(Args)]
struct Common {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Folder with streams.toml, reference/ and the scenario *.sql files.
    #[arg(long)]
    queries: Option<PathBuf>,
    /// Folder for what must survive a restart; created when missing.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// When the write-ahead log is forced to disk: always (before every acknowledgement), interval (every
    /// 100 ms, the default), never (left to the OS). See docs/protocol.md, "WAL".
    #[arg(long, value_parser = ["always", "interval", "never"])]
    fsync: Option<String>,
    /// Evaluate every scenario in full at every tick, without caching partial aggregates (for comparison,
    /// and as an escape hatch). Also `[engine] incremental = false` in the configuration file.
    #[arg(long)]
    no_incremental: bool,
    /// Join the cluster on this NATS JetStream (`nats://HOST:4222`; docs/cluster.md). Also `[cluster] url`.
    #[arg(long, value_name = "URL")]
    cluster: Option<String>,
    /// The cluster's name: it prefixes every subject, stream and bucket it uses (default `ioc`).
    #[arg(long, value_name = "NAME")]
    cluster_name: Option<String>,
}

fn config(common: Common, file: Option<&Path>) -> anyhow::Result<Config> {
    config_as(common, file, false)
}

fn config_as(common: Common, file: Option<&Path>, edge: bool) -> anyhow::Result<Config> {
    let flags = Flags {
        listen: common.listen,
        queries: common.queries,
        data_dir: common.data_dir,
        fsync: common.fsync,
        no_incremental: common.no_incremental,
        cluster: common.cluster,
        cluster_name: common.cluster_name,
        edge,
    };
    Ok(Config::load(file, flags)?)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo {
                common,
                rate,
                history_days,
                via,
                nats_url,
            } => {
                let options = SimulatorOptions {
                    rate: rate.max(0.0),
                    seed: rand::random(),
                    backfill: Duration::from_secs(3600),
                    history_days,
                };
                let mut c = config(common, None)?;
                if via == "nats" {
                    c.demo_via = Some(ioc_stream::ingest::connectors::demo::DemoVia {
                        url: nats_url,
                        prefix: "ioc.demo".into(),
                    });
                }
                serve(c, Some(options)).await.map(|_| ExitCode::SUCCESS)
            }
            Command::Serve { common, config: file } => serve(config(common, file.as_deref())?, None)
                .await
                .map(|_| ExitCode::SUCCESS),
            Command::Edge { common, config: file } => serve(config_as(common, file.as_deref(), true)?, None)
                .await
                .map(|_| ExitCode::SUCCESS),
            Command::Check { queries } => Ok(ioc_stream::check::run(&queries).await),
            Command::Import {
                url,
                stream,
                token,
                chunk,
                skip,
                files,
            } => {
                use std::io::IsTerminal;
                let import = ioc_stream::import::Import {
                    url,
                    stream,
                    token,
                    chunk,
                    skip,
                    files,
                    progress: std::io::stderr().is_terminal(),
                };
                let started = std::time::Instant::now();
                match ioc_stream::import::run(&import).await {
                    Ok(s) => {
                        let secs = started.elapsed().as_secs_f64();
                        println!(
                            "imported {} rows from {} files in {secs:.1} s ({:.0} rows/s): {} accepted, {} duplicates",
                            s.rows,
                            s.files,
                            s.rows as f64 / secs.max(1e-9),
                            s.accepted,
                            s.duplicates
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(stopped) => {
                        eprintln!(
                            "error: {}: stopped after {} rows of this file: {:#}",
                            stopped.file.display(),
                            stopped.done_in_file,
                            stopped.error
                        );
                        eprintln!(
                            "imported before the stop: {} rows from {} whole files ({} accepted, {} duplicates)",
                            stopped.summary.rows,
                            stopped.summary.files,
                            stopped.summary.accepted,
                            stopped.summary.duplicates
                        );
                        eprintln!("resume with: {}", ioc_stream::import::resume_command(&import, &stopped));
                        Ok(ExitCode::FAILURE)
                    }
                }
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config, simulator: Option<SimulatorOptions>) -> anyhow::Result<()> {
    let running = ioc_stream::server::start(config, simulator).await?;
    println!("listening on http://{}", running.addr);
    std::io::stdout().flush().ok();
    let token = running.shutdown_token();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        token.cancel();
    });
    running.wait().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
