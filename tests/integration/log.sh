#!/bin/bash
# The debug log (-d ITEMS, -D FILE, HMP log/logfile, -d help) and the info
# commands that show memory and interrupts (info mem, tlb, roms, irq), with
# the log-paging guest (Sv39 on, one fault of each kind the log reports). The
# log must be the same on every run of the same command line.
. "$(dirname "$0")/lib.sh"
need_amber
guest=$guests/log/log-paging.elf
hello=$guests/hello/hello.elf
lib_tmpdir /tmp/amber-log.XXXXXX

ok() { pass "$1"; }
bad() { local n=$1; shift; fail "$n" "$@"; }
# has NAME FILE FIXED-STRING: FILE contains the line fragment
has() {
    if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1" "missing: $3" "in: $(head -c 600 "$2")"; fi
}

need_elf "$guest" "$hello"
run() { timeout 60 "$AMBER" -M virt -bios none -nographic "$@" </dev/null; }

# ---- -d help and bad items, as QEMU ----
"$AMBER" -d help >"$tmp/help" 2>&1
st=$?
[ $st -eq 0 ] && ok "-d help exits 0" || bad "-d help exits 0" "status $st"
has "-d help header" "$tmp/help" "Log items (comma separated):"
for item in in_asm int exec cpu mmu unimp guest_errors; do
    if grep -qE "^$item +[a-z]" "$tmp/help"; then ok "-d help lists $item"; else bad "-d help lists $item"; fi
done
"$AMBER" -d int,bogus -bios none -kernel "$hello" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 1 ] && ok "-d bogus exits 1" || bad "-d bogus exits 1" "status $st"
[ "$(head -n 1 "$tmp/err")" = "amber: -d int,bogus: unknown log item 'bogus'" ] &&
    ok "-d bogus message" || bad "-d bogus message" "$(head -n 1 "$tmp/err")"
has "-d bogus lists the items" "$tmp/err" "Log items (comma separated):"
"$AMBER" -d int -D /nonexistent-dir/x.log -bios none -kernel "$hello" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 1 ] && grep -qF "amber: -D: could not open '/nonexistent-dir/x.log'" "$tmp/err" &&
    ok "-D unwritable" || bad "-D unwritable" "status $st: $(cat "$tmp/err")"

# ---- every item into a file (exec and cpu with a short guest: the paging
# guest spins for a while, which would log gigabytes) ----
run -kernel "$hello" -d in_asm,int,exec,cpu,guest_errors,unimp,mmu -D "$tmp/exec.log" >/dev/null 2>&1
has "exec trace" "$tmp/exec.log" "Trace 0: 0x00000000 [00000000/0000000000001000/00000003/00000003] "
has "cpu dump" "$tmp/exec.log" " pc       0000000000001000"
has "cpu dump gprs" "$tmp/exec.log" " x0/zero  0000000000000000 x1/ra    "
run -kernel "$hello" -d in_asm,int,exec,cpu,guest_errors,unimp,mmu -D "$tmp/exec2.log" >/dev/null 2>&1
cmp -s "$tmp/exec.log" "$tmp/exec2.log" && ok "exec/cpu: same run, same log ($(wc -l <"$tmp/exec.log") lines)" ||
    bad "exec/cpu: same run, same log" "$(diff "$tmp/exec.log" "$tmp/exec2.log" | head -5)"
run -kernel "$guest" -d in_asm,int,guest_errors,unimp,mmu -D "$tmp/all.log" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 0 ] && ok "guest runs with every item on" || bad "guest runs with every item on" "status $st: $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] && ok "-D: nothing logged on stderr" || bad "-D: nothing logged on stderr" "$(head -3 "$tmp/err")"
has "serial output unaffected" "$tmp/out" "paging on, faults 4"
has "in_asm header" "$tmp/all.log" "IN: "
has "in_asm priv" "$tmp/all.log" "Priv: 3; Virt: 0"
has "in_asm first insn" "$tmp/all.log" "0x0000000000001000:  00000297          auipc   t0,0x0"
has "int store page fault" "$tmp/all.log" "riscv_cpu_do_interrupt: hart:0, async:0, cause:000000000000000f, epc:0x"
has "int store page fault tval" "$tmp/all.log" "tval:0x0000000040000000, desc=store_page_fault"
has "int ecall" "$tmp/all.log" "desc=supervisor_ecall"
has "int illegal" "$tmp/all.log" "tval:0x000000007c0022f3, desc=illegal_instruction"
has "mmu fault" "$tmp/all.log" "riscv_cpu_tlb_fill ad 40000000 rw 1 mmu_idx 1"
has "mmu fault result" "$tmp/all.log" "riscv_cpu_tlb_fill address=40000000 ret 1 physical 0x0000000000000000 prot 0"
has "unimp csr" "$tmp/all.log" "riscv_csrrw: unimplemented CSR 0x7c0"
has "guest_errors" "$tmp/all.log" "Invalid read at addr 0x90000000, size 4, region '(none)', reason: unassigned"

# ---- determinism: the same run writes the same log ----
run -kernel "$guest" -d in_asm,int,guest_errors,unimp,mmu -D "$tmp/all2.log" >/dev/null 2>&1
cmp -s "$tmp/all.log" "$tmp/all2.log" && ok "same run, same log ($(wc -l <"$tmp/all.log") lines)" ||
    bad "same run, same log" "$(diff "$tmp/all.log" "$tmp/all2.log" | head -5)"

# ---- only the items asked for; stderr without -D ----
run -kernel "$guest" -d int >"$tmp/out" 2>"$tmp/int.log"
grep -q "riscv_cpu_do_interrupt" "$tmp/int.log" && ok "-d int to stderr" || bad "-d int to stderr"
if grep -qE "^(IN: |Trace |Invalid |riscv_csrrw|riscv_cpu_tlb_fill| pc )" "$tmp/int.log"; then
    bad "-d int logs nothing else" "$(grep -vE '^riscv_cpu_do_interrupt' "$tmp/int.log" | head -3)"
else
    ok "-d int logs nothing else"
fi
[ "$(grep -c riscv_cpu_do_interrupt "$tmp/int.log")" -eq 4 ] && ok "-d int: the guest's 4 traps" ||
    bad "-d int: the guest's 4 traps" "$(grep -c riscv_cpu_do_interrupt "$tmp/int.log")"
run -kernel "$guest" >"$tmp/out" 2>"$tmp/none.log"
[ ! -s "$tmp/none.log" ] && ok "no -d: no log" || bad "no -d: no log" "$(head -3 "$tmp/none.log")"

# ---- the monitor: log, logfile, info mem/tlb/roms/irq ----
cat >"$tmp/cmds" <<CMDS
log bogus
logfile $tmp/mon.log
log int
expect "paging on"
stop
info jit
log exec
info jit
log none
info mem
info tlb
info roms
info irq
quit
CMDS
timeout 60 "$AMBER" -M virt -bios none -kernel "$guest" -S -monitor stdio <"$tmp/cmds" >"$tmp/mon.out" 2>&1
has "log bogus: error" "$tmp/mon.out" "Error: unknown log item 'bogus'"
has "log bogus: the list" "$tmp/mon.out" "none            remove all logs"
has "HMP log int to logfile" "$tmp/mon.log" "desc=store_page_fault"
flushes=$(grep "TB flush count" "$tmp/mon.out" | awk '{print $4}' | tr '\n' ' ')
[ "$(awk '{print $2 - $1}' <<<"$flushes")" = 1 ] && ok "log exec flushes the translated code" ||
    bad "log exec flushes the translated code" "flush counts: $flushes"
has "info mem header" "$tmp/mon.out" "vaddr            paddr            size             attr"
has "info mem 2M page" "$tmp/mon.out" "0000000080000000 0000000080000000 0000000000200000 rwx--ad"
has "info mem 4K ro page" "$tmp/mon.out" "0000000040000000 0000000080003000 0000000000001000 r----a-"
has "info mem user page" "$tmp/mon.out" "0000000040001000 0000000080004000 0000000000001000 rw-ugad"
has "info tlb header" "$tmp/mon.out" "mmu   slot vaddr            paddr            fast"
has "info tlb S code page" "$tmp/mon.out" "S        0 0000000080000000 0000000080000000 r-x"
has "info roms mrom" "$tmp/mon.out" 'addr=0000000000001000 size=0x000028 mem=rom name="mrom.reset"'
has "info roms elf" "$tmp/mon.out" "mem=ram name=\"$guest ELF program header segment 0\""
has "info roms fdt" "$tmp/mon.out" 'mem=ram name="fdt"'
has "info irq plic" "$tmp/mon.out" "IRQ statistics for riscv.sifive.plic:"
has "info irq mtimer" "$tmp/mon.out" "IRQ statistics for riscv.aclint.mtimer:"
# Logging stopped at "log none": the file ends before info mem ran.
lines=$(wc -l <"$tmp/mon.log")
sleep 0.2
[ "$(wc -l <"$tmp/mon.log")" -eq "$lines" ] && ok "log none stops" || bad "log none stops"

# HMP log exec before the guest starts: a trace line per block from the first
printf 'logfile %s\nlog exec\ncont\nexpect "exiting"\nquit\n' "$tmp/exec-mon.log" |
    timeout 20 "$AMBER" -M virt -bios none -kernel "$hello" -S -monitor stdio >/dev/null 2>&1
has "HMP log exec" "$tmp/exec-mon.log" "Trace 0: 0x00000000 [00000000/0000000000001000/00000003/00000003] "

# info mem without paging
printf 'info mem\nquit\n' | timeout 20 "$AMBER" -M virt -bios none -kernel "$hello" -S -monitor stdio >"$tmp/bare.out" 2>&1
has "info mem bare" "$tmp/bare.out" "No translation or protection"

finish
