// SPDX-License-Identifier: GPL-2.0
/* ptr_ring is all static inlines (include/linux/ptr_ring.h). */

#include <linux/ptr_ring.h>

int rust_helper_ptr_ring_init(struct ptr_ring *r, int size, gfp_t gfp)
{
	return ptr_ring_init(r, size, gfp);
}

int rust_helper_ptr_ring_produce(struct ptr_ring *r, void *ptr)
{
	return ptr_ring_produce(r, ptr);
}

int rust_helper___ptr_ring_produce(struct ptr_ring *r, void *ptr)
{
	return __ptr_ring_produce(r, ptr);
}

void *rust_helper_ptr_ring_consume(struct ptr_ring *r)
{
	return ptr_ring_consume(r);
}

void *rust_helper_ptr_ring_consume_bh(struct ptr_ring *r)
{
	return ptr_ring_consume_bh(r);
}

void rust_helper_ptr_ring_cleanup(struct ptr_ring *r, void (*destroy)(void *))
{
	ptr_ring_cleanup(r, destroy);
}
