#!/usr/bin/env bash
# Installs into a temporary prefix with `make install-ffi PREFIX=...`, then builds and runs a
# program using nothing but `cc $(pkg-config --cflags --libs segmentlog)`, as ffi/README.md
# tells: without an rpath it must fail to start the way the README says (and install.sh must
# have printed its hint), with the documented rpath it runs; static linking works too.
#
# Usage: tests/c/install-test.sh [--cmake]
#   --cmake  also build tests/c/cmake-consumer against the prefix with find_package (shared
#            and static) and run it: `make test-dist-c` does, since it needs cmake
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
with_cmake=false
case "${1:-}" in
    --cmake) with_cmake=true ;;
    "") ;;
    *) echo "usage: tests/c/install-test.sh [--cmake]" >&2; exit 2 ;;
esac
fail() { echo "install: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
make -s -C "$root" install-ffi PREFIX="$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "make install-ffi failed"; }
for f in lib/libsegmentlog.so lib/libsegmentlog.so.0 lib/libsegmentlog.a include/segmentlog.h \
         lib/pkgconfig/segmentlog.pc lib/cmake/segmentlog/segmentlogConfig.cmake \
         lib/cmake/segmentlog/segmentlogConfigVersion.cmake; do
    [ -e "$prefix/$f" ] || fail "$f missing"
done
[ "$(readlink "$prefix/lib/libsegmentlog.so")" = libsegmentlog.so.0 ] \
    || fail "libsegmentlog.so does not link to the soname"
# A prefix the loader does not search: install.sh says how programs will find the library.
grep -qF "note: $prefix/lib is not on the loader's search path: link programs with -Wl,-rpath,$prefix/lib" \
    "$tmp/install.log" || fail "no run-time search path hint; make install printed: $(cat "$tmp/install.log")"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
unset LD_LIBRARY_PATH
# shellcheck disable=SC2046 # word splitting of pkg-config's flags is intended
cc -std=c11 -Wall -Wextra -Werror -pedantic -o "$tmp/prog" "$root/tests/c/pkgconfig_prog.c" \
    $(pkg-config --cflags --libs segmentlog)
grep -q 'NEEDED *libsegmentlog.so.0' <<<"$(objdump -p "$tmp/prog")" \
    || fail "the program does not need libsegmentlog.so.0"
if "$tmp/prog" "$tmp/log" >"$tmp/no-rpath.log" 2>&1; then
    fail "a program linked without an rpath started: the loader found libsegmentlog.so.0 elsewhere"
fi
grep -qF 'libsegmentlog.so.0: cannot open shared object file' "$tmp/no-rpath.log" \
    || fail "unexpected failure without an rpath: $(cat "$tmp/no-rpath.log")"
# The documented fix.
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -pedantic -o "$tmp/prog" "$root/tests/c/pkgconfig_prog.c" \
    $(pkg-config --cflags --libs segmentlog) -Wl,-rpath,"$(pkg-config --variable=libdir segmentlog)"
"$tmp/prog" "$tmp/log"
# Static linking works too, with pkg-config --static.
# shellcheck disable=SC2046
cc -std=c11 -o "$tmp/prog-static" "$root/tests/c/pkgconfig_prog.c" \
    $(pkg-config --cflags segmentlog) "$prefix/lib/libsegmentlog.a" \
    $(pkg-config --static --libs-only-l segmentlog | sed 's/-lsegmentlog//')
rm -rf "$tmp/log"
"$tmp/prog-static" "$tmp/log"

if $with_cmake; then
    consumer="$root/tests/c/cmake-consumer"
    if ! { cmake -S "$consumer" -B "$tmp/cmake" -DCMAKE_BUILD_TYPE=Release \
            -DCMAKE_PREFIX_PATH="$prefix" && cmake --build "$tmp/cmake"; } >"$tmp/cmake.log" 2>&1; then
        tail -n 40 "$tmp/cmake.log" >&2
        fail "the CMake project does not build against $prefix"
    fi
    grep -qF "from $prefix/lib/cmake/segmentlog" "$tmp/cmake.log" ||
        fail "find_package took segmentlog from elsewhere: $(grep -F 'segmentlog' "$tmp/cmake.log")"
    rm -rf "$tmp/log"
    "$tmp/cmake/consumer" "$tmp/log"
    "$tmp/cmake/consumer_static" "$tmp/log"
    ! grep -q 'NEEDED *libsegmentlog' <<<"$(objdump -p "$tmp/cmake/consumer_static")" ||
        fail "consumer_static needs libsegmentlog.so"
    echo "install: CMake find_package against $prefix works (shared and static)"
fi
echo "install: pkg-config build against $prefix works (shared and static)"
