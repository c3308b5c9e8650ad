#!/bin/bash
# Builds Amber's guest root disk: BusyBox from Debian's source package
# (bookworm's busybox, Debian's patches applied by dpkg-source -x),
# cross-built with Debian's riscv64-linux-gnu-gcc and dynamically linked
# against the riscv64 glibc of libc6-dev-riscv64-cross; the loader and the
# libraries it needs; the project's own /etc (tests/guest/rootfs/etc: BusyBox
# init with a root shell on ttyS0, rcS mounting proc, sys, devtmpfs and tmpfs,
# hostname amber). The tree becomes an ext4 image (`mke2fs -t ext4 -d`: no
# root, no loop mount), then qcow2 through `tools/amber-img convert`.
# Boot it with the full kernel (scripts/build-linux.sh --profile=full):
#   ./amber -M virt -smp 4 -m 512M -kernel IMAGE \
#       -append "root=/dev/vda rw console=ttyS0" -drive file=root.qcow2 -nographic
# Copy the image before booting it read-write: the cached one is shared.
# About 2 minutes on 2 cores the first time (measured: 105 s in all, 74 s of
# it compiling BusyBox); afterwards the cached image is reused.
#
# Usage: scripts/build-rootfs.sh [--cached-only]
#   Prints the path of root.qcow2 as its last line of stdout (root.img, the
#   raw ext4 image, lies beside it).
#   --cached-only: do not build; exit 3 if no cached image matches.
# Exit status 2: a needed Debian package or BusyBox's source is missing and
# this is not root (the commands to run are printed; as root they are run).
#
# Cache: $AMBER_ROOTFS_CACHE (default $XDG_CACHE_HOME/amber/rootfs or
# $HOME/.cache/amber/rootfs). src/ holds the downloaded source package (kept:
# it pins the BusyBox version), apt-src/ the private apt configuration; one
# directory per hash of this script, tests/guest/rootfs, the .dsc, and the
# compiler, glibc and e2fsprogs versions holds the images.
set -euo pipefail

# Bump when a change to this script changes what it builds (flags, steps).
RECIPE=1
SIZE=256M

say() { echo "build-rootfs: $*" >&2; }

here=$(cd "$(dirname "$0")/.." && pwd)
guest=$here/tests/guest/rootfs
amber_img=${AMBER_IMG:-$here/tools/amber-img}
cached_only=false
case ${1:-} in
--cached-only) cached_only=true ;;
"") ;;
*) echo "usage: $0 [--cached-only]" >&2; exit 2 ;;
esac

cross=${CROSS_COMPILE:-riscv64-linux-gnu-}
sysroot=/usr/riscv64-linux-gnu
pkgs="gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu libc6-dev-riscv64-cross dpkg-dev e2fsprogs
      make bzip2 xz-utils debian-archive-keyring"
cache_root=${AMBER_ROOTFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/amber/rootfs}
srcdir=$cache_root/src
aptdir=$cache_root/apt-src
root=$([ "$(id -u)" = 0 ] && echo true || echo false)

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ] && ! $cached_only; then
    if $root; then
        say "installing Debian packages:$missing"
        export DEBIAN_FRONTEND=noninteractive
        # shellcheck disable=SC2086
        if ! apt-get install -y -q --no-install-recommends $missing >&2; then
            apt-get update -q >&2 || true
            # shellcheck disable=SC2086
            apt-get install -y -q --no-install-recommends $missing >&2 || {
                say "cannot install:$missing"; exit 2; }
        fi
    else
        say "needs Debian packages. Run as root:"
        echo "  apt-get install -y$missing" >&2
        exit 2
    fi
fi

# BusyBox's source package, through a private apt configuration: a deb-src
# entry for the URI and suite of the machine's own Debian source, its own
# lists directory. The system's sources are not touched.
dsc() { ls "$srcdir"/busybox_*.dsc 2>/dev/null | head -n 1; }
if [ -z "$(dsc)" ] && ! $cached_only; then
    sources=/etc/apt/sources.list.d/debian.sources
    uri=$(awk '/^URIs:/ { print $2; exit }' "$sources" 2>/dev/null || true)
    suite=$(awk '/^Suites:/ { print $2; exit }' "$sources" 2>/dev/null || true)
    if [ -z "$uri" ] || [ -z "$suite" ]; then
        say "no URIs:/Suites: line in $sources: cannot find Debian's archive"
        exit 2
    fi
    aptopts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$aptdir"
             -o "Dir::State::Lists=$aptdir/lists")
    srcfile="Types: deb-src
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
    if $root; then
        say "downloading busybox's source package from $uri ($suite)"
        mkdir -p "$aptdir/lists/partial" "$srcdir"
        printf '%s\n' "$srcfile" >"$aptdir/src.sources"
        apt-get "${aptopts[@]}" -q update >&2 ||
            { say "apt-get update (private deb-src list) failed"; exit 2; }
        (cd "$srcdir" && apt-get "${aptopts[@]}" -q source --download-only busybox >&2) ||
            { say "apt-get source busybox failed"; exit 2; }
    else
        say "needs BusyBox's Debian source package. Run as root:"
        {
            echo "  mkdir -p $aptdir/lists/partial $srcdir"
            # The here-document unindented, so that it can be pasted.
            echo "cat > $aptdir/src.sources <<EOF"
            printf '%s\n' "$srcfile"
            echo "EOF"
            echo "  apt-get ${aptopts[*]} update"
            echo "  cd $srcdir && apt-get ${aptopts[*]} source --download-only busybox"
        } >&2
        exit 2
    fi
fi

ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }
key=$( { cat "$0"; (cd "$guest" && find . -type f | LC_ALL=C sort | xargs sha256sum);
         [ -n "$(dsc)" ] && cat "$(dsc)";
         echo "recipe $RECIPE gcc $("${cross}gcc" -dumpfullversion 2>/dev/null || echo none)";
         echo "libc $(ver libc6-dev-riscv64-cross) e2fsprogs $(ver e2fsprogs)"; } |
       sha256sum | cut -c1-16)
out=$cache_root/$key

if [ -f "$out/root.qcow2" ]; then
    say "using cached root disk $out/root.qcow2 (key $key)"
    echo "$out/root.qcow2"
    exit 0
fi
if $cached_only; then
    say "no cached root disk for key $key in $cache_root"
    exit 3
fi
[ -n "$(dsc)" ] || { say "no busybox_*.dsc in $srcdir"; exit 2; }
[ -x "$amber_img" ] || { say "$amber_img not built (run make first)"; exit 1; }

mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
if ! flock -n 9; then
    say "another build holds $cache_root/.lock: waiting for it"
    flock 9
fi
if [ -f "$out/root.qcow2" ]; then
    say "using cached root disk $out/root.qcow2 (key $key)"
    echo "$out/root.qcow2"
    exit 0
fi

work=$cache_root/build-$key.$$
mkdir -p "$work"
trap 'exec 9>&-; rm -rf "$work"' EXIT
jobs=$(nproc 2>/dev/null || echo 2)

say "unpacking $(basename "$(dsc)") with Debian's patches (dpkg-source -x)"
# apt checked the files against the signed Release file; dpkg-source
# cannot check the .dsc signature without debian-keyring (a warning).
dpkg-source -q -x "$(dsc)" "$work/busybox" >&2
bb=$work/busybox
bmake() { make -C "$bb" CROSS_COMPILE="$cross" ARCH=riscv "$@"; }

say "configuring: defconfig + tests/guest/rootfs/busybox.config"
bmake -s defconfig >/dev/null
# Each fragment line replaces the option's line in .config.
while IFS= read -r l; do
    case $l in
    CONFIG_*=*) opt=${l%%=*} ;;
    "# CONFIG_"*" is not set") opt=${l#\# }; opt=${opt%% *} ;;
    *) continue ;;
    esac
    sed -i -e "/^$opt=/d" -e "/^# $opt is not set\$/d" "$bb/.config"
    echo "$l" >>"$bb/.config"
done <"$guest/busybox.config"
{ yes "" || true; } | bmake -s oldconfig >/dev/null
# The applets the guest and its tests rely on.
need="ASH SH_IS_ASH AWK SED GREP DD SHA256SUM SEQ MOUNT UMOUNT SYNC POWEROFF REBOOT HALT INIT
      UDHCPC WGET NC HTTPD IP IFCONFIG PS TOP LS CAT CP MV RM MKDIR RMDIR LN CHMOD CHOWN ECHO
      PRINTF TEST HEAD TAIL WC SORT UNIQ CUT TR DATE SLEEP TOUCH DF DU ENV UNAME HOSTNAME
      MOUNTPOINT EXPR TEE YES TRUE FALSE KILL FREE VI LESS FIND XARGS GZIP TAR MD5SUM SHA1SUM"
bad=0
for a in $need; do
    grep -qx "CONFIG_$a=y" "$bb/.config" || { say "applet not enabled: CONFIG_$a"; bad=1; }
done
while IFS= read -r l; do
    case $l in
    CONFIG_*=*) grep -qxF -- "$l" "$bb/.config" || { say "config line not taken: $l"; bad=1; } ;;
    "# CONFIG_"*" is not set")
        opt=${l#\# }; opt=${opt%% *}
        if grep -q "^$opt=" "$bb/.config"; then say "config line not taken: $l"; bad=1; fi ;;
    esac
done <"$guest/busybox.config"
[ $bad = 0 ] || { say "busybox.config does not give the applets needed"; exit 1; }

say "compiling BusyBox with -j$jobs"
start=$SECONDS
bmake -s -j"$jobs" busybox >&2
say "compiled in $((SECONDS - start)) s"

tree=$work/root
say "assembling the root tree"
bmake -s CONFIG_PREFIX="$tree" install >/dev/null
rm -f "$tree/linuxrc"
mkdir -p "$tree"/{dev,proc,sys,tmp,run,root,lib,mnt,var/log,etc/init.d}
chmod 1777 "$tree/tmp"
chmod 700 "$tree/root"
cp -R "$guest/etc/." "$tree/etc/"
chmod 600 "$tree/etc/shadow"
chmod 755 "$tree/etc/init.d/rcS" "$tree/etc/udhcpc.script"
ln -s /proc/mounts "$tree/etc/mtab"

# The loader (PT_INTERP) and every library named by DT_NEEDED, followed
# through the libraries themselves; NSS modules glibc loads at run time for
# /etc/nsswitch.conf (files, dns).
interp=$("${cross}readelf" -l "$tree/bin/busybox" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ "$interp" = /lib/ld-linux-riscv64-lp64d.so.1 ] ||
    { say "unexpected program interpreter '$interp' (want /lib/ld-linux-riscv64-lp64d.so.1)"; exit 1; }
queue="ld-linux-riscv64-lp64d.so.1 libnss_files.so.2 libnss_dns.so.2 $("${cross}readelf" -d "$tree/bin/busybox" |
       sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
libs=""
while [ -n "$queue" ]; do
    set -- $queue; l=$1; shift; queue="$*"
    case " $libs " in *" $l "*) continue ;; esac
    [ -f "$sysroot/lib/$l" ] || { say "$l not found in $sysroot/lib"; exit 1; }
    cp -L "$sysroot/lib/$l" "$tree/lib/$l"
    libs="$libs $l"
    queue="$queue $("${cross}readelf" -d "$sysroot/lib/$l" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
done
"${cross}strip" --strip-unneeded "$tree"/lib/*.so* 2>/dev/null || true
say "libraries:$libs"

# Fixed UUID, hash seed and file times; every file root's. (Not yet
# byte-reproducible: the BusyBox binary records its build time.)
say "making the ext4 image ($SIZE) and its qcow2"
find "$tree" -exec touch -h -d @1767225600 {} +
E2FSPROGS_FAKE_TIME=1767225600 mke2fs -q -t ext4 -L root -U 6b6d7ab2-6e6c-4b1e-9a3e-616d62657231 \
    -E hash_seed=6b6d7ab2-6e6c-4b1e-9a3e-616d62657232,root_owner=0:0 -d "$tree" "$work/root.img" "$SIZE" >&2
e2fsck -fn "$work/root.img" >&2 || { say "e2fsck finds errors in the new image"; exit 1; }
"$amber_img" convert -f raw -O qcow2 "$work/root.img" "$work/root.qcow2" >&2

mkdir -p "$out.tmp"
mv "$work/root.img" "$work/root.qcow2" "$out.tmp/"
cp "$bb/.config" "$out.tmp/busybox.config"
cp "$tree/bin/busybox" "$out.tmp/busybox"
rm -rf "$out"
mv "$out.tmp" "$out"
say "root disk ready: $out/root.qcow2 ($(du -k "$out/root.qcow2" | cut -f1) KiB used)"
echo "$out/root.qcow2"
