// SPDX-License-Identifier: GPL-2.0
/*
 * tbcount: a QEMU TCG plugin that counts, for every translation block the guest runs,
 * how many times it ran, how many memory accesses its instructions made and how many
 * locked (atomic read-modify-write) instructions it ran. Under TCG the guest's cost is,
 * to a good approximation, the instructions it executes and the blocks it enters (each
 * entry is a lookup or a chained jump), then its memory accesses (each a software TLB
 * lookup) and atomics (host atomics, some through helper calls); summed per kernel
 * function these say where the time of a packet path goes, without touching the guest
 * (no tracer, no sampling of the idle loop). `make profile` loads it;
 * qemu/tcgprof/report.py reads what it writes.
 *
 * Arguments:  out=DIR    where to write window files (DIR/window.N)
 *             mark=ADDR  a guest kernel address (hex) whose block, when entered, closes
 *                        the current window: every counter is written out and zeroed.
 * The guest enters it by writing /proc/sys/kernel/hostname (qemu/guest/tcgprof.sh).
 *
 * Written against QEMU's plugin API version 1 (QEMU 6.x to 8.x; Debian 12 has 7.2),
 * with the few declarations it needs below, as Debian ships no qemu-plugin.h.
 * The counters are plain 64-bit adds emitted inline into each block, shared by the
 * vCPUs: two vCPUs entering one block at the same instant can lose a count, which a
 * profile of millions of entries does not notice.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- QEMU plugin API, version 1 (include/qemu/qemu-plugin.h) --- */
typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*vcpu_udata_cb)(unsigned int vcpu_index, void *userdata);
typedef void (*udata_cb)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, vcpu_udata_cb cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op, void *ptr,
					      uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
						enum qemu_plugin_op op, void *ptr,
						uint64_t imm);
void qemu_plugin_register_vcpu_mem_inline(struct qemu_plugin_insn *insn,
					  enum qemu_plugin_mem_rw rw,
					  enum qemu_plugin_op op, void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb cb, void *userdata);
__attribute__((visibility("default"))) int qemu_plugin_version = 1;
/* --- end of the API --- */

/* One block: where it starts, how many instructions, how often it ran, the memory
 * accesses and locked instructions it made. Records never move (inline adds hold
 * pointers into them), so each is allocated alone. */
struct block {
	uint64_t vaddr;
	uint64_t insns;
	uint64_t count;
	uint64_t mem;
	uint64_t locked;
	struct block *next;
};

#define NBUCKETS (1u << 16)
static struct block *buckets[NBUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t mark;
static char outdir[4096] = ".";
static unsigned int window;

static unsigned int hash(uint64_t vaddr, uint64_t insns)
{
	return (unsigned int)(((vaddr >> 2) ^ (vaddr >> 18) ^ insns) & (NBUCKETS - 1));
}

/* The record for (vaddr, insns), shared by every translation of the same block. */
static struct block *lookup(uint64_t vaddr, uint64_t insns)
{
	unsigned int h = hash(vaddr, insns);
	struct block *b;

	for (b = buckets[h]; b; b = b->next)
		if (b->vaddr == vaddr && b->insns == insns)
			return b;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->vaddr = vaddr;
	b->insns = insns;
	b->next = buckets[h];
	buckets[h] = b;
	return b;
}

/*
 * Write "vaddr insns count mem locked" for every block that ran since the last window, zero it.
 * Windows are numbered from boot (window.0 ends at the first mark); what runs after the
 * last mark is window.exit.
 */
static void close_window(int last)
{
	char path[4200];
	FILE *f;

	pthread_mutex_lock(&lock);
	if (last)
		snprintf(path, sizeof(path), "%s/window.exit", outdir);
	else
		snprintf(path, sizeof(path), "%s/window.%u", outdir, window++);
	f = fopen(path, "w");
	for (unsigned int h = 0; h < NBUCKETS; h++)
		for (struct block *b = buckets[h]; b; b = b->next) {
			uint64_t n = __atomic_exchange_n(&b->count, 0, __ATOMIC_RELAXED);
			uint64_t m = __atomic_exchange_n(&b->mem, 0, __ATOMIC_RELAXED);
			uint64_t l = __atomic_exchange_n(&b->locked, 0, __ATOMIC_RELAXED);

			if (n && f)
				fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
					b->vaddr, b->insns, n, m, l);
		}
	if (f)
		fclose(f);
	else
		fprintf(stderr, "tbcount: cannot write %s\n", path);
	pthread_mutex_unlock(&lock);
}

static void on_mark(unsigned int vcpu, void *udata)
{
	(void)vcpu;
	(void)udata;
	close_window(0);
}

/*
 * Whether an x86 instruction is a locked read-modify-write: a LOCK prefix (0xf0) among
 * its legacy prefixes, or XCHG with a memory operand (implicitly locked).
 */
static int is_locked(const uint8_t *p, size_t n)
{
	size_t i = 0;

	for (; i < n && i < 15; i++) {
		switch (p[i]) {
		case 0xf0:
			return 1;
		case 0x66: case 0x67: case 0xf2: case 0xf3:
		case 0x2e: case 0x36: case 0x3e: case 0x26: case 0x64: case 0x65:
			continue;
		}
		break;
	}
	if (i < n && (p[i] & 0xf0) == 0x40) /* REX */
		i++;
	return i + 1 < n && (p[i] == 0x86 || p[i] == 0x87) && (p[i + 1] >> 6) != 3;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct block *b;

	(void)id;
	pthread_mutex_lock(&lock);
	b = lookup(vaddr, n);
	pthread_mutex_unlock(&lock);
	if (b) {
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
							 &b->count, 1);
		for (size_t i = 0; i < n; i++) {
			struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

			qemu_plugin_register_vcpu_mem_inline(insn, QEMU_PLUGIN_MEM_RW,
							     QEMU_PLUGIN_INLINE_ADD_U64,
							     &b->mem, 1);
			if (is_locked(qemu_plugin_insn_data(insn), qemu_plugin_insn_size(insn)))
				qemu_plugin_register_vcpu_insn_exec_inline(
					insn, QEMU_PLUGIN_INLINE_ADD_U64, &b->locked, 1);
		}
	}
	if (mark && vaddr == mark)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_mark, QEMU_PLUGIN_CB_NO_REGS,
						     NULL);
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	close_window(1);
}

__attribute__((visibility("default"))) int
qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			snprintf(outdir, sizeof(outdir), "%s", argv[i] + 4);
		else if (!strncmp(argv[i], "mark=", 5))
			mark = strtoull(argv[i] + 5, NULL, 16);
		else {
			fprintf(stderr, "tbcount: unknown argument '%s' (out=DIR, mark=ADDR)\n",
				argv[i]);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
