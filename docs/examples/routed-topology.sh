# SPDX-License-Identifier: GPL-2.0
# Sourced by the routing tour and test: three namespaces, a router between two subnets,
# over two rveth pairs.
#
#   ra (host A)              rr (router R)                rb (host B)
#   a0 10.1.0.1/24  ----  r0 10.1.0.254/24
#      fd01::1/64            fd01::254/64
#                            r1 10.2.0.254/24  ----  b0 10.2.0.9/24
#                               fd02::254/64            fd02::9/64
#
# A and B route everything through R; R forwards only when asked
# (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding), which start off.

routed_topology() {
	local ns
	for ns in ra rr rb; do
		ip netns add $ns || return 1
		ip -n $ns link set lo up
	done
	ip link add name a0 netns ra type rveth peer name r0 netns rr || return 1
	ip link add name r1 netns rr type rveth peer name b0 netns rb || return 1
	ip -n ra addr add 10.1.0.1/24 dev a0
	ip -n ra addr add fd01::1/64 dev a0 nodad
	ip -n rr addr add 10.1.0.254/24 dev r0
	ip -n rr addr add fd01::254/64 dev r0 nodad
	ip -n rr addr add 10.2.0.254/24 dev r1
	ip -n rr addr add fd02::254/64 dev r1 nodad
	ip -n rb addr add 10.2.0.9/24 dev b0
	ip -n rb addr add fd02::9/64 dev b0 nodad
	ip -n ra link set a0 up
	ip -n rr link set r0 up
	ip -n rr link set r1 up
	ip -n rb link set b0 up
	ip -n ra route add default via 10.1.0.254
	ip -n ra -6 route add default via fd01::254
	ip -n rb route add default via 10.2.0.254
	ip -n rb -6 route add default via fd02::254
	ip netns exec rr sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
}

routed_topology_del() {
	local ns
	for ns in ra rr rb; do ip netns del $ns 2>/dev/null; done
	return 0
}
