# Shell helpers for the packaging scripts the make fragments call (bindings/python/packaging/,
# bindings/node/scripts/dist.sh, bindings/node/registry-test/run.sh). Before sourcing, set
# `who` (what messages start with) and `logs` (the directory each step's output goes to).

die() { echo "$who: $*" >&2; exit 1; }

# run NAME COMMAND...: runs it with its output in $logs/NAME.log, and shows the log's end if
# it fails.
run() {
    local log="$logs/$1.log"
    shift
    if ! "$@" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        die "failed: $* (whole output: $log)"
    fi
}

# step NAME COMMAND...: `run`, then says how long it took.
step() {
    local name=$1 start=$SECONDS
    run "$@"
    echo "$who: $name ($((SECONDS - start)) s)"
}
