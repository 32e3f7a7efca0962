#!/usr/bin/env bash
# The RSA protocol study of docs/algorithms.md ("How far RSA reaches, and why"): one row per setting,
# `densemc solve` on seeds 1..S of an inline instance, one thread each, results kept per run.
#
#   scripts/rsa-protocol.sh NAME N ALPHA S [solve flags...]
#
# writes study/rsa-protocol/NAME/sSEED.json (a run already there is not redone, so the script resumes)
# and prints a Markdown row: solved/S, median sweeps and seconds of the solved runs, the final energies.
# Example (the default row at N = 1001, α = 0.72):  scripts/rsa-protocol.sh default 1001 0.72 6
set -euo pipefail
name=$1 n=$2 alpha=$3 seeds=$4
shift 4
bin=${DENSEMC:-target/release/densemc}
out=${OUT:-study/rsa-protocol}/$name
mkdir -p "$out"
for s in $(seq 1 "$seeds"); do
    [ -f "$out/s$s.json" ] && continue
    "$bin" solve --n "$n" --alpha "$alpha" --seed "$s" --threads 1 --quiet --out "$out/s$s.json" "$@" >/dev/null
done
python3 - "$out" "$name" "$n" "$alpha" "$*" <<'PY'
import glob, json, statistics, sys
out, name, n, alpha, flags = sys.argv[1:]
runs = [json.load(open(f)) for f in sorted(glob.glob(out + "/s*.json"))]
ok = [r for r in runs if r["solved"]]
med = lambda xs: f"{statistics.median(xs):.0f}" if xs else "–"
print(f"| {name} | {n} | {alpha} | `{flags}` | {len(ok)}/{len(runs)} | {med([r['sweeps'] for r in ok])} "
      f"| {med([r['seconds'] for r in ok])} | {' '.join(str(r['energy']) for r in runs)} |")
PY
