//! The `ioc-stream` command: `demo`, `serve` and `check` (PROTOCOL.md, "Command line").

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use ioc_stream::config::Config;
use ioc_stream::simulator::SimulatorOptions;
use serde::Deserialize;

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
}

/// The configuration file: every field optional; command-line flags win.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    queries: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    time_zone: Option<String>,
    eval_threads: Option<usize>,
    #[serde(default)]
    wal: FileWal,
    #[serde(default)]
    limits: FileLimits,
    #[serde(default)]
    tokens: Vec<ioc_stream::api::auth::TokenConfig>,
    #[serde(default)]
    allowed_origins: Vec<String>,
    #[serde(default)]
    allowed_hosts: Vec<String>,
    #[serde(default)]
    engine: FileEngine,
    /// Results out on NATS (docs/protocol.md, "Results on NATS").
    publish: Option<ioc_stream::publish::PublishConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEngine {
    incremental: Option<bool>,
    cache_bytes: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWal {
    fsync: Option<String>,
    fsync_interval_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    max_body_bytes: Option<usize>,
    max_decompressed_bytes: Option<usize>,
    max_stream_bytes: Option<usize>,
    max_store_bytes: Option<usize>,
    max_event_bytes: Option<usize>,
    max_ws_message_bytes: Option<usize>,
    client_queue_frames: Option<usize>,
    max_subscriptions: Option<usize>,
    eval_timeout_ms: Option<u64>,
    max_result_rows: Option<usize>,
    eval_memory_bytes: Option<usize>,
    client_queue_bytes: Option<usize>,
    topic_history: Option<usize>,
    topic_history_bytes: Option<usize>,
    topic_history_age_ms: Option<u64>,
    ping_interval_ms: Option<u64>,
    idle_timeout_ms: Option<u64>,
    max_connections_per_token: Option<usize>,
    body_timeout_ms: Option<u64>,
    header_timeout_ms: Option<u64>,
    max_json_body_bytes: Option<usize>,
    max_connections: Option<usize>,
    max_connections_per_ip: Option<usize>,
    ws_write_timeout_ms: Option<u64>,
}

fn config(common: Common, file: Option<&Path>) -> anyhow::Result<Config> {
    let mut c = Config::default();
    let mut fsync = common.fsync.clone();
    let mut interval = Duration::from_millis(100);
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let f: FileConfig = toml::from_str(&text).with_context(|| format!("{}", path.display()))?;
        let l = f.limits;
        c.listen = f.listen.unwrap_or(c.listen);
        c.queries = f.queries.unwrap_or(c.queries);
        c.data_dir = f.data_dir.unwrap_or(c.data_dir);
        c.time_zone = f.time_zone.unwrap_or(c.time_zone);
        c.eval_threads = f.eval_threads.unwrap_or(c.eval_threads);
        let d = &mut c.limits;
        d.max_body_bytes = l.max_body_bytes.unwrap_or(d.max_body_bytes);
        d.max_decompressed_bytes = l.max_decompressed_bytes.unwrap_or(d.max_decompressed_bytes);
        d.max_stream_bytes = l.max_stream_bytes.unwrap_or(d.max_stream_bytes);
        d.max_store_bytes = l.max_store_bytes.unwrap_or(d.max_store_bytes);
        d.max_event_bytes = l.max_event_bytes.unwrap_or(d.max_event_bytes);
        d.max_ws_message_bytes = l.max_ws_message_bytes.unwrap_or(d.max_ws_message_bytes);
        d.client_queue_frames = l.client_queue_frames.unwrap_or(d.client_queue_frames);
        d.max_subscriptions = l.max_subscriptions.unwrap_or(d.max_subscriptions);
        d.eval_timeout = l.eval_timeout_ms.map(Duration::from_millis).unwrap_or(d.eval_timeout);
        d.max_result_rows = l.max_result_rows.unwrap_or(d.max_result_rows);
        d.eval_memory_bytes = l.eval_memory_bytes.unwrap_or(d.eval_memory_bytes);
        d.client_queue_bytes = l.client_queue_bytes.unwrap_or(d.client_queue_bytes);
        d.topic_history = l.topic_history.unwrap_or(d.topic_history);
        d.topic_history_bytes = l.topic_history_bytes.unwrap_or(d.topic_history_bytes);
        d.topic_history_age = l
            .topic_history_age_ms
            .map(Duration::from_millis)
            .unwrap_or(d.topic_history_age);
        d.ping_interval = l.ping_interval_ms.map(Duration::from_millis).unwrap_or(d.ping_interval);
        d.idle_timeout = l.idle_timeout_ms.map(Duration::from_millis).unwrap_or(d.idle_timeout);
        d.max_connections_per_token = l.max_connections_per_token.unwrap_or(d.max_connections_per_token);
        d.body_timeout = l.body_timeout_ms.map(Duration::from_millis).unwrap_or(d.body_timeout);
        d.header_timeout = l
            .header_timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(d.header_timeout);
        d.max_json_body_bytes = l.max_json_body_bytes.unwrap_or(d.max_json_body_bytes);
        d.max_connections = l.max_connections.unwrap_or(d.max_connections);
        d.max_connections_per_ip = l.max_connections_per_ip.unwrap_or(d.max_connections_per_ip);
        d.ws_write_timeout = l
            .ws_write_timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(d.ws_write_timeout);
        c.tokens = f.tokens;
        c.allowed_origins = f.allowed_origins;
        c.allowed_hosts = f.allowed_hosts;
        c.incremental = f.engine.incremental.unwrap_or(c.incremental);
        c.cache_bytes = f.engine.cache_bytes.unwrap_or(c.cache_bytes);
        if let Some(p) = &f.publish {
            p.validate()
                .map_err(|e| anyhow::anyhow!("{}: [publish]: {e}", path.display()))?;
        }
        c.publish = f.publish;
        fsync = fsync.or(f.wal.fsync);
        interval = f.wal.fsync_interval_ms.map(Duration::from_millis).unwrap_or(interval);
        if interval.is_zero() {
            anyhow::bail!("{}: wal.fsync_interval_ms must be at least 1", path.display());
        }
    }
    if let Some(text) = fsync {
        c.fsync = ioc_stream::wal::Fsync::parse(&text, interval)
            .with_context(|| format!("fsync: `{text}` is not one of always, interval, never"))?;
    } else {
        c.fsync = ioc_stream::wal::Fsync::Interval(interval);
    }
    c.listen = common.listen.unwrap_or(c.listen);
    c.queries = common.queries.unwrap_or(c.queries);
    c.data_dir = common.data_dir.unwrap_or(c.data_dir);
    if common.no_incremental {
        c.incremental = false;
    }
    Ok(c)
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
