# python: the PyO3 module `segmentlog` (crate `segmentlog-python` in bindings/python, built by maturin).
#
# Everything runs in a venv that make creates (target/venv) with the pinned tools of
# bindings/python/requirements-dev.txt. `maturin develop --release` (not debug: debug and
# `cargo` builds would keep rebuilding pyo3, TOOLCHAIN.md pitfall 2) installs the module into it.
TEST_TARGETS += test-python
DEMO_STEPS += demo-python
BENCH_TARGETS += bench-python

PY_DIR := $(ROOT)/bindings/python
PY_VENV := $(ROOT)/target/venv
PY := $(PY_VENV)/bin/python
PY_STAMP := $(PY_VENV)/.requirements-installed
PY_WHEEL_VENV := $(ROOT)/target/wheel-venv

.PHONY: python-venv python-develop test-python test-python-wheel demo-python bench-python wheel

$(PY_STAMP): $(PY_DIR)/requirements-dev.txt
	python3 -m venv "$(PY_VENV)"
	"$(PY)" -m pip install --quiet -r "$(PY_DIR)/requirements-dev.txt"
	touch "$@"

python-venv: $(PY_STAMP)

python-develop: $(PY_STAMP)
	cd "$(PY_DIR)" && VIRTUAL_ENV="$(PY_VENV)" PATH="$(PY_VENV)/bin:$$PATH" \
	  maturin develop --release --quiet

# The pytest suite; the stubs checked against the built module (stubtest) and used by mypy
# --strict over the examples and tests; then the wheel in a venv of its own.
# The C side of the cross-language fixture comes from the ffi's fragment (20-ffi.mk).
PY_C_XLANG := $(if $(FFI_OUT),$(FFI_OUT)/xlang)

test-python: python-develop $(PY_C_XLANG)
	cd "$(PY_DIR)" && SEGMENTLOG_C_XLANG="$(PY_C_XLANG)" "$(PY)" -m pytest -q
	cd "$(PY_DIR)" && "$(PY)" -m mypy.stubtest segmentlog._segmentlog
	cd "$(ROOT)" && "$(PY_VENV)/bin/mypy" --strict examples/python bindings/python/tests
	$(MAKE) --no-print-directory test-python-wheel

demo-python: python-develop
	"$(PY)" "$(ROOT)/examples/python/demo.py" "$(DEMO_DIR)"

bench-python: python-develop
	"$(PY)" "$(PY_DIR)/bench/bench.py"

# An abi3 wheel (one wheel for CPython 3.9+) for this machine into target/wheel/: linked
# against this machine's glibc (manylinux_2_34 on Debian 12), so not one to release; the
# release wheels come from `make dist-python`.
PY_DEV_WHEEL_DIR := $(ROOT)/target/wheel

wheel: $(PY_STAMP)
	rm -rf "$(PY_DEV_WHEEL_DIR)"
	cd "$(PY_DIR)" && "$(PY_VENV)/bin/maturin" build --release --quiet --interpreter "$(PY)" --out "$(PY_DEV_WHEEL_DIR)"

# The wheel must install and work in a fresh venv where no Rust toolchain is on PATH.
test-python-wheel: wheel
	rm -rf "$(PY_WHEEL_VENV)"
	python3 -m venv "$(PY_WHEEL_VENV)"
	env -u CARGO_HOME -u RUSTUP_HOME PATH="$(PY_WHEEL_VENV)/bin:/usr/bin:/bin" sh -c '\
	  ! command -v cargo >/dev/null && ! command -v rustc >/dev/null && \
	  python -m pip install --quiet --no-index --only-binary :all: "$(PY_DEV_WHEEL_DIR)"/segmentlog-*-abi3-*.whl && \
	  cd / && python "$(PY_DIR)/tests/wheel_smoke.py"'

# Release artifacts (mk/85-dist.mk): the sdist and abi3 wheels for Linux x86_64 and aarch64
# (manylinux2014 and musllinux_1_2, linked by zig) and Windows x86_64 (mingw), built with the
# `dist` profile into dist/python/ by bindings/python/packaging/build.sh. The tools (maturin,
# ziglang, auditwheel, pypiserver, twine) live in a venv of their own, so that `make test`
# needs no zig.
DIST_TARGETS += dist-python
TEST_DIST_TARGETS += test-dist-python

PY_DIST_VENV := $(ROOT)/target/dist-venv
PY_DIST_STAMP := $(PY_DIST_VENV)/.requirements-installed
# `=`, not `:=`: DIST_DIR comes from mk/85-dist.mk, included after this file.
PY_DIST_OUT = $(DIST_DIR)/python
export PY_DIST_VENV

.PHONY: dist-python test-dist-python

$(PY_DIST_STAMP): $(PY_DIR)/requirements-dist.txt
	python3 -m venv "$(PY_DIST_VENV)"
	"$(PY_DIST_VENV)/bin/python" -m pip install --quiet -r "$(PY_DIR)/requirements-dist.txt"
	touch "$@"

dist-python: $(PY_DIST_STAMP)
	"$(PY_DIR)/packaging/build.sh" "$(PY_DIST_OUT)"

# Checks every artifact, serves them from a local pypiserver and installs from it as users
# would (packaging/test.sh). The wheel of `make wheel`, linked against this machine's glibc,
# shows that the glibc check can fail.
test-dist-python: dist-python wheel
	"$(PY_DIR)/packaging/test.sh" "$(PY_DIST_OUT)" "$$(ls "$(PY_DEV_WHEEL_DIR)"/segmentlog-*-abi3-*.whl)"
