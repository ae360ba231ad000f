// SPDX-License-Identifier: GPL-2.0
/* netdive lesson 5: XDP_PASS. Every frame goes on to the stack: the driver builds an
 * sk_buff around the frame's page (xdp_build_skb_from_frame) and hands it to GRO. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
