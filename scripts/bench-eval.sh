#!/usr/bin/env bash
# Runs the evaluation benchmark (benches/eval.rs) and prints its throughputs as bits of the pattern matrix
# (N·P) per nanosecond, one line per criterion id. Extra arguments go to the bench (e.g. a filter regex).
# Uses the runtime-dispatched kernels of a normal build: do not set RUSTFLAGS target features here.
# Example: scripts/bench-eval.sh 'errors_perceptron'     DENSEMC_BENCH_QUICK=1 skips the N ≈ 10⁵ sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo bench --bench eval -- "$@" 2>&1 | tee "$log" >&2
echo
echo "| benchmark | bits/ns (median) |"
echo "|---|---:|"
# Criterion prints the id at the start of a line (the 'time:' part may follow on the same line), then a
# 'thrpt: [low mid high]' line; the middle value is the point estimate. Gelem/s = bits/ns.
awk '
  /^[A-Za-z0-9_]+\/[^ ]+/ { id = $1 }
  /thrpt:/ && id != "" {
    gsub(/[\[\]]/, "");
    for (i = 1; i <= NF; i++) if ($i == "thrpt:") { v = $(i + 3); u = $(i + 4) }
    s = (u ~ /^K/) ? 1e-6 : (u ~ /^M/) ? 1e-3 : (u ~ /^G/) ? 1 : (u ~ /^T/) ? 1e3 : 1e-9;
    printf "| %s | %.1f |\n", id, v * s; id = ""
  }' "$log"
