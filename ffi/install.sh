#!/usr/bin/env bash
# Installs the C library like any C library:
#   $DESTDIR$PREFIX/lib/libsegmentlog.so.VERSION, the soname link libsegmentlog.so.0 and the
#   development link libsegmentlog.so, libsegmentlog.a, include/segmentlog.h and
#   lib/pkgconfig/segmentlog.pc (which names $PREFIX, not $DESTDIR).
# Usage: ffi/install.sh PREFIX VERSION LIBDIR_OF_BUILD   (called by `make install-ffi`)
set -euo pipefail
prefix=$(realpath -m "$1")
version=$2
built=$3
root=$(cd "$(dirname "$0")/.." && pwd)
dest="${DESTDIR:-}$prefix"

install -d "$dest/lib/pkgconfig" "$dest/include"
# Every file is written beside its target and renamed over it, so a concurrent install into the
# same prefix (two makes sharing the test stage) never sees a half-written file or EEXIST.
put() { # put MODE SOURCE DEST
    install -m "$1" "$2" "$3.tmp.$$" && mv -f "$3.tmp.$$" "$3"
}
link() { # link TARGET NAME
    ln -sfn "$1" "$2.tmp.$$" && mv -fT "$2.tmp.$$" "$2"
}
put 0755 "$built/libsegmentlog.so" "$dest/lib/libsegmentlog.so.$version"
link "libsegmentlog.so.$version" "$dest/lib/libsegmentlog.so.0"
link "libsegmentlog.so.0" "$dest/lib/libsegmentlog.so"
put 0644 "$built/libsegmentlog.a" "$dest/lib/libsegmentlog.a"
put 0644 "$root/include/segmentlog.h" "$dest/include/segmentlog.h"
# Libs.private: what the Rust standard library in libsegmentlog.a needs when linking statically
# (`rustc --print native-static-libs`).
pc="$dest/lib/pkgconfig/segmentlog.pc"
cat > "$pc.tmp.$$" <<PC
prefix=$prefix
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Name: segmentlog
Description: A fast, crash-safe, segmented append-only log (C API)
Version: $version
Libs: -L\${libdir} -lsegmentlog
Libs.private: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
Cflags: -I\${includedir}
PC
mv -f "$pc.tmp.$$" "$pc"
echo "installed libsegmentlog $version into $dest"
