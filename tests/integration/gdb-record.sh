#!/bin/bash
# A debugger's writes are inputs (doc/replay.md): gdb-multiarch writes a
# register (P) and a global (M/X) of the gdb guest during a -record; the
# replay in a new process, with no debugger, makes the same writes at the
# same positions: the same exit status, position and state checksum. Under
# a replay gdb's writes are refused with a reason gdb prints, and the replay
# still ends as recorded; load_devices_state is refused during both. With -reverse on, a write is kept in the history:
# reverse-continue back past it shows the written value, not the one the
# guest had before.
. "$(dirname "$0")/lib.sh"
ELF=$guests/gdb/gdb-guest.elf
need_amber
need_elf "$ELF"
need_cmd gdb-multiarch gdb-multiarch
lib_tmpdir
cd "$tmp" || exit 1

base=(-M virt -bios none -kernel "$ELF" -serial null -display none -rtc base=2020-01-01)
has() { grep -qE -- "$2" "$1"; }
ended() { grep -o 'ended at position .*' "$1" | head -1; }

# a0 = 5 in the first bump() (+4), then counter += 1010 at the first peek():
# counter ends 501514, the exit status (counter & 0x7f) | 1 = 11.
gdb_start rec -record "$tmp/rec.log"
gdbrun rec "$port_rec" 'break bump' 'continue' 'set $a0 = 5' 'delete' 'break peek' 'continue' \
    'set var counter = counter + 1010' "monitor save_devices_state $tmp/dev.state" \
    "monitor load_devices_state $tmp/dev.state" 'delete' 'continue'
wait "$pid_rec"; st_rec=$?
check_that "the recorded run took gdb's two writes (exit status 11)" \
    "[ $st_rec = 11 ] && has rec.gdb 'exited with code 013'" "status $st_rec: $(tail -3 rec.gdb)"
rec_end=$(ended rec.err)

"$AMBER" "${base[@]}" -replay "$tmp/rec.log" >play.out 2>play.err </dev/null; st=$?
check_that "load_devices_state is refused while recording (the log cannot carry it)" \
    "has rec.gdb 'load_devices_state: refused while recording'" "$(grep -i state rec.gdb)"
check_that "the replay without gdb makes them again (exit status 11)" "[ $st = 11 ]" \
    "status $st: $(cat play.err)"
check_that "and ends at the recorded position with the same state checksum" \
    "[ -n \"$rec_end\" ] && [ \"$(ended play.err)\" = \"$rec_end\" ]" \
    "recorded: $rec_end; replayed: $(ended play.err)"

gdb_start play2 -replay "$tmp/rec.log"
gdbrun play2 "$port_play2" 'break peek' 'continue' 'set var counter = 1' 'set $a0 = 3' \
    'p counter' 'delete' 'continue'
wait "$pid_play2"; st=$?
check_that "under a replay gdb's writes are refused, with the reason" \
    "has play2.gdb 'replaying a recording: the log drives the machine'" "$(cat play2.gdb)"
check_that "and the replay ends as recorded (status 11, same position and checksum)" \
    "[ $st = 11 ] && [ \"$(ended play2.err)\" = \"$rec_end\" ]" \
    "status $st: $(ended play2.err)"

# Reverse: counter = 7 at the first touch() (i = 10), then forward to the
# bump() of i = 12 and reverse-continue to that of i = 11: counter is 7
# there (before the write the guest had 55).
gdb_start rev -reverse on
gdbrun rev "$port_rev" 'break touch' 'continue' 'set var counter = 7' 'delete' 'break bump' \
    'continue' 'continue' 'p i' 'reverse-continue' 'p i' 'p counter' 'kill'
vals=$(sed -n 's/^\$[0-9]* = //p' rev.gdb | tr '\n' ' ')
check_that "reverse-continue back past a write shows the written value (i 12, i 11, counter 7)" \
    "[ \"$vals\" = '12 11 7 ' ]" "values: $vals; $(tail -5 rev.gdb)"
finish
