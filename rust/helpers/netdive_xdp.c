// SPDX-License-Identifier: GPL-2.0
/* XDP static inlines and macros (include/net/xdp.h, include/linux/filter.h,
 * include/trace/events/xdp.h) and the page calls a frame's buffer needs
 * (include/linux/skbuff.h, include/linux/mm.h), one wrapper each. */

#include <linux/filter.h>
#include <linux/mm.h>
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

void rust_helper_trace_xdp_exception(const struct net_device *dev,
				     const struct bpf_prog *prog, u32 act)
{
	trace_xdp_exception(dev, prog, act);
}

struct page *rust_helper_dev_alloc_page(void)
{
	return dev_alloc_page();
}

void *rust_helper_page_address(const struct page *page)
{
	return page_address(page);
}
