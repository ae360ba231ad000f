// SPDX-License-Identifier: GPL-2.0
/* XDP pieces that are static inlines or macros: include/net/xdp.h, include/linux/filter.h,
 * include/trace/events/xdp.h, and the page a driver gives a frame (dev_alloc_page). */

#include <linux/filter.h>
#include <linux/skbuff.h>
#include <net/xdp.h>
#include <trace/events/xdp.h>

u32 rust_helper_bpf_prog_run_xdp(const struct bpf_prog *prog, struct xdp_buff *xdp)
{
	return bpf_prog_run_xdp(prog, xdp);
}

void rust_helper_xdp_convert_frame_to_buff(const struct xdp_frame *frame, struct xdp_buff *xdp)
{
	xdp_convert_frame_to_buff(frame, xdp);
}

int rust_helper_xdp_update_frame_from_buff(const struct xdp_buff *xdp, struct xdp_frame *frame)
{
	return xdp_update_frame_from_buff(xdp, frame);
}

void rust_helper_netdive_trace_xdp_exception(const struct net_device *dev,
					     const struct bpf_prog *prog, u32 act)
{
	trace_xdp_exception(dev, prog, act);
}

/* One order-0 page for a frame, from the allocator drivers' receive rings use. */
void *rust_helper_netdive_xdp_alloc_page(void)
{
	struct page *page = dev_alloc_page();

	return page ? page_address(page) : NULL;
}

void rust_helper_netdive_xdp_free_page(void *addr)
{
	put_page(virt_to_page(addr));
}
