#!/bin/bash
# Every shell example in README.md and doc/*.md runs here (against the built
# tree, in a temp dir), or is visibly marked "(illustrative...)", or names
# the test that runs it; an unmarked block fails. doc-examples.py has the
# rules. First the runner is checked on made-up files: a failing example, an
# unmarked block and a missing run-by test must fail it, an illustrative
# block must not run.
. "$(dirname "$0")/lib.sh"
runner=$here/doc-examples.py
[ -x "$build/amber" ] || { fail "$build/amber not built"; finish; }
lib_tmpdir

cat >"$tmp/bad.md" <<'EOF'
```sh
true
false
echo not reached
```
EOF
cat >"$tmp/unmarked.md" <<'EOF'
Text.

    ./amber -h
EOF
cat >"$tmp/good.md" <<'EOF'
(illustrative: would fail)

```sh
exit 3
```

```text
not a command
```

```sh
./amber -h | grep -q -- -incoming
```
EOF
cat >"$tmp/runby.md" <<'EOF'
<!-- doc-test: run-by tests/integration/no-such-test.sh -->

    ./configure && make demo
EOF
out=$($PY "$runner" "$build" "$src" "$tmp/bad.md" 2>&1); rc=$?
[ $rc = 1 ] && grep -q 'FAIL .*bad.md:1: failed' <<<"$out"
check $? "runner: an example whose middle command fails fails (status $rc)"
out=$($PY "$runner" "$build" "$src" "$tmp/unmarked.md" 2>&1); rc=$?
[ $rc = 1 ] && grep -q 'unmarked indented block' <<<"$out"
check $? "runner: an unmarked indented block fails (status $rc)"
out=$($PY "$runner" "$build" "$src" "$tmp/runby.md" 2>&1); rc=$?
[ $rc = 1 ] && grep -q 'no-such-test.sh (missing' <<<"$out"
check $? "runner: a run-by naming a missing test fails (status $rc)"
out=$($PY "$runner" "$build" "$src" "$tmp/good.md" 2>&1); rc=$?
[ $rc = 0 ] && grep -q '^1 passed, 0 failed' <<<"$out" && grep -q 'marked illustrative' <<<"$out"
check $? "runner: illustrative and text blocks are not run, a good example passes (status $rc)"

# ---- the documents ----
$PY "$runner" "$build" "$src" "$src/README.md" "$src"/doc/*.md >"$tmp/docs.out" 2>&1
rc=$?
cat "$tmp/docs.out"
line=$(tail -n 1 "$tmp/docs.out")
p=$(sed -nE 's/^([0-9]+) passed.*/\1/p' <<<"$line")
f=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$line")
s=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line")
passed=$((passed + ${p:-0})) failed=$((failed + ${f:-1})) skipped=$((skipped + ${s:-0}))
[ $rc = 0 ] || [ "${f:-0}" -gt 0 ] || failed=$((failed + 1))
finish
