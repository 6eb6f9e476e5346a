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
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <uffdops/uffdops.h>

#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* What neither the kernel nor the model may write over on failure. */
#define IOCTLS_SENTINEL ((__u64)0x5a5aa5a5deadbeefULL)

/* Base pages in a non-hugetlb test mapping. */
#define SMALL_MAP_PAGES 4
/* Huge pages the suite tries to have free; one is mapped at a time. */
#define HUGE_PAGES_WANTED 4
#define HUGE_PAGES_NEEDED 1

#define NR_HUGEPAGES_PATH "/proc/sys/vm/nr_hugepages"

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

/* Suite-wide state, set up once by the group setup. */
static struct {
	const char *uffd_skip; /* why userfaultfd cannot be used, or NULL */
	__u64 supported_features; /* UFFDIO_API's answer */
	size_t page_size;
	unsigned long huge_page_size;
	const char *hugetlb_skip; /* why hugetlb cannot be tested, or NULL */
	char hugetlb_why[160];
	long nr_hugepages_orig; /* -1 when the sysctl was not changed */
	const char *file_skip; /* why no disk file could be made, or NULL */
	char file_dir[PATH_MAX];
	bool droppable_registered;
	unsigned int compared;
	unsigned int agreed;
	unsigned int skipped;
} env = { .nr_hugepages_orig = -1 };

/* ------------------------------------------------------------------------ */
/* The live kernel.                                                          */
/* ------------------------------------------------------------------------ */

/* A new userfaultfd, through the syscall or else /dev/userfaultfd. */
static int uffd_open(void)
{
	int fd, dev, err;

	fd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		return fd;
	err = -errno;
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return err;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		fd = -errno;
	close(dev);
	return fd;
}

/* A userfaultfd after UFFDIO_API with @features; *@supported gets the answer. */
static int uffd_open_api(__u64 features, __u64 *supported)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd = uffd_open();

	if (fd < 0)
		return fd;
	if (ioctl(fd, UFFDIO_API, &api)) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (supported)
		*supported = api.features;
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

/* A regular file of @len bytes on a disk filesystem, already unlinked. */
static int disk_file_create(size_t len)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/uffdops-caps-XXXXXX", env.file_dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (ftruncate(fd, (off_t)len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Map a fresh range of @kind; returns its address or MAP_FAILED (errno set). */
static void *map_kind(const struct mem_kind *kind, size_t len)
{
	int flags = kind->map_flags, fd = -1, err;
	void *addr;

	switch (kind->backing) {
	case BACK_ANON:
		flags |= MAP_ANONYMOUS;
		break;
	case BACK_MEMFD:
	case BACK_MEMFD_HUGETLB:
		fd = memfd_create("uffdops-caps",
				  kind->backing == BACK_MEMFD_HUGETLB ?
					  MFD_CLOEXEC | MFD_HUGETLB :
					  MFD_CLOEXEC);
		if (fd >= 0 && ftruncate(fd, (off_t)len)) {
			err = errno;
			close(fd);
			errno = err;
			return MAP_FAILED;
		}
		break;
	case BACK_DISK_FILE:
		fd = disk_file_create(len);
		if (fd < 0) {
			errno = -fd;
			return MAP_FAILED;
		}
		break;
	}
	if (kind->backing != BACK_ANON && fd < 0)
		return MAP_FAILED;
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	err = errno;
	if (fd >= 0)
		close(fd);
	errno = err;
	return addr;
}

/* ------------------------------------------------------------------------ */
/* Environment: huge pages, a disk directory, the droppable model type.      */
/* ------------------------------------------------------------------------ */

static long meminfo_kb(const char *key)
{
	char line[128];
	size_t klen = strlen(key);
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

static long read_nr_hugepages(void)
{
	long val = -1;
	FILE *f = fopen(NR_HUGEPAGES_PATH, "re");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

static int write_nr_hugepages(long val)
{
	FILE *f = fopen(NR_HUGEPAGES_PATH, "we");
	int ret = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%ld\n", val) < 0)
		ret = -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

static void hugetlb_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(env.hugetlb_why, sizeof(env.hugetlb_why), fmt, ap);
	va_end(ap);
	env.hugetlb_skip = env.hugetlb_why;
}

/* Make sure HUGE_PAGES_WANTED huge pages are free, raising nr_hugepages. */
static void hugetlb_reserve(void)
{
	long size_kb = meminfo_kb("Hugepagesize");
	long free_pages = meminfo_kb("HugePages_Free");
	long orig = read_nr_hugepages();
	int err;

	if (size_kb <= 0 || free_pages < 0 || orig < 0) {
		hugetlb_skip("hugetlb is not configured in this kernel");
		return;
	}
	env.huge_page_size = (unsigned long)size_kb * 1024;
	if (free_pages >= HUGE_PAGES_WANTED)
		return;
	if (geteuid() != 0) {
		if (free_pages < HUGE_PAGES_NEEDED)
			hugetlb_skip(
				"not root: cannot raise %s (%ld huge pages free, %d needed)",
				NR_HUGEPAGES_PATH, free_pages,
				HUGE_PAGES_NEEDED);
		return;
	}
	err = write_nr_hugepages(orig + HUGE_PAGES_WANTED - free_pages);
	if (err) {
		hugetlb_skip("writing %s failed: %s", NR_HUGEPAGES_PATH,
			     strerror(-err));
		return;
	}
	env.nr_hugepages_orig = orig;
	free_pages = meminfo_kb("HugePages_Free");
	if (free_pages < HUGE_PAGES_NEEDED)
		hugetlb_skip("only %ld huge pages could be reserved, %d needed",
			     free_pages, HUGE_PAGES_NEEDED);
}

static void hugetlb_restore(void)
{
	int err;

	if (env.nr_hugepages_orig < 0)
		return;
	err = write_nr_hugepages(env.nr_hugepages_orig);
	if (err)
		fprintf(stderr,
			"register caps: restoring %s to %ld failed: %s\n",
			NR_HUGEPAGES_PATH, env.nr_hugepages_orig,
			strerror(-err));
	env.nr_hugepages_orig = -1;
}

/* Pick a directory on a disk filesystem (tmpfs would be shmem, not "file"). */
static void disk_dir_find(void)
{
	const char *dirs[] = { getenv("TMPDIR"), ".", "/var/tmp", "/tmp" };
	struct statfs sfs;
	size_t i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (!dirs[i] || statfs(dirs[i], &sfs) ||
		    sfs.f_type == TMPFS_MAGIC || sfs.f_type == HUGETLBFS_MAGIC)
			continue;
		snprintf(env.file_dir, sizeof(env.file_dir), "%s", dirs[i]);
		fd = disk_file_create(env.page_size);
		if (fd >= 0) {
			close(fd);
			return;
		}
	}
	env.file_skip = "no writable directory on a disk filesystem "
			"(tried $TMPDIR, ., /var/tmp, /tmp)";
}

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

	if (env.uffd_skip) {
		print_message("%s: skipped: %s\n", kind->label, env.uffd_skip);
		skip();
	}
	if (kind->hugetlb && env.hugetlb_skip) {
		print_message("%s: skipped: %s\n", kind->label,
			      env.hugetlb_skip);
		skip();
	}
	if (kind->backing == BACK_DISK_FILE && env.file_skip) {
		print_message("%s: skipped: %s\n", kind->label, env.file_skip);
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

		if (ctx_features[f].features & ~env.supported_features) {
			printf("%-22s %-14s (all)   %-9s skipped: the kernel does not offer this feature\n",
			       kind->label, kind->memtype,
			       ctx_features[f].label);
			t.skipped += ARRAY_SIZE(reg_modes);
			continue;
		}
		/* userfaultfd_api(): a second UFFDIO_API on one fd fails */
		uffd = uffd_open_api(ctx_features[f].features, NULL);
		if (uffd < 0)
			fail_msg("UFFDIO_API with features %s failed: %s",
				 ctx_features[f].label, strerror(-uffd));
		for (m = 0; m < ARRAY_SIZE(reg_modes); m++)
			run_case(kind, len, uffd, &ctx_features[f],
				 &reg_modes[m], model_skip, &t);
		close(uffd);
	}

	env.compared += t.compared;
	env.agreed += t.agreed;
	env.skipped += t.skipped;
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
	static char why[160];
	int fd;

	(void)state;
	env.page_size = (size_t)sysconf(_SC_PAGESIZE);
	fd = uffd_open_api(0, &env.supported_features);
	if (fd == -ENOSYS || fd == -EPERM || fd == -EACCES || fd == -ENOENT) {
		snprintf(
			why, sizeof(why),
			"userfaultfd is unavailable (syscall and /dev/userfaultfd: %s)",
			strerror(-fd));
		env.uffd_skip = why;
		return 0;
	}
	if (fd < 0) {
		fprintf(stderr, "register caps: userfaultfd: %s\n",
			strerror(-fd));
		return -1;
	}
	close(fd);
	hugetlb_reserve();
	disk_dir_find();
	droppable_type_register();
	printf("%-22s %-14s %-7s %-9s %-15s %s\n", "memory", "type", "mode",
	       "features", "kernel", "model");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	hugetlb_restore();
	if (env.droppable_registered)
		uffdops_memtype_unregister(DROPPABLE_TYPE);
	if (env.skipped)
		printf("register caps: %u cases not compared (skipped)\n",
		       env.skipped);
	printf("register caps: %u cases compared with the live kernel, %u agree\n",
	       env.compared, env.agreed);
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
