# samples/netdevs.rs walks init_net's device list under RCU; what it prints must be
# exactly what the kernel reports through netlink (ip link), index, name and MTU.
. "$(dirname "$0")/../guest/testlib.sh"

unload netdevs
modprobe dummy || fail "modprobe dummy"
ip link add name nd-dummy0 type dummy || fail "cannot create a dummy device"
ip link set nd-dummy0 mtu 1280 up

mark_dmesg
modprobe netdevs || fail "modprobe netdevs failed"
printed=$(dmesg_since_mark | sed -n 's/.*netdevs: \([0-9]\+ [^ ]\+ mtu [0-9]\+\) .*/\1/p')
note "module printed:"; note "$printed"
expected=$(ip -o link show | awk -F': ' '{print $1, $2}' |
	while read -r idx name; do
		name=${name%%@*}
		echo "$idx $name mtu $(</sys/class/net/$name/mtu)"
	done)
expect_eq "$printed" "$expected" "devices listed by the module (index name mtu)"
count=$(dmesg_since_mark | sed -n 's/.*netdevs: \([0-9]\+\) devices in init_net.*/\1/p')
expect_eq "$count" "$(echo "$expected" | wc -l)" "device count"
dmesg_since_mark | grep -q 'netdevs: [0-9]\+ nd-dummy0 mtu 1280 up ' || fail "nd-dummy0 not shown as up with mtu 1280"
rmmod netdevs || fail "rmmod netdevs"
ip link del nd-dummy0
