#!/usr/bin/env bash
# The crates a Rust user would depend on can be published, and what a user gets works:
#   1. `cargo publish --dry-run` of every publishable crate of the workspace (segmentlog,
#      segmentlog-cli, segmentlog-openraft), in dependency order; cargo packages each one and
#      builds it from its package alone, the workspace's unpublished crates resolved locally;
#   2. the README's Rust examples, taken from the README inside the packaged segmentlog crate (what
#      crates.io shows), run in a scratch project that depends on `segmentlog` by its published
#      name, patched to the unpacked package (a path override: nothing is published).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
CARGO=${CARGO:-cargo}
target=${CARGO_TARGET_DIR:-$root/target}
version=$($CARGO pkgid -p segmentlog | sed 's/.*[@#]//')
work="$target/dist-crates"
# target/package too: cargo treats the workspace's crates packaged there as registry crates of
# the same version and would verify against a build of an older package.
rm -rf "$work" "$target/package"
mkdir -p "$work"
# Likewise cargo unpacks each package it verifies into $CARGO_HOME/registry/src/<index>/ once per
# name and version: a second run would build the first run's sources. (Removing them costs at
# most a re-extraction.)
cargo_home=${CARGO_HOME:-$HOME/.cargo}
for crate in segmentlog segmentlog-cli segmentlog-openraft; do
    rm -rf "$cargo_home"/registry/src/*/"$crate-$version"
done
# And the verify builds go to $target/debug, where cargo takes a registry crate's build as fresh
# by its name, version and registry alone (registry sources never change, it assumes): a build of
# an older package of the same version would be linked in. Their fingerprints go, so each of the
# three crates is built again (seconds; the dependencies stay).
for crate in segmentlog segmentlog_cli segmentlog_openraft segmentlog-cli segmentlog-openraft; do
    rm -rf "$target"/debug/.fingerprint/"$crate"-*
done

echo "== cargo publish --dry-run --workspace"
# --allow-dirty: the dry run checks what would be packaged, not whether it is committed (CI's
# clone is clean anyway; build output is ignored by git).
$CARGO publish --dry-run --workspace --allow-dirty >"$work/publish.log" 2>&1 || {
    cat "$work/publish.log" >&2
    echo "cargo publish --dry-run failed (log above)" >&2
    exit 1
}
grep -E '^ *(Packag|Verifying)' "$work/publish.log" || true
# The dry run keeps its packages in a scratch place; `cargo package` writes them where cargo
# documents them, target/package/NAME-VERSION.crate.
$CARGO package -p segmentlog -p segmentlog-cli -p segmentlog-openraft --no-verify --allow-dirty -q
for crate in segmentlog segmentlog-cli segmentlog-openraft; do
    pkg="$target/package/$crate-$version.crate"
    [ -f "$pkg" ] || { echo "no package $pkg: $crate was not packaged" >&2; exit 1; }
    size=$(stat -c %s "$pkg")
    # crates.io refuses crates over 10 MiB.
    [ "$size" -lt $((10 * 1024 * 1024)) ] || { echo "$pkg is $size bytes (> 10 MiB)" >&2; exit 1; }
    # The licence texts the manifest's `license` names (symlinks to the repository's).
    tar -tzf "$pkg" >"$work/$crate.files"
    for text in LICENSE-MIT LICENSE-APACHE; do
        grep -qx "$crate-$version/$text" "$work/$crate.files" ||
            { echo "$pkg lacks $text" >&2; exit 1; }
    done
    echo "$crate-$version.crate: $size bytes"
done

echo "== the README's Rust example against the packaged crate"
tar -xzf "$target/package/segmentlog-$version.crate" -C "$work"
app="$work/readme-app"
mkdir -p "$app/src"
cat >"$app/Cargo.toml" <<TOML
[package]
name = "readme-app"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
segmentlog = "${version%.*}"

[patch.crates-io]
segmentlog = { path = "../segmentlog-$version" }

[workspace]
TOML
# Each rust block is a program of its own: the first is src/main.rs, the rest src/bin/readmeN.rs.
python3 - "$work/segmentlog-$version/README.md" "$app/src" <<'PY'
import os, re, sys
readme = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r"^```rust\n(.*?)^```", readme, re.S | re.M)
if not blocks:
    sys.exit("no rust block in the packaged README")
os.makedirs(os.path.join(sys.argv[2], "bin"))
for i, code in enumerate(blocks, start=1):
    name = "main.rs" if i == 1 else os.path.join("bin", f"readme{i}.rs")
    open(os.path.join(sys.argv[2], name), "w", encoding="utf-8").write(code)
PY
# Its own target dir: the examples must build from the package, not from the workspace's output.
for bin in readme-app $(cd "$app/src/bin" && ls | sed 's/\.rs$//'); do
    (cd "$app" && CARGO_TARGET_DIR="$work/readme-target" $CARGO run -q --bin "$bin" \
        >"$work/$bin.out" 2>&1) || {
        cat "$work/$bin.out" >&2
        echo "the README's Rust example $bin failed against the packaged crate" >&2
        exit 1
    }
    echo "README example $bin ran"
done
# The first example prints its first record: "hello" (as bytes) at offset 0; the consumer
# example prints it as offset: bytes.
grep -q '^0 @[0-9]*ms: \[104, 101, 108, 108, 111\]$' "$work/readme-app.out" ||
    { cat "$work/readme-app.out" >&2; echo "the example did not print its first record" >&2; exit 1; }
for out in "$work"/readme[0-9]*.out; do
    [ -e "$out" ] || continue
    grep -q '^0: \[104, 101, 108, 108, 111\]$' "$out" ||
        { cat "$out" >&2; echo "$(basename "$out" .out) did not print its record" >&2; exit 1; }
done
grep -A2 'name = "segmentlog"' "$app/Cargo.lock" | grep -q "version = \"$version\"" ||
    { echo "the scratch project did not resolve segmentlog $version" >&2; exit 1; }
echo "crates: publish dry run and README example passed"
