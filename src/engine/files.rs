//! Scenario files on disk: `queries/*.sql`, loaded at start, written by the API, and watched for edits.
//!
//! [`Engine::put`] and [`Engine::delete`] write and remove the same files the engine reads (atomically: a
//! temporary file, then a rename); [`Engine::sync_dir`] picks up files added, changed or removed on disk
//! while the server runs. A file that does not parse or plan registers its scenario as broken: listed with
//! its error, never evaluated; a running scenario whose file goes bad keeps its last result on screens
//! until the file is fixed. File I/O runs on blocking threads, never on the async runtime, and no lock is
//! held across it but the engine's `files` mutex, which only orders file operations.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::info::ScenarioInfo;
use super::{scenario, Engine, EngineError, Scenario, ScenarioError};

/// A file's stem: the scenario's name.
fn stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string()
}

impl Engine {
    /// Loads every scenario file at start. A file that does not parse is returned (the server refuses to
    /// start with its `file:line`); one that parses but does not plan is registered as broken.
    pub async fn load_dir(self: &Arc<Self>) -> Vec<(PathBuf, ScenarioError)> {
        let _files = self.files.lock().await;
        let mut errors = Vec::new();
        for (path, parsed, text) in read_dir_blocking(&self.queries).await {
            match parsed {
                Ok(def) => self.load(def, text).await,
                Err(e) => errors.push((path, e)),
            }
        }
        errors
    }

    /// Plans a parsed definition and registers it, running or broken.
    async fn load(self: &Arc<Self>, def: Scenario, text: Option<String>) {
        let outcome = match self.plan(&def).await {
            Ok(planned) => self.add(def.clone(), planned, text.clone()),
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            let path = def.path.as_ref().map_or_else(String::new, |p| p.display().to_string());
            let message = format!("{path}:{}: {e}", def.sql_line);
            tracing::warn!(scenario = %def.name, error = %message, "scenario does not plan");
            self.add_broken(def, message, text);
        }
    }

    /// Brings the registry in line with the files on disk: new and changed files are (re)loaded, removed
    /// files remove their scenario, and a file that no longer parses or plans marks its scenario as broken.
    pub async fn sync_dir(self: &Arc<Self>) {
        let _files = self.files.lock().await;
        let on_disk = read_dir_blocking(&self.queries).await;
        let mut seen = std::collections::HashSet::new();
        for (path, parsed, text) in on_disk {
            let name = stem(&path);
            seen.insert(name.clone());
            if self.running(&name).is_some_and(|c| c.source == text) {
                continue;
            }
            match parsed {
                Ok(def) => self.load(def, text).await,
                Err(e) => {
                    let message = format!("{}:{}: {}", path.display(), e.line, e.message);
                    tracing::warn!(scenario = %name, error = %message, "scenario file is invalid");
                    let def = Scenario {
                        path: Some(path.clone()),
                        ..Scenario::named(&name)
                    };
                    self.add_broken(def, message, text);
                }
            }
        }
        for name in self.names() {
            if !seen.contains(&name) {
                self.remove(&name);
            }
        }
    }

    /// Validates, writes `queries/NAME.sql` atomically, and (re)starts the scenario.
    pub async fn put(self: &Arc<Self>, mut def: Scenario) -> Result<ScenarioInfo, EngineError> {
        let planned = self.plan(&def).await?;
        let text = scenario::to_file_text(&def);
        let path = self.queries.join(format!("{}.sql", def.name));
        let _files = self.files.lock().await;
        let (p, t) = (path.clone(), text.clone());
        tokio::task::spawn_blocking(move || write_atomically(&p, &t))
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|r| r)
            .map_err(|source| EngineError::Write {
                path: path.display().to_string(),
                source,
            })?;
        def.path = Some(path);
        let name = def.name.clone();
        self.add(def, planned, Some(text))?;
        self.get(&name).ok_or(EngineError::ShuttingDown)
    }

    /// Stops a scenario, deletes its file, and tells its subscribers (`scenario_removed`). False if unknown.
    pub async fn delete(&self, name: &str) -> Result<bool, EngineError> {
        let _files = self.files.lock().await;
        if self.running(name).is_none() {
            return Ok(false);
        }
        let path = self.queries.join(format!("{name}.sql"));
        let p = path.clone();
        let removed = tokio::task::spawn_blocking(move || match std::fs::remove_file(&p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        })
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|r| r);
        removed.map_err(|source| EngineError::Write {
            path: path.display().to_string(),
            source,
        })?;
        Ok(self.remove(name))
    }
}

/// Writes `text` to `path` through a temporary file in the same folder and a rename, so a reader (or a
/// crash) never sees half a file.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("scenario"),
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

type Entry = (PathBuf, Result<Scenario, ScenarioError>, Option<String>);

async fn read_dir_blocking(dir: &Path) -> Vec<Entry> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || read_dir(&dir))
        .await
        .unwrap_or_default()
}

/// Every `*.sql` file in `dir`, sorted by name: parsed, with its text.
pub fn read_dir(dir: &Path) -> Vec<Entry> {
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .filter(|p| {
                !p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = stem(&path);
            let text = std::fs::read_to_string(&path);
            let parsed = match &text {
                Ok(text) => scenario::parse(&name, text).map(|mut s| {
                    s.path = Some(path.clone());
                    s
                }),
                Err(e) => Err(ScenarioError {
                    line: 1,
                    message: format!("cannot read: {e}"),
                }),
            };
            (path, parsed, text.ok())
        })
        .collect()
}
