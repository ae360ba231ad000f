// SPDX-License-Identifier: GPL-2.0
/* sk_buff accessors that are static inlines in include/linux/skbuff.h. */

#include <linux/skbuff.h>

int rust_helper_skb_cloned(const struct sk_buff *skb)
{
	return skb_cloned(skb);
}

void rust_helper_skb_reserve(struct sk_buff *skb, int len)
{
	skb_reserve(skb, len);
}

void rust_helper_skb_record_rx_queue(struct sk_buff *skb, u16 rx_queue)
{
	skb_record_rx_queue(skb, rx_queue);
}

int rust_helper_skb_unclone(struct sk_buff *skb, gfp_t pri)
{
	return skb_unclone(skb, pri);
}

int rust_helper_pskb_trim(struct sk_buff *skb, unsigned int len)
{
	return pskb_trim(skb, len);
}
