#!/usr/bin/env bash
# Installs the C library like any C library, into $DESTDIR$PREFIX:
#   Linux:   lib/libsegmentlog.so.VERSION, the soname link lib/libsegmentlog.so.0 and the
#            development link lib/libsegmentlog.so
#   Windows: bin/segmentlog.dll and its import library lib/libsegmentlog.dll.a (mingw)
#   and everywhere: lib/libsegmentlog.a, include/segmentlog.h, lib/pkgconfig/segmentlog.pc
#   (which names $PREFIX, not $DESTDIR) and the CMake package config
#   lib/cmake/segmentlog/segmentlogConfig{,Version}.cmake (relocatable: it finds the prefix
#   from its own location).
#
# Usage: ffi/install.sh [--target TRIPLE] [--relocatable] PREFIX VERSION LIBDIR_OF_BUILD
#   --target       the Rust target the library in LIBDIR_OF_BUILD was built for (default: this
#                  machine's, x86_64- or aarch64-unknown-linux-gnu); also x86_64-pc-windows-gnu
#   --relocatable  segmentlog.pc computes its prefix from its own location (${pcfiledir}), for
#                  a release archive that is extracted anywhere (ffi/dist.sh)
# Called by `make install-ffi` (and so `make install`), the test stage and `make dist-c`.
set -euo pipefail
die() { echo "ffi/install.sh: $*" >&2; exit 1; }

target=""
relocatable=false
while [ $# -gt 0 ]; do
    case "$1" in
        --target) [ $# -ge 2 ] || die "--target needs a value"; target=$2; shift 2 ;;
        --relocatable) relocatable=true; shift ;;
        --) shift; break ;;
        -*) die "unknown option $1" ;;
        *) break ;;
    esac
done
[ $# -eq 3 ] || die "usage: install.sh [--target TRIPLE] [--relocatable] PREFIX VERSION BUILT_DIR"
prefix=$(realpath -m "$1")
version=$2
built=$3
root=$(cd "$(dirname "$0")/.." && pwd)
dest="${DESTDIR:-}$prefix"
host_target="$(uname -m)-unknown-linux-gnu"
target=${target:-$host_target}

# What differs between platforms: the shared library's files, and the system libraries the
# Rust standard library inside libsegmentlog.a needs (`rustc --print native-static-libs`).
case "$target" in
    x86_64-unknown-linux-gnu | aarch64-unknown-linux-gnu)
        system=Linux
        shared="lib/libsegmentlog.so.$version"
        soname=libsegmentlog.so.0
        implib=""
        static_libs=(gcc_s util rt pthread m dl c)
        ;;
    x86_64-pc-windows-gnu)
        system=Windows
        shared=bin/segmentlog.dll
        soname=""
        implib=lib/libsegmentlog.dll.a
        static_libs=(kernel32 ntdll userenv ws2_32 dbghelp)
        ;;
    *) die "no install layout for target '$target' (supported: x86_64-unknown-linux-gnu," \
        "aarch64-unknown-linux-gnu, x86_64-pc-windows-gnu; macOS cannot be linked here)" ;;
esac
processor=${target%%-*}

install -d "$dest/lib/pkgconfig" "$dest/lib/cmake/segmentlog" "$dest/include"
# Every file is written beside its target and renamed over it, so a concurrent install into the
# same prefix (two makes sharing the test stage) never sees a half-written file or EEXIST.
put() { # put MODE SOURCE DEST
    [ -f "$2" ] || die "$2 is missing (was the library built for $target?)"
    install -m "$1" "$2" "$3.tmp.$$" && mv -f "$3.tmp.$$" "$3"
}
link() { # link TARGET NAME
    ln -sfn "$1" "$2.tmp.$$" && mv -fT "$2.tmp.$$" "$2"
}
if [ "$system" = Windows ]; then
    install -d "$dest/bin"
    put 0755 "$built/segmentlog.dll" "$dest/$shared"
    put 0644 "$built/libsegmentlog.dll.a" "$dest/$implib"
else
    put 0755 "$built/libsegmentlog.so" "$dest/$shared"
    link "libsegmentlog.so.$version" "$dest/lib/$soname"
    link "$soname" "$dest/lib/libsegmentlog.so"
fi
put 0644 "$built/libsegmentlog.a" "$dest/lib/libsegmentlog.a"
put 0644 "$root/include/segmentlog.h" "$dest/include/segmentlog.h"

# pkg-config. Libs carries no -Wl,-rpath: see ffi/README.md ("Finding the library at run
# time") for why, and for the one-liner that adds it.
if $relocatable; then
    # shellcheck disable=SC2016 # pkg-config expands it
    pc_prefix='${pcfiledir}/../..'
else
    pc_prefix=$prefix
fi
private=$(printf -- '-l%s ' "${static_libs[@]}")
pc="$dest/lib/pkgconfig/segmentlog.pc"
cat > "$pc.tmp.$$" <<PC
prefix=$pc_prefix
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Name: segmentlog
Description: A fast, crash-safe, segmented append-only log (C API)
Version: $version
Libs: -L\${libdir} -lsegmentlog
Libs.private: ${private% }
Cflags: -I\${includedir}
PC
mv -f "$pc.tmp.$$" "$pc"

# CMake package config, from the templates in ffi/cmake/.
case "$processor" in x86_64 | aarch64) sizeof_void_p=8 ;; *) sizeof_void_p=4 ;; esac
static_list=$(IFS=';'; echo "${static_libs[*]}")
for name in segmentlogConfig segmentlogConfigVersion; do
    out="$dest/lib/cmake/segmentlog/$name.cmake"
    sed -e "s|@SEGMENTLOG_VERSION@|$version|g" -e "s|@SEGMENTLOG_TARGET@|$target|g" \
        -e "s|@SEGMENTLOG_SHARED@|$shared|g" -e "s|@SEGMENTLOG_IMPLIB@|$implib|g" \
        -e "s|@SEGMENTLOG_SONAME@|$soname|g" -e "s|@SEGMENTLOG_STATIC_LIBS@|$static_list|g" \
        -e "s|@SEGMENTLOG_SYSTEM@|$system|g" -e "s|@SEGMENTLOG_PROCESSOR@|$processor|g" \
        -e "s|@SEGMENTLOG_SIZEOF_VOID_P@|$sizeof_void_p|g" \
        "$root/ffi/cmake/$name.cmake.in" > "$out.tmp.$$"
    if grep -n '@SEGMENTLOG_[A-Z_]*@' "$out.tmp.$$" >&2; then
        rm -f "$out.tmp.$$"
        die "ffi/cmake/$name.cmake.in has a placeholder this script does not fill"
    fi
    mv -f "$out.tmp.$$" "$out"
done
echo "installed libsegmentlog $version ($target) into $dest"

# Will programs find the library at run time? Only worth saying for an install that is used
# where it lies (no DESTDIR staging, not an archive) on this machine's own platform.
[ -z "${DESTDIR:-}" ] && ! $relocatable && [ "$target" = "$host_target" ] || exit 0
libdir=$(realpath -m "$prefix/lib")
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
# 1. The loader's cache (ldconfig) already maps the soname to this directory.
cache=$([ -x "$ldconfig" ] && "$ldconfig" -p 2>/dev/null || true)
while read -r path; do
    [ -n "$path" ] && [ "$(realpath -m "$(dirname "$path")")" = "$libdir" ] && exit 0
done < <(grep -F "$soname (" <<<"$cache" | sed 's/.*=> //' || true)
# 2. A directory the loader always searches, cache or not (glibc's trusted directories).
system_dirs=()
for ld in /lib64/ld-linux-*.so.* /lib/ld-linux-*.so.*; do
    [ -x "$ld" ] || continue
    mapfile -t system_dirs < <("$ld" --list-diagnostics 2>/dev/null \
        | sed -n 's/^path\.system_dirs\[[^]]*\]="\(.*\)"$/\1/p')
    [ ${#system_dirs[@]} -gt 0 ] && break
done
[ ${#system_dirs[@]} -gt 0 ] || system_dirs=(/lib /usr/lib /lib64 /usr/lib64 \
    "/lib/$(uname -m)-linux-gnu" "/usr/lib/$(uname -m)-linux-gnu")
for d in "${system_dirs[@]}"; do
    [ "$(realpath -m "$d")" = "$libdir" ] && exit 0
done
# 3. A directory of /etc/ld.so.conf whose cache is stale, or none the loader knows.
conf_dirs=$([ -x "$ldconfig" ] && "$ldconfig" -v -N -X 2>/dev/null \
    | sed -n 's|^\(/[^:]*\):.*|\1|p' | xargs -r -n1 realpath -m || true)
if grep -qxF "$libdir" <<<"$conf_dirs"; then
    echo "note: run 'ldconfig' (as root) so that programs find $soname in $libdir"
else
    echo "note: $libdir is not on the loader's search path: link programs with" \
        "-Wl,-rpath,$libdir (or set LD_LIBRARY_PATH=$libdir); see ffi/README.md"
fi
