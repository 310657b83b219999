# reliability: fault injection, power-loss simulation, corruption and fuzzing of the core
# (docs/RELIABILITY.md). The short forms run in `make test`; the long forms have their own
# targets:
#   make crash-test ROUNDS=1000   SIGKILL rounds per scenario (sync=always, sync=never, 4 threads x batches,
#                                 cursor commits)
#   make fuzz FUZZ_SECONDS=300    arbitrary directory contents, for a bounded time
#   make reliability-full         every fault point, every cut point, truncation at every byte
TEST_TARGETS += test-reliability test-reliability-c test-compressed-short test-write-paths

ROUNDS ?= 1000
FUZZ_SECONDS ?= 120
# corruption.rs, fuzz_dir.rs and crash_heavy.rs need no feature: `test-core` (cargo test -p
# segmentlog) already runs their short forms, so test-reliability runs only what needs the
# fault-injection feature.
REL_TESTS := --test faults --test powerloss --test cursor_powerloss --test truncation

REL_C_OUT := $(ROOT)/target/reliability
REL_C_SRC := $(ROOT)/tests/c/misuse/misuse.c

# The same suites with compression on (issue 20): every batch a frame. `common::base()` reads
# SEGMENTLOG_TEST_COMPRESSION, so the suites are the same code with another codec, not copies.
# COMPRESSION_CODECS=zstd for one codec.
COMPRESSION_CODECS ?= lz4 zstd
COMPRESSED_TESTS := --test corruption --test fuzz_dir --test crash --test crash_heavy \
	--test model --test log --test compression

.PHONY: test-reliability test-reliability-c crash-test fuzz reliability-full test-compressed \
	test-compressed-short
test-reliability:
	$(CARGO) test -p segmentlog --release --features fault-injection $(REL_TESTS) -- --nocapture

# In `make test`: one codec (the test binaries are those test-core and test-reliability built).
test-compressed-short:
	$(MAKE) --no-print-directory test-compressed COMPRESSION_CODECS=zstd

test-compressed:
	for c in $(COMPRESSION_CODECS); do \
	  echo "== SEGMENTLOG_TEST_COMPRESSION=$$c"; \
	  SEGMENTLOG_TEST_COMPRESSION=$$c $(CARGO) test -p segmentlog --release $(COMPRESSED_TESTS) && \
	  SEGMENTLOG_TEST_COMPRESSION=$$c $(CARGO) test -p segmentlog --release --features fault-injection \
	    $(REL_TESTS) || exit 1; \
	done

# The same suites on the write paths `auto` does not pick (Options::write_path): sync=always
# through the map, sync=never with one pwrite per append. `common::base()` reads
# SEGMENTLOG_TEST_WRITE_PATH. About 40 s.
WRITE_PATH_TESTS := --test crash --test log --test model --test compression
.PHONY: test-write-paths
test-write-paths:
	for p in map write; do \
	  echo "== SEGMENTLOG_TEST_WRITE_PATH=$$p"; \
	  SEGMENTLOG_TEST_WRITE_PATH=$$p $(CARGO) test -p segmentlog --release $(WRITE_PATH_TESTS) && \
	  SEGMENTLOG_TEST_WRITE_PATH=$$p $(CARGO) test -p segmentlog --release --features fault-injection \
	    $(REL_TESTS) || exit 1; \
	done

crash-test:
	CRASH_ROUNDS=$(ROUNDS) CURSOR_CRASH_ROUNDS=$(ROUNDS) $(CARGO) test -p segmentlog --release \
	  --test crash --test crash_heavy --test cursor_crash -- --nocapture --test-threads=1

fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) PROPTEST_CASES=512 $(CARGO) test -p segmentlog --release \
	  --test fuzz_dir -- --nocapture

reliability-full:
	FAULT_SAMPLES=0 POWERLOSS_CUTS=0 CORRUPTION_FULL=1 $(CARGO) test -p segmentlog --release \
	  --features fault-injection --test faults --test powerloss --test cursor_powerloss --test truncation --test corruption \
	  -- --nocapture

# C misuse beyond NULLs (tests/c/misuse/misuse.c): plain, under valgrind, under ASan+UBSan.
# Uses the staged library of mk/20-ffi.mk.
test-reliability-c: ffi-stage
	mkdir -p "$(REL_C_OUT)"
	$(FFI_CC) $(FFI_CFLAGS) -I$(FFI_STAGE)/include -o $(REL_C_OUT)/misuse $(REL_C_SRC) $(FFI_LINK)
	$(REL_C_OUT)/misuse
	$(FFI_VALGRIND) $(REL_C_OUT)/misuse
	$(FFI_CC) $(FFI_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer -I$(FFI_STAGE)/include -o $(REL_C_OUT)/misuse-asan $(REL_C_SRC) \
		$(FFI_LINK)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		$(REL_C_OUT)/misuse-asan
