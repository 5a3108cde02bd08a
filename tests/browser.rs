//! The frontend in a real browser: runs `node frontend/tests/browser.mjs` (headless Chromium driven by
//! playwright-core) against this crate's binary. Needs `frontend/node_modules` (`cd frontend && npm ci`) and
//! `/usr/bin/chromium` (`apt-get install chromium`); `scripts/test` installs both. Without them the test is
//! skipped with a loud message, unless `CI` is set, where it fails.

use std::io::Write;
use std::path::Path;
use std::process::Command;

#[test]
fn wall_tablet_and_console_in_a_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let frontend = root.join("frontend");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut missing = Vec::new();
    if !frontend.join("node_modules/playwright-core").is_dir() {
        missing.push("frontend/node_modules (run `cd frontend && npm ci`)".to_string());
    }
    if !Path::new(&chromium).exists() {
        missing.push(format!("{chromium} (run `apt-get install -y chromium`)"));
    }
    if !frontend.join("dist/index.html").is_file() {
        missing.push("frontend/dist (run `cd frontend && npm run build`)".to_string());
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node (Node.js 20 or newer)".to_string());
    }
    if !missing.is_empty() {
        let msg = format!(
            "browser tests need: {}; `scripts/test` installs them",
            missing.join(", ")
        );
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        // Straight to the stderr handle: the test harness captures eprintln! of passing tests.
        let line = "*".repeat(78);
        let _ = writeln!(std::io::stderr(), "\n{line}\nSKIPPED: browser tests: {msg}\n{line}\n");
        return;
    }
    let status = Command::new("node")
        .arg(frontend.join("tests/browser.mjs"))
        .env("IOC_BIN", env!("CARGO_BIN_EXE_ioc-stream"))
        .current_dir(root)
        .status()
        .expect("run node");
    assert!(status.success(), "the browser tests failed (see their output above)");
}
