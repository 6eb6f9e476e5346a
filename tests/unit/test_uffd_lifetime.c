/* SPDX-License-Identifier: MIT */
/*
 * test_uffd_lifetime.c - a context holds its mm (mmgrab()): the structure
 * outlives uffdops_mm_destroy(), the address space does not, and the
 * ioctls then fail as the kernel's mmget_not_zero() makes them fail.
 */
#include "uffd_test.h"

static void count_events(const struct uffdops_trace_event *ev, void *data)
{
	(void)ev;
	++*(int *)data;
}

/* userfaultfd_register()/unregister(): mmget_not_zero() fails -> -ENOMEM */
static void test_ctx_outlives_mm(void **state)
{
	struct uffdio_register reg = { .range = { BASE, P }, .mode = UM };
	struct uffdio_range range = { BASE, P };
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, O_NONBLOCK, 0);
	char fdinfo[256];

	(void)state;
	map_fixed(mm, BASE, P, RW, PA, NULL);
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_REGISTER, &reg), 0);
	uffdops_mm_destroy(mm);
	/* the address space is gone, the context and its mm structure stay */
	reg.ioctls = 0;
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_REGISTER, &reg), -ENOMEM);
	assert_int_equal(reg.ioctls, 0);
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_UNREGISTER, &range),
			 -ENOMEM);
	/* the range ioctls: mmget_not_zero() fails -> -ESRCH, field untouched */
	{
		struct uffdio_copy copy = {
			.dst = BASE, .src = BASE, .len = P, .copy = 77
		};
		struct uffdio_zeropage zp = { .range = { BASE, P },
					      .zeropage = 77 };
		struct uffdio_writeprotect wp = { .range = { BASE, P },
						  .mode = 1 };
		struct uffdio_move mv = {
			.dst = BASE, .src = BASE + P, .len = P, .move = 77
		};

		assert_int_equal(uffdops_ioctl(ctx, UFFDIO_COPY, &copy),
				 -ESRCH);
		assert_int_equal(copy.copy, 77);
		assert_int_equal(uffdops_ioctl(ctx, UFFDIO_ZEROPAGE, &zp),
				 -ESRCH);
		assert_int_equal(zp.zeropage, 77);
		assert_int_equal(uffdops_ioctl(ctx, UFFDIO_WRITEPROTECT, &wp),
				 -ESRCH);
		assert_int_equal(uffdops_ioctl(ctx, UFFDIO_MOVE, &mv), -ESRCH);
		assert_int_equal(mv.move, 77);
	}
	/* WAKE looks at no VMA and needs no mm */
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_WAKE, &range), 0);
	assert_true(uffdops_fdinfo(ctx, fdinfo, sizeof(fdinfo)) > 0);
	assert_non_null(strstr(fdinfo, "pending:\t0"));
	/* release skips the unregistration and frees the mm last */
	assert_int_equal(uffdops_close(ctx), 0);
}

/* The trace callback lives in the mm and dies with it. */
static void test_trace_dies_with_mm(void **state)
{
	struct uffdio_register reg = { .range = { BASE, P }, .mode = 0 };
	struct uffdops_mm *mm = mm_new(), *other;
	struct uffdops_ctx *ctx = ctx_new(mm, 0, 0);
	int events = 0;

	(void)state;
	assert_int_equal(uffdops_trace_set(mm, count_events, &events), 0);
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_REGISTER, &reg), -EINVAL);
	assert_true(events > 0);
	assert_int_equal(uffdops_close(ctx), 0);
	uffdops_mm_destroy(mm);
	/* a new mm, perhaps at the same address, traces nothing */
	other = mm_new();
	ctx = ctx_new(other, 0, 0);
	events = 0;
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_REGISTER, &reg), -EINVAL);
	assert_int_equal(events, 0);
	/* removing the callback stops the events */
	assert_int_equal(uffdops_trace_set(other, count_events, &events), 0);
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_REGISTER, &reg), -EINVAL);
	assert_true(events > 0);
	events = 0;
	assert_int_equal(uffdops_trace_set(other, NULL, NULL), 0);
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_REGISTER, &reg), -EINVAL);
	assert_int_equal(events, 0);
	assert_int_equal(uffdops_close(ctx), 0);
	uffdops_mm_destroy(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctx_outlives_mm),
		cmocka_unit_test(test_trace_dies_with_mm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
