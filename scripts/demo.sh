#!/bin/bash
# Amber's guided tour (`make demo`): what Amber is for, in five steps on a
# real guest, each printed as it happens:
#   1. boot a guest to a visible point: the BusyBox/glibc userland on its
#      ext4 root disk when the full kernel and the disk are cached, else the
#      project's tiny Linux when its Image is cached, else the bare-metal
#      demo guest, saying so each time;
#   2. savevm into a temporary qcow2 (made with tools/amber-img);
#   3. change the guest's state visibly;
#   4. loadvm: the guest answers exactly as right after the save;
#   5. migrate to a second Amber process, where the guest runs on.
# On a terminal the second process then keeps the console (-nographic) and
# the user is left there; otherwise the tour checks the destination and
# exits (status 0 only if every step did what it says).
#
# Environment: AMBER_BUILD, AMBER_SRCDIR (set by make), AMBER_DEMO_GUEST=
# auto|userland|linux|bare (default auto), AMBER_DEMO_KEEP=1 keeps the temp
# dir. AMBER_DEMO_BUILD=1 builds what auto would prefer (the full kernel and
# the root disk: minutes, the first time only) instead of falling back.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${AMBER_BUILD:-$here}" && pwd)
src=$(cd "${AMBER_SRCDIR:-$here}" && pwd)
AMBER=${AMBER:-$build/amber}
AIMG=$build/tools/amber-img
FW=${OPENSBI_DIR:-/usr/lib/riscv64-linux-gnu/opensbi/generic}/fw_jump.bin
ELF=$build/tests/guest/demo/demo.elf
want=${AMBER_DEMO_GUEST:-auto}
interactive=false
[ -t 0 ] && [ -t 1 ] && interactive=true

t0=${EPOCHREALTIME/[.,]/}
elapsed() { local now=${EPOCHREALTIME/[.,]/}; printf '%d.%02d s' $(((now - t0) / 1000000)) $(((now - t0) / 10000 % 100)); }
say() { printf '%s\n' "$*"; }
step() { printf '\n[%s] %s\n' "$(elapsed)" "$*"; }
show() { printf '        %s\n' "$@"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/amber-demo.XXXXXX") || exit 1
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    if [ -n "${AMBER_DEMO_KEEP:-}" ]; then echo "demo: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A monitor whose Amber has gone must fail a write (and be reported), not
# kill the tour silently.
trap '' PIPE

die() {
    echo "demo: FAILED: $*" >&2
    local f
    for f in "$tmp"/*.err "$tmp"/*.mon; do
        [ -s "$f" ] && { echo "--- ${f##*/} (tail) ---" >&2; tail -n 5 "$f" >&2; }
    done
    exit 1
}

[ -x "$AMBER" ] || die "$AMBER is not built (run make)"
[ -x "$AIMG" ] || die "$AIMG is not built (run make)"

# ---- which guest ----
# cached SCRIPT ARGS...: the script's cached result (or builds it when
# AMBER_DEMO_BUILD=1, its progress on stderr); empty when there is none.
cached() {
    local how=--cached-only out
    [ -n "${AMBER_DEMO_BUILD:-}" ] && how=
    out=$(AMBER_IMG=$AIMG "$@" $how 2>"$tmp/build.log") || { [ -n "$how" ] || cat "$tmp/build.log" >&2; return; }
    out=$(tail -n 1 <<<"$out")
    [ -f "$out" ] && echo "$out"
}
kernel= disk=
guest=bare
if [ "$want" = auto ] || [ "$want" = userland ]; then
    [ -n "${AMBER_DEMO_BUILD:-}" ] && say "building the full kernel and the root disk if they are not cached (minutes, once)"
    kernel=$(cached "$src/scripts/build-linux.sh" --profile=full)
    [ -n "$kernel" ] && disk=$(cached "$src/scripts/build-rootfs.sh")
    if [ -n "$kernel" ] && [ -n "$disk" ] && [ -f "$FW" ]; then
        guest=userland
    elif [ "$want" = userland ]; then
        die "AMBER_DEMO_GUEST=userland, but the full kernel (scripts/build-linux.sh --profile=full), the root disk (scripts/build-rootfs.sh) or $FW is missing"
    fi
fi
if [ $guest = bare ] && [ "$want" != bare ]; then
    kernel=$(cached "$src/scripts/build-linux.sh")
    if [ -n "$kernel" ] && [ -f "$FW" ]; then
        guest=linux
    elif [ "$want" = linux ]; then
        die "AMBER_DEMO_GUEST=linux, but no cached kernel (scripts/build-linux.sh) or no $FW"
    fi
fi
case $guest in
userland)
    # The root disk is copied: the snapshots go into the copy, the cached
    # image stays as built. 4 harts, as the README's command.
    cp "$disk" "$tmp/demo.qcow2" || die "cannot copy $disk to $tmp"
    # sleep=on: the deterministic clock (2^3 ns an instruction) is paced to
    # the wall clock while the guest idles, so its clock is a real one for
    # a person at the console; explicit, whatever the default is.
    machine=(-M virt -smp 4 -m 512M -bios "$FW" -kernel "$kernel"
             -append "root=/dev/vda rw console=ttyS0" -icount shift=3,sleep=on
             -drive "file=$tmp/demo.qcow2,format=qcow2,if=virtio") ;;
linux)
    machine=(-M virt -m 256M -bios "$FW" -kernel "$kernel" -append console=ttyS0
             -icount shift=3,sleep=on -drive "file=$tmp/demo.qcow2,format=qcow2,if=none") ;;
bare)
    [ -f "$ELF" ] || die "neither a cached Linux kernel nor $ELF (needs the RISC-V cross compiler)"
    # sleep=on: the guest prints a line every 0.25 s of virtual time, and a
    # person should see them at that rate.
    machine=(-M virt -m 128M -bios none -kernel "$ELF" -icount shift=3,sleep=on
             -drive "file=$tmp/demo.qcow2,format=qcow2,if=none") ;;
esac

# ---- one Amber process driven through its batch monitor on pipes ----
# start_vm NAME ARGS...: $NAME_in / $NAME_out are its monitor's fds.
start_vm() {
    local name=$1; shift
    mkfifo "$tmp/$name.in" "$tmp/$name.out" || die "mkfifo in $tmp"
    timeout 300 "$AMBER" "${machine[@]}" -serial "file:$tmp/$name.serial" -monitor stdio "$@" \
        <"$tmp/$name.in" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    eval "${name}_pid=$!"
    local w r
    exec {w}>"$tmp/$name.in" {r}<"$tmp/$name.out"
    eval "${name}_in=$w ${name}_out=$r"
}

# mon NAME CMD...: runs the commands, leaves what the monitor printed in
# $reply (a copy goes to NAME.mon); fails on an error or a silent monitor.
# A marker echoed after the commands shows where their output ends: the
# monitor reads no further command while one waits (expect, migrate).
mon() {
    local name=$1 in out line c; shift
    eval "in=\$${name}_in out=\$${name}_out"
    reply=
    for c in "$@" "echo @@done@@"; do printf '%s\n' "$c" >&"$in" || die "$name's monitor is gone"; done
    while IFS= read -r -t 90 line <&"$out"; do
        line=${line%$'\r'}
        printf '%s\n' "$line" >>"$tmp/$name.mon"
        [ "$line" = "@@done@@" ] && break
        reply+=$line$'\n'
    done
    [ "$line" = "@@done@@" ] || die "no answer from $name's monitor to: $*"
    if grep -Eq '^(Error|expect: (timeout|cancelled))' <<<"$reply"; then
        die "$name's monitor: $(grep -E '^(Error|expect)' <<<"$reply" | head -n 2 | tr '\n' ' ')"
    fi
}
# matched: the text of the last `expect: matched '...'` in $reply, without
# the line ends and prompt the regex took along.
matched() {
    grep "^expect: matched '" <<<"$reply" | tail -n 1 |
        sed -E "s/^expect: matched '//; s/'\$//; s/\\\\r//g; s/\\\\n.*//"
}

# The userland's shell: r counts rounds in a shell variable (memory) and
# tells how many files /root has (the ext4 disk). Unquoted echo: the line's
# own echo on the console shows "$n" and cannot match the answer's regex.
R_DEF='n=0; r() { n=$((n+1)); echo round $n, files in /root: $(ls /root | wc -l); }'
# r_round N: type r, wait for round N's answer
r_round() { mon "$1" 'type "r\n"' "expect \"round $2, files in /root: \\d+\\r?\\n# \$\""; }

say "Amber: freeze a running machine, keep it, restore it, move it. A tour in five steps."
if [ $guest != userland ]; then
    "$AIMG" create -f qcow2 "$tmp/demo.qcow2" 64M >"$tmp/img.log" 2>&1 ||
        die "tools/amber-img create: $(cat "$tmp/img.log")"
fi

# ---- 1. boot ----
if [ $guest = userland ]; then
    step "1/5 boot: Linux 6.1 (full profile) on 4 harts, BusyBox and glibc on an ext4 root disk in qcow2"
    show "kernel: $kernel"
    show "disk:   a copy of $disk (scripts/build-rootfs.sh)"
elif [ $guest = linux ]; then
    step "1/5 boot: the project's Linux 6.1 (tests/guest/linux) with its /init shell"
    show "kernel: $kernel"
else
    step "1/5 boot: the bare-metal demo guest (tests/guest/demo), a line every 0.25 s"
    if [ "$want" = bare ]; then
        show "(AMBER_DEMO_GUEST=bare)"
    else
        show "(the project's Linux kernel is not cached; scripts/build-linux.sh builds it once,"
        show " about 2 minutes, and the next make demo boots Linux)"
    fi
fi
if [ $guest = linux ] && [ "$want" = auto ]; then
    show "(the BusyBox userland is not cached: make demo AMBER_DEMO_BUILD=1, or"
    show " scripts/build-linux.sh --profile=full and scripts/build-rootfs.sh, build it once, about 9 minutes)"
fi
start_vm src
show "source: amber pid $src_pid, snapshots go into $tmp/demo.qcow2 (qcow2, amber-img)"
if [ $guest = userland ]; then
    mon src 'expect "\n# $" 120'
    show "BusyBox init gave a root shell on ttyS0 (console log: $tmp/src.serial)"
    mon src "type \"$R_DEF; r\\n\"" 'expect "round 1, files in /root: \d+\r?\n# $"'
    show "# r    -> $(matched)      (r: a round counter in the shell, and ls /root | wc -l)"
elif [ $guest = linux ]; then
    mon src 'expect "\n# $" 60'
    show "Linux booted to its shell prompt (console log: $tmp/src.serial)"
    mon src 'type "sum\n"' 'expect "sum 0x[0-9a-f]+ round 1\r?\n# $"'
    show "# sum    -> $(matched)"
else
    # The bare guest runs on by itself: `stop` in the same batch as the
    # expect (no round trip through this script in between) pauses it long
    # before its next line, so no line is printed between the match and
    # the save, and the line after the save is the first one after it.
    mon src 'expect "tick +3 [^\r\n]*\r?\n" 30' stop
    show "guest: $(matched)"
fi

# ---- 2. savevm ----
step "2/5 savevm tour: the whole machine (RAM, CPU, devices) into the qcow2"
mon src "savevm tour" "info snapshots"
show "$(grep -E '^--' <<<"$reply" | head -n 1)"
if [ $guest = userland ]; then
    r_round src 2
    saved=$(matched)
    show "right after the save: # r -> $saved"
elif [ $guest = linux ]; then
    mon src 'type "sum\n"' 'expect "sum 0x[0-9a-f]+ round 2\r?\n# $"'
    saved=$(matched)
    show "right after the save: # sum -> $saved"
else
    mon src cont 'expect "tick +\d+ [^\r\n]*\r?\n"'
    saved=$(matched)
    show "right after the save: $saved"
fi

# ---- 3. change ----
if [ $guest = userland ]; then
    step "3/5 change the guest: 40 more rounds, 40 files written to the ext4 disk, sync"
    mon src 'type "for i in $(seq 40); do n=$((n+1)); echo $i > /root/f$i; done; sync; r\n"' \
        'expect "round 43, files in /root: \d+\r?\n# $"'
    show "# for ...; sync; r -> $(matched)"
elif [ $guest = linux ]; then
    step "3/5 change the guest: 40 rounds of churn over 512 KiB of its memory"
    mon src 'type "churn 40\n"' 'expect "sum 0x[0-9a-f]+ round 42\r?\n# $"'
    show "# churn 40 -> $(matched)"
    mon src 'type "sum\n"' 'expect "sum 0x[0-9a-f]+ round 43\r?\n# $"'
    show "# sum      -> $(matched)"
else
    step "3/5 change the guest: type \"amber\" at its console, let it tick on"
    # stop at once (as in step 1): no line may appear between the match
    # and the load
    mon src 'type "amber"' 'expect "tick +([7-9]|\d\d+) [^\r\n]*typed=5\r?\n"' stop
    show "guest: $(matched)"
fi

# ---- 4. loadvm ----
step "4/5 loadvm tour: back to the saved point, in a fraction of a second"
if [ $guest = userland ]; then
    mon src "loadvm tour"
    r_round src 2
    back=$(matched)
    show "# r -> $back"
    show "(memory and disk: the shell's counter and the 40 files on ext4 are as at the save)"
elif [ $guest = linux ]; then
    mon src "loadvm tour" 'type "sum\n"' 'expect "sum 0x[0-9a-f]+ round 2\r?\n# $"'
    back=$(matched)
    show "# sum -> $back"
else
    mon src "loadvm tour" cont 'expect "tick +\d+ [^\r\n]*\r?\n"'
    back=$(matched)
    show "guest: $back"
fi
[ "$back" = "$saved" ] || die "after loadvm the guest answered '$back', right after the save '$saved'"
show "the same as right after the save: the state is back"

# ---- 5. migrate ----
step "5/5 migrate: the running guest moves to a second Amber process"
sock=$tmp/migrate.sock
if $interactive; then
    # The destination takes the terminal; this helper migrates into it and
    # reports (the console keeps output post-processing, so \n is fine).
    (
        end=$((SECONDS + 30))
        while [ ! -S "$sock" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
        mon src "migrate unix:$sock" "info migrate"
        show "$(grep -E '^Migration status' <<<"$reply"), $(grep -E '^(total time|downtime)' <<<"$reply" | tr '\n' ' ')"
        printf '%s\n' "quit" >&"$src_in"
        if [ $guest = userland ]; then
            say "You are at the guest's root shell (BusyBox; poweroff ends it). Ctrl-A c: monitor (info status, savevm, ...), Ctrl-A x: quit."
        elif [ $guest = linux ]; then
            say "You are at the guest's console (type help). Ctrl-A c: monitor (info status, savevm, ...), Ctrl-A x: quit."
        else
            say "You are at the guest's console (type keys; q ends it). Ctrl-A c: monitor (info status, savevm, ...), Ctrl-A x: quit."
        fi
    ) &
    pids+=($!)
    show "destination: amber -incoming unix:$sock, on this terminal"
    "$AMBER" "${machine[@]}" -nographic -incoming "unix:$sock"
    exit $?
fi
start_vm dst -incoming "unix:$sock"
show "destination: amber pid $dst_pid, -incoming unix:$sock"
end=$((SECONDS + 30))
while [ ! -S "$sock" ] && [ $SECONDS -lt $end ]; do sleep 0.05; done
mon src "migrate unix:$sock" "info migrate" "info status"
grep -q '^Migration status: completed' <<<"$reply" ||
    die "migration did not complete: $(grep '^Migration status' <<<"$reply")"
show "$(grep -E '^Migration status' <<<"$reply"), $(grep -E '^(total time|downtime)' <<<"$reply" | tr '\n' ' ')"
show "source: $(grep '^VM status' <<<"$reply")"
if [ $guest = userland ]; then
    r_round dst 3
    show "destination: # r -> $(matched)  (round 3: it goes on from round 2)"
    mon dst "info status"
elif [ $guest = linux ]; then
    mon dst 'type "sum\n"' 'expect "sum 0x[0-9a-f]+ round 3\r?\n# $"' "info status"
    show "destination: # sum -> $(matched)  (round 3: it goes on from round 2)"
else
    mon dst 'expect "tick +\d+ [^\r\n]*\r?\n"' "info status"
    show "destination: $(matched)"
fi
grep -q '^VM status: running' <<<"$reply" || die "destination: $(grep '^VM status' <<<"$reply")"
show "destination: $(grep '^VM status' <<<"$reply")"
printf 'quit\n' >&"$src_in"
printf 'quit\n' >&"$dst_in"
wait "$src_pid" "$dst_pid" 2>/dev/null
say ""
say "[$(elapsed)] tour complete. On a terminal, make demo leaves you at the migrated guest's console."
