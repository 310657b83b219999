#!/usr/bin/env bash
# Installs the C library like any C library:
#   $DESTDIR$PREFIX/lib/libcommitlog.so.VERSION, the soname link libcommitlog.so.0 and the
#   development link libcommitlog.so, libcommitlog.a, include/commitlog.h and
#   lib/pkgconfig/commitlog.pc (which names $PREFIX, not $DESTDIR).
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
put 0755 "$built/libcommitlog.so" "$dest/lib/libcommitlog.so.$version"
link "libcommitlog.so.$version" "$dest/lib/libcommitlog.so.0"
link "libcommitlog.so.0" "$dest/lib/libcommitlog.so"
put 0644 "$built/libcommitlog.a" "$dest/lib/libcommitlog.a"
put 0644 "$root/include/commitlog.h" "$dest/include/commitlog.h"
# Libs.private: what the Rust standard library in libcommitlog.a needs when linking statically
# (`rustc --print native-static-libs`).
pc="$dest/lib/pkgconfig/commitlog.pc"
cat > "$pc.tmp.$$" <<PC
prefix=$prefix
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Name: commitlog
Description: A fast, crash-safe, segmented append-only log (C API)
Version: $version
Libs: -L\${libdir} -lcommitlog
Libs.private: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
Cflags: -I\${includedir}
PC
mv -f "$pc.tmp.$$" "$pc"
echo "installed libcommitlog $version into $dest"
