#!/bin/sh
# Installs the Debian packages Amber needs to build, test and benchmark.
# As root it runs apt-get itself; otherwise it prints the exact command to run.
# Usage: scripts/install-deps.sh [build|test|all]   (default: all)
set -e
what=${1:-all}

build_pkgs="gcc make pkg-config libreadline-dev libpcre2-dev zlib1g-dev libcunit1-dev libfdt-dev libjansson-dev"
guest_pkgs="gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf picolibc-riscv64-unknown-elf"
peer_pkgs="qemu-system-misc qemu-utils opensbi u-boot-qemu device-tree-compiler"
test_pkgs="clang socat tmux hyperfine"

case $what in
build) pkgs="$build_pkgs $guest_pkgs opensbi" ;;
test|all) pkgs="$build_pkgs $guest_pkgs $peer_pkgs $test_pkgs" ;;
*) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    echo "install-deps: installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null
else
    echo "Amber needs these Debian packages. Run as root:" >&2
    echo "  apt-get install -y$missing" >&2
    exit 1
fi
