# core: the Rust engine (package `commitlog`).
TEST_TARGETS += test-core
DEMO_STEPS += demo-rust
BENCH_TARGETS += bench-core

.PHONY: test-core demo-rust bench-core
test-core:
	$(CARGO) test -p commitlog --release

demo-rust:
	$(CARGO) run --release -q -p commitlog --example demo -- "$(DEMO_DIR)"

bench-core:
	$(CARGO) bench -p commitlog
