// SPDX-License-Identifier: GPL-2.0
/* netdive lesson 5: XDP_DROP. UDP to port 9 (discard, what pktgen sends) is dropped in
 * the driver, before an sk_buff exists; everything else passes. */
#include "parse.h"

SEC("xdp")
int xdp_drop_udp9(struct xdp_md *ctx)
{
	return udp_dport(ctx) == 9 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
