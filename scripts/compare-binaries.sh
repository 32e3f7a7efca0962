#!/usr/bin/env bash
# Two densemc binaries side by side (docs/performance.md, "The house reshaping"):
#   scripts/compare-binaries.sh OLD NEW [ROUNDS]
# 1. `bench --quick --json` interleaved (old, new, old, new, …), then a table of best-of and median pair ratios;
# 2. with valgrind installed, the instructions of fixed `solve` runs on the avx2 path (valgrind has no AVX-512).
set -eu
old=$1 new=$2 rounds=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for r in $(seq 1 "$rounds"); do
    "$old" bench --quick --json 2>/dev/null >"$work/bench-old-$r.json"
    "$new" bench --quick --json 2>/dev/null >"$work/bench-new-$r.json"
done
python3 - "$work" <<'PY'
import glob, json, statistics, sys
rows = {}
for f in sorted(glob.glob(sys.argv[1] + '/bench-*.json')):
    b = f.rsplit('/', 1)[1].split('-')[1]
    d = json.load(open(f))
    for k in d['kernels']:
        rows.setdefault(f"eval {k['path']} {k['n']}", {}).setdefault(b, []).append(k['bits_per_ns'])
    for m in d['mc']:
        name = m['algo'] + ('-shared' if m.get('visit') == 'shared' else '')
        rows.setdefault(f"{name} {m['regime']} {m['n']}", {}).setdefault(b, []).append(m['proposals_per_second'])
    rows.setdefault('score', {}).setdefault(b, []).append(d['score'])
print("| row | old (best) | new (best) | new/old (best) | new/old (median of pairs) |")
print("|---|---:|---:|---:|---:|")
for k, v in rows.items():
    o, n = v['old'], v['new']
    pairs = [b / a for a, b in zip(o, n)]
    print(f"| {k} | {max(o):.4g} | {max(n):.4g} | {max(n) / max(o):.3f} | {statistics.median(pairs):.3f} |")
PY
command -v valgrind >/dev/null || exit 0
echo
echo "| run | old | new | new/old |"
echo "|---|---:|---:|---:|"
count() { DENSEMC_PATH=avx2 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" --quiet --out "$work/r.json" 2>&1 \
    | awk '/Collected/ {print $4}'; }
while read -r name args; do
    a=$(count "$old" solve $args); b=$(count "$new" solve $args)
    echo "| $name | $a | $b | $(python3 -c "print(f'{$b/$a:.3f}')") |"
done <<'RUNS'
sa-hot --n 1001 --alpha 0.3 --seed 3 --algo sa --energy errors --beta0 0.3 --beta1 0.3 --beta-scaling none --max-sweeps 2000
sa-cold --n 1001 --alpha 0.6 --seed 3 --algo sa --energy errors --beta0 3 --beta1 3 --beta-scaling none --max-sweeps 5000
rsa-cold --n 1001 --alpha 0.6 --seed 3 --algo rsa -y 5 --energy errors --beta0 2 --beta1 2 --gamma0 0.5 --gamma1 0.5 --beta-scaling none --max-sweeps 1000 --threads 1
rsa-shared-cold --n 1001 --alpha 0.6 --seed 3 --algo rsa -y 5 --visit shared --energy errors --beta0 2 --beta1 2 --gamma0 0.5 --gamma1 0.5 --beta-scaling none --max-sweeps 1000 --threads 1
relu-rsa --n 1000 --k 4 --activation relu --alpha 0.3 --seed 3 --algo rsa -y 5 --energy errors --beta0 1 --beta1 1 --gamma0 0.5 --gamma1 0.5 --beta-scaling none --max-sweeps 300 --threads 1
RUNS
