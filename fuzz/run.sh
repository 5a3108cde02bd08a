#!/usr/bin/env bash
# Fuzzes one target for a bounded time:
#
#   fuzz/run.sh [SECONDS] [libFuzzer flags...]     # SECONDS defaults to 60
#   FUZZ_TARGET=sql fuzz/run.sh 600                # the SQL target (default: ingest_decoders)
#
# Installs cargo-fuzz if it is missing. cargo-fuzz needs nightly compiler flags (-Zsanitizer=address);
# RUSTC_BOOTSTRAP=1 lets a stable toolchain accept them. New corpus entries go to a scratch folder
# (FUZZ_CORPUS, default build/fuzz-corpus/ingest_decoders, git-ignored), so the committed seeds in
# fuzz/corpus/ingest_decoders stay as they are; crashes go to fuzz/artifacts/ingest_decoders/.
# KEEP_GOING=1 keeps fuzzing after a crash (libFuzzer's fork mode), to collect several in one run.
# The build honours CARGO_TARGET_DIR (default fuzz/target); the first build compiles DataFusion with
# the sanitizer and takes a long time.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
shift || true

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
export IOC_SKIP_FRONTEND="${IOC_SKIP_FRONTEND:-1}"
# Fuzz the dependency versions the server ships with: the main lockfile (cargo adds libfuzzer-sys). Copied
# only when the main one changed, as a rewritten lockfile makes cargo rebuild.
if [[ ! -e Cargo.lock || ../Cargo.lock -nt Cargo.lock ]]; then
    cp ../Cargo.lock Cargo.lock
fi

target="${FUZZ_TARGET:-ingest_decoders}"
corpus="${FUZZ_CORPUS:-$(cd .. && pwd)/build/fuzz-corpus/$target}"
mkdir -p "$corpus"

flags=(-max_total_time="$seconds" -max_len=16384 -timeout=20 -dict="$(pwd)/$target.dict")
if [[ "${KEEP_GOING:-0}" != 0 ]]; then
    flags+=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
fi

# The first corpus folder receives new entries; the seeds are read from the second.
exec nice -n "${FUZZ_NICE:-10}" cargo fuzz run "$target" "$corpus" "$(pwd)/corpus/$target" -- "${flags[@]}" "$@"
