#!/bin/bash
# amber's command line: options, error messages and exit statuses, -dumpdtb,
# and the exit status of tiny guests (built here byte by byte, so no cross
# toolchain is needed).
. "$(dirname "$0")/lib.sh"
need_amber
lib_tmpdir /tmp/amber-cmdline.XXXXXX

# run NAME EXPECTED_STATUS ARGS... : runs amber with stdin from /dev/null;
# leaves stdout/stderr in $tmp/out, $tmp/err and the status in $st.
run() {
    local name=$1 want=$2; shift 2
    timeout 20 "$AMBER" -icount sleep=off "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    st=$?
    if [ "$st" -ne "$want" ]; then
        fail "$name" "exit status $st, expected $want: amber $*" "stderr: $(head -c 300 "$tmp/err")"
        return 1
    fi
    return 0
}

# expect_err NAME MESSAGE ARGS...: exit 1 and exactly one stderr line, equal to MESSAGE
expect_err() {
    local name=$1 msg=$2; shift 2
    run "$name" 1 "$@" || return
    if [ "$(wc -l <"$tmp/err")" -ne 1 ] || [ "$(cat "$tmp/err")" != "$msg" ]; then
        fail "$name" "expected: $msg" "got:      $(cat "$tmp/err")"
        return
    fi
    pass "$name"
}

# expect_err_sub NAME SUBSTRING ARGS...: exit 1, one stderr line "amber: ..." containing SUBSTRING
expect_err_sub() {
    local name=$1 sub=$2; shift 2
    run "$name" 1 "$@" || return
    local e
    e=$(cat "$tmp/err")
    if [ "$(wc -l <"$tmp/err")" -ne 1 ] || [[ $e != amber:* ]] || [[ $e != *"$sub"* ]]; then
        fail "$name" "expected one line containing: $sub" "got: $e"
        return
    fi
    pass "$name"
}

# ---- ELF builder -----------------------------------------------------------
le() {  # VALUE NBYTES: little-endian bytes (no subshells: this runs a lot)
    local v=$1 n=$2 i esc=
    for ((i = 0; i < n; i++)); do printf -v esc '%s\\x%02x' "$esc" $(((v >> (8 * i)) & 0xff)); done
    printf "$esc"
}

# mkelf FILE [KEY=VALUE...] -- WORDS...: one PT_LOAD segment holding WORDS
# (32-bit instructions). Keys: class machine type paddr memsz phoff phnum.
mkelf() {
    local f=$1; shift
    local class=2 machine=243 type=2 paddr=$((0x80000000)) memsz= phoff=64 phnum=1
    while [ $# -gt 0 ] && [ "$1" != -- ]; do local "$1"; shift; done
    shift
    local words=("$@") nbytes=$((4 * $#))
    [ -n "$memsz" ] || memsz=$nbytes
    {
        printf '\x7fELF'; le "$class" 1; le 1 1; le 1 1; le 0 9
        le "$type" 2; le "$machine" 2; le 1 4
        le "$paddr" 8          # e_entry
        le "$phoff" 8; le 0 8  # e_phoff, e_shoff
        le 0 4; le 64 2; le 56 2; le "$phnum" 2; le 64 2; le 0 2; le 0 2
        # program header at 64: PT_LOAD, RWX, data at offset 120
        le 1 4; le 7 4; le 120 8; le "$paddr" 8; le "$paddr" 8
        le "$nbytes" 8; le "$memsz" 8; le 4096 8
        for w in "${words[@]}"; do le $((w)) 4; done
    } >"$f"
}

# Guest programs: write to the sifive_test finisher at 0x100000, then spin.
PASS_PROG=(0x001002b7 0x00005337 0x55530313 0x0062a023 0x0000006f)
FAIL3_PROG=(0x001002b7 0x00033337 0x33330313 0x0062a023 0x0000006f)
FAIL257_PROG=(0x001002b7 0x01013337 0x33330313 0x0062a023 0x0000006f)
# count down a million, then pass
LOOP_PROG=(0x000f43b7 0x24038393 0xfff38393 0xfe039ee3 "${PASS_PROG[@]}")

mkelf "$tmp/pass.elf" -- "${PASS_PROG[@]}"
mkelf "$tmp/fail3.elf" -- "${FAIL3_PROG[@]}"
mkelf "$tmp/fail257.elf" -- "${FAIL257_PROG[@]}"
mkelf "$tmp/loop.elf" -- "${LOOP_PROG[@]}"
mkelf "$tmp/class32.elf" class=1 -- "${PASS_PROG[@]}"
mkelf "$tmp/x86.elf" machine=62 -- "${PASS_PROG[@]}"
mkelf "$tmp/dyn.elf" type=3 -- "${PASS_PROG[@]}"
mkelf "$tmp/lowaddr.elf" paddr=$((0x40000000)) -- "${PASS_PROG[@]}"
mkelf "$tmp/hugebss.elf" memsz=$((1 << 40)) -- "${PASS_PROG[@]}"
mkelf "$tmp/wrap.elf" memsz=$((-0x1000)) -- "${PASS_PROG[@]}"
mkelf "$tmp/phoff.elf" phoff=4096 -- "${PASS_PROG[@]}"
head -c 100 "$tmp/pass.elf" >"$tmp/trunc-ph.elf"     # program header cut off
head -c 130 "$tmp/pass.elf" >"$tmp/trunc-seg.elf"    # segment data cut off
head -c 40 "$tmp/pass.elf" >"$tmp/trunc-hdr.elf"     # ELF header cut off
: >"$tmp/empty.bin"

# ---- version and help ------------------------------------------------------
if run version 0 --version; then
    if head -n 1 "$tmp/out" | grep -Eq '^amber version [0-9]+\.[0-9]+' &&
        sed -n 2p "$tmp/out" | grep -q '^Copyright' && [ ! -s "$tmp/err" ]; then
        pass version
    else fail version "$(cat "$tmp/out")"; fi
fi
run version-single-dash 0 -version && pass version-single-dash
for h in -h --help -help; do
    if run "help $h" 0 "$h"; then
        missing=
        for o in -machine -m -bios -kernel -append -initrd -nographic -serial -display \
            -icount -rtc -dumpdtb -S -no-reboot -smp -version; do
            grep -q -- "$o\b" "$tmp/out" || missing="$missing $o"
        done
        if [ -z "$missing" ]; then pass "help $h"; else fail "help $h" "usage lacks:$missing"; fi
    fi
done
if run machine-help 0 -M help && grep -q '^virt ' "$tmp/out"; then pass machine-help
else fail machine-help "$(cat "$tmp/out")"; fi

# ---- bad options ------------------------------------------------------------
expect_err bad-option "amber: -foo: invalid option (see -h)" -foo
expect_err bad-option-dd "amber: --frobnicate: invalid option (see -h)" --frobnicate
expect_err not-an-option "amber: foo.elf: invalid option (options start with '-'; see -h)" foo.elf
expect_err missing-arg "amber: -kernel: requires an argument" -kernel
expect_err missing-arg-m "amber: -m: requires an argument" -m
expect_err_sub bad-machine "unsupported machine type (supported machines: virt)" -M sifive_u
expect_err_sub bad-machine-prop "unknown machine property 'foo=1'" -machine virt,foo=1
expect_err_sub ram-small "at least 16 MiB" -m 8
expect_err_sub ram-garbage "invalid RAM size" -m 12q
expect_err_sub ram-negative "invalid RAM size" -m -5
expect_err_sub ram-huge "maximum of 1 TiB" -m 2T
expect_err_sub serial-tcp "-serial tcp:127.0.0.1:4444: only server sockets are supported" -serial tcp:127.0.0.1:4444
expect_err_sub serial-twice "only one serial port" -serial null -serial stdio
expect_err_sub serial-file-bad "-serial file:/nonexistent/dir/x: No such file or directory" \
    -serial file:/nonexistent/dir/x
expect_err_sub display-gtk "-display gtk: not supported" -display gtk
expect_err_sub icount-bad "-icount shift=11: shift must be" -icount shift=11
expect_err_sub icount-key "unknown parameter 'align=on'" -icount shift=2,align=on
expect_err_sub rtc-bad "-rtc base=yesterday: invalid date" -rtc base=yesterday
expect_err_sub rtc-range "date out of range" -rtc base=2020-13-01T00:00:00
expect_err_sub rtc-clock-host "-rtc clock=host: not supported" -rtc clock=host
expect_err_sub smp-max "Invalid SMP CPUs 9. The max CPUs supported by machine 'virt' is 8" -smp 9
expect_err_sub smp-zero "-smp 0: CPU topology parameters must be greater than zero" -smp 0
expect_err_sub smp-int "Parameter 'smp.cpus' expects integer" -smp cpus=x
expect_err_sub smp-topology "only cpus=N and maxcpus=N are supported" -smp 2,sockets=2
expect_err_sub smp-maxcpus "maxcpus must equal cpus" -smp cpus=2,maxcpus=4
expect_err append-no-kernel "amber: -append only allowed with -kernel option" -append console=ttyS0
expect_err initrd-no-kernel "amber: -initrd only allowed with -kernel option" -initrd /etc/hostname

# ---- missing and malformed files ------------------------------------------
expect_err kernel-missing "amber: -kernel /nonexistent/k.elf: No such file or directory" \
    -bios none -kernel /nonexistent/k.elf
expect_err bios-missing "amber: -bios /nonexistent/fw.bin: No such file or directory" \
    -bios /nonexistent/fw.bin
expect_err kernel-dir "amber: -kernel /tmp: Is a directory" -bios none -kernel /tmp
expect_err initrd-missing "amber: -initrd /nonexistent/initrd: No such file or directory" \
    -bios none -kernel "$tmp/pass.elf" -initrd /nonexistent/initrd
expect_err kernel-empty "amber: -kernel $tmp/empty.bin: file is empty" -bios none -kernel "$tmp/empty.bin"
expect_err elf-class32 "amber: -kernel $tmp/class32.elf: not a 64-bit ELF file (ELF class 1)" \
    -bios none -kernel "$tmp/class32.elf"
expect_err elf-machine "amber: -kernel $tmp/x86.elf: ELF machine 62 is not RISC-V (243)" \
    -bios none -kernel "$tmp/x86.elf"
expect_err_sub elf-dyn "ELF type 3 is not an executable" -bios none -kernel "$tmp/dyn.elf"
expect_err elf-trunc-hdr "amber: -kernel $tmp/trunc-hdr.elf: ELF header is truncated (40 bytes)" \
    -bios none -kernel "$tmp/trunc-hdr.elf"
expect_err elf-trunc-ph "amber: -kernel $tmp/trunc-ph.elf: ELF program header table lies outside the file" \
    -bios none -kernel "$tmp/trunc-ph.elf"
expect_err elf-trunc-seg "amber: -kernel $tmp/trunc-seg.elf: ELF program header 0 lies outside the file" \
    -bios none -kernel "$tmp/trunc-seg.elf"
expect_err elf-phoff "amber: -kernel $tmp/phoff.elf: ELF program header table lies outside the file" \
    -bios none -kernel "$tmp/phoff.elf"
expect_err elf-outside-ram \
    "amber: -kernel $tmp/lowaddr.elf: ELF program header 0: segment 0x40000000-0x40000013 is outside RAM and ROM" \
    -bios none -kernel "$tmp/lowaddr.elf"
expect_err_sub elf-huge-bss "outside RAM and ROM" -bios none -kernel "$tmp/hugebss.elf"
expect_err_sub elf-wrap "overflows" -bios none -kernel "$tmp/wrap.elf"
expect_err_sub bios-bad-elf "-bios $tmp/x86.elf: ELF machine 62" -bios "$tmp/x86.elf"
# firmware at 0x80000000 and an ELF kernel linked there too
if [ -f /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin ]; then
    expect_err_sub kernel-overlaps-bios "overlaps the -bios image" -kernel "$tmp/pass.elf"
fi

# ---- -dumpdtb ---------------------------------------------------------------
dts() { dtc -I dtb -O dts "$1" 2>/dev/null; }
if command -v dtc >/dev/null; then
    if run dumpdtb 0 -bios none -kernel "$tmp/pass.elf" -append "console=ttyS0 quiet" \
        -dumpdtb "$tmp/a.dtb" && [ ! -s "$tmp/err" ]; then
        d=$(dts "$tmp/a.dtb")
        missing=
        for want in 'compatible = "riscv-virtio";' 'model = "riscv-virtio,qemu";' \
            'bootargs = "console=ttyS0 quiet";' 'stdout-path = "/soc/serial@10000000";' \
            'memory@80000000' 'reg = <0x00 0x80000000 0x00 0x8000000>;' \
            'timebase-frequency = <0x989680>;' \
            'riscv,isa = "rv64imafdc_zicntr_zicsr_zifencei_zihintpause_zihpm_zba_zbb_zbc_zbs_sstc";' \
            'riscv,cpu-intc' 'clint@2000000' 'plic@c000000' 'serial@10000000' 'test@100000' \
            'rtc@101000' 'syscon-poweroff' 'syscon-reboot' 'interrupts-extended = <0x02 0x0b 0x02 0x09>;' \
            'interrupts-extended = <0x02 0x03 0x02 0x07>;'; do
            grep -qF -- "$want" <<<"$d" || missing="$missing [$want]"
        done
        if [ "$(grep -c "compatible = \"virtio,mmio\"" <<<"$d")" != 8 ]; then missing="$missing [8 virtio_mmio nodes]"; fi
        if [ -z "$missing" ]; then pass dumpdtb; else fail dumpdtb "missing:$missing"; fi
    fi
    if run dumpdtb-ram 0 -bios none -m 6G -M virt,dumpdtb="$tmp/b.dtb"; then
        if dts "$tmp/b.dtb" | grep -qF 'reg = <0x00 0x80000000 0x01 0x80000000>;'; then pass dumpdtb-ram
        else fail dumpdtb-ram "memory reg wrong for -m 6G"; fi
    fi
    if run dumpdtb-initrd 0 -bios none -kernel "$tmp/pass.elf" -initrd "$tmp/fail3.elf" \
        -dumpdtb "$tmp/c.dtb"; then
        # QEMU's place: kernel entry + min(RAM/2, 128 MiB) = 0x84000000 for 128 MiB
        if dts "$tmp/c.dtb" | grep -qF 'linux,initrd-start = <0x00 0x84000000>;'; then pass dumpdtb-initrd
        else fail dumpdtb-initrd "$(dts "$tmp/c.dtb" | grep initrd)"; fi
    fi
    if [ -f /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin ]; then
        run dumpdtb-default-bios 0 -dumpdtb "$tmp/d.dtb" && dts "$tmp/d.dtb" | grep -q plic@c000000 &&
            pass dumpdtb-default-bios
    fi
    expect_err dumpdtb-unwritable "amber: -dumpdtb /nonexistent/dir/x.dtb: No such file or directory" \
        -bios none -dumpdtb /nonexistent/dir/x.dtb
else
    echo "skip dumpdtb checks: dtc not installed (apt-get install device-tree-compiler)"
fi

# ---- guests: exit status is the finisher code & 0xff -----------------------
run guest-pass 0 -bios none -nographic -kernel "$tmp/pass.elf" && pass guest-pass
run guest-fail3 3 -bios none -nographic -kernel "$tmp/fail3.elf" && pass guest-fail3
run guest-fail257 1 -bios none -nographic -kernel "$tmp/fail257.elf" && pass guest-fail257
run guest-loop 0 -bios none -serial null -kernel "$tmp/loop.elf" && pass guest-loop
run guest-icount-auto 0 -bios none -display none -icount shift=auto -kernel "$tmp/loop.elf" && pass guest-icount-auto
tail -c +121 "$tmp/pass.elf" >"$tmp/pass.bin"      # raw: loaded and entered at 0x80000000
run guest-raw 0 -bios none -nographic -kernel "$tmp/pass.bin" && pass guest-raw
# stdin at EOF (pipe) does not end the run; the guest does
if printf 'abc' | timeout 20 "$AMBER" -icount sleep=off -bios none -nographic -kernel "$tmp/loop.elf" >/dev/null 2>&1; then
    pass stdin-eof
else fail stdin-eof "status $?"; fi
# -S: the CPU does not start; SIGTERM ends amber cleanly
timeout 1 "$AMBER" -icount sleep=off -S -bios none -nographic -kernel "$tmp/pass.elf" </dev/null >"$tmp/out" 2>"$tmp/err"
st=$?
if [ $st -eq 124 ] && grep -q 'terminating on signal 15' "$tmp/err"; then pass paused-S
else fail paused-S "status $st, stderr: $(cat "$tmp/err")"; fi

finish
