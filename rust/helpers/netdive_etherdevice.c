// SPDX-License-Identifier: GPL-2.0
/* Ethernet, netlink-attribute and namespace static inlines the link abstractions call. */

#include <linux/etherdevice.h>
#include <net/net_namespace.h>
#include <net/netlink.h>

void rust_helper_eth_hw_addr_random(struct net_device *dev)
{
	eth_hw_addr_random(dev);
}

bool rust_helper_is_valid_ether_addr(const u8 *addr)
{
	return is_valid_ether_addr(addr);
}

int rust_helper_nla_len(const struct nlattr *nla)
{
	return nla_len(nla);
}

void *rust_helper_nla_data(const struct nlattr *nla)
{
	return nla_data(nla);
}

void rust_helper_put_net(struct net *net)
{
	put_net(net);
}

struct net *rust_helper_get_net(struct net *net)
{
	return get_net(net);
}

struct net *rust_helper_maybe_get_net(struct net *net)
{
	return maybe_get_net(net);
}
