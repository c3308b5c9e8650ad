#!/bin/bash
# Userland boot benchmark: the full kernel (scripts/build-linux.sh
# --profile=full) through OpenSBI fw_jump.bin to BusyBox init's root shell
# on the ext4 root disk of scripts/build-rootfs.sh (qcow2, virtio-blk), on
# $AMBER and on qemu-system-riscv64 in the same run, with the same command
# line (-M virt -smp 4 -m 512M -nographic, -bios, -kernel, -append, -drive
# if=none + -device virtio-blk-device); each run gets a fresh copy of the
# disk (made before the clock starts). Amber runs twice: with -icount
# sleep=off (the README's and the tests' command: idle time skipped) and
# with its default icount (paced to the wall clock, as QEMU's TCG). Wall
# time from process start to the first `# ` on the console, then the
# process is killed; CPU = user + system time of the process. Runs are
# interleaved (amber, amber paced, qemu, ...) so that load on the host
# falls on all three alike; one warm-up round first.
# BENCH_USERLAND_RUNS (default 5). Writes $BENCH_RESULTS/userland-boot.md.
set -u
src=${AMBER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${AMBER_BUILD:-$src}
AMBER=${AMBER:-$build/amber}
BENCH_NAME=userland-boot
. "$(dirname "$0")/linux-lib.inc"
RUNS=${BENCH_USERLAND_RUNS:-5}
RAM=512M
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
[ -f "$FW" ] || skip "$FW missing (Debian package opensbi)"

# built SCRIPT ARGS...: $path is what the (cached) build prints last, or skip.
built() {
    local o rc
    o=$(AMBER_IMG=$build/tools/amber-img "$@"); rc=$?
    path=$(tail -n 1 <<<"$o")
    [ "$rc" = 0 ] && [ -f "$path" ] || skip "$(basename "$1") $* failed (status $rc)"
}
if [ -n "${AMBER_FULL_IMAGE:-}" ]; then image=$AMBER_FULL_IMAGE; else
    built "$src/scripts/build-linux.sh" --profile=full; image=$path; fi
built "$src/scripts/build-rootfs.sh"; disk=$path
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

emus=(amber amber-paced)
command -v "$QEMU" >/dev/null 2>&1 && emus+=(qemu) || echo "userland-boot: $QEMU missing; QEMU column skipped"

"$PY" - "$tmp" "$RUNS" "$disk" "$AMBER" "$QEMU" "$image" "$FW" "$RAM" "${emus[@]}" >"$tmp/res" <<'EOF'
import os, re, shutil, statistics, subprocess, sys, time
tmp, runs, disk, amber, qemu, image, fw, ram = sys.argv[1:9]
emus = sys.argv[9:]
runs = int(runs)
common = ["-M", "virt", "-smp", "4", "-m", ram, "-nographic", "-bios", fw, "-kernel", image,
          "-append", "root=/dev/vda rw console=ttyS0",
          "-drive", "file=%s/d.qcow2,format=qcow2,if=none,id=d0" % tmp,
          "-device", "virtio-blk-device,drive=d0"]
cmd = {"amber": [amber, "-icount", "sleep=off"] + common, "amber-paced": [amber] + common,
       "qemu": [qemu] + common}
PROMPT = re.compile(rb"(?m)^# ")

def one(emu):
    """Seconds to the first prompt and CPU seconds, or None (log kept)."""
    shutil.copyfile(disk, tmp + "/d.qcow2")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd[emu], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    buf, t = b"", None
    deadline = t0 + 300
    while time.monotonic() < deadline:
        c = os.read(p.stdout.fileno(), 65536)
        if not c:
            break
        buf += c
        if PROMPT.search(buf.replace(b"\r", b"")):
            t = time.monotonic() - t0
            break
    p.kill()
    _, _, ru = os.wait4(p.pid, 0)
    p.stdout.close()
    p.stdin.close()
    text = buf.replace(b"\r", b"").decode("utf-8", "replace")
    if t is None or "smp: Brought up 1 node, 4 CPUs" not in text:
        open("%s/%s.log" % (tmp, emu), "w").write(text)
        return None
    return t, ru.ru_utime + ru.ru_stime

res = {e: [] for e in emus}
for e in emus:                       # warm-up: page cache, firmware, kernel
    if one(e) is None:
        print("fail", e)
        emus = [x for x in emus if x != e]
for _ in range(runs):
    for e in emus:
        r = one(e)
        if r is None:
            print("fail", e)
            sys.exit(1)
        res[e].append(r)
for e in emus:
    w = [r[0] for r in res[e]]
    c = [r[1] for r in res[e]]
    print("ok %s %.3f %.3f %.3f %s" % (e, statistics.mean(w), statistics.stdev(w) if len(w) > 1 else 0,
                                       statistics.mean(c), ",".join("%.2f" % x for x in w)))
EOF
rc=$?
grep '^fail' "$tmp/res" | while read -r _ e; do
    echo "userland-boot: $e did not reach the prompt with 4 harts:"; tail -n 5 "$tmp/$e.log" 2>/dev/null | sed 's/^/    /'
done
[ $rc = 0 ] || { echo "userland-boot: a timed run failed"; exit 1; }
declare -A mean sd cpu all
while read -r _ e m s c w; do mean[$e]=$m sd[$e]=$s cpu[$e]=$c all[$e]=$w; done < <(grep '^ok' "$tmp/res")
ratio() { printf "%.2f" "$(echo "scale=4; ${mean[$1]} / ${mean[$2]}" | bc -l)"; }
{
    echo "Linux 6.1 full profile ($(basename "$(dirname "$image")")/Image) + OpenSBI fw_jump.bin + BusyBox/glibc ext4 root (qcow2, virtio-blk),"
    echo "-smp 4 -m $RAM, the same command line on both: process start to BusyBox init's first \`# \` prompt;"
    echo "$RUNS runs each, interleaved, after one warm-up; a fresh copy of the disk per run; host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
    echo
    echo "| emulator | wall to prompt mean ± σ (s) | CPU mean (s) | runs (s) |"
    echo "|---|---|---|---|"
    for e in amber amber-paced qemu; do
        case $e in
        amber) name="amber -icount sleep=off" ;;
        amber-paced) name="amber (default icount, paced to the wall clock)" ;;
        qemu) name="qemu-system-riscv64 (TCG)" ;;
        esac
        if [ -n "${mean[$e]:-}" ]; then echo "| $name | ${mean[$e]} ± ${sd[$e]} | ${cpu[$e]} | ${all[$e]} |"
        else echo "| $name | skipped or failed | n/a | n/a |"; fi
    done
    if [ -n "${mean[qemu]:-}" ]; then
        echo
        [ -n "${mean[amber]:-}" ] && echo "time ratio amber (-icount sleep=off)/qemu: $(ratio amber qemu) (below 1: amber reaches the prompt first)"
        [ -n "${mean[amber-paced]:-}" ] && echo "time ratio amber (paced)/qemu: $(ratio amber-paced qemu)"
    fi
} >"$md"
cat "$md"
