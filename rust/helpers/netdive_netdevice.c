// SPDX-License-Identifier: GPL-2.0
/* net_device accessors that are static inlines in include/linux/netdevice.h. */

#include <linux/etherdevice.h>
#include <linux/netdevice.h>

/* __dev_forward_skb (net/core/dev.c) without its closing eth_type_trans: the receiver
 * classifies the frame in its own poll, after XDP, as a NIC driver does. */
int rust_helper_netdive_dev_forward_raw(struct net_device *dev, struct sk_buff *skb)
{
	return ____dev_forward_skb(dev, skb, true);
}

/* eth_type_trans plus the checksum fix __dev_forward_skb2 makes after it. */
__be16 rust_helper_netdive_eth_type_trans(struct sk_buff *skb, struct net_device *dev)
{
	skb->protocol = eth_type_trans(skb, dev);
	skb_postpull_rcsum(skb, eth_hdr(skb), ETH_HLEN);
	return skb->protocol;
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
