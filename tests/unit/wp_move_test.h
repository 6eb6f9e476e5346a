/* SPDX-License-Identifier: MIT */
/*
 * wp_move_test.h - helpers shared by test_wp.c and test_move.c: the two
 * ioctls with their structures, pagemap and page-table inspection, page
 * contents, a thread blocked in handle_userfault(), a trace recorder that
 * can stop a thread between two checks, and mmap_changing.
 */
#ifndef WP_MOVE_TEST_H
#define WP_MOVE_TEST_H

#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "../../src/move.h"
#include "../../src/uffd.h"
#include "../../src/wp.h"
#include "uffd_test.h"

#define PM_P UFFDOPS_PM_PRESENT
#define PM_S UFFDOPS_PM_SWAP
#define PM_F UFFDOPS_PM_FILE
#define PM_W UFFDOPS_PM_UFFD_WP
#define PM_X UFFDOPS_PM_MMAP_EXCLUSIVE
#define PM_G UFFDOPS_PM_GUARD_REGION
/* The pagemap bits the suites compare (no frame, no soft-dirty). */
#define PM_BITS (PM_P | PM_S | PM_F | PM_W | PM_X | PM_G)

/* What the kernel must not write over when the spec says "untouched". */
#define SENTINEL ((__s64)0x5a5aa5a5deadbeefLL)

#define WPM UFFDIO_WRITEPROTECT_MODE_WP
#define WDW UFFDIO_WRITEPROTECT_MODE_DONTWAKE
#define MDW UFFDIO_MOVE_MODE_DONTWAKE
#define MAL UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES

static inline int uffd_wp(struct uffdops_ctx *ctx, unsigned long start,
			  unsigned long len, __u64 mode)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = start, .len = len },
		.mode = mode,
	};

	return uffdops_ioctl(ctx, UFFDIO_WRITEPROTECT, &wp);
}

/* UFFDIO_MOVE; *@moved (if not NULL) gets .move, preset to SENTINEL. */
static inline int uffd_move(struct uffdops_ctx *ctx, unsigned long dst,
			    unsigned long src, unsigned long len, __u64 mode,
			    __s64 *moved)
{
	struct uffdio_move mv = {
		.dst = dst,
		.src = src,
		.len = len,
		.mode = mode,
		.move = SENTINEL,
	};
	int ret = uffdops_ioctl(ctx, UFFDIO_MOVE, &mv);

	if (moved)
		*moved = mv.move;
	return ret;
}

/* The compared pagemap bits of the page at @addr. */
static inline __u64 pm(struct uffdops_mm *mm, unsigned long addr)
{
	struct uffdops_pagemap_entry e;

	assert_int_equal(uffdops_pagemap(mm, addr, &e), 0);
	return e.bits & PM_BITS;
}

/* The whole pagemap entry at @addr. */
static inline struct uffdops_pagemap_entry pm_entry(struct uffdops_mm *mm,
						    unsigned long addr)
{
	struct uffdops_pagemap_entry e;

	assert_int_equal(uffdops_pagemap(mm, addr, &e), 0);
	return e;
}

static inline __u64 pm_pfn(struct uffdops_mm *mm, unsigned long addr)
{
	return pm_entry(mm, addr).bits & UFFDOPS_PM_PFN_MASK;
}

/* The page-table entry mapping @addr (4 KiB, or huge for hugetlb VMAs). */
static inline struct pte pte_at(struct uffdops_mm *mm, unsigned long addr,
				enum pt_level level)
{
	struct pte pte;

	pt_lock(mm);
	pte = pgtable_get(&mm->pgt, ALIGN_DOWN(addr, pt_level_size(level)),
			  level);
	pt_unlock(mm);
	return pte;
}

/* Store @v in the first 8 bytes of the page at @addr, faulting it in. */
static inline void poke(struct uffdops_mm *mm, unsigned long addr, __u64 v)
{
	assert_int_equal(uffdops_write_mem(mm, addr, &v, sizeof(v), 0),
			 (ssize_t)sizeof(v));
}

/* Read fault at @addr (the zero page for anonymous memory). */
static inline void touch(struct uffdops_mm *mm, unsigned long addr)
{
	__u64 v;

	assert_int_equal(uffdops_read_mem(mm, addr, &v, sizeof(v), 0),
			 (ssize_t)sizeof(v));
}

/* The first 8 bytes at @addr without faulting; fails if nothing is mapped. */
static inline __u64 peek(struct uffdops_mm *mm, unsigned long addr)
{
	__u64 v;

	assert_int_equal(uffdops_read_mem(mm, addr, &v, sizeof(v),
					  UFFDOPS_ACCESS_NOFAULT |
						  UFFDOPS_ACCESS_FORCE),
			 (ssize_t)sizeof(v));
	return v;
}

static inline void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Raise or lower ctx->mmap_changing as a non-cooperative event would. */
static inline void mmap_changing(struct uffdops_ctx *ctx, int delta)
{
	atomic_fetch_add(&ctx->mmap_changing, delta);
}

/* ------------------------------------------------------------------------ */
/* A thread blocked in handle_userfault().                                   */
/* ------------------------------------------------------------------------ */

struct waiter {
	struct uffdops_mm *mm;
	struct uffdops_ctx *ctx;
	unsigned long addr;
	unsigned int flags;
	unsigned long reason;
	pthread_t thread;
	atomic_bool done;
	vm_fault_t ret;
};

static inline void *waiter_thread(void *arg)
{
	struct waiter *w = arg;
	struct uffdops_vma *vma;

	mmap_read_lock(w->mm);
	vma = vma_lookup(w->mm, w->addr);
	w->ret = vma ? handle_userfault(vma, w->addr, w->flags, w->reason) :
		       VM_FAULT_SIGSEGV;
	mmap_read_unlock(w->mm);
	atomic_store(&w->done, true);
	return NULL;
}

/*
 * Start a thread faulting at @addr for @reason (VM_UFFD_MISSING or
 * VM_UFFD_WP; a WP fault is a write) and read its message from @ctx.
 */
static inline void waiter_start(struct waiter *w, struct uffdops_mm *mm,
				struct uffdops_ctx *ctx, unsigned long addr,
				unsigned long reason)
{
	struct uffd_msg msg;

	w->mm = mm;
	w->ctx = ctx;
	w->addr = addr;
	w->reason = reason;
	w->flags = FAULT_FLAG_USER |
		   (reason == VM_UFFD_WP ? FAULT_FLAG_WRITE : 0);
	atomic_init(&w->done, false);
	assert_int_equal(pthread_create(&w->thread, NULL, waiter_thread, w), 0);
	assert_true(uffdops_poll(ctx, 5000) & POLLIN);
	assert_int_equal(uffdops_read(ctx, &msg, sizeof(msg)),
			 (ssize_t)sizeof(msg));
	assert_int_equal(msg.event, UFFD_EVENT_PAGEFAULT);
	assert_int_equal(msg.arg.pagefault.address, addr & ~(P - 1));
	/*
	 * The message is queued before handle_userfault() re-checks the entry
	 * and drops the mmap lock to sleep: once the lock can be taken for
	 * writing the thread is asleep (or saw its fault resolved already).
	 */
	mmap_write_lock(mm);
	mmap_write_unlock(mm);
}

/* Still blocked a while later. */
static inline void assert_blocked(struct waiter *w)
{
	msleep(30);
	assert_false(atomic_load(&w->done));
}

/* Woken: returns VM_FAULT_RETRY within 5 s. */
static inline void assert_woken(struct waiter *w)
{
	for (int i = 0; i < 5000 && !atomic_load(&w->done); i++)
		msleep(1);
	assert_true(atomic_load(&w->done));
	assert_int_equal(pthread_join(w->thread, NULL), 0);
	assert_int_equal(w->ret, VM_FAULT_RETRY);
}

/* ------------------------------------------------------------------------ */
/* A trace recorder that can park the deciding thread.                       */
/* ------------------------------------------------------------------------ */

/*
 * struct trace_gate - records every event; when @park_check is set, the
 * thread reporting an event with that check text sets @parked and waits
 * until @release is set.
 */
struct trace_gate {
	pthread_mutex_t lock;
	struct trace_log log;
	const char *park_check;
	atomic_bool parked;
	atomic_bool release;
};

static inline void trace_gate_fn(const struct uffdops_trace_event *ev,
				 void *data)
{
	struct trace_gate *g = data;
	bool park;

	pthread_mutex_lock(&g->lock);
	trace_record(ev, &g->log);
	park = g->park_check && !strcmp(ev->check, g->park_check);
	pthread_mutex_unlock(&g->lock);
	if (!park)
		return;
	atomic_store(&g->parked, true);
	while (!atomic_load(&g->release))
		msleep(1);
}

static inline void trace_gate_init(struct trace_gate *g, struct uffdops_mm *mm,
				   const char *park_check)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	g->park_check = park_check;
	assert_int_equal(uffdops_trace_set(mm, trace_gate_fn, g), 0);
}

static inline void trace_gate_fini(struct trace_gate *g, struct uffdops_mm *mm)
{
	assert_int_equal(uffdops_trace_set(mm, NULL, NULL), 0);
	pthread_mutex_destroy(&g->lock);
}

/* The last event of @g's log that failed; the test fails if none did. */
static inline const struct uffdops_trace_event *
trace_last_failure(struct trace_gate *g)
{
	for (int i = g->log.n - 1; i >= 0; i--)
		if (g->log.ev[i].result)
			return &g->log.ev[i];
	fail_msg("no failed check in the trace");
	return NULL;
}

/* The last failed check was made by @kfn with @err. */
static inline void assert_failed_in(struct trace_gate *g, const char *kfn,
				    int err)
{
	const struct uffdops_trace_event *ev = trace_last_failure(g);

	assert_string_equal(ev->kernel_function, kfn);
	assert_int_equal(ev->result, err);
}

/* An ioctl issued from another thread (to be parked by a trace gate). */
struct async_ioctl {
	struct uffdops_ctx *ctx;
	unsigned long cmd;
	void *arg;
	pthread_t thread;
	int ret;
};

static inline void *async_ioctl_thread(void *arg)
{
	struct async_ioctl *a = arg;

	a->ret = uffdops_ioctl(a->ctx, a->cmd, a->arg);
	return NULL;
}

static inline void async_ioctl_start(struct async_ioctl *a,
				     struct uffdops_ctx *ctx, unsigned long cmd,
				     void *arg)
{
	a->ctx = ctx;
	a->cmd = cmd;
	a->arg = arg;
	assert_int_equal(
		pthread_create(&a->thread, NULL, async_ioctl_thread, a), 0);
}

static inline int async_ioctl_join(struct async_ioctl *a)
{
	assert_int_equal(pthread_join(a->thread, NULL), 0);
	return a->ret;
}

#endif /* WP_MOVE_TEST_H */
