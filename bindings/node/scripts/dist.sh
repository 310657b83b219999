#!/usr/bin/env bash
# The npm release tarballs (`make dist-node`), napi-rs's layout: one package per platform,
# holding only its addon, and the main package `segmentlog`, holding no binary, which lists
# them as optionalDependencies at its own version (npm installs the one that fits):
#
#   segmentlog-linux-x64-gnu-VERSION.tgz     x86_64-unknown-linux-gnu, glibc >= 2.17
#   segmentlog-linux-arm64-gnu-VERSION.tgz   aarch64-unknown-linux-gnu, glibc >= 2.17
#   segmentlog-win32-x64-gnu-VERSION.tgz     x86_64-pc-windows-gnu (mingw)
#   segmentlog-VERSION.tgz                   the main package
#
# Steps, with the napi CLI of bindings/node/node_modules:
#   1. `napi build --profile dist` for every target of package.json's napi.targets, into
#      target/dist-node/artifacts/. The Linux addons go through cargo-zigbuild and zig (`-x`,
#      target `<triple>.2.17`): linked against glibc 2.17's symbols, they load on every glibc
#      Node 20 runs on (Node's own floor is 2.28), where the host's toolchain would need the
#      build machine's 2.34+. zig and cargo-zigbuild come from PyPI, pinned in
#      zig-requirements.txt, into target/node-zig/. Windows is built with mingw, linked against
#      a stub libnode.dll (see platforms/run `bindings`: the addon imports nothing from it).
#      The dist profile drops debug info and strips symbols; each addon is checked here (glibc
#      symbol versions, imported DLLs).
#   2. A staged copy of the package (target/dist-node/pkg/: package.json, the JS files, npm/,
#      and the repository's LICENSE-MIT and LICENSE-APACHE in each package) gets the addons
#      with `napi artifacts`, and its optionalDependencies with `napi pre-publish
#      --skip-optional-publish` (which also validates every platform package and publishes
#      nothing). The repository's own package.json never has them (scripts/prepack.js).
#   3. `npm pack` of each platform package and of the main package into OUT_DIR; their
#      `prepack` guards (npm/pack-guard.js, scripts/prepack.js) run.
#
# Usage: bindings/node/scripts/dist.sh OUT_DIR   (OUT_DIR is emptied first: it is ours alone)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: bindings/node/scripts/dist.sh OUT_DIR" >&2; exit 2; }
node_dir=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$node_dir/../.." && pwd)
out=$(realpath -m "$1")
CARGO=${CARGO:-cargo}
NPM=${NPM:-npm}
work="$root/target/dist-node"
logs="$work/logs"
cd "$node_dir"

who=bindings/node/scripts/dist.sh
# shellcheck source=mk/steps.sh
. "$root/mk/steps.sh"

[ -x node_modules/.bin/napi ] || die "the napi CLI is not installed: run \`make node-deps\` first"
version=$($CARGO pkgid -p segmentlog | sed 's/.*[@#]//')
pkg_version=$(node -p 'require("./package.json").version')
[ "$version" = "$pkg_version" ] ||
    die "bindings/node/package.json is version $pkg_version, the crates are $version: make them equal"
mapfile -t targets < <(node -p 'require("./package.json").napi.targets.join("\n")')

rm -rf "$work/artifacts" "$work/pkg" "$logs"
mkdir -p "$work/artifacts" "$logs"

# Rust targets and the mingw linker (idempotent; quick when all is there).
run setup "$root/platforms/run" setup

# zig + cargo-zigbuild for the Linux targets (reinstalled when the pins change).
zig_venv="$work/../node-zig"
zig_req="$node_dir/scripts/zig-requirements.txt"
if ! cmp -s "$zig_req" "$zig_venv/requirements.txt" 2>/dev/null; then
    rm -rf "$zig_venv"
    run zig-venv python3 -m venv "$zig_venv"
    run zig-pip "$zig_venv/bin/pip" install --disable-pip-version-check -r "$zig_req"
    cp "$zig_req" "$zig_venv/requirements.txt"
fi

libnode="$work/libnode"
mkdir -p "$libnode"
printf 'int segmentlog_unused(void) { return 0; }\n' >"$libnode/empty.c"
x86_64-w64-mingw32-gcc -shared -o "$libnode/libnode.dll" "$libnode/empty.c"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc

for t in "${targets[@]}"; do
    start=$SECONDS
    case "$t" in
        *-linux-gnu)
            # cargo-zigbuild finds zig through the venv's python (ziglang).
            run "build-$t" env PATH="$zig_venv/bin:$PATH" npx --no-install napi build --platform \
                --profile dist --no-js --cross-compile --target "$t.2.17" \
                --output-dir "$work/artifacts" ;;
        x86_64-pc-windows-gnu)
            run "build-$t" env LIBNODE_PATH="$libnode" npx --no-install napi build --platform \
                --profile dist --no-js --target "$t" --output-dir "$work/artifacts" ;;
        *) die "no recipe to build the addon for $t (package.json napi.targets)" ;;
    esac
    echo "dist-node: built the addon for $t ($((SECONDS - start)) s)"
done
rm -f "$work/artifacts/index.d.ts" # the committed one is packed (test-node keeps it current)

# Each addon: a library for its target with its symbols stripped; on Linux no glibc symbol newer
# than 2.17; on Windows no import of libnode.dll (node.exe provides Node-API, not a DLL of that
# name).
for f in "$work"/artifacts/*.node; do
    case "$f" in
        *.linux-*)
            glibc=$(objdump -T "$f" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
            [ "$(printf '%s\n2.17\n' "$glibc" | sort -V | tail -n 1)" = 2.17 ] ||
                die "$f needs glibc $glibc: it must need no more than 2.17"
            [ "$(objdump -t "$f" | grep -c '^[0-9a-f]')" -eq 0 ] || die "$f has a symbol table: not stripped"
            echo "dist-node: $(basename "$f"): glibc >= $glibc, stripped" ;;
        *.win32-*)
            if objdump -p "$f" | grep -qi 'DLL Name: libnode'; then
                die "$f imports libnode.dll, which node.exe does not provide"
            fi
            [ "$(objdump -t "$f" | grep -c '^\[')" -eq 0 ] || die "$f has a symbol table: not stripped"
            echo "dist-node: $(basename "$f"): imports no libnode.dll, stripped" ;;
    esac
done

# The staged package: what git tracks of the package and its npm/ directories, nothing built.
mkdir -p "$work/pkg"
git -C "$node_dir" ls-files -z -- package.json index.js index.mjs index.d.ts iter.js README.md \
    scripts/prepack.js npm | (cd "$node_dir" && xargs -0 cp --parents -t "$work/pkg")
[ -f "$work/pkg/npm/pack-guard.js" ] || die "npm/ is not committed: nothing to stage"
for dir in "$work/pkg" "$work"/pkg/npm/*/; do
    cp "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$dir"
done
run artifacts npx --no-install napi artifacts --cwd "$work/pkg" --output-dir ../artifacts --npm-dir npm
run pre-publish npx --no-install napi pre-publish --cwd "$work/pkg" --npm-dir npm --skip-optional-publish
node -e '
  const p = require(process.argv[1]), deps = p.optionalDependencies || {}
  const ok = Object.keys(deps).length === p.napi.targets.length && Object.values(deps).every((v) => v === p.version)
  if (!ok) { console.error("napi pre-publish left optionalDependencies", deps); process.exit(1) }
' "$work/pkg/package.json" || die "the staged package.json lacks its optionalDependencies"

rm -rf "$out"
mkdir -p "$out"
for dir in "$work"/pkg/npm/*/; do
    run "pack-$(basename "$dir")" sh -c 'cd "$1" && "$2" pack --pack-destination "$3"' sh "$dir" "$NPM" "$out"
done
run pack-main sh -c 'cd "$1" && "$2" pack --pack-destination "$3"' sh "$work/pkg" "$NPM" "$out"

echo "dist-node: $out"
for f in "$work"/artifacts/*.node "$out"/*.tgz; do
    printf '  %-44s %9d bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"
done | tee "$work/sizes.txt"
