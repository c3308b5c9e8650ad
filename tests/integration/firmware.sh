#!/bin/bash
# Real firmware on $AMBER:
#  (a) OpenSBI fw_jump.elf and fw_dynamic.bin as -bios without a kernel:
#      the banner must show the platform name, the base ISA and Domain0.
#  (b) OpenSBI fw_jump + U-Boot S-mode: autoboot countdown, a key stops it,
#      the "=> " prompt answers "version", "poweroff" ends the run (exit 0).
# Serial input is driven through a FIFO; every wait has a timeout.
. "$(dirname "$0")/lib.sh"
OSBI=${OPENSBI_DIR:-/usr/lib/riscv64-linux-gnu/opensbi/generic}
UBOOT=${UBOOT_SMODE:-/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf}
TMO=${FW_TIMEOUT:-60}
need_amber
lib_tmpdir
pid=
at_exit '[ -n "$pid" ] && kill "$pid" 2>/dev/null; exec 3>&- 2>/dev/null'

# wait_for FILE REGEX SECONDS: poll until the (CR-stripped) file matches
wait_for() {
    local end=$((SECONDS + $3))
    while [ $SECONDS -lt "$end" ]; do
        tr -d '\r' <"$1" | grep -Eq -- "$2" && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            tr -d '\r' <"$1" | grep -Eq -- "$2"
            return
        fi
        sleep 0.1
    done
    return 1
}

# start ARGS...: run the emulator in the background, stdin from a FIFO
start() {
    rm -f "$tmp/in" "$tmp/out"
    mkfifo "$tmp/in"
    : >"$tmp/out"
    timeout "$TMO" "$AMBER" -icount sleep=off -M virt -nographic "$@" <"$tmp/in" >"$tmp/out" 2>&1 &
    pid=$!
    exec 3>"$tmp/in"          # keep the FIFO open for writing
}
stop() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=
    exec 3>&-
}

# ---- (a) OpenSBI banner ----
banner_checks() {   # $1 = label; output in $tmp/out
    local out
    out=$(tr -d '\r' <"$tmp/out")
    local -a re=(
        '^OpenSBI v[0-9]'
        '^Platform Name +: riscv-virtio,qemu'
        '^Boot HART Base ISA +: rv64ima(fd)?ch?$'
        '^Domain0 Name +: root'
        '^Domain0 Next Mode +: S-mode'
        '^Domain0 Region[0-9]+ +: 0x'
        '^Boot HART MEDELEG +: 0x'
    )
    local r
    for r in "${re[@]}"; do
        if grep -Eq -- "$r" <<<"$out"; then
            pass "$1: /$r/"
        else
            fail "$1: no line matching /$r/"
        fi
    done
    grep -E '^(Platform Name|Boot HART Base ISA|Domain0 Next Address)' <<<"$out" | sed 's/^/     /'
}
for fw in fw_jump.elf fw_dynamic.bin; do
    if [ ! -f "$OSBI/$fw" ]; then
        skip "OpenSBI $fw: $OSBI/$fw not installed (apt-get install opensbi)"
        continue
    fi
    start -bios "$OSBI/$fw"
    if wait_for "$tmp/out" '^Boot HART MEDELEG' 30; then :; else
        echo "     (banner incomplete after 30 s; last lines:)"
        tail -n 5 "$tmp/out" | sed 's/^/     /'
    fi
    stop
    banner_checks "OpenSBI $fw"
done

# ---- (b) OpenSBI + U-Boot S-mode, interactive ----
if [ ! -f "$OSBI/fw_jump.elf" ] || [ ! -f "$UBOOT" ]; then
    skip "U-Boot: $OSBI/fw_jump.elf or $UBOOT missing (apt-get install opensbi u-boot-qemu)"
else
    start -bios "$OSBI/fw_jump.elf" -kernel "$UBOOT"
    if wait_for "$tmp/out" 'Hit any key to stop autoboot' 40; then
        pass "U-Boot: autoboot countdown shown"
        printf ' ' >&3
        if wait_for "$tmp/out" '^=> ' 15; then
            pass "U-Boot: key stopped autoboot, prompt '=> '"
            printf 'version\r' >&3
            if wait_for "$tmp/out" '^GNU ld' 15; then
                pass "U-Boot: 'version' answered"
                tr -d '\r' <"$tmp/out" | grep -E '^U-Boot 20' | tail -n 1 | sed 's/^/     /'
            else
                fail "U-Boot: no answer to 'version'"
            fi
            printf 'poweroff\r' >&3
            end=$((SECONDS + 15))
            while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
            if kill -0 "$pid" 2>/dev/null; then
                fail "U-Boot: still running 15 s after 'poweroff'"
                stop
            else
                wait "$pid"; rc=$?
                pid=
                exec 3>&-
                if [ "$rc" -eq 0 ]; then pass "U-Boot: poweroff exits 0"
                else fail "U-Boot: poweroff exit status $rc"; fi
            fi
        else
            fail "U-Boot: no '=> ' prompt after a key"
        fi
    else
        fail "U-Boot: no autoboot countdown within 40 s"
    fi
    [ -n "$pid" ] && stop
    if [ "$failed" -ne 0 ]; then
        echo "     --- last U-Boot output ---"
        tail -n 15 "$tmp/out" | tr -d '\r' | sed 's/^/     /'
    fi
fi
finish
