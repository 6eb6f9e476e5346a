/* SPDX-License-Identifier: MIT */
/*
 * test_mfill.c - UFFDIO_COPY, UFFDIO_ZEROPAGE, UFFDIO_CONTINUE and
 * UFFDIO_POISON on the model (spec §2.0, §2.5-§2.7, §2.9): every errno row in
 * its order, the output field and partial progress, page state per memory
 * type (anon, shmem shared and private, hugetlb, user types of both ops
 * generations), the wake of waiters blocked in handle_userfault(), hooks that
 * break their contract, and fills racing with each other, with map changes
 * and with truncation.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "../../src/mfill.h"
#include "../../src/registry.h"
#include "uffd_test.h"

#define RO PROT_READ
#define SF (MAP_SHARED | MAP_FIXED)
#define PF (MAP_PRIVATE | MAP_FIXED)
/* A source region nothing registers. */
#define SRC (BASE + 0x40000000UL)
/* What an untouched output field still holds. */
#define UNTOUCHED ((__s64)0x5a5a5a5a5a5a5a5aLL)

#define PM_P UFFDOPS_PM_PRESENT
#define PM_S UFFDOPS_PM_SWAP
#define PM_F UFFDOPS_PM_FILE
#define PM_W UFFDOPS_PM_UFFD_WP
#define PM_X UFFDOPS_PM_MMAP_EXCLUSIVE

enum fop {
	F_COPY,
	F_ZERO,
	F_CONT,
	F_POISON
};

/* One fill ioctl; *@out gets the written-back field (UNTOUCHED if not). */
static int fill(struct uffdops_ctx *ctx, enum fop op, unsigned long dst,
		unsigned long src, unsigned long len, __u64 mode, __s64 *out)
{
	struct uffdio_copy c = { dst, src, len, mode, UNTOUCHED };
	struct uffdio_zeropage z = { { dst, len }, mode, UNTOUCHED };
	struct uffdio_continue n = { { dst, len }, mode, UNTOUCHED };
	struct uffdio_poison p = { { dst, len }, mode, UNTOUCHED };
	int ret = -1;

	switch (op) {
	case F_COPY:
		ret = uffdops_ioctl(ctx, UFFDIO_COPY, &c);
		*out = c.copy;
		break;
	case F_ZERO:
		ret = uffdops_ioctl(ctx, UFFDIO_ZEROPAGE, &z);
		*out = z.zeropage;
		break;
	case F_CONT:
		ret = uffdops_ioctl(ctx, UFFDIO_CONTINUE, &n);
		*out = n.mapped;
		break;
	case F_POISON:
		ret = uffdops_ioctl(ctx, UFFDIO_POISON, &p);
		*out = p.updated;
		break;
	}
	return ret;
}

/* A fill that must return @ret and leave @field in the output field. */
#define FILL(ctx, op, dst, src, len, mode, ret, field)                      \
	do {                                                                \
		__s64 out_;                                                 \
		assert_int_equal(fill(ctx, op, dst, src, len, mode, &out_), \
				 ret);                                      \
		assert_int_equal(out_, field);                              \
	} while (0)

static struct uffdops_pagemap_entry pmap(struct uffdops_mm *mm,
					 unsigned long addr)
{
	struct uffdops_pagemap_entry e;

	assert_int_equal(uffdops_pagemap(mm, addr, &e), 0);
	return e;
}

/* The pagemap flag bits of @addr, without the frame number. */
static __u64 pmf(struct uffdops_mm *mm, unsigned long addr)
{
	return pmap(mm, addr).bits & ~UFFDOPS_PM_PFN_MASK;
}

static struct pte pte_at(struct uffdops_mm *mm, unsigned long addr,
			 enum pt_level level)
{
	struct pte pte;

	pt_lock(mm);
	pte = pgtable_get(&mm->pgt, addr, level);
	pt_unlock(mm);
	return pte;
}

static bool writable(struct uffdops_mm *mm, unsigned long addr)
{
	return pte_write(pte_at(mm, addr, PT_LEVEL_PTE));
}

/* Installs a PTE marker directly (a WP_UNPOPULATED write-protect would). */
static void set_marker(struct uffdops_mm *mm, unsigned long addr,
		       enum pt_level level, unsigned int marker)
{
	pt_lock(mm);
	assert_int_equal(
		pgtable_set(&mm->pgt, addr, level, make_pte_marker(marker)), 0);
	pt_unlock(mm);
}

/* Fills [addr, addr + len) with @c through the CPU path (must succeed). */
static void wr(struct uffdops_mm *mm, unsigned long addr, unsigned long len,
	       unsigned char c)
{
	static unsigned char buf[2 << 20];

	memset(buf, c, len);
	assert_int_equal(uffdops_write_mem(mm, addr, buf, len, 0), (long)len);
}

/*
 * Every byte of [addr, addr + len) is @c, read as mapped now (@flags
 * UFFDOPS_ACCESS_NOFAULT) or faulting it in (0, outside registered ranges).
 */
static void assert_bytes_f(struct uffdops_mm *mm, unsigned long addr,
			   unsigned long len, unsigned char c,
			   unsigned int flags)
{
	static unsigned char buf[2 << 20];
	unsigned long i;

	assert_int_equal(uffdops_read_mem(mm, addr, buf, len, flags),
			 (long)len);
	for (i = 0; i < len; i++)
		if (buf[i] != c)
			fail_msg("byte %#lx of %#lx is %#x, want %#x", i, addr,
				 buf[i], c);
}

#define assert_bytes(mm, addr, len, c) \
	assert_bytes_f(mm, addr, len, c, UFFDOPS_ACCESS_NOFAULT)

static unsigned long cached_pages(const struct uffdops_file *f)
{
	struct uffdops_inode *inode = uffdops_file_inode(f);
	unsigned long n;

	pthread_mutex_lock(&inode->i_pages_lock);
	n = inode->nrpages;
	pthread_mutex_unlock(&inode->i_pages_lock);
	return n;
}

static bool cached_at(const struct uffdops_file *f, pgoff_t index)
{
	struct uffdops_inode *inode = uffdops_file_inode(f);
	bool ret;

	pthread_mutex_lock(&inode->i_pages_lock);
	ret = filemap_find_locked(inode, index) != NULL;
	pthread_mutex_unlock(&inode->i_pages_lock);
	return ret;
}

static struct uffdops_file *file_new(const char *type, unsigned long size)
{
	struct uffdops_file *f = NULL;

	assert_int_equal(uffdops_file_create(type, size, &f), 0);
	return f;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* An mm with one context (features 0) and a source region of 16 pages. */
struct env {
	struct uffdops_mm *mm;
	struct uffdops_ctx *ctx;
	struct uffdops_file *file;
};

static struct env env_new(__u64 features)
{
	struct env e = { .mm = mm_new() };

	e.ctx = ctx_new(e.mm, O_NONBLOCK, features);
	map_fixed(e.mm, SRC, 16 * P, RW, PA, NULL);
	for (int i = 0; i < 16; i++)
		wr(e.mm, SRC + i * P, P, (unsigned char)(0x10 + i));
	return e;
}

/* @pages of anon at BASE registered with @mode. */
static struct env env_anon(unsigned long pages, __u64 mode)
{
	struct env e = env_new(0);

	map_fixed(e.mm, BASE, pages * P, RW, PA, NULL);
	assert_int_equal(uffd_reg(e.ctx, BASE, pages * P, mode, NULL), 0);
	return e;
}

/* A shmem file of @size mapped at BASE over @pages (shared or private). */
static struct env env_shmem(unsigned long size, unsigned long pages, int flags,
			    __u64 mode)
{
	struct env e = env_new(0);

	e.file = file_new("shmem", size);
	map_fixed(e.mm, BASE, pages * P, RW, flags, e.file);
	assert_int_equal(uffd_reg(e.ctx, BASE, pages * P, mode, NULL), 0);
	return e;
}

static void env_free(struct env *e)
{
	uffdops_close(e->ctx);
	uffdops_mm_destroy(e->mm);
	if (e->file)
		uffdops_file_close(e->file);
}

/* ------------------------------------------------------------------------ */
/* Validation (C1-C6, Z1-Z5, N1-N5, P1-P5).                                  */
/* ------------------------------------------------------------------------ */

struct vrow {
	enum fop op;
	unsigned long dst, src, len;
	__u64 mode;
	int ret;
	__s64 field;
};

static void test_validation_order(void **state)
{
	const unsigned long T = UFFDOPS_TASK_SIZE;
	const struct vrow rows[] = {
		/* C3 validate_unaligned_range() of src, before dst */
		{ F_COPY, BASE + 1, SRC, P, 0, -EINVAL, UNTOUCHED },
		{ F_COPY, BASE, SRC, 100, 0, -EINVAL, UNTOUCHED },
		{ F_COPY, BASE, SRC, 0, 0, -EINVAL, UNTOUCHED },
		{ F_COPY, BASE, T, P, 0, -EINVAL, UNTOUCHED },
		{ F_COPY, BASE, T - 2 * P + 1, 2 * P, 0, -EINVAL, UNTOUCHED },
		/* an unaligned src is fine: the VMA check decides */
		{ F_COPY, BASE, SRC + 1, P, 0, -ENOENT, -ENOENT },
		/* C4 validate_range() of dst */
		{ F_COPY, T, SRC, P, 0, -EINVAL, UNTOUCHED },
		{ F_COPY, T - P, SRC, 2 * P, 0, -EINVAL, UNTOUCHED },
		/* C5 mode, before any VMA is looked at */
		{ F_COPY, BASE, SRC, P, 4, -EINVAL, UNTOUCHED },
		{ F_COPY, BASE, SRC, P, 3, -ENOENT, -ENOENT },
		/* start 0 validates in 6.18.44 */
		{ F_COPY, 0, SRC, P, 0, -ENOENT, -ENOENT },
		{ F_ZERO, BASE + 1, 0, P, 0, -EINVAL, UNTOUCHED },
		{ F_ZERO, BASE, 0, 0, 0, -EINVAL, UNTOUCHED },
		{ F_ZERO, BASE, 0, P, 2, -EINVAL, UNTOUCHED },
		{ F_ZERO, BASE, 0, P, 1, -ENOENT, -ENOENT },
		{ F_CONT, BASE, 0, P + 1, 0, -EINVAL, UNTOUCHED },
		{ F_CONT, BASE, 0, P, 4, -EINVAL, UNTOUCHED },
		{ F_CONT, BASE, 0, P, 3, -ENOENT, -ENOENT },
		{ F_POISON, T, 0, P, 0, -EINVAL, UNTOUCHED },
		{ F_POISON, BASE, 0, P, 2, -EINVAL, UNTOUCHED },
		{ F_POISON, BASE, 0, P, 1, -ENOENT, -ENOENT },
	};
	struct env e = env_new(0);
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct vrow *r = &rows[i];
		__s64 out;

		if (fill(e.ctx, r->op, r->dst, r->src, r->len, r->mode, &out) !=
			    r->ret ||
		    out != r->field)
			fail_msg("row %zu: ret/field %d/%lld", i,
				 fill(e.ctx, r->op, r->dst, r->src, r->len,
				      r->mode, &out),
				 (long long)out);
	}
	/* C2: an unreadable argument */
	assert_int_equal(uffdops_ioctl(e.ctx, UFFDIO_COPY, NULL), -EFAULT);
	assert_int_equal(uffdops_ioctl(e.ctx, UFFDIO_POISON, NULL), -EFAULT);
	env_free(&e);
}

/* C1/Z1/N1/P1: the field says -EAGAIN before the request is even read. */
static void test_mmap_changing(void **state)
{
	struct env e = env_anon(4, UM);
	enum fop op;

	(void)state;
	atomic_store(&e.ctx->mmap_changing, 1);
	for (op = F_COPY; op <= F_POISON; op++) {
		/* a bad mode and a bad range do not matter */
		FILL(e.ctx, op, BASE + 1, SRC, 0, 0xff, -EAGAIN, -EAGAIN);
	}
	/* put_user() of -EAGAIN faults: EFAULT */
	assert_int_equal(uffdops_ioctl(e.ctx, UFFDIO_COPY, NULL), -EFAULT);
	/* M3: mfill_atomic() checks again under the mmap lock */
	assert_int_equal(mfill_atomic(e.ctx, "test", BASE, SRC, P,
				      MFILL_ATOMIC_COPY),
			 -EAGAIN);
	assert_int_equal(pmf(e.mm, BASE), 0);
	atomic_store(&e.ctx->mmap_changing, 0);
	FILL(e.ctx, F_COPY, BASE, SRC, P, 0, 0, (__s64)P);
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* mfill_atomic() checks (M1-M8).                                            */
/* ------------------------------------------------------------------------ */

static void test_vma_checks(void **state)
{
	struct env e = env_anon(4, UM);
	struct uffdops_ctx *other;
	__s64 out;

	(void)state;
	/* a second VMA right after, registered too (by another context) */
	other = ctx_new(e.mm, O_NONBLOCK, 0);
	map_fixed(e.mm, BASE + 4 * P, 4 * P, RW, PA, NULL);
	assert_int_equal(uffd_reg(other, BASE + 4 * P, 4 * P, UM, NULL), 0);
	/* M2: the range runs past the VMA's end -> ENOENT */
	FILL(e.ctx, F_COPY, BASE + 2 * P, SRC, 4 * P, 0, -ENOENT, -ENOENT);
	FILL(e.ctx, F_POISON, BASE + 3 * P, 0, 2 * P, 0, -ENOENT, -ENOENT);
	/* M2b: any context of the mm may fill: through @other into BASE */
	FILL(other, F_COPY, BASE, SRC, P, 0, 0, (__s64)P);
	/* M1: a hole */
	FILL(e.ctx, F_ZERO, BASE + 8 * P, 0, P, 0, -ENOENT, -ENOENT);
	/* M2b: an unregistered VMA; with MODE_WP still ENOENT first */
	map_fixed(e.mm, BASE + 16 * P, 2 * P, RW, PA, NULL);
	FILL(e.ctx, F_COPY, BASE + 16 * P, SRC, P, 0, -ENOENT, -ENOENT);
	FILL(e.ctx, F_COPY, BASE + 16 * P, SRC, P, UFFDIO_COPY_MODE_WP, -ENOENT,
	     -ENOENT);
	/* M5: MODE_WP on a MISSING-only VMA, even over a present page */
	FILL(e.ctx, F_COPY, BASE, SRC, P, UFFDIO_COPY_MODE_WP, -EINVAL,
	     -EINVAL);
	FILL(e.ctx, F_CONT, BASE, 0, P, UFFDIO_CONTINUE_MODE_WP, -EINVAL,
	     -EINVAL);
	/* M8: CONTINUE on anonymous memory */
	FILL(e.ctx, F_CONT, BASE + P, 0, P, 0, -EINVAL, -EINVAL);
	/* the registered mode is not checked: COPY into a WP-only VMA */
	map_fixed(e.mm, BASE + 32 * P, P, RW, PA, NULL);
	assert_int_equal(uffd_reg(e.ctx, BASE + 32 * P, P, UW, NULL), 0);
	FILL(e.ctx, F_COPY, BASE + 32 * P, SRC, P, UFFDIO_COPY_MODE_WP, 0,
	     (__s64)P);
	assert_true(fill(e.ctx, F_COPY, BASE + 2 * P, SRC, P, 0, &out) == 0);
	uffdops_close(other);
	env_free(&e);
}

/* M7: a regular file registered WP-only under WP_ASYNC serves no fill. */
static void test_other_file_einval(void **state)
{
	struct env e = env_new(UFFD_FEATURE_WP_ASYNC);
	enum fop op;

	(void)state;
	e.file = file_new("file", 8 * P);
	map_fixed(e.mm, BASE, 4 * P, RW, SF, e.file);
	assert_int_equal(uffd_reg(e.ctx, BASE, 4 * P, UW, NULL), 0);
	for (op = F_COPY; op <= F_POISON; op++)
		FILL(e.ctx, op, BASE, SRC, P, 0, -EINVAL, -EINVAL);
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* Anonymous memory.                                                         */
/* ------------------------------------------------------------------------ */

static void test_anon_copy(void **state)
{
	struct env e = env_anon(8, UM | UW);
	struct uffdops_map m;

	(void)state;
	FILL(e.ctx, F_COPY, BASE, SRC, 4 * P, 0, 0, (__s64)(4 * P));
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pmf(e.mm, BASE + i * P), PM_P | PM_X);
		assert_true(writable(e.mm, BASE + i * P));
		assert_bytes(e.mm, BASE + i * P, P, (unsigned char)(0x10 + i));
	}
	/* MODE_WP: the uffd-wp bit, write-protected */
	FILL(e.ctx, F_COPY, BASE + 4 * P, SRC + 5 * P, P, UFFDIO_COPY_MODE_WP,
	     0, (__s64)P);
	assert_int_equal(pmf(e.mm, BASE + 4 * P), PM_P | PM_X | PM_W);
	assert_false(writable(e.mm, BASE + 4 * P));
	assert_bytes(e.mm, BASE + 4 * P, P, 0x15);
	/* an unaligned source is copied from where it starts */
	wr(e.mm, SRC + 9 * P - 2, 1, 0xab);
	FILL(e.ctx, F_COPY, BASE + 5 * P, SRC + 8 * P - 1, P, 0, 0, (__s64)P);
	assert_bytes(e.mm, BASE + 5 * P, 1, 0x17);
	assert_bytes(e.mm, BASE + 5 * P + 1, P - 2, 0x18);
	assert_bytes(e.mm, BASE + 6 * P - 1, 1, 0xab);
	/* a read-only VMA gets a read-only page */
	assert_int_equal(uffdops_mprotect(e.mm, BASE + 7 * P, P, RO), 0);
	FILL(e.ctx, F_COPY, BASE + 7 * P, SRC, P, 0, 0, (__s64)P);
	assert_false(writable(e.mm, BASE + 7 * P));
	/* the VMAs are untouched by fills */
	assert_true(uffdops_maps(e.mm, &m, 1) >= 1);
	env_free(&e);
}

static void test_anon_partial(void **state)
{
	struct env e = env_anon(16, UM);

	(void)state;
	/* 4 pages, the 3rd present: EAGAIN with 8192, the error hidden */
	FILL(e.ctx, F_COPY, BASE + 2 * P, SRC, P, 0, 0, (__s64)P);
	FILL(e.ctx, F_COPY, BASE, SRC, 4 * P, 0, -EAGAIN, (__s64)(2 * P));
	/* re-issuing at the stop shows it */
	FILL(e.ctx, F_COPY, BASE + 2 * P, SRC, 2 * P, 0, -EEXIST, -EEXIST);
	/* ZEROPAGE and POISON stop the same way */
	FILL(e.ctx, F_ZERO, BASE + 4 * P, 0, P, 0, 0, (__s64)P);
	FILL(e.ctx, F_ZERO, BASE + 3 * P, 0, 2 * P, 0, -EAGAIN, (__s64)P);
	FILL(e.ctx, F_POISON, BASE + 5 * P, 0, 3 * P, 0, 0, (__s64)(3 * P));
	FILL(e.ctx, F_POISON, BASE + 8 * P, 0, 2 * P, 0, 0, (__s64)(2 * P));
	FILL(e.ctx, F_POISON, BASE + 10 * P, 0, 1 * P, 0, 0, (__s64)P);
	FILL(e.ctx, F_POISON, BASE + 9 * P, 0, 3 * P, 0, -EEXIST, -EEXIST);
	/* COPY onto the zero page: EEXIST */
	FILL(e.ctx, F_COPY, BASE + 4 * P, SRC, P, 0, -EEXIST, -EEXIST);
	env_free(&e);
	/* L2: a huge entry at the PMD (a THP) is never filled under */
	e = env_anon(H / P, UM);
	set_marker(e.mm, BASE, PT_LEVEL_PMD, PTE_MARKER_GUARD);
	FILL(e.ctx, F_ZERO, BASE + P, 0, P, 0, -EEXIST, -EEXIST);
	set_marker(e.mm, BASE, PT_LEVEL_PMD, 0);
	FILL(e.ctx, F_ZERO, BASE + P, 0, P, 0, 0, (__s64)P);
	env_free(&e);
}

static void test_anon_src_faults(void **state)
{
	struct env e = env_anon(8, UM);
	struct trace_log *log = calloc(1, sizeof(*log));
	int i, retried = 0;

	(void)state;
	/* L5: an unmapped source, or page 0 */
	FILL(e.ctx, F_COPY, BASE, SRC + 64 * P, P, 0, -EFAULT, -EFAULT);
	FILL(e.ctx, F_COPY, BASE, 0, P, 0, -EFAULT, -EFAULT);
	/* the last two source pages PROT_NONE: EAGAIN, 8192 */
	assert_int_equal(uffdops_mprotect(e.mm, SRC + 2 * P, 2 * P, PROT_NONE),
			 0);
	FILL(e.ctx, F_COPY, BASE, SRC, 4 * P, 0, -EAGAIN, (__s64)(2 * P));
	assert_int_equal(pmf(e.mm, BASE + 2 * P), 0);
	/* a source the CPU must fault in: read again with faults, then fill */
	map_fixed(e.mm, SRC + 32 * P, 2 * P, RW, PA, NULL);
	assert_int_equal(uffdops_trace_set(e.mm, trace_record, log), 0);
	FILL(e.ctx, F_COPY, BASE + 4 * P, SRC + 32 * P, 2 * P, 0, 0,
	     (__s64)(2 * P));
	assert_int_equal(uffdops_trace_set(e.mm, NULL, NULL), 0);
	for (i = 0; i < log->n; i++)
		retried +=
			!strcmp(log->ev[i].check,
				"copy_from_user of src with faults allowed") &&
			!log->ev[i].result;
	assert_int_equal(retried, 2);
	assert_bytes(e.mm, BASE + 4 * P, 2 * P, 0);
	free(log);
	env_free(&e);
}

struct filler {
	struct uffdops_ctx *ctx;
	unsigned long dst, src, len;
	pthread_t thread;
	atomic_bool done;
	int ret;
	__s64 out;
};

static void *fill_thread(void *arg)
{
	struct filler *f = arg;

	f->ret = fill(f->ctx, F_COPY, f->dst, f->src, f->len, 0, &f->out);
	atomic_store(&f->done, true);
	return NULL;
}

/*
 * L5: a source missing in a registered range makes the ioctl take a
 * userfault of its own and wait; resolved, the COPY goes on. On a
 * UFFD_USER_MODE_ONLY context the kernel-mode read gets SIGBUS: EFAULT.
 */
static void test_src_userfault(void **state)
{
	struct env e = env_anon(4, UM);
	const unsigned long src = BASE + 64 * P;
	struct filler f = {
		.ctx = e.ctx, .dst = BASE, .src = src, .len = 2 * P
	};
	struct uffdops_ctx *umo;
	struct uffd_msg msg;

	(void)state;
	map_fixed(e.mm, src, 2 * P, RW, PA, NULL);
	assert_int_equal(uffd_reg(e.ctx, src, 2 * P, UM, NULL), 0);
	atomic_init(&f.done, false);
	assert_int_equal(pthread_create(&f.thread, NULL, fill_thread, &f), 0);
	assert_true(uffdops_poll(e.ctx, 5000) & POLLIN);
	assert_int_equal(uffdops_read(e.ctx, &msg, sizeof(msg)), sizeof(msg));
	assert_int_equal(msg.arg.pagefault.address, src);
	assert_int_equal(msg.arg.pagefault.flags, 0);
	msleep(30);
	assert_false(atomic_load(&f.done));
	FILL(e.ctx, F_ZERO, src, 0, 2 * P, 0, 0, (__s64)(2 * P));
	assert_int_equal(pthread_join(f.thread, NULL), 0);
	assert_int_equal(f.ret, 0);
	assert_int_equal(f.out, 2 * P);
	assert_bytes(e.mm, BASE, 2 * P, 0);
	/* a kernel-mode access on a UFFD_USER_MODE_ONLY context */
	umo = ctx_new(e.mm, O_NONBLOCK | UFFD_USER_MODE_ONLY, 0);
	map_fixed(e.mm, src + 8 * P, P, RW, PA, NULL);
	map_fixed(e.mm, BASE + 16 * P, P, RW, PA, NULL);
	assert_int_equal(uffd_reg(umo, src + 8 * P, P, UM, NULL), 0);
	assert_int_equal(uffd_reg(umo, BASE + 16 * P, P, UM, NULL), 0);
	FILL(umo, F_COPY, BASE + 16 * P, src + 8 * P, P, 0, -EFAULT, -EFAULT);
	uffdops_close(umo);
	env_free(&e);
}

/* spec §1.4: what each fill accepts on a marker. */
static void test_anon_markers(void **state)
{
	static const unsigned int markers[] = { PTE_MARKER_UFFD_WP,
						PTE_MARKER_POISONED,
						PTE_MARKER_GUARD };
	struct env e = env_anon(16, UM | UW);

	(void)state;
	for (int i = 0; i < 3; i++) {
		unsigned long a = BASE + i * P;

		set_marker(e.mm, a, PT_LEVEL_PTE, markers[i]);
		/* private ZEROPAGE and POISON: strictly none */
		FILL(e.ctx, F_ZERO, a, 0, P, 0, -EEXIST, -EEXIST);
		FILL(e.ctx, F_POISON, a, 0, P, 0, -EEXIST, -EEXIST);
		/* COPY replaces any marker (and drops its protection) */
		FILL(e.ctx, F_COPY, a, SRC, P, 0, 0, (__s64)P);
		assert_int_equal(pmf(e.mm, a), PM_P | PM_X);
		assert_true(writable(e.mm, a));
	}
	/* the guard installed by madvise is replaced too */
	assert_int_equal(
		uffdops_madvise(e.mm, BASE + 8 * P, P, MADV_GUARD_INSTALL), 0);
	FILL(e.ctx, F_COPY, BASE + 8 * P, SRC, P, 0, 0, (__s64)P);
	assert_int_equal(pmap(e.mm, BASE + 8 * P).marker, 0);
	env_free(&e);
}

static void test_anon_zeropage_poison(void **state)
{
	struct env e = env_anon(8, UM);

	(void)state;
	FILL(e.ctx, F_ZERO, BASE, 0, 3 * P, 0, 0, (__s64)(3 * P));
	for (int i = 0; i < 3; i++) {
		assert_true(pmap(e.mm, BASE + i * P).zero_page);
		assert_int_equal(pmf(e.mm, BASE + i * P), PM_P);
		assert_false(writable(e.mm, BASE + i * P));
	}
	assert_bytes(e.mm, BASE, 3 * P, 0);
	/* a pvm_no_zero_page mm still gets the zero page from ZEROPAGE */
	assert_int_equal(uffdops_mm_config(e.mm, UFFDOPS_MM_NO_ZERO_PAGE, 1),
			 0);
	FILL(e.ctx, F_ZERO, BASE + 3 * P, 0, P, 0, 0, (__s64)P);
	assert_true(pmap(e.mm, BASE + 3 * P).zero_page);
	/* POISON: a marker; any access is SIGBUS; COPY later replaces it */
	FILL(e.ctx, F_POISON, BASE + 4 * P, 0, P, 0, 0, (__s64)P);
	assert_int_equal(pmap(e.mm, BASE + 4 * P).marker,
			 UFFDOPS_MARKER_POISON);
	assert_int_equal(pmf(e.mm, BASE + 4 * P), PM_S);
	assert_int_equal(uffdops_handle_mm_fault(e.mm, BASE + 4 * P,
						 FAULT_FLAG_USER),
			 VM_FAULT_SIGBUS);
	FILL(e.ctx, F_POISON, BASE + 4 * P, 0, P, 0, -EEXIST, -EEXIST);
	FILL(e.ctx, F_COPY, BASE + 4 * P, SRC, P, 0, 0, (__s64)P);
	assert_bytes(e.mm, BASE + 4 * P, P, 0x10);
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* shmem.                                                                    */
/* ------------------------------------------------------------------------ */

static void test_shmem_shared_copy(void **state)
{
	/* a file of 8 pages mapped over 10, and a second, unregistered view */
	struct env e = env_shmem(8 * P, 10, SF, UM | UW);
	const unsigned long view = BASE + 64 * P;

	(void)state;
	map_fixed(e.mm, view, 8 * P, RW, SF, e.file);
	FILL(e.ctx, F_COPY, BASE, SRC, 2 * P, 0, 0, (__s64)(2 * P));
	assert_int_equal(pmf(e.mm, BASE), PM_P | PM_F | PM_X);
	assert_true(writable(e.mm, BASE));
	assert_int_equal(cached_pages(e.file), 2);
	/* the page is the file's: the other view reads it */
	wr(e.mm, view + P, 1, 0x77);
	assert_bytes(e.mm, BASE + P, 1, 0x77);
	/* cached but not mapped here: EEXIST */
	wr(e.mm, view + 2 * P, P, 0x42);
	FILL(e.ctx, F_COPY, BASE + 2 * P, SRC, P, 0, -EEXIST, -EEXIST);
	FILL(e.ctx, F_ZERO, BASE + 2 * P, 0, P, 0, -EEXIST, -EEXIST);
	/* pages 6..9 with EOF at 8: EAGAIN, 8192; beyond EOF: EFAULT */
	FILL(e.ctx, F_COPY, BASE + 6 * P, SRC, 4 * P, 0, -EAGAIN,
	     (__s64)(2 * P));
	FILL(e.ctx, F_COPY, BASE + 8 * P, SRC, P, 0, -EFAULT, -EFAULT);
	FILL(e.ctx, F_ZERO, BASE + 9 * P, 0, P, 0, -EFAULT, -EFAULT);
	FILL(e.ctx, F_POISON, BASE + 8 * P, 0, P, 0, -EFAULT, -EFAULT);
	assert_int_equal(cached_pages(e.file), 5);
	/* MODE_WP on a shared page */
	FILL(e.ctx, F_COPY, BASE + 3 * P, SRC, P, UFFDIO_COPY_MODE_WP, 0,
	     (__s64)P);
	assert_int_equal(pmf(e.mm, BASE + 3 * P), PM_P | PM_F | PM_X | PM_W);
	assert_false(writable(e.mm, BASE + 3 * P));
	env_free(&e);
}

static void test_shmem_shared_zeropage_markers(void **state)
{
	static const unsigned int markers[] = { PTE_MARKER_UFFD_WP,
						PTE_MARKER_POISONED,
						PTE_MARKER_GUARD };
	struct env e = env_shmem(16 * P, 16, SF, UM | UW);

	(void)state;
	/* shared ZEROPAGE caches a zeroed page: no zero page */
	FILL(e.ctx, F_ZERO, BASE, 0, P, 0, 0, (__s64)P);
	assert_false(pmap(e.mm, BASE).zero_page);
	assert_int_equal(pmf(e.mm, BASE), PM_P | PM_F | PM_X);
	assert_true(cached_at(e.file, 0));
	/* it replaces markers as COPY does (spec §4.3-9) */
	for (int i = 0; i < 3; i++) {
		set_marker(e.mm, BASE + (1 + i) * P, PT_LEVEL_PTE, markers[i]);
		FILL(e.ctx, F_ZERO, BASE + (1 + i) * P, 0, P, 0, 0, (__s64)P);
		set_marker(e.mm, BASE + (4 + i) * P, PT_LEVEL_PTE, markers[i]);
		FILL(e.ctx, F_COPY, BASE + (4 + i) * P, SRC, P, 0, 0, (__s64)P);
		/* POISON does not */
		set_marker(e.mm, BASE + (8 + i) * P, PT_LEVEL_PTE, markers[i]);
		FILL(e.ctx, F_POISON, BASE + (8 + i) * P, 0, P, 0, -EEXIST,
		     -EEXIST);
	}
	/* POISON leaves the cache alone */
	FILL(e.ctx, F_POISON, BASE + 12 * P, 0, P, 0, 0, (__s64)P);
	assert_false(cached_at(e.file, 12));
	env_free(&e);
}

static void test_shmem_private(void **state)
{
	struct env e = env_shmem(8 * P, 10, PF, UM);

	(void)state;
	/* COPY: anonymous memory, the page cache neither consulted nor changed */
	FILL(e.ctx, F_COPY, BASE, SRC, P, 0, 0, (__s64)P);
	assert_int_equal(pmf(e.mm, BASE), PM_P | PM_X);
	assert_int_equal(cached_pages(e.file), 0);
	/* ZEROPAGE: the zero page */
	FILL(e.ctx, F_ZERO, BASE + P, 0, P, 0, 0, (__s64)P);
	assert_true(pmap(e.mm, BASE + P).zero_page);
	assert_int_equal(cached_pages(e.file), 0);
	/* beyond EOF: EFAULT for all three */
	FILL(e.ctx, F_COPY, BASE + 8 * P, SRC, P, 0, -EFAULT, -EFAULT);
	FILL(e.ctx, F_ZERO, BASE + 8 * P, 0, P, 0, -EFAULT, -EFAULT);
	FILL(e.ctx, F_POISON, BASE + 9 * P, 0, P, 0, -EFAULT, -EFAULT);
	env_free(&e);
}

static void test_shmem_continue(void **state)
{
	struct env e = env_shmem(8 * P, 10, SF, UM | UW | UI);
	const unsigned long view = BASE + 64 * P;
	struct uffdops_mm *mm = e.mm;

	(void)state;
	map_fixed(mm, view, 8 * P, RW, SF, e.file);
	wr(mm, view, 3 * P, 0x33);
	/* 2 cached pages: 8192, writable file pages */
	FILL(e.ctx, F_CONT, BASE, 0, 2 * P, 0, 0, (__s64)(2 * P));
	assert_int_equal(pmf(mm, BASE) & ~PM_X, PM_P | PM_F);
	assert_true(writable(mm, BASE));
	assert_bytes(mm, BASE, 2 * P, 0x33);
	/* again: EEXIST; uncached: EFAULT; beyond EOF: EINVAL */
	FILL(e.ctx, F_CONT, BASE, 0, P, 0, -EEXIST, -EEXIST);
	FILL(e.ctx, F_CONT, BASE + 4 * P, 0, P, 0, -EFAULT, -EFAULT);
	FILL(e.ctx, F_CONT, BASE + 8 * P, 0, P, 0, -EINVAL, -EINVAL);
	/* pages 2..4 with 3, 4 uncached: EAGAIN, 4096 */
	FILL(e.ctx, F_CONT, BASE + 2 * P, 0, 3 * P, 0, -EAGAIN, (__s64)P);
	/* MODE_WP sets the bit */
	wr(mm, view + 5 * P, P, 0x55);
	FILL(e.ctx, F_CONT, BASE + 5 * P, 0, P, UFFDIO_CONTINUE_MODE_WP, 0,
	     (__s64)P);
	assert_true(pmf(mm, BASE + 5 * P) & PM_W);
	assert_false(writable(mm, BASE + 5 * P));
	/* the page cache is not modified by CONTINUE */
	assert_int_equal(cached_pages(e.file), 4);
	env_free(&e);
}

static void test_shmem_continue_private_and_modes(void **state)
{
	struct env e = env_shmem(8 * P, 8, PF, UM);
	const unsigned long view = BASE + 64 * P;
	struct uffdops_mm *mm = e.mm;

	(void)state;
	map_fixed(mm, view, 8 * P, RW, SF, e.file);
	wr(mm, view, 2 * P, 0x21);
	/* built-in shmem keeps 6.18: CONTINUE on MAP_PRIVATE, MISSING-only */
	FILL(e.ctx, F_CONT, BASE, 0, P, 0, 0, (__s64)P);
	assert_int_equal(pmf(mm, BASE) & ~PM_X, PM_P | PM_F);
	assert_false(writable(mm, BASE));
	/* a write copies: the file keeps its bytes */
	wr(mm, BASE, 1, 0x99);
	assert_int_equal(pmf(mm, BASE) & PM_F, 0);
	assert_bytes(mm, view, 1, 0x21);
	/* MODE_WP on a VMA without WP: EINVAL */
	FILL(e.ctx, F_CONT, BASE + P, 0, P, UFFDIO_CONTINUE_MODE_WP, -EINVAL,
	     -EINVAL);
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* hugetlb.                                                                  */
/* ------------------------------------------------------------------------ */

static void test_hugetlb(void **state)
{
	struct env e = env_new(0);
	struct uffdops_mm *mm = e.mm;
	const unsigned long view = BASE + 64 * H;

	(void)state;
	e.file = file_new("hugetlb", 8 * H);
	map_fixed(mm, BASE, 4 * H, RW, SF, e.file);
	map_fixed(mm, view, 8 * H, RW, SF, e.file);
	map_fixed(mm, SRC + 64 * P, 2 * H, RW, PA, NULL);
	wr(mm, SRC + 64 * P, H, 0x61);
	assert_int_equal(uffd_reg(e.ctx, BASE, 4 * H, UM | UW | UI, NULL), 0);
	/* H1 ZEROPAGE; H2 sizes and starts in whole huge pages */
	FILL(e.ctx, F_ZERO, BASE, 0, H, 0, -EINVAL, -EINVAL);
	FILL(e.ctx, F_COPY, BASE, SRC, P, 0, -EINVAL, -EINVAL);
	FILL(e.ctx, F_COPY, BASE + P, SRC, H, 0, -EINVAL, -EINVAL);
	FILL(e.ctx, F_POISON, BASE, 0, P, 0, -EINVAL, -EINVAL);
	/* a range past the VMA's end is M2 first */
	FILL(e.ctx, F_CONT, BASE + 3 * H + P, 0, H, 0, -ENOENT, -ENOENT);
	/* COPY: a cached huge page, from an unaligned source */
	FILL(e.ctx, F_COPY, BASE, SRC + 64 * P, H, 0, 0, (__s64)H);
	assert_int_equal(pmf(mm, BASE) & ~PM_X, PM_P | PM_F);
	assert_true(pte_write(pte_at(mm, BASE, PT_LEVEL_PMD)));
	assert_true(cached_at(e.file, 0));
	assert_bytes(mm, BASE + H - P, P, 0x61);
	FILL(e.ctx, F_COPY, BASE, SRC + 64 * P, H, 0, -EEXIST, -EEXIST);
	/* H7: cached, not mapped here */
	wr(mm, view + H, 1, 1);
	FILL(e.ctx, F_COPY, BASE + H, SRC + 64 * P, H, 0, -EEXIST, -EEXIST);
	/* CONTINUE: the cached one maps; again EEXIST; uncached EFAULT */
	FILL(e.ctx, F_CONT, BASE + H, 0, H, 0, 0, (__s64)H);
	FILL(e.ctx, F_CONT, BASE + H, 0, H, 0, -EEXIST, -EEXIST);
	FILL(e.ctx, F_CONT, BASE + 2 * H, 0, H, 0, -EFAULT, -EFAULT);
	/* POISON: strictly none, a uffd-wp marker refused; then a marker */
	set_marker(mm, BASE + 2 * H, PT_LEVEL_PMD, PTE_MARKER_UFFD_WP);
	assert_int_equal(pmf(mm, BASE + 2 * H), PM_W);
	FILL(e.ctx, F_POISON, BASE + 2 * H, 0, H, 0, -EEXIST, -EEXIST);
	/* COPY over the uffd-wp marker, with MODE_WP */
	FILL(e.ctx, F_COPY, BASE + 2 * H, SRC + 64 * P, H, UFFDIO_COPY_MODE_WP,
	     0, (__s64)H);
	assert_true(pmf(mm, BASE + 2 * H) & PM_W);
	assert_false(pte_write(pte_at(mm, BASE + 2 * H, PT_LEVEL_PMD)));
	FILL(e.ctx, F_POISON, BASE + 3 * H, 0, H, 0, 0, (__s64)H);
	assert_int_equal(pmf(mm, BASE + 3 * H), 0);
	assert_int_equal(pmap(mm, BASE + 3 * H).marker, UFFDOPS_MARKER_POISON);
	/* H9: a source to fault in: read outside the lock, the VMA rechecked */
	assert_int_equal(uffdops_madvise(mm, BASE + 2 * H, H, MADV_DONTNEED),
			 0);
	map_fixed(mm, SRC + 2048 * P, H, RW, PA, NULL);
	FILL(e.ctx, F_COPY, BASE + 2 * H, SRC + 2048 * P, H, 0, -EEXIST,
	     -EEXIST);
	uffdops_file_truncate(e.file, 2 * H);
	uffdops_file_truncate(e.file, 8 * H);
	FILL(e.ctx, F_COPY, BASE + 2 * H, SRC + 2048 * P, H, 0, 0, (__s64)H);
	assert_bytes(mm, BASE + 3 * H - P, P, 0);
	env_free(&e);
}

static void test_hugetlb_private(void **state)
{
	struct env e = env_new(0);
	struct uffdops_mm *mm = e.mm;

	(void)state;
	e.file = file_new("hugetlb", 4 * H);
	map_fixed(mm, BASE, 2 * H, RW, PF, e.file);
	map_fixed(mm, BASE + 64 * H, 2 * H, RW, SF, e.file);
	wr(mm, BASE + 64 * H + H, 1, 0x44);
	assert_int_equal(uffd_reg(e.ctx, BASE, 2 * H, UM | UI, NULL), 0);
	map_fixed(mm, SRC + 64 * P, H, RW, PA, NULL);
	/* private COPY: an anonymous huge page, nothing cached */
	FILL(e.ctx, F_COPY, BASE, SRC + 64 * P, H, 0, 0, (__s64)H);
	assert_int_equal(pmf(mm, BASE), PM_P | PM_X);
	assert_false(cached_at(e.file, 0));
	/* private CONTINUE: the cached page, read-only */
	FILL(e.ctx, F_CONT, BASE + H, 0, H, 0, 0, (__s64)H);
	assert_true(pmf(mm, BASE + H) & PM_F);
	assert_false(pte_write(pte_at(mm, BASE + H, PT_LEVEL_PMD)));
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* Wake, write-back, trace.                                                  */
/* ------------------------------------------------------------------------ */

struct faulter {
	struct uffdops_mm *mm;
	unsigned long addr;
	pthread_t thread;
	atomic_bool done;
};

static void *fault_thread(void *arg)
{
	struct faulter *f = arg;

	mmap_read_lock(f->mm);
	handle_userfault(vma_lookup(f->mm, f->addr), f->addr, FAULT_FLAG_USER,
			 VM_UFFD_MISSING);
	mmap_read_unlock(f->mm);
	atomic_store(&f->done, true);
	return NULL;
}

/* A thread blocked in handle_userfault() at @addr, queued on @ctx. */
static void fault_start(struct faulter *f, struct uffdops_ctx *ctx,
			struct uffdops_mm *mm, unsigned long addr)
{
	unsigned long pending, total, before;

	fdinfo_counts(ctx, &pending, &before);
	f->mm = mm;
	f->addr = addr;
	atomic_init(&f->done, false);
	assert_int_equal(pthread_create(&f->thread, NULL, fault_thread, f), 0);
	for (int i = 0; i < 10000; i++) {
		fdinfo_counts(ctx, &pending, &total);
		if (total == before + 1)
			return;
		msleep(1);
	}
	fail_msg("the faulting thread never queued");
}

static void assert_blocked(struct faulter *f)
{
	msleep(30);
	assert_false(atomic_load(&f->done));
}

static void fault_join(struct faulter *f)
{
	assert_int_equal(pthread_join(f->thread, NULL), 0);
	assert_true(atomic_load(&f->done));
}

static void test_wake(void **state)
{
	struct env e = env_anon(16, UM);
	struct uffdops_ctx *b = ctx_new(e.mm, O_NONBLOCK, 0);
	struct faulter f1, f2, f3;

	(void)state;
	/* COPY wakes the waiter of its range */
	fault_start(&f1, e.ctx, e.mm, BASE);
	FILL(e.ctx, F_COPY, BASE, SRC, P, 0, 0, (__s64)P);
	fault_join(&f1);
	/* DONTWAKE: filled, still blocked until UFFDIO_WAKE */
	fault_start(&f1, e.ctx, e.mm, BASE + P);
	FILL(e.ctx, F_ZERO, BASE + P, 0, P, UFFDIO_ZEROPAGE_MODE_DONTWAKE, 0,
	     (__s64)P);
	assert_blocked(&f1);
	assert_int_equal(uffd_wake(e.ctx, BASE + P, P), 0);
	fault_join(&f1);
	/* a waiter past the done prefix stays blocked */
	FILL(e.ctx, F_COPY, BASE + 4 * P, SRC, P, 0, 0, (__s64)P);
	fault_start(&f1, e.ctx, e.mm, BASE + 2 * P);
	fault_start(&f2, e.ctx, e.mm, BASE + 5 * P);
	FILL(e.ctx, F_POISON, BASE + 2 * P, 0, 4 * P, 0, -EAGAIN,
	     (__s64)(2 * P));
	fault_join(&f1);
	assert_blocked(&f2);
	/* a fill through context B wakes only B's waiters */
	fault_start(&f3, e.ctx, e.mm, BASE + 6 * P);
	FILL(b, F_COPY, BASE + 6 * P, SRC, P, 0, 0, (__s64)P);
	assert_blocked(&f3);
	/* errors wake nobody */
	FILL(e.ctx, F_COPY, BASE + 5 * P, SRC, P, 0, 0, (__s64)P);
	fault_join(&f2);
	FILL(e.ctx, F_CONT, BASE + 6 * P, 0, P, 0, -EINVAL, -EINVAL);
	assert_blocked(&f3);
	assert_int_equal(uffd_wake(e.ctx, BASE + 6 * P, P), 0);
	fault_join(&f3);
	uffdops_close(b);
	env_free(&e);
}

/* §2.0: put_user() of the result faulting: EFAULT, the work done, no wake. */
static void test_result_write_fault(void **state)
{
	const unsigned long arg = BASE + 128 * P;
	struct env e = env_anon(4, UM);
	struct uffdio_copy c = { BASE, SRC, 2 * P, 0, UNTOUCHED };
	struct faulter f;

	(void)state;
	map_fixed(e.mm, arg, P, RW, PA, NULL);
	assert_int_equal(uffdops_write_mem(e.mm, arg, &c, sizeof(c), 0),
			 (long)sizeof(c));
	assert_int_equal(uffdops_mprotect(e.mm, arg, P, RO), 0);
	fault_start(&f, e.ctx, e.mm, BASE);
	assert_int_equal(uffdops_ioctl_uaddr(e.ctx, UFFDIO_COPY, arg), -EFAULT);
	assert_int_equal(pmf(e.mm, BASE + P), PM_P | PM_X);
	assert_blocked(&f);
	assert_int_equal(uffd_wake(e.ctx, BASE, P), 0);
	fault_join(&f);
	/* the argument in the address space, writable: field written */
	assert_int_equal(uffdops_mprotect(e.mm, arg, P, RW), 0);
	c.dst = BASE + 2 * P;
	assert_int_equal(uffdops_write_mem(e.mm, arg, &c, sizeof(c), 0),
			 (long)sizeof(c));
	assert_int_equal(uffdops_ioctl_uaddr(e.ctx, UFFDIO_COPY, arg), 0);
	assert_int_equal(uffdops_read_mem(e.mm, arg, &c, sizeof(c), 0),
			 (long)sizeof(c));
	assert_int_equal(c.copy, 2 * P);
	/* the argument unmapped: EFAULT, nothing done */
	assert_int_equal(uffdops_ioctl_uaddr(e.ctx, UFFDIO_POISON, arg + P),
			 -EFAULT);
	env_free(&e);
}

static void test_trace_names_kernel_functions(void **state)
{
	struct env e = env_anon(4, UM);
	struct trace_log *log = calloc(1, sizeof(*log));
	const struct uffdops_trace_event *ev;

	(void)state;
	FILL(e.ctx, F_COPY, BASE, SRC, P, 0, 0, (__s64)P);
	assert_int_equal(uffdops_trace_set(e.mm, trace_record, log), 0);
	FILL(e.ctx, F_COPY, BASE, SRC, P, 0, -EEXIST, -EEXIST);
	/* the failing check, then nothing but the written-back result */
	for (int i = 0; i < log->n; i++) {
		ev = &log->ev[i];
		if (!ev->result)
			continue;
		assert_string_equal(ev->op, "UFFDIO_COPY");
		assert_string_equal(ev->kernel_function,
				    "mfill_atomic_install_pte");
		assert_int_equal(ev->result, -EEXIST);
		assert_int_equal(ev->addr, BASE);
	}
	assert_int_equal(trace_failures(log), 1);
	log->n = 0;
	FILL(e.ctx, F_CONT, BASE + P, 0, P, 0, -EINVAL, -EINVAL);
	assert_int_equal(trace_failures(log), 1);
	for (int i = 0; i < log->n; i++)
		if (log->ev[i].result)
			assert_string_equal(log->ev[i].kernel_function,
					    "vma_uffd_ops_supported");
	assert_int_equal(uffdops_trace_set(e.mm, NULL, NULL), 0);
	free(log);
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* User memory types: both ops generations, hooks that break the contract.   */
/* ------------------------------------------------------------------------ */

/* How the test hooks behave. */
enum behave {
	B_OK,
	B_POSITIVE, /* return 1 */
	B_EPERM, /* return an errno the kernel never gives */
	B_NULL, /* success without a folio */
	B_UNLOCKED, /* a folio not locked where the contract says locked */
	B_WRONG_INDEX, /* a folio of another index */
	B_WRONG_ORDER, /* a folio of the wrong size */
	B_LOCKED, /* alloc_folio: a locked folio */
	B_LEAVE, /* filemap_add fails but leaves the folio cached and locked */
	B_REMOVE_NOOP, /* filemap_remove does nothing */
	B_EINVAL, /* uffd_get_folio: -EINVAL (legitimate) */
};

static _Atomic int behave = B_OK;
static atomic_int nr_alloc;

static int prop_get_folio(struct uffdops_inode *inode, pgoff_t pgoff,
			  struct uffdops_folio **foliop)
{
	struct uffdops_folio *f;
	int ret;

	switch (atomic_load(&behave)) {
	case B_POSITIVE:
		return 1;
	case B_EPERM:
		return -EPERM;
	case B_EINVAL:
		return -EINVAL;
	case B_NULL:
		*foliop = NULL;
		return 0;
	case B_WRONG_INDEX:
		pgoff -= 1;
		break;
	default:
		break;
	}
	ret = uffdops_filemap_get_folio(inode, pgoff, &f);
	if (ret)
		return ret;
	if (atomic_load(&behave) == B_UNLOCKED)
		uffdops_folio_unlock(f);
	*foliop = f;
	return 0;
}

static int prop_copy(struct uffdops_vma *vma, unsigned long addr,
		     const void *src, uffd_flags_t flags,
		     struct uffdops_folio **foliop)
{
	struct uffdops_inode *inode = uffdops_file_inode(uffdops_vma_file(vma));
	pgoff_t index = uffdops_linear_page_index(vma, addr);
	unsigned int order =
		uffdops_vma_end(vma) - uffdops_vma_start(vma) >= H &&
				(uffdops_vma_flags(vma) & VM_HUGETLB) ?
			9 :
			0;
	struct uffdops_folio *f;
	int ret;

	(void)flags;
	switch (atomic_load(&behave)) {
	case B_POSITIVE:
		return 1;
	case B_EPERM:
		return -EPERM;
	case B_NULL:
		*foliop = NULL;
		return 0;
	case B_WRONG_INDEX:
		index += 4UL << order;
		break;
	case B_WRONG_ORDER:
		order = 0;
		break;
	default:
		break;
	}
	if (index >= DIV_ROUND_UP(uffdops_inode_size(inode), P))
		return -EFAULT;
	ret = uffdops_folio_alloc(order, &f);
	if (ret)
		return ret;
	if (src)
		memcpy(uffdops_folio_data(f), src, P << order);
	uffdops_folio_lock(f);
	ret = uffdops_filemap_add_folio(inode, f, index);
	if (ret) {
		uffdops_folio_unlock(f);
		uffdops_folio_put(f);
		return ret;
	}
	if (atomic_load(&behave) == B_UNLOCKED)
		uffdops_folio_unlock(f);
	*foliop = f;
	return 0;
}

/* A driver type of Peter Xu's generation: no ZEROPAGE listed. */
static const struct vm_uffd_ops prop_ops = {
	.uffd_features = VM_UFFD_MISSING | VM_UFFD_MINOR,
	.uffd_ioctls = UFFDOPS_IOCTL_BIT(_UFFDIO_COPY) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_CONTINUE) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_POISON),
	.uffd_get_folio = prop_get_folio,
	.uffd_copy = prop_copy,
};

static bool v71_can_userfault(struct uffdops_vma *vma, unsigned long vm_flags)
{
	(void)vma;
	(void)vm_flags;
	return true;
}

static struct uffdops_folio *v71_get_folio(struct uffdops_inode *inode,
					   pgoff_t pgoff)
{
	struct uffdops_folio *f;

	if (atomic_load(&behave) == B_NULL)
		return NULL;
	if (atomic_load(&behave) == B_WRONG_INDEX)
		pgoff--;
	if (uffdops_filemap_get_folio(inode, pgoff, &f))
		return NULL;
	if (atomic_load(&behave) == B_UNLOCKED)
		uffdops_folio_unlock(f);
	return f;
}

static struct uffdops_folio *v71_alloc(struct uffdops_vma *vma,
				       unsigned long addr)
{
	struct uffdops_folio *f;

	(void)vma;
	(void)addr;
	atomic_fetch_add(&nr_alloc, 1);
	if (atomic_load(&behave) == B_NULL)
		return NULL;
	if (uffdops_folio_alloc(atomic_load(&behave) == B_WRONG_ORDER ? 1 : 0,
				&f))
		return NULL;
	if (atomic_load(&behave) == B_LOCKED)
		uffdops_folio_lock(f);
	return f;
}

static int v71_add(struct uffdops_folio *folio, struct uffdops_vma *vma,
		   unsigned long addr)
{
	struct uffdops_inode *inode = uffdops_file_inode(uffdops_vma_file(vma));
	pgoff_t index = uffdops_linear_page_index(vma, addr);
	int b = atomic_load(&behave), ret;

	if (b == B_POSITIVE)
		return 2;
	uffdops_folio_lock(folio);
	ret = uffdops_filemap_add_folio(inode, folio,
					b == B_WRONG_INDEX ? index + 4 : index);
	if (ret || b == B_LEAVE) {
		if (b != B_LEAVE)
			uffdops_folio_unlock(folio);
		return ret ? ret : -EEXIST;
	}
	if (b == B_UNLOCKED)
		uffdops_folio_unlock(folio);
	return 0;
}

static void v71_remove(struct uffdops_folio *folio, struct uffdops_vma *vma)
{
	(void)vma;
	if (atomic_load(&behave) == B_REMOVE_NOOP)
		return;
	uffdops_filemap_remove_folio(folio);
	uffdops_folio_unlock(folio);
}

static const struct vm_uffd_ops_v7_1 v71_ops = {
	.can_userfault = v71_can_userfault,
	.get_folio_noalloc = v71_get_folio,
	.alloc_folio = v71_alloc,
	.filemap_add = v71_add,
	.filemap_remove = v71_remove,
};

/* A huge driver type of Peter Xu's generation. */
static const struct vm_uffd_ops prop_huge_ops = {
	.uffd_features = VM_UFFD_MISSING | VM_UFFD_MINOR,
	.uffd_ioctls = UFFDOPS_IOCTL_BIT(_UFFDIO_COPY) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_CONTINUE) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_POISON),
	.uffd_get_folio = prop_get_folio,
	.uffd_copy = prop_copy,
};

static int types_setup(void **state)
{
	static const struct uffdops_memtype_desc descs[] = {
		{ .name = "mfill_prop",
		  .page_size = P,
		  .flags = UFFDOPS_MEMTYPE_FILE,
		  .uffd_ops = &prop_ops },
		{ .name = "mfill_v71",
		  .page_size = P,
		  .flags = UFFDOPS_MEMTYPE_FILE,
		  .uffd_ops_v7_1 = &v71_ops },
		{ .name = "mfill_prop_huge",
		  .page_size = H,
		  .flags = UFFDOPS_MEMTYPE_FILE,
		  .uffd_ops = &prop_huge_ops },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(descs); i++)
		if (uffdops_memtype_register(&descs[i], NULL))
			return -1;
	return 0;
}

static int types_teardown(void **state)
{
	(void)state;
	uffdops_memtype_unregister("mfill_prop");
	uffdops_memtype_unregister("mfill_v71");
	uffdops_memtype_unregister("mfill_prop_huge");
	return 0;
}

/* @type's file (8 pages) mapped shared at BASE and at a view, registered. */
static struct env env_type(const char *type, unsigned long psize, int flags,
			   struct trace_log *log)
{
	struct env e = env_new(0);

	e.file = file_new(type, 8 * psize);
	map_fixed(e.mm, BASE, 8 * psize, RW, flags, e.file);
	map_fixed(e.mm, BASE + 64 * psize, 8 * psize, RW, SF, e.file);
	assert_int_equal(uffd_reg(e.ctx, BASE, 8 * psize, UM | UI, NULL), 0);
	if (log)
		assert_int_equal(uffdops_trace_set(e.mm, trace_record, log), 0);
	return e;
}

/* Some trace event of @log says @what. */
static void assert_breach(struct trace_log *log, const char *what)
{
	for (int i = 0; i < log->n; i++)
		if (strstr(log->ev[i].check, what))
			return;
	fail_msg("no trace event says \"%s\"", what);
}

struct brow {
	enum behave b;
	enum fop op;
	int ret;
	const char *hook;
};

static void test_proposal_hooks(void **state)
{
	static const struct brow rows[] = {
		{ B_POSITIVE, F_COPY, -EINVAL, "uffd_copy returned neither" },
		{ B_EPERM, F_COPY, -EINVAL, "uffd_copy returned neither" },
		{ B_NULL, F_COPY, -EINVAL, "without a folio" },
		{ B_UNLOCKED, F_COPY, -EINVAL, "unlocked folio" },
		{ B_WRONG_INDEX, F_COPY, -EINVAL, "not cached at the destin" },
		{ B_POSITIVE, F_CONT, -EFAULT, "uffd_get_folio returned" },
		{ B_EPERM, F_CONT, -EFAULT, "uffd_get_folio returned" },
		{ B_NULL, F_CONT, -EFAULT, "without a folio" },
		{ B_UNLOCKED, F_CONT, -EFAULT, "unlocked folio" },
		{ B_WRONG_INDEX, F_CONT, -EFAULT, "not the one cached" },
	};
	struct trace_log *log = calloc(1, sizeof(*log));
	struct env e = env_type("mfill_prop", P, SF, log);
	const unsigned long view = BASE + 64 * P;

	(void)state;
	/* page 1 cached, so a wrong-index lookup at page 0 finds it */
	wr(e.mm, view + P, P, 0x31);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		log->n = 0;
		atomic_store(&behave, rows[i].b);
		if (rows[i].op == F_CONT)
			wr(e.mm, view + 2 * P, 1, 1);
		FILL(e.ctx, rows[i].op,
		     rows[i].op == F_CONT ? BASE + 2 * P : BASE, SRC, P, 0,
		     rows[i].ret, rows[i].ret);
		assert_breach(log, rows[i].hook);
		/* nothing mapped, nothing left in the cache by the failure */
		assert_int_equal(pmf(e.mm, BASE), 0);
		assert_int_equal(pmf(e.mm, BASE + 2 * P), 0);
		assert_false(cached_at(e.file, 0));
		assert_true(cached_at(e.file, 1));
	}
	atomic_store(&behave, B_EINVAL);
	FILL(e.ctx, F_CONT, BASE + 2 * P, 0, P, 0, -EINVAL, -EINVAL);
	atomic_store(&behave, B_OK);
	/* the well-behaved hooks work: COPY caches, CONTINUE maps */
	FILL(e.ctx, F_COPY, BASE, SRC, P, 0, 0, (__s64)P);
	assert_int_equal(pmf(e.mm, BASE) & ~PM_X, PM_P | PM_F);
	assert_bytes_f(e.mm, view, P, 0x10, 0);
	FILL(e.ctx, F_CONT, BASE + P, 0, P, 0, 0, (__s64)P);
	assert_bytes(e.mm, BASE + P, P, 0x31);
	/* the type lists no ZEROPAGE: EINVAL; POISON is core */
	FILL(e.ctx, F_ZERO, BASE + 3 * P, 0, P, 0, -EINVAL, -EINVAL);
	FILL(e.ctx, F_POISON, BASE + 3 * P, 0, P, 0, 0, (__s64)P);
	uffdops_trace_set(e.mm, NULL, NULL);
	free(log);
	env_free(&e);
}

static void test_proposal_private(void **state)
{
	struct env e = env_type("mfill_prop", P, PF, NULL);

	(void)state;
	wr(e.mm, BASE + 64 * P, P, 0x31);
	/* Peter Xu's VM_SHARED rule for CONTINUE, on user types */
	FILL(e.ctx, F_CONT, BASE, 0, P, 0, -EINVAL, -EINVAL);
	/* a private COPY takes the anonymous path, no hook */
	atomic_store(&behave, B_EPERM);
	FILL(e.ctx, F_COPY, BASE + P, SRC, P, 0, 0, (__s64)P);
	atomic_store(&behave, B_OK);
	assert_int_equal(pmf(e.mm, BASE + P), PM_P | PM_X);
	assert_false(cached_at(e.file, 1));
	env_free(&e);
}

static void test_proposal_huge_hooks(void **state)
{
	struct trace_log *log = calloc(1, sizeof(*log));
	struct env e = env_type("mfill_prop_huge", H, SF, log);
	struct uffdops_folio *small;

	(void)state;
	map_fixed(e.mm, SRC + 64 * P, H, RW, PA, NULL);
	/* a folio of the wrong size from uffd_copy: EINVAL, taken out */
	atomic_store(&behave, B_WRONG_ORDER);
	FILL(e.ctx, F_COPY, BASE, SRC + 64 * P, H, 0, -EINVAL, -EINVAL);
	assert_breach(log, "VMA's page size");
	assert_int_equal(cached_pages(e.file), 0);
	atomic_store(&behave, B_OK);
	FILL(e.ctx, F_COPY, BASE, SRC + 64 * P, H, 0, 0, (__s64)H);
	assert_int_equal(cached_pages(e.file), 512);
	/* a base page cached where a huge one belongs: CONTINUE refuses it */
	assert_int_equal(uffdops_folio_alloc(0, &small), 0);
	assert_int_equal(uffdops_filemap_add_folio(uffdops_file_inode(e.file),
						   small, 512),
			 0);
	uffdops_folio_put(small);
	log->n = 0;
	FILL(e.ctx, F_CONT, BASE + H, 0, H, 0, -EFAULT, -EFAULT);
	assert_breach(log, "huge page size");
	uffdops_trace_set(e.mm, NULL, NULL);
	free(log);
	env_free(&e);
}

static void test_v71_hooks(void **state)
{
	static const struct brow rows[] = {
		{ B_NULL, F_COPY, -ENOMEM, "alloc_folio gave a folio" },
		{ B_LOCKED, F_COPY, -EINVAL, "alloc_folio returned" },
		{ B_WRONG_ORDER, F_ZERO, -EINVAL, "alloc_folio returned" },
		{ B_POSITIVE, F_COPY, -EINVAL, "filemap_add returned neither" },
		{ B_UNLOCKED, F_ZERO, -EINVAL, "left the folio unlocked" },
		{ B_WRONG_INDEX, F_COPY, -EINVAL, "not cached at the destin" },
		{ B_LEAVE, F_COPY, -EEXIST, "filemap_add failed but left" },
		{ B_NULL, F_CONT, -EFAULT, "get_folio_noalloc found" },
		{ B_UNLOCKED, F_CONT, -EFAULT, "unlocked folio" },
		{ B_WRONG_INDEX, F_CONT, -EFAULT, "not the one cached" },
	};
	struct trace_log *log = calloc(1, sizeof(*log));
	struct env e = env_type("mfill_v71", P, SF, log);
	const unsigned long view = BASE + 64 * P;

	(void)state;
	wr(e.mm, view + P, P, 0x31);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		log->n = 0;
		atomic_store(&behave, rows[i].b);
		if (rows[i].op == F_CONT)
			wr(e.mm, view + 2 * P, 1, 1);
		FILL(e.ctx, rows[i].op,
		     rows[i].op == F_CONT ? BASE + 2 * P : BASE, SRC, P, 0,
		     rows[i].ret, rows[i].ret);
		assert_breach(log, rows[i].hook);
		assert_int_equal(pmf(e.mm, BASE), 0);
		assert_int_equal(pmf(e.mm, BASE + 2 * P), 0);
		assert_false(cached_at(e.file, 0));
		assert_true(cached_at(e.file, 1));
	}
	/* the install fails (beyond EOF) and filemap_remove does nothing */
	assert_int_equal(uffdops_file_truncate(e.file, 4 * P), 0);
	log->n = 0;
	atomic_store(&behave, B_REMOVE_NOOP);
	FILL(e.ctx, F_ZERO, BASE + 5 * P, 0, P, 0, -EFAULT, -EFAULT);
	assert_breach(log, "filemap_remove left the folio");
	assert_false(cached_at(e.file, 5));
	atomic_store(&behave, B_OK);
	FILL(e.ctx, F_COPY, BASE + 5 * P, SRC, P, 0, -EFAULT, -EFAULT);
	assert_false(cached_at(e.file, 5));
	assert_int_equal(uffdops_file_truncate(e.file, 8 * P), 0);
	/* the well-behaved table: COPY/ZEROPAGE cache, CONTINUE maps */
	FILL(e.ctx, F_COPY, BASE, SRC, P, 0, 0, (__s64)P);
	assert_int_equal(pmf(e.mm, BASE) & ~PM_X, PM_P | PM_F);
	assert_true(writable(e.mm, BASE));
	assert_bytes_f(e.mm, view, P, 0x10, 0);
	FILL(e.ctx, F_ZERO, BASE + 3 * P, 0, P, 0, 0, (__s64)P);
	assert_true(cached_at(e.file, 3));
	FILL(e.ctx, F_CONT, BASE + P, 0, P, UFFDIO_CONTINUE_MODE_WP, -EINVAL,
	     -EINVAL);
	FILL(e.ctx, F_CONT, BASE + P, 0, P, 0, 0, (__s64)P);
	/* a source that must be faulted in: alloc_folio once, retried */
	map_fixed(e.mm, SRC + 32 * P, P, RW, PA, NULL);
	atomic_store(&nr_alloc, 0);
	FILL(e.ctx, F_COPY, BASE + 4 * P, SRC + 32 * P, P, 0, 0, (__s64)P);
	assert_int_equal(atomic_load(&nr_alloc), 1);
	assert_bytes(e.mm, BASE + 4 * P, P, 0);
	uffdops_trace_set(e.mm, NULL, NULL);
	free(log);
	env_free(&e);
}

static void test_v71_private(void **state)
{
	struct env e = env_type("mfill_v71", P, PF, NULL);

	(void)state;
	wr(e.mm, BASE + 64 * P, P, 0x31);
	/* MAP_PRIVATE COPY: the anonymous path, alloc_folio never called */
	atomic_store(&nr_alloc, 0);
	FILL(e.ctx, F_COPY, BASE + P, SRC, P, 0, 0, (__s64)P);
	assert_int_equal(atomic_load(&nr_alloc), 0);
	assert_int_equal(pmf(e.mm, BASE + P), PM_P | PM_X);
	/* ZEROPAGE: the zero page; CONTINUE on private works in 7.1 */
	FILL(e.ctx, F_ZERO, BASE + 2 * P, 0, P, 0, 0, (__s64)P);
	assert_true(pmap(e.mm, BASE + 2 * P).zero_page);
	FILL(e.ctx, F_CONT, BASE, 0, P, 0, 0, (__s64)P);
	assert_false(writable(e.mm, BASE));
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* Concurrency.                                                              */
/* ------------------------------------------------------------------------ */

#define RACE_PAGES 64

struct racer {
	struct env *e;
	int id;
	enum fop op;
	atomic_int *stop;
	long filled;
};

static void *copy_racer(void *arg)
{
	struct racer *r = arg;

	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < RACE_PAGES; i++) {
			int pg = (i * (r->id + 1) * 7) % RACE_PAGES;
			__s64 out;
			int ret = fill(r->e->ctx, r->op, BASE + pg * P,
				       SRC + (r->id % 16) * P, P, 0, &out);

			if (!ret)
				r->filled++;
			else if (ret != -EEXIST && ret != -ENOENT &&
				 ret != -EFAULT && ret != -EINVAL)
				fail_msg("racer %d: %d", r->id, ret);
		}
	}
	return NULL;
}

static void *zap_racer(void *arg)
{
	struct racer *r = arg;

	while (!atomic_load(r->stop)) {
		assert_int_equal(uffdops_madvise(r->e->mm, BASE, RACE_PAGES * P,
						 MADV_DONTNEED),
				 0);
		msleep(1);
	}
	return NULL;
}

/* Each page filled exactly once while nobody zaps; every copy lands whole. */
static void test_race_copy_once(void **state)
{
	struct env e = env_anon(RACE_PAGES, UM);
	struct racer r[4];
	pthread_t t[4];
	long total = 0;

	(void)state;
	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){ .e = &e, .id = i, .op = F_COPY };
		assert_int_equal(pthread_create(&t[i], NULL, copy_racer, &r[i]),
				 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		total += r[i].filled;
	}
	assert_int_equal(total, RACE_PAGES);
	for (int i = 0; i < RACE_PAGES; i++) {
		unsigned char c;

		assert_int_equal(uffdops_read_mem(e.mm, BASE + i * P, &c, 1,
						  UFFDOPS_ACCESS_NOFAULT),
				 1);
		assert_true(c >= 0x10 && c < 0x14);
		assert_bytes(e.mm, BASE + i * P, P, c);
	}
	env_free(&e);
}

struct churn {
	struct env *e;
	atomic_int *stop;
};

/* Truncates the file down and up and punches holes, over and over. */
static void *truncate_churn(void *arg)
{
	struct churn *c = arg;

	while (!atomic_load(c->stop)) {
		uffdops_file_truncate(c->e->file, 16 * P);
		msleep(1);
		uffdops_file_truncate(c->e->file, RACE_PAGES * P);
		uffdops_madvise(c->e->mm, BASE + 8 * P, 8 * P, MADV_REMOVE);
	}
	return NULL;
}

/* Remaps half the range and registers it again, over and over. */
static void *map_churn(void *arg)
{
	struct churn *c = arg;

	while (!atomic_load(c->stop)) {
		assert_true(uffdops_mmap(c->e->mm, BASE + 32 * P, 32 * P, RW,
					 SF, c->e->file, 32) >= 0);
		uffd_reg(c->e->ctx, BASE + 32 * P, 32 * P, UM | UI, NULL);
		msleep(1);
	}
	return NULL;
}

/*
 * COPY and CONTINUE on shared shmem against truncation, hole punching,
 * remapping and zapping: no crash, and afterwards no PTE maps a page that
 * has left the page cache.
 */
static void test_race_shmem_truncate(void **state)
{
	struct env e = env_shmem(RACE_PAGES * P, RACE_PAGES, SF, UM | UI);
	atomic_int stop = 0;
	struct churn ch = { &e, &stop };
	struct racer r[4], z = { .e = &e, .stop = &stop };
	pthread_t t[4], tc, tm, tz;
	struct uffdops_inode *inode = uffdops_file_inode(e.file);

	(void)state;
	assert_int_equal(pthread_create(&tc, NULL, truncate_churn, &ch), 0);
	assert_int_equal(pthread_create(&tm, NULL, map_churn, &ch), 0);
	assert_int_equal(pthread_create(&tz, NULL, zap_racer, &z), 0);
	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){ .e = &e,
				       .id = i,
				       .op = i & 1 ? F_CONT : F_COPY };
		assert_int_equal(pthread_create(&t[i], NULL, copy_racer, &r[i]),
				 0);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	atomic_store(&stop, 1);
	pthread_join(tc, NULL);
	pthread_join(tm, NULL);
	pthread_join(tz, NULL);
	for (int i = 0; i < RACE_PAGES; i++) {
		struct pte pte = pte_at(e.mm, BASE + i * P, PT_LEVEL_PTE);

		if (!pte_present(pte))
			continue;
		pthread_mutex_lock(&inode->i_pages_lock);
		assert_ptr_equal(pte.folio->mapping, inode);
		assert_ptr_equal(filemap_find_locked(inode, (pgoff_t)i),
				 pte.folio);
		pthread_mutex_unlock(&inode->i_pages_lock);
	}
	env_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validation_order),
		cmocka_unit_test(test_mmap_changing),
		cmocka_unit_test(test_vma_checks),
		cmocka_unit_test(test_other_file_einval),
		cmocka_unit_test(test_anon_copy),
		cmocka_unit_test(test_anon_partial),
		cmocka_unit_test(test_anon_src_faults),
		cmocka_unit_test(test_src_userfault),
		cmocka_unit_test(test_anon_markers),
		cmocka_unit_test(test_anon_zeropage_poison),
		cmocka_unit_test(test_shmem_shared_copy),
		cmocka_unit_test(test_shmem_shared_zeropage_markers),
		cmocka_unit_test(test_shmem_private),
		cmocka_unit_test(test_shmem_continue),
		cmocka_unit_test(test_shmem_continue_private_and_modes),
		cmocka_unit_test(test_hugetlb),
		cmocka_unit_test(test_hugetlb_private),
		cmocka_unit_test(test_wake),
		cmocka_unit_test(test_result_write_fault),
		cmocka_unit_test(test_trace_names_kernel_functions),
		cmocka_unit_test(test_proposal_hooks),
		cmocka_unit_test(test_proposal_private),
		cmocka_unit_test(test_proposal_huge_hooks),
		cmocka_unit_test(test_v71_hooks),
		cmocka_unit_test(test_v71_private),
		cmocka_unit_test(test_race_copy_once),
		cmocka_unit_test(test_race_shmem_truncate),
	};

	return cmocka_run_group_tests(tests, types_setup, types_teardown);
}
