// SPDX-License-Identifier: GPL-2.0
/* RCU read-side entry points are static inlines (include/linux/rcupdate.h). */

#include <linux/rcupdate.h>

void rust_helper_rcu_read_lock(void)
{
	rcu_read_lock();
}

void rust_helper_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

void rust_helper_rcu_read_lock_bh(void)
{
	rcu_read_lock_bh();
}

void rust_helper_rcu_read_unlock_bh(void)
{
	rcu_read_unlock_bh();
}
