#!/bin/sh
# Installs the Debian packages Amber needs to build, test and benchmark.
# As root it runs apt-get itself; otherwise it prints the exact command to run.
# Usage: scripts/install-deps.sh [build|test|all]   (default: all)
set -e
what=${1:-all}

build_pkgs="gcc make pkg-config libreadline-dev libpcre2-dev zlib1g-dev libcunit1-dev libfdt-dev libjansson-dev libslirp-dev"
guest_pkgs="gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf picolibc-riscv64-unknown-elf"
peer_pkgs="qemu-system-misc qemu-utils opensbi u-boot-qemu device-tree-compiler"
test_pkgs="clang socat tmux hyperfine"

# Only the build packages are required; the rest are optional: without them
# configure builds no guests and the tests that need them skip, saying why.
case $what in
build) required="$build_pkgs"; optional="$guest_pkgs opensbi" ;;
test|all) required="$build_pkgs"; optional="$guest_pkgs $peer_pkgs $test_pkgs" ;;
*) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps: no dpkg-query (not Debian); not checking packages" >&2
    exit 0
fi

missing_of() {
    m=""
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            m="$m $p"
        fi
    done
    echo "$m"
}
# shellcheck disable=SC2086
missing_req=$(missing_of $required)
# shellcheck disable=SC2086
missing_opt=$(missing_of $optional)
missing="$missing_req$missing_opt"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    echo "install-deps: installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null
elif [ -n "$missing_req" ]; then
    echo "Amber needs these Debian packages. Run as root:" >&2
    echo "  apt-get install -y$missing" >&2
    exit 1
else
    echo "install-deps: optional packages missing:$missing_opt" >&2
    echo "  the tests that need them will be skipped; to run them, as root:" >&2
    echo "  apt-get install -y$missing_opt" >&2
fi
