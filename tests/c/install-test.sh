#!/usr/bin/env bash
# Installs into a temporary prefix with `make install-ffi PREFIX=...`, then builds and runs a
# program using nothing but `cc $(pkg-config --cflags --libs segmentlog)`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
make -s -C "$root" install-ffi PREFIX="$prefix"
for f in lib/libsegmentlog.so lib/libsegmentlog.so.0 lib/libsegmentlog.a include/segmentlog.h \
         lib/pkgconfig/segmentlog.pc; do
    [ -e "$prefix/$f" ] || { echo "install: $f missing" >&2; exit 1; }
done
[ "$(readlink "$prefix/lib/libsegmentlog.so")" = libsegmentlog.so.0 ] \
    || { echo "install: libsegmentlog.so does not link to the soname" >&2; exit 1; }
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046 # word splitting of pkg-config's flags is intended
cc -std=c11 -Wall -Wextra -Werror -pedantic -o "$tmp/prog" "$root/tests/c/pkgconfig_prog.c" \
    $(pkg-config --cflags --libs segmentlog)
objdump -p "$tmp/prog" | grep -q 'NEEDED *libsegmentlog.so.0' \
    || { echo "install: the program does not need libsegmentlog.so.0" >&2; exit 1; }
LD_LIBRARY_PATH="$prefix/lib" "$tmp/prog" "$tmp/log"
# Static linking works too, with pkg-config --static.
# shellcheck disable=SC2046
cc -std=c11 -o "$tmp/prog-static" "$root/tests/c/pkgconfig_prog.c" \
    $(pkg-config --cflags segmentlog) "$prefix/lib/libsegmentlog.a" \
    $(pkg-config --static --libs-only-l segmentlog | sed 's/-lsegmentlog//')
rm -rf "$tmp/log"
"$tmp/prog-static" "$tmp/log"
echo "install: pkg-config build against $prefix works (shared and static)"
