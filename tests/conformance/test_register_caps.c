/* SPDX-License-Identifier: MIT */
/*
 * test_register_caps.c - UFFDIO_REGISTER on the live kernel against the
 * model's uffdops_memtype_register_ioctls().
 *
 * For every kind of memory the kernel classifies (anon, shmem, hugetlb, a
 * regular file, MAP_DROPPABLE), every requested mode (the seven non-empty
 * combinations of MISSING/WP/MINOR and a few invalid ones) and two contexts
 * (features 0 and UFFD_FEATURE_WP_ASYNC), a fresh mapping is registered with
 * a real userfaultfd and the model is asked the same question for the memory
 * type it maps that kind to. Both must agree on the result (0 or the errno)
 * and, on success, on the ioctl mask written back; on failure neither may
 * touch the output.
 *
 * The matrix is data (mem_kinds[], reg_modes[], ctx_features[]) walked by one
 * runner; each memory kind is one cmocka test so that a kind the machine
 * cannot provide (no hugetlb pages, no MAP_DROPPABLE) is skipped on its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <uffdops/uffdops.h>

#include "../lib/live.h"

/* What neither the kernel nor the model may write over on failure. */
#define IOCTLS_SENTINEL ((__u64)0x5a5aa5a5deadbeefULL)

/* Base pages in a non-hugetlb test mapping. */
#define SMALL_MAP_PAGES 4
/* Huge pages the suite tries to have free; one is mapped at a time. */
#define HUGE_PAGES_WANTED 4
#define HUGE_PAGES_NEEDED 1

/* The user memory type standing for MAP_DROPPABLE in the model. */
#define DROPPABLE_TYPE "caps-droppable"

enum backing {
	BACK_ANON, /* no file: MAP_ANONYMOUS */
	BACK_MEMFD, /* memfd_create() */
	BACK_MEMFD_HUGETLB, /* memfd_create(MFD_HUGETLB) */
	BACK_DISK_FILE, /* a regular file on a disk filesystem */
};

/**
 * struct mem_kind - one way of mapping memory and the model type for it.
 * @label: what the table prints.
 * @memtype: the model's memory type (§1.3 of the spec classifies these).
 * @backing: what backs the mapping.
 * @map_flags: MAP_PRIVATE, MAP_SHARED or MAP_DROPPABLE, plus MAP_HUGETLB.
 * @hugetlb: needs reserved huge pages.
 * @model_optional: the model type may be missing (being added elsewhere,
 *	or a user type this suite could not register); its rows are then
 *	skipped rather than failed.
 */
struct mem_kind {
	const char *label;
	const char *memtype;
	enum backing backing;
	int map_flags;
	bool hugetlb;
	bool model_optional;
};

static const struct mem_kind mem_kinds[] = {
	{ "anon private", "anon", BACK_ANON, MAP_PRIVATE, false, false },
	{ "anon shared", "shmem", BACK_ANON, MAP_SHARED, false, false },
	{ "memfd shared", "shmem", BACK_MEMFD, MAP_SHARED, false, false },
	{ "memfd private", "shmem", BACK_MEMFD, MAP_PRIVATE, false, false },
	{ "hugetlb anon private", "hugetlb", BACK_ANON,
	  MAP_PRIVATE | MAP_HUGETLB, true, false },
	{ "hugetlb anon shared", "hugetlb", BACK_ANON, MAP_SHARED | MAP_HUGETLB,
	  true, false },
	{ "hugetlb memfd shared", "hugetlb", BACK_MEMFD_HUGETLB, MAP_SHARED,
	  true, false },
	{ "hugetlb memfd private", "hugetlb", BACK_MEMFD_HUGETLB, MAP_PRIVATE,
	  true, false },
	{ "disk file shared", "file", BACK_DISK_FILE, MAP_SHARED, false, true },
	{ "disk file private", "file", BACK_DISK_FILE, MAP_PRIVATE, false,
	  true },
	{ "anon droppable", DROPPABLE_TYPE, BACK_ANON, MAP_DROPPABLE, false,
	  true },
};

struct reg_mode {
	__u64 mode;
	const char *label;
};

static const struct reg_mode reg_modes[] = {
	{ UFFDIO_REGISTER_MODE_MISSING, "M" },
	{ UFFDIO_REGISTER_MODE_WP, "W" },
	{ UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP, "MW" },
	{ UFFDIO_REGISTER_MODE_MINOR, "I" },
	{ UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_MINOR, "MI" },
	{ UFFDIO_REGISTER_MODE_WP | UFFDIO_REGISTER_MODE_MINOR, "WI" },
	{ UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP |
		  UFFDIO_REGISTER_MODE_MINOR,
	  "MWI" },
	/* userfaultfd_register(): no mode, or an unknown mode bit -> EINVAL */
	{ 0, "none" },
	{ (__u64)1 << 3, "bit3" },
	{ UFFDIO_REGISTER_MODE_MISSING | (__u64)1 << 5, "M|bit5" },
};

struct ctx_features {
	__u64 features;
	const char *label;
};

static const struct ctx_features ctx_features[] = {
	{ 0, "0" },
	{ UFFD_FEATURE_WP_ASYNC, "WP_ASYNC" },
};

/*
 * Suite-wide state, set up once by the group setup; the machine's
 * userfaultfd features (UFFDIO_API's answer), why userfaultfd, hugetlb or a
 * disk file cannot be used, and the tally are in @suite.
 */
static struct {
	struct live_suite suite;
	size_t page_size;
	unsigned long huge_page_size;
	bool droppable_registered;
} env = { .suite = { .name = "register caps", .noun = "cases" } };

/* ------------------------------------------------------------------------ */
/* The live kernel.                                                          */
/* ------------------------------------------------------------------------ */

/* A userfaultfd after UFFDIO_API with @features: a descriptor or -errno. */
static int uffd_open_api(__u64 features)
{
	int fd = live_uffd_open(O_CLOEXEC | O_NONBLOCK, LIVE_UFFD_DEV), r;

	if (fd < 0)
		return fd;
	r = live_uffd_api(fd, features, NULL);
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

static int kernel_register(int uffd, void *addr, size_t len, __u64 mode,
			   __u64 *ioctls)
{
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)addr, .len = len },
		.mode = mode,
		.ioctls = IOCTLS_SENTINEL,
	};
	int ret = ioctl(uffd, UFFDIO_REGISTER, &reg) ? -errno : 0;

	*ioctls = reg.ioctls;
	return ret;
}

/* Map a fresh range of @kind; returns its address or MAP_FAILED (errno set). */
static void *map_kind(const struct mem_kind *kind, size_t len)
{
	static const char *const file_type[] = {
		[BACK_MEMFD] = "shmem",
		[BACK_MEMFD_HUGETLB] = "hugetlb",
		[BACK_DISK_FILE] = "file",
	};
	int flags = kind->map_flags, fd = -1, err;
	void *addr;

	if (kind->backing == BACK_ANON) {
		flags |= MAP_ANONYMOUS;
	} else {
		fd = live_file_create(file_type[kind->backing], len);
		if (fd < 0) {
			errno = -fd;
			return MAP_FAILED;
		}
	}
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	err = errno;
	if (fd >= 0)
		close(fd);
	errno = err;
	return addr;
}

/* ------------------------------------------------------------------------ */
/* Environment: the droppable model type.                                   */
/* ------------------------------------------------------------------------ */

/*
 * The model has no built-in droppable type: MAP_DROPPABLE memory is anonymous
 * memory with VM_DROPPABLE, stood in for by a user type flagged
 * UFFDOPS_MEMTYPE_DROPPABLE. The contract refuses an ops table on such a
 * type, so it has none; without its droppable rule the model would then
 * still accept WP alone under WP_ASYNC, which the kernel refuses.
 */
static void droppable_type_register(void)
{
	const struct uffdops_memtype_desc desc = {
		.name = DROPPABLE_TYPE,
		.page_size = 4096,
		.flags = UFFDOPS_MEMTYPE_DROPPABLE,
	};
	struct uffdops_explain explain = { .nr = 0 };
	unsigned int i;
	int ret = uffdops_memtype_register(&desc, &explain);

	if (!ret) {
		env.droppable_registered = true;
		return;
	}
	printf("register caps: the model refused the droppable stand-in type: %s\n",
	       strerror(-ret));
	for (i = 0; i < explain.nr && i < UFFDOPS_EXPLAIN_MAX; i++)
		printf("  %s\n", explain.violations[i].message);
}

/* ------------------------------------------------------------------------ */
/* The runner.                                                               */
/* ------------------------------------------------------------------------ */

static const char *result_str(char *buf, size_t size, int ret, __u64 ioctls)
{
	const char *name;

	if (!ret) {
		snprintf(buf, size, "0x%" PRIx64, (uint64_t)ioctls);
		return buf;
	}
	name = strerrorname_np(-ret);
	if (name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "errno %d", -ret);
	return buf;
}

/* Why the model cannot answer for @kind, or NULL; fails for a built-in. */
static const char *model_skip_reason(const struct mem_kind *kind)
{
	int ret = uffdops_memtype_lookup(kind->memtype, NULL);

	if (ret == -ENOENT && kind->model_optional)
		return "the model has no such memory type (yet)";
	if (ret)
		fail_msg("uffdops_memtype_lookup(\"%s\") = %d", kind->memtype,
			 ret);
	return NULL;
}

struct kind_tally {
	unsigned int compared;
	unsigned int agreed;
	unsigned int skipped;
	unsigned int kernel_wrote_on_failure;
};

/* One row: register a fresh mapping on the kernel, ask the model, compare. */
static void run_case(const struct mem_kind *kind, size_t len, int uffd,
		     const struct ctx_features *feat, const struct reg_mode *m,
		     const char *model_skip, struct kind_tally *t)
{
	char kbuf[32], mbuf[32];
	__u64 kioctls, mioctls = IOCTLS_SENTINEL;
	const char *verdict;
	int kret, mret = 0;
	void *addr = map_kind(kind, len);

	if (addr == MAP_FAILED)
		fail_msg("%s: mmap of %zu bytes failed: %s", kind->label, len,
			 strerror(errno));
	kret = kernel_register(uffd, addr, len, m->mode, &kioctls);
	munmap(addr, len);
	if (kret && kioctls != IOCTLS_SENTINEL)
		t->kernel_wrote_on_failure++;

	if (model_skip) {
		t->skipped++;
		verdict = "skipped (no model type)";
	} else {
		mret = uffdops_memtype_register_ioctls(
			kind->memtype, m->mode, feat->features, &mioctls);
		t->compared++;
		verdict = "agree";
		if (mret != kret || (!mret && mioctls != kioctls))
			verdict = "DIFFER";
		else if (mret && mioctls != IOCTLS_SENTINEL)
			verdict = "DIFFER (model wrote ioctls on failure)";
		else
			t->agreed++;
	}
	printf("%-22s %-14s %-7s %-9s kernel %-8s model %-8s %s\n", kind->label,
	       kind->memtype, m->label, feat->label,
	       result_str(kbuf, sizeof(kbuf), kret, kioctls),
	       model_skip ? "-" : result_str(mbuf, sizeof(mbuf), mret, mioctls),
	       verdict);
}

static void run_kind(void **state)
{
	const struct mem_kind *kind = *state;
	struct kind_tally t = { 0 };
	const char *model_skip;
	size_t len, f, m;
	void *probe;

	if (env.suite.skip) {
		print_message("%s: skipped: %s\n", kind->label, env.suite.skip);
		skip();
	}
	if (kind->hugetlb && env.suite.hugetlb_skip) {
		print_message("%s: skipped: %s\n", kind->label,
			      env.suite.hugetlb_skip);
		skip();
	}
	if (kind->backing == BACK_DISK_FILE && env.suite.file_skip) {
		print_message("%s: skipped: %s\n", kind->label,
			      env.suite.file_skip);
		skip();
	}
	len = kind->hugetlb ? env.huge_page_size :
			      SMALL_MAP_PAGES * env.page_size;
	probe = map_kind(kind, len);
	if (probe == MAP_FAILED && kind->map_flags == MAP_DROPPABLE) {
		print_message(
			"%s: skipped: the kernel refuses MAP_DROPPABLE: %s\n",
			kind->label, strerror(errno));
		skip();
	}
	if (probe == MAP_FAILED)
		fail_msg("%s: mmap of %zu bytes failed: %s", kind->label, len,
			 strerror(errno));
	munmap(probe, len);
	model_skip = model_skip_reason(kind);

	for (f = 0; f < ARRAY_SIZE(ctx_features); f++) {
		int uffd;

		if (ctx_features[f].features & ~env.suite.features) {
			printf("%-22s %-14s (all)   %-9s skipped: the kernel does not offer this feature\n",
			       kind->label, kind->memtype,
			       ctx_features[f].label);
			t.skipped += ARRAY_SIZE(reg_modes);
			continue;
		}
		/* userfaultfd_api(): a second UFFDIO_API on one fd fails */
		uffd = uffd_open_api(ctx_features[f].features);
		if (uffd < 0)
			fail_msg("UFFDIO_API with features %s failed: %s",
				 ctx_features[f].label, strerror(-uffd));
		for (m = 0; m < ARRAY_SIZE(reg_modes); m++)
			run_case(kind, len, uffd, &ctx_features[f],
				 &reg_modes[m], model_skip, &t);
		close(uffd);
	}

	env.suite.compared += (int)t.compared;
	env.suite.agreed += (int)t.agreed;
	env.suite.skipped += (int)t.skipped;
	if (t.kernel_wrote_on_failure)
		fail_msg(
			"%s: the kernel wrote ioctls in %u failed registrations (spec 2.2: untouched)",
			kind->label, t.kernel_wrote_on_failure);
	if (t.agreed != t.compared)
		fail_msg(
			"%s: the model disagrees with the kernel in %u of %u cases",
			kind->label, t.compared - t.agreed, t.compared);
	if (model_skip) {
		print_message("%s: model rows skipped: %s \"%s\"\n",
			      kind->label, model_skip, kind->memtype);
		skip();
	}
}

static int group_setup(void **state)
{
	(void)state;
	env.page_size = (size_t)sysconf(_SC_PAGESIZE);
	if (live_suite_setup(&env.suite, LIVE_UFFD_DEV, 0, HUGE_PAGES_WANTED,
			     HUGE_PAGES_NEEDED))
		return -1;
	if (env.suite.skip)
		return 0;
	env.huge_page_size = live_hugetlb_page_size();
	droppable_type_register();
	printf("%-22s %-14s %-7s %-9s %-15s %s\n", "memory", "type", "mode",
	       "features", "kernel", "model");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (env.droppable_registered)
		uffdops_memtype_unregister(DROPPABLE_TYPE);
	live_suite_teardown(&env.suite);
	return 0;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(mem_kinds)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mem_kinds); i++)
		tests[i] = (struct CMUnitTest){
			.name = mem_kinds[i].label,
			.test_func = run_kind,
			.initial_state = (void *)&mem_kinds[i],
		};
	return cmocka_run_group_tests_name("register_caps", tests, group_setup,
					   group_teardown);
}
