#!/bin/bash
# The GDB stub with Debian's gdb-multiarch in batch mode against the
# bare-metal gdb guest (tests/guest/gdb): break at a function and bt, read
# globals, info registers / all-registers / p $mstatus, stepi against the
# disassembly, register writes (a GPR changes the guest's exit status, a
# CSR shows in the monitor), x/ and memory faults, watch/rwatch/awatch
# (the stop reported at the accessing instruction), harts as threads at
# -smp 2 with a step of one hart that leaves the other alone, monitor
# passthrough (info snapshots, savevm, loadvm), a loadvm from the HMP
# monitor while gdb waits, Ctrl-C (gdb's interrupt), -s/-gdb spellings and
# a unix socket, and savevm streams byte-identical with and without
# breakpoints set. Malformed packets: gdb-raw.py.
. "$(dirname "$0")/lib.sh"
ELF=$guests/gdb/gdb-guest.elf
need_amber
need_elf "$ELF"
need_cmd gdb-multiarch gdb-multiarch
OBJDUMP=riscv64-unknown-elf-objdump
lib_tmpdir
cd "$tmp" || exit 1

base=(-M virt -bios none -kernel "$ELF" -icount sleep=off -serial null -display none
      -rtc base=2020-01-01)
# gdb_start and gdbrun (lib.sh): amber paused with its stub, batch gdb.
has() { grep -qE -- "$2" "$1"; }
val() { sed -n "s/^\\\$[0-9]* = //p" "$1" | sed -n "${2}p"; }   # the Nth "$N = V"

# ---- break, bt, globals, registers ----
gdb_start a
gdbrun a "$port_a" 'break bump' 'continue' 'bt' 'p counter' 'continue' 'p counter' \
    'info registers' 'info all-registers' 'p/x $mstatus' 'p/x $misa' 'p $priv' \
    'monitor info registers' 'kill'
check_that "break at a function stops there" "has a.gdb 'Breakpoint 1, bump \\(i=i@entry=1\\)'"
check_that "bt shows the caller chain" "has a.gdb '^#1 .* in main '"
check_that "a global read at the first and second hit" \
    "[ \"\$(val a.gdb 1)\" = 0 ] && [ \"\$(val a.gdb 2)\" = 1 ]"
check_that "info registers: x registers and pc" "has a.gdb '^ra  ' && has a.gdb '^pc  .*<bump'"
check_that "info all-registers: FP, CSRs, priv" \
    "has a.gdb '^ft0 ' && has a.gdb '^fcsr ' && has a.gdb '^mtvec ' && has a.gdb '^satp ' && has a.gdb '^priv '"
ms=$(val a.gdb 3)
hm=$(sed -n 's/^ mstatus  *\([0-9a-f]\{16\}\).*/\1/p' a.gdb | head -1)
check_that "p \$mstatus equals the monitor's info registers" \
    "[ -n '$hm' ] && [ \$(( $ms )) = \$(( 0x$hm )) ]" "gdb $ms, monitor $hm"
check_that "p \$misa is RV64 with I, M, A, F, D, C" "[ \$(( $(val a.gdb 4) & 0x800000000000112d )) = \$(( 0x800000000000112d )) ]"
check_that "p \$priv is M-mode" "[ \"\$(val a.gdb 5)\" = 'prv:3 [Machine]' ] || [ \"\$(val a.gdb 5)\" = 3 ]" "$(val a.gdb 5)"
wait "$pid_a" 2>/dev/null

# ---- stepi, register writes, memory ----
gdb_start b
gdbrun b "$port_b" 'break bump' 'continue' 'x/2i $pc' 'stepi' 'p/x $pc' \
    'set var $a0 = 5' 'set var $mscratch = 0x1234' 'p/x $mscratch' \
    'monitor info registers' 'x/4xb &readme' 'set var readme = 9' 'p readme' 'x/1xg 0' \
    'p $sp != 0' 'delete' 'continue'
wait "$pid_b" 2>/dev/null
st=$?
ins2=$(grep -A2 'x/2i\|=> 0x' b.gdb | sed -n 's/^ *\(0x[0-9a-f]*\) <bump+[0-9]*>:.*/\1/p' | head -1)
check_that "stepi lands on the next instruction of the disassembly" \
    "[ -n '$ins2' ] && [ \$(( $(val b.gdb 1) )) = \$(( $ins2 )) ]" "pc $(val b.gdb 1), disassembly $ins2"
check_that "a CSR write reads back and shows in the monitor" \
    "[ \"\$(val b.gdb 2)\" = 0x1234 ] && has b.gdb 'mscratch +0000000000001234'"
check_that "x/ reads a global's bytes" "has b.gdb '<readme>:[[:space:]]+0x07[[:space:]]+0x00'"
check_that "a memory write reads back" "[ \"\$(val b.gdb 3)\" = 9 ]"
check_that "a memory fault is an error, and the session goes on" \
    "has b.gdb 'Cannot access memory at address 0x0' && [ \"\$(val b.gdb 4)\" = 1 ]"
# a0 = 5 instead of 1 in the first bump(): counter ends 500504, the
# guest's exit status (counter & 0x7f) | 1 = 25.
check_that "a register write takes effect (the guest exits with 25)" \
    "[ $st = 25 ] && has b.gdb 'exited with code 031'" "status $st"

# ---- watchpoints ----
gdb_start c
gdbrun c "$port_c" 'watch watched' 'set debug remote-packet-max-chars unlimited' \
    'set debug remote 1' 'continue' 'set debug remote 0' \
    'p watched' 'continue' 'delete' 'rwatch readme' 'continue' 'delete' 'awatch readme' \
    'continue' 'kill'
check_that "watch: old and new value at the first write" \
    "has c.gdb 'Hardware watchpoint 1: watched' && has c.gdb 'Old value = 0' && has c.gdb 'New value = 110'"
check_that "watch: the next write" "has c.gdb 'Old value = 110' && has c.gdb 'New value = 420'"
check_that "rwatch: a read" "has c.gdb 'Hardware read watchpoint 2: readme' && has c.gdb '^Value = 7'"
check_that "awatch: an access" "has c.gdb 'Hardware access \\(read/write\\) watchpoint 3: readme'"
waddr=$(sed -n 's/.*Sending packet: \$Z2,\([0-9a-f]*\),8.*/\1/p' c.gdb | head -1)
check_that "the stop reply names the watchpoint (T05watch:ADDR)" \
    "[ -n '$waddr' ] && has c.gdb 'Packet received: T05watch:$waddr;thread:1;'"
# The pc of each such stop (the g reply that follows it) is a store: the
# first is crt0 clearing .bss (gdb goes on: the value stays 0), then the
# sd in touch().
stop_pcs=$($PY - c.gdb <<'PYEOF'
import re, sys
log = open(sys.argv[1], errors="replace").read()
for m in re.finditer(r"T05watch:", log):
    g = re.search(r"Packet received: ([0-9a-f]{528})\b", log[m.end():])
    if g:
        print(hex(int.from_bytes(bytes.fromhex(g.group(1)[512:528]), "little")))
PYEOF
)
if command -v $OBJDUMP >/dev/null 2>&1; then
    $OBJDUMP -d "$ELF" >c.dis
    sd_pc=$(awk '/<touch>:/{f=1} f && /\tsd\t/{print "0x" $1; exit}' c.dis | tr -d :)
    bad=""
    for p in $stop_pcs; do
        grep -qE "^ +${p#0x}:.*[[:space:]]sd[[:space:]]" c.dis || bad="$bad $p"
    done
    check_that "each watchpoint stop is at the storing instruction, before it retires" \
        "[ -n '$stop_pcs' ] && [ -z '$bad' ] && echo '$stop_pcs' | grep -qx '$sd_pc'" \
        "stops:$(echo $stop_pcs) not a store:$bad; sd in touch at $sd_pc"
else
    skip "watchpoint pc against objdump" "$OBJDUMP not installed"
fi

# ---- harts as threads (-smp 2): step one hart, the other stays ----
gdb_start d -smp 2
gdbrun d "$port_d" 'info threads' 'break bump' 'continue' 'set scheduler-locking on' \
    'thread 2' 'p/x $pc' 'thread 1' 'p/x $pc' 'thread 2' 'stepi' 'p/x $pc' 'thread 1' 'p/x $pc' \
    'thread 1' 'stepi' 'p/x $pc' 'thread 2' 'p/x $pc' 'kill'
check_that "two harts are two threads" \
    "has d.gdb 'Thread 1 \\(hart 0, M-mode\\)' && has d.gdb 'Thread 2 \\(hart 1, M-mode'"
check_that "the breakpoint stop names its thread" "has d.gdb 'Thread 1 hit Breakpoint 1, bump'"
t2a=$(val d.gdb 1) t1a=$(val d.gdb 2) t2b=$(val d.gdb 3) t1b=$(val d.gdb 4) t1c=$(val d.gdb 5) t2c=$(val d.gdb 6)
check_that "stepping hart 1 moves it and leaves hart 0" \
    "[ '$t2a' != '$t2b' ] && [ '$t1a' = '$t1b' ]" "hart1 $t2a->$t2b, hart0 $t1a->$t1b"
check_that "stepping hart 0 leaves hart 1" "[ '$t1b' != '$t1c' ] && [ '$t2b' = '$t2c' ]" \
    "hart0 $t1b->$t1c, hart1 $t2b->$t2c"

# ---- monitor passthrough: savevm, info snapshots, loadvm ----
"$IMG" create -f qcow2 e.qcow2 16M >/dev/null
gdb_start e -drive file=e.qcow2,if=none,id=d0
gdbrun e "$port_e" 'break touch' 'continue' 'p counter' 'p/x $s0' 'monitor savevm s1' \
    'monitor info snapshots' 'continue' 'p counter' 'p/x $s0' 'monitor loadvm s1' 'p counter' \
    'maintenance flush register-cache' 'p/x $s0' 'bt 1' 'monitor info status' \
    'delete' 'set var spin = 1' 'continue' 'p counter' 'p/x $s0' 'kill' &
gpid=$!
# While gdb waits in its last continue, the HMP monitor loads s1.
for _ in $(seq 100); do grep -q 'monitor info status' e.gdb 2>/dev/null && break; sleep 0.1; done
sleep 1
hmp e 'loadvm s1' >e.hmp
wait $gpid
check_that "monitor savevm and info snapshots from gdb" "has e.gdb '^--[[:space:]]+s1[[:space:]]'"
check_that "globals before and after loadvm from gdb (55, 210, 55)" \
    "[ \"\$(val e.gdb 1)\" = 55 ] && [ \"\$(val e.gdb 3)\" = 210 ] && [ \"\$(val e.gdb 5)\" = 55 ]"
check_that "gdb is told the state was replaced" "has e.gdb 'machine.s state was replaced'"
check_that "registers after loadvm (s0 = 10 again)" \
    "[ \"\$(val e.gdb 2)\" = 0xa ] && [ \"\$(val e.gdb 4)\" = 0x14 ] && [ \"\$(val e.gdb 6)\" = 0xa ]"
check_that "a loadvm at the HMP monitor stops a waiting gdb with the loaded state" \
    "has e.gdb 'received signal SIGTRAP' && [ \"\$(val e.gdb 7)\" = 55 ] && [ \"\$(val e.gdb 8)\" = 0xa ]"
wait "$pid_e" 2>/dev/null

# ---- Ctrl-C (a raw client: gdb -batch runs no event loop to take an
# asynchronous stop), a unix socket, -s and -gdb none ----
spin=$(gdb-multiarch -batch -nx -ex 'p/x &spin' "$ELF" 2>/dev/null | sed -n 's/.* = 0x\([0-9a-f]*\).*/\1/p')
gdb_start f
$PY "$here/gdb-raw.py" "$port_f" interrupt "$spin" >f.raw 2>&1
check $? "Ctrl-C stops a running guest with T02 and leaves it paused"
grep -v '^ok' f.raw
hmp f quit >/dev/null
sock=$tmp/g.sock
amber_start u "${base[@]}" -S -gdb "unix:$sock,server"
timeout 60 gdb-multiarch -batch -nx -ex "target remote $sock" -ex 'p/x $pc' -ex 'kill' "$ELF" \
    >u.gdb 2>&1
check_that "a unix socket (-gdb unix:PATH,server)" "has u.gdb '^\\\$1 = 0x1000'"
"$AMBER" "${base[@]}" -s -S -gdb none -monitor none -nodefaults </dev/null >/dev/null 2>&1 &
lib_pids+=($!)
sleep 0.3
check_that "-gdb none after -s opens nothing" "! (exec 3<>/dev/tcp/127.0.0.1/1234) 2>/dev/null"
"$AMBER" "${base[@]}" -gdb bogus:1 -monitor none </dev/null >g.err 2>&1
check_that "a bad -gdb device is refused, naming it" "has g.err 'gdbstub bogus:1: expected tcp'"

# ---- breakpoints are debugger state: savevm streams are the same ----
gdb_start h
gdb_start i
$PY "$here/gdb-raw.py" "$port_h" points "$tmp/h.mig" >h.raw 2>&1
check $? "breakpoints and watchpoints set over a raw connection"

hmp i "migrate \"exec:cat > $tmp/i.mig\"" >/dev/null
check_that "the machine's stream is byte-identical with and without breakpoints" \
    "[ -s h.mig ] && cmp -s h.mig i.mig"
hmp h quit >/dev/null; hmp i quit >/dev/null

# ---- malformed input never crashes the stub ----
gdb_start j
$PY "$here/gdb-raw.py" "$port_j" bad >j.raw 2>&1
check $? "malformed, oversized and unknown packets: nacks, errors, empty replies"
grep -v '^ok' j.raw
check_that "amber is still running after them" "kill -0 $pid_j 2>/dev/null"
hmp j quit >/dev/null
finish
