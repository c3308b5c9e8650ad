#!/bin/bash
# Reverse execution on the project's Linux guest (doc/PERFORMANCE.md,
# "Reverse execution on Linux"), on each CPU back end:
#  1. boots with -reverse on (a checkpoint every 10M instructions, 512M
#     bound) and -icount sleep=off; /init runs `churn 3000 ; churn 300 ;
#     churn 1000000` from the kernel command line (11 s, 1 s, then on and on
#     of guest time rewriting 512 KiB);
#  2. gdb-multiarch attaches during the last churn, times N reverse-stepi,
#     then one reverse-continue with no breakpoint back to the start of
#     history (re-executing all of it); `monitor info replay` gives the
#     positions and the checkpoints' memory;
#  3. a second boot, stopped at reset: gdb breaks at /init's sum_print (the
#     end of each churn; its ELF is beside the Image), times the forward
#     `continue` from the end of churn 3000 to the end of churn 300 (1 s of
#     guest time), then one reverse-continue back across that second; a
#     third boot without -reverse times the same forward second.
# Then a 60 s run (churn 16000, to poweroff) gives the checkpoints' count and
# memory over 60 s of guest time (Amber's exit line) and the process's peak
# RSS. Writes $BENCH_RESULTS/reverse.md.
# Usage: bench/reverse.sh [N] [ROUNDS60]
set -u
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${AMBER_BUILD:-$src}
AMBER=${AMBER:-$build/amber}
BENCH_NAME=reverse
. "$(dirname "$0")/linux-lib.inc"
n=${1:-50}
rounds60=${2:-16000}
command -v gdb-multiarch >/dev/null || skip "gdb-multiarch not installed"
bench_linux_image
elf=$(dirname "$image")/init
sp=$(nm "$elf" 2>/dev/null | awk '$3 == "sum_print" { print $1 }')
[ -n "$sp" ] || skip "no sum_print in $elf (nm, /init's ELF beside the Image)"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
hmp() { timeout 60 python3 "$src/tests/integration/hmp.py" "$tmp/m.sock" "$@"; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
posof() { sed -n "/^$1\$/,/^Reverse execution at/p" "$tmp/g.out" | grep -o 'instruction count = [0-9]*' | tail -n 1 | tr -dc 0-9; }

# boot JIT APPEND PROMPTS ARGS...: amber in the background with gdb and
# monitor sockets; returns once /init printed PROMPTS prompts (0: once the
# sockets are there)
boot() {
    local jit=$1 append=$2 prompts=$3
    shift 3
    rm -f "$tmp/g.sock" "$tmp/m.sock"
    "$AMBER" -accel "tcg,jit=$jit" -icount sleep=off -M virt -m "$RAM" -nographic -bios "$FW" \
        -kernel "$image" -append "console=ttyS0 -- $append" "$@" \
        -gdb "unix:$tmp/g.sock,server" -monitor "unix:$tmp/m.sock,server,nowait" \
        </dev/null >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    local end=$((SECONDS + 300))
    until { [ -S "$tmp/g.sock" ] && [ -S "$tmp/m.sock" ] &&
            [ "$(tr -d '\r' <"$tmp/out" | grep -c '^# ')" -ge "$prompts" ]; } || [ $SECONDS -ge $end ]; do
        sleep 0.2
    done
}
gdb_run() {   # gdb_run NAME: runs $tmp/NAME.cmd, output in $tmp/g.out, then ends amber
    timeout "${BENCH_GDB_TIMEOUT:-900}" gdb-multiarch -nx -batch -x "$tmp/$1.cmd" >"$tmp/g.out" 2>&1
    [ -n "${BENCH_KEEP:-}" ] && cp "$tmp/g.out" "$BENCH_KEEP/g-$1.out" && cp "$tmp/err" "$BENCH_KEEP/err-$1"
    hmp quit >/dev/null
    wait $pid
    pid=
}
gdb_head() {
    echo "set pagination off"
    echo "set architecture riscv:rv64"
    echo "target remote $tmp/g.sock"
}

one() {   # one JIT: the two gdb sessions on one back end; appends rows to $md.tmp
    local jit=$1 t
    # 1. Attached while `churn 1000000` runs (after 12.5 s of guest time):
    #    N reverse-stepi, then back to the start of history.
    boot "$jit" "churn 3000 ; churn 300 ; churn 1000000" 3 -reverse on
    {
        gdb_head
        echo "echo AT-ATTACH\\n"
        echo "monitor info replay"
        echo 'shell date +%s%N'
        for _ in $(seq "$n"); do echo reverse-stepi; done
        echo 'shell date +%s%N'
        echo "echo AT-STEPPED\\n"
        echo "monitor info replay"
        echo 'shell date +%s%N'
        echo 'reverse-continue'
        echo 'shell date +%s%N'
        echo "echo AT-BEGIN\\n"
        echo "monitor info replay"
        echo detach
    } >"$tmp/s$jit.cmd"
    gdb_run "s$jit"
    mapfile -t t < <(grep -E '^[0-9]{15,}$' "$tmp/g.out")
    if [ ${#t[@]} -lt 4 ]; then
        echo "jit=$jit: the gdb session did not finish:" >&2
        tail -n 20 "$tmp/g.out" >&2
        return 1
    fi
    local pa ps pb
    pa=$(posof AT-ATTACH) ps=$(posof AT-STEPPED) pb=$(posof AT-BEGIN)
    {
        echo "| jit=$jit | \`reverse-stepi\` at $((pa / 125000)) ms of guest time (position $pa), gdb round trip included | $(( (t[1] - t[0]) / n / 1000 )) us each ($n in $(ms "${t[0]}" "${t[1]}") ms, $((pa - ps)) instructions back) |"
        echo "| jit=$jit | \`reverse-continue\` with no breakpoint to the start of history ($pb), re-executing $(( (ps - pb) / 125000 )) ms | $(ms "${t[2]}" "${t[3]}") ms |"
    } >>"$md.tmp"
    sed -n '/^AT-STEPPED$/,/^Largest/p' "$tmp/g.out" | grep -E '^(Reverse|Checkpoint)' | sed "s/^/jit=$jit: /" >>"$tmp/notes"

    # 2. Across 1 s: from reset, a breakpoint at the end of each churn
    #    (sum_print); the forward second from the end of churn 3000 to the
    #    end of churn 300 is timed, then the reverse-continue back across it.
    across() {   # across NAME: the gdb script, with reverse-continue if $1 = r
        gdb_head
        echo "break *0x$sp"
        echo 'continue'
        echo "echo AT-END1F\\n"
        echo "monitor info replay"
        echo 'shell date +%s%N'
        echo 'continue'
        echo 'shell date +%s%N'
        echo "echo AT-END2\\n"
        echo "monitor info replay"
        if [ "$1" = r ]; then
            echo 'shell date +%s%N'
            echo 'reverse-continue'
            echo 'shell date +%s%N'
            echo "echo AT-END1\\n"
            echo "monitor info replay"
        fi
        echo detach
    }
    boot "$jit" "churn 3000 ; churn 300 ; churn 1000000" 0 -S -reverse on
    across r >"$tmp/c$jit.cmd"
    gdb_run "c$jit"
    mapfile -t t < <(grep -E '^[0-9]{15,}$' "$tmp/g.out")
    local p2 p1 p1f e
    p1f=$(posof AT-END1F) p2=$(posof AT-END2) p1=$(posof AT-END1)
    e=$(grep -m1 -o 'reverse execution: .*' "$tmp/err")
    if [ -n "$e" ] || [ ${#t[@]} -lt 4 ] || [ "$p1" != "$p1f" ]; then
        echo "| jit=$jit | \`reverse-continue\` to a breakpoint 1 s back (the end of churn 300 to the end of churn 3000) | fails: ${e:-no answer or another position ($p1, forward $p1f)} |" >>"$md.tmp"
        return 0
    fi
    local fwd_rev back
    fwd_rev=$(ms "${t[0]}" "${t[1]}") back=$(ms "${t[2]}" "${t[3]}")
    boot "$jit" "churn 3000 ; churn 300 ; churn 1000000" 0 -S
    across f >"$tmp/f$jit.cmd"
    gdb_run "f$jit"
    mapfile -t t < <(grep -E '^[0-9]{15,}$' "$tmp/g.out")
    local fwd=${t[1]:+$(ms "${t[0]}" "${t[1]}")}
    {
        echo "| jit=$jit | forward \`continue\` across that second (positions $p1 to $p2, $(( (p2 - p1) / 125000 )) ms of guest time): plain, and with -reverse on | ${fwd:-?} ms, $fwd_rev ms |"
        echo "| jit=$jit | \`reverse-continue\` back across it to the breakpoint | $back ms ($(awk -v b="$back" -v f="${fwd:-0}" 'BEGIN { if (f > 0) printf "%.2fx plain", b / f; else printf "?" }'), $(awk -v b="$back" -v f="$fwd_rev" 'BEGIN { if (f > 0) printf "%.2fx", b / f; else printf "?" }') with -reverse on) |"
    } >>"$md.tmp"
}

{
    echo "Linux, -m $RAM, one hart, -reverse on (every 10M instructions, 512M bound), -icount sleep=off; $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| back end | what | time |"
    echo "|---|---|---|"
} >"$md.tmp"
: >"$tmp/notes"
one on || exit 1
one off || exit 1

# 60 s of guest time: the checkpoints' count and memory, the peak RSS.
/usr/bin/time -f 'maxrss %M' -o "$tmp/time" "$AMBER" -icount sleep=off -M virt -m "$RAM" -nographic \
    -bios "$FW" -kernel "$image" -append "console=ttyS0 -- churn $rounds60 ; uptime ; poweroff" \
    -reverse on </dev/null >"$tmp/out60" 2>"$tmp/err60"
up=$(tr -d '\r' <"$tmp/out60" | grep -m1 '^uptime ' | awk '{print $2}')
line=$(grep -o 'reverse: .*' "$tmp/err60")
rss=$(sed -n 's/^maxrss //p' "$tmp/time")
/usr/bin/time -f 'maxrss %M' -o "$tmp/time0" "$AMBER" -icount sleep=off -M virt -m "$RAM" -nographic \
    -bios "$FW" -kernel "$image" -append "console=ttyS0 -- churn $rounds60 ; uptime ; poweroff" \
    </dev/null >/dev/null 2>&1
rss0=$(sed -n 's/^maxrss //p' "$tmp/time0")
{
    echo "| jit=on | $rounds60 rounds of churn to uptime $up s, -reverse on | $line |"
    echo "| jit=on | peak RSS of that run, and without -reverse (the checkpoints' pages live in a memfd, outside RSS: the line above gives them) | $((rss / 1024)) MiB, $((rss0 / 1024)) MiB |"
    echo
    sed 's/^/    /' "$tmp/notes"
} >>"$md.tmp"
mv "$md.tmp" "$md"
cat "$md"
