/* SPDX-License-Identifier: MIT */
/*
 * test_uffd_queue.c - the context's queues with real threads: a thread in
 * handle_userfault() blocks, read() returns its message, UFFDIO_WAKE of its
 * page releases it (a neighbouring page does not), close() releases it,
 * UNREGISTER wakes by VMA (spec §4.2-9); FEATURE_SIGBUS and
 * UFFD_USER_MODE_ONLY; read()/poll()/fdinfo states (§3.7); the eventfd in a
 * real epoll loop; events read after faults.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "../../src/uffd.h"
#include "uffd_test.h"

#define MSG sizeof(struct uffd_msg)

/* ------------------------------------------------------------------------ */
/* A faulting thread.                                                        */
/* ------------------------------------------------------------------------ */

struct faulter {
	struct uffdops_mm *mm;
	unsigned long addr;
	unsigned int flags;
	unsigned long reason;
	pthread_t thread;
	atomic_int tid;
	atomic_bool done;
	vm_fault_t ret;
};

static void *fault_thread(void *arg)
{
	struct faulter *f = arg;
	struct uffdops_vma *vma;

	atomic_store(&f->tid, gettid());
	mmap_read_lock(f->mm);
	vma = vma_lookup(f->mm, f->addr);
	f->ret = handle_userfault(vma, f->addr, f->flags, f->reason);
	mmap_read_unlock(f->mm);
	atomic_store(&f->done, true);
	return NULL;
}

static void fault_start(struct faulter *f, struct uffdops_mm *mm,
			unsigned long addr, unsigned int flags,
			unsigned long reason)
{
	f->mm = mm;
	f->addr = addr;
	f->flags = flags;
	f->reason = reason;
	atomic_init(&f->tid, 0);
	atomic_init(&f->done, false);
	assert_int_equal(pthread_create(&f->thread, NULL, fault_thread, f), 0);
}

/* The thread returned VM_FAULT_RETRY. */
static void fault_join(struct faulter *f)
{
	assert_int_equal(pthread_join(f->thread, NULL), 0);
	assert_int_equal(f->ret, VM_FAULT_RETRY);
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Still blocked after a while. */
static void assert_blocked(struct faulter *f)
{
	msleep(50);
	assert_false(atomic_load(&f->done));
}

/* Waits (up to 10 s) until fdinfo shows @pending unread and @total faults. */
static void wait_counts(struct uffdops_ctx *ctx, unsigned long pending,
			unsigned long total)
{
	unsigned long p, t;
	int i;

	for (i = 0; i < 10000; i++) {
		fdinfo_counts(ctx, &p, &t);
		if (p == pending && t == total)
			return;
		msleep(1);
	}
	fail_msg("fdinfo pending %lu total %lu, want %lu %lu", p, t, pending,
		 total);
}

static struct uffd_msg read_one(struct uffdops_ctx *ctx)
{
	struct uffd_msg msg;

	assert_int_equal(uffdops_read(ctx, &msg, sizeof(msg)), (ssize_t)MSG);
	return msg;
}

static void assert_fault_msg(const struct uffd_msg *msg, unsigned long addr,
			     __u64 flags, __u32 ptid)
{
	static const char zero[sizeof(struct uffd_msg)];

	assert_int_equal(msg->event, UFFD_EVENT_PAGEFAULT);
	assert_int_equal(msg->arg.pagefault.address, addr);
	assert_int_equal(msg->arg.pagefault.flags, flags);
	assert_int_equal(msg->arg.pagefault.feat.ptid, ptid);
	/* every unused byte is zero */
	assert_memory_equal((const char *)msg + 1, zero, 7);
	assert_memory_equal((const char *)msg + 28, zero, 4);
}

struct env {
	struct uffdops_mm *mm;
	struct uffdops_ctx *ctx;
};

static struct env env_new(__u64 features, int flags)
{
	struct env e = { .mm = mm_new() };

	e.ctx = ctx_new(e.mm, flags, features);
	map_fixed(e.mm, BASE, 8 * P, RW, PA, NULL);
	assert_int_equal(uffd_reg(e.ctx, BASE, 8 * P, UM, NULL), 0);
	return e;
}

static void env_free(struct env *e)
{
	uffdops_close(e->ctx);
	uffdops_mm_destroy(e->mm);
}

/* ------------------------------------------------------------------------ */
/* Faults: message, wake by range, release.                                  */
/* ------------------------------------------------------------------------ */

static void test_fault_wake_by_range(void **state)
{
	struct env e = env_new(0, O_NONBLOCK);
	struct faulter f;
	struct uffd_msg msg;

	(void)state;
	fault_start(&f, e.mm, BASE + P + 0x123,
		    FAULT_FLAG_WRITE | FAULT_FLAG_USER, VM_UFFD_MISSING);
	wait_counts(e.ctx, 1, 1);
	assert_int_equal(uffdops_poll(e.ctx, 0), POLLIN);
	msg = read_one(e.ctx);
	/* address rounded to the page, WRITE, no ptid without THREAD_ID */
	assert_fault_msg(&msg, BASE + P, UFFD_PAGEFAULT_FLAG_WRITE, 0);
	/* read, not woken: pending 0, total 1; nothing left to poll */
	wait_counts(e.ctx, 0, 1);
	assert_int_equal(uffdops_poll(e.ctx, 0), 0);
	assert_int_equal(uffdops_read(e.ctx, &msg, MSG), -EAGAIN);
	/* a wake of the neighbouring pages does not release it */
	assert_int_equal(uffd_wake(e.ctx, BASE, P), 0);
	assert_int_equal(uffd_wake(e.ctx, BASE + 2 * P, 6 * P), 0);
	assert_blocked(&f);
	wait_counts(e.ctx, 0, 1);
	/* its page does */
	assert_int_equal(uffd_wake(e.ctx, BASE + P, P), 0);
	fault_join(&f);
	wait_counts(e.ctx, 0, 0);
	env_free(&e);
}

static void test_fault_wake_unread(void **state)
{
	struct env e = env_new(0, O_NONBLOCK);
	struct faulter f;
	struct uffd_msg msg;

	(void)state;
	/* a read fault, woken before anyone read it: the message goes */
	fault_start(&f, e.mm, BASE + 3 * P, FAULT_FLAG_USER, VM_UFFD_MISSING);
	wait_counts(e.ctx, 1, 1);
	assert_int_equal(uffd_wake(e.ctx, BASE, 8 * P), 0);
	fault_join(&f);
	wait_counts(e.ctx, 0, 0);
	assert_int_equal(uffdops_read(e.ctx, &msg, MSG), -EAGAIN);
	assert_int_equal(uffdops_poll(e.ctx, 0), 0);
	env_free(&e);
}

static void test_fault_msg_features(void **state)
{
	struct env e =
		env_new(UFFD_FEATURE_EXACT_ADDRESS | UFFD_FEATURE_THREAD_ID,
			O_NONBLOCK);
	struct faulter f[3];
	struct uffd_msg msg;

	(void)state;
	/* EXACT_ADDRESS: unmasked; THREAD_ID: the faulting thread's tid */
	fault_start(&f[0], e.mm, BASE + 0x1234, FAULT_FLAG_USER,
		    VM_UFFD_MISSING);
	wait_counts(e.ctx, 1, 1);
	msg = read_one(e.ctx);
	assert_fault_msg(&msg, BASE + 0x1234, 0, (__u32)atomic_load(&f[0].tid));
	assert_int_not_equal(msg.arg.pagefault.feat.ptid, gettid());
	/* the wake matches the reported (exact) address */
	assert_int_equal(uffd_wake(e.ctx, BASE + 0x2000, P), 0);
	assert_blocked(&f[0]);
	assert_int_equal(uffd_wake(e.ctx, BASE + P, P), 0);
	fault_join(&f[0]);

	/* WP and MINOR reasons */
	fault_start(&f[1], e.mm, BASE + 2 * P + 8,
		    FAULT_FLAG_WRITE | FAULT_FLAG_USER, VM_UFFD_WP);
	wait_counts(e.ctx, 1, 1);
	msg = read_one(e.ctx);
	assert_fault_msg(&msg, BASE + 2 * P + 8,
			 UFFD_PAGEFAULT_FLAG_WRITE | UFFD_PAGEFAULT_FLAG_WP,
			 (__u32)atomic_load(&f[1].tid));
	fault_start(&f[2], e.mm, BASE + 3 * P, FAULT_FLAG_USER, VM_UFFD_MINOR);
	wait_counts(e.ctx, 1, 2);
	msg = read_one(e.ctx);
	assert_fault_msg(&msg, BASE + 3 * P, UFFD_PAGEFAULT_FLAG_MINOR,
			 (__u32)atomic_load(&f[2].tid));
	assert_int_equal(uffd_wake(e.ctx, BASE, 8 * P), 0);
	fault_join(&f[1]);
	fault_join(&f[2]);
	env_free(&e);
}

static void test_fault_hugetlb_address(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, O_NONBLOCK, 0);
	struct faulter f;
	struct uffd_msg msg;

	(void)state;
	map_fixed(mm, BASE + H, 2 * H, RW, PA | MAP_HUGETLB, NULL);
	assert_int_equal(uffd_reg(ctx, BASE + H, 2 * H, UM, NULL), 0);
	fault_start(&f, mm, BASE + 2 * H + 0x5123, FAULT_FLAG_USER,
		    VM_UFFD_MISSING);
	wait_counts(ctx, 1, 1);
	msg = read_one(ctx);
	/* rounded to the huge page */
	assert_fault_msg(&msg, BASE + 2 * H, 0, 0);
	assert_int_equal(uffd_wake(ctx, BASE + 2 * H + P, P), 0);
	assert_blocked(&f);
	assert_int_equal(uffd_wake(ctx, BASE + 2 * H, P), 0);
	fault_join(&f);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

/* handle_userfault() in the calling thread. */
static vm_fault_t fault_here(struct uffdops_mm *mm, unsigned long addr,
			     unsigned int flags, unsigned long reason)
{
	struct uffdops_vma *vma;
	vm_fault_t ret;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	ret = handle_userfault(vma, addr, flags, reason);
	mmap_read_unlock(mm);
	return ret;
}

static void test_fault_sigbus(void **state)
{
	struct env e = env_new(UFFD_FEATURE_SIGBUS, O_NONBLOCK);
	struct uffd_msg msg;
	char byte = 0;

	(void)state;
	/* FEATURE_SIGBUS: SIGBUS for MISSING and WP alike, nothing queued */
	assert_int_equal(fault_here(e.mm, BASE, FAULT_FLAG_USER,
				    VM_UFFD_MISSING),
			 VM_FAULT_SIGBUS);
	assert_int_equal(fault_here(e.mm, BASE,
				    FAULT_FLAG_USER | FAULT_FLAG_WRITE,
				    VM_UFFD_WP),
			 VM_FAULT_SIGBUS);
	wait_counts(e.ctx, 0, 0);
	assert_int_equal(uffdops_read(e.ctx, &msg, MSG), -EAGAIN);
	assert_int_equal(uffdops_poll(e.ctx, 0), 0);
	/* an unregistered VMA has no context: SIGBUS */
	map_fixed(e.mm, BASE + 16 * P, P, RW, PA, NULL);
	assert_int_equal(fault_here(e.mm, BASE + 16 * P, FAULT_FLAG_USER,
				    VM_UFFD_MISSING),
			 VM_FAULT_SIGBUS);
	/* a fault already resolved is not slept on: the must-wait re-check */
	env_free(&e);
	e = env_new(0, O_NONBLOCK);
	assert_int_equal(uffd_unreg(e.ctx, BASE, P), 0);
	assert_int_equal(uffdops_write_mem(e.mm, BASE, &byte, 1, 0), 1);
	assert_int_equal(uffd_reg(e.ctx, BASE, P, UM, NULL), 0);
	assert_int_equal(fault_here(e.mm, BASE, FAULT_FLAG_USER,
				    VM_UFFD_MISSING),
			 VM_FAULT_RETRY);
	wait_counts(e.ctx, 0, 0);
	env_free(&e);
}

static void test_fault_user_mode_only(void **state)
{
	struct env e = env_new(0, O_NONBLOCK | UFFD_USER_MODE_ONLY);
	struct faulter f;
	struct uffd_msg msg;

	(void)state;
	/* a kernel-mode access on a USER_MODE_ONLY context: SIGBUS */
	assert_int_equal(fault_here(e.mm, BASE, FAULT_FLAG_WRITE,
				    VM_UFFD_MISSING),
			 VM_FAULT_SIGBUS);
	wait_counts(e.ctx, 0, 0);
	/* a user access waits as usual */
	fault_start(&f, e.mm, BASE, FAULT_FLAG_USER, VM_UFFD_MISSING);
	wait_counts(e.ctx, 1, 1);
	assert_int_equal(uffd_wake(e.ctx, BASE, P), 0);
	fault_join(&f);
	env_free(&e);

	/* without USER_MODE_ONLY a kernel access waits like a user one */
	e = env_new(0, O_NONBLOCK);
	fault_start(&f, e.mm, BASE + P, 0, VM_UFFD_MISSING);
	wait_counts(e.ctx, 1, 1);
	msg = read_one(e.ctx);
	assert_fault_msg(&msg, BASE + P, 0, 0);
	assert_int_equal(uffd_wake(e.ctx, BASE, P), 0);
	assert_blocked(&f);
	assert_int_equal(uffd_wake(e.ctx, BASE + P, P), 0);
	fault_join(&f);
	env_free(&e);
}

static void test_close_releases(void **state)
{
	struct env e = env_new(0, O_NONBLOCK);
	struct faulter f[2];
	struct maps m;

	(void)state;
	fault_start(&f[0], e.mm, BASE, FAULT_FLAG_USER, VM_UFFD_MISSING);
	fault_start(&f[1], e.mm, BASE + 5 * P, FAULT_FLAG_USER,
		    VM_UFFD_MISSING);
	wait_counts(e.ctx, 2, 2);
	read_one(e.ctx);
	wait_counts(e.ctx, 1, 2);
	/* release: VMAs unregistered, read and unread waiters woken */
	assert_int_equal(uffdops_close(e.ctx), 0);
	fault_join(&f[0]);
	fault_join(&f[1]);
	maps_get(e.mm, &m);
	assert_int_equal(m.n, 1);
	assert_null(m.v[0].uffd_ctx);
	assert_int_equal(m.v[0].vm_flags & __VM_UFFD_FLAGS, 0);
	/* the retried fault finds no context */
	assert_int_equal(fault_here(e.mm, BASE, FAULT_FLAG_USER,
				    VM_UFFD_MISSING),
			 VM_FAULT_SIGBUS);
	uffdops_mm_destroy(e.mm);
}

/* ------------------------------------------------------------------------ */
/* UNREGISTER wakes by VMA (spec §2.3, §4.2-9).                              */
/* ------------------------------------------------------------------------ */

static void test_unregister_wakes_missing_vmas(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, O_NONBLOCK, 0);
	struct uffdops_file *file;
	struct faulter f[4];
	const unsigned long mw = BASE, w = BASE + 4 * P, mi = BASE + 8 * P,
			    i = BASE + 12 * P;

	(void)state;
	map_fixed(mm, mw, 4 * P, RW, PA, NULL);
	map_fixed(mm, w, 4 * P, PROT_READ, PA, NULL);
	assert_int_equal(uffdops_file_create("shmem", 8 * P, &file), 0);
	map_fixed(mm, mi, 8 * P, RW, MAP_SHARED, file);
	uffdops_file_close(file);
	assert_int_equal(uffd_reg(ctx, mw, 4 * P, UM | UW, NULL), 0);
	assert_int_equal(uffd_reg(ctx, w, 4 * P, UW, NULL), 0);
	assert_int_equal(uffd_reg(ctx, mi, 4 * P, UM | UI, NULL), 0);
	assert_int_equal(uffd_reg(ctx, i, 4 * P, UI, NULL), 0);

	/* a WP fault in a MISSING|WP VMA, a MINOR one in MISSING|MINOR */
	fault_start(&f[0], mm, mw + P, FAULT_FLAG_WRITE | FAULT_FLAG_USER,
		    VM_UFFD_WP);
	fault_start(&f[1], mm, w + P, FAULT_FLAG_WRITE | FAULT_FLAG_USER,
		    VM_UFFD_WP);
	fault_start(&f[2], mm, mi + P, FAULT_FLAG_USER, VM_UFFD_MINOR);
	fault_start(&f[3], mm, i + P, FAULT_FLAG_USER, VM_UFFD_MINOR);
	wait_counts(ctx, 4, 4);
	/* everything but the piece holding the waiters: nobody wakes */
	assert_int_equal(uffd_unreg(ctx, mw + 2 * P, 2 * P), 0);
	assert_int_equal(uffd_unreg(ctx, mi + 2 * P, 2 * P), 0);
	assert_blocked(&f[0]);
	assert_blocked(&f[2]);
	/* the whole range: the MISSING VMAs' waiters wake, whatever kind */
	assert_int_equal(uffd_unreg(ctx, BASE, 16 * P), 0);
	fault_join(&f[0]);
	fault_join(&f[2]);
	/* WP-only and MINOR-only VMAs: still blocked, until WAKE */
	assert_blocked(&f[1]);
	assert_blocked(&f[3]);
	wait_counts(ctx, 2, 2);
	assert_int_equal(uffd_wake(ctx, w, 4 * P), 0);
	fault_join(&f[1]);
	assert_blocked(&f[3]);
	/* close wakes the rest */
	uffdops_close(ctx);
	fault_join(&f[3]);
	uffdops_mm_destroy(mm);
}

/* A hugetlb UNREGISTER whose split fails has already woken (§4.2-9). */
static void test_unregister_hugetlb_failure_wakes(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, O_NONBLOCK, 0);
	const unsigned long huge = BASE + H;
	struct faulter f;

	(void)state;
	map_fixed(mm, huge, 2 * H, RW, PA | MAP_HUGETLB, NULL);
	assert_int_equal(uffd_reg(ctx, huge, 2 * H, UM, NULL), 0);
	fault_start(&f, mm, huge + 0x3000, FAULT_FLAG_USER, VM_UFFD_MISSING);
	wait_counts(ctx, 1, 1);
	assert_int_equal(uffd_unreg(ctx, huge, H + P), -EINVAL);
	fault_join(&f);
	wait_counts(ctx, 0, 0);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

/* ------------------------------------------------------------------------ */
/* read() and poll().                                                        */
/* ------------------------------------------------------------------------ */

static void test_read_sizes(void **state)
{
	struct env e = env_new(0, O_NONBLOCK);
	struct faulter f[3];
	struct uffd_msg msgs[3];
	char buf[4 * MSG];
	int k;

	(void)state;
	for (k = 0; k < 3; k++) {
		fault_start(&f[k], e.mm, BASE + (unsigned long)k * P,
			    FAULT_FLAG_USER, VM_UFFD_MISSING);
		wait_counts(e.ctx, (unsigned long)k + 1, (unsigned long)k + 1);
	}
	/* under one message: EINVAL, nothing taken */
	assert_int_equal(uffdops_read(e.ctx, buf, MSG - 1), -EINVAL);
	assert_int_equal(uffdops_read(e.ctx, buf, 0), -EINVAL);
	wait_counts(e.ctx, 3, 3);
	/* trailing room under a message is ignored: 40 -> 32 */
	assert_int_equal(uffdops_read(e.ctx, buf, MSG + 8), (ssize_t)MSG);
	memcpy(&msgs[0], buf, MSG);
	/* as many whole messages as fit, oldest first */
	assert_int_equal(uffdops_read(e.ctx, buf, sizeof(buf)),
			 (ssize_t)(2 * MSG));
	memcpy(&msgs[1], buf, 2 * MSG);
	for (k = 0; k < 3; k++)
		assert_fault_msg(&msgs[k], BASE + (unsigned long)k * P, 0, 0);
	wait_counts(e.ctx, 0, 3);
	assert_int_equal(uffd_wake(e.ctx, BASE, 3 * P), 0);
	for (k = 0; k < 3; k++)
		fault_join(&f[k]);
	env_free(&e);
}

static void test_read_lost_message(void **state)
{
	struct env e = env_new(0, O_NONBLOCK);
	struct faulter f;

	(void)state;
	fault_start(&f, e.mm, BASE, FAULT_FLAG_USER, VM_UFFD_MISSING);
	wait_counts(e.ctx, 1, 1);
	/* the copy fails: EFAULT, and the message is not delivered again */
	assert_int_equal(uffdops_read(e.ctx, NULL, MSG), -EFAULT);
	wait_counts(e.ctx, 0, 1);
	assert_int_equal(uffdops_poll(e.ctx, 0), 0);
	assert_int_equal(uffd_wake(e.ctx, BASE, P), 0);
	fault_join(&f);
	env_free(&e);
}

struct reader {
	struct uffdops_ctx *ctx;
	pthread_t thread;
	atomic_bool done;
	ssize_t ret;
	struct uffd_msg msg;
};

static void *read_thread(void *arg)
{
	struct reader *r = arg;

	r->ret = uffdops_read(r->ctx, &r->msg, sizeof(r->msg));
	atomic_store(&r->done, true);
	return NULL;
}

static void reader_start(struct reader *r, struct uffdops_ctx *ctx)
{
	r->ctx = ctx;
	atomic_init(&r->done, false);
	assert_int_equal(pthread_create(&r->thread, NULL, read_thread, r), 0);
}

static void test_read_blocking(void **state)
{
	struct env e = env_new(0, 0);
	struct reader r;
	struct faulter f;
	struct uffd_msg msg;

	(void)state;
	/* without O_NONBLOCK a read waits for the first message */
	reader_start(&r, e.ctx);
	msleep(50);
	assert_false(atomic_load(&r.done));
	fault_start(&f, e.mm, BASE + 2 * P, FAULT_FLAG_USER, VM_UFFD_MISSING);
	assert_int_equal(pthread_join(r.thread, NULL), 0);
	assert_int_equal(r.ret, (ssize_t)MSG);
	assert_fault_msg(&r.msg, BASE + 2 * P, 0, 0);
	/* fcntl(O_NONBLOCK) applies at once */
	assert_int_equal(uffdops_fcntl_setfl(e.ctx, O_NONBLOCK), 0);
	assert_int_equal(uffdops_read(e.ctx, &msg, MSG), -EAGAIN);
	assert_int_equal(uffd_wake(e.ctx, BASE, 8 * P), 0);
	fault_join(&f);
	env_free(&e);
}

/*
 * close() while another thread blocks in read(): the read holds the file,
 * so nothing is released and the read does not return (spec §0.1) until a
 * message comes; release happens when that read returns.
 */
static void test_close_during_read(void **state)
{
	struct env e = env_new(0, 0);
	struct reader r;
	struct faulter f;
	struct maps m;

	(void)state;
	reader_start(&r, e.ctx);
	msleep(20);
	assert_int_equal(uffdops_close(e.ctx), 0);
	msleep(50);
	assert_false(atomic_load(&r.done));
	maps_get(e.mm, &m);
	assert_non_null(m.v[0].uffd_ctx);
	/* a fault still reaches the reader; its return releases */
	fault_start(&f, e.mm, BASE, FAULT_FLAG_USER, VM_UFFD_MISSING);
	assert_int_equal(pthread_join(r.thread, NULL), 0);
	assert_int_equal(r.ret, (ssize_t)MSG);
	fault_join(&f);
	maps_get(e.mm, &m);
	assert_null(m.v[0].uffd_ctx);
	uffdops_mm_destroy(e.mm);
}

static void test_poll_states(void **state)
{
	struct env e = env_new(0, O_NONBLOCK);
	struct timespec t0, t1;
	struct faulter f;
	long ms;

	(void)state;
	assert_int_equal(uffdops_poll(e.ctx, 0), 0);
	/* a timeout elapses */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(uffdops_poll(e.ctx, 60), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 55);
	/* a waiting poll sees a fault arrive */
	fault_start(&f, e.mm, BASE, FAULT_FLAG_USER, VM_UFFD_MISSING);
	assert_int_equal(uffdops_poll(e.ctx, -1), POLLIN);
	assert_int_equal(uffdops_poll(e.ctx, 5000), POLLIN);
	/* POLLERR without O_NONBLOCK, even with a message queued */
	assert_int_equal(uffdops_fcntl_setfl(e.ctx, 0), 0);
	assert_int_equal(uffdops_poll(e.ctx, 0), POLLERR);
	assert_int_equal(uffdops_fcntl_setfl(e.ctx, O_NONBLOCK), 0);
	read_one(e.ctx);
	assert_int_equal(uffdops_poll(e.ctx, 0), 0);
	assert_int_equal(uffd_wake(e.ctx, BASE, P), 0);
	fault_join(&f);
	assert_int_equal(uffdops_poll(NULL, 0), -EBADF);
	assert_int_equal(uffdops_read(NULL, NULL, 0), -EBADF);
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* The eventfd in a real epoll loop.                                          */
/* ------------------------------------------------------------------------ */

/* The descriptors epoll reports ready within @timeout ms, as a bit mask. */
static unsigned int epoll_ready(int ep, int timeout)
{
	struct epoll_event ev[4];
	unsigned int mask = 0;
	int n, k;

	n = epoll_wait(ep, ev, 4, timeout);
	assert_true(n >= 0);
	for (k = 0; k < n; k++)
		mask |= ev[k].data.u32;
	return mask;
}

static void test_eventfd_epoll(void **state)
{
	struct env e = env_new(0, O_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN };
	struct faulter f[2];
	int efd, ep, pipefd[2];
	char c = 'x';

	(void)state;
	efd = uffdops_eventfd(e.ctx);
	assert_true(efd >= 0);
	assert_int_equal(uffdops_eventfd(e.ctx), efd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);
	assert_int_equal(pipe(pipefd), 0);
	ev.data.u32 = 1;
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), 0);
	ev.data.u32 = 2;
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev), 0);
	assert_int_equal(epoll_ready(ep, 0), 0);

	/* a fault makes the eventfd readable, beside a quiet pipe */
	fault_start(&f[0], e.mm, BASE, FAULT_FLAG_USER, VM_UFFD_MISSING);
	assert_int_equal(epoll_ready(ep, 5000), 1);
	assert_int_equal(epoll_ready(ep, 0), 1); /* level: still queued */
	fault_start(&f[1], e.mm, BASE + P, FAULT_FLAG_USER, VM_UFFD_MISSING);
	wait_counts(e.ctx, 2, 2);
	read_one(e.ctx);
	assert_int_equal(epoll_ready(ep, 0), 1);
	read_one(e.ctx);
	/* nothing unread: quiet, though both faults still wait */
	assert_int_equal(epoll_ready(ep, 0), 0);
	assert_int_equal(write(pipefd[1], &c, 1), 1);
	assert_int_equal(epoll_ready(ep, 0), 2);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	assert_int_equal(uffd_wake(e.ctx, BASE, 2 * P), 0);
	fault_join(&f[0]);
	fault_join(&f[1]);
	assert_int_equal(epoll_ready(ep, 0), 0);

	/* a wake of an unread fault makes it quiet again */
	fault_start(&f[0], e.mm, BASE, FAULT_FLAG_USER, VM_UFFD_MISSING);
	assert_int_equal(epoll_ready(ep, 5000), 1);
	assert_int_equal(uffd_wake(e.ctx, BASE, P), 0);
	fault_join(&f[0]);
	assert_int_equal(epoll_ready(ep, 0), 0);
	close(ep);
	close(pipefd[0]);
	close(pipefd[1]);
	env_free(&e);
}

static void test_eventfd_created_late(void **state)
{
	struct env e = env_new(0, O_NONBLOCK);
	struct faulter f;
	struct pollfd pfd = { .events = POLLIN };

	(void)state;
	fault_start(&f, e.mm, BASE, FAULT_FLAG_USER, VM_UFFD_MISSING);
	wait_counts(e.ctx, 1, 1);
	/* asked for while a message is queued: readable at once */
	pfd.fd = uffdops_eventfd(e.ctx);
	assert_true(pfd.fd >= 0);
	assert_int_equal(poll(&pfd, 1, 0), 1);
	read_one(e.ctx);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(uffd_wake(e.ctx, BASE, P), 0);
	fault_join(&f);
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* Events.                                                                   */
/* ------------------------------------------------------------------------ */

struct producer {
	struct uffdops_ctx *ctx;
	struct uffd_msg msg;
	pthread_t thread;
	atomic_bool done;
};

static void *event_thread(void *arg)
{
	struct producer *p = arg;

	userfaultfd_event_wait_completion(p->ctx, &p->msg);
	atomic_store(&p->done, true);
	return NULL;
}

/* What a REMOVE producer does (userfaultfd_remove()). */
static void producer_start(struct producer *p, struct uffdops_ctx *ctx,
			   unsigned long start, unsigned long end)
{
	memset(&p->msg, 0, sizeof(p->msg));
	p->msg.event = UFFD_EVENT_REMOVE;
	p->msg.arg.remove.start = start;
	p->msg.arg.remove.end = end;
	p->ctx = ctx;
	atomic_init(&p->done, false);
	userfaultfd_ctx_get(ctx);
	atomic_fetch_add(&ctx->mmap_changing, 1);
	assert_int_equal(pthread_create(&p->thread, NULL, event_thread, p), 0);
}

static void test_events_after_faults(void **state)
{
	struct env e = env_new(0, O_NONBLOCK);
	struct producer p;
	struct faulter f;
	struct uffd_msg msgs[2];
	unsigned long pending, total;

	(void)state;
	producer_start(&p, e.ctx, BASE, BASE + P);
	for (;;) {
		if (uffdops_poll(e.ctx, 0) == POLLIN)
			break;
		msleep(1);
	}
	/* events are not faults: fdinfo does not count them */
	fdinfo_counts(e.ctx, &pending, &total);
	assert_int_equal(pending, 0);
	fault_start(&f, e.mm, BASE + 4 * P, FAULT_FLAG_USER, VM_UFFD_MISSING);
	wait_counts(e.ctx, 1, 1);
	/* the fault queued after the event is read first */
	assert_int_equal(uffdops_read(e.ctx, msgs, sizeof(msgs)),
			 (ssize_t)(2 * MSG));
	assert_fault_msg(&msgs[0], BASE + 4 * P, 0, 0);
	assert_int_equal(msgs[1].event, UFFD_EVENT_REMOVE);
	assert_int_equal(msgs[1].arg.remove.start, BASE);
	assert_int_equal(msgs[1].arg.remove.end, BASE + P);
	/* reading the event completes it */
	assert_int_equal(pthread_join(p.thread, NULL), 0);
	assert_int_equal(atomic_load(&e.ctx->mmap_changing), 0);
	assert_int_equal(uffdops_poll(e.ctx, 0), 0);

	/* release abandons a pending event; its producer resumes */
	producer_start(&p, e.ctx, BASE, BASE + 2 * P);
	while (uffdops_poll(e.ctx, 0) != POLLIN)
		msleep(1);
	uffdops_close(e.ctx);
	assert_int_equal(pthread_join(p.thread, NULL), 0);
	fault_join(&f);
	uffdops_mm_destroy(e.mm);
}

/* ------------------------------------------------------------------------ */
/* Many threads.                                                             */
/* ------------------------------------------------------------------------ */

#define NFAULTERS 16

struct handler {
	struct uffdops_ctx *ctx;
	int to_handle;
};

/* A fault handler: reads messages and wakes each one's page. */
static void *handler_thread(void *arg)
{
	struct handler *h = arg;
	struct uffd_msg msgs[4];
	ssize_t n;
	int k;

	while (h->to_handle > 0) {
		if (uffdops_poll(h->ctx, 5000) != POLLIN)
			return (void *)1;
		n = uffdops_read(h->ctx, msgs, sizeof(msgs));
		if (n == -EAGAIN)
			continue;
		if (n <= 0)
			return (void *)2;
		for (k = 0; k < n / (ssize_t)MSG; k++) {
			if (uffd_wake(h->ctx, msgs[k].arg.pagefault.address, P))
				return (void *)3;
			h->to_handle--;
		}
	}
	return NULL;
}

static void test_many_faulters(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, O_NONBLOCK, 0);
	struct faulter f[NFAULTERS];
	struct handler h = { .ctx = ctx, .to_handle = NFAULTERS };
	pthread_t ht;
	void *res;
	int k;

	(void)state;
	map_fixed(mm, BASE, NFAULTERS * P, RW, PA, NULL);
	assert_int_equal(uffd_reg(ctx, BASE, NFAULTERS * P, UM, NULL), 0);
	assert_int_equal(pthread_create(&ht, NULL, handler_thread, &h), 0);
	for (k = 0; k < NFAULTERS; k++)
		fault_start(&f[k], mm, BASE + (unsigned long)k * P,
			    FAULT_FLAG_USER, VM_UFFD_MISSING);
	for (k = 0; k < NFAULTERS; k++)
		fault_join(&f[k]);
	assert_int_equal(pthread_join(ht, &res), 0);
	assert_null(res);
	wait_counts(ctx, 0, 0);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_wake_by_range),
		cmocka_unit_test(test_fault_wake_unread),
		cmocka_unit_test(test_fault_msg_features),
		cmocka_unit_test(test_fault_hugetlb_address),
		cmocka_unit_test(test_fault_sigbus),
		cmocka_unit_test(test_fault_user_mode_only),
		cmocka_unit_test(test_close_releases),
		cmocka_unit_test(test_unregister_wakes_missing_vmas),
		cmocka_unit_test(test_unregister_hugetlb_failure_wakes),
		cmocka_unit_test(test_read_sizes),
		cmocka_unit_test(test_read_lost_message),
		cmocka_unit_test(test_read_blocking),
		cmocka_unit_test(test_close_during_read),
		cmocka_unit_test(test_poll_states),
		cmocka_unit_test(test_eventfd_epoll),
		cmocka_unit_test(test_eventfd_created_late),
		cmocka_unit_test(test_events_after_faults),
		cmocka_unit_test(test_many_faulters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
