#!/usr/bin/env bash
# MPI sweeps (docs/cluster.md, "MPI"; src/run/mpi.rs), with the build of `--features mpi` and Open MPI's
# mpirun (Debian: libopenmpi-dev openmpi-bin libclang-dev; .ci/run installs them). Checks, under
# `mpirun -np 3` on this one machine:
#   1. a tiny sweep gives the same tasks with the same results as the single-process sweep (timings aside),
#      also with two tasks at a time per rank, and rank 0 alone (`--mpi` without mpirun);
#   2. a results file with a torn last line (a killed run) is resumed under MPI;
#   3. a slow rank (stopped with SIGSTOP for 2 s) does not hold the others: lines keep coming, the sweep ends
#      complete;
#   4. a killed rank (SIGKILL): mpirun ends the job, the file keeps the finished tasks, and a
#      single-process run of the same command resumes it to the complete result.
# Usage: scripts/test-mpi.sh   (honours CARGO_TARGET_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

command -v mpirun >/dev/null || {
    echo "test-mpi: mpirun not found: apt-get install -y libopenmpi-dev openmpi-bin libclang-dev" >&2
    exit 1
}
# Only the binary: `cargo test --features mpi` would rebuild the dev-dependencies with the feature's
# dependency set (over a minute); tests/mpi.rs holds the default build's refusals.
cargo build --release --features mpi
BIN="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/densemc"
MPIRUN=(mpirun --oversubscribe)
[ "$(id -u)" = 0 ] && MPIRUN+=(--allow-run-as-root)

DIR="$(mktemp -d "${TMPDIR:-/tmp}/densemc-test-mpi.XXXXXX")"
trap 'rm -rf "$DIR"' EXIT
cd "$DIR"

# Same tasks, same results, timings aside (seconds, proposals_per_second); no task twice; whole lines only.
same() {
    python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
a, b, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
def load(path):
    text = open(path).read()
    assert text.endswith("\n"), f"{path}: a torn last line"
    m = {}
    for line in text.splitlines():
        r = json.loads(line)
        for k in ("seconds", "proposals_per_second"):
            r.pop(k)
        key = (r["n"], r["alpha_index"], r["sample"], r["algo"])
        assert key not in m, f"{path}: task {key} twice"
        m[key] = r
    return m
ma, mb = load(a), load(b)
assert len(ma) == want, f"{a}: {len(ma)} tasks, want {want}"
assert ma.keys() == mb.keys(), f"{a} and {b} hold different tasks"
diff = [k for k in ma if ma[k] != mb[k]]
assert not diff, f"{a} and {b} differ on tasks {diff[:5]}"
print(f"test-mpi: {a} = {b}: {want} tasks, same results")
EOF
}
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
wait_lines() { # FILE N: wait (up to 60 s) until FILE holds N lines
    for _ in $(seq 600); do [ "$(lines "$1")" -ge "$2" ] && return 0; sleep 0.1; done
    echo "test-mpi: $1 never reached $2 lines" >&2
    return 1
}
rank_pid() { # MPIRUN_PID RANK: the pid of that rank, a child of mpirun
    local p
    for p in $(pgrep -P "$1"); do
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
            echo "$p"
            return 0
        fi
    done
    echo "test-mpi: no rank $2 under mpirun $1" >&2
    return 1
}

# 1. Tiny sweep: N = 51, two α, 4 samples, rsa + sa (16 tasks).
TINY=(sweep --n 51 --alpha 0.6,0.8 --samples 4 --algo rsa,sa --max-sweeps 50 --quiet)
"$BIN" "${TINY[@]}" --out single.jsonl >/dev/null
"${MPIRUN[@]}" -np 3 "$BIN" "${TINY[@]}" --out mpi.jsonl >/dev/null
same mpi.jsonl single.jsonl 16
"${MPIRUN[@]}" -np 2 "$BIN" "${TINY[@]}" --threads 2 --out mpi2.jsonl >/dev/null
same mpi2.jsonl single.jsonl 16

# Rank 0 alone (`--mpi` without mpirun: a singleton MPI job) is the plain sweep too, and resumes.
"$BIN" "${TINY[@]}" --mpi --out singleton.jsonl 2>singleton.err >/dev/null
grep -q "16 to run on 1 MPI rank (1 task at a time" singleton.err
same singleton.jsonl single.jsonl 16
"$BIN" "${TINY[@]}" --mpi --out singleton.jsonl 2>singleton.err >/dev/null
grep -q "16 already in singleton.jsonl; 0 to run" singleton.err
same singleton.jsonl single.jsonl 16
# --shard is for separate jobs, not for one MPI job.
rc=0
"$BIN" "${TINY[@]}" --mpi --shard 0/2 --out shard.jsonl 2>shard.err || rc=$?
[ "$rc" = 2 ] && grep -q "shard with MPI" shard.err || {
    cat shard.err >&2
    exit 1
}

# 2. Resume under MPI: 5 whole lines and a torn sixth.
{ head -n 5 single.jsonl; sed -n 6p single.jsonl | head -c 40; } >torn.jsonl
"${MPIRUN[@]}" -np 3 "$BIN" "${TINY[@]}" --out torn.jsonl >/dev/null 2>torn.err
grep -q "5 already in torn.jsonl (cut a torn last line of 40 bytes); 11 to run" torn.err || {
    cat torn.err >&2
    exit 1
}
same torn.jsonl single.jsonl 16

# Tasks of about 0.1 s each (N = 1001, unsolved at α = 0.8 within 1000 sweeps): 40 of them.
BIG=(sweep --n 1001 --alpha 0.8 --samples 40 --algo rsa --max-sweeps 1000 --quiet)
"$BIN" "${BIG[@]}" --threads 2 --out big.jsonl >/dev/null

# 3. A slow rank: rank 1 stopped for 2 s while the others work.
"${MPIRUN[@]}" -np 3 "$BIN" "${BIG[@]}" --out slow.jsonl >/dev/null &
MP=$!
wait_lines slow.jsonl 2
R1=$(rank_pid "$MP" 1)
kill -STOP "$R1"
before=$(lines slow.jsonl)
sleep 2
during=$(( $(lines slow.jsonl) - before ))
kill -CONT "$R1"
wait "$MP"
echo "test-mpi: while rank 1 was stopped for 2 s, the others wrote $during lines"
[ "$during" -ge 3 ]
same slow.jsonl big.jsonl 40

# 4. A killed rank: the job ends (at most a torn last line, if rank 0 was stopped mid-write); a
# single-process run resumes it.
"${MPIRUN[@]}" -np 3 "$BIN" "${BIG[@]}" --out killed.jsonl >/dev/null 2>killed.err &
MP=$!
wait_lines killed.jsonl 3
kill -KILL "$(rank_pid "$MP" 2)"
rc=0
wait "$MP" || rc=$?
kept=$(lines killed.jsonl)
echo "test-mpi: rank 2 killed: mpirun exited with $rc, $kept of 40 lines kept"
if [ "$rc" -eq 0 ] || [ "$kept" -lt 3 ] || [ "$kept" -ge 40 ]; then
    cat killed.err >&2
    exit 1
fi
"$BIN" "${BIG[@]}" --threads 2 --out killed.jsonl >/dev/null 2>resume.err
grep -q "already in killed.jsonl" resume.err
same killed.jsonl big.jsonl 40
echo "test-mpi: all passed"
