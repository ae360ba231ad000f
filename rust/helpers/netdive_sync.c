// SPDX-License-Identifier: GPL-2.0
/* Interrupt state queries and local_irq_save/restore are macros (include/linux/irqflags.h,
 * include/linux/preempt.h); one wrapper each. */

#include <linux/irqflags.h>
#include <linux/preempt.h>

bool rust_helper_irqs_disabled(void)
{
	return irqs_disabled();
}
