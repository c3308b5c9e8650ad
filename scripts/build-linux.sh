#!/bin/bash
# Builds Amber's guest Linux from Debian's linux-source-6.1, in one of two
# profiles:
#   tiny (default): `make tinyconfig` plus tests/guest/linux/amber.config,
#     with a built-in initramfs holding the project's own /init
#     (tests/guest/linux/init.c, start.S). About 2 minutes on 2 cores.
#   full: `make tinyconfig` plus tests/guest/linux/full.config, no
#     initramfs: ext4 root on virtio-blk (root=/dev/vda), devtmpfs, tmpfs,
#     unix sockets, IPv4, virtio-net, for the BusyBox/glibc userland of
#     scripts/build-rootfs.sh. About 7 minutes on 2 cores
#     (measured: 370 s compiling, 399 s in all).
# The first time builds; afterwards the cached Image is reused.
#
# Usage: scripts/build-linux.sh [--profile=tiny|full] [--cached-only]
#   Prints the path of the kernel Image as its last line of stdout
#   (vmlinux, with symbols, is kept beside it for the full profile).
#   --cached-only: do not build; exit 3 if no cached Image matches.
# Exit status 2: a needed Debian package is missing (the apt-get line to run
# is printed; as root it is run).
#
# Cache: $AMBER_LINUX_CACHE (default $XDG_CACHE_HOME/amber/linux or
# $HOME/.cache/amber/linux), one directory per hash of the config, the /init
# sources, RECIPE below, the compiler and the kernel source package
# versions. It holds Image, System.map, .config and the init ELF; the
# kernel tree is deleted (in the background: it is large).
set -euo pipefail

# Bump when a change to this script changes what it builds (flags, steps).
RECIPE=2

say() { echo "build-linux: $*" >&2; }

here=$(cd "$(dirname "$0")/.." && pwd)
guest=$here/tests/guest/linux
cached_only=false
profile=tiny
for a in "$@"; do
    case $a in
    --cached-only) cached_only=true ;;
    --profile=tiny|--profile=full) profile=${a#--profile=} ;;
    *) echo "usage: $0 [--profile=tiny|full] [--cached-only]" >&2; exit 2 ;;
    esac
done

src_tar=/usr/src/linux-source-6.1.tar.xz
cross=${CROSS_COMPILE:-riscv64-linux-gnu-}
pkgs="linux-source-6.1 gcc-riscv64-linux-gnu flex bison bc libssl-dev libelf-dev cpio make xz-utils"

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

# The packages come first: the key names the compiler's version.
if [ -n "$missing" ] && ! $cached_only; then
    if [ "$(id -u)" = 0 ]; then
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

cache_root=${AMBER_LINUX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/amber/linux}
src_version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo none)
cc_version=$("${cross}gcc" -dumpfullversion 2>/dev/null || echo none)
if [ $profile = tiny ]; then
    # Unchanged since before profiles existed: the tiny kernels cached then
    # are still found.
    key=$( { cat "$guest/amber.config" "$guest/init.c" "$guest/start.S";
             echo "recipe $RECIPE source $src_version gcc $cc_version"; } | sha256sum | cut -c1-16)
else
    key=full-$( { cat "$guest/full.config";
                  echo "profile full recipe $RECIPE source $src_version gcc $cc_version"; } |
                sha256sum | cut -c1-16)
fi
out=$cache_root/$key

if [ -f "$out/Image" ]; then
    say "using cached kernel $out/Image (key $key)"
    echo "$out/Image"
    exit 0
fi
if $cached_only; then
    say "no cached kernel for key $key in $cache_root"
    exit 3
fi

mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
if ! flock -n 9; then
    say "another build holds $cache_root/.lock: waiting for it"
    flock 9
fi
if [ -f "$out/Image" ]; then            # another build finished meanwhile
    say "using cached kernel $out/Image (key $key)"
    echo "$out/Image"
    exit 0
fi

work=$cache_root/build-$key.$$
mkdir -p "$work/init"
# The tree is over a gigabyte: delete it in the background, after the lock
# is released, so the caller gets the Image at once.
cleanup() {
    exec 9>&-
    mv "$work" "$work.old" 2>/dev/null && { rm -rf "$work.old" >/dev/null 2>&1 & }
}
trap cleanup EXIT
jobs=$(nproc 2>/dev/null || echo 2)

if [ $profile = tiny ]; then
say "building /init (no libc, rv64gc, lp64d)"
"${cross}gcc" -march=rv64imafdc -mabi=lp64d -static -nostdlib -nostartfiles -ffreestanding \
    -fno-builtin -fno-tree-loop-distribute-patterns -fno-stack-protector -O2 -Wall -Wextra -Werror \
    -Wl,--build-id=none -o "$work/init/init" "$guest/start.S" "$guest/init.c"

cat >"$work/initramfs.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0555 0 0
file /init $work/init/init 0755 0 0
LIST
fi

say "extracting $src_tar ($src_version)"
tar -C "$work" -xf "$src_tar"
ksrc=$work/linux-source-6.1
kmake() { make -C "$ksrc" O="$work/build" ARCH=riscv CROSS_COMPILE="$cross" "$@"; }

kmake -s tinyconfig >/dev/null
if [ $profile = tiny ]; then
    say "configuring: tinyconfig + amber.config"
    { cat "$guest/amber.config"; echo "CONFIG_INITRAMFS_SOURCE=\"$work/initramfs.list\""; } >"$work/fragment"
else
    say "configuring: tinyconfig + full.config"
    cp "$guest/full.config" "$work/fragment"
fi
(cd "$ksrc" && ARCH=riscv scripts/kconfig/merge_config.sh -m -O "$work/build" \
    "$work/build/.config" "$work/fragment" >/dev/null)
kmake -s olddefconfig >&2
# Every line of the fragment must have taken effect (a typo or a missing
# dependency would silently build a different kernel).
bad=0
while IFS= read -r l; do
    case $l in
    CONFIG_*=*) grep -qxF -- "$l" "$work/build/.config" || { say "config line not taken: $l"; bad=1; } ;;
    "# CONFIG_"*" is not set")
        opt=${l#\# }; opt=${opt%% *}
        if grep -q "^$opt=" "$work/build/.config"; then say "config line not taken: $l"; bad=1; fi ;;
    esac
done <"$work/fragment"
[ $bad = 0 ] || { say "the $profile profile's fragment does not apply cleanly"; exit 1; }
if [ -n "${AMBER_LINUX_CONFIG_ONLY:-}" ]; then   # for editing a fragment
    cp "$work/build/.config" "$AMBER_LINUX_CONFIG_ONLY"
    say "config written to $AMBER_LINUX_CONFIG_ONLY (not compiled)"
    exit 0
fi

if [ $profile = tiny ]; then
    say "compiling the kernel with -j$jobs (about 2 minutes on 2 cores)"
else
    say "compiling the kernel with -j$jobs (about 7 minutes on 2 cores)"
fi
start=$SECONDS
kmake -s -j"$jobs" Image >&2
say "compiled in $((SECONDS - start)) s"

mkdir -p "$out.tmp"
cp "$work/build/arch/riscv/boot/Image" "$work/build/System.map" "$work/build/.config" "$out.tmp/"
if [ $profile = tiny ]; then
    cp "$work/init/init" "$out.tmp/"
else
    cp "$work/build/vmlinux" "$out.tmp/"
fi
rm -rf "$out"
mv "$out.tmp" "$out"
say "kernel ready: $out/Image ($(stat -c %s "$out/Image") bytes)"
echo "$out/Image"
