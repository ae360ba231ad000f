// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt and context state (include/linux/irqflags.h, include/linux/preempt.h,
 * include/linux/percpu-defs.h): macros and static inlines, one wrapper each.
 *
 * Glue, not logic: two per-CPU counts that rust/kernel/sync keeps. A per-CPU variable
 * has to be defined in C (DEFINE_PER_CPU places it in .data..percpu, which Rust cannot
 * name), so it is defined here, and Rust reaches this CPU's copy with raw_cpu_ptr()
 * below and does all the counting itself:
 *  - netdive_rcu_depth: RCU read-side sections entered through rcu::Guard
 *    (rust/kernel/sync/rcu.rs), so that a writer can tell it is inside one;
 *  - netdive_irq_depth/netdive_irq_flags: interrupt-disabled sections of SpinLockIrq
 *    guards and the flags saved by the first (rust/kernel/sync/spinlock_irq.rs), so that
 *    only the last guard to go restores them.
 */

#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <linux/preempt.h>

static DEFINE_PER_CPU(long, netdive_rcu_depth);
static DEFINE_PER_CPU(unsigned long, netdive_irq_depth);
static DEFINE_PER_CPU(unsigned long, netdive_irq_flags);

long *rust_helper_netdive_rcu_depth_ptr(void)
{
	return raw_cpu_ptr(&netdive_rcu_depth);
}

unsigned long *rust_helper_netdive_irq_depth_ptr(void)
{
	return raw_cpu_ptr(&netdive_irq_depth);
}

unsigned long *rust_helper_netdive_irq_flags_ptr(void)
{
	return raw_cpu_ptr(&netdive_irq_flags);
}

bool rust_helper_irqs_disabled(void)
{
	return irqs_disabled();
}

/*
 * Non-zero with preemption off (a spinlock, and on PREEMPT_NONE an RCU read-side section)
 * where the kernel counts it (CONFIG_PREEMPT_COUNT), and in any interrupt context.
 */
bool rust_helper_in_atomic(void)
{
	return in_atomic();
}

/* Non-zero in NMI, hard or soft interrupt context, or with bottom halves disabled. */
unsigned long rust_helper_in_interrupt(void)
{
	return in_interrupt();
}

unsigned long rust_helper_local_irq_save(void)
{
	unsigned long flags;

	local_irq_save(flags);
	return flags;
}

void rust_helper_local_irq_restore(unsigned long flags)
{
	local_irq_restore(flags);
}
