// SPDX-License-Identifier: GPL-2.0
/* RCU read-side entry points are static inlines; Rust calls them through these. */

#include <linux/rcupdate.h>

void rust_helper_rcu_read_lock(void)
{
	rcu_read_lock();
}

void rust_helper_rcu_read_unlock(void)
{
	rcu_read_unlock();
}
