#!/bin/bash
# The README's first command on a fresh clone: `git clone` of the committed
# HEAD of this tree into a temp dir, then `./configure && make demo` run
# there literally, with stdin not a terminal (the tour runs and exits). It
# must exit 0. This is the test that would have caught "No rule to make
# target 'tests/guest/demo/demo.elf'" (a build tree's leftovers hid it).
# Uncommitted changes are not in the clone: commit first. Slow by nature
# (a whole build, about 45 s on one core): set AMBER_SKIP_FRESH_CLONE=1 to
# skip it, saying so.
. "$(dirname "$0")/lib.sh"
skip_out() { skip "$*"; finish; }
[ -n "${AMBER_SKIP_FRESH_CLONE:-}" ] && skip_out "AMBER_SKIP_FRESH_CLONE is set"
command -v git >/dev/null 2>&1 || skip_out "git is not installed"
head=$(git -C "$src" rev-parse --verify -q HEAD) || skip_out "$src is not a git checkout (a release tarball?)"

lib_tmpdir
# The clone checks out HEAD of this tree (a worktree's branch, not the
# repository's default one).
git clone -q --no-checkout "$src" "$tmp/amber" && git -C "$tmp/amber" checkout -q --detach "$head"
check $? "git clone of $src at ${head:0:12}"
cd "$tmp/amber" || finish
[ ! -e tests/guest/demo/demo.elf ] && [ ! -e amber ] && [ ! -e Makefile ]
check $? "the clone holds no build leftovers (no Makefile, amber or demo.elf)"

# The README's first command, as written (no options added), stdin closed.
cmd=$(grep -m1 -E '^    \./configure && make demo$' "$src/README.md" | sed 's/^    //')
[ "$cmd" = "./configure && make demo" ]
check $? "README's first command is '$cmd'"
start=$SECONDS
# stdin closed: the tour must not need (or wait for) a terminal.
timeout 900 sh -c "$cmd" <&- >"$tmp/out" 2>&1
rc=$?
check $rc "'$cmd' in the fresh clone exits 0 (status $rc, $((SECONDS - start)) s)"
grep -q 'tour complete' "$tmp/out"; check $? "the tour ran to its end"
grep -q 'No rule to make target' "$tmp/out"; [ $? != 0 ]; check $? "no 'No rule to make target' in the build"
[ $rc = 0 ] || { echo "--- output (tail) ---"; tail -n 25 "$tmp/out"; }
echo "--- tour ---"; sed -n '/^Amber: freeze/,$p' "$tmp/out" | sed 's/^/    /'
finish
