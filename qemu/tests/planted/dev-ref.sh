# Planted bug (make test PLANT=dev-ref): rplant keeps a reference on a dummy device, so
# deleting it waits in netdev_wait_allrefs_any, which logs "unregister_netdevice: waiting
# for d0 to become free" every 10 s. The reference is then released and the device
# goes; the test passes, and the harness must fail it on the log line.
. "$(dirname "$0")/../../guest/testlib.sh"
modprobe rplant || fail "modprobe rplant"
modprobe dummy || fail "modprobe dummy"
ip link add name d0 type dummy || fail "ip link add d0 type dummy"
echo "hold d0" >/proc/net/rplant || fail "rplant refused hold"
mark_dmesg
ip link del d0 &
del=$!
wait_for "the kernel to report the held reference" 60 sh -c 'dmesg | grep -q "unregister_netdevice: waiting for d0"'
echo release >/proc/net/rplant
wait $del || fail "ip link del d0"
rmmod rplant
note "a device reference was held across its deletion: the harness must report it"
