# bench: the umbrella of `make bench`, run after every other bench (fragments are included in
# name order): collects bench/results/*.json (one file per suite, schema in bench/README.md)
# into bench/results/summary.md and renders bench/results/chart.png with matplotlib, in a venv
# that make creates (target/bench-venv).
BENCH_TARGETS += bench-report

BENCH_VENV := $(ROOT)/target/bench-venv
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.requirements-installed

.PHONY: bench-report

$(BENCH_STAMP): $(ROOT)/bench/requirements.txt
	python3 -m venv "$(BENCH_VENV)"
	"$(BENCH_PY)" -m pip install --quiet -r "$(ROOT)/bench/requirements.txt"
	touch "$@"

bench-report: $(BENCH_STAMP)
	"$(BENCH_PY)" "$(ROOT)/bench/report.py" "$(ROOT)/bench/results"
