// SPDX-License-Identifier: GPL-2.0
/* net_device static inlines (include/linux/netdevice.h), one wrapper each. */

#include <linux/netdevice.h>

int rust_helper_____dev_forward_skb(struct net_device *dev, struct sk_buff *skb,
				    const bool check_mtu)
{
	return ____dev_forward_skb(dev, skb, check_mtu);
}

struct net_device *rust_helper_first_net_device_rcu(struct net *net)
{
	return first_net_device_rcu(net);
}

struct net_device *rust_helper_next_net_device_rcu(struct net_device *dev)
{
	return next_net_device_rcu(dev);
}

void rust_helper_dev_hold(struct net_device *dev)
{
	dev_hold(dev);
}

void rust_helper_dev_put(struct net_device *dev)
{
	dev_put(dev);
}

bool rust_helper_netif_carrier_ok(const struct net_device *dev)
{
	return netif_carrier_ok(dev);
}

struct net *rust_helper_dev_net(const struct net_device *dev)
{
	return dev_net(dev);
}
