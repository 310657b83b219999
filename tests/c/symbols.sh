#!/usr/bin/env bash
# Checks the shared library's ABI surface: its soname is libsegmentlog.so.0, and the symbols it
# exports are exactly the functions the header declares (all segmentlog_*), nothing else.
# Usage: tests/c/symbols.sh path/to/libsegmentlog.so include/segmentlog.h
set -euo pipefail
lib=$1
header=$2
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
if [ "$soname" != "libsegmentlog.so.0" ]; then
    echo "symbols: soname is '$soname', want libsegmentlog.so.0" >&2
    exit 1
fi
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort -u)
declared=$(grep -oE '\bsegmentlog_[a-z_]+\(' "$header" | tr -d '(' | sort -u)
stray=$(grep -v '^segmentlog_' <<<"$exported" || true)
if [ -n "$stray" ]; then
    echo "symbols: exported symbols outside the segmentlog_ namespace:" >&2
    echo "$stray" >&2
    exit 1
fi
if [ "$exported" != "$declared" ]; then
    echo "symbols: exported and declared functions differ (< exported, > declared):" >&2
    diff <(echo "$exported") <(echo "$declared") >&2 || true
    exit 1
fi
echo "symbols: soname $soname; exports exactly the $(wc -l <<<"$exported") functions of the header"
