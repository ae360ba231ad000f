// SPDX-License-Identifier: GPL-2.0
/* Per-CPU packet counters: alloc_percpu, this_cpu_add and per_cpu_ptr are macros
 * (include/linux/percpu.h, include/linux/percpu-defs.h). A counter is a pair of u64,
 * packets then bytes, one pair per CPU. */

#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/smp.h>

struct netdive_pcpu_packets {
	u64 packets;
	u64 bytes;
};

void *rust_helper_netdive_percpu_packets_alloc(void)
{
	return (void __force *)alloc_percpu(struct netdive_pcpu_packets);
}

void rust_helper_netdive_percpu_packets_free(void *p)
{
	free_percpu((struct netdive_pcpu_packets __percpu __force *)p);
}

/* Two instructions on x86 (add %gs:...): no lock, exact under preemption and irqs. */
void rust_helper_netdive_percpu_packets_count(void *p, u64 bytes)
{
	struct netdive_pcpu_packets __percpu *c = (void __percpu __force *)p;

	this_cpu_add(c->packets, 1);
	this_cpu_add(c->bytes, bytes);
}

void rust_helper_netdive_percpu_packets_sum(void *p, u64 *packets, u64 *bytes)
{
	struct netdive_pcpu_packets __percpu *c = (void __percpu __force *)p;
	int cpu;

	*packets = 0;
	*bytes = 0;
	for_each_possible_cpu(cpu) {
		*packets += READ_ONCE(per_cpu_ptr(c, cpu)->packets);
		*bytes += READ_ONCE(per_cpu_ptr(c, cpu)->bytes);
	}
}

int rust_helper_raw_smp_processor_id(void)
{
	return raw_smp_processor_id();
}
