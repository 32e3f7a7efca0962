#!/usr/bin/env bash
# Runs the peer comparison (benches/peers.rs): densemc's SA and RSA against a straightforward and a
# marginal-set ("RRRMC.jl") implementation of the binary perceptron, after checking that all three make
# identical trajectories. Prints progress on stderr and saves the Markdown tables to
# target/bench-peers/peers-<date>.md (or to the file given as first argument), also printed at the end.
# Uses the runtime-dispatched kernels of a normal build: do not set RUSTFLAGS target features here.
# Knobs (environment): PEERS_QUICK=1, PEERS_SECONDS=1.5, PEERS_REPS=3, PEERS_ONLY=sa|rsa, PEERS_N=1001
# (one size instead of 1001 and 10001; PEERS_N=100001 measures densemc against the marginal-set peer only,
# about 4 minutes and 1.5 GB of memory). See the top of benches/peers.rs for the others.
# About 4 minutes with the defaults on 2 cores (the check alone ≈ 20 s).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/bench-peers/peers-$(date +%Y%m%d-%H%M%S).md}"
mkdir -p "$(dirname "$out")"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo bench --bench peers 2>&1 | tee "$log" >&2
{
    echo "<!-- scripts/bench-peers.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (dirty tree)') -->"
    # The tables start at the caption line printed by the bench.
    sed -n '/^Proposals per second/,$p' "$log"
} >"$out"
echo
cat "$out"
echo
echo "saved to $out" >&2
