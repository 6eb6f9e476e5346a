/* SPDX-License-Identifier: MIT */
/*
 * test_events.c - the non-cooperative events produced by the model's mm
 * operations (spec §3.6): REMOVE per registered VMA and clipped, UNMAP of the
 * whole range once per context, REMAP with its length rules and the UNMAPs
 * around it, FORK with a new context for the child; the producer blocking
 * until read (with no mm lock held) or release, mmap_changing and the -EAGAIN
 * matrix of the range ioctls, faults read before events, contexts without
 * the feature bits, FEATURE_SIGBUS contexts, and uffdops_fork_ctx().
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "../../src/uffd.h"
#include "uffd_test.h"

#define EV_FORK UFFD_FEATURE_EVENT_FORK
#define EV_REMAP UFFD_FEATURE_EVENT_REMAP
#define EV_REMOVE UFFD_FEATURE_EVENT_REMOVE
#define EV_UNMAP UFFD_FEATURE_EVENT_UNMAP
#define EV_ALL (EV_FORK | EV_REMAP | EV_REMOVE | EV_UNMAP)
#define NB O_NONBLOCK
#define UNTOUCHED ((__s64)0x5a5a5a5a5a5a5a5aLL)
/* Where a moving mremap() goes when the test picks the address. */
#define DST (BASE + 0x1000000UL)

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------------ */
/* A thread running one mm operation (the event producer).                   */
/* ------------------------------------------------------------------------ */

enum op_kind {
	OP_MADVISE,
	OP_MUNMAP,
	OP_MREMAP,
	OP_MMAP,
	OP_FORK,
	OP_FAULT,
};

struct task {
	enum op_kind kind;
	struct uffdops_mm *mm;
	unsigned long addr;
	unsigned long len;
	unsigned long len2;
	unsigned long new_addr;
	int flags;
	struct uffdops_mm *child;
	long ret;
	atomic_bool done;
	pthread_t thread;
};

static void *task_thread(void *arg)
{
	struct task *t = arg;

	switch (t->kind) {
	case OP_MADVISE:
		t->ret = uffdops_madvise(t->mm, t->addr, t->len, t->flags);
		break;
	case OP_MUNMAP:
		t->ret = uffdops_munmap(t->mm, t->addr, t->len);
		break;
	case OP_MREMAP:
		t->ret = uffdops_mremap(t->mm, t->addr, t->len, t->len2,
					t->flags, t->new_addr);
		break;
	case OP_MMAP:
		t->ret = uffdops_mmap(t->mm, t->addr, t->len, RW,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				      NULL, 0);
		break;
	case OP_FORK:
		t->ret = uffdops_fork(t->mm, &t->child);
		break;
	case OP_FAULT:
		t->ret = uffdops_handle_mm_fault(t->mm, t->addr,
						 FAULT_FLAG_USER | t->flags);
		break;
	}
	atomic_store(&t->done, true);
	return NULL;
}

static void task_start(struct task *t)
{
	atomic_init(&t->done, false);
	t->child = NULL;
	assert_int_equal(pthread_create(&t->thread, NULL, task_thread, t), 0);
}

/* Waits (5 s at most) for the task to finish; returns its result. */
static long task_join(struct task *t)
{
	int i;

	for (i = 0; i < 5000 && !atomic_load(&t->done); i++)
		msleep(1);
	if (!atomic_load(&t->done))
		fail_msg("the operation is still blocked");
	assert_int_equal(pthread_join(t->thread, NULL), 0);
	return t->ret;
}

static void task_madvise(struct task *t, struct uffdops_mm *mm,
			 unsigned long addr, unsigned long len, int advice)
{
	*t = (struct task){ .kind = OP_MADVISE,
			    .mm = mm,
			    .addr = addr,
			    .len = len,
			    .flags = advice };
	task_start(t);
}

static void task_munmap(struct task *t, struct uffdops_mm *mm,
			unsigned long addr, unsigned long len)
{
	*t = (struct task){
		.kind = OP_MUNMAP, .mm = mm, .addr = addr, .len = len
	};
	task_start(t);
}

static void task_mremap(struct task *t, struct uffdops_mm *mm,
			unsigned long addr, unsigned long old_len,
			unsigned long new_len, int flags,
			unsigned long new_addr)
{
	*t = (struct task){ .kind = OP_MREMAP,
			    .mm = mm,
			    .addr = addr,
			    .len = old_len,
			    .len2 = new_len,
			    .flags = flags,
			    .new_addr = new_addr };
	task_start(t);
}

static void task_fork(struct task *t, struct uffdops_mm *mm)
{
	*t = (struct task){ .kind = OP_FORK, .mm = mm };
	task_start(t);
}

static void task_fault(struct task *t, struct uffdops_mm *mm,
		       unsigned long addr, unsigned int flags)
{
	*t = (struct task){
		.kind = OP_FAULT, .mm = mm, .addr = addr, .flags = (int)flags
	};
	task_start(t);
}

/* ------------------------------------------------------------------------ */
/* Messages.                                                                 */
/* ------------------------------------------------------------------------ */

/* Blocked threads of @ctx: events (@event) or faults. */
static int nr_waiters(struct uffdops_ctx *ctx, bool event)
{
	struct uffdops_waiter w[32];
	int n = uffdops_waiters(ctx, w, 32), i, count = 0;

	assert_true(n >= 0 && n <= 32);
	for (i = 0; i < n; i++)
		count += w[i].event == event;
	return count;
}

/* Waits (5 s at most) until @n producers are asleep on @ctx. */
static void wait_events(struct uffdops_ctx *ctx, int n)
{
	int i;

	for (i = 0; i < 5000 && nr_waiters(ctx, true) < n; i++)
		msleep(1);
	assert_int_equal(nr_waiters(ctx, true), n);
}

static void wait_faults(struct uffdops_ctx *ctx, int n)
{
	int i;

	for (i = 0; i < 5000 && nr_waiters(ctx, false) < n; i++)
		msleep(1);
	assert_int_equal(nr_waiters(ctx, false), n);
}

/* The next message of @ctx (non-blocking), once an event is queued. */
static struct uffd_msg next_event(struct uffdops_ctx *ctx)
{
	struct uffd_msg msg;

	wait_events(ctx, 1);
	assert_int_equal(uffdops_read(ctx, &msg, sizeof(msg)),
			 (ssize_t)sizeof(msg));
	return msg;
}

/* Nothing to read on the O_NONBLOCK context @ctx. */
static void assert_no_msg(struct uffdops_ctx *ctx)
{
	struct uffd_msg msg;

	assert_int_equal(uffdops_read(ctx, &msg, sizeof(msg)), -EAGAIN);
}

/* A REMOVE or UNMAP message of [@start, @end), every other byte zero. */
static void assert_range_msg(const struct uffd_msg *msg, __u8 event,
			     unsigned long start, unsigned long end)
{
	struct uffd_msg want;

	memset(&want, 0, sizeof(want));
	want.event = event;
	want.arg.remove.start = start;
	want.arg.remove.end = end;
	assert_int_equal(msg->event, event);
	assert_int_equal(msg->arg.remove.start, start);
	assert_int_equal(msg->arg.remove.end, end);
	assert_memory_equal(msg, &want, sizeof(want));
}

static void assert_remap_msg(const struct uffd_msg *msg, unsigned long from,
			     unsigned long to, unsigned long len)
{
	struct uffd_msg want;

	memset(&want, 0, sizeof(want));
	want.event = UFFD_EVENT_REMAP;
	want.arg.remap.from = from;
	want.arg.remap.to = to;
	want.arg.remap.len = len;
	assert_int_equal(msg->event, UFFD_EVENT_REMAP);
	assert_int_equal(msg->arg.remap.from, from);
	assert_int_equal(msg->arg.remap.to, to);
	assert_int_equal(msg->arg.remap.len, len);
	assert_memory_equal(msg, &want, sizeof(want));
}

/* Still blocked after a while. */
static void assert_blocked(struct task *t)
{
	msleep(20);
	assert_false(atomic_load(&t->done));
}

static int mmap_changing(struct uffdops_ctx *ctx)
{
	return atomic_load(&ctx->mmap_changing);
}

/* ------------------------------------------------------------------------ */
/* Pages and registrations.                                                  */
/* ------------------------------------------------------------------------ */

/* No event left on @ctx, and no change of the mm under way for it. */
static void assert_settled(struct uffdops_ctx *ctx)
{
	assert_int_equal(mmap_changing(ctx), 0);
	assert_no_msg(ctx);
}

/* The end of a test: close @ctx, then destroy @mm. */
static void release(struct uffdops_ctx *ctx, struct uffdops_mm *mm)
{
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void wr8(struct uffdops_mm *mm, unsigned long addr, unsigned char c)
{
	assert_int_equal(uffdops_write_mem(mm, addr, &c, 1, 0), 1);
}

static unsigned int rd8_nofault(struct uffdops_mm *mm, unsigned long addr)
{
	unsigned char c = 0xee;

	assert_int_equal(
		uffdops_read_mem(mm, addr, &c, 1, UFFDOPS_ACCESS_NOFAULT), 1);
	return c;
}

static __u64 pm(struct uffdops_mm *mm, unsigned long addr)
{
	struct uffdops_pagemap_entry e;

	assert_int_equal(uffdops_pagemap(mm, addr, &e), 0);
	return e.bits & ~UFFDOPS_PM_PFN_MASK;
}

static bool present(struct uffdops_mm *mm, unsigned long addr)
{
	return pm(mm, addr) & UFFDOPS_PM_PRESENT;
}

/* The VMA at @addr must span [start, end) with @ctx and @uffd_flags. */
static void assert_vma(struct uffdops_mm *mm, unsigned long addr,
		       unsigned long start, unsigned long end,
		       const struct uffdops_ctx *ctx, unsigned long uffd_flags)
{
	struct maps m;
	const struct uffdops_map *v;

	maps_get(mm, &m);
	v = maps_at(&m, addr);
	assert_int_equal(v->start, start);
	assert_int_equal(v->end, end);
	assert_ptr_equal(v->uffd_ctx, ctx);
	assert_int_equal(v->vm_flags & __VM_UFFD_FLAGS, uffd_flags);
}

/* The VMA at @addr, whatever its bounds, has @ctx and @uffd_flags. */
static void assert_reg(struct uffdops_mm *mm, unsigned long addr,
		       const struct uffdops_ctx *ctx, unsigned long uffd_flags)
{
	struct maps m;
	const struct uffdops_map *v;

	maps_get(mm, &m);
	v = maps_at(&m, addr);
	assert_ptr_equal(v->uffd_ctx, ctx);
	assert_int_equal(v->vm_flags & __VM_UFFD_FLAGS, uffd_flags);
}

static void assert_unmapped(struct uffdops_mm *mm, unsigned long addr)
{
	struct maps m;
	int i;

	maps_get(mm, &m);
	for (i = 0; i < m.n; i++)
		assert_false(m.v[i].start <= addr && addr < m.v[i].end);
}

/* [addr, addr + len) anonymous, each page written with its page number. */
static void map_populated(struct uffdops_mm *mm, unsigned long addr,
			  unsigned long len)
{
	unsigned long a;

	map_fixed(mm, addr, len, RW, PA, NULL);
	for (a = addr; a < addr + len; a += P)
		wr8(mm, a, (unsigned char)((a - BASE) / P + 1));
}

static int wp_range(struct uffdops_ctx *ctx, unsigned long start,
		    unsigned long len, __u64 mode)
{
	struct uffdio_writeprotect wp = { { start, len }, mode };

	return uffdops_ioctl(ctx, UFFDIO_WRITEPROTECT, &wp);
}

static int copy_page(struct uffdops_ctx *ctx, unsigned long dst,
		     unsigned long src, __s64 *out)
{
	struct uffdio_copy c = { dst, src, P, 0, UNTOUCHED };
	int ret = uffdops_ioctl(ctx, UFFDIO_COPY, &c);

	*out = c.copy;
	return ret;
}

/* ------------------------------------------------------------------------ */
/* REMOVE.                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * One REMOVE per registered VMA, clipped to it; none for the unregistered
 * VMA between; each pages zapped only once its event was read.
 */
static void test_remove_per_vma(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, EV_REMOVE);
	struct uffd_msg msg;
	struct task t;

	(void)state;
	map_populated(mm, BASE, 8 * P);
	assert_int_equal(uffd_reg(ctx, BASE + P, 2 * P, UM, NULL), 0);
	assert_int_equal(uffd_reg(ctx, BASE + 5 * P, 2 * P, UM, NULL), 0);
	task_madvise(&t, mm, BASE, 8 * P, MADV_DONTNEED);
	wait_events(ctx, 1);
	assert_blocked(&t);
	assert_int_equal(mmap_changing(ctx), 1);
	/* the producer waits before zapping anything of the VMA */
	assert_true(present(mm, BASE + 2 * P));
	/* ... and holds no mm lock meanwhile (REGISTER takes it for writing) */
	assert_int_equal(uffd_reg(ctx, BASE + 7 * P, P, UW, NULL), 0);
	msg = next_event(ctx);
	assert_range_msg(&msg, UFFD_EVENT_REMOVE, BASE + P, BASE + 3 * P);
	/* the second registered VMA: the first is zapped by now */
	msg = next_event(ctx);
	assert_range_msg(&msg, UFFD_EVENT_REMOVE, BASE + 5 * P, BASE + 7 * P);
	assert_false(present(mm, BASE + 2 * P));
	assert_false(present(mm, BASE + 3 * P));
	/* BASE + 7P is registered on the same context: a third event */
	msg = next_event(ctx);
	assert_range_msg(&msg, UFFD_EVENT_REMOVE, BASE + 7 * P, BASE + 8 * P);
	assert_int_equal(task_join(&t), 0);
	assert_false(present(mm, BASE + 6 * P));
	assert_false(present(mm, BASE));
	assert_settled(ctx);
	release(ctx, mm);
}

/*
 * The producer holds no mm lock while it waits: the VMA can go meanwhile,
 * and madvise() then fails with -ENOMEM (madvise_dontneed_free() looks it up
 * again).
 */
static void test_remove_vma_gone_meanwhile(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, EV_REMOVE);
	struct uffd_msg msg;
	struct task t;

	(void)state;
	map_populated(mm, BASE, 4 * P);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM, NULL), 0);
	task_madvise(&t, mm, BASE, 2 * P, MADV_DONTNEED);
	wait_events(ctx, 1);
	assert_int_equal(uffdops_munmap(mm, BASE, 4 * P), 0);
	msg = next_event(ctx);
	assert_range_msg(&msg, UFFD_EVENT_REMOVE, BASE, BASE + 2 * P);
	assert_int_equal(task_join(&t), -ENOMEM);
	assert_no_msg(ctx);
	release(ctx, mm);
}

/* Every discarding advice, on the memory it applies to. */
static void test_remove_advice_kinds(void **state)
{
	static const struct {
		const char *what;
		int advice;
		bool shared;
		bool hugetlb;
		unsigned long off, len; /* the advice, from the mapping */
		unsigned long start, end; /* the event, from the mapping */
	} cases[] = {
		{ "DONTNEED", MADV_DONTNEED, false, false, P, 2 * P, P, 3 * P },
		{ "DONTNEED_LOCKED", MADV_DONTNEED_LOCKED, false, false, 0,
		  4 * P, 0, 4 * P },
		{ "FREE", MADV_FREE, false, false, 2 * P, P, 2 * P, 3 * P },
		{ "REMOVE shmem", MADV_REMOVE, true, false, P, 3 * P, P,
		  4 * P },
		{ "DONTNEED shmem", MADV_DONTNEED, true, false, 0, P, 0, P },
		/* hugetlb: the length is rounded down to whole huge pages */
		{ "DONTNEED hugetlb", MADV_DONTNEED, false, true, 0, H + P, 0,
		  H },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct uffdops_mm *mm = mm_new();
		struct uffdops_ctx *ctx = ctx_new(mm, NB, EV_REMOVE);
		unsigned long len = cases[i].hugetlb ? 2 * H : 4 * P;
		int flags = cases[i].shared ? MAP_SHARED | MAP_ANONYMOUS :
					      MAP_PRIVATE | MAP_ANONYMOUS;
		struct uffd_msg msg;
		struct task t;

		print_message("%s\n", cases[i].what);
		if (cases[i].hugetlb)
			flags |= MAP_HUGETLB;
		map_fixed(mm, BASE, len, RW, flags, NULL);
		wr8(mm, BASE + cases[i].off, 7);
		assert_int_equal(uffd_reg(ctx, BASE, len, UM, NULL), 0);
		task_madvise(&t, mm, BASE + cases[i].off, cases[i].len,
			     cases[i].advice);
		msg = next_event(ctx);
		assert_range_msg(&msg, UFFD_EVENT_REMOVE, BASE + cases[i].start,
				 BASE + cases[i].end);
		assert_int_equal(task_join(&t), 0);
		assert_settled(ctx);
		release(ctx, mm);
	}
}

/* ------------------------------------------------------------------------ */
/* UNMAP.                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * munmap(): one UNMAP of the whole request per context with EVENT_UNMAP,
 * whatever it owns of the range; all raised before the first is read.
 */
static void test_unmap_once_per_ctx(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *u1 = ctx_new(mm, NB, EV_UNMAP);
	struct uffdops_ctx *u2 = ctx_new(mm, NB, EV_UNMAP | EV_REMOVE);
	struct uffdops_ctx *none = ctx_new(mm, NB, EV_REMOVE | EV_REMAP);
	struct uffd_msg msg;
	struct task t;
	__s64 out;

	(void)state;
	map_populated(mm, BASE, 10 * P);
	map_populated(mm, BASE + 16 * P, 2 * P);
	assert_int_equal(uffd_reg(u1, BASE + P, P, UM, NULL), 0);
	assert_int_equal(uffd_reg(u1, BASE + 3 * P, P, UW, NULL), 0);
	assert_int_equal(uffd_reg(u2, BASE + 5 * P, P, UM, NULL), 0);
	assert_int_equal(uffd_reg(none, BASE + 7 * P, P, UM, NULL), 0);
	/* the request starts in a gap and ends in an unregistered VMA */
	map_fixed(mm, BASE - 4 * P, P, RW, PA, NULL);
	assert_int_equal(uffdops_munmap(mm, BASE - 4 * P, P), 0);
	task_munmap(&t, mm, BASE - 2 * P, 11 * P);
	wait_events(u1, 1);
	assert_blocked(&t);
	/* both contexts are changing before either event is read */
	assert_int_equal(mmap_changing(u1), 1);
	assert_int_equal(mmap_changing(u2), 1);
	assert_int_equal(mmap_changing(none), 0);
	assert_int_equal(copy_page(u2, BASE + 5 * P, BASE + 16 * P, &out),
			 -EAGAIN);
	assert_int_equal(out, -EAGAIN);
	assert_int_equal(nr_waiters(u2, true), 0);
	/* the VMAs are gone already: the event comes after the unmap */
	assert_unmapped(mm, BASE + P);
	msg = next_event(u1);
	assert_range_msg(&msg, UFFD_EVENT_UNMAP, BASE - 2 * P, BASE + 9 * P);
	assert_no_msg(u1);
	msg = next_event(u2);
	assert_range_msg(&msg, UFFD_EVENT_UNMAP, BASE - 2 * P, BASE + 9 * P);
	assert_int_equal(task_join(&t), 0);
	assert_no_msg(u2);
	assert_no_msg(none);
	assert_vma(mm, BASE + 9 * P, BASE + 9 * P, BASE + 10 * P, NULL, 0);
	assert_int_equal(mmap_changing(u1) + mmap_changing(u2), 0);
	uffdops_close(u1);
	uffdops_close(u2);
	uffdops_close(none);
	uffdops_mm_destroy(mm);
}

/* mmap(MAP_FIXED) over a registered range unmaps it: UNMAP of the request. */
static void test_unmap_map_fixed(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, EV_UNMAP);
	struct uffd_msg msg;
	struct task t;

	(void)state;
	map_populated(mm, BASE, 4 * P);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM, NULL), 0);
	t = (struct task){
		.kind = OP_MMAP, .mm = mm, .addr = BASE + P, .len = 2 * P
	};
	task_start(&t);
	msg = next_event(ctx);
	assert_range_msg(&msg, UFFD_EVENT_UNMAP, BASE + P, BASE + 3 * P);
	assert_int_equal(task_join(&t), (long)(BASE + P));
	assert_vma(mm, BASE, BASE, BASE + P, ctx, VM_UFFD_MISSING);
	assert_vma(mm, BASE + P, BASE + P, BASE + 3 * P, NULL, 0);
	assert_vma(mm, BASE + 3 * P, BASE + 3 * P, BASE + 4 * P, ctx,
		   VM_UFFD_MISSING);
	assert_false(present(mm, BASE + P));
	release(ctx, mm);
}

/*
 * An UNMAP prepared before a later split fails is still delivered, and the
 * munmap fails with nothing unmapped (vms_gather_munmap_vmas()).
 */
static void test_unmap_failed_split(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, EV_UNMAP);
	struct uffd_msg msg;
	struct task t;

	(void)state;
	map_populated(mm, BASE, H);
	map_fixed(mm, BASE + H, 2 * H, RW, PA | MAP_HUGETLB, NULL);
	assert_int_equal(uffd_reg(ctx, BASE, H, UM, NULL), 0);
	task_munmap(&t, mm, BASE, H + P);
	msg = next_event(ctx);
	assert_range_msg(&msg, UFFD_EVENT_UNMAP, BASE, BASE + H + P);
	assert_int_equal(task_join(&t), -EINVAL);
	assert_vma(mm, BASE, BASE, BASE + H, ctx, VM_UFFD_MISSING);
	assert_true(present(mm, BASE + P));
	assert_vma(mm, BASE + H, BASE + H, BASE + 3 * H, NULL, 0);
	release(ctx, mm);
}

/* ------------------------------------------------------------------------ */
/* REMAP.                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * A growing move: REMAP of the old length, then UNMAP of the old range; the
 * moved VMA keeps its registration and its pages.
 */
static void test_remap_grow(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, EV_REMAP | EV_UNMAP);
	struct uffd_msg msg;
	unsigned long to;
	struct task t;

	(void)state;
	map_populated(mm, BASE, 2 * P);
	map_fixed(mm, BASE + 2 * P, P, PROT_READ, PA, NULL);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM | UW, NULL), 0);
	task_mremap(&t, mm, BASE, 2 * P, 4 * P, MREMAP_MAYMOVE, 0);
	msg = next_event(ctx);
	assert_blocked(&t);
	assert_int_equal(msg.arg.remap.from, BASE);
	to = msg.arg.remap.to;
	assert_remap_msg(&msg, BASE, to, 2 * P);
	/* the move is done before the event is read */
	assert_vma(mm, to, to, to + 4 * P, ctx, VM_UFFD_MISSING | VM_UFFD_WP);
	msg = next_event(ctx);
	assert_range_msg(&msg, UFFD_EVENT_UNMAP, BASE, BASE + 2 * P);
	assert_int_equal(task_join(&t), (long)to);
	assert_int_equal(rd8_nofault(mm, to + P), 2);
	assert_unmapped(mm, BASE);
	assert_int_equal(mmap_changing(ctx), 0);
	release(ctx, mm);
}

/*
 * A move that also shrinks (4 -> 2 pages): REMAP of the new length, UNMAP of
 * the cut tail, UNMAP of the old range, in that order.
 */
static void test_remap_shrinking_move(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, EV_REMAP | EV_UNMAP);
	struct uffd_msg msg;
	struct task t;

	(void)state;
	map_populated(mm, BASE, 4 * P);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM, NULL), 0);
	task_mremap(&t, mm, BASE, 4 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED,
		    DST);
	msg = next_event(ctx);
	assert_remap_msg(&msg, BASE, DST, 2 * P);
	msg = next_event(ctx);
	assert_range_msg(&msg, UFFD_EVENT_UNMAP, BASE + 2 * P, BASE + 4 * P);
	msg = next_event(ctx);
	assert_range_msg(&msg, UFFD_EVENT_UNMAP, BASE, BASE + 2 * P);
	assert_int_equal(task_join(&t), (long)DST);
	assert_vma(mm, DST, DST, DST + 2 * P, ctx, VM_UFFD_MISSING);
	assert_int_equal(rd8_nofault(mm, DST + P), 2);
	assert_no_msg(ctx);
	release(ctx, mm);
}

/* MREMAP_FIXED over a registered destination: its UNMAP comes first. */
static void test_remap_fixed_over_registered(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, EV_REMAP | EV_UNMAP);
	struct uffd_msg msg;
	struct task t;

	(void)state;
	map_populated(mm, BASE, 2 * P);
	map_populated(mm, DST, 4 * P);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM, NULL), 0);
	assert_int_equal(uffd_reg(ctx, DST + P, P, UW, NULL), 0);
	task_mremap(&t, mm, BASE, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED,
		    DST);
	msg = next_event(ctx);
	assert_range_msg(&msg, UFFD_EVENT_UNMAP, DST, DST + 2 * P);
	msg = next_event(ctx);
	assert_remap_msg(&msg, BASE, DST, 2 * P);
	msg = next_event(ctx);
	assert_range_msg(&msg, UFFD_EVENT_UNMAP, BASE, BASE + 2 * P);
	assert_int_equal(task_join(&t), (long)DST);
	assert_vma(mm, DST, DST, DST + 2 * P, ctx, VM_UFFD_MISSING);
	assert_int_equal(rd8_nofault(mm, DST + P), 2);
	release(ctx, mm);
}

/*
 * The moved VMA loses its registration and its uffd-wp state without
 * EVENT_REMAP (move_ptes()); with it, both stay.
 */
static void test_remap_registration_and_wp(void **state)
{
	const __u64 base = UFFD_FEATURE_WP_UNPOPULATED;
	int with;

	(void)state;
	for (with = 0; with < 2; with++) {
		struct uffdops_mm *mm = mm_new();
		struct uffdops_ctx *ctx =
			ctx_new(mm, NB, base | (with ? EV_REMAP : 0));
		struct uffd_msg msg;
		struct task t;

		map_populated(mm, BASE, P);
		map_fixed(mm, BASE + P, P, RW, PA, NULL);
		assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UW, NULL), 0);
		assert_int_equal(wp_range(ctx, BASE, 2 * P,
					  UFFDIO_WRITEPROTECT_MODE_WP),
				 0);
		assert_true(pm(mm, BASE) & UFFDOPS_PM_UFFD_WP);
		assert_true(pm(mm, BASE + P) & UFFDOPS_PM_UFFD_WP);
		task_mremap(&t, mm, BASE, 2 * P, 2 * P,
			    MREMAP_MAYMOVE | MREMAP_FIXED, DST);
		if (with) {
			msg = next_event(ctx);
			assert_remap_msg(&msg, BASE, DST, 2 * P);
		}
		assert_int_equal(task_join(&t), (long)DST);
		assert_no_msg(ctx);
		assert_vma(mm, DST, DST, DST + 2 * P, with ? ctx : NULL,
			   with ? VM_UFFD_WP : 0);
		/* the page moved, with its protection only when registered */
		assert_int_equal(rd8_nofault(mm, DST), 1);
		assert_int_equal(pm(mm, DST) & UFFDOPS_PM_UFFD_WP,
				 with ? UFFDOPS_PM_UFFD_WP : 0);
		/* the marker of the empty page: moved or dropped */
		assert_int_equal(pm(mm, DST + P) & UFFDOPS_PM_UFFD_WP,
				 with ? UFFDOPS_PM_UFFD_WP : 0);
		release(ctx, mm);
	}
}

/* MREMAP_DONTUNMAP: REMAP, no UNMAP; both VMAs registered. */
static void test_remap_dontunmap(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, EV_REMAP | EV_UNMAP);
	struct uffd_msg msg;
	struct task t;

	(void)state;
	map_populated(mm, BASE, 2 * P);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM, NULL), 0);
	task_mremap(&t, mm, BASE, 2 * P, 2 * P,
		    MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, DST);
	msg = next_event(ctx);
	assert_remap_msg(&msg, BASE, DST, 2 * P);
	assert_int_equal(task_join(&t), (long)DST);
	assert_no_msg(ctx);
	assert_vma(mm, BASE, BASE, BASE + 2 * P, ctx, VM_UFFD_MISSING);
	assert_vma(mm, DST, DST, DST + 2 * P, ctx, VM_UFFD_MISSING);
	assert_false(present(mm, BASE));
	release(ctx, mm);
}

/* Resizing in place is no move: no REMAP; a shrink unmaps the tail. */
static void test_remap_in_place(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, EV_REMAP | EV_UNMAP);
	struct uffd_msg msg;
	struct task t;

	(void)state;
	map_populated(mm, BASE, 2 * P);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM, NULL), 0);
	/* growing in place: no event at all */
	assert_int_equal(uffdops_mremap(mm, BASE, 2 * P, 4 * P, 0, 0),
			 (long)BASE);
	assert_no_msg(ctx);
	assert_vma(mm, BASE, BASE, BASE + 4 * P, ctx, VM_UFFD_MISSING);
	task_mremap(&t, mm, BASE, 4 * P, P, 0, 0);
	msg = next_event(ctx);
	assert_range_msg(&msg, UFFD_EVENT_UNMAP, BASE + P, BASE + 4 * P);
	assert_int_equal(task_join(&t), (long)BASE);
	assert_no_msg(ctx);
	release(ctx, mm);
}

/*
 * A move next to the rest of its own VMA merges back into it: without
 * EVENT_REMAP the whole merged VMA is reset, the part that never moved too
 * (copy_vma() merges before mremap_userfaultfd_prep() resets).
 */
static void test_remap_merge_resets_whole_vma(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, 0);

	(void)state;
	map_fixed(mm, BASE, 4 * P, RW, PA, NULL);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM, NULL), 0);
	assert_int_equal(uffdops_mremap(mm, BASE + 2 * P, 2 * P, 2 * P,
					MREMAP_MAYMOVE | MREMAP_FIXED,
					BASE + 4 * P),
			 (long)(BASE + 4 * P));
	assert_vma(mm, BASE, BASE, BASE + 2 * P, NULL, 0);
	assert_vma(mm, BASE + 4 * P, BASE + 4 * P, BASE + 6 * P, NULL, 0);
	release(ctx, mm);
}

/* ------------------------------------------------------------------------ */
/* FORK.                                                                     */
/* ------------------------------------------------------------------------ */

/* Reads the FORK event of @ctx and takes the child's context. */
static struct uffdops_ctx *read_fork(struct uffdops_ctx *ctx)
{
	struct uffdops_ctx *child_ctx = NULL;
	struct uffd_msg msg = next_event(ctx), want;

	memset(&want, 0, sizeof(want));
	want.event = UFFD_EVENT_FORK;
	want.arg.fork.ufd = msg.arg.fork.ufd;
	assert_int_equal(msg.event, UFFD_EVENT_FORK);
	assert_memory_equal(&msg, &want, sizeof(want));
	assert_int_equal(uffdops_fork_ctx(ctx, &msg, &child_ctx), 0);
	assert_non_null(child_ctx);
	assert_true(child_ctx != ctx);
	return child_ctx;
}

/*
 * The child's copies of VMAs registered on an EVENT_FORK context go to a new
 * context with the parent's features and flags; the others lose their
 * registration; the parent waits in fork until the event is read; the new
 * context gets the child's faults and fills the child.
 */
static void test_fork_new_ctx(void **state)
{
	const __u64 features = EV_FORK | UFFD_FEATURE_THREAD_ID;
	struct uffdops_mm *mm = mm_new(), *child;
	struct uffdops_ctx *a = ctx_new(mm, NB, features);
	struct uffdops_ctx *b = ctx_new(mm, NB, EV_REMOVE | EV_UNMAP);
	struct uffdops_ctx *c;
	struct uffdio_api api = { .api = UFFD_API };
	char info_a[256], info_c[256];
	struct uffd_msg msg;
	struct task t, f;
	__s64 out;

	(void)state;
	map_populated(mm, BASE, P);
	map_fixed(mm, BASE + P, P, RW, PA, NULL);
	map_populated(mm, BASE + 4 * P, 2 * P);
	map_populated(mm, BASE + 16 * P, P); /* a COPY source */
	wr8(mm, BASE + 16 * P, 0x5a);
	assert_int_equal(uffd_reg(a, BASE, 2 * P, UM | UW, NULL), 0);
	assert_int_equal(wp_range(a, BASE, P, UFFDIO_WRITEPROTECT_MODE_WP), 0);
	assert_int_equal(uffd_reg(b, BASE + 4 * P, 2 * P, UM, NULL), 0);

	task_fork(&t, mm);
	wait_events(a, 1);
	assert_blocked(&t);
	assert_int_equal(mmap_changing(a), 1);
	assert_int_equal(mmap_changing(b), 0);
	assert_int_equal(copy_page(a, BASE + P, BASE + 16 * P, &out), -EAGAIN);
	assert_int_equal(out, -EAGAIN);
	c = read_fork(a);
	assert_int_equal(task_join(&t), 0);
	child = t.child;
	assert_int_equal(mmap_changing(a), 0);
	assert_no_msg(a);
	assert_no_msg(b);

	/* the child's registration: the new context, same modes; b's: none */
	assert_vma(child, BASE, BASE, BASE + 2 * P, c,
		   VM_UFFD_MISSING | VM_UFFD_WP);
	assert_vma(child, BASE + 4 * P, BASE + 4 * P, BASE + 6 * P, NULL, 0);
	assert_vma(mm, BASE, BASE, BASE + 2 * P, a,
		   VM_UFFD_MISSING | VM_UFFD_WP);
	assert_vma(mm, BASE + 4 * P, BASE + 4 * P, BASE + 6 * P, b,
		   VM_UFFD_MISSING);
	/* a WP VMA copies its protection */
	assert_true(pm(child, BASE) & UFFDOPS_PM_UFFD_WP);
	/* INITIALIZED with the parent's features, O_NONBLOCK inherited */
	uffdops_fdinfo(a, info_a, sizeof(info_a));
	uffdops_fdinfo(c, info_c, sizeof(info_c));
	assert_string_equal(strstr(info_a, "API:"), strstr(info_c, "API:"));
	assert_int_equal(uffdops_ioctl(c, UFFDIO_API, &api), -EINVAL);
	assert_no_msg(c);
	assert_int_equal(uffdops_poll(c, 0), 0);

	/* the child's fault goes to the new context only */
	task_fault(&f, child, BASE + P, FAULT_FLAG_WRITE);
	wait_faults(c, 1);
	assert_int_equal(nr_waiters(a, false), 0);
	assert_int_equal(uffdops_read(c, &msg, sizeof(msg)),
			 (ssize_t)sizeof(msg));
	assert_int_equal(msg.event, UFFD_EVENT_PAGEFAULT);
	assert_int_equal(msg.arg.pagefault.address, BASE + P);
	assert_true(msg.arg.pagefault.feat.ptid != 0);
	/* a COPY through it fills the child, from the child's memory */
	assert_int_equal(copy_page(c, BASE + P, BASE + 16 * P, &out), 0);
	assert_int_equal(out, (__s64)P);
	assert_int_equal(task_join(&f), 0);
	assert_int_equal(rd8_nofault(child, BASE + P), 0x5a);
	assert_false(present(mm, BASE + P));

	uffdops_close(c);
	assert_vma(child, BASE, BASE, BASE + 2 * P, NULL, 0);
	uffdops_mm_destroy(child);
	uffdops_close(a);
	uffdops_close(b);
	uffdops_mm_destroy(mm);
}

/* One FORK event per parent context, in the order of their first VMA. */
static void test_fork_two_ctxs(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *a = ctx_new(mm, NB, EV_FORK);
	struct uffdops_ctx *c = ctx_new(mm, 0, EV_FORK);
	struct uffdops_ctx *na, *nc;
	struct task t;

	(void)state;
	map_fixed(mm, BASE, 6 * P, RW, PA, NULL);
	assert_int_equal(uffd_reg(c, BASE, P, UM, NULL), 0);
	assert_int_equal(uffd_reg(a, BASE + 2 * P, P, UM, NULL), 0);
	assert_int_equal(uffd_reg(c, BASE + 4 * P, P, UW, NULL), 0);
	task_fork(&t, mm);
	wait_events(c, 1);
	/* both raised by dup_mmap(), a's event only after c's is read */
	assert_int_equal(mmap_changing(a), 1);
	assert_int_equal(nr_waiters(a, true), 0);
	nc = read_fork(c);
	na = read_fork(a);
	assert_int_equal(task_join(&t), 0);
	assert_vma(t.child, BASE, BASE, BASE + P, nc, VM_UFFD_MISSING);
	assert_vma(t.child, BASE + 2 * P, BASE + 2 * P, BASE + 3 * P, na,
		   VM_UFFD_MISSING);
	assert_vma(t.child, BASE + 4 * P, BASE + 4 * P, BASE + 5 * P, nc,
		   VM_UFFD_WP);
	/* the creation flags follow: c had no O_NONBLOCK, so neither has nc */
	assert_int_equal(uffdops_poll(nc, 0), POLLERR);
	assert_int_equal(uffdops_poll(na, 0), 0);
	uffdops_close(na);
	uffdops_close(nc);
	uffdops_mm_destroy(t.child);
	uffdops_close(a);
	uffdops_close(c);
	uffdops_mm_destroy(mm);
}

/*
 * Release of the parent context with the FORK event unread: fork() returns
 * and the child's context is torn down with it (userfaultfd_release_new()).
 */
static void test_fork_release_unread(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *a = ctx_new(mm, NB, EV_FORK);
	struct task t;

	(void)state;
	map_fixed(mm, BASE, 2 * P, RW, PA, NULL);
	assert_int_equal(uffd_reg(a, BASE, 2 * P, UM, NULL), 0);
	task_fork(&t, mm);
	wait_events(a, 1);
	assert_blocked(&t);
	uffdops_close(a);
	assert_int_equal(task_join(&t), 0);
	assert_vma(t.child, BASE, BASE, BASE + 2 * P, NULL, 0);
	assert_vma(mm, BASE, BASE, BASE + 2 * P, NULL, 0);
	/* the child faults like ordinary memory now */
	wr8(t.child, BASE, 3);
	assert_int_equal(rd8_nofault(t.child, BASE), 3);
	uffdops_mm_destroy(t.child);
	uffdops_mm_destroy(mm);
}

/* uffdops_fork_ctx(): arguments, the reader, a number taken twice. */
static void test_fork_ctx_lookup(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *a = ctx_new(mm, NB, EV_FORK);
	struct uffdops_ctx *other = ctx_new(mm, NB, EV_FORK);
	struct uffdops_ctx *c = NULL, *sentinel = (struct uffdops_ctx *)&mm;
	struct uffd_msg msg, remove;
	struct task t;

	(void)state;
	map_fixed(mm, BASE, P, RW, PA, NULL);
	assert_int_equal(uffd_reg(a, BASE, P, UM, NULL), 0);
	task_fork(&t, mm);
	msg = next_event(a);
	assert_int_equal(msg.event, UFFD_EVENT_FORK);
	assert_int_equal(task_join(&t), 0);
	memset(&remove, 0, sizeof(remove));
	remove.event = UFFD_EVENT_REMOVE;
	c = sentinel;
	assert_int_equal(uffdops_fork_ctx(NULL, &msg, &c), -EINVAL);
	assert_int_equal(uffdops_fork_ctx(a, NULL, &c), -EINVAL);
	assert_int_equal(uffdops_fork_ctx(a, &msg, NULL), -EINVAL);
	assert_int_equal(uffdops_fork_ctx(a, &remove, &c), -EINVAL);
	/* installed by a read on a, not on other */
	assert_int_equal(uffdops_fork_ctx(other, &msg, &c), -EBADF);
	assert_ptr_equal(c, sentinel);
	assert_int_equal(uffdops_fork_ctx(a, &msg, &c), 0);
	assert_true(c != sentinel);
	/* taken: the number is free again */
	assert_int_equal(uffdops_fork_ctx(a, &msg, &sentinel), -EBADF);
	msg.arg.fork.ufd = 1u << 20;
	assert_int_equal(uffdops_fork_ctx(a, &msg, &sentinel), -EBADF);
	assert_vma(t.child, BASE, BASE, BASE + P, c, VM_UFFD_MISSING);
	uffdops_close(c);
	uffdops_mm_destroy(t.child);
	uffdops_close(a);
	uffdops_close(other);
	uffdops_mm_destroy(mm);
}

/* A child's context nobody took is closed with the reader. */
static void test_fork_untaken_closed_with_reader(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *a = ctx_new(mm, NB, EV_FORK);
	struct uffd_msg msg;
	struct maps m;
	struct task t;

	(void)state;
	map_fixed(mm, BASE, P, RW, PA, NULL);
	assert_int_equal(uffd_reg(a, BASE, P, UM, NULL), 0);
	task_fork(&t, mm);
	msg = next_event(a);
	assert_int_equal(msg.event, UFFD_EVENT_FORK);
	assert_int_equal(task_join(&t), 0);
	maps_get(t.child, &m);
	assert_non_null(maps_at(&m, BASE)->uffd_ctx);
	uffdops_close(a);
	assert_vma(t.child, BASE, BASE, BASE + P, NULL, 0);
	uffdops_mm_destroy(t.child);
	uffdops_mm_destroy(mm);
}

/*
 * The numbers run out after 1024 (RLIMIT_NOFILE): read() fails with EMFILE
 * and the FORK event stays queued, its producer blocked, until one is free.
 */
static void test_fork_emfile(void **state)
{
	enum {
		MAX = 1024
	};
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *a = ctx_new(mm, NB, EV_FORK);
	static struct uffdops_ctx *taken[MAX];
	static struct uffdops_mm *children[MAX];
	struct uffdops_ctx *last;
	struct uffd_msg msgs[MAX], msg;
	struct task t;
	int i;

	(void)state;
	map_fixed(mm, BASE, P, RW, PA, NULL);
	assert_int_equal(uffd_reg(a, BASE, P, UM, NULL), 0);
	for (i = 0; i < MAX; i++) {
		task_fork(&t, mm);
		msgs[i] = next_event(a);
		assert_int_equal(task_join(&t), 0);
		children[i] = t.child;
	}
	task_fork(&t, mm);
	wait_events(a, 1);
	assert_int_equal(uffdops_read(a, &msg, sizeof(msg)), -EMFILE);
	assert_blocked(&t);
	assert_int_equal(nr_waiters(a, true), 1);
	assert_int_equal(uffdops_poll(a, 0), POLLIN);
	assert_int_equal(uffdops_fork_ctx(a, &msgs[7], &taken[7]), 0);
	/* the lowest free number is given again */
	msg = next_event(a);
	assert_int_equal(msg.arg.fork.ufd, msgs[7].arg.fork.ufd);
	assert_int_equal(task_join(&t), 0);
	assert_int_equal(uffdops_fork_ctx(a, &msg, &last), 0);
	assert_vma(t.child, BASE, BASE, BASE + P, last, VM_UFFD_MISSING);
	uffdops_close(last);
	uffdops_mm_destroy(t.child);
	for (i = 0; i < MAX; i++) {
		if (i != 7)
			assert_int_equal(
				uffdops_fork_ctx(a, &msgs[i], &taken[i]), 0);
		assert_vma(children[i], BASE, BASE, BASE + P, taken[i],
			   VM_UFFD_MISSING);
		uffdops_close(taken[i]);
		uffdops_mm_destroy(children[i]);
	}
	uffdops_close(a);
	uffdops_mm_destroy(mm);
}

/* ------------------------------------------------------------------------ */
/* mmap_changing, release, order, features.                                 */
/* ------------------------------------------------------------------------ */

/*
 * While an event is in flight: COPY, ZEROPAGE, CONTINUE, POISON and MOVE
 * fail with -EAGAIN in their result field, WRITEPROTECT with -EAGAIN; WAKE,
 * REGISTER and UNREGISTER are unaffected. Afterwards none is refused so.
 */
static void test_mmap_changing_matrix(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, EV_REMOVE);
	struct uffdio_zeropage z = { { BASE + 2 * P, P }, 0, UNTOUCHED };
	struct uffdio_continue n = { { BASE + 8 * P, P }, 0, UNTOUCHED };
	struct uffdio_poison p = { { BASE + 2 * P, P }, 0, UNTOUCHED };
	struct uffdio_move mv = { BASE + 3 * P, BASE + 16 * P, P, 0,
				  UNTOUCHED };
	struct uffd_msg msg;
	struct task t;
	int round;
	__s64 out;

	(void)state;
	map_populated(mm, BASE, 4 * P);
	map_fixed(mm, BASE + 8 * P, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS,
		  NULL);
	map_populated(mm, BASE + 16 * P, 2 * P);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM | UW, NULL), 0);
	assert_int_equal(uffd_reg(ctx, BASE + 8 * P, 2 * P, UI, NULL), 0);
	task_madvise(&t, mm, BASE + 2 * P, 2 * P, MADV_DONTNEED);
	wait_events(ctx, 1);
	for (round = 0; round < 2; round++) {
		int want = round ? 0 : -EAGAIN;

		assert_int_equal(mmap_changing(ctx), round ? 0 : 1);
		z.zeropage = n.mapped = p.updated = mv.move = UNTOUCHED;
		if (!round) {
			assert_int_equal(copy_page(ctx, BASE + 2 * P,
						   BASE + 16 * P, &out),
					 -EAGAIN);
			assert_int_equal(out, -EAGAIN);
		}
		assert_true((uffdops_ioctl(ctx, UFFDIO_ZEROPAGE, &z) ==
			     -EAGAIN) == !round);
		assert_true((z.zeropage == -EAGAIN) == !round);
		assert_true((uffdops_ioctl(ctx, UFFDIO_CONTINUE, &n) ==
			     -EAGAIN) == !round);
		assert_true((n.mapped == -EAGAIN) == !round);
		assert_true((uffdops_ioctl(ctx, UFFDIO_POISON, &p) ==
			     -EAGAIN) == !round);
		assert_true((p.updated == -EAGAIN) == !round);
		assert_true((uffdops_ioctl(ctx, UFFDIO_MOVE, &mv) == -EAGAIN) ==
			    !round);
		assert_true((mv.move == -EAGAIN) == !round);
		assert_int_equal(wp_range(ctx, BASE, P,
					  UFFDIO_WRITEPROTECT_MODE_WP),
				 want);
		assert_int_equal(uffd_wake(ctx, BASE, P), 0);
		assert_int_equal(uffd_reg(ctx, BASE + 16 * P, 2 * P, UM, NULL),
				 0);
		assert_int_equal(uffd_unreg(ctx, BASE + 16 * P, 2 * P), 0);
		if (round)
			break;
		msg = next_event(ctx);
		assert_range_msg(&msg, UFFD_EVENT_REMOVE, BASE + 2 * P,
				 BASE + 4 * P);
		assert_int_equal(task_join(&t), 0);
	}
	release(ctx, mm);
}

/* Release with an event pending: the producer resumes and completes. */
static void test_release_pending(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, EV_REMOVE | EV_UNMAP);
	struct task t;

	(void)state;
	map_populated(mm, BASE, 4 * P);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM, NULL), 0);
	task_madvise(&t, mm, BASE, 2 * P, MADV_DONTNEED);
	wait_events(ctx, 1);
	assert_blocked(&t);
	uffdops_close(ctx);
	assert_int_equal(task_join(&t), 0);
	assert_false(present(mm, BASE));
	assert_true(present(mm, BASE + 2 * P));
	assert_vma(mm, BASE, BASE, BASE + 4 * P, NULL, 0);
	uffdops_mm_destroy(mm);
}

/* A fault queued after an event is read before it. */
static void test_faults_before_events(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, EV_REMOVE);
	struct uffd_msg msgs[3];
	struct task t, f;
	__s64 out;

	(void)state;
	map_populated(mm, BASE, P);
	map_fixed(mm, BASE + P, 3 * P, RW, PA, NULL);
	map_populated(mm, BASE + 16 * P, P);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM, NULL), 0);
	task_madvise(&t, mm, BASE, P, MADV_DONTNEED);
	wait_events(ctx, 1);
	task_fault(&f, mm, BASE + 2 * P, 0);
	wait_faults(ctx, 1);
	assert_int_equal(uffdops_read(ctx, msgs, sizeof(msgs)),
			 (ssize_t)(2 * sizeof(msgs[0])));
	assert_int_equal(msgs[0].event, UFFD_EVENT_PAGEFAULT);
	assert_int_equal(msgs[0].arg.pagefault.address, BASE + 2 * P);
	assert_range_msg(&msgs[1], UFFD_EVENT_REMOVE, BASE, BASE + P);
	assert_int_equal(task_join(&t), 0);
	assert_int_equal(copy_page(ctx, BASE + 2 * P, BASE + 16 * P, &out), 0);
	assert_int_equal(task_join(&f), 0);
	release(ctx, mm);
}

/*
 * Without its feature bit an operation raises no event, never blocks and
 * leaves mmap_changing alone, whatever the other bits.
 */
static void test_no_feature(void **state)
{
	static const struct {
		const char *what;
		__u64 missing;
	} cases[] = {
		{ "madvise(DONTNEED) without EVENT_REMOVE", EV_REMOVE },
		{ "munmap without EVENT_UNMAP", EV_UNMAP },
		{ "mremap(DONTUNMAP) without EVENT_REMAP", EV_REMAP },
		{ "fork without EVENT_FORK", EV_FORK },
		{ "all four without any feature", EV_ALL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		__u64 missing = cases[i].missing;
		struct uffdops_mm *mm = mm_new();
		struct uffdops_ctx *ctx = ctx_new(
			mm, NB, (EV_ALL & ~missing) | UFFD_FEATURE_THREAD_ID);
		struct task t;

		print_message("%s\n", cases[i].what);
		map_populated(mm, BASE, 8 * P);
		assert_int_equal(uffd_reg(ctx, BASE, 8 * P, UM, NULL), 0);
		if (missing & EV_REMOVE) {
			task_madvise(&t, mm, BASE, 2 * P, MADV_DONTNEED);
			assert_int_equal(task_join(&t), 0);
			assert_false(present(mm, BASE));
		}
		if (missing & EV_UNMAP) {
			task_munmap(&t, mm, BASE + 2 * P, P);
			assert_int_equal(task_join(&t), 0);
			assert_unmapped(mm, BASE + 2 * P);
		}
		if (missing & EV_REMAP) {
			task_mremap(&t, mm, BASE + 4 * P, P, P,
				    MREMAP_MAYMOVE | MREMAP_FIXED |
					    MREMAP_DONTUNMAP,
				    DST);
			assert_int_equal(task_join(&t), (long)DST);
			assert_vma(mm, DST, DST, DST + P, NULL, 0);
		}
		if (missing & EV_FORK) {
			task_fork(&t, mm);
			assert_int_equal(task_join(&t), 0);
			assert_reg(t.child, BASE + 6 * P, NULL, 0);
			uffdops_mm_destroy(t.child);
		}
		assert_no_msg(ctx);
		assert_int_equal(mmap_changing(ctx), 0);
		/* the parent's registration is untouched */
		assert_reg(mm, BASE + 6 * P, ctx, VM_UFFD_MISSING);
		release(ctx, mm);
	}
}

/* FEATURE_SIGBUS turns faults into SIGBUS, not events. */
static void test_sigbus_ctx_gets_events(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx =
		ctx_new(mm, NB, UFFD_FEATURE_SIGBUS | EV_REMOVE);
	struct uffd_msg msg;
	struct task t;

	(void)state;
	map_populated(mm, BASE, 2 * P);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM, NULL), 0);
	task_madvise(&t, mm, BASE, P, MADV_DONTNEED);
	wait_events(ctx, 1);
	assert_blocked(&t);
	msg = next_event(ctx);
	assert_range_msg(&msg, UFFD_EVENT_REMOVE, BASE, BASE + P);
	assert_int_equal(task_join(&t), 0);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE, FAULT_FLAG_USER),
			 VM_FAULT_SIGBUS);
	assert_no_msg(ctx);
	release(ctx, mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove_per_vma),
		cmocka_unit_test(test_remove_vma_gone_meanwhile),
		cmocka_unit_test(test_remove_advice_kinds),
		cmocka_unit_test(test_unmap_once_per_ctx),
		cmocka_unit_test(test_unmap_map_fixed),
		cmocka_unit_test(test_unmap_failed_split),
		cmocka_unit_test(test_remap_grow),
		cmocka_unit_test(test_remap_shrinking_move),
		cmocka_unit_test(test_remap_fixed_over_registered),
		cmocka_unit_test(test_remap_registration_and_wp),
		cmocka_unit_test(test_remap_dontunmap),
		cmocka_unit_test(test_remap_in_place),
		cmocka_unit_test(test_remap_merge_resets_whole_vma),
		cmocka_unit_test(test_fork_new_ctx),
		cmocka_unit_test(test_fork_two_ctxs),
		cmocka_unit_test(test_fork_release_unread),
		cmocka_unit_test(test_fork_ctx_lookup),
		cmocka_unit_test(test_fork_untaken_closed_with_reader),
		cmocka_unit_test(test_fork_emfile),
		cmocka_unit_test(test_mmap_changing_matrix),
		cmocka_unit_test(test_release_pending),
		cmocka_unit_test(test_faults_before_events),
		cmocka_unit_test(test_no_feature),
		cmocka_unit_test(test_sigbus_ctx_gets_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
