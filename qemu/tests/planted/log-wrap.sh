# Planted bug (make test PLANT=log-wrap): 1.4 MB of log lines, more than the kernel's log
# ring holds (log_buf_len=1M), then a kernel warning. Counting dmesg lines misses what
# comes after the ring wrapped; the harness reads every record by sequence number and
# must fail this test on the WARNING.
. "$(dirname "$0")/../../guest/testlib.sh"
modprobe rplant || fail "modprobe rplant"
[ "$(sysctl -n kernel.printk_devkmsg)" = on ] || fail "user lines to /dev/kmsg are rate limited: the ring would not wrap"
python3 - <<'PY' || fail "writing to /dev/kmsg"
fd = open("/dev/kmsg", "w", buffering=1)
for i in range(16000):
    fd.write(f"netdive log-wrap filler {i:06d} " + "." * 60 + "\n")
PY
dmesg | grep -q "Linux version" && fail "the log ring did not wrap (the boot's first line is still there)"
note "ok: the ring wrapped: dmesg starts at '$(dmesg | head -n 1 | cut -c1-60)'"
echo warn >/proc/net/rplant || fail "rplant refused warn"
rmmod rplant
note "the log ring wrapped, then a WARNING: the harness must report it"
