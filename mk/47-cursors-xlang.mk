# The cross-language cursor test of issue 19 (tests/cursors-xlang/run.py): a Python producer, a
# Node consumer and a C consumer with their own cursors on one log, each killed with SIGKILL at
# random moments over ROUNDS rounds, then run to the end; every record processed at least once,
# none below a consumer's committed position, at most the commit interval processed again per
# restart. `make test-cursors-xlang CURSORS_XLANG_ROUNDS=500 SEED=...` for a longer or a
# repeated run (the seed is printed).
TEST_TARGETS += test-cursors-xlang

CURSORS_XLANG_C := $(FFI_OUT)/cursor-consumer
CURSORS_XLANG_ROUNDS ?= 70

.PHONY: test-cursors-xlang

$(CURSORS_XLANG_C): ffi-stage $(ROOT)/tests/cursors-xlang/consumer.c
	$(FFI_CC) $(FFI_CFLAGS) -I$(FFI_STAGE)/include -o $@ $(ROOT)/tests/cursors-xlang/consumer.c \
		$(FFI_LINK)

test-cursors-xlang: $(CURSORS_XLANG_C) python-develop node-build
	PYTHON="$(PY)" NODE="$(NODE)" C_CONSUMER="$(CURSORS_XLANG_C)" \
	  ROUNDS="$(CURSORS_XLANG_ROUNDS)" SEED="$(SEED)" \
	  python3 $(ROOT)/tests/cursors-xlang/run.py $(ROOT) $(ROOT)/target/cursors-xlang
