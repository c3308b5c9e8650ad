#!/bin/bash
# virtio-net with the user back end (libslirp) on the real userland: the
# full kernel boots the BusyBox/glibc root disk with `-nic user`, and rcS
# brings eth0 up by DHCP before the prompt.
#  - the guest has 10.0.2.15/24, the default route via 10.0.2.2 and DNS
#    10.0.2.3 (QEMU's defaults);
#  - wget fetches a 4 MiB file from a host `python3 -m http.server` bound to
#    127.0.0.1 through 10.0.2.2; the sha256 is the host's;
#  - host clients reach the guest's httpd and `nc -l` through hostfwd (a
#    hostfwd without address listens on 127.0.0.1 only); hostfwd_add and
#    hostfwd_remove open and close a port on the running machine;
#  - set_link off: the guest's eth0 loses its carrier; on: it comes back;
#    info network shows the NIC, its back end and the link;
#  - restrict=on: the guest cannot reach the host's server, hostfwd still
#    reaches the guest;
#  - without outside traffic a run is deterministic: two boots with -nic
#    user (DHCP included) print the same console, kernel timestamps and all,
#    up to the prompt;
#  - bad -netdev/-nic/-device options and a taken port: a clear message and
#    exit status 1 before any guest runs.
# Skipped, saying why, when the kernel or root disk cannot be built here.
set -u
. "$(dirname "$0")/lib.sh"
need_amber
[ -x "$IMG" ] || { fail "$IMG not built"; finish; }
lib_tmpdir

# ---- options refused before the guest starts (no kernel needed) ----
bad() {   # bad EXPECTED-MESSAGE ARGS...
    local want=$1; shift
    local out rc
    out=$(timeout 20 "$AMBER" -bios none -nographic "$@" </dev/null 2>&1); rc=$?
    if [ $rc = 1 ] && grep -qF -- "$want" <<<"$out"; then pass "refused: $* -> $want"
    else fail "refused: $*" "exit $rc, wanted '$want'" "got: $(head -n 2 <<<"$out" | tr '\n' ' ')"; fi
}
bad "-netdev user: Parameter 'id' is missing" -netdev user
bad "Invalid parameter 'bogus'" -netdev user,id=n0,bogus=1
bad "Parameter 'type' expects a netdev backend type" -netdev tap,id=n0
bad "Invalid netmask provided (must be in range 8-30)" -netdev user,id=n0,net=10.0.2.0/31
bad "Invalid IPv4 network '10.0.2.x'" -netdev user,id=n0,net=10.0.2.x
bad "host address is not a host of the network 10.0.2.0" -netdev user,id=n0,host=10.9.9.9
bad "DNS address is not a host of the network 10.0.2.0" -netdev user,id=n0,dns=10.0.2.255
bad "host, DNS and DHCP start addresses must differ" -netdev user,id=n0,dns=10.0.2.2
bad "Parameter 'restrict' expects 'on' or 'off'" -netdev user,id=n0,restrict=maybe
bad "(Bad host port)" -netdev user,id=n0,hostfwd=tcp::70000-:22
bad "(Bad protocol name)" -netdev user,id=n0,hostfwd=sctp::2222-:22
bad "(Missing - separator)" -netdev user,id=n0,hostfwd=tcp::2222
bad "(Bad guest port)" -netdev user,id=n0,hostfwd=tcp::2222-:0
bad "(Bad host address)" -netdev user,id=n0,hostfwd=tcp:1.2.3:2222-:22
bad "Duplicate ID 'n0' for netdev" -netdev user,id=n0 -netdev user,id=n0
bad "Property 'virtio-net-device.netdev' can't find value 'n9'" -netdev user,id=n0 -device virtio-net-device,netdev=n9
bad "Property 'virtio-net-device.netdev' can't take value 'n0', it's in use" -netdev user,id=n0 -device virtio-net-device,netdev=n0 -device virtio-net-device,netdev=n0
bad "Property 'virtio-net-device.mac' doesn't take value '52:54:00:12:34'" -netdev user,id=n0 -device virtio-net-device,netdev=n0,mac=52:54:00:12:34
bad "mac 01:00:00:00:00:01 is a multicast address" -netdev user,id=n0 -device virtio-net-device,netdev=n0,mac=01:00:00:00:00:01
bad "model 'e1000' is not supported" -nic user,model=e1000
bad "'virtio-net-pci' is not a valid device model name (Amber's virt board has no PCI" -netdev user,id=n0 -device virtio-net-pci,netdev=n0
taken=$(free_port)
$PY -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$taken)); s.listen(); time.sleep(30)" &
holder=$!
lib_pids+=("$holder")
sleep 0.5
bad "could not set up host forwarding rule for tcp 127.0.0.1:$taken: Address already in use" -nic "user,hostfwd=tcp::$taken-:22"
kill $holder 2>/dev/null

# ---- the guest ----
. "$(dirname "$0")/userland-lib.inc"
userland_need_guest
. "$(dirname "$0")/net-lib.inc"

p_nc=$(free_port); p_http=$(free_port); p_srv=$(free_port)
mkdir -p "$tmp/www"
head -c 4194304 /dev/urandom >"$tmp/www/file.bin"
want=$(sha256sum "$tmp/www/file.bin" | cut -d' ' -f1)
(cd "$tmp/www" && exec $PY -m http.server "$p_srv" --bind 127.0.0.1 >/dev/null 2>&1) &
lib_pids+=("$!")

t0=$SECONDS
guest_start g -nic "user,hostfwd=tcp::$p_nc-:8080,hostfwd=tcp::$p_http-:80"
guest_wait g 1 '^# '; check $? "boot to the root shell with -nic user ($((SECONDS - t0)) s)"
grep -q '^rcS: eth0 10.0.2.15/24' <(tr -d '\r' <"$tmp/g.out")
check $? "rcS: udhcpc gave eth0 10.0.2.15/24 before the prompt"
guest_ask g 1 "ip route; cat /etc/resolv.conf"
grep -q '^default via 10.0.2.2 dev eth0' <<<"$(guest_answer g 1)"; check $? "default route via 10.0.2.2"
grep -q '^nameserver 10.0.2.3' <<<"$(guest_answer g 1)"; check $? "DNS 10.0.2.3 in /etc/resolv.conf"

t0=$SECONDS
guest_ask g 2 "wget -q -O- http://10.0.2.2:$p_srv/file.bin | sha256sum"
got=$(guest_answer g 2 | cut -d' ' -f1)
[ "$got" = "$want" ]; check $? "wget of 4 MiB from the host's http.server: sha256 matches ($((SECONDS - t0)) s)"

guest_ask g 3 "mkdir -p /tmp/www && echo hello-from-the-guest >/tmp/www/index.html && httpd -p 80 -h /tmp/www && echo started"
body=$($PY "$here/net-client.py" get "$p_http" /index.html)
[ "$body" = hello-from-the-guest ]; check $? "host -> hostfwd 127.0.0.1:$p_http -> guest httpd: '$body'"

head -c 1048576 /dev/urandom >"$tmp/up.bin"
up=$(sha256sum "$tmp/up.bin" | cut -d' ' -f1)
guest_type g "nc -l -p 8080 </dev/null >/tmp/up.bin &"
sleep 1
$PY "$here/net-client.py" send "$p_nc" "$tmp/up.bin"; check $? "host sends 1 MiB through hostfwd to the guest's nc -l"
guest_ask g 4 "wait; sha256sum /tmp/up.bin"
[ "$(guest_answer g 4 | cut -d' ' -f1)" = "$up" ]; check $? "the guest's copy has the host's sha256"

# a hostfwd rule without address does not listen on other addresses
ext=$(hostname -I 2>/dev/null | awk '{ print $1 }')
if [ -n "$ext" ] && [ "$ext" != 127.0.0.1 ]; then
    ! $PY -c "import socket; socket.create_connection(('$ext', $p_http), timeout=3)" 2>/dev/null
    check $? "hostfwd without address: nothing listens on $ext:$p_http"
else
    skip "hostfwd binds 127.0.0.1 only" "the host has no other IPv4 address"
fi

p_add=$(free_port)
out=$(hmp g "hostfwd_add tcp::$p_add-:8081" "hostfwd_add n9 tcp::$p_add-:8081" "hostfwd_add tcp::x-:1")
grep -q "unknown netdev 'n9'" <<<"$out" && grep -q "Invalid host forwarding rule 'tcp::x-:1' (Bad host port)" <<<"$out"
check $? "hostfwd_add: errors for an unknown netdev and a bad rule"
guest_type g "echo added | nc -l -p 8081 >/dev/null &"
sleep 1
got=$($PY -c "
import socket,time
for i in range(40):
    try:
        s=socket.create_connection(('127.0.0.1',$p_add),timeout=10); d=s.recv(100)
        if d: print(d.decode().strip()); break
    except OSError: pass
    time.sleep(0.5)")
[ "$got" = added ]; check $? "hostfwd_add: a new port reaches the guest ('$got')"
out=$(hmp g "hostfwd_remove tcp::$p_add" "hostfwd_remove tcp::$p_add")
grep -q "host forwarding rule for tcp::$p_add removed" <<<"$out" &&
    grep -q "host forwarding rule for tcp::$p_add not found" <<<"$out"
check $? "hostfwd_remove: removed, then not found"
$PY "$here/net-client.py" refused "$p_add"; check $? "hostfwd_remove: the port is closed"

out=$(hmp g "info network")
grep -q '^virtio-net-device.0: index=0,type=nic,model=virtio-net-device,macaddr=52:54:00:12:34:56$' <<<"$out" &&
    grep -q '^ \\ __org.qemu.nic0: index=0,type=user,net=10.0.2.0,restrict=off$' <<<"$out"
check $? "info network: the NIC and its user back end" "$(tr '\n' '|' <<<"$out")"
hmp g "set_link __org.qemu.nic0 off" >/dev/null
out=$(hmp g "info network" "set_link nosuch on")
grep -q 'link=down' <<<"$out"; check $? "info network shows link=down"
grep -q "Device 'nosuch' not found" <<<"$out"; check $? "set_link: unknown name refused"
guest_ask g 5 "sleep 1; cat /sys/class/net/eth0/carrier; ip link show eth0 | head -n 1"
a5=$(guest_answer g 5)
[ "$(head -n 1 <<<"$a5")" = 0 ] && grep -q 'NO-CARRIER' <<<"$a5"
check $? "set_link off: the guest sees carrier 0 (NO-CARRIER)" "$(tr '\n' '|' <<<"$a5")"
hmp g "set_link virtio-net-device.0 on" >/dev/null
guest_ask g 6 "sleep 1; cat /sys/class/net/eth0/carrier"
[ "$(guest_answer g 6)" = 1 ]; check $? "set_link on (by the NIC's name): carrier 1 again"
guest_ask g 7 "wget -q -O- http://10.0.2.2:$p_srv/file.bin | sha256sum"
[ "$(guest_answer g 7 | cut -d' ' -f1)" = "$want" ]; check $? "the network works again after the link came back"
tr -d '\r' <"$tmp/g.out" | grep -Eq 'Oops|BUG:|WARNING:|Kernel panic|virtio_net.*(error|fail)'
[ $? != 0 ]; check $? "no oops, warning or virtio_net error in the guest's log"
guest_type g poweroff
wait "$pid_g"; check $? "poweroff: exit status 0"

# ---- restrict=on ----
p_r=$(free_port)
guest_start r -nic "user,restrict=on,hostfwd=tcp::$p_r-:80"
guest_wait r 1 '^# '; check $? "boot with restrict=on"
guest_ask r 1 "wget -q -T 5 -O- http://10.0.2.2:$p_srv/file.bin 2>/dev/null | wc -c"
[ "$(guest_answer r 1)" = 0 ]; check $? "restrict=on: the host's server is out of reach" "$(guest_answer r 1 | tr '\n' '|')"
guest_ask r 2 "mkdir -p /tmp/w && echo restricted-ok >/tmp/w/index.html && httpd -p 80 -h /tmp/w"
body=$($PY "$here/net-client.py" get "$p_r" /index.html)
[ "$body" = restricted-ok ]; check $? "restrict=on: hostfwd still reaches the guest's httpd"
guest_type r poweroff
wait "$pid_r"

# ---- determinism: the guest's own traffic only (DHCP, ARP) ----
for k in d1 d2; do
    guest_start $k -icount shift=3,sleep=off -rtc base=2026-01-01 -nic user
    guest_wait $k 1 '^# '
    guest_type $k poweroff
    eval "wait \$pid_$k"
done
upto() { tr -d '\r' <"$tmp/$1.out" | sed -n '1,/^# /p'; }
if [ "$(upto d1 | grep -c 'rcS: eth0 10.0.2.15/24')" = 1 ] && [ "$(upto d1)" = "$(upto d2)" ]; then
    pass "two runs with -nic user print the same $(upto d1 | wc -l) console lines up to the prompt (kernel timestamps included)"
else
    fail "two runs with -nic user differ before the prompt" "$(diff <(upto d1) <(upto d2) | head -n 4 | tr '\n' '|')"
fi
finish
