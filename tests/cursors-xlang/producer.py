"""The producer of the cross-language cursor test: appends "rec-{offset}" until the log holds
N records, resuming after a SIGKILL from the log's own next offset. Usage: producer.py DIR N"""

import sys
import time

import segmentlog

directory, total = sys.argv[1], int(sys.argv[2])
with segmentlog.open(directory, max_segment_bytes=64 * 1024) as log:
    while (next_offset := log.next_offset) < total:
        log.append(b"rec-%d" % next_offset)
        if next_offset % 2 == 0:
            time.sleep(0.001)  # leave the consumers something to wait for
