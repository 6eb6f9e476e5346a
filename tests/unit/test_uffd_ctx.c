/* SPDX-License-Identifier: MIT */
/*
 * test_uffd_ctx.c - the userfaultfd context on the model: creation and its
 * permission rules (spec §1.1), the CREATED state, the dispatcher's generic,
 * state and command checks (§2.0 D0-D2) and the UFFDIO_API handshake
 * (§2.1 A1-A8), through both the plain and the address-space entry points.
 */
#include <poll.h>
#include <sys/ioctl.h>

#include <linux/fs.h>

#include "uffd_test.h"

#define NB O_NONBLOCK
#define UMO UFFD_USER_MODE_ONLY
#define API_IOCTLS 0x8000000000000003ULL

static const unsigned long ten_cmds[] = {
	UFFDIO_API,    UFFDIO_REGISTER,	    UFFDIO_UNREGISTER,
	UFFDIO_WAKE,   UFFDIO_COPY,	    UFFDIO_ZEROPAGE,
	UFFDIO_MOVE,   UFFDIO_WRITEPROTECT, UFFDIO_CONTINUE,
	UFFDIO_POISON,
};

static void test_create_flags(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = NULL;

	(void)state;
	/* new_userfaultfd(): only O_CLOEXEC, O_NONBLOCK, UFFD_USER_MODE_ONLY */
	assert_int_equal(uffdops_userfaultfd(mm, 0x4, &ctx), -EINVAL);
	assert_int_equal(uffdops_userfaultfd(mm, O_RDWR, &ctx), -EINVAL);
	assert_int_equal(uffdops_userfaultfd(mm, O_APPEND, &ctx), -EINVAL);
	assert_int_equal(uffdops_userfaultfd(mm, NB | 0x4, &ctx), -EINVAL);
	assert_int_equal(uffdops_userfaultfd(mm, (int)0x80000000, &ctx),
			 -EINVAL);
	assert_null(ctx);
	assert_int_equal(uffdops_userfaultfd(mm, NB | UMO | O_CLOEXEC, &ctx),
			 0);
	assert_non_null(ctx);
	assert_int_equal(uffdops_close(ctx), 0);
	/* bad pointers are refused, NULL close is ignored */
	assert_int_equal(uffdops_userfaultfd(NULL, 0, &ctx), -EINVAL);
	assert_int_equal(uffdops_userfaultfd(mm, 0, NULL), -EINVAL);
	assert_int_equal(uffdops_close(NULL), 0);
	uffdops_mm_destroy(mm);
}

static void test_create_permission(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = NULL;

	(void)state;
	assert_int_equal(uffdops_mm_config(mm, UFFDOPS_MM_CAP_SYS_PTRACE, 0),
			 0);
	/* userfaultfd_syscall_allowed(): EPERM comes before the flag check */
	assert_int_equal(uffdops_userfaultfd(mm, 0, &ctx), -EPERM);
	assert_int_equal(uffdops_userfaultfd(mm, NB, &ctx), -EPERM);
	assert_int_equal(uffdops_userfaultfd(mm, 0x4, &ctx), -EPERM);
	/* UFFD_USER_MODE_ONLY is always allowed, then flags are checked */
	assert_int_equal(uffdops_userfaultfd(mm, UMO | 0x4, &ctx), -EINVAL);
	assert_int_equal(uffdops_userfaultfd(mm, UMO | NB, &ctx), 0);
	uffdops_close(ctx);
	/* vm.unprivileged_userfaultfd=1 lets kernel faults be handled */
	assert_int_equal(
		uffdops_mm_config(mm, UFFDOPS_MM_UNPRIVILEGED_USERFAULTFD, 1),
		0);
	ctx = NULL;
	assert_int_equal(uffdops_userfaultfd(mm, NB, &ctx), 0);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void test_dev_userfaultfd(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = NULL;
	struct uffdio_api api = { .api = UFFD_API };

	(void)state;
	/* userfaultfd_dev_ioctl(): no capability check */
	assert_int_equal(uffdops_mm_config(mm, UFFDOPS_MM_CAP_SYS_PTRACE, 0),
			 0);
	assert_int_equal(uffdops_dev_userfaultfd_ioctl(
				 mm, _IO(USERFAULTFD_IOC, 0x01), NB, &ctx),
			 -EINVAL);
	assert_int_equal(uffdops_dev_userfaultfd_ioctl(
				 mm, _IOW(USERFAULTFD_IOC, 0x00, int), NB,
				 &ctx),
			 -EINVAL);
	assert_int_equal(uffdops_dev_userfaultfd_ioctl(mm, USERFAULTFD_IOC_NEW,
						       0x4, &ctx),
			 -EINVAL);
	assert_int_equal(uffdops_dev_userfaultfd_ioctl(mm, USERFAULTFD_IOC_NEW,
						       O_RDWR, &ctx),
			 -EINVAL);
	assert_null(ctx);
	/* ioctl(2) takes an unsigned int command; new_userfaultfd() an int */
	assert_int_equal(uffdops_dev_userfaultfd_ioctl(
				 mm, USERFAULTFD_IOC_NEW | (1UL << 32),
				 NB | (1UL << 32), &ctx),
			 0);
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_API, &api), 0);
	/* EVENT_FORK still needs the capability at UFFDIO_API */
	uffdops_close(ctx);
	ctx = NULL;
	assert_int_equal(uffdops_dev_userfaultfd_ioctl(mm, USERFAULTFD_IOC_NEW,
						       NB, &ctx),
			 0);
	api.features = UFFD_FEATURE_EVENT_FORK;
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_API, &api), -EPERM);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void test_created_state(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = NULL;
	char buf[64] = { 0 }, text[128];
	size_t i;

	(void)state;
	map_fixed(mm, BASE, 4 * P, RW, PA, NULL);
	assert_int_equal(uffdops_userfaultfd(mm, NB, &ctx), 0);
	/* D1: every command but UFFDIO_API, known or not -> EINVAL */
	for (i = 1; i < sizeof(ten_cmds) / sizeof(ten_cmds[0]); i++)
		assert_int_equal(uffdops_ioctl(ctx, ten_cmds[i], buf), -EINVAL);
	assert_int_equal(uffdops_ioctl(ctx,
				       _IOWR(UFFDIO, 0x09, struct uffdio_range),
				       buf),
			 -EINVAL);
	assert_int_equal(uffdops_ioctl(ctx, FIONREAD, buf), -EINVAL);
	assert_int_equal(uffd_reg(ctx, BASE, 4 * P, UM, NULL), -EINVAL);
	assert_int_equal(uffd_wake(ctx, BASE, P), -EINVAL);
	/* userfaultfd_read_iter(), userfaultfd_poll() */
	assert_int_equal(uffdops_read(ctx, buf, 32), -EINVAL);
	assert_int_equal(uffdops_poll(ctx, 0), POLLERR);
	assert_int_equal(uffdops_fdinfo(ctx, text, sizeof(text)),
			 (int)strlen("pending:\t0\ntotal:\t0\n"
				     "API:\taa:0:80000000000001ff\n"));
	assert_string_equal(text, "pending:\t0\ntotal:\t0\n"
				  "API:\taa:0:80000000000001ff\n");
	/* fdinfo is truncated like snprintf() */
	i = strlen(text);
	assert_int_equal(uffdops_fdinfo(ctx, text, 9), (int)i);
	assert_string_equal(text, "pending:");
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void test_generic_ioctls(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = NULL;
	int on, round;

	(void)state;
	assert_int_equal(uffdops_userfaultfd(mm, O_CLOEXEC, &ctx), 0);
	for (round = 0; round < 2; round++) {
		/* do_vfs_ioctl() answers these in any state */
		on = 1;
		assert_int_equal(uffdops_ioctl(ctx, FIONBIO, &on), 0);
		on = 0;
		assert_int_equal(uffdops_ioctl(ctx, FIONBIO, &on), 0);
		assert_int_equal(uffdops_ioctl(ctx, FIOCLEX, NULL), 0);
		assert_int_equal(uffdops_ioctl(ctx, FIONCLEX, NULL), 0);
		on = 1;
		assert_int_equal(uffdops_ioctl(ctx, FIOASYNC, &on), -ENOTTY);
		on = 0;
		assert_int_equal(uffdops_ioctl(ctx, FIOASYNC, &on), 0);
		on = 0;
		assert_int_equal(uffdops_ioctl(ctx, FIGETBSZ, &on), 0);
		assert_int_equal(on, 4096);
		assert_int_equal(uffdops_ioctl(ctx, FIOQSIZE, &on), -ENOTTY);
		/* get_user() of a NULL argument */
		assert_int_equal(uffdops_ioctl(ctx, FIONBIO, NULL), -EFAULT);
		if (!round) {
			struct uffdio_api api = { .api = UFFD_API };

			assert_int_equal(uffdops_ioctl(ctx, UFFDIO_API, &api),
					 0);
		}
	}
	/* FIONBIO switches poll() from POLLERR to "nothing queued" */
	assert_int_equal(uffdops_poll(ctx, 0), POLLERR);
	on = 1;
	assert_int_equal(uffdops_ioctl(ctx, FIONBIO, &on), 0);
	assert_int_equal(uffdops_poll(ctx, 0), 0);
	on = 0;
	assert_int_equal(uffdops_ioctl(ctx, FIONBIO, &on), 0);
	assert_int_equal(uffdops_poll(ctx, 0), POLLERR);
	/* so does fcntl(F_SETFL) */
	assert_int_equal(uffdops_fcntl_setfl(ctx, O_NONBLOCK | O_APPEND), 0);
	assert_int_equal(uffdops_poll(ctx, 0), 0);
	assert_int_equal(uffdops_fcntl_setfl(ctx, 0), 0);
	assert_int_equal(uffdops_poll(ctx, 0), POLLERR);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void test_unknown_commands(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, NB, 0);
	struct uffdio_register reg = {
		.range = { .start = BASE, .len = P },
		.mode = UM,
	};
	char buf[64] = { 0 };

	(void)state;
	map_fixed(mm, BASE, 4 * P, RW, PA, NULL);
	/* D2: number and size must both match one of the ten */
	assert_int_equal(uffdops_ioctl(ctx,
				       _IOC(_IOC_READ | _IOC_WRITE, UFFDIO,
					    _UFFDIO_COPY, 16),
				       buf),
			 -EINVAL);
	assert_int_equal(
		uffdops_ioctl(ctx, _IOR(UFFDIO, _UFFDIO_API, struct uffdio_api),
			      buf),
		-EINVAL);
	assert_int_equal(uffdops_ioctl(ctx, _IO(UFFDIO, _UFFDIO_REGISTER),
				       &reg),
			 -EINVAL);
	assert_int_equal(uffdops_ioctl(ctx,
				       _IOWR(0xAB, _UFFDIO_REGISTER,
					     struct uffdio_register),
				       &reg),
			 -EINVAL);
	assert_int_equal(uffdops_ioctl(ctx, 0, buf), -EINVAL);
	assert_int_equal(uffdops_ioctl(ctx, FIONREAD, buf), -EINVAL);
	/* ioctl(2)'s command is an unsigned int: the high bits are lost */
	assert_int_equal(
		uffdops_ioctl(ctx, UFFDIO_REGISTER | (1UL << 32), &reg), 0);
	assert_int_equal(reg.ioctls, 0x13c);
	assert_int_equal(uffdops_ioctl(NULL, UFFDIO_API, buf), -EBADF);
	assert_int_equal(uffdops_ioctl_uaddr(NULL, UFFDIO_API, BASE), -EBADF);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void expect_api(struct uffdops_ctx *ctx, __u64 api_version,
		       __u64 features, int ret)
{
	struct uffdio_api api = { .api = api_version,
				  .features = features,
				  .ioctls = 77 };

	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_API, &api), ret);
	if (!ret) {
		assert_int_equal(api.api, UFFD_API);
		assert_int_equal(api.features, 0x1ffff);
		assert_int_equal(api.ioctls, API_IOCTLS);
	} else {
		/* userfaultfd_api(): every refusal zeroes the structure */
		assert_int_equal(api.api, 0);
		assert_int_equal(api.features, 0);
		assert_int_equal(api.ioctls, 0);
	}
}

static void expect_fdinfo_api(struct uffdops_ctx *ctx, const char *api)
{
	char text[128], want[128];

	snprintf(want, sizeof(want), "pending:\t0\ntotal:\t0\nAPI:\t%s\n", api);
	uffdops_fdinfo(ctx, text, sizeof(text));
	assert_string_equal(text, want);
}

static void test_api_handshake(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = NULL;

	(void)state;
	assert_int_equal(uffdops_userfaultfd(mm, NB, &ctx), 0);
	/* A2: bad version, zeroed, still CREATED */
	expect_api(ctx, 0xAB, 0, -EINVAL);
	expect_api(ctx, 0, 0, -EINVAL);
	expect_api(ctx, 0x1AA, UFFD_FEATURE_MOVE, -EINVAL);
	/* A5: bits 17+, bit 31 */
	expect_api(ctx, UFFD_API, 1ULL << 17, -EINVAL);
	expect_api(ctx, UFFD_API, 1ULL << 31, -EINVAL);
	expect_api(ctx, UFFD_API, 1ULL << 63, -EINVAL);
	expect_fdinfo_api(ctx, "aa:0:80000000000001ff");
	assert_int_equal(uffdops_read(ctx, (char[32]){ 0 }, 32), -EINVAL);
	/* A8: the features are those requested, plus bit 31 */
	expect_api(ctx, UFFD_API,
		   UFFD_FEATURE_THREAD_ID | UFFD_FEATURE_EXACT_ADDRESS, 0);
	expect_fdinfo_api(ctx, "aa:80000900:80000000000001ff");
	/* A7: a second handshake fails and zeroes (spec §4.2-1) */
	expect_api(ctx, UFFD_API, 0, -EINVAL);
	expect_api(ctx, UFFD_API, UFFD_FEATURE_THREAD_ID, -EINVAL);
	/* ... but A2 still comes first, and the features did not change */
	expect_api(ctx, 0, 0, -EINVAL);
	expect_fdinfo_api(ctx, "aa:80000900:80000000000001ff");
	uffdops_close(ctx);

	/* A4: WP_ASYNC brings WP_UNPOPULATED */
	ctx = NULL;
	assert_int_equal(uffdops_userfaultfd(mm, NB, &ctx), 0);
	expect_api(ctx, UFFD_API, UFFD_FEATURE_WP_ASYNC, 0);
	expect_fdinfo_api(ctx, "aa:8000a000:80000000000001ff");
	uffdops_close(ctx);

	/* every supported bit at once */
	ctx = NULL;
	assert_int_equal(uffdops_userfaultfd(mm, NB, &ctx), 0);
	expect_api(ctx, UFFD_API, 0x1ffff, 0);
	expect_fdinfo_api(ctx, "aa:8001ffff:80000000000001ff");
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void test_api_capability_order(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = NULL;
	struct trace_log *log = calloc(1, sizeof(*log));

	(void)state;
	assert_int_equal(uffdops_mm_config(mm, UFFDOPS_MM_CAP_SYS_PTRACE, 0),
			 0);
	assert_int_equal(uffdops_userfaultfd(mm, NB | UMO, &ctx), 0);
	assert_int_equal(uffdops_trace_set(mm, trace_record, log), 0);
	/* A3: FORK without CAP_SYS_PTRACE */
	expect_api(ctx, UFFD_API, UFFD_FEATURE_EVENT_FORK, -EPERM);
	assert_string_equal(trace_last(log)->kernel_function, "capable");
	assert_int_equal(trace_last(log)->result, -EPERM);
	/* order: A2 before A3, A3 before A5 */
	expect_api(ctx, 0xAB, UFFD_FEATURE_EVENT_FORK, -EINVAL);
	expect_api(ctx, UFFD_API, UFFD_FEATURE_EVENT_FORK | 1ULL << 20, -EPERM);
	expect_api(ctx, UFFD_API, UFFD_FEATURE_EVENT_FORK | 1ULL << 31, -EPERM);
	expect_api(ctx, UFFD_API, 1ULL << 20, -EINVAL);
	log->n = 0;
	expect_api(ctx, UFFD_API,
		   UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE |
			   UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_SIGBUS,
		   0);
	assert_int_equal(trace_failures(log), 0);
	expect_fdinfo_api(ctx, "aa:800000cc:80000000000001ff");
	uffdops_close(ctx);
	assert_int_equal(uffdops_trace_set(mm, NULL, NULL), 0);

	/* with the capability FORK is fine */
	assert_int_equal(uffdops_mm_config(mm, UFFDOPS_MM_CAP_SYS_PTRACE, 1),
			 0);
	ctx = NULL;
	assert_int_equal(uffdops_userfaultfd(mm, NB, &ctx), 0);
	expect_api(ctx, UFFD_API, UFFD_FEATURE_EVENT_FORK, 0);
	expect_fdinfo_api(ctx, "aa:80000002:80000000000001ff");
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
	free(log);
}

/* The argument in the simulated address space (uffdops_ioctl_uaddr()). */
static void test_api_uaddr(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = NULL;
	struct uffdio_api api = { .api = UFFD_API }, out;
	const unsigned long rw = BASE, ro = BASE + P, edge = BASE + 3 * P - 8;

	(void)state;
	map_fixed(mm, rw, P, RW, PA, NULL);
	map_fixed(mm, ro, P, PROT_READ, PA, NULL);
	map_fixed(mm, BASE + 2 * P, P, RW, PA, NULL);
	assert_int_equal(uffdops_userfaultfd(mm, NB, &ctx), 0);

	/* A1: unreadable argument, nothing written, still CREATED */
	assert_int_equal(uffdops_ioctl_uaddr(ctx, UFFDIO_API, BASE + 8 * P),
			 -EFAULT);
	assert_int_equal(uffdops_ioctl_uaddr(ctx, UFFDIO_API, edge + 8 + 16),
			 -EFAULT);
	/* the argument runs off the mapping: copy_from_user() fails */
	assert_int_equal(uffdops_write_mem(mm, edge, &api, 8, 0), 8);
	assert_int_equal(uffdops_ioctl_uaddr(ctx, UFFDIO_API, edge), -EFAULT);
	expect_fdinfo_api(ctx, "aa:0:80000000000001ff");

	/* A6: read-only argument: the answer cannot be written, CREATED */
	assert_int_equal(uffdops_write_mem(mm, ro, &api, sizeof(api),
					   UFFDOPS_ACCESS_FORCE),
			 (ssize_t)sizeof(api));
	assert_int_equal(uffdops_ioctl_uaddr(ctx, UFFDIO_API, ro), -EFAULT);
	assert_int_equal(uffdops_read_mem(mm, ro, &out, sizeof(out), 0),
			 (ssize_t)sizeof(out));
	assert_memory_equal(&out, &api, sizeof(api));
	expect_fdinfo_api(ctx, "aa:0:80000000000001ff");
	/* A2 with a read-only argument: zeroing faults -> EFAULT */
	out.api = 0x55;
	assert_int_equal(
		uffdops_write_mem(mm, ro, &out, 8, UFFDOPS_ACCESS_FORCE), 8);
	assert_int_equal(uffdops_ioctl_uaddr(ctx, UFFDIO_API, ro), -EFAULT);

	/* A8 through the address space: the answer is written there */
	assert_int_equal(uffdops_write_mem(mm, rw, &api, sizeof(api), 0),
			 (ssize_t)sizeof(api));
	assert_int_equal(uffdops_ioctl_uaddr(ctx, UFFDIO_API, rw), 0);
	assert_int_equal(uffdops_read_mem(mm, rw, &out, sizeof(out), 0),
			 (ssize_t)sizeof(out));
	assert_int_equal(out.api, UFFD_API);
	assert_int_equal(out.features, 0x1ffff);
	assert_int_equal(out.ioctls, API_IOCTLS);
	expect_fdinfo_api(ctx, "aa:80000000:80000000000001ff");
	/* A7 after A6: an initialized ctx with a read-only argument */
	assert_int_equal(uffdops_write_mem(mm, ro, &api, sizeof(api),
					   UFFDOPS_ACCESS_FORCE),
			 (ssize_t)sizeof(api));
	assert_int_equal(uffdops_ioctl_uaddr(ctx, UFFDIO_API, ro), -EFAULT);
	/* A7 with a writable argument: the answer, then zeroes */
	assert_int_equal(uffdops_write_mem(mm, rw, &api, sizeof(api), 0),
			 (ssize_t)sizeof(api));
	assert_int_equal(uffdops_ioctl_uaddr(ctx, UFFDIO_API, rw), -EINVAL);
	assert_int_equal(uffdops_read_mem(mm, rw, &out, sizeof(out), 0),
			 (ssize_t)sizeof(out));
	assert_int_equal(out.api, 0);
	assert_int_equal(out.features, 0);
	assert_int_equal(out.ioctls, 0);
	/* a NULL plain argument faults */
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_WAKE, NULL), -EFAULT);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void test_d1_trace(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = NULL;
	struct trace_log *log = calloc(1, sizeof(*log));
	char buf[64] = { 0 };

	(void)state;
	assert_int_equal(uffdops_userfaultfd(mm, NB, &ctx), 0);
	assert_int_equal(uffdops_trace_set(mm, trace_record, log), 0);
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_COPY, buf), -EINVAL);
	assert_string_equal(trace_last(log)->op, "UFFDIO_COPY");
	assert_string_equal(trace_last(log)->kernel_function,
			    "userfaultfd_ioctl");
	assert_string_equal(trace_last(log)->check,
			    "context not initialized by UFFDIO_API");
	/* a removed callback hears nothing more */
	assert_int_equal(uffdops_trace_set(mm, NULL, NULL), 0);
	log->n = 0;
	assert_int_equal(uffdops_ioctl(ctx, UFFDIO_COPY, buf), -EINVAL);
	assert_int_equal(log->n, 0);
	assert_int_equal(uffdops_trace_set(NULL, trace_record, log), -EINVAL);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_flags),
		cmocka_unit_test(test_create_permission),
		cmocka_unit_test(test_dev_userfaultfd),
		cmocka_unit_test(test_created_state),
		cmocka_unit_test(test_generic_ioctls),
		cmocka_unit_test(test_unknown_commands),
		cmocka_unit_test(test_api_handshake),
		cmocka_unit_test(test_api_capability_order),
		cmocka_unit_test(test_api_uaddr),
		cmocka_unit_test(test_d1_trace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
