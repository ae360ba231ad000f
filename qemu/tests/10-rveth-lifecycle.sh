# rveth pairs are created by `ip link add ... type rveth`, which loads the module through
# its rtnl-link alias; deleting either end removes both; the peer gets a default name.
. "$(dirname "$0")/../guest/testlib.sh"

unload rveth
must ip link add name rv0 type rveth peer name rv1
grep -q '^rveth ' /proc/modules || fail "rveth was not auto-loaded through rtnl-link-rveth"
note "ok: module auto-loaded"
ip -d link show rv0 | grep -q 'rveth' || fail "rv0 is not of kind rveth: $(ip -d link show rv0)"
ip link show rv1 >/dev/null || fail "peer rv1 missing"
expect_eq "$(ethtool -i rv0 | sed -n 's/^driver: //p')" "rveth" "ethtool -i driver"
expect_eq "$(ethtool rv0 | sed -n 's/.*Speed: //p')" "10000Mb/s" "ethtool speed"

# Random, valid, locally administered MACs, different on both ends.
m0=$(</sys/class/net/rv0/address)
m1=$(</sys/class/net/rv1/address)
[ "$m0" != "$m1" ] || fail "both ends have the same MAC $m0"
[ $(( 0x${m0:0:2} & 2 )) = 2 ] || fail "MAC $m0 is not locally administered"
[ $(( 0x${m0:0:2} & 1 )) = 0 ] || fail "MAC $m0 is multicast"
must ip link set rv0 address 02:11:22:33:44:55
expect_eq "$(</sys/class/net/rv0/address)" "02:11:22:33:44:55" "MAC after ip link set address"
must_fail "Cannot assign requested address" ip link set rv0 address 01:00:5e:00:00:01
expect_eq "$(</sys/class/net/rv0/address)" "02:11:22:33:44:55" "MAC unchanged after a multicast address was refused"

# Carrier follows the peer: up only when both ends are up.
ip link set rv0 up
expect_eq "$(</sys/class/net/rv0/carrier)" "0" "rv0 carrier with rv1 down"
ip link set rv1 up
expect_eq "$(</sys/class/net/rv0/carrier)" "1" "rv0 carrier with both up"
expect_eq "$(</sys/class/net/rv1/carrier)" "1" "rv1 carrier with both up"
ip link set rv1 down
expect_eq "$(</sys/class/net/rv0/carrier)" "0" "rv0 carrier after rv1 went down"

# MTU: 68 to 65521 accepted, outside refused with the kernel's error, value unchanged.
must ip link set rv0 mtu 9000
expect_eq "$(</sys/class/net/rv0/mtu)" "9000" "mtu 9000"
must ip link set rv0 mtu 68
err=$(ip link set rv0 mtu 67 2>&1) && fail "mtu 67 was accepted"
note "mtu 67 refused: $err"
must_fail "mtu greater than device maximum" ip link set rv0 mtu 70000
expect_eq "$(</sys/class/net/rv0/mtu)" "68" "mtu unchanged after refusals"

# Deleting one end removes both.
must ip link del rv1
ip link show rv0 >/dev/null 2>&1 && fail "rv0 survived the deletion of its peer"
note "ok: deleting rv1 removed rv0"

# Without a peer name the peer is named by the kernel (rveth%d).
must ip link add name rva type rveth
peer=$(ip -o link show type rveth | awk -F': ' '{print $2}' | grep -v '^rva' | head -1)
[ -n "$peer" ] || fail "no peer created for rva"
note "default peer name: $peer"
case $peer in rveth[0-9]*) ;; *) fail "default peer name '$peer' is not rveth<N>" ;; esac
must ip link del rva

# Bad requests are refused and leave nothing behind.
must_fail "File exists" ip link add name rvb type rveth peer name rvb
must_fail "Cannot assign requested address" ip link add name rvc type rveth peer name rvd address ff:ff:ff:ff:ff:ff
expect_eq "$(ip -o link show type rveth | wc -l)" "0" "rveth devices left after refused requests"

# 20 pairs created and deleted (make soak creates and unloads many more, under traffic).
# (One `ip -batch` each way: a process costs a quarter of a second here.)
for i in $(seq 1 20); do echo "link add name p$i type rveth peer name q$i"; done | ip -batch - ||
	fail "creating 20 pairs"
expect_eq "$(ip -o link show type rveth | wc -l)" "40" "devices after creating 20 pairs"
for i in $(seq 1 20); do echo "link del p$i"; done | ip -batch - || fail "deleting 20 pairs"
expect_eq "$(ip -o link show type rveth | wc -l)" "0" "devices after deleting 20 pairs"
must rmmod rveth
