//! Builds the frontend (`frontend/`, npm + vite) into `frontend/dist/`, which the binary embeds, so that
//! `cargo run -- demo` on a fresh clone serves the wall, the tablet and the console with no other step.
//!
//! - Runs `npm ci` when `frontend/node_modules` is missing or older than `package-lock.json`, then
//!   `npm run build`; cargo re-runs this only when the frontend's sources change.
//! - `IOC_SKIP_FRONTEND=1` skips both (for Rust-only iteration); the binary then serves whatever
//!   `frontend/dist/` holds, or answers 404 for pages if it holds nothing.
//! - Without `npm` the build fails with a message saying what to install, unless `frontend/dist/` was
//!   already built.

use std::path::Path;
use std::process::Command;

fn main() {
    let frontend = Path::new("frontend");
    for watched in [
        "package.json",
        "package-lock.json",
        "vite.config.js",
        "vite.config.mjs",
        "vite.config.ts",
        "index.html",
        "tablet.html",
        "console.html",
        "src",
        "public",
    ] {
        // Only paths that exist: cargo treats a missing one as always changed and would rebuild every time.
        if frontend.join(watched).exists() {
            println!("cargo:rerun-if-changed=frontend/{watched}");
        }
    }
    println!("cargo:rerun-if-env-changed=IOC_SKIP_FRONTEND");
    let dist = frontend.join("dist");
    std::fs::create_dir_all(&dist).expect("create frontend/dist");
    if std::env::var_os("IOC_SKIP_FRONTEND").is_some_and(|v| v != "0") || !frontend.join("package.json").is_file() {
        return;
    }
    let built = dist.join("index.html").is_file();
    if Command::new("npm").arg("--version").output().is_err() {
        if built {
            println!("cargo:warning=npm not found: serving the frontend already built in frontend/dist");
            return;
        }
        panic!(
            "the frontend needs Node.js 20+ and npm to build (Debian: apt-get install -y nodejs npm); \
             or set IOC_SKIP_FRONTEND=1 to build the server without its pages"
        );
    }
    let modules = frontend.join("node_modules/.package-lock.json");
    let stale = match (modified(&modules), modified(&frontend.join("package-lock.json"))) {
        (Some(installed), Some(lock)) => installed < lock,
        _ => true,
    };
    if stale {
        run(frontend, &["ci", "--no-audit", "--no-fund"]);
    }
    run(frontend, &["run", "build"]);
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn run(dir: &Path, args: &[&str]) {
    let out = Command::new("npm")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("npm {}: {e}", args.join(" ")));
    if !out.status.success() {
        panic!(
            "npm {} failed in frontend/:\n{}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
