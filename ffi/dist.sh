#!/usr/bin/env bash
# The C/C++ release archives (`make dist-c`): for each target, the library and the CLI of the
# release builds the tests ran (`make test`, `make test-platforms`: the same cargo commands, so
# cargo rebuilds little when they ran before: the aarch64 CLI, which the tests build only with
# their dev-dependencies' features), stripped of debug info and symbol tables,
# installed by ffi/install.sh into a relocatable tree, with a README:
#
#   segmentlog-VERSION-x86_64-unknown-linux-gnu.tar.gz
#   segmentlog-VERSION-aarch64-unknown-linux-gnu.tar.gz
#   segmentlog-VERSION-x86_64-pc-windows-gnu.zip
#
# each holding one directory of the same name: include/segmentlog.h; the shared library as the
# platform names it (lib/libsegmentlog.so.VERSION + .so.0 + .so links; bin/segmentlog.dll +
# lib/libsegmentlog.dll.a); lib/libsegmentlog.a without debug info; lib/pkgconfig/segmentlog.pc
# and lib/cmake/segmentlog/*.cmake, both finding the prefix from where they lie;
# bin/segmentlog[.exe]; README.md. macOS is not built: nothing here can link for it.
#
# Archives are reproducible: file order, owners and times are fixed (times to the commit's).
# Usage: ffi/dist.sh OUT_DIR [TARGET...]   (default: all three targets)
set -euo pipefail
die() { echo "ffi/dist.sh: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: ffi/dist.sh OUT_DIR [TARGET...]"
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "$1")
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] ||
    targets=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-pc-windows-gnu)
CARGO=${CARGO:-cargo}
cd "$root"
version=$($CARGO pkgid -p segmentlog | sed 's/.*[@#]//')
[ -n "$version" ] || die "cannot read the version (cargo pkgid -p segmentlog)"
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)}
target_dir=$($CARGO metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
host=$(rustc -vV | sed -n 's/^host: //p')

# Rust targets, cross linkers, strip tools (idempotent; quick when all is there).
"$root/platforms/run" setup >/dev/null
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out"
for t in "${targets[@]}"; do
    case "$t" in
        x86_64-unknown-linux-gnu) strip="strip"; exe="" ;;
        aarch64-unknown-linux-gnu) strip=aarch64-linux-gnu-strip; exe="" ;;
        x86_64-pc-windows-gnu) strip=x86_64-w64-mingw32-strip; exe=.exe ;;
        *) die "no release archive for target '$t'" ;;
    esac
    [ "$t" = "$host" ] || [ "$host" = x86_64-unknown-linux-gnu ] ||
        die "cross builds are set up for an x86_64 Linux host only (this is $host)"
    name="segmentlog-$version-$t"
    echo "dist-c: building $name"
    # One package a build, as the tests build them: built together, cargo would unify the
    # dependencies' features of both and build a library the tests never ran.
    if [ "$t" = "$host" ]; then
        built="$target_dir/release"
        $CARGO build --quiet --release -p segmentlog-ffi
        $CARGO build --quiet --release -p segmentlog-cli
    else
        built="$target_dir/$t/release"
        $CARGO build --quiet --release -p segmentlog-ffi --target "$t"
        $CARGO build --quiet --release -p segmentlog-cli --target "$t"
    fi
    tree="$stage/$name"
    "$root/ffi/install.sh" --target "$t" --relocatable "$tree" "$version" "$built" >/dev/null
    # The shared library and the CLI ship without their symbol tables (a shared library keeps its
    # dynamic symbols, what programs link against; a DLL its export table).
    if [ -n "$exe" ]; then
        "$strip" --strip-all "$tree/bin/segmentlog.dll"
    else
        "$strip" --strip-all "$tree/lib/libsegmentlog.so.$version"
    fi
    # The static library keeps its symbols (programs link against them) but not its debug
    # info, nor the LLVM bitcode that rustc embeds for its own LTO (no C linker reads it: 18 of
    # its 24 MB). The Windows one also holds split-DWARF objects (*.dwo) of the standard
    # library: debug info only, no symbol a linker could pull in, and some empty (strip refuses
    # those). Members are deleted without rebuilding the symbol index (S), and ranlib rebuilds
    # it once the bitcode is gone: indexing objects that carry bitcode wakes binutils' LLVM
    # plugin, which cannot read rustc's and says so for every member.
    a="$tree/lib/libsegmentlog.a"
    tools=${strip%strip}
    "${tools}ar" t "$a" | { grep '\.dwo$' || true; } | xargs -r -d '\n' "${tools}ar" dDS "$a"
    "$strip" --strip-debug --remove-section=.llvmbc --remove-section=.llvmcmd \
        --enable-deterministic-archives "$a"
    "${tools}ranlib" -D "$a"
    install -D -m 0755 "$built/segmentlog$exe" "$tree/bin/segmentlog$exe"
    "$strip" --strip-all "$tree/bin/segmentlog$exe"
    install -m 0644 "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$tree/"
    files=$(cd "$tree" && find . \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort \
        | while read -r f; do
            # shellcheck disable=SC2016 # backquotes are Markdown here
            if [ -L "$tree/$f" ]; then printf -- '- `%s` -> `%s`\n' "$f" "$(readlink "$tree/$f")"
            else printf -- '- `%s` (%s bytes)\n' "$f" "$(stat -c %s "$tree/$f")"; fi
        done)
    python3 - "$root/ffi/dist-README.md.in" "$tree/README.md" "$version" "$t" "$files" <<'PY'
import re, sys
template, dest, version, target, files = sys.argv[1:]
text = open(template, encoding="utf-8").read()
windows = "windows" in target
# Sections marked <!-- linux --> ... <!-- /linux --> or <!-- windows --> ... <!-- /windows -->
# are kept only for their platform.
for tag, keep in (("linux", not windows), ("windows", windows)):
    pattern = re.compile(r"<!-- %s -->\n(.*?)<!-- /%s -->\n" % (tag, tag), re.S)
    text = pattern.sub((lambda m: m.group(1)) if keep else "", text)
text = text.replace("@VERSION@", version).replace("@TARGET@", target).replace("@FILES@", files)
left = re.search(r"@[A-Z_]+@", text)
if left:
    sys.exit("ffi/dist.sh: the README template has a placeholder this script does not fill: "
             + left.group(0))
open(dest, "w", encoding="utf-8").write(text)
PY
    rm -f "$out/segmentlog-"*"-$t.tar.gz" "$out/segmentlog-"*"-$t.zip"
    find "$tree" -exec touch -h -d "@$epoch" {} +
    if [ -n "$exe" ]; then
        archive="$out/$name.zip"
        python3 - "$stage" "$name" "$archive" "$epoch" <<'PY'
import os, sys, time, zipfile
stage, name, archive, epoch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
stamp = time.gmtime(max(epoch, 315532800))[:6]  # zip cannot hold times before 1980
paths = []
for base, dirs, files in os.walk(os.path.join(stage, name)):
    dirs.sort()
    paths += [os.path.join(base, f) for f in files]
with zipfile.ZipFile(archive + ".tmp", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for path in sorted(paths):
        rel = os.path.relpath(path, stage).replace(os.sep, "/")
        info = zipfile.ZipInfo(rel, stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        mode = 0o755 if os.access(path, os.X_OK) else 0o644
        info.external_attr = (0o100000 | mode) << 16
        with open(path, "rb") as f:
            z.writestr(info, f.read())
os.replace(archive + ".tmp", archive)
PY
    else
        archive="$out/$name.tar.gz"
        tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --format=gnu \
            --mtime="@$epoch" -cf - "$name" | gzip -9n > "$archive.tmp"
        mv -f "$archive.tmp" "$archive"
    fi
    echo "dist-c: $(basename "$archive") ($(stat -c %s "$archive") bytes):"
    (cd "$tree" && find . -type f -printf '  %-45P %s bytes\n' | LC_ALL=C sort)
done
