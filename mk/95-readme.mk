# README: its C, Python and Node examples run exactly as written (tests/readme/run.py); its Rust
# example is a doc-test of the core crate (run by test-core).
TEST_TARGETS += test-readme

.PHONY: test-readme
test-readme: ffi-stage python-develop node-build
	CC="$(FFI_CC)" CFLAGS_STAGE="-I$(FFI_STAGE)/include $(FFI_LINK)" PYTHON="$(PY)" \
	  NODE="$(NODE)" python3 $(ROOT)/tests/readme/run.py $(ROOT)/README.md $(ROOT)
