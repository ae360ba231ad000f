// SPDX-License-Identifier: GPL-2.0
/* Where code may sleep, and preemption: static inlines and macros of the scheduler. */

#include <linux/kernel.h>
#include <linux/preempt.h>

void rust_helper_might_sleep(void)
{
	might_sleep();
}

/* Preemption off and on (include/linux/preempt.h macros), around __module_address. */
void rust_helper_preempt_disable(void)
{
	preempt_disable();
}

void rust_helper_preempt_enable(void)
{
	preempt_enable();
}
