# The integration tests' shell library: sourced first by every
# tests/integration/*.sh (and by migrate-lib.inc and linux-lib.inc), so that
# paths, counting and the closing line are the same everywhere. Not a test.
#
#   paths:     build src here AMBER IMG ANALYZE PY guests (AMBER_BUILD,
#              AMBER_SRCDIR and AMBER override; tests/run-tests.sh sets them)
#   counting:  pass NAME, fail NAME [DETAIL...], skip [NAME] REASON,
#              check STATUS NAME        (STATUS 0 passes: "cmd; check $? name")
#              check_that NAME EXPR [DETAIL]   (EXPR is eval'ed)
#              skip_all REASON [N]      (nothing can run here: N skipped, exit 0)
#              finish                   (the closing line; exit 1 on a failure)
#   temp dir:  lib_tmpdir [TEMPLATE] sets $tmp, removed at exit with the
#              processes in lib_pids; at_exit CMD runs CMD first
#   Amber:     amber_start NAME ARGS... (background, monitor on $tmp/NAME.sock)
#              hmp NAME CMD...          (one monitor session, prints answers)
#   needs:     need_amber, need_elf FILE..., need_cmd CMD [PACKAGE]
set -u

lib_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${AMBER_BUILD:-$(cd "$lib_here/../.." && pwd)}
build=$(cd "$build" && pwd)
src=${AMBER_SRCDIR:-$(cd "$lib_here/../.." && pwd)}
src=$(cd "$src" && pwd)
here=$src/tests/integration
AMBER=${AMBER:-$build/amber}
IMG=$build/tools/amber-img
ANALYZE=$build/tools/amber-analyze
guests=$build/tests/guest
# The Debian interpreter: a pyenv shim costs seconds per call.
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
# The test's name, for SKIP lines (run-tests.sh shows them).
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}

passed=0 failed=0 skipped=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
# fail NAME [DETAIL [MORE...]]: the first detail on the line, the rest below it.
fail() {
    local name=$1; shift
    echo "FAIL $name${1:+: $1}"
    [ $# -gt 0 ] && shift
    local l
    for l in "$@"; do echo "     $l"; done
    failed=$((failed + 1))
}
# skip [NAME] REASON: NAME defaults to the test's.
skip() {
    if [ $# -ge 2 ]; then echo "SKIP $1: skipped: $2"; else echo "SKIP $TEST_NAME: skipped: $1"; fi
    skipped=$((skipped + 1))
}
check() { if [ "$1" = 0 ]; then pass "$2"; else fail "$2"; fi; }
check_that() { if eval "$2"; then pass "$1"; else fail "$1" "${3:-}"; fi; }
finish() {
    echo "$passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ]
    exit
}
skip_all() {
    echo "SKIP: $1"
    echo "0 passed, 0 failed, ${2:-1} skipped"
    exit 0
}

need_amber() {
    if ! command -v "$AMBER" >/dev/null 2>&1; then
        fail "emulator '$AMBER' not found"
        finish
    fi
}
# need_elf FILE...: guest programs are built only with the cross compiler.
need_elf() {
    local f
    for f in "$@"; do
        [ -f "$f" ] || skip_all "$f not built (no RISC-V cross compiler?)"
    done
}
need_cmd() {
    command -v "$1" >/dev/null 2>&1 ||
        skip_all "$1 not installed${2:+ (apt-get install $2)}"
}

lib_pids=()
lib_exit_cmds=()
at_exit() { lib_exit_cmds+=("$1"); }
lib_cleanup() {
    local c p
    for c in "${lib_exit_cmds[@]}"; do eval "$c"; done
    for p in "${lib_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ -n "${tmp:-}" ]; then
        if [ -n "${AMBER_KEEP_TMP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
    fi
}
lib_tmpdir() {
    tmp=$(mktemp -d ${1:+"$1"})
    trap lib_cleanup EXIT
}

# A bounded libFuzzer run (tests/fuzz/fuzz-NAME.c, built by `make fuzz`
# with ASan and UBSan when clang is there). fuzz_setup NAME sets $fuzzer and
# $tmp with empty corpus/ and seeds/ (skipping, with the reason, when the
# target is not built); the script writes its seeds; then
# fuzz_run RUNS MAX_LEN TIMEOUT WHAT [LOG_PATTERN] runs RUNS inputs from the
# seeds alone (new inputs go to the scratch corpus, so every run does the
# same work) and checks that none crashed, leaked or tripped a sanitizer.
fuzz_setup() {
    fuzzer=$build/tests/fuzz/$1
    if [ ! -x "$fuzzer" ]; then
        command -v clang >/dev/null || skip_all "clang not installed, no libFuzzer target (apt-get install clang)"
        skip_all "$fuzzer not built (run make fuzz)"
    fi
    lib_tmpdir
    mkdir "$tmp/corpus" "$tmp/seeds"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
}
fuzz_run() {
    local runs=$1 max_len=$2 tmo=$3 what=$4 pat=${5:-} rc
    (cd "$tmp" && "$fuzzer" -runs="$runs" -seed=1 -max_len="$max_len" -len_control=0 \
        -timeout="$tmo" -rss_limit_mb=2048 "$tmp/corpus" "$tmp/seeds" >"$tmp/log" 2>&1)
    rc=$?
    grep -E "^#[0-9]+[[:space:]]+DONE|ERROR|SUMMARY${pat:+|$pat}" "$tmp/log" | head -5
    check $rc "$what"
    [ $rc -ne 0 ] && tail -n 40 "$tmp/log"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
    $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# amber_start NAME ARGS...: Amber in the background with its monitor on
# $tmp/NAME.sock; stdout/stderr in $tmp/NAME.out/.err; PID in pid_NAME.
# Returns once the socket is there (or the process is gone).
amber_start() {
    local name=$1; shift
    (cd "$tmp" && exec "$AMBER" -monitor "unix:$tmp/$name.sock,server,nowait" "$@" \
        >"$tmp/$name.out" 2>"$tmp/$name.err") &
    local pid=$!
    lib_pids+=("$pid")
    eval "pid_$name=$pid"
    local end=$((SECONDS + 60))
    while [ ! -S "$tmp/$name.sock" ] && [ $SECONDS -lt $end ] && kill -0 "$pid" 2>/dev/null; do
        sleep 0.02
    done
}
# gdb_start NAME ARGS...: amber_start NAME with "${base[@]}" ARGS, paused
# (-S), gdb's stub on a free port: $port_NAME.
gdb_start() {
    local name=$1; shift
    local port; port=$(free_port)
    eval "port_$name=$port"
    amber_start "$name" "${base[@]}" -S -gdb "tcp::$port" "$@"
}
# gdbrun NAME PORT CMD...: one batch gdb-multiarch session on $ELF against
# the stub on PORT, in the current directory; its output in NAME.gdb.
gdbrun() {
    local name=$1 port=$2; shift 2
    local args=() c
    for c in "$@"; do args+=(-ex "$c"); done
    timeout 120 gdb-multiarch -batch -nx -ex "set confirm off" -ex "target remote :$port" \
        "${args[@]}" "$ELF" >"$name.gdb" 2>&1
}
# hmp NAME CMD...: one monitor session on $tmp/NAME.sock (hmp.py), the answers.
hmp() { local name=$1; shift; timeout 150 $PY "$here/hmp.py" "$tmp/$name.sock" "$@"; }
