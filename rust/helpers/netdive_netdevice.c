// SPDX-License-Identifier: GPL-2.0
/* net_device accessors that are static inlines in include/linux/netdevice.h. */

#include <linux/netdevice.h>

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

const char *rust_helper_netdev_name(const struct net_device *dev)
{
	return netdev_name(dev);
}

bool rust_helper_netif_running(const struct net_device *dev)
{
	return netif_running(dev);
}

bool rust_helper_netif_carrier_ok(const struct net_device *dev)
{
	return netif_carrier_ok(dev);
}

void *rust_helper_netdev_priv(const struct net_device *dev)
{
	return netdev_priv(dev);
}

struct net *rust_helper_dev_net(const struct net_device *dev)
{
	return dev_net(dev);
}

/*
 * Not a wrapper: dev->priv_flags is a bitfield inside a struct_group, which bindgen
 * can only reach through generated bit accessors. Setup code ORs flags in here.
 */
void rust_helper_netdive_priv_flags_add(struct net_device *dev, unsigned long flags)
{
	dev->priv_flags |= flags;
}

/* dev->lltx is a bitfield (netdevice.h, "priv_flags_fast" group). */
void rust_helper_netdive_set_lltx(struct net_device *dev)
{
	dev->lltx = true;
}
