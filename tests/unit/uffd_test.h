/* SPDX-License-Identifier: MIT */
/*
 * uffd_test.h - helpers shared by the test_uffd_*.c suites: a fresh mm,
 * contexts after the handshake, the ioctls with their structures, VMA
 * snapshots and a recorder for the decision trace.
 */
#ifndef UFFD_TEST_H
#define UFFD_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include <uffdops/uffdops.h>

#define P 4096UL
#define H (2UL << 20)
/* Where the suites map: aligned to 1 GiB, far from the mmap base. */
#define BASE 0x200000000000UL

#define UM UFFDIO_REGISTER_MODE_MISSING
#define UW UFFDIO_REGISTER_MODE_WP
#define UI UFFDIO_REGISTER_MODE_MINOR

#define RW (PROT_READ | PROT_WRITE)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)

static inline struct uffdops_mm *mm_new(void)
{
	struct uffdops_mm *mm = NULL;

	assert_int_equal(uffdops_mm_create(&mm), 0);
	return mm;
}

/* A context after a successful UFFDIO_API with @features. */
static inline struct uffdops_ctx *ctx_new(struct uffdops_mm *mm, int flags,
					  __u64 features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	struct uffdops_ctx *ctx = NULL;

	assert_int_equal(uffdops_userfaultfd(mm, flags, &ctx), 0);
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_API, &api), 0);
	return ctx;
}

/* mmap(MAP_FIXED) that must succeed. */
static inline void map_fixed(struct uffdops_mm *mm, unsigned long addr,
			     unsigned long len, int prot, int flags,
			     struct uffdops_file *file)
{
	assert_int_equal(uffdops_mmap(mm, addr, len, prot, flags | MAP_FIXED,
				      file, 0),
			 (long)addr);
}

/* UFFDIO_REGISTER; *@ioctls gets the written-back mask (preset to ~0). */
static inline int uffd_reg(struct uffdops_ctx *ctx, unsigned long start,
			   unsigned long len, __u64 mode, __u64 *ioctls)
{
	struct uffdio_register reg = {
		.range = { .start = start, .len = len },
		.mode = mode,
		.ioctls = ~(__u64)0,
	};
	int ret = uffdops_ioctl(ctx, UFFDIO_REGISTER, &reg);

	if (ioctls)
		*ioctls = reg.ioctls;
	return ret;
}

static inline int uffd_unreg(struct uffdops_ctx *ctx, unsigned long start,
			     unsigned long len)
{
	struct uffdio_range range = { .start = start, .len = len };

	return uffdops_ioctl(ctx, UFFDIO_UNREGISTER, &range);
}

static inline int uffd_wake(struct uffdops_ctx *ctx, unsigned long start,
			    unsigned long len)
{
	struct uffdio_range range = { .start = start, .len = len };

	return uffdops_ioctl(ctx, UFFDIO_WAKE, &range);
}

/* The VMAs of @mm; at most 64. */
struct maps {
	int n;
	struct uffdops_map v[64];
};

static inline void maps_get(struct uffdops_mm *mm, struct maps *m)
{
	m->n = uffdops_maps(mm, m->v, 64);
	assert_true(m->n >= 0 && m->n <= 64);
}

static inline bool maps_equal(const struct maps *a, const struct maps *b)
{
	int i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct uffdops_map *x = &a->v[i], *y = &b->v[i];

		if (x->start != y->start || x->end != y->end ||
		    x->vm_flags != y->vm_flags || x->pgoff != y->pgoff ||
		    strcmp(x->memtype, y->memtype) || x->inode != y->inode ||
		    x->uffd_ctx != y->uffd_ctx)
			return false;
	}
	return true;
}

/* The VMA containing @addr, or fails the test. */
static inline const struct uffdops_map *maps_at(const struct maps *m,
						unsigned long addr)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].start <= addr && addr < m->v[i].end)
			return &m->v[i];
	fail_msg("no VMA at %#lx", addr);
	return NULL;
}

/* The decision trace, recorded. */
struct trace_log {
	int n;
	struct uffdops_trace_event ev[1024];
};

static inline void trace_record(const struct uffdops_trace_event *ev,
				void *data)
{
	struct trace_log *log = data;

	if (log->n < (int)(sizeof(log->ev) / sizeof(log->ev[0])))
		log->ev[log->n++] = *ev;
}

/* The last event of @log; the test fails if there is none. */
static inline const struct uffdops_trace_event *
trace_last(const struct trace_log *log)
{
	assert_true(log->n > 0);
	return &log->ev[log->n - 1];
}

/* Number of events of @log that failed. */
static inline int trace_failures(const struct trace_log *log)
{
	int i, n = 0;

	for (i = 0; i < log->n; i++)
		n += log->ev[i].result != 0;
	return n;
}

/* fdinfo's "pending" and "total" numbers. */
static inline void fdinfo_counts(struct uffdops_ctx *ctx,
				 unsigned long *pending, unsigned long *total)
{
	char buf[256];

	assert_true(uffdops_fdinfo(ctx, buf, sizeof(buf)) > 0);
	assert_int_equal(
		sscanf(buf, "pending:\t%lu\ntotal:\t%lu", pending, total), 2);
}

#endif /* UFFD_TEST_H */
