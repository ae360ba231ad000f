// SPDX-License-Identifier: GPL-2.0
/* Page pool static inlines (include/net/page_pool/helpers.h), one wrapper each. */

#include <net/page_pool/helpers.h>

struct page *rust_helper_page_pool_dev_alloc_pages(struct page_pool *pool)
{
	return page_pool_dev_alloc_pages(pool);
}
