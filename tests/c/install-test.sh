#!/usr/bin/env bash
# Installs into a temporary prefix with `make install-ffi PREFIX=...`, then builds and runs a
# program using nothing but `cc $(pkg-config --cflags --libs commitlog)`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
make -s -C "$root" install-ffi PREFIX="$prefix"
for f in lib/libcommitlog.so lib/libcommitlog.so.0 lib/libcommitlog.a include/commitlog.h \
         lib/pkgconfig/commitlog.pc; do
    [ -e "$prefix/$f" ] || { echo "install: $f missing" >&2; exit 1; }
done
[ "$(readlink "$prefix/lib/libcommitlog.so")" = libcommitlog.so.0 ] \
    || { echo "install: libcommitlog.so does not link to the soname" >&2; exit 1; }
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046 # word splitting of pkg-config's flags is intended
cc -std=c11 -Wall -Wextra -Werror -pedantic -o "$tmp/prog" "$root/tests/c/pkgconfig_prog.c" \
    $(pkg-config --cflags --libs commitlog)
objdump -p "$tmp/prog" | grep -q 'NEEDED *libcommitlog.so.0' \
    || { echo "install: the program does not need libcommitlog.so.0" >&2; exit 1; }
LD_LIBRARY_PATH="$prefix/lib" "$tmp/prog" "$tmp/log"
# Static linking works too, with pkg-config --static.
# shellcheck disable=SC2046
cc -std=c11 -o "$tmp/prog-static" "$root/tests/c/pkgconfig_prog.c" \
    $(pkg-config --cflags commitlog) "$prefix/lib/libcommitlog.a" \
    $(pkg-config --static --libs-only-l commitlog | sed 's/-lcommitlog//')
rm -rf "$tmp/log"
"$tmp/prog-static" "$tmp/log"
echo "install: pkg-config build against $prefix works (shared and static)"
