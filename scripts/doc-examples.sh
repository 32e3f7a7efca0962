#!/usr/bin/env bash
# Runs the examples of docs/studies.md marked `<!-- doc-example: NAME -->` (the ```sh block after the mark,
# as written there) in a fresh folder under target/doc-examples/NAME, and prints the numbers the docs quote
# from them, in the form the docs quote them; paste those into docs/studies.md when they change.
# tests/doc_examples.rs runs the same blocks and checks the quoted numbers.
# Usage: scripts/doc-examples.sh [NAME …]   (default: robustness, a few seconds; sweep takes minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
ROOT=$PWD
DOC=docs/studies.md
export PATH="$ROOT/target/release:$PATH" LC_ALL=C

# The sh block after the mark of example $1, continuation lines joined.
block() {
    awk -v mark="<!-- doc-example: $1 -->" '
        $0 == mark { found = 1; next }
        found && /^```sh/ { inside = 1; next }
        inside && /^```/ { exit }
        inside { print }
    ' "$DOC" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta'
}

# Field $3 of the row of CSV file $1 whose first fields match the comma-separated prefix $2.
field() {
    awk -F, -v pre="$2" -v col="$3" 'index($0, pre ",") == 1 { print $col; exit }' "$1"
}

for name in "${@:-robustness}"; do
    dir="$ROOT/target/doc-examples/$name"
    rm -rf "$dir" && mkdir -p "$dir"
    cmds=$(block "$name")
    [ -n "$cmds" ] || { echo "no example '$name' in $DOC" >&2; exit 2; }
    echo "== $name (in $dir)"
    (cd "$dir" && while IFS= read -r line; do
        [ -n "$line" ] || continue
        echo "\$ $line"
        eval "$line" > /dev/null
    done <<< "$cmds")
    case $name in
    robustness)
        csv="$dir/robustness/robustness.csv"
        rsa=$(field "$csv" "rsa,weights,0.02" 4)
        sa=$(field "$csv" "sa,weights,0.02" 4)
        d=$(field "$dir/robustness/distances.csv" "sa" 3)
        printf 'δE(0.02) = %.4f against %.4f for SA'"'"'s, d = %.3f\n' "$rsa" "$sa" "$d"
        ;;
    sweep)
        csv="$dir/perceptron-analysis/alpha50.csv"
        a50() { printf '%.3f ± %.3f' "$(field "$csv" "$1,$1,$2" 5)" "$(field "$csv" "$1,$1,$2" 6)"; }
        echo "α_50 = $(a50 rsa 201), $(a50 rsa 401) for RSA at N = 201, 401"
        echo "(SA: $(a50 sa 201), $(a50 sa 401))"
        ;;
    esac
done
