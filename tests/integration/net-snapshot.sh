#!/bin/bash
# savevm/loadvm with open connections through the user back end
# (doc/net.md, "Snapshots"):
#  - savevm does not disturb a host connection through hostfwd: bytes sent
#    before and after it arrive in the guest's nc -l;
#  - loadvm closes every connection of the user back end on the host (the
#    host peer sees its connection end), since the loaded guest does not
#    know them; the hostfwd port is bound again, and a new connection
#    reaches the loaded guest;
#  - the loaded guest keeps its DHCP address and reaches the host (wget).
set -u
. "$(dirname "$0")/lib.sh"
need_amber
[ -x "$IMG" ] || { fail "$IMG not built"; finish; }
. "$(dirname "$0")/userland-lib.inc"
userland_need_guest
lib_tmpdir
. "$(dirname "$0")/net-lib.inc"

p_fwd=$(free_port); p_srv=$(free_port)
mkdir -p "$tmp/www"
head -c 1048576 /dev/urandom >"$tmp/www/f.bin"
want=$(sha256sum "$tmp/www/f.bin" | cut -d' ' -f1)
(cd "$tmp/www" && exec $PY -m http.server "$p_srv" --bind 127.0.0.1 >/dev/null 2>&1) &
lib_pids+=("$!")

guest_start g -nic "user,hostfwd=tcp::$p_fwd-:8080"
guest_wait g 1 '^# '; check $? "boot to the shell with -nic user"
guest_type g "nc -l -p 8080 </dev/null >/tmp/got.txt &"
sleep 1
# The host peer: sends "before", waits for "go" on its stdin, sends "after",
# then reports how its connection ends.
mkfifo "$tmp/peer.in"
cat >"$tmp/peer.py" <<'PYEOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.sendall(b"before\n")
print("sent before", flush=True)
sys.stdin.readline()
s.sendall(b"after\n")
print("sent after", flush=True)
sys.stdin.readline()
s.settimeout(15)
try:
    d = s.recv(100)
    print("closed" if not d else "data %r" % d, flush=True)
except ConnectionResetError:
    print("closed (reset)", flush=True)
except socket.timeout:
    print("still open", flush=True)
PYEOF
$PY "$tmp/peer.py" "$p_fwd" <"$tmp/peer.in" >"$tmp/peer.log" 2>&1 &
peer=$!
lib_pids+=("$peer")
exec {pfd}>"$tmp/peer.in"
sleep 2
out=$(hmp g "savevm net1")
[ -z "$out" ]; check $? "savevm net1 with a connection open (output: '$out')"
echo go >&"$pfd"
sleep 2
guest_ask g 1 "cat /tmp/got.txt"
[ "$(guest_answer g 1 | tr '\n' ' ')" = "before after " ]
check $? "savevm leaves the connection alone: 'before' and 'after' both arrived" "$(guest_answer g 1 | tr '\n' '|')"
out=$(hmp g "loadvm net1")
[ -z "$out" ]; check $? "loadvm net1 (output: '$out')"
echo check >&"$pfd"
wait "$peer"
grep -q '^closed' "$tmp/peer.log"; check $? "loadvm closes the host side of the open connection ($(tail -n 1 "$tmp/peer.log"))"
guest_ask g 2 "ip -4 -o addr show eth0 | awk '{ print \$4 }'; wget -q -O- http://10.0.2.2:$p_srv/f.bin | sha256sum"
a=$(guest_answer g 2)
[ "$(head -n 1 <<<"$a")" = 10.0.2.15/24 ] && [ "$(sed -n 2p <<<"$a" | cut -d' ' -f1)" = "$want" ]
check $? "the loaded guest keeps 10.0.2.15 and reaches the host (wget, sha256 matches)" "$(tr '\n' '|' <<<"$a")"
guest_type g "kill %1 2>/dev/null; nc -l -p 8080 </dev/null >/tmp/new.txt &"
sleep 1
echo "new connection" >"$tmp/new.txt"
$PY "$here/net-client.py" send "$p_fwd" "$tmp/new.txt"
check $? "hostfwd 127.0.0.1:$p_fwd is bound again after loadvm"
guest_ask g 3 "wait; cat /tmp/new.txt"
[ "$(guest_answer g 3 | tail -n 1)" = "new connection" ]; check $? "a new connection reaches the loaded guest"
guest_type g poweroff
wait "$pid_g"; check $? "poweroff: exit status 0"
finish
