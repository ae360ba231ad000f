// SPDX-License-Identifier: GPL-2.0
/* netdive lesson 5: XDP_REDIRECT. Every frame leaves by the device in slot 0 of a
 * devmap, filled from user space:
 *   bpftool map update name tx_port key 0 0 0 0 value <ifindex as 4 bytes, little endian>
 * The frame is queued per CPU (xdp_do_redirect) and handed to that device's
 * ndo_xdp_xmit when the driver's poll ends (xdp_do_flush). With the slot empty the
 * lookup fails and the frame passes (the flags argument is the fallback action). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

SEC("xdp")
int xdp_redirect_port(struct xdp_md *ctx)
{
	return bpf_redirect_map(&tx_port, 0, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
