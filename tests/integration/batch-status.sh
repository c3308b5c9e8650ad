#!/bin/bash
# The exit status of a batch run (doc/monitor.md, "Batch runs and the exit
# status"): a guest that asked to exit decides it, even right after the
# batch's last line or after failed commands; otherwise 1 when a command
# failed (unless errexit ignore), else 0. Each case runs twice: a result that
# depended on which of end-of-input and the guest's exit won a race would
# show here as a flaky status.
. "$(dirname "$0")/lib.sh"
g=$guests
hello42=$g/hello/hello42.elf demo=$g/demo/demo.elf
if [ ! -f "$hello42" ] || [ ! -f "$demo" ]; then
    skip_all "guest ELFs not built (no RISC-V cross compiler?)"
fi

case_() {
    local name=$1 want=$2 elf=$3
    shift 3
    local i rc out
    for i in 1 2; do
        out=$(printf '%s\n' "$@" | timeout 60 "$AMBER" -M virt -bios none -kernel "$elf" \
              -icount shift=3,sleep=off -S -monitor stdio 2>&1)
        rc=$?
        if [ "$rc" != "$want" ]; then
            echo "FAIL $name (run $i): exit status $rc, want $want"
            echo "$out" | tail -n 8
            failed=$((failed + 1))
            return
        fi
    done
    echo "PASS $name: $want"
    passed=$((passed + 1))
}

# The three cases of issue 12.
case_ "errexit ignore, then the guest exits 42" 42 "$hello42" \
    'errexit ignore' 'nosuch' 'cont' 'expect "code 42"'
case_ "input ends right after the guest's last words (exit 42)" 42 "$hello42" \
    'cont' 'expect "code 42"'
case_ "a failed command, then the guest exits 0" 0 "$demo" \
    'nosuch' 'expect -v "demo guest" 5' 'type "q"' 'expect "bye after"'
# errexit on: the guest's exit still wins over the failure it causes.
case_ "errexit on, expect cancelled by the guest's exit 42" 42 "$hello42" \
    'errexit on' 'cont' 'expect -v "never printed" 5' 'p 1'
# quit does not wait: the guest had not reached its exit yet.
case_ "quit right after the guest's last words" 0 "$hello42" \
    'cont' 'expect "code 42"' 'quit'
# No guest exit: the batch's own status.
case_ "all commands succeed, guest running at the end" 0 "$demo" \
    'expect -v "tick +2" 5' 'info status'
case_ "a failed command, guest running at the end" 1 "$demo" \
    'nosuch' 'expect -v "tick +2" 5'
case_ "a failed command, guest paused at the end" 1 "$demo" 'x/3q 0' 'p 1'
case_ "errexit ignore, a failed command, guest running" 0 "$demo" \
    'errexit ignore' 'nosuch' 'expect -v "tick +2" 5'
case_ "errexit on stops at the first failure" 1 "$demo" \
    'errexit on' 'cont' 'nosuch' 'type "q"' 'expect "bye after"'
case_ "quit after a failure" 1 "$demo" 'nosuch' 'quit' 'type "q"' 'cont'
case_ "expect timing out fails the batch" 1 "$demo" 'expect -v "never printed" 1'
# A paused guest gets no grace: the end of input quits at once.
case_ "end of input with the machine paused" 0 "$hello42" 'p 1'

finish
