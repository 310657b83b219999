# Sourced by build.sh and test.sh. Before sourcing, set `who` (the name messages start with)
# and `logs` (where each step's output goes).

die() { echo "$who: $*" >&2; exit 1; }

# step NAME COMMAND...: runs it with its output in $logs/NAME.log, and shows the log's end if
# it fails.
step() {
    local name=$1 start=$SECONDS
    shift
    if ! "$@" >"$logs/$name.log" 2>&1; then
        tail -n 40 "$logs/$name.log" >&2
        die "$name failed (whole log: $logs/$name.log)"
    fi
    echo "$who: $name ($((SECONDS - start)) s)"
}
