// SPDX-License-Identifier: GPL-2.0
/* The lock of kernel::net::fastpath's device registry: a static mutex, which 6.12 Rust
 * cannot define by itself. */

#include <linux/mutex.h>

static DEFINE_MUTEX(netdive_fastpath_mutex);

void rust_helper_netdive_fastpath_lock(void)
{
	mutex_lock(&netdive_fastpath_mutex);
}

void rust_helper_netdive_fastpath_unlock(void)
{
	mutex_unlock(&netdive_fastpath_mutex);
}
