# reliability: fault injection, power-loss simulation, corruption and fuzzing of the core
# (docs/RELIABILITY.md). The short forms run in `make test`; the long forms have their own
# targets:
#   make crash-test ROUNDS=1000   SIGKILL rounds per scenario (sync=always, sync=never, 4 threads x batches)
#   make fuzz FUZZ_SECONDS=300    arbitrary directory contents, for a bounded time
#   make reliability-full         every fault point, every cut point, truncation at every byte
TEST_TARGETS += test-reliability

ROUNDS ?= 1000
FUZZ_SECONDS ?= 120
REL_TESTS := --test faults --test powerloss --test corruption --test fuzz_dir --test crash_heavy

.PHONY: test-reliability crash-test fuzz reliability-full
test-reliability:
	$(CARGO) test -p commitlog --release --features fault-injection $(REL_TESTS) -- --nocapture

crash-test:
	CRASH_ROUNDS=$(ROUNDS) $(CARGO) test -p commitlog --release --test crash --test crash_heavy \
	  -- --nocapture --test-threads=1

fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) PROPTEST_CASES=512 $(CARGO) test -p commitlog --release \
	  --test fuzz_dir -- --nocapture

reliability-full:
	FAULT_SAMPLES=0 POWERLOSS_CUTS=0 CORRUPTION_FULL=1 $(CARGO) test -p commitlog --release \
	  --features fault-injection --test faults --test powerloss --test corruption -- --nocapture
