// SPDX-License-Identifier: GPL-2.0
/* Route lookups: the static inlines of include/linux/skbuff.h and include/net/dst.h. */

#include <linux/skbuff.h>
#include <net/dst.h>

struct dst_entry *rust_helper_skb_dst(const struct sk_buff *skb)
{
	return skb_dst(skb);
}

u32 rust_helper_dst_mtu(const struct dst_entry *dst)
{
	return dst_mtu(dst);
}
