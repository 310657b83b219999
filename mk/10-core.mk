# core: the Rust engine (package `segmentlog`).
TEST_TARGETS += test-core
DEMO_STEPS += demo-rust
BENCH_TARGETS += bench-core

.PHONY: test-core demo-rust bench-core
test-core:
	$(CARGO) test -p segmentlog --release

demo-rust:
	$(CARGO) run --release -q -p segmentlog --example demo -- "$(DEMO_DIR)"

bench-core:
	$(CARGO) bench -p segmentlog
