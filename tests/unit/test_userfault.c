/* SPDX-License-Identifier: MIT */
/*
 * test_userfault.c - the userfaultfd fault path (spec ioctls.md §3): real
 * threads fault in uffdops_handle_mm_fault(), uffdops_read_mem() and
 * uffdops_write_mem(), block in handle_userfault(), and are released by a
 * fill, a WAKE, UNREGISTER or close; messages are read with uffdops_read().
 * Anonymous MISSING and WP, WP_ASYNC, uffd-wp markers, shmem MINOR and
 * MISSING, hugetlb rounding, FEATURE_SIGBUS, UFFD_USER_MODE_ONLY, forced
 * (/proc/pid/mem) and populate accesses, user memory types' lookup hooks,
 * and many threads at once (run it under TSan).
 */
#define _GNU_SOURCE
#include "uffd_test.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

/* Where fill sources and page-cache aliases live, away from BASE. */
#define SRC (BASE + (1UL << 30))
#define ALIAS (BASE + (2UL << 30))

#define MSG_TIMEOUT_MS 5000
/* How long a thread must stay asleep to count as blocked. */
#define BLOCKED_MS 50

#define PM_P UFFDOPS_PM_PRESENT
#define PM_W UFFDOPS_PM_UFFD_WP
#define PM_FLAGS (~UFFDOPS_PM_PFN_MASK)

/* ------------------------------------------------------------------------ */
/* A thread that touches memory.                                            */
/* ------------------------------------------------------------------------ */

enum access {
	ACC_FAULT, /* uffdops_handle_mm_fault() */
	ACC_READ, /* uffdops_read_mem() of one byte */
	ACC_WRITE, /* uffdops_write_mem() of one byte */
	ACC_POPULATE, /* uffdops_madvise(MADV_POPULATE_READ) of @len */
};

struct faulter {
	struct uffdops_mm *mm;
	unsigned long addr;
	enum access kind;
	unsigned int flags; /* fault flags or UFFDOPS_ACCESS_* */
	unsigned long len;
	unsigned char byte; /* written, or read back */
	long ret;
	atomic_int tid;
	atomic_bool done;
	pthread_t thread;
};

static void *faulter_main(void *arg)
{
	struct faulter *f = arg;

	atomic_store(&f->tid, gettid());
	switch (f->kind) {
	case ACC_FAULT:
		f->ret = uffdops_handle_mm_fault(f->mm, f->addr, f->flags);
		break;
	case ACC_READ:
		f->ret =
			uffdops_read_mem(f->mm, f->addr, &f->byte, 1, f->flags);
		break;
	case ACC_WRITE:
		f->ret = uffdops_write_mem(f->mm, f->addr, &f->byte, 1,
					   f->flags);
		break;
	case ACC_POPULATE:
		f->ret = uffdops_madvise(f->mm, f->addr, f->len,
					 MADV_POPULATE_READ);
		break;
	}
	atomic_store(&f->done, true);
	return NULL;
}

static void faulter_start(struct faulter *f, struct uffdops_mm *mm,
			  enum access kind, unsigned long addr,
			  unsigned int flags)
{
	f->mm = mm;
	f->kind = kind;
	f->addr = addr;
	f->flags = flags;
	f->ret = -1;
	atomic_init(&f->tid, 0);
	atomic_init(&f->done, false);
	assert_int_equal(pthread_create(&f->thread, NULL, faulter_main, f), 0);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The thread is still asleep a while later. */
static void assert_blocked(struct faulter *f)
{
	sleep_ms(BLOCKED_MS);
	assert_false(atomic_load(&f->done));
}

/* Waits (bounded) for the thread to finish and joins it. */
static void faulter_join(struct faulter *f)
{
	int waited = 0;

	while (!atomic_load(&f->done) && waited < MSG_TIMEOUT_MS) {
		sleep_ms(1);
		waited++;
	}
	if (!atomic_load(&f->done))
		fail_msg("the faulting thread at %#lx never finished", f->addr);
	assert_int_equal(pthread_join(f->thread, NULL), 0);
}

/* ------------------------------------------------------------------------ */
/* Messages and ioctls.                                                     */
/* ------------------------------------------------------------------------ */

/* Waits (bounded) for one message on an O_NONBLOCK context and reads it. */
static void msg_wait(struct uffdops_ctx *ctx, struct uffd_msg *msg)
{
	assert_int_equal(uffdops_poll(ctx, MSG_TIMEOUT_MS), POLLIN);
	assert_int_equal(uffdops_read(ctx, msg, sizeof(*msg)), sizeof(*msg));
}

/* Reads a page-fault message and checks every byte of it. */
static void expect_fault_msg(struct uffdops_ctx *ctx, __u64 flags,
			     unsigned long addr, __u32 ptid)
{
	struct uffd_msg msg, want;

	msg_wait(ctx, &msg);
	memset(&want, 0, sizeof(want));
	want.event = UFFD_EVENT_PAGEFAULT;
	want.arg.pagefault.flags = flags;
	want.arg.pagefault.address = addr;
	want.arg.pagefault.feat.ptid = ptid;
	assert_int_equal(msg.event, UFFD_EVENT_PAGEFAULT);
	assert_int_equal(msg.arg.pagefault.flags, flags);
	assert_int_equal(msg.arg.pagefault.address, addr);
	assert_int_equal(msg.arg.pagefault.feat.ptid, ptid);
	assert_memory_equal(&msg, &want, sizeof(msg));
}

static void expect_no_msg(struct uffdops_ctx *ctx)
{
	struct uffd_msg msg;

	assert_int_equal(uffdops_read(ctx, &msg, sizeof(msg)), -EAGAIN);
}

/* A source page (or huge page) at SRC filled with @byte. */
static void src_fill(struct uffdops_mm *mm, unsigned long len,
		     unsigned char byte)
{
	unsigned char *buf = malloc(len);

	assert_non_null(buf);
	memset(buf, byte, len);
	if (uffdops_mmap(mm, SRC, len, RW, PA, NULL, 0) != (long)SRC)
		fail_msg("cannot map the source");
	assert_int_equal(uffdops_write_mem(mm, SRC, buf, len, 0), (long)len);
	free(buf);
}

static void uffd_copy(struct uffdops_ctx *ctx, unsigned long dst,
		      unsigned long len, __u64 mode)
{
	struct uffdio_copy copy = {
		.dst = dst, .src = SRC, .len = len, .mode = mode
	};

	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_COPY, &copy), 0);
	assert_int_equal(copy.copy, (__s64)len);
}

static void uffd_continue(struct uffdops_ctx *ctx, unsigned long dst,
			  unsigned long len)
{
	struct uffdio_continue cont = {
		.range = { .start = dst, .len = len },
	};

	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_CONTINUE, &cont), 0);
	assert_int_equal(cont.mapped, (__s64)len);
}

static void uffd_wp(struct uffdops_ctx *ctx, unsigned long start,
		    unsigned long len, bool protect)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = start, .len = len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_WRITEPROTECT, &wp), 0);
}

static __u64 pm_flags(struct uffdops_mm *mm, unsigned long addr)
{
	struct uffdops_pagemap_entry e;

	assert_int_equal(uffdops_pagemap(mm, addr, &e), 0);
	return e.bits & PM_FLAGS;
}

static unsigned int rd8(struct uffdops_mm *mm, unsigned long addr)
{
	unsigned char c = 0xee;

	assert_int_equal(uffdops_read_mem(mm, addr, &c, 1, 0), 1);
	return c;
}

static void wr8(struct uffdops_mm *mm, unsigned long addr, unsigned char c)
{
	assert_int_equal(uffdops_write_mem(mm, addr, &c, 1, 0), 1);
}

static struct uffdops_file *file_new(const char *type, unsigned long size)
{
	struct uffdops_file *f = NULL;

	assert_int_equal(uffdops_file_create(type, size, &f), 0);
	return f;
}

/* Caches pages [first, first + n) of @f, each filled with 0x10 + index. */
static void cache_pages(struct uffdops_mm *mm, struct uffdops_file *f,
			unsigned long psize, unsigned long first,
			unsigned long n)
{
	unsigned char *buf = malloc(psize);
	unsigned long i;

	assert_non_null(buf);
	map_fixed(mm, ALIAS, (first + n) * psize, RW, MAP_SHARED, f);
	for (i = first; i < first + n; i++) {
		memset(buf, 0x10 + i, psize);
		assert_int_equal(uffdops_write_mem(mm, ALIAS + i * psize, buf,
						   psize, 0),
				 (long)psize);
	}
	assert_int_equal(uffdops_munmap(mm, ALIAS, (first + n) * psize), 0);
	free(buf);
}

/* ------------------------------------------------------------------------ */
/* Anonymous memory.                                                        */
/* ------------------------------------------------------------------------ */

static void anon_missing_read_blocks_until_copy(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx;
	struct faulter f;
	unsigned long pending, total;

	(void)state;
	map_fixed(mm, BASE, 4 * P, RW, PA, NULL);
	src_fill(mm, P, 0x5a);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM, NULL), 0);

	faulter_start(&f, mm, ACC_FAULT, BASE + P + 123, FAULT_FLAG_USER);
	/* do_anonymous_page(): MISSING, read: flags 0, page-aligned. */
	expect_fault_msg(ctx, 0, BASE + P, 0);
	assert_blocked(&f);
	fdinfo_counts(ctx, &pending, &total);
	assert_int_equal(pending, 0);
	assert_int_equal(total, 1);
	/* Nothing was mapped while the thread waits. */
	assert_int_equal(pm_flags(mm, BASE + P), 0);

	uffd_copy(ctx, BASE + P, P, 0);
	faulter_join(&f);
	assert_int_equal(f.ret, 0);
	assert_int_equal(rd8(mm, BASE + P + 123), 0x5a);
	assert_int_equal(pm_flags(mm, BASE + P),
			 PM_P | UFFDOPS_PM_MMAP_EXCLUSIVE);
	expect_no_msg(ctx);
	fdinfo_counts(ctx, &pending, &total);
	assert_int_equal(total, 0);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void exact_address_and_thread_id(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx;
	struct faulter f;

	(void)state;
	map_fixed(mm, BASE, 4 * P, RW, PA, NULL);
	src_fill(mm, P, 0x33);
	ctx = ctx_new(mm, O_NONBLOCK,
		      UFFD_FEATURE_EXACT_ADDRESS | UFFD_FEATURE_THREAD_ID);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM, NULL), 0);

	faulter_start(&f, mm, ACC_READ, BASE + 2 * P + 77, 0);
	while (!atomic_load(&f.tid))
		sleep_ms(1);
	/* The exact address; ptid is the faulting thread's own id. */
	expect_fault_msg(ctx, 0, BASE + 2 * P + 77, (__u32)atomic_load(&f.tid));
	assert_blocked(&f);
	/* The wake range must contain the exact address reported. */
	uffd_copy(ctx, BASE + 2 * P, P, 0);
	faulter_join(&f);
	assert_int_equal(f.ret, 1);
	assert_int_equal(f.byte, 0x33);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void wake_without_resolving_refaults(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx;
	struct faulter f;

	(void)state;
	map_fixed(mm, BASE, 2 * P, RW, PA, NULL);
	src_fill(mm, P, 0x44);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM, NULL), 0);

	f.byte = 0x99;
	faulter_start(&f, mm, ACC_WRITE, BASE + 8, 0);
	expect_fault_msg(ctx, UFFD_PAGEFAULT_FLAG_WRITE, BASE, 0);
	assert_blocked(&f);
	/* A WAKE that resolves nothing: the whole fault is retried. */
	assert_int_equal(uffd_wake(ctx, BASE, P), 0);
	expect_fault_msg(ctx, UFFD_PAGEFAULT_FLAG_WRITE, BASE, 0);
	assert_blocked(&f);
	/* A WAKE of another page does not release it. */
	assert_int_equal(uffd_wake(ctx, BASE + P, P), 0);
	assert_blocked(&f);
	expect_no_msg(ctx);
	/* DONTWAKE fills but leaves the thread asleep until a WAKE. */
	uffd_copy(ctx, BASE, P, UFFDIO_COPY_MODE_DONTWAKE);
	assert_blocked(&f);
	assert_int_equal(uffd_wake(ctx, BASE, P), 0);
	faulter_join(&f);
	assert_int_equal(f.ret, 1);
	expect_no_msg(ctx);
	/* The write landed on the copied page. */
	assert_int_equal(rd8(mm, BASE + 8), 0x99);
	assert_int_equal(rd8(mm, BASE + 9), 0x44);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void kernel_access_blocks_like_user(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx;
	struct faulter f;

	(void)state;
	map_fixed(mm, BASE, 2 * P, RW, PA, NULL);
	src_fill(mm, P, 0x21);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM, NULL), 0);
	/* copy_to_user() (read(2) into the page): a write fault. */
	f.byte = 7;
	faulter_start(&f, mm, ACC_WRITE, BASE + P, UFFDOPS_ACCESS_KERNEL);
	expect_fault_msg(ctx, UFFD_PAGEFAULT_FLAG_WRITE, BASE + P, 0);
	assert_blocked(&f);
	uffd_copy(ctx, BASE + P, P, 0);
	faulter_join(&f);
	assert_int_equal(f.ret, 1);
	/* copy_from_user(): a read fault. */
	faulter_start(&f, mm, ACC_READ, BASE, UFFDOPS_ACCESS_KERNEL);
	expect_fault_msg(ctx, 0, BASE, 0);
	uffd_copy(ctx, BASE, P, 0);
	faulter_join(&f);
	assert_int_equal(f.ret, 1);
	assert_int_equal(f.byte, 0x21);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void user_mode_only_refuses_kernel_access(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct trace_log *log = calloc(1, sizeof(*log));
	struct uffdops_ctx *ctx;
	unsigned char c;
	struct faulter f;
	int i, found = 0;

	(void)state;
	assert_non_null(log);
	map_fixed(mm, BASE, 2 * P, RW, PA, NULL);
	src_fill(mm, P, 0x66);
	ctx = ctx_new(mm, O_NONBLOCK | UFFD_USER_MODE_ONLY, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM, NULL), 0);
	uffdops_trace_set(mm, trace_record, log);
	/* handle_userfault(): kernel mode on a USER_MODE_ONLY context. */
	assert_int_equal(uffdops_read_mem(mm, BASE, &c, 1,
					  UFFDOPS_ACCESS_KERNEL),
			 -EFAULT);
	assert_int_equal(uffdops_write_mem(mm, BASE, &c, 1,
					   UFFDOPS_ACCESS_KERNEL),
			 -EFAULT);
	/* GUP (MADV_POPULATE_READ) is kernel mode too. */
	assert_int_equal(uffdops_madvise(mm, BASE, P, MADV_POPULATE_READ),
			 -EFAULT);
	expect_no_msg(ctx);
	uffdops_trace_set(mm, NULL, NULL);
	for (i = 0; i < log->n; i++)
		found += !strcmp(log->ev[i].kernel_function,
				 "handle_userfault") &&
			 log->ev[i].result == -EFAULT &&
			 strstr(log->ev[i].check, "USER_MODE_ONLY");
	assert_int_equal(found, 3);
	assert_int_equal(pm_flags(mm, BASE), 0);
	/* A user-mode access still waits. */
	faulter_start(&f, mm, ACC_READ, BASE, 0);
	expect_fault_msg(ctx, 0, BASE, 0);
	uffd_copy(ctx, BASE, P, 0);
	faulter_join(&f);
	assert_int_equal(f.ret, 1);
	assert_int_equal(f.byte, 0x66);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
	free(log);
}

static void feature_sigbus(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx;
	unsigned char c = 1;

	(void)state;
	map_fixed(mm, BASE, 2 * P, RW, PA, NULL);
	wr8(mm, BASE + P, 3);
	ctx = ctx_new(mm, O_NONBLOCK, UFFD_FEATURE_SIGBUS);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM | UW, NULL), 0);
	/* A would-be MISSING message is SIGBUS instead, nothing queued. */
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE, FAULT_FLAG_USER),
			 VM_FAULT_SIGBUS);
	assert_int_equal(uffdops_read_mem(mm, BASE, &c, 1, 0), -EFAULT);
	/* ... and so is a WP one. */
	uffd_wp(ctx, BASE + P, P, true);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE + P,
						 FAULT_FLAG_USER |
							 FAULT_FLAG_WRITE),
			 VM_FAULT_SIGBUS);
	assert_int_equal(rd8(mm, BASE + P), 3);
	expect_no_msg(ctx);
	assert_int_equal(pm_flags(mm, BASE), 0);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void wp_write_fault(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx;
	struct faulter f;

	(void)state;
	map_fixed(mm, BASE, 2 * P, RW, PA, NULL);
	wr8(mm, BASE, 1);
	wr8(mm, BASE + P, 2);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM | UW, NULL), 0);
	uffd_wp(ctx, BASE, 2 * P, true);
	assert_int_equal(pm_flags(mm, BASE) & PM_W, PM_W);
	/* Reads go through a write-protected page. */
	assert_int_equal(rd8(mm, BASE), 1);
	/* do_wp_page(): WP|WRITE (0x3). */
	f.byte = 9;
	faulter_start(&f, mm, ACC_WRITE, BASE + P + 5, 0);
	expect_fault_msg(ctx,
			 UFFD_PAGEFAULT_FLAG_WRITE | UFFD_PAGEFAULT_FLAG_WP,
			 BASE + P, 0);
	assert_blocked(&f);
	/* Un-protecting wakes; the write completes in place. */
	uffd_wp(ctx, BASE + P, P, false);
	faulter_join(&f);
	assert_int_equal(f.ret, 1);
	assert_int_equal(rd8(mm, BASE + P + 5), 9);
	assert_int_equal(rd8(mm, BASE + P), 2);
	assert_int_equal(pm_flags(mm, BASE + P) & PM_W, 0);
	assert_int_equal(pm_flags(mm, BASE) & PM_W, PM_W);
	/* A kernel-mode write through the fault handler: the same message. */
	faulter_start(&f, mm, ACC_FAULT, BASE, FAULT_FLAG_WRITE);
	expect_fault_msg(ctx,
			 UFFD_PAGEFAULT_FLAG_WRITE | UFFD_PAGEFAULT_FLAG_WP,
			 BASE, 0);
	uffd_wp(ctx, BASE, P, false);
	faulter_join(&f);
	assert_int_equal(f.ret, 0);
	expect_no_msg(ctx);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void wp_async_resolves_in_the_fault(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx;
	struct uffdops_pagemap_entry e;
	__u64 pfn;

	(void)state;
	map_fixed(mm, BASE, 2 * P, RW, PA, NULL);
	wr8(mm, BASE, 1);
	ctx = ctx_new(mm, O_NONBLOCK, UFFD_FEATURE_WP_ASYNC);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UW, NULL), 0);
	uffd_wp(ctx, BASE, 2 * P, true);
	pfn = uffdops_pagemap(mm, BASE, &e) ? 0 : e.bits & UFFDOPS_PM_PFN_MASK;
	assert_int_equal(e.bits & PM_W, PM_W);
	/* The fault clears the bit itself and the write goes on in place. */
	wr8(mm, BASE, 5);
	assert_int_equal(uffdops_pagemap(mm, BASE, &e), 0);
	assert_int_equal(e.bits & PM_W, 0);
	assert_int_equal(e.bits & UFFDOPS_PM_PFN_MASK, pfn);
	assert_int_equal(rd8(mm, BASE), 5);
	/* WP_UNPOPULATED came with it: the none page got a marker. */
	assert_int_equal(pm_flags(mm, BASE + P),
			 UFFDOPS_PM_SWAP | UFFDOPS_PM_UFFD_WP);
	wr8(mm, BASE + P, 6);
	assert_int_equal(pm_flags(mm, BASE + P) & (PM_P | PM_W), PM_P);
	expect_no_msg(ctx);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void anon_wp_marker(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx;
	struct faulter f;

	(void)state;
	map_fixed(mm, BASE, 4 * P, RW, PA, NULL);
	src_fill(mm, P, 0x70);
	ctx = ctx_new(mm, O_NONBLOCK, UFFD_FEATURE_WP_UNPOPULATED);
	/* MISSING|WP: a marker is missing for the fault path. */
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM | UW, NULL), 0);
	uffd_wp(ctx, BASE, 2 * P, true);
	faulter_start(&f, mm, ACC_READ, BASE, 0);
	expect_fault_msg(ctx, 0, BASE, 0);
	uffd_copy(ctx, BASE, P, UFFDIO_COPY_MODE_WP);
	faulter_join(&f);
	assert_int_equal(f.byte, 0x70);
	assert_int_equal(pm_flags(mm, BASE) & (PM_P | PM_W), PM_P | PM_W);
	/* WP only: a read completes with the protection kept... */
	assert_int_equal(uffd_reg(ctx, BASE + 2 * P, 2 * P, UW, NULL), 0);
	uffd_wp(ctx, BASE + 2 * P, 2 * P, true);
	assert_int_equal(rd8(mm, BASE + 2 * P), 0);
	assert_int_equal(pm_flags(mm, BASE + 2 * P) & (PM_P | PM_W),
			 PM_P | PM_W);
	expect_no_msg(ctx);
	/* ...a write installs the page protected, then faults WP. */
	f.byte = 0x12;
	faulter_start(&f, mm, ACC_WRITE, BASE + 3 * P, 0);
	expect_fault_msg(ctx,
			 UFFD_PAGEFAULT_FLAG_WRITE | UFFD_PAGEFAULT_FLAG_WP,
			 BASE + 3 * P, 0);
	assert_int_equal(pm_flags(mm, BASE + 3 * P) & (PM_P | PM_W),
			 PM_P | PM_W);
	uffd_wp(ctx, BASE + 3 * P, P, false);
	faulter_join(&f);
	assert_int_equal(f.ret, 1);
	assert_int_equal(rd8(mm, BASE + 3 * P), 0x12);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void poison_guard_and_sigsegv_send_nothing(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdio_poison poison = { .range = { BASE, P } };
	struct uffdops_ctx *ctx;

	(void)state;
	map_fixed(mm, BASE, 4 * P, RW, PA, NULL);
	assert_int_equal(uffdops_madvise(mm, BASE + P, P, MADV_GUARD_INSTALL),
			 0);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM, NULL), 0);
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_POISON, &poison), 0);
	/* handle_pte_marker(): poison -> SIGBUS, guard -> SIGSEGV. */
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE, FAULT_FLAG_USER),
			 VM_FAULT_SIGBUS);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE + P, FAULT_FLAG_USER),
			 VM_FAULT_SIGSEGV);
	/* Outside any VMA, and a write to a read-only VMA: SIGSEGV. */
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE + 4 * P,
						 FAULT_FLAG_USER),
			 VM_FAULT_SIGSEGV);
	assert_int_equal(uffdops_mprotect(mm, BASE + 2 * P, P, PROT_READ), 0);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE + 2 * P,
						 FAULT_FLAG_USER |
							 FAULT_FLAG_WRITE),
			 VM_FAULT_SIGSEGV);
	expect_no_msg(ctx);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void forced_access_cannot_wait(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx;
	unsigned char c = 0;

	(void)state;
	map_fixed(mm, BASE, 2 * P, RW, PA, NULL);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM, NULL), 0);
	/* access_remote_vm(): no FOLL_UNLOCKABLE -> SIGBUS, EFAULT here. */
	assert_int_equal(uffdops_read_mem(mm, BASE, &c, 1,
					  UFFDOPS_ACCESS_FORCE),
			 -EFAULT);
	assert_int_equal(uffdops_write_mem(mm, BASE, &c, 1,
					   UFFDOPS_ACCESS_FORCE),
			 -EFAULT);
	expect_no_msg(ctx);
	assert_int_equal(pm_flags(mm, BASE), 0);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void populate_waits_page_by_page(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx;
	struct faulter f;

	(void)state;
	map_fixed(mm, BASE, 2 * P, RW, PA, NULL);
	src_fill(mm, P, 0x55);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM, NULL), 0);
	/* GUP with FOLL_UNLOCKABLE: kernel mode, but it may wait. */
	f.len = 2 * P;
	faulter_start(&f, mm, ACC_POPULATE, BASE, 0);
	expect_fault_msg(ctx, 0, BASE, 0);
	uffd_copy(ctx, BASE, P, 0);
	expect_fault_msg(ctx, 0, BASE + P, 0);
	assert_blocked(&f);
	uffd_copy(ctx, BASE + P, P, 0);
	faulter_join(&f);
	assert_int_equal(f.ret, 0);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

/* ------------------------------------------------------------------------ */
/* Waking by UNREGISTER and close.                                          */
/* ------------------------------------------------------------------------ */

static void close_while_blocked(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx;
	struct uffdops_map m;
	struct faulter f[2];

	(void)state;
	map_fixed(mm, BASE, 2 * P, RW, PA, NULL);
	wr8(mm, BASE + P, 4);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM | UW, NULL), 0);
	uffd_wp(ctx, BASE + P, P, true);
	faulter_start(&f[0], mm, ACC_READ, BASE + 16, 0);
	expect_fault_msg(ctx, 0, BASE, 0);
	f[1].byte = 8;
	faulter_start(&f[1], mm, ACC_WRITE, BASE + P, 0);
	expect_fault_msg(ctx,
			 UFFD_PAGEFAULT_FLAG_WRITE | UFFD_PAGEFAULT_FLAG_WP,
			 BASE + P, 0);
	assert_blocked(&f[0]);
	assert_blocked(&f[1]);
	/* userfaultfd_release(): both resume as ordinary memory. */
	uffdops_close(ctx);
	faulter_join(&f[0]);
	faulter_join(&f[1]);
	assert_int_equal(f[0].ret, 1);
	assert_int_equal(f[0].byte, 0);
	assert_int_equal(f[1].ret, 1);
	assert_int_equal(rd8(mm, BASE + P), 8);
	assert_int_equal(uffdops_maps(mm, &m, 1), 1);
	assert_int_equal(m.vm_flags & __VM_UFFD_FLAGS, 0);
	assert_null(m.uffd_ctx);
	assert_int_equal(pm_flags(mm, BASE + P) & PM_W, 0);
	uffdops_mm_destroy(mm);
}

static void unregister_wakes_missing_vmas(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx;
	struct faulter f[2];

	(void)state;
	map_fixed(mm, BASE, 2 * P, RW, PA, NULL);
	map_fixed(mm, BASE + 2 * P, P, RW, PA, NULL);
	wr8(mm, BASE + 2 * P, 1);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UM, NULL), 0);
	assert_int_equal(uffd_reg(ctx, BASE + 2 * P, P, UW, NULL), 0);
	uffd_wp(ctx, BASE + 2 * P, P, true);
	faulter_start(&f[0], mm, ACC_FAULT, BASE,
		      FAULT_FLAG_USER | FAULT_FLAG_WRITE);
	expect_fault_msg(ctx, UFFD_PAGEFAULT_FLAG_WRITE, BASE, 0);
	f[1].byte = 2;
	faulter_start(&f[1], mm, ACC_WRITE, BASE + 2 * P, 0);
	expect_fault_msg(ctx,
			 UFFD_PAGEFAULT_FLAG_WRITE | UFFD_PAGEFAULT_FLAG_WP,
			 BASE + 2 * P, 0);
	/* userfaultfd_unregister(): wakes the MISSING VMA's waiters only. */
	assert_int_equal(uffd_unreg(ctx, BASE, 3 * P), 0);
	faulter_join(&f[0]);
	assert_int_equal(f[0].ret, 0);
	assert_int_equal(pm_flags(mm, BASE) & PM_P, PM_P);
	assert_blocked(&f[1]);
	/* The WP waiter needs a WAKE; its retry finds the page writable. */
	assert_int_equal(uffd_wake(ctx, BASE + 2 * P, P), 0);
	faulter_join(&f[1]);
	assert_int_equal(f[1].ret, 1);
	assert_int_equal(rd8(mm, BASE + 2 * P), 2);
	expect_no_msg(ctx);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

/* ------------------------------------------------------------------------ */
/* shmem.                                                                   */
/* ------------------------------------------------------------------------ */

static void shmem_minor(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *file = file_new("shmem", 4 * P);
	struct uffdops_ctx *ctx;
	struct faulter f;

	(void)state;
	cache_pages(mm, file, P, 0, 3);
	map_fixed(mm, BASE, 4 * P, RW, MAP_SHARED, file);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UI, NULL), 0);
	/* shmem_get_folio_gfp(): cached + MINOR -> MINOR (0x4). */
	faulter_start(&f, mm, ACC_READ, BASE + P + 3, 0);
	expect_fault_msg(ctx, UFFD_PAGEFAULT_FLAG_MINOR, BASE + P, 0);
	assert_blocked(&f);
	uffd_continue(ctx, BASE + P, P);
	faulter_join(&f);
	assert_int_equal(f.byte, 0x11);
	/* No fault-around in a MINOR VMA: the neighbours stay unmapped. */
	assert_int_equal(pm_flags(mm, BASE), 0);
	assert_int_equal(pm_flags(mm, BASE + 2 * P), 0);
	/* A write: MINOR|WRITE (0x5). */
	f.byte = 0xab;
	faulter_start(&f, mm, ACC_WRITE, BASE, 0);
	expect_fault_msg(ctx,
			 UFFD_PAGEFAULT_FLAG_MINOR | UFFD_PAGEFAULT_FLAG_WRITE,
			 BASE, 0);
	uffd_continue(ctx, BASE, P);
	faulter_join(&f);
	assert_int_equal(f.ret, 1);
	/* A page absent from the cache in a MINOR-only VMA: no userfault. */
	assert_int_equal(rd8(mm, BASE + 3 * P), 0);
	expect_no_msg(ctx);
	/* Shared: the cache itself changed. */
	map_fixed(mm, ALIAS, 4 * P, RW, MAP_SHARED, file);
	assert_int_equal(rd8(mm, ALIAS), 0xab);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
	uffdops_file_close(file);
}

static void shmem_private_minor_write(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *file = file_new("shmem", 2 * P);
	struct uffdops_ctx *ctx;
	struct faulter f;

	(void)state;
	cache_pages(mm, file, P, 0, 2);
	map_fixed(mm, BASE, 2 * P, RW, MAP_PRIVATE, file);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UI, NULL), 0);
	/* do_cow_fault() -> shmem_fault(): MINOR also for private writes. */
	f.byte = 0xcd;
	faulter_start(&f, mm, ACC_WRITE, BASE + P + 1, 0);
	expect_fault_msg(ctx,
			 UFFD_PAGEFAULT_FLAG_MINOR | UFFD_PAGEFAULT_FLAG_WRITE,
			 BASE + P, 0);
	uffd_continue(ctx, BASE + P, P);
	faulter_join(&f);
	assert_int_equal(f.ret, 1);
	/* CONTINUE mapped the cache read-only; the retried write copied it. */
	assert_int_equal(pm_flags(mm, BASE + P) & (PM_P | UFFDOPS_PM_FILE),
			 PM_P);
	assert_int_equal(rd8(mm, BASE + P), 0x11);
	assert_int_equal(rd8(mm, BASE + P + 1), 0xcd);
	map_fixed(mm, ALIAS, 2 * P, RW, MAP_SHARED, file);
	assert_int_equal(rd8(mm, ALIAS + P + 1), 0x11);
	expect_no_msg(ctx);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
	uffdops_file_close(file);
}

static void shmem_missing_and_eof(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *file = file_new("shmem", 2 * P);
	struct uffdops_ctx *ctx;
	struct faulter f;
	unsigned long i;

	(void)state;
	src_fill(mm, P, 0x3c);
	cache_pages(mm, file, P, 1, 1);
	map_fixed(mm, BASE, 4 * P, RW, MAP_SHARED, file);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM, NULL), 0);
	/* Absent + MISSING -> MISSING; a write through a shared mapping. */
	f.byte = 1;
	faulter_start(&f, mm, ACC_WRITE, BASE, 0);
	expect_fault_msg(ctx, UFFD_PAGEFAULT_FLAG_WRITE, BASE, 0);
	uffd_copy(ctx, BASE, P, 0);
	faulter_join(&f);
	assert_int_equal(rd8(mm, BASE), 1);
	assert_int_equal(rd8(mm, BASE + 1), 0x3c);
	/* A cached page in a MISSING-only VMA: mapped, no message. */
	assert_int_equal(rd8(mm, BASE + P), 0x11);
	/* shmem_get_folio_gfp(): past EOF is SIGBUS first, nothing queued. */
	for (i = 2; i < 4; i++)
		assert_int_equal(uffdops_handle_mm_fault(mm, BASE + i * P,
							 FAULT_FLAG_USER),
				 VM_FAULT_SIGBUS);
	expect_no_msg(ctx);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
	uffdops_file_close(file);
}

static void shmem_wp_marker(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *file = file_new("shmem", 2 * P);
	struct uffdops_ctx *ctx;
	struct faulter f;

	(void)state;
	cache_pages(mm, file, P, 0, 1);
	map_fixed(mm, BASE, 2 * P, RW, MAP_SHARED, file);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UW, NULL), 0);
	uffd_wp(ctx, BASE, 2 * P, true);
	assert_int_equal(pm_flags(mm, BASE), UFFDOPS_PM_SWAP | PM_W);
	/* A read through the marker maps the page protected, no message. */
	assert_int_equal(rd8(mm, BASE), 0x10);
	assert_int_equal(pm_flags(mm, BASE) & (PM_P | PM_W), PM_P | PM_W);
	expect_no_msg(ctx);
	/* A write: WP|WRITE. */
	f.byte = 0x42;
	faulter_start(&f, mm, ACC_WRITE, BASE + 3, 0);
	expect_fault_msg(ctx,
			 UFFD_PAGEFAULT_FLAG_WRITE | UFFD_PAGEFAULT_FLAG_WP,
			 BASE, 0);
	uffd_wp(ctx, BASE, P, false);
	faulter_join(&f);
	assert_int_equal(rd8(mm, BASE + 3), 0x42);
	/* A write on a marker whose page is not cached yet: the same. */
	faulter_start(&f, mm, ACC_WRITE, BASE + P, 0);
	expect_fault_msg(ctx,
			 UFFD_PAGEFAULT_FLAG_WRITE | UFFD_PAGEFAULT_FLAG_WP,
			 BASE + P, 0);
	uffd_wp(ctx, BASE + P, P, false);
	faulter_join(&f);
	assert_int_equal(f.ret, 1);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
	uffdops_file_close(file);
}

/* ------------------------------------------------------------------------ */
/* hugetlb.                                                                 */
/* ------------------------------------------------------------------------ */

static void hugetlb_rounding(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx, *exact;
	struct faulter f;

	(void)state;
	map_fixed(mm, BASE, 2 * H, RW, PA | MAP_HUGETLB, NULL);
	map_fixed(mm, BASE + 2 * H, 2 * H, RW, PA | MAP_HUGETLB, NULL);
	src_fill(mm, H, 0x77);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	exact = ctx_new(mm, O_NONBLOCK, UFFD_FEATURE_EXACT_ADDRESS);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * H, UM, NULL), 0);
	assert_int_equal(uffd_reg(exact, BASE + 2 * H, 2 * H, UM, NULL), 0);
	/* hugetlb_no_page(): the address is the huge page's. */
	faulter_start(&f, mm, ACC_READ, BASE + H + 5 * P + 7, 0);
	expect_fault_msg(ctx, 0, BASE + H, 0);
	assert_blocked(&f);
	uffd_copy(ctx, BASE + H, H, 0);
	faulter_join(&f);
	assert_int_equal(f.byte, 0x77);
	/* EXACT_ADDRESS: unmasked; a wake of the huge page's start does
	 * not cover it, one of the exact byte does. */
	f.byte = 3;
	faulter_start(&f, mm, ACC_WRITE, BASE + 3 * H + 9 * P + 1, 0);
	expect_fault_msg(exact, UFFD_PAGEFAULT_FLAG_WRITE,
			 BASE + 3 * H + 9 * P + 1, 0);
	assert_blocked(&f);
	uffd_copy(exact, BASE + 3 * H, H, UFFDIO_COPY_MODE_DONTWAKE);
	assert_int_equal(uffd_wake(exact, BASE + 3 * H, P), 0);
	assert_blocked(&f);
	assert_int_equal(uffd_wake(exact, BASE + 3 * H + 9 * P, P), 0);
	faulter_join(&f);
	assert_int_equal(f.ret, 1);
	expect_no_msg(ctx);
	expect_no_msg(exact);
	uffdops_close(ctx);
	uffdops_close(exact);
	uffdops_mm_destroy(mm);
}

static void hugetlb_minor_and_private_missing(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *file = file_new("hugetlb", 2 * H);
	struct uffdops_ctx *ctx;
	struct faulter f;

	(void)state;
	cache_pages(mm, file, H, 0, 2);
	map_fixed(mm, BASE, 2 * H, RW, MAP_SHARED, file);
	map_fixed(mm, BASE + 2 * H, 2 * H, RW, MAP_PRIVATE, file);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * H, UI, NULL), 0);
	assert_int_equal(uffd_reg(ctx, BASE + 2 * H, 2 * H, UM, NULL), 0);
	/* Cached + MINOR: MINOR at the huge page's address. */
	faulter_start(&f, mm, ACC_READ, BASE + H + 3 * P, 0);
	expect_fault_msg(ctx, UFFD_PAGEFAULT_FLAG_MINOR, BASE + H, 0);
	uffd_continue(ctx, BASE + H, H);
	faulter_join(&f);
	assert_int_equal(f.ret, 1);
	assert_int_equal(rd8(mm, BASE + H), 0x11);
	/* Private, cached, MISSING only: no userfault, reads and CoW. */
	assert_int_equal(rd8(mm, BASE + 2 * H), 0x10);
	wr8(mm, BASE + 3 * H, 0x5e);
	assert_int_equal(rd8(mm, BASE + 3 * H), 0x5e);
	assert_int_equal(rd8(mm, BASE + H), 0x11);
	expect_no_msg(ctx);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
	uffdops_file_close(file);
}

static void hugetlb_wp_and_stale_bit(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *file = file_new("hugetlb", 2 * H);
	struct trace_log *log = calloc(1, sizeof(*log));
	struct uffdops_ctx *ctx;
	struct faulter f;

	(void)state;
	assert_non_null(log);
	map_fixed(mm, BASE, 2 * H, RW, MAP_SHARED, file);
	wr8(mm, BASE, 1);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * H, UW, NULL), 0);
	uffd_wp(ctx, BASE, 2 * H, true);
	/* hugetlb_fault(): userfault-wp first, at the huge page's address. */
	f.byte = 2;
	faulter_start(&f, mm, ACC_WRITE, BASE + 7 * P, 0);
	expect_fault_msg(ctx,
			 UFFD_PAGEFAULT_FLAG_WRITE | UFFD_PAGEFAULT_FLAG_WP,
			 BASE, 0);
	uffd_wp(ctx, BASE, H, false);
	faulter_join(&f);
	assert_int_equal(rd8(mm, BASE + 7 * P), 2);
	/* A marker (page not cached), write: installed protected, then WP. */
	faulter_start(&f, mm, ACC_WRITE, BASE + H, 0);
	expect_fault_msg(ctx,
			 UFFD_PAGEFAULT_FLAG_WRITE | UFFD_PAGEFAULT_FLAG_WP,
			 BASE + H, 0);
	assert_int_equal(pm_flags(mm, BASE + H) & (PM_P | PM_W), PM_P | PM_W);
	/*
	 * Re-register MINOR only: the VMA loses VM_UFFD_WP, the bit stays.
	 * Linux 6.18 then retries the write forever; the model says SIGBUS.
	 */
	assert_int_equal(uffd_reg(ctx, BASE, 2 * H, UI, NULL), 0);
	assert_int_equal(uffd_wake(ctx, BASE + H, P), 0);
	faulter_join(&f);
	assert_int_equal(f.ret, -EFAULT);
	uffdops_trace_set(mm, trace_record, log);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE + H,
						 FAULT_FLAG_USER |
							 FAULT_FLAG_WRITE),
			 VM_FAULT_SIGBUS);
	uffdops_trace_set(mm, NULL, NULL);
	assert_string_equal(trace_last(log)->kernel_function, "hugetlb_wp");
	assert_int_equal(trace_last(log)->result, -EFAULT);
	assert_int_equal(pm_flags(mm, BASE + H) & (PM_P | PM_W), PM_P | PM_W);
	expect_no_msg(ctx);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
	uffdops_file_close(file);
	free(log);
}

/* ------------------------------------------------------------------------ */
/* User memory types: the lookup hook decides MINOR versus MISSING.          */
/* ------------------------------------------------------------------------ */

static atomic_int lookups;
static atomic_bool hide_cache; /* the hook answers "nothing cached" */

static struct uffdops_folio *gm_get_folio_noalloc(struct uffdops_inode *inode,
						  pgoff_t pgoff)
{
	struct uffdops_folio *folio;

	atomic_fetch_add(&lookups, 1);
	if (atomic_load(&hide_cache) ||
	    uffdops_filemap_get_folio(inode, pgoff, &folio))
		return NULL;
	return folio;
}

static bool gm_can_userfault(struct uffdops_vma *vma, unsigned long vm_flags)
{
	(void)vma;
	(void)vm_flags;
	return true;
}

static struct uffdops_folio *gm_alloc_folio(struct uffdops_vma *vma,
					    unsigned long addr)
{
	struct uffdops_folio *folio;

	(void)vma;
	(void)addr;
	return uffdops_folio_alloc(0, &folio) ? NULL : folio;
}

static int gm_filemap_add(struct uffdops_folio *folio, struct uffdops_vma *vma,
			  unsigned long addr)
{
	struct uffdops_inode *inode = uffdops_file_inode(uffdops_vma_file(vma));
	int ret;

	uffdops_folio_lock(folio);
	ret = uffdops_filemap_add_folio(inode, folio,
					uffdops_linear_page_index(vma, addr));
	if (ret)
		uffdops_folio_unlock(folio);
	return ret;
}

static void gm_filemap_remove(struct uffdops_folio *folio,
			      struct uffdops_vma *vma)
{
	(void)vma;
	uffdops_filemap_remove_folio(folio);
	uffdops_folio_unlock(folio);
}

static const struct vm_uffd_ops_v7_1 gm_ops = {
	.can_userfault = gm_can_userfault,
	.get_folio_noalloc = gm_get_folio_noalloc,
	.alloc_folio = gm_alloc_folio,
	.filemap_add = gm_filemap_add,
	.filemap_remove = gm_filemap_remove,
};

/* A proposal type whose uffd_get_folio hands the folio back unlocked. */
static int bad_uffd_get_folio(struct uffdops_inode *inode, pgoff_t pgoff,
			      struct uffdops_folio **foliop)
{
	int ret = uffdops_filemap_get_folio(inode, pgoff, foliop);

	atomic_fetch_add(&lookups, 1);
	if (!ret)
		uffdops_folio_unlock(*foliop);
	return ret;
}

/* A proposal type in 2 MiB pages whose lookup hook is counted. */
static int huge_uffd_get_folio(struct uffdops_inode *inode, pgoff_t pgoff,
			       struct uffdops_folio **foliop)
{
	atomic_fetch_add(&lookups, 1);
	return uffdops_filemap_get_folio(inode, pgoff, foliop);
}

/* uffd_copy(): a huge folio filled from @src, cached locked at dst. */
static int huge_uffd_copy(struct uffdops_vma *vma, unsigned long dst,
			  const void *src, uffd_flags_t flags,
			  struct uffdops_folio **foliop)
{
	struct uffdops_inode *inode = uffdops_file_inode(uffdops_vma_file(vma));
	struct uffdops_folio *folio;
	int ret;

	(void)flags;
	ret = uffdops_folio_alloc(9, &folio);
	if (ret)
		return ret;
	memcpy(uffdops_folio_data(folio), src, H);
	uffdops_folio_lock(folio);
	ret = uffdops_filemap_add_folio(inode, folio,
					uffdops_linear_page_index(vma, dst));
	if (ret) {
		uffdops_folio_unlock(folio);
		uffdops_folio_put(folio);
		return ret;
	}
	*foliop = folio;
	return 0;
}

static const struct vm_uffd_ops huge_ops = {
	.uffd_features = VM_UFFD_MISSING | VM_UFFD_MINOR,
	.uffd_ioctls = UFFDOPS_IOCTL_BIT(_UFFDIO_COPY) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_CONTINUE),
	.uffd_get_folio = huge_uffd_get_folio,
	.uffd_copy = huge_uffd_copy,
};

static const struct vm_uffd_ops bad_ops = {
	.uffd_features = VM_UFFD_MINOR,
	.uffd_ioctls = UFFDOPS_IOCTL_BIT(_UFFDIO_CONTINUE),
	.uffd_get_folio = bad_uffd_get_folio,
};

static void user_type_lookup_hook_decides(void **state)
{
	static const struct uffdops_memtype_desc gm = {
		.name = "test-gmem-v71",
		.page_size = P,
		.flags = UFFDOPS_MEMTYPE_FILE,
		.uffd_ops_v7_1 = &gm_ops,
	};
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *file;
	struct uffdops_ctx *ctx;
	struct faulter f;

	(void)state;
	assert_int_equal(uffdops_memtype_register(&gm, NULL), 0);
	file = file_new(gm.name, 4 * P);
	src_fill(mm, P, 0x2d);
	cache_pages(mm, file, P, 0, 1);
	map_fixed(mm, BASE, 4 * P, RW, MAP_SHARED, file);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM | UI, NULL), 0);
	/* __do_userfault(): get_folio_noalloc() finds page 0 -> MINOR. */
	atomic_store(&lookups, 0);
	faulter_start(&f, mm, ACC_READ, BASE, 0);
	expect_fault_msg(ctx, UFFD_PAGEFAULT_FLAG_MINOR, BASE, 0);
	assert_true(atomic_load(&lookups) >= 1);
	uffd_continue(ctx, BASE, P);
	faulter_join(&f);
	assert_int_equal(f.byte, 0x10);
	/* Nothing at page 1 -> MISSING; COPY goes through alloc_folio. */
	faulter_start(&f, mm, ACC_READ, BASE + P, 0);
	expect_fault_msg(ctx, 0, BASE + P, 0);
	uffd_copy(ctx, BASE + P, P, 0);
	faulter_join(&f);
	assert_int_equal(f.byte, 0x2d);
	/* The hook, not the library's cache, is asked: hidden -> MISSING. */
	cache_pages(mm, file, P, 2, 1);
	atomic_store(&hide_cache, true);
	faulter_start(&f, mm, ACC_READ, BASE + 2 * P, 0);
	expect_fault_msg(ctx, 0, BASE + 2 * P, 0);
	atomic_store(&hide_cache, false);
	assert_int_equal(uffd_wake(ctx, BASE + 2 * P, P), 0);
	expect_fault_msg(ctx, UFFD_PAGEFAULT_FLAG_MINOR, BASE + 2 * P, 0);
	uffd_continue(ctx, BASE + 2 * P, P);
	faulter_join(&f);
	assert_int_equal(f.byte, 0x12);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
	uffdops_file_close(file);
	assert_int_equal(uffdops_memtype_unregister(gm.name), 0);
}

static void user_huge_type_asks_its_hook(void **state)
{
	static const struct uffdops_memtype_desc huge = {
		.name = "test-huge-proposal",
		.page_size = H,
		.flags = UFFDOPS_MEMTYPE_FILE,
		.uffd_ops = &huge_ops,
	};
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *file;
	struct uffdops_ctx *ctx;
	struct faulter f;

	(void)state;
	assert_int_equal(uffdops_memtype_register(&huge, NULL), 0);
	file = file_new(huge.name, 2 * H);
	src_fill(mm, H, 0x4e);
	cache_pages(mm, file, H, 0, 1);
	map_fixed(mm, BASE, 2 * H, RW, MAP_SHARED, file);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * H, UM | UI, NULL), 0);
	/* hugetlb_no_page() through uffd_get_folio(): MINOR, huge-aligned. */
	atomic_store(&lookups, 0);
	faulter_start(&f, mm, ACC_READ, BASE + 3 * P, 0);
	expect_fault_msg(ctx, UFFD_PAGEFAULT_FLAG_MINOR, BASE, 0);
	assert_true(atomic_load(&lookups) >= 1);
	uffd_continue(ctx, BASE, H);
	faulter_join(&f);
	assert_int_equal(f.byte, 0x10);
	/* Nothing cached at the second huge page: MISSING. */
	faulter_start(&f, mm, ACC_WRITE, BASE + H + 5, 0);
	expect_fault_msg(ctx, UFFD_PAGEFAULT_FLAG_WRITE, BASE + H, 0);
	uffd_copy(ctx, BASE + H, H, 0);
	faulter_join(&f);
	assert_int_equal(rd8(mm, BASE + H + 6), 0x4e);
	expect_no_msg(ctx);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
	uffdops_file_close(file);
	assert_int_equal(uffdops_memtype_unregister(huge.name), 0);
}

static void user_type_hook_breach_reported(void **state)
{
	static const struct uffdops_memtype_desc bad = {
		.name = "test-unlocked-get-folio",
		.page_size = P,
		.flags = UFFDOPS_MEMTYPE_FILE,
		.uffd_ops = &bad_ops,
	};
	struct uffdops_mm *mm = mm_new();
	struct trace_log *log = calloc(1, sizeof(*log));
	struct uffdops_file *file;
	struct uffdops_ctx *ctx;
	struct faulter f;
	int i, breaches = 0;

	(void)state;
	assert_non_null(log);
	assert_int_equal(uffdops_memtype_register(&bad, NULL), 0);
	file = file_new(bad.name, 2 * P);
	cache_pages(mm, file, P, 0, 1);
	map_fixed(mm, BASE, 2 * P, RW, MAP_SHARED, file);
	ctx = ctx_new(mm, O_NONBLOCK, 0);
	assert_int_equal(uffd_reg(ctx, BASE, 2 * P, UI, NULL), 0);
	uffdops_trace_set(mm, trace_record, log);
	/* The breach is reported; the page still counts as cached. */
	faulter_start(&f, mm, ACC_READ, BASE, 0);
	expect_fault_msg(ctx, UFFD_PAGEFAULT_FLAG_MINOR, BASE, 0);
	uffdops_close(ctx);
	faulter_join(&f);
	uffdops_trace_set(mm, NULL, NULL);
	assert_int_equal(f.ret, 1);
	assert_int_equal(f.byte, 0x10);
	for (i = 0; i < log->n; i++)
		breaches +=
			!strcmp(log->ev[i].kernel_function, "__do_userfault") &&
			log->ev[i].result == -EINVAL;
	assert_int_equal(breaches, 1);
	/* Not cached, MINOR only: the type's own fault-in, no message. */
	assert_int_equal(rd8(mm, BASE + P), 0);
	uffdops_mm_destroy(mm);
	uffdops_file_close(file);
	assert_int_equal(uffdops_memtype_unregister(bad.name), 0);
	free(log);
}

/* ------------------------------------------------------------------------ */
/* Many threads (TSan).                                                     */
/* ------------------------------------------------------------------------ */

#define NR_THREADS 8
#define PAGES_PER_THREAD 8

struct handler {
	struct uffdops_ctx *ctx;
	atomic_bool stop;
	int resolved;
	pthread_t thread;
};

/* Resolves every fault with a COPY of its page (WAKE if filled already). */
static void *handler_main(void *arg)
{
	struct handler *h = arg;
	struct uffd_msg msgs[4];

	while (!atomic_load(&h->stop)) {
		ssize_t n;

		if (uffdops_poll(h->ctx, 10) != POLLIN)
			continue;
		n = uffdops_read(h->ctx, msgs, sizeof(msgs));
		for (ssize_t i = 0; i < n / (ssize_t)sizeof(msgs[0]); i++) {
			unsigned long page = msgs[i].arg.pagefault.address &
					     ~(P - 1);
			struct uffdio_copy copy = { .dst = page,
						    .src = SRC,
						    .len = P };

			struct uffdio_range range = { .start = page, .len = P };

			if (uffdops_ioctl(h->ctx, UFFDIO_COPY, &copy) ==
			    -EEXIST)
				uffdops_ioctl(h->ctx, UFFDIO_WAKE, &range);
			h->resolved++;
		}
	}
	return NULL;
}

struct worker {
	struct uffdops_mm *mm;
	unsigned long start;
	int bad;
	pthread_t thread;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < PAGES_PER_THREAD; i++) {
		unsigned long addr = w->start + i * P;
		unsigned char c = 0, v = (unsigned char)i;

		/* Alternate reads, writes and bare faults. */
		if (i % 3 == 0) {
			w->bad += uffdops_read_mem(w->mm, addr + i, &c, 1, 0) !=
					  1 ||
				  c != 0x5a;
		} else if (i % 3 == 1) {
			w->bad += uffdops_write_mem(w->mm, addr, &v, 1, 0) != 1;
		} else {
			w->bad += uffdops_handle_mm_fault(
					  w->mm, addr,
					  FAULT_FLAG_USER | FAULT_FLAG_WRITE) !=
				  0;
		}
	}
	return NULL;
}

static void threads_fault_concurrently(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct worker w[NR_THREADS];
	struct handler h;
	unsigned long pending, total;
	int i;

	(void)state;
	map_fixed(mm, BASE, NR_THREADS * PAGES_PER_THREAD * P, RW, PA, NULL);
	src_fill(mm, P, 0x5a);
	h.ctx = ctx_new(mm, O_NONBLOCK, UFFD_FEATURE_THREAD_ID);
	assert_int_equal(uffd_reg(h.ctx, BASE,
				  NR_THREADS * PAGES_PER_THREAD * P, UM, NULL),
			 0);
	atomic_init(&h.stop, false);
	h.resolved = 0;
	assert_int_equal(pthread_create(&h.thread, NULL, handler_main, &h), 0);
	for (i = 0; i < NR_THREADS; i++) {
		w[i].mm = mm;
		w[i].start = BASE + i * PAGES_PER_THREAD * P;
		w[i].bad = 0;
		assert_int_equal(pthread_create(&w[i].thread, NULL, worker_main,
						&w[i]),
				 0);
	}
	for (i = 0; i < NR_THREADS; i++) {
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
		assert_int_equal(w[i].bad, 0);
	}
	atomic_store(&h.stop, true);
	assert_int_equal(pthread_join(h.thread, NULL), 0);
	/* One message per page: every fault was resolved by its first COPY. */
	assert_int_equal(h.resolved, NR_THREADS * PAGES_PER_THREAD);
	fdinfo_counts(h.ctx, &pending, &total);
	assert_int_equal(total, 0);
	for (i = 0; i < NR_THREADS * PAGES_PER_THREAD; i++)
		assert_int_equal(pm_flags(mm, BASE + i * P) & PM_P, PM_P);
	uffdops_close(h.ctx);
	uffdops_mm_destroy(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(anon_missing_read_blocks_until_copy),
		cmocka_unit_test(exact_address_and_thread_id),
		cmocka_unit_test(wake_without_resolving_refaults),
		cmocka_unit_test(kernel_access_blocks_like_user),
		cmocka_unit_test(user_mode_only_refuses_kernel_access),
		cmocka_unit_test(feature_sigbus),
		cmocka_unit_test(wp_write_fault),
		cmocka_unit_test(wp_async_resolves_in_the_fault),
		cmocka_unit_test(anon_wp_marker),
		cmocka_unit_test(poison_guard_and_sigsegv_send_nothing),
		cmocka_unit_test(forced_access_cannot_wait),
		cmocka_unit_test(populate_waits_page_by_page),
		cmocka_unit_test(close_while_blocked),
		cmocka_unit_test(unregister_wakes_missing_vmas),
		cmocka_unit_test(shmem_minor),
		cmocka_unit_test(shmem_private_minor_write),
		cmocka_unit_test(shmem_missing_and_eof),
		cmocka_unit_test(shmem_wp_marker),
		cmocka_unit_test(hugetlb_rounding),
		cmocka_unit_test(hugetlb_minor_and_private_missing),
		cmocka_unit_test(hugetlb_wp_and_stale_bit),
		cmocka_unit_test(user_type_lookup_hook_decides),
		cmocka_unit_test(user_huge_type_asks_its_hook),
		cmocka_unit_test(user_type_hook_breach_reported),
		cmocka_unit_test(threads_fault_concurrently),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
