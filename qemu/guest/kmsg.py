#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# In the guest: copy every kernel log record, from the oldest still in the ring on, to
# a file, one line each ("<seq> <text>"), as it is written. The test harness reads that
# file instead of `dmesg`, so a ring that wraps during a noisy test loses nothing; if
# records are overwritten before this reader gets to them (the kernel says so with
# EPIPE), a line saying how many goes into the file in their place, and the harness
# fails the run on it. A mark the harness writes ("netdive-mark <what> <digits>") is
# answered with its line number and text in <file>.marks/<digits>, so the harness waits
# for the file instead of searching the log.
import errno
import os
import sys

out = open(sys.argv[1], "a", buffering=1)
marks = sys.argv[1] + ".marks"
os.makedirs(marks, exist_ok=True)
lines = 0
fd = os.open("/dev/kmsg", os.O_RDONLY)
last = None
while True:
    try:
        rec = os.read(fd, 16384)
    except OSError as e:
        if e.errno == errno.EPIPE:
            continue  # the next read returns the oldest record left; the gap shows there
        raise
    head, _, body = rec.decode("utf-8", "replace").partition(";")
    fields = head.split(",")
    try:
        seq = int(fields[1])
    except (IndexError, ValueError):
        continue
    if last is not None and seq > last + 1:
        out.write(f"{seq} netdive: kernel log records lost: {seq - last - 1} overwritten before they were read\n")
        lines += 1
    last = seq
    # The first line is the message; continuation lines (" KEY=value") are metadata.
    text = body.split("\n", 1)[0]
    out.write(f"{seq} {text}\n")
    lines += 1
    mark_id = text.rsplit(" ", 1)[-1]
    if text.startswith("netdive-mark ") and mark_id.isdigit():
        tmp = f"{marks}/.{lines}"
        with open(tmp, "w") as m:
            m.write(f"{lines} {text}\n")
        os.rename(tmp, f"{marks}/{mark_id}")
