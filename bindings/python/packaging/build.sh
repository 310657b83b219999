#!/usr/bin/env bash
# Builds the Python release artifacts into OUT (`make dist-python` passes dist/python):
#
#   segmentlog-V.tar.gz                                          sdist (builds with Rust + pip)
#   segmentlog-V-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl    glibc >= 2.17
#   segmentlog-V-cp39-abi3-manylinux2014_aarch64.manylinux_2_17_aarch64.whl  glibc >= 2.17
#   segmentlog-V-cp39-abi3-musllinux_1_2_x86_64.whl                          musl >= 1.2
#   segmentlog-V-cp39-abi3-musllinux_1_2_aarch64.whl                         musl >= 1.2
#   segmentlog-V-cp39-abi3-win_amd64.whl                                     Windows x86_64
#
# Linux wheels are linked by zig (maturin --zig, ziglang pinned in requirements-dist.txt)
# against glibc 2.17's or musl's symbols, so they load on systems far older than this one.
# The Windows wheel is linked by mingw, against the python3.dll import library that build.rs
# writes into PYO3_CROSS_LIB_DIR (zig cannot link it: it does not take the module's .def).
# Every wheel is built with the cargo profile `dist` and stripped. macOS cannot be linked here.
#
# Usage: build.sh OUT   (environment: PY_DIST_VENV, the venv with maturin and ziglang;
#                        default target/dist-venv, which `make dist-python` installs)
set -euo pipefail
out=${1:?usage: build.sh OUT}
root=$(cd "$(dirname "$0")/../../.." && pwd)
venv=${PY_DIST_VENV:-$root/target/dist-venv}
work=$root/target/dist-python
logs=$work/logs

LINUX_TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu
               x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
WIN=x86_64-pc-windows-gnu

who=dist-python
# shellcheck source=mk/steps.sh
. "$root/mk/steps.sh"

[ -x "$venv/bin/maturin" ] ||
    die "no maturin in $venv: run 'make dist-python' (it installs requirements-dist.txt there)"
"$venv/bin/python" -m ziglang version >/dev/null 2>&1 ||
    die "no zig in $venv (pip package ziglang): run 'make dist-python'"

# The Rust targets (rustup downloads them) and mingw for the Windows wheel (Debian's
# gcc-mingw-w64-x86-64, also installed by platforms/run setup).
missing=()
installed=$(rustup target list --installed)
for t in "${LINUX_TARGETS[@]}" "$WIN"; do
    grep -qx "$t" <<<"$installed" || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "dist-python: rustup target add ${missing[*]}"
    rustup target add "${missing[@]}" >/dev/null
fi
if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
    echo "dist-python: apt-get install gcc-mingw-w64-x86-64 (the linker of the Windows wheel)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq gcc-mingw-w64-x86-64 >/dev/null
fi

rm -rf "$out.partial" "$logs"
mkdir -p "$out.partial" "$logs" "$work/python3-dll"

# maturin finds zig as `python3 -m ziglang` on PATH.
export PATH="$venv/bin:$PATH"
# Reproducible artifacts: maturin dates the files in the archives and the wheel's SBOM by
# SOURCE_DATE_EPOCH (else by the clock), here the time of the last commit. So a rebuild of the
# same commit (`make test-dist` after `make dist`) gives the same bytes as the SHA256SUMS.
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct)
    export SOURCE_DATE_EPOCH
fi
cd "$root/bindings/python"


step sdist maturin sdist --out "$out.partial"
for t in "${LINUX_TARGETS[@]}"; do
    case $t in
        *-gnu) compat=manylinux2014 ;;
        *-musl) compat=musllinux_1_2 ;;
    esac
    step "$t" maturin build --locked --profile dist --strip --zig --compatibility "$compat" \
        --target "$t" --out "$out.partial"
done
# The linker would stamp the DLL with the time of linking: no timestamp, so that it is
# reproducible too.
step "$WIN" env PYO3_CROSS_LIB_DIR="$work/python3-dll" \
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
    maturin build --locked --profile dist --strip --target "$WIN" --out "$out.partial" \
    -- -C link-arg=-Wl,--no-insert-timestamp

rm -rf "$out"
mv "$out.partial" "$out"
echo "dist-python: into $out:"
find "$out" -type f -printf '  %9s  %f\n' | sort -k2
