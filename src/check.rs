//! `ioc-stream check`: the catalog and every scenario validated offline, as `file:line: message` lines.
//! Each scenario is parsed and planned by DataFusion against the catalog's (empty) tables.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::engine;
use crate::store::table::ScanStats;
use crate::store::Store;

/// Prints one line per problem to stderr and a summary to stdout; 0 when all is well, 1 otherwise.
pub async fn run(queries: &Path) -> ExitCode {
    let problems = problems(queries).await;
    for p in &problems {
        eprintln!("{p}");
    }
    if problems.is_empty() {
        println!("ok: {}", queries.display());
        ExitCode::SUCCESS
    } else {
        println!("{} problem(s) in {}", problems.len(), queries.display());
        ExitCode::FAILURE
    }
}

/// Every problem as `file:line: message`.
pub async fn problems(queries: &Path) -> Vec<String> {
    let catalog = match Catalog::load(queries) {
        Ok(c) => c,
        Err(e) => return vec![format!("{e}").replacen(": ", ":1: ", 1)],
    };
    let config = Config::default();
    let store = Store::new(&catalog, config.seal_rows, config.seal_age);
    let ctx = match engine::session(&config, &catalog, &store, &Arc::new(ScanStats::default())) {
        Ok(ctx) => ctx,
        Err(e) => return vec![format!("{}:1: {e}", queries.display())],
    };
    let mut out = Vec::new();
    for (path, parsed, _) in engine::read_dir(queries) {
        let path_text = path.display();
        match parsed {
            Err(e) => out.push(format!("{path_text}:{}: {}", e.line, e.message)),
            Ok(s) => {
                if let Err(e) = engine::plan_columns(&ctx, &s.sql).await {
                    let line = e.line.map_or(s.sql_line, |l| s.sql_line + l - 1);
                    out.push(format!("{path_text}:{line}: {}", e.message.replace('\n', " ")));
                }
            }
        }
    }
    out
}
