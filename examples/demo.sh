#!/usr/bin/env bash
# `make demo`: one log, every language, one story. Run by the Makefile after it has built
# every part; MAKE_STEP runs one make target (a step of DEMO_STEPS).
#   C appends, C++ reads; Python reads and appends while Node tails it live from another
#   process; Node appends and tails its own; Rust iterates over everything; the CLI sums up.
set -euo pipefail
dir="${DEMO_DIR:?DEMO_DIR is not set}"
step() { echo; echo "=== $1"; make --no-print-directory "$2"; }
has() { [[ " ${DEMO_STEPS} " == *" $1 "* ]]; }

# Build first, so the live tail below does not wait on a compiler.
has demo-python && make --no-print-directory python-develop
has demo-node && make --no-print-directory node-build

has demo-c && step "C appends through libsegmentlog.so" demo-c
has demo-cpp && step "C++ reads it back (RAII handle)" demo-cpp

tail_pid=""
if has demo-node && has demo-python; then
  echo; echo "=== Node follows the log live from another process (read-only)"
  tail_out="$(mktemp)"
  node "${ROOT}/examples/node/tail.js" "$dir" 5 600000 >"$tail_out" 2>&1 &
  tail_pid=$!
  for _ in $(seq 200); do grep -q "following" "$tail_out" && break; sleep 0.05; done
  cat "$tail_out"
fi
has demo-python && step "Python reads what C wrote and appends" demo-python
if [ -n "$tail_pid" ]; then
  echo; echo "=== what the Node tail saw while Python appended"
  # Python has appended by now: the tail gets a few seconds to print, no more.
  for _ in $(seq 100); do kill -0 "$tail_pid" 2>/dev/null || break; sleep 0.1; done
  kill "$tail_pid" 2>/dev/null || true
  status=0
  wait "$tail_pid" || status=$?
  tail -n +2 "$tail_out"
  rm -f "$tail_out"
  [ "$status" = 0 ] || { echo "node tail failed"; exit 1; }
fi
has demo-node && step "Node appends, reads and tails (for await)" demo-node
has demo-rust && step "Rust reopens, iterates over everything and tails" demo-rust
has demo-cli && step "the segmentlog CLI sums it up" demo-cli
for extra in ${DEMO_STEPS}; do
  case " demo-c demo-cpp demo-python demo-node demo-rust demo-cli " in
    *" $extra "*) ;;
    *) step "$extra" "$extra" ;;
  esac
done
echo
echo "make demo: every language wrote to and read from one log: $dir"
