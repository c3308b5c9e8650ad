#!/bin/bash
# QEMU habits (issue 12): -name, -pidfile, -daemonize, -no-shutdown,
# -chardev with -mon and -serial chardev:ID, tcp: and telnet: sockets,
# -nodefaults, -bios default, -hda, -device virtio-blk-device,drive=ID;
# each with its error cases (one clear line, exit 1, never a crash).
. "$(dirname "$0")/lib.sh"
HELLO=$guests/hello/hello.elf
HELLO42=$guests/hello/hello42.elf
VBLK=$guests/virtio/virtio-blk.elf
CLIENT="$PY $here/chardev-client.py"
need_elf "$HELLO" "$HELLO42" "$VBLK"
lib_tmpdir /tmp/amber-qopts.XXXXXX
pids=
at_exit 'for p in $pids; do kill $p 2>/dev/null; done'
cd "$tmp" || exit 1
BASE=(-M virt -bios none)

# err_is NAME MESSAGE ARGS...: amber exits 1, the last stderr line is exactly
# "amber: MESSAGE" and any other is a warning (-hda's image format probe)
err_is() {
    local name=$1 msg=$2; shift 2
    timeout 20 "$AMBER" "$@" </dev/null >out.txt 2>err.txt
    local st=$?
    if [ $st = 1 ] && [ "$(tail -1 err.txt)" = "amber: $msg" ] &&
        [ "$(grep -vc '^amber: warning: ' err.txt)" = 1 ]; then
        pass "$name"
    else
        fail "$name (status $st)"; echo "     expected: amber: $msg"; echo "     got:      $(cat err.txt)"
    fi
}

# ---- -name ----
printf 'info name\nquit\n' | timeout 20 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -S -monitor stdio \
    -name myvm >out.txt 2>&1
grep -q '^VM name: myvm$' out.txt && grep -A1 -x '(amber) info name' out.txt | grep -qx myvm
check $? "-name: in the monitor banner and in info name"
printf 'info name\nquit\n' | timeout 20 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -S -monitor stdio \
    -name guest=vm2,process=amber-vm2,debug-threads=on >out.txt 2>&1
grep -A1 -x '(amber) info name' out.txt | grep -qx vm2
check $? "-name guest=NAME,process=...,debug-threads=on"
printf 'info name\nquit\n' | timeout 20 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -S -monitor stdio >out.txt 2>&1
[ "$(grep -A1 -x '(amber) info name' out.txt | tail -1)" = "(amber) quit" ] && ! grep -q 'VM name' out.txt
check $? "without -name: info name prints nothing (as QEMU), no banner line"
err_is "-name with an unknown parameter" "-name vm,colour=red: Invalid parameter 'colour=red'" \
    "${BASE[@]}" -kernel "$HELLO" -name vm,colour=red

# ---- -pidfile ----
"$AMBER" "${BASE[@]}" -kernel "$HELLO" -S -serial null -pidfile amber.pid \
    -monitor unix:m.sock,server,nowait 2>err1.txt &
p1=$!; pids="$pids $p1"
for _ in $(seq 400); do [ -s amber.pid ] && [ -S m.sock ] && break; sleep 0.05; done
[ "$(cat amber.pid 2>/dev/null)" = "$p1" ]
check $? "-pidfile: holds the process id while it runs"
timeout 20 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -S -serial null -pidfile amber.pid </dev/null >/dev/null 2>err.txt
st=$?
[ $st = 1 ] && grep -qx "amber: cannot create PID file: Cannot lock pid file: Resource temporarily unavailable" err.txt &&
    [ "$(cat amber.pid)" = "$p1" ]
check $? "-pidfile: a second instance on the same file is refused (locked, QEMU's message), file kept"
$CLIENT unix:m.sock monitor quit >/dev/null
wait $p1
[ ! -e amber.pid ]
check $? "-pidfile: removed at exit"
err_is "-pidfile in a missing directory" \
    "cannot create PID file: Could not open 'nodir/a.pid': No such file or directory" \
    "${BASE[@]}" -kernel "$HELLO" -pidfile nodir/a.pid

# ---- -daemonize ----
start=$SECONDS
timeout 20 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -S -daemonize -pidfile d.pid \
    -monitor unix:d.sock,server,nowait </dev/null >dout.txt 2>derr.txt
st=$?
dpid=$(cat d.pid 2>/dev/null)
[ $st = 0 ] && [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null && [ -S d.sock ] && [ ! -s dout.txt ] &&
    [ "$(ps -o sid= -p "$dpid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ]
check $? "-daemonize: the parent exits 0 once the monitor listens; the daemon runs in its own session"
[ -n "$dpid" ] && pids="$pids $dpid"
out=$($CLIENT unix:d.sock monitor "info status" quit)
for _ in $(seq 400); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.05; done
[[ $out == *"paused (prelaunch)"* ]] && ! kill -0 "$dpid" 2>/dev/null && [ ! -e d.pid ]
check $? "-daemonize: the daemon's monitor works; quit ends it and removes its pidfile"
timeout 20 "$AMBER" "${BASE[@]}" -kernel nosuch.elf -daemonize -monitor none </dev/null >/dev/null 2>err.txt
st=$?
[ $st = 1 ] && grep -q 'nosuch.elf' err.txt
check $? "-daemonize: a failing start is reported on the terminal and the parent exits 1"
err_is "-daemonize with -nographic" "-nographic cannot be used with -daemonize" \
    "${BASE[@]}" -kernel "$HELLO" -daemonize -nographic
err_is "-daemonize with -monitor stdio" "cannot use stdio with -daemonize" \
    "${BASE[@]}" -kernel "$HELLO" -daemonize -monitor stdio
err_is "-daemonize with -serial stdio" "cannot use stdio with -daemonize" \
    "${BASE[@]}" -kernel "$HELLO" -daemonize -serial stdio
err_is "-daemonize with a stdio chardev" "cannot use stdio with -daemonize" \
    "${BASE[@]}" -kernel "$HELLO" -daemonize -chardev stdio,id=c -serial chardev:c

# ---- -no-shutdown ----
timeout 60 "$AMBER" "${BASE[@]}" -kernel "$HELLO42" -no-shutdown -serial file:ns.txt \
    -monitor unix:ns.sock,server,nowait 2>/dev/null &
p2=$!; pids="$pids $p2"
st_out=
for _ in $(seq 400); do
    st_out=$($CLIENT unix:ns.sock monitor "info status" 2>/dev/null)
    [[ $st_out == *shutdown* ]] && break
    sleep 0.05
done
[[ $st_out == *"VM status: paused (shutdown)"* ]] && kill -0 $p2 2>/dev/null
check $? "-no-shutdown: the guest's power-off stops the machine in 'shutdown', amber runs on"
out=$($CLIENT unix:ns.sock monitor cont "info status" system_reset "info status")
[[ $out == *"Error: Resetting the Virtual Machine is required"* ]] &&
    [[ $out == *"VM status: paused (shutdown)"* ]] && [[ $out == *"VM status: paused (prelaunch)"* ]]
check $? "-no-shutdown: cont needs a reset first; system_reset leaves it in prelaunch (as QEMU)"
$CLIENT unix:ns.sock monitor cont >/dev/null
for _ in $(seq 400); do [ "$(grep -c Hello ns.txt)" -ge 2 ] && break; sleep 0.05; done
for _ in $(seq 400); do
    st_out=$($CLIENT unix:ns.sock monitor "info status" 2>/dev/null)
    [[ $st_out == *shutdown* ]] && break
    sleep 0.05
done
[ "$(grep -c Hello ns.txt)" = 2 ] && [[ $st_out == *"(shutdown)"* ]]
check $? "-no-shutdown: after system_reset and cont the guest runs again and stops again"
$CLIENT unix:ns.sock monitor quit >/dev/null
wait $p2
check $(( $? != 42 )) "-no-shutdown: quit exits with the guest's code (42), as QEMU"
timeout 20 "$AMBER" "${BASE[@]}" -kernel "$HELLO42" -serial null </dev/null >/dev/null 2>&1
check $(( $? != 42 )) "without -no-shutdown the guest's exit ends amber with its code"

# ---- -chardev with -mon and -serial chardev:ID ----
timeout 20 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -chardev stdio,id=con -serial chardev:con \
    </dev/null >out.txt 2>err.txt
check $(( $? != 0 || $(tr -d '\r' <out.txt | grep -c '^Hello') != 1 )) "-chardev stdio + -serial chardev:ID"
timeout 20 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -chardev file,id=f,path=ser.txt -serial chardev:f \
    </dev/null >out.txt 2>err.txt
st=$?
[ $st = 0 ] && grep -q Hello ser.txt && [ ! -s out.txt ]
check $? "-chardev file,path= + -serial chardev:ID"
timeout 20 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -chardev null,id=n -serial chardev:n \
    </dev/null >out.txt 2>err.txt
check $(( $? != 0 || $(wc -c <out.txt) != 0 )) "-chardev null + -serial chardev:ID: no output"
printf 'info status\nquit\n' | timeout 20 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -S -serial null \
    -chardev stdio,id=mon0 -mon chardev=mon0,mode=readline >out.txt 2>&1
grep -q 'VM status: paused (prelaunch)' out.txt
check $? "-chardev stdio + -mon chardev=ID,mode=readline"
# The mux starts on the serial side, as QEMU's: Ctrl-A c to the monitor.
printf '\001cinfo status\n' | timeout 20 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -S \
    -chardev stdio,id=c,mux=on,signal=off -serial chardev:c -mon chardev=c >out.txt 2>&1
grep -q 'VM status: paused (prelaunch)' out.txt
check $? "-chardev stdio,mux=on shared by -serial and -mon (mon:stdio)"
timeout 30 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -S -serial null \
    -chardev socket,id=u,path=u.sock,server=on,wait=off -mon chardev=u 2>/dev/null &
p3=$!; pids="$pids $p3"
out=$($CLIENT unix:u.sock monitor "info status" quit)
wait $p3
[[ $out == *"paused (prelaunch)"* ]]
check $? "-chardev socket,path=,server=on,wait=off + -mon"
port=$(free_port)
timeout 30 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -S -serial null \
    -chardev socket,id=t,host=127.0.0.1,port=$port,server=on,wait=off,telnet=on -mon chardev=t 2>/dev/null &
p4=$!; pids="$pids $p4"
$CLIENT tcp:127.0.0.1:$port monitor --telnet "info status" >tn.txt
$CLIENT tcp:127.0.0.1:$port monitor quit >/dev/null
wait $p4
head -1 tn.txt | grep -qx 'negotiation: fffb01fffb03'
check $? "telnet monitor: IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD on connect"
[ "$(sed -n 2,3p tn.txt)" = "$(printf 'info status\r\nVM status: paused (prelaunch)\r')" ]
check $? "telnet monitor: IAC sequences stripped, the line echoed, CR LF output"
port=$(free_port)
timeout 30 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -S -serial null \
    -monitor tcp:127.0.0.1:$port,server,nowait 2>/dev/null &
p5=$!; pids="$pids $p5"
out=$($CLIENT tcp:127.0.0.1:$port monitor "info status" quit)
wait $p5
[[ $out == *"paused (prelaunch)"* ]]
check $? "-monitor tcp:HOST:PORT,server,nowait"

# ---- -serial tcp: and telnet: ----
port=$(free_port)
timeout 30 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -serial tcp:127.0.0.1:$port,server 2>/dev/null &
p6=$!; pids="$pids $p6"
out=$($CLIENT tcp:127.0.0.1:$port read Hello)
wait $p6
st=$?
[ $st = 0 ] && [[ $out == *Hello* ]]
check $? "-serial tcp:HOST:PORT,server: waits for the client, then the guest's output reaches it"
port=$(free_port)
timeout 30 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -serial telnet:127.0.0.1:$port,server 2>/dev/null &
p7=$!; pids="$pids $p7"
out=$($CLIENT tcp:127.0.0.1:$port read --telnet Hello)
wait $p7
[[ $out == "negotiation: fffb01fffb03"* ]] && [[ $out == *Hello* ]]
check $? "-serial telnet:HOST:PORT,server: negotiation, then the guest's output"
port=$(free_port)
timeout 30 "$AMBER" "${BASE[@]}" -kernel "$HELLO" \
    -chardev socket,id=s,host=127.0.0.1,port=$port,server=on -serial chardev:s 2>/dev/null &
p8=$!; pids="$pids $p8"
out=$($CLIENT tcp:127.0.0.1:$port read Hello)
wait $p8
[[ $out == *Hello* ]]
check $? "-chardev socket,host=,port=,server=on + -serial chardev:ID"

# ---- chardev errors ----
err_is "-chardev: unknown backend" "-chardev foo,id=x: 'foo' is not a valid char driver name" \
    "${BASE[@]}" -kernel "$HELLO" -chardev foo,id=x
err_is "-chardev: missing id" "-chardev stdio: Parameter 'id' is missing" \
    "${BASE[@]}" -kernel "$HELLO" -chardev stdio
err_is "-chardev: duplicate id" "-chardev null,id=a: Duplicate ID 'a' for chardev" \
    "${BASE[@]}" -kernel "$HELLO" -chardev null,id=a -chardev null,id=a
err_is "-chardev: unknown parameter" "-chardev null,id=a,colour=red: Invalid parameter 'colour'" \
    "${BASE[@]}" -kernel "$HELLO" -chardev null,id=a,colour=red
err_is "-chardev: bad boolean" \
    "-chardev socket,id=s,path=x.sock,server=maybe: Parameter 'server' expects 'on' or 'off'" \
    "${BASE[@]}" -kernel "$HELLO" -chardev socket,id=s,path=x.sock,server=maybe
err_is "-chardev socket: client mode" \
    "-chardev socket,id=s,path=x.sock: socket client mode (server=off) is not supported by Amber; add server=on" \
    "${BASE[@]}" -kernel "$HELLO" -chardev socket,id=s,path=x.sock
err_is "-chardev socket: no address" "-chardev socket,id=s,server=on: chardev: socket: no host given" \
    "${BASE[@]}" -kernel "$HELLO" -chardev socket,id=s,server=on
err_is "-chardev file: no path" "-chardev file,id=f: chardev: file: no filename given" \
    "${BASE[@]}" -kernel "$HELLO" -chardev file,id=f
err_is "-chardev pipe: not supported" \
    "-chardev pipe,id=p,path=x: chardev backend 'pipe' is not supported by Amber (use stdio, null, file or socket)" \
    "${BASE[@]}" -kernel "$HELLO" -chardev pipe,id=p,path=x
err_is "-serial chardev: unknown id" "-serial chardev:nope: chardev 'nope' not found" \
    "${BASE[@]}" -kernel "$HELLO" -serial chardev:nope
err_is "-mon: unknown id" "-mon chardev=nope: chardev 'nope' not found" \
    "${BASE[@]}" -kernel "$HELLO" -mon chardev=nope
err_is "-mon: no chardev" "-mon mode=readline: Parameter 'chardev' is missing" \
    "${BASE[@]}" -kernel "$HELLO" -mon mode=readline
err_is "-mon: QMP" "-mon chardev=c,mode=control: QMP (mode=control) is not supported by Amber; use mode=readline (the human monitor)" \
    "${BASE[@]}" -kernel "$HELLO" -chardev null,id=c -mon chardev=c,mode=control
err_is "-chardev shared without mux=on" \
    "-mon chardev=c: chardev 'c' is already in use (add mux=on to its -chardev to share it)" \
    "${BASE[@]}" -kernel "$HELLO" -chardev stdio,id=c -serial chardev:c -mon chardev=c
err_is "-chardev file: missing directory" "-serial file:nodir/s.txt: No such file or directory" \
    "${BASE[@]}" -kernel "$HELLO" -chardev file,id=f,path=nodir/s.txt -serial chardev:f
err_is "-serial tcp: bad port" "-serial tcp:127.0.0.1:99999,server: invalid port '99999'" \
    "${BASE[@]}" -kernel "$HELLO" -serial tcp:127.0.0.1:99999,server

# ---- -nodefaults ----
timeout 20 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -nodefaults -nographic </dev/null >out.txt 2>err.txt
check $(( $? != 0 || $(wc -c <out.txt) != 0 )) "-nodefaults -nographic: no serial, no monitor on stdio"
printf 'info chardev\nquit\n' | timeout 20 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -S -nodefaults \
    -monitor stdio >out.txt 2>&1
grep -q '^serial0: filename=none' out.txt
check $? "-nodefaults: the serial port has no back end (info chardev)"

# ---- -bios default, -hda, -device ----
timeout 20 "$AMBER" -M virt -bios default -kernel "$HELLO" </dev/null >/dev/null 2>err.txt
grep -q 'overlaps the -bios image' err.txt && ! grep -q "default" err.txt
check $? "-bios default: the default firmware is loaded (as without -bios)"
python3 -c "open('d.raw','wb').write(bytes((i * 31 + (i >> 9)) & 0xff for i in range(8 << 20)))"
cp d.raw hda.raw
timeout 30 "$AMBER" "${BASE[@]}" -nographic -kernel "$VBLK" -hda hda.raw </dev/null 2>err.txt |
    tr -d '\r' >out.txt
[ "$(head -1 out.txt)" = "virtio-blk: slot 7 capacity 16384 sectors" ] && grep -qx 'write: ok' out.txt
check $? "-hda FILE: a virtio disk in the first slot"
err_is "-hda twice" "-drive file=hda.raw,index=0,media=disk: drive with bus=0, unit=0 (index=0) exists" \
    "${BASE[@]}" -kernel "$VBLK" -hda hda.raw -hda hda.raw
err_is "-drive media=cdrom" "-drive file=d.raw,media=cdrom: unsupported media (only disk) 'cdrom'" \
    "${BASE[@]}" -kernel "$VBLK" -drive file=d.raw,media=cdrom
cp d.raw dev.raw
timeout 30 "$AMBER" "${BASE[@]}" -nographic -kernel "$VBLK" -drive file=dev.raw,format=raw,if=none,id=disk0 \
    -device virtio-blk-device,drive=disk0 </dev/null 2>err.txt | tr -d '\r' >out.txt
st=${PIPESTATUS[0]}
[ "$st" = 0 ] && [ "$(head -1 out.txt)" = "virtio-blk: slot 7 capacity 16384 sectors" ] &&
    grep -qx 'id: disk0' out.txt && grep -qx 'readback: ok' out.txt
check $? "-drive if=none,id=ID + -device virtio-blk-device,drive=ID: the guest's disk"
printf 'info block\nquit\n' | timeout 20 "$AMBER" "${BASE[@]}" -kernel "$VBLK" -S \
    -drive file=d.raw,format=raw,id=v0 -drive file=dev.raw,format=raw,if=none,id=n0 \
    -device virtio-blk-device,drive=n0,serial=s0 -monitor stdio >out.txt 2>&1
[ "$(grep -c 'Attached to' out.txt)" = 2 ] && grep -A1 '^n0:' out.txt | grep -q 'virtio-mmio@10007000'
check $? "-device after an if=virtio drive takes the next slot down (info block)"
err_is "-device: unknown model" "-device foo,drive=n0: 'foo' is not a valid device model name" \
    "${BASE[@]}" -kernel "$VBLK" -drive file=d.raw,if=none,id=n0 -device foo,drive=n0
err_is "-device: no drive" "-device virtio-blk-device: drive property not set" \
    "${BASE[@]}" -kernel "$VBLK" -drive file=d.raw,if=none,id=n0 -device virtio-blk-device
err_is "-device: unknown drive id" \
    "-device virtio-blk-device,drive=x: Property 'virtio-blk-device.drive' can't find value 'x'" \
    "${BASE[@]}" -kernel "$VBLK" -drive file=d.raw,if=none,id=n0 -device virtio-blk-device,drive=x
err_is "-device: drive used twice" \
    "-device virtio-blk-device,drive=n0: Property 'virtio-blk-device.drive' can't take value 'n0', it's in use" \
    "${BASE[@]}" -kernel "$VBLK" -drive file=d.raw,format=raw,if=none,id=n0 \
    -device virtio-blk-device,drive=n0 -device virtio-blk-device,drive=n0
err_is "-device: an if=virtio drive" \
    "-device virtio-blk-device,drive=v0: Drive 'v0' is already in use because it has been automatically connected to another device (did you need 'if=none' in the drive options?)" \
    "${BASE[@]}" -kernel "$VBLK" -drive file=d.raw,format=raw,id=v0 -device virtio-blk-device,drive=v0
err_is "-device: unknown property" \
    "-device virtio-blk-device,drive=n0,speed=9: Property 'virtio-blk-device.speed' not found" \
    "${BASE[@]}" -kernel "$VBLK" -drive file=d.raw,format=raw,if=none,id=n0 \
    -device virtio-blk-device,drive=n0,speed=9
timeout 20 "$AMBER" -device help </dev/null >out.txt 2>&1
check $(( $? != 0 )) "-device help" && grep -q virtio-blk-device out.txt

# ---- amber -h lists the new options ----
"$AMBER" -h >out.txt
miss=
for o in -name -pidfile -daemonize -no-shutdown -chardev -mon -nodefaults -hda -device "-bios FILE|default|none" telnet: -accel; do
    grep -q -- "$o" out.txt || miss="$miss $o"
done
[ -z "$miss" ]
check $? "amber -h describes every new option${miss:+ (missing:$miss)}"

# ---- -accel: the CPU back end (doc/cmdline.md) ----
err_is "-accel kvm refused" "-accel kvm: accelerator 'kvm' is not supported by Amber (only tcg)" \
    "${BASE[@]}" -kernel "$HELLO" -accel kvm
err_is "-accel tcg,jit=x refused" "-accel tcg,jit=x: Parameter 'jit' expects 'on' or 'off'" \
    "${BASE[@]}" -kernel "$HELLO" -accel tcg,jit=x
err_is "-accel tcg,thread=multi refused" "-accel tcg,thread=multi: Invalid parameter 'thread=multi'" \
    "${BASE[@]}" -kernel "$HELLO" -accel tcg,thread=multi
for jit in on off; do
    printf 'expect "exiting with code" 30\ninfo jit\n' |
        timeout 30 "$AMBER" "${BASE[@]}" -kernel "$HELLO" -accel "tcg,jit=$jit" -serial null \
        -monitor stdio >"accel-$jit.out" 2>&1
done
if [ "$(uname -m)" = x86_64 ]; then
    grep -q '^Back end  *x86-64 JIT' accel-on.out
else
    grep -q '^Back end  *interpreter' accel-on.out
fi
check $? "-accel tcg,jit=on: info jit names the JIT (x86-64) or the interpreter (other hosts)"
grep -q '^Back end  *interpreter' accel-off.out
check $? "-accel tcg,jit=off: info jit names the interpreter"
printf 'expect "exiting with code" 30\ninfo jit\n' | AMBER_JIT=off timeout 30 "$AMBER" \
    "${BASE[@]}" -kernel "$HELLO" -serial null -monitor stdio >accel-env.out 2>&1
grep -q '^Back end  *interpreter' accel-env.out
check $? "AMBER_JIT=off: the interpreter by default"

finish
