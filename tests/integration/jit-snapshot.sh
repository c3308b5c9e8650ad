#!/bin/bash
# Saved state does not depend on the back end: a snapshot taken while the
# JIT runs loads under the interpreter and the other way round, at several
# save points, and a migration stream from a JIT run continues under the
# interpreter (and back). The snapshot guest (CPU, RAM, timer, virtio disk)
# must print after the restore exactly what an uninterrupted run prints and
# reach the same instruction count at tick 30.
. "$(dirname "$0")/lib.sh"
ELF=$guests/snapshot/snap-guest.elf
export TZ=UTC
need_elf "$ELF"
need_amber
lib_tmpdir
cd "$tmp" || exit 1

args=(-icount sleep=off -bios none -kernel "$ELF" -m 32M -rtc base=2020-01-01)
run() {   # run NAME JIT IMAGE [extra args...] < batch: $NAME.mon, $NAME.serial
    local name=$1 jit=$2 img=$3; shift 3
    timeout 120 "$AMBER" -accel "tcg,jit=$jit" "${args[@]}" -drive "file=$img,format=qcow2" \
        -serial "file:$name.serial" -monitor stdio "$@" >"$name.mon" 2>"$name.err"
}
instructions() { grep '^instructions' "$1" | tail -1 | awk '{print $2}'; }

"$IMG" create -f qcow2 ref.qcow2 16M >/dev/null
run ref on ref.qcow2 <<'CMDS'
expect "tick 30 "
stop
info jit
CMDS
check $? "reference run (JIT)"
ref=$(instructions ref.mon)

for pair in on:off off:on; do
    save=${pair%:*} load=${pair#*:}
    for tick in 4 11 17; do
        tag=$save-$load-$tick
        "$IMG" create -f qcow2 "$tag.qcow2" 16M >/dev/null
        run "pre-$tag" "$save" "$tag.qcow2" <<CMDS
expect "tick $tick "
stop
savevm s1
CMDS
        run "post-$tag" "$load" "$tag.qcow2" -loadvm s1 <<'CMDS'
expect "tick 30 "
stop
info jit
CMDS
        b=$(instructions "post-$tag.mon")
        cat "pre-$tag.serial" "post-$tag.serial" | cmp -s - ref.serial && [ -n "$b" ] && [ "$ref" = "$b" ]
        check $? "savevm at tick $tick with jit=$save, loadvm with jit=$load: same output, $b instructions at tick 30 (reference $ref)"
    done
    tag=mig-$save-$load
    "$IMG" create -f qcow2 "$tag.qcow2" 16M >/dev/null
    # Stopped first: live, a guest running flat out on the JIT reaches its
    # last tick (40) before the migration converges on a loaded host, and
    # the source's shutdown cancels it. The state moves as it stands; the
    # destination's cont starts it once loaded.
    run "src-$tag" "$save" "$tag.qcow2" <<CMDS
expect "tick 8 "
stop
migrate "exec:cat > $tmp/$tag.mig"
quit
CMDS
    run "dst-$tag" "$load" "$tag.qcow2" -incoming "exec:cat $tmp/$tag.mig" <<'CMDS'
cont
expect "tick 30 "
stop
info jit
CMDS
    b=$(instructions "dst-$tag.mon")
    cat "src-$tag.serial" "dst-$tag.serial" | cmp -s - ref.serial && [ -n "$b" ] && [ "$ref" = "$b" ]
    check $? "migration from jit=$save to jit=$load: same output, $b instructions at tick 30 (reference $ref)"
done
finish
