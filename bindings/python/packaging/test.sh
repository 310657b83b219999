#!/usr/bin/env bash
# Tests the Python release artifacts as users would get them (`make test-dist-python`):
#
#   1. check_artifacts.py: every wheel's tags and files; manylinux wheels pass `auditwheel
#      show` as manylinux_2_17 and need no glibc symbol version above 2.17 (and the same
#      check rejects TOO_NEW, a wheel built without zig); the musl wheels need nothing of
#      glibc; the Windows module imports python3.dll and system DLLs only; the sdist holds
#      the core crate; the metadata PyPI shows. `twine check --strict`: the page renders.
#   2. a local PyPI (pypiserver on 127.0.0.1, a free port, no fallback to pypi.org) receives
#      the sdist and the wheels by `twine upload`, as PyPI would;
#   3. in a fresh venv with no cargo or rustc on PATH, `pip install segmentlog` from that
#      index takes the manylinux2014 x86_64 wheel, and README.md's Python example runs;
#   4. in another fresh venv, `pip install --no-binary segmentlog segmentlog` from the same
#      index builds the sdist with Rust, and the example runs again.
#
# Usage: test.sh DIST_PY_DIR TOO_NEW_WHEEL   (environment: PY_DIST_VENV, default
#        target/dist-venv: maturin, auditwheel, pypiserver and twine, from requirements-dist.txt)
set -euo pipefail
dist=${1:?usage: test.sh DIST_PY_DIR TOO_NEW_WHEEL}
too_new=${2:?usage: test.sh DIST_PY_DIR TOO_NEW_WHEEL}
root=$(cd "$(dirname "$0")/../../.." && pwd)
here=$root/bindings/python/packaging
venv=${PY_DIST_VENV:-$root/target/dist-venv}
work=$root/target/dist-python/test
version=$(cd "$root" && cargo pkgid -p segmentlog | sed 's/.*[@#]//')
want_wheel=segmentlog-$version-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl
want_sdist=segmentlog-$version.tar.gz

who=test-dist-python
logs=$work
# shellcheck source=mk/steps.sh
. "$root/mk/steps.sh"
# installed_from REPORT FILE: pip's --report says it installed segmentlog from FILE.
installed_from() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
report, want = sys.argv[1], sys.argv[2]
items = [i for i in json.load(open(report))["install"] if i["metadata"]["name"] == "segmentlog"]
urls = [i["download_info"]["url"] for i in items]
if len(urls) != 1 or urls[0].rsplit("/", 1)[-1].split("#")[0] != want:
    sys.exit(f"pip installed segmentlog from {urls}, not {want}")
print(f"pip installed segmentlog from {urls[0]}")
EOF
}

[ -x "$venv/bin/pypi-server" ] || die "no pypi-server in $venv: run 'make test-dist-python'"
[ -d "$dist" ] || die "no $dist: run 'make dist-python'"
rm -rf "$work"
mkdir -p "$work/index"

echo "test-dist-python: checking $dist"
"$venv/bin/python" "$here/check_artifacts.py" "$dist" "$version" --too-new "$too_new"
step twine-check "$venv/bin/twine" check --strict "$dist"/*

# The index also serves maturin (the sdist's build backend, pinned as for dist-python), so
# that both installs ask nothing of pypi.org.
maturin_pin=$(grep -m1 '^maturin==' "$root/bindings/python/requirements-dist.txt")
step download-maturin python3 -m pip download --only-binary :all: --dest "$work/index" \
    "$maturin_pin"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
index=http://127.0.0.1:$port
"$venv/bin/pypi-server" run --host 127.0.0.1 --port "$port" -a . -P . --disable-fallback \
    "$work/index" >"$work/pypiserver.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    kill -0 "$server" 2>/dev/null || { cat "$work/pypiserver.log" >&2; die "pypiserver exited"; }
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
        "$index/health" 2>/dev/null && break
    sleep 0.2
done
echo "test-dist-python: pypiserver on $index (pid $server)"

step upload env PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring \
    "$venv/bin/twine" upload --non-interactive --disable-progress-bar \
    --repository-url "$index/" -u segmentlog -p unused "$dist"/*
listing=$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' \
    "$index/simple/segmentlog/")
for f in "$dist"/*; do
    grep -qF "$(basename "$f")" <<<"$listing" || die "the index does not list $(basename "$f")"
done
echo "test-dist-python: the index serves all $(find "$dist" -type f | wc -l) artifacts"

# 3. The wheel, with no Rust anywhere on PATH (as in test-python-wheel, mk/30-python.mk).
wv=$work/venv-wheel
python3 -m venv "$wv"
norust=(env -u CARGO_HOME -u RUSTUP_HOME PATH="$wv/bin:/usr/bin:/bin")
if "${norust[@]}" bash -c 'command -v cargo || command -v rustc'; then
    die "cargo or rustc is still on the PATH meant to have no Rust"
fi
step install-wheel "${norust[@]}" "$wv/bin/python" -m pip install --no-cache-dir \
    --index-url "$index/simple/" --report "$work/wheel-report.json" segmentlog
installed_from "$work/wheel-report.json" "$want_wheel"
(cd / && "${norust[@]}" "$wv/bin/python" -c 'import segmentlog, sys
if not segmentlog.__file__.startswith(sys.prefix):
    sys.exit(f"segmentlog imported from {segmentlog.__file__}, not the venv {sys.prefix}")
print(f"segmentlog {segmentlog.__version__} from {segmentlog.__file__}")')
"${norust[@]}" "$wv/bin/python" "$here/readme_python.py" "$root/README.md" "$wv/bin/python"

# 4. The sdist, built from source by pip (Rust on PATH), outside the repository.
sv=$work/venv-sdist
python3 -m venv "$sv"
step install-sdist env PATH="$sv/bin:$PATH" "$sv/bin/python" -m pip install --no-cache-dir \
    --no-binary segmentlog --index-url "$index/simple/" --report "$work/sdist-report.json" \
    segmentlog
installed_from "$work/sdist-report.json" "$want_sdist"
"$sv/bin/python" "$here/readme_python.py" "$root/README.md" "$sv/bin/python"

echo "test-dist-python: passed"
