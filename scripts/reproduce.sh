#!/usr/bin/env bash
# Regenerates the numbers and figures of docs/reproduce.md (a few minutes on a 2-core machine).
# Results go to target/reproduce/, the figures to docs/figures/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
B=target/release/densemc
W=target/reproduce
F=docs/figures
mkdir -p "$W" "$F"

# (i) Binary perceptron: success curves of SA and RSA at two sizes, α_50 of each.
$B sweep --n 201,401 --alpha 0.5:0.8:0.05 --samples 8 --algo rsa,sa --seed 1 --threads 2 --quiet \
    --out "$W/perceptron.jsonl"
$B analyze "$W/perceptron.jsonl" --out-dir "$W/perceptron" | tee "$W/perceptron.md"

# (ii) Committees, sign (K = 3, N = 999) and ReLU (K = 8, N = 1008) units at α = 0.3: an SA and an RSA
# solution of the same instance, their local energy δE(p) and input robustness. The seeds are the first whose
# instance SA also solves within its 20 000 sweeps (4 for sign, 7 for ReLU), so both kinds can be compared.
for spec in "sign 3 999 4" "relu 8 1008 7"; do
    set -- $spec
    act=$1 k=$2 n=$3 seed=$4
    for algo in sa rsa; do
        $B solve --n "$n" --k "$k" --activation "$act" --alpha 0.3 --seed "$seed" --algo "$algo" --quiet \
            --out "$W/$act-$algo.json"
    done
    $B generate --n "$n" --k "$k" --activation "$act" --alpha 0.3 --seed "$seed" --format binary \
        --out "$W/$act.bin"
    $B robustness --instance "$W/$act.bin" --weights "$W/$act-sa.json" --weights "$W/$act-rsa.json" \
        --label "$act SA" --label "$act RSA" --p-grid 0:0.3:0.02 --flips 200 --threads 2 \
        --out-dir "$W/robustness-$act" | tee "$W/robustness-$act.md"
done
for f in perceptron/p_succ_rsa perceptron/p_succ_sa perceptron/alpha50_fss robustness-sign/robustness_weights \
    robustness-sign/robustness_inputs robustness-relu/robustness_weights robustness-relu/robustness_inputs; do
    cp "$W/$f.svg" "$F/$(echo "$f" | tr / -).svg"
done
ls -l "$F"
