/* SPDX-License-Identifier: MIT */
/*
 * test_uffd_waiters.c - uffdops_waiters() lists the threads really asleep
 * on a context, and follows them from unread to read to woken.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "uffd_test.h"

struct toucher {
	struct uffdops_mm *mm;
	unsigned long addr;
	pid_t tid;
	int fault;
};

static void *touch(void *arg)
{
	struct toucher *t = arg;

	t->tid = gettid();
	t->fault = uffdops_handle_mm_fault(t->mm, t->addr,
					   FAULT_FLAG_USER | FAULT_FLAG_WRITE);
	return NULL;
}

/* Polls until @ctx has @nr waiters (a real sleeper shows up promptly). */
static int wait_for_waiters(struct uffdops_ctx *ctx, int nr,
			    struct uffdops_waiter *out, size_t n)
{
	int i, got = 0;

	for (i = 0; i < 10000; i++) {
		got = uffdops_waiters(ctx, out, n);
		if (got == nr)
			break;
		sched_yield();
		usleep(100);
	}
	return got;
}

static void test_waiters_follow_a_fault(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, O_NONBLOCK, 0);
	struct toucher t = { .mm = mm, .addr = BASE + P + 123 };
	/* COPY reads its source from the context's mm */
	struct uffdio_copy copy = { .src = BASE + 8 * P, .len = P };
	struct uffdops_waiter w[2];
	struct uffd_msg msg;
	pthread_t thread;

	(void)state;
	map_fixed(mm, BASE, 4 * P, RW, PA, NULL);
	map_fixed(mm, BASE + 8 * P, P, RW, PA, NULL);
	assert_int_equal(uffdops_write_mem(mm, BASE + 8 * P, "data", 4, 0), 4);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM, NULL), 0);
	assert_int_equal(uffdops_waiters(ctx, NULL, 0), 0);
	assert_int_equal(uffdops_waiters(ctx, NULL, 1), -EINVAL);

	assert_int_equal(pthread_create(&thread, NULL, touch, &t), 0);
	assert_int_equal(wait_for_waiters(ctx, 1, w, 2), 1);
	assert_int_equal(w[0].tid, t.tid);
	assert_false(w[0].event);
	assert_false(w[0].read);
	assert_int_equal(w[0].msg.event, UFFD_EVENT_PAGEFAULT);
	assert_int_equal(w[0].msg.arg.pagefault.address, BASE + P);
	assert_int_equal(w[0].msg.arg.pagefault.flags,
			 UFFD_PAGEFAULT_FLAG_WRITE);

	/* read() moves it to the read-but-not-woken queue */
	assert_int_equal(uffdops_read(ctx, &msg, sizeof(msg)), sizeof(msg));
	assert_int_equal(uffdops_waiters(ctx, w, 2), 1);
	assert_true(w[0].read);

	/* COPY of a neighbouring page wakes nobody; its own page does */
	copy.dst = BASE;
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_COPY, &copy), 0);
	assert_int_equal(uffdops_waiters(ctx, w, 2), 1);
	copy.dst = BASE + P;
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_COPY, &copy), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(t.fault, 0);
	assert_int_equal(uffdops_waiters(ctx, NULL, 0), 0);
	{
		char got[4];

		assert_int_equal(uffdops_read_mem(mm, BASE + P, got, 4, 0), 4);
		assert_memory_equal(got, "data", 4);
	}

	assert_int_equal(uffdops_close(ctx), 0);
	uffdops_mm_destroy(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waiters_follow_a_fault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
