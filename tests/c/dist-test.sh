#!/usr/bin/env bash
# `make test-dist-c`: the C/C++ release archives (ffi/dist.sh) used the way their README says,
# each extracted into a scratch directory with nothing else of this checkout in reach:
#   contents   every archive holds exactly the files it should (links, platform, soname, no
#              debug info or bitcode, no path of the build machine in its text files)
#   x86_64     tests/c/cmake-consumer found with find_package through CMAKE_PREFIX_PATH, linked
#              shared and static, run (the shared one by the rpath CMake gives it, in the
#              build tree and, with CMAKE_INSTALL_RPATH_USE_LINK_PATH, installed); which
#              versions and platforms the package accepts; the CLI runs; a program built with
#              pkg-config (PKG_CONFIG_PATH only) fails to start without an rpath, as documented,
#              and runs with the documented one; static with pkg-config
#   aarch64    the same CMake project cross-built (aarch64-linux-gnu-gcc) runs under qemu-user,
#              and so does the CLI
#   windows    the same CMake project cross-built with mingw runs under wine (the DLL copied
#              beside it by the project, as the README shows), static too; a plain mingw gcc +
#              pkg-config build runs once the DLL is beside it, and not before; the CLI runs
# `make install` into a temporary prefix with the same CMake project is tests/c/install-test.sh
# --cmake, which `make test-dist-c` runs after this.
#
# Usage: tests/c/dist-test.sh DIST_C_DIR
# Needs: cmake (installed here from Debian's packages if missing), the cross toolchains,
# qemu-user and wine (platforms/run setup, run here).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: tests/c/dist-test.sh DIST_C_DIR" >&2; exit 2; }
dist=$(realpath "$1")
consumer="$root/tests/c/cmake-consumer"
CARGO=${CARGO:-cargo}
version=$(cd "$root" && $CARGO pkgid -p segmentlog | sed 's/.*[@#]//')

fail() { echo "test-dist-c: FAILED: $*" >&2; exit 1; }
step() { echo "test-dist-c: $*"; }

if ! command -v cmake >/dev/null; then
    step "installing cmake (Debian package cmake)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq cmake >/dev/null
fi
"$root/platforms/run" setup >/dev/null
export WINEDEBUG=-all
ARM_SYSROOT=/usr/aarch64-linux-gnu

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
logs="$tmp/logs"
mkdir -p "$logs"
# run LOG CMD...: the command's output goes to a file, shown only if it fails.
run() {
    local log="$logs/$1.log"
    shift
    if ! "$@" >"$log" 2>&1; then
        echo "test-dist-c: '$*' failed; its output:" >&2
        tail -n 40 "$log" >&2
        exit 1
    fi
}
# expect_output LOG PATTERN CMD...: runs CMD (which must succeed) and greps its output.
expect_output() {
    local name=$1 pattern=$2
    shift 2
    run "$name" "$@"
    grep -qE "$pattern" "$logs/$name.log" ||
        fail "'$*' did not print /$pattern/; it printed: $(cat "$logs/$name.log")"
}

linux_files() { # the files of a Linux archive, sorted
    printf '%s\n' LICENSE-APACHE LICENSE-MIT README.md bin/segmentlog include/segmentlog.h \
        lib/cmake/segmentlog/segmentlogConfig.cmake \
        lib/cmake/segmentlog/segmentlogConfigVersion.cmake lib/libsegmentlog.a \
        lib/libsegmentlog.so lib/libsegmentlog.so.0 "lib/libsegmentlog.so.$version" \
        lib/pkgconfig/segmentlog.pc | LC_ALL=C sort
}
windows_files() {
    printf '%s\n' LICENSE-APACHE LICENSE-MIT README.md bin/segmentlog.dll bin/segmentlog.exe \
        include/segmentlog.h \
        lib/cmake/segmentlog/segmentlogConfig.cmake \
        lib/cmake/segmentlog/segmentlogConfigVersion.cmake lib/libsegmentlog.a \
        lib/libsegmentlog.dll.a lib/pkgconfig/segmentlog.pc | LC_ALL=C sort
}

# extract ARCHIVE DIR: unpacks into DIR and prints the path of the archive's one directory.
extract() {
    local archive=$1 into=$2 name
    [ -f "$archive" ] || fail "$archive is missing (make dist-c)"
    mkdir -p "$into"
    case "$archive" in
        *.tar.gz) tar -C "$into" -xzf "$archive" ;;
        *.zip) python3 -m zipfile -e "$archive" "$into" ;;
    esac
    name=$(basename "$archive")
    name=${name%.tar.gz}
    name=${name%.zip}
    [ "$(ls -A "$into")" = "$name" ] || fail "$archive must hold one directory, $name; it holds: $(ls -A "$into")"
    echo "$into/$name"
}

# check_tree DIR TARGET: the contents of an extracted archive.
check_tree() {
    local tree=$1 target=$2 want got objdump machine
    case "$target" in
        *windows*) want=$(windows_files) ;;
        *) want=$(linux_files) ;;
    esac
    got=$(cd "$tree" && find . \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort)
    [ "$got" = "$want" ] || fail "$target archive: files differ from the expected list:
$(diff <(echo "$want") <(echo "$got") || true)"
    case "$target" in
        x86_64-unknown-linux-gnu) objdump=objdump; machine='Advanced Micro Devices X86-64' ;;
        aarch64-unknown-linux-gnu) objdump=aarch64-linux-gnu-objdump; machine=AArch64 ;;
        x86_64-pc-windows-gnu) objdump=x86_64-w64-mingw32-objdump ;;
    esac
    if [ "$target" != x86_64-pc-windows-gnu ]; then
        [ "$(readlink "$tree/lib/libsegmentlog.so")" = libsegmentlog.so.0 ] &&
            [ "$(readlink "$tree/lib/libsegmentlog.so.0")" = "libsegmentlog.so.$version" ] ||
            fail "$target archive: the .so links do not lead .so -> .so.0 -> .so.$version"
        grep -qF "Machine:                           $machine" <<<"$(readelf -h "$tree/lib/libsegmentlog.so.$version")" ||
            fail "$target archive: libsegmentlog.so.$version is not built for $machine"
        grep -qF 'Library soname: [libsegmentlog.so.0]' <<<"$(readelf -d "$tree/lib/libsegmentlog.so.$version")" ||
            fail "$target archive: libsegmentlog.so.$version has no soname libsegmentlog.so.0"
        grep -qF "$machine" <<<"$(readelf -h "$tree/bin/segmentlog")" ||
            fail "$target archive: bin/segmentlog is not built for $machine"
    fi
    # Release builds: no debug info and no symbol table in the shared library and the CLI, no
    # debug info or LLVM bitcode in the static library.
    local f sections
    for f in "$tree"/lib/libsegmentlog.so.* "$tree"/bin/*; do
        [ -f "$f" ] && [ ! -L "$f" ] || continue
        sections=$("$objdump" -h "$f")
        ! grep -qE '\.debug_|\.symtab' <<<"$sections" ||
            fail "$target archive: ${f#"$tree"/} has debug sections or a symbol table"
        if [ "$target" = x86_64-pc-windows-gnu ]; then
            # PE: a stripped image has no COFF symbol table.
            if grep -qE '^\[ *[0-9]+\]' <<<"$("$objdump" -t "$f")"; then
                fail "$target archive: ${f#"$tree"/} is not stripped"
            fi
        fi
    done
    sections=$("$objdump" -h "$tree/lib/libsegmentlog.a" 2>/dev/null)
    ! grep -qE '\.debug_|\.llvmbc|\.dwo' <<<"$sections" ||
        fail "$target archive: lib/libsegmentlog.a still has debug info or bitcode"
    # Relocatable: no text file names a directory of the machine that built it.
    local stale
    stale=$(grep -lE "$root|/tmp/|/root/" "$tree"/lib/pkgconfig/*.pc \
        "$tree"/lib/cmake/segmentlog/*.cmake "$tree/README.md" || true)
    [ -z "$stale" ] || fail "$target archive: these files name a build machine's path: $stale"
    # shellcheck disable=SC2016 # literally
    grep -qx 'prefix=${pcfiledir}/../..' "$tree/lib/pkgconfig/segmentlog.pc" ||
        fail "$target archive: segmentlog.pc does not find its prefix from its own location"
    grep -qF "segmentlog $version for $target" "$tree/README.md" ||
        fail "$target archive: README.md does not name the version and target"
}

# cmake_build NAME TREE [CMAKE ARGS...]: configures and builds tests/c/cmake-consumer against
# TREE found through CMAKE_PREFIX_PATH, in $tmp/build-NAME (outside the extracted tree: CMake
# counts no directory inside the build tree as a link path to keep in an installed rpath).
cmake_build() {
    local name=$1 tree=$2
    shift 2
    run "$name-configure" cmake -S "$consumer" -B "$tmp/build-$name" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$tree" "$@"
    grep -qF "segmentlog $version from $tree/lib/cmake/segmentlog" "$logs/$name-configure.log" ||
        fail "$name: find_package did not take the package at $tree: $(cat "$logs/$name-configure.log")"
    run "$name-build" cmake --build "$tmp/build-$name"
}

linux=x86_64-unknown-linux-gnu
arm=aarch64-unknown-linux-gnu
win=x86_64-pc-windows-gnu

step "x86_64 Linux: archive contents"
x86=$(extract "$dist/segmentlog-$version-$linux.tar.gz" "$tmp/x86")
check_tree "$x86" $linux
arm_tree=$(extract "$dist/segmentlog-$version-$arm.tar.gz" "$tmp/arm")
check_tree "$arm_tree" $arm
win_tree=$(extract "$dist/segmentlog-$version-$win.zip" "$tmp/win")
check_tree "$win_tree" $win

step "x86_64 Linux: CMake find_package, shared and static"
cmake_build x86 "$x86" -DCMAKE_INSTALL_PREFIX="$tmp/x86-installed" \
    -DCMAKE_INSTALL_RPATH_USE_LINK_PATH=ON
env -u LD_LIBRARY_PATH "$tmp/build-x86/consumer" "$tmp/log-x86" >"$logs/x86-run.log" 2>&1 ||
    fail "the CMake-built program does not run: $(cat "$logs/x86-run.log")"
grep -qF 'consumer: ok (3 records at 0..2)' "$logs/x86-run.log" || fail "$(cat "$logs/x86-run.log")"
dyn=$(objdump -p "$tmp/build-x86/consumer")
grep -qE 'NEEDED +libsegmentlog\.so\.0$' <<<"$dyn" ||
    fail "the CMake-built program does not need libsegmentlog.so.0"
grep -qE "R(UN)?PATH +.*$x86/lib" <<<"$dyn" ||
    fail "CMake gave the program no rpath to $x86/lib"
expect_output x86-static 'ok \(3 records at 3\.\.5\)' "$tmp/build-x86/consumer_static" "$tmp/log-x86"
! grep -q 'NEEDED *libsegmentlog' <<<"$(objdump -p "$tmp/build-x86/consumer_static")" ||
    fail "consumer_static needs libsegmentlog.so: segmentlog::segmentlog_static is not static"

# Installed by `cmake --install`, the program keeps its rpath (CMAKE_INSTALL_RPATH_USE_LINK_PATH,
# as ffi/README.md says).
run x86-install cmake --install "$tmp/build-x86"
expect_output x86-installed-run 'consumer: ok \(3 records at 6\.\.8\)' \
    env -u LD_LIBRARY_PATH "$tmp/x86-installed/bin/consumer" "$tmp/log-x86"

step "x86_64 Linux: the versions and platforms find_package accepts"
IFS=. read -r major minor patch <<<"$version"
if [ "$major" = 0 ]; then next_breaking="0.$((minor + 1))"; else next_breaking=$((major + 1)); fi
version_check() { # version_check NAME accepted|refused WANT [CMAKE ARGS...]
    local name=$1 verdict=$2 want=$3
    shift 3
    if cmake -S "$consumer/version" -B "$tmp/v-$name" -DSEGMENTLOG_WANT="$want" "$@" \
            >"$logs/v-$name.log" 2>&1; then
        [ "$verdict" = accepted ] || fail "find_package(segmentlog $want) took $version: $(cat "$logs/v-$name.log")"
    else
        [ "$verdict" = refused ] || fail "find_package(segmentlog $want) refused $version: $(cat "$logs/v-$name.log")"
        grep -qF 'compatible with requested version' "$logs/v-$name.log" ||
            fail "find_package(segmentlog $want) failed otherwise than by version: $(cat "$logs/v-$name.log")"
    fi
}
version_check same-minor accepted "$major.$minor" -DCMAKE_PREFIX_PATH="$x86"
version_check exact accepted "$version" -DCMAKE_PREFIX_PATH="$x86"
version_check range accepted "$major.$minor...$next_breaking" -DCMAKE_PREFIX_PATH="$x86"
# While 0.x a minor version may break: asking for an older one is refused too (CMake's
# SameMajorVersion would take it).
if [ "$major" = 0 ] && [ "$minor" -gt 0 ]; then
    version_check older-minor refused "0.$((minor - 1))" -DCMAKE_PREFIX_PATH="$x86"
elif [ "$major" != 0 ]; then
    version_check older-major refused "$((major - 1))" -DCMAKE_PREFIX_PATH="$x86"
fi
version_check newer-patch refused "$major.$minor.$((patch + 1))" -DCMAKE_PREFIX_PATH="$x86"
version_check next-breaking refused "$next_breaking" -DCMAKE_PREFIX_PATH="$x86"
# An ARM64 package is no match for an x86_64 project, whatever the version.
version_check other-platform refused "$major.$minor" -DCMAKE_PREFIX_PATH="$arm_tree"
grep -qF "$version ($arm)" "$logs/v-other-platform.log" ||
    fail "find_package did not say the ARM64 package is for $arm: $(cat "$logs/v-other-platform.log")"

step "x86_64 Linux: the CLI"
expect_output x86-cli "^segmentlog $version\$" "$x86/bin/segmentlog" --version

step "x86_64 Linux: pkg-config with PKG_CONFIG_PATH only"
(
    export PKG_CONFIG_PATH="$x86/lib/pkgconfig"
    unset LD_LIBRARY_PATH
    [ "$(pkg-config --modversion segmentlog)" = "$version" ] || fail "pkg-config --modversion"
    src="$consumer/main.c"
    # shellcheck disable=SC2046 # word splitting of pkg-config's flags is intended
    run pc-no-rpath cc -std=c11 -Wall -Wextra -Werror -o "$tmp/pc-no-rpath" "$src" \
        $(pkg-config --cflags --libs segmentlog)
    # What a user meets without an rpath (ffi/README.md, "Finding the library at run time").
    if "$tmp/pc-no-rpath" "$tmp/log-pc" >"$logs/pc-no-rpath-run.log" 2>&1; then
        fail "a program linked without an rpath started: the loader found libsegmentlog.so.0 elsewhere"
    fi
    grep -qF 'libsegmentlog.so.0: cannot open shared object file' "$logs/pc-no-rpath-run.log" ||
        fail "unexpected failure: $(cat "$logs/pc-no-rpath-run.log")"
    expect_output pc-ld-library-path 'consumer: ok' env LD_LIBRARY_PATH="$x86/lib" \
        "$tmp/pc-no-rpath" "$tmp/log-pc"
    # shellcheck disable=SC2046
    run pc-rpath cc -std=c11 -Wall -Wextra -Werror -o "$tmp/pc-rpath" "$src" \
        $(pkg-config --cflags --libs segmentlog) \
        -Wl,-rpath,"$(pkg-config --variable=libdir segmentlog)"
    expect_output pc-rpath-run 'consumer: ok \(3 records at 3\.\.5\)' "$tmp/pc-rpath" "$tmp/log-pc"
    # shellcheck disable=SC2046
    run pc-static cc -std=c11 -Wall -Wextra -Werror -o "$tmp/pc-static" "$src" \
        $(pkg-config --cflags segmentlog) "$(pkg-config --variable=libdir segmentlog)/libsegmentlog.a" \
        $(pkg-config --static --libs-only-l segmentlog | sed 's/-lsegmentlog//')
    ! grep -q 'NEEDED *libsegmentlog' <<<"$(objdump -p "$tmp/pc-static")" || fail "pc-static is not static"
    expect_output pc-static-run 'consumer: ok \(3 records at 6\.\.8\)' "$tmp/pc-static" "$tmp/log-pc"
)

step "aarch64 Linux: CMake cross build, run under qemu-user"
cmake_build arm "$arm_tree" -DCMAKE_TOOLCHAIN_FILE="$consumer/aarch64-linux-gnu.cmake"
grep -qF AArch64 <<<"$(aarch64-linux-gnu-readelf -h "$tmp/build-arm/consumer")" || fail "arm/consumer is not ARM64"
expect_output arm-run 'consumer: ok \(3 records at 0\.\.2\)' \
    qemu-aarch64 -L "$ARM_SYSROOT" "$tmp/build-arm/consumer" "$tmp/log-arm"
expect_output arm-static 'consumer: ok \(3 records at 3\.\.5\)' \
    qemu-aarch64 -L "$ARM_SYSROOT" "$tmp/build-arm/consumer_static" "$tmp/log-arm"
expect_output arm-cli "^segmentlog $version\$" \
    qemu-aarch64 -L "$ARM_SYSROOT" "$arm_tree/bin/segmentlog" --version

step "x86_64 Windows: CMake cross build (mingw), run under wine"
cmake_build win "$win_tree" -DCMAKE_TOOLCHAIN_FILE="$consumer/x86_64-w64-mingw32.cmake"
[ -f "$tmp/build-win/segmentlog.dll" ] || fail "the CMake project did not copy segmentlog.dll beside consumer.exe"
(cd "$tmp/build-win" && expect_output win-run 'consumer: ok \(3 records at 0\.\.2\)' wine consumer.exe log)
(cd "$tmp/build-win" && expect_output win-static 'consumer: ok \(3 records at 3\.\.5\)' \
    wine consumer_static.exe log)
if grep -qi 'DLL Name: segmentlog.dll' \
        <<<"$(x86_64-w64-mingw32-objdump -p "$tmp/build-win/consumer_static.exe")"; then
    fail "consumer_static.exe imports segmentlog.dll: segmentlog::segmentlog_static is not static"
fi
expect_output win-cli "^segmentlog $version" wine "$win_tree/bin/segmentlog.exe" --version

step "x86_64 Windows: mingw gcc with pkg-config"
mkdir -p "$tmp/win-pc"
# shellcheck disable=SC2046
run win-pc-build x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -o "$tmp/win-pc/app.exe" \
    "$consumer/main.c" $(PKG_CONFIG_PATH="$win_tree/lib/pkgconfig" pkg-config --cflags --libs segmentlog)
if (cd "$tmp/win-pc" && wine app.exe log) >"$logs/win-pc-no-dll.log" 2>&1; then
    fail "app.exe started without segmentlog.dll beside it"
fi
cp "$win_tree/bin/segmentlog.dll" "$tmp/win-pc/"
(cd "$tmp/win-pc" && expect_output win-pc-run 'consumer: ok' wine app.exe log)

step "all archives passed ($(cd "$dist" && ls segmentlog-"$version"-*))"
