// SPDX-License-Identifier: GPL-2.0
/* netdive lesson 5: XDP_ABORTED, what a program returns when it fails. The frame is
 * dropped and the xdp:xdp_exception tracepoint fires
 * (perf record -e xdp:xdp_exception, or /sys/kernel/tracing/events/xdp). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_abort(struct xdp_md *ctx)
{
	return XDP_ABORTED;
}

char _license[] SEC("license") = "GPL";
