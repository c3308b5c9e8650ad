#!/bin/bash
# make bench: runs every bench/*.sh except this one; each writes a markdown
# table into the results directory, which is printed at the end.
set -u
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${AMBER_BUILD:-$src}
export AMBER_SRCDIR=$src AMBER_BUILD=$build
export AMBER=${AMBER:-$build/amber}
export BENCH_RESULTS=${BENCH_RESULTS:-$build/bench/results}
mkdir -p "$BENCH_RESULTS"
status=0
for b in "$src"/bench/*.sh; do
    [ "$(basename "$b")" = run.sh ] && continue
    echo "== $(basename "$b" .sh) =="
    bash "$b" || { echo "bench $(basename "$b") failed"; status=1; }
done
echo
for md in "$BENCH_RESULTS"/*.md; do
    [ -f "$md" ] || continue
    echo "### $(basename "$md" .md)"
    cat "$md"
    echo
done
exit $status
