// SPDX-License-Identifier: GPL-2.0
/* sk_buff static inlines (include/linux/skbuff.h), one wrapper each. */

#include <linux/if_vlan.h>
#include <linux/skbuff.h>

void rust_helper_skb_reserve(struct sk_buff *skb, int len)
{
	skb_reserve(skb, len);
}

int rust_helper_skb_unclone(struct sk_buff *skb, gfp_t pri)
{
	return skb_unclone(skb, pri);
}

int rust_helper_pskb_trim(struct sk_buff *skb, unsigned int len)
{
	return pskb_trim(skb, len);
}

void rust_helper_skb_postpull_rcsum(struct sk_buff *skb, const void *start, unsigned int len)
{
	skb_postpull_rcsum(skb, start, len);
}

struct sk_buff *rust_helper___vlan_hwaccel_push_inside(struct sk_buff *skb)
{
	return __vlan_hwaccel_push_inside(skb);
}
