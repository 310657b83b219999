# openraft integration (package `segmentlog-openraft`): openraft's log storage on segmentlog.
TEST_TARGETS += test-openraft test-openraft-010
DEMO_STEPS += demo-raft
BENCH_TARGETS += bench-openraft bench-openraft-010

.PHONY: test-openraft demo-raft bench-openraft
# openraft's storage suite, the 3-node cluster tests, the SIGKILL crash test, store tests.
test-openraft:
	$(CARGO) test -p segmentlog-openraft --release

# A replicated key-value store on 3 in-process nodes (its own directory beside the demo log).
demo-raft:
	rm -rf "$(DEMO_DIR)-raft"
	$(CARGO) run --release -q -p segmentlog-openraft --example raft_kv -- "$(DEMO_DIR)-raft"

# Client writes/s of a 3-node cluster on segmentlog, on a redb log store (built only here) and on
# an in-memory log store, with our store's counters (BENCH_QUICK=1: short; BENCH_RUNS=n runs each).
bench-openraft:
	$(CARGO) bench -p segmentlog-openraft --features bench-redb --bench cluster

# openraft 0.10 (an alpha; cargo feature `openraft-010`): its own storage conformance suite, the
# 3-node cluster tests and the durability tests of 0.9 (power cut under the store, a leader that
# loses its page cache, SIGKILL) on `v010::LogStore` (builds a second openraft: about 2 minutes of
# `make test`, worth it so that the feature cannot rot unbuilt).
.PHONY: test-openraft-010 bench-openraft-010
test-openraft-010:
	$(CARGO) test -p segmentlog-openraft --release --features openraft-010 --test suite_010 \
		--test cluster_010 --test powercut_010 --test cluster_powercut_010 --test crash_010

# Client writes/s of the 3-node cluster on openraft 0.10, one entry per write, on segmentlog, on a
# redb log store (built only here) and on an in-memory log store, with our store's counters.
bench-openraft-010:
	$(CARGO) bench -p segmentlog-openraft --features openraft-010,bench-redb --bench cluster_010
