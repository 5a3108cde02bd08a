//! `ioc-stream check`: the catalog and every scenario validated offline, as `file:line: message` lines,
//! and how each scenario would be evaluated (`incremental`, or `full` with the reason).
//! Each scenario is parsed and planned by DataFusion against the catalog's (empty) tables, as the server
//! plans it. Broker sources are checked with the catalog (URLs, names, subjects, topics, bounds); a
//! secret's environment variable or a TLS file that is missing is a warning, not an error.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::engine::{self, Engine, Mode};
use crate::fanout::Hub;
use crate::store::Store;

/// What checking found.
#[derive(Debug, Default)]
pub struct Report {
    /// Every problem as `file:line: message`.
    pub problems: Vec<String>,
    /// Every scenario that plans, as `name: incremental` or `name: full: reason`.
    pub modes: Vec<String>,
    /// What may fail on another machine but is not an error here: a source's secret variable that is not
    /// set, or a TLS / credentials file that is not there (a CI machine holds no secrets).
    pub warnings: Vec<String>,
}

/// Prints one line per problem to stderr, then each scenario's mode and a summary to stdout; 0 when all is
/// well, 1 otherwise.
pub async fn run(queries: &Path) -> ExitCode {
    let report = check(queries).await;
    for p in &report.problems {
        eprintln!("{p}");
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for m in &report.modes {
        println!("{m}");
    }
    if report.problems.is_empty() {
        println!("ok: {}", queries.display());
        ExitCode::SUCCESS
    } else {
        println!("{} problem(s) in {}", report.problems.len(), queries.display());
        ExitCode::FAILURE
    }
}

/// Every problem as `file:line: message`.
pub async fn problems(queries: &Path) -> Vec<String> {
    check(queries).await.problems
}

pub async fn check(queries: &Path) -> Report {
    let mut report = Report::default();
    let catalog = match Catalog::load(queries) {
        Ok(c) => c,
        Err(e) => {
            report.problems.push(format!("{e}").replacen(": ", ":1: ", 1));
            return report;
        }
    };
    for (name, def) in &catalog.streams {
        for source in &def.sources {
            for w in source.check_environment() {
                report.warnings.push(format!(
                    "{}: stream `{name}`: {} source `{}`: {w}",
                    queries.join("streams.toml").display(),
                    source.kind(),
                    source.name()
                ));
            }
        }
    }
    let config = Config {
        queries: queries.to_path_buf(),
        ..Config::default()
    };
    let store = Arc::new(Store::new(&catalog, config.seal_rows, config.seal_age));
    let engine = match Engine::new(&config, &catalog, store, Arc::new(Hub::new(1))) {
        Ok(e) => e,
        Err(e) => {
            report.problems.push(format!("{}:1: {e}", queries.display()));
            return report;
        }
    };
    for (path, parsed, _) in engine::read_dir(queries) {
        let path_text = path.display();
        match parsed {
            Err(e) => report.problems.push(format!("{path_text}:{}: {}", e.line, e.message)),
            Ok(s) => match engine.plan(&s).await {
                Ok(planned) => report.modes.push(match planned.prepared.mode {
                    Mode::Incremental => format!("{}: incremental", s.name),
                    Mode::Full => format!(
                        "{}: full: {}",
                        s.name,
                        planned.prepared.full_reason.as_deref().unwrap_or("")
                    ),
                }),
                Err(engine::EngineError::Sql(e)) => {
                    let line = e.line.map_or(s.sql_line, |l| s.sql_line + l - 1);
                    report
                        .problems
                        .push(format!("{path_text}:{line}: {}", e.message.replace('\n', " ")));
                }
                Err(e) => report.problems.push(format!("{path_text}:{}: {e}", s.sql_line)),
            },
        }
    }
    engine.shutdown().await;
    report
}
