/* SPDX-License-Identifier: MIT */
/*
 * bench_uffd.c - the userfaultfd operations of the model beside the live
 * kernel, in one run, with the same procedure on both sides:
 *  - UFFDIO_COPY of one 4 KiB page into a MISSING-registered anonymous
 *    range, page after page over 32 MiB, MADV_DONTNEED between rounds;
 *  - UFFDIO_COPY of 2 MiB at once into anonymous memory (4 KiB pages) and
 *    into hugetlb memory (one 2 MiB page), in GB/s, with a memcpy() of
 *    2 MiB between warm buffers as the yardstick. As root the kernel's
 *    vm.nr_hugepages is raised when no huge page is free, and restored;
 *  - the fault round trip: a thread reads a byte of a missing page and
 *    blocks; the handler thread reads the message (read(2) on the real
 *    userfaultfd, uffdops_read() on the model), resolves it with UFFDIO_COPY
 *    and the toucher resumes and goes on to the next page; once with both
 *    threads on one CPU (two context switches per trip, steady), once on
 *    two (cross-CPU wake-ups, which vary with the idle CPU's sleep state).
 *    When the model's access does not block on a userfault, the cell says
 *    so;
 *  - UFFDIO_REGISTER + UFFDIO_UNREGISTER pairs on a whole 64 KiB VMA;
 *  - UFFDIO_WAKE of a 64 KiB registered range nobody waits on.
 * Every rate is the best of several rounds (the least disturbed by the rest
 * of the machine) within a time budget; a run takes about 12 s.
 * Not a test: numbers only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <uffdops/uffdops.h>

#include "bench.h"

#define P 4096UL
#define HPAGE (2UL << 20)
#define NR_HUGEPAGES_PATH "/proc/sys/vm/nr_hugepages"

#define COPY_PAGES 8192UL /* 32 MiB filled page by page */
#define FAULT_PAGES 2048UL /* pages touched per fault round trip round */
#define SMALL_VMA (16 * P) /* the VMA of REGISTER/UNREGISTER and WAKE */

/* Time budgets per side, in seconds. */
#define COPY_BUDGET 1.0
#define BULK_BUDGET 0.8
#define FAULT_BUDGET 0.8
#define CALL_BUDGET 0.5
#define MIN_ROUNDS 3
#define PROBE_MS 2000 /* how long a first userfault may take to arrive */

/* Another round while fewer than MIN_ROUNDS ran or time is left. */
static bool more_rounds(int *round, double t_end)
{
	return ++*round < MIN_ROUNDS || bench_now() < t_end;
}

/*
 * One side of the comparison. Addresses are in the side's own address
 * space: this process's for the kernel, a uffdops_mm for the model. Every
 * call returns 0 (map: the address) or a negative errno.
 */
struct side {
	const char *name;
	int (*open)(
		void); /* the address space and a userfaultfd with UFFDIO_API done */
	void (*close)(void);
	long (*map)(unsigned long addr, size_t len, int prot, int flags);
	int (*unmap)(unsigned long addr, size_t len);
	int (*dontneed)(unsigned long addr, size_t len);
	int (*write)(unsigned long addr, const void *buf, size_t len);
	int (*touch)(unsigned long addr); /* a CPU read of one byte */
	int (*ioctl)(unsigned long cmd, void *arg);
	int (*read_msg)(struct uffd_msg *msg); /* blocking */
	/* >0 when a message is queued within @ms; never consumes one. */
	int (*wait_msg)(int ms);
};

/* --- the model --- */

static struct uffdops_mm *model_mm;
static struct uffdops_ctx *model_ctx;

static void model_close(void)
{
	uffdops_close(model_ctx);
	uffdops_mm_destroy(model_mm);
	model_ctx = NULL;
	model_mm = NULL;
}

static int model_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int r = uffdops_mm_create(&model_mm);

	if (!r)
		r = uffdops_userfaultfd(model_mm, O_CLOEXEC, &model_ctx);
	if (!r)
		r = uffdops_ioctl(model_ctx, UFFDIO_API, &api);
	if (r)
		model_close();
	return r;
}

static long model_map(unsigned long addr, size_t len, int prot, int flags)
{
	return uffdops_mmap(model_mm, addr, len, prot, flags, NULL, 0);
}

static int model_unmap(unsigned long addr, size_t len)
{
	return uffdops_munmap(model_mm, addr, len);
}

static int model_dontneed(unsigned long addr, size_t len)
{
	return uffdops_madvise(model_mm, addr, len, MADV_DONTNEED);
}

static int model_write(unsigned long addr, const void *buf, size_t len)
{
	ssize_t r = uffdops_write_mem(model_mm, addr, buf, len, 0);

	return r == (ssize_t)len ? 0 : r < 0 ? (int)r : -EFAULT;
}

static int model_touch(unsigned long addr)
{
	char c;
	ssize_t r = uffdops_read_mem(model_mm, addr, &c, 1, 0);

	return r == 1 ? 0 : r < 0 ? (int)r : -EFAULT;
}

static int model_ioctl(unsigned long cmd, void *arg)
{
	return uffdops_ioctl(model_ctx, cmd, arg);
}

static int model_read_msg(struct uffd_msg *msg)
{
	ssize_t r = uffdops_read(model_ctx, msg, sizeof(*msg));

	return r == sizeof(*msg) ? 0 : r < 0 ? (int)r : -EIO;
}

/* uffdops_poll() waits only on an O_NONBLOCK context, as poll(2) does. */
static int model_wait_msg(int ms)
{
	int r;

	uffdops_fcntl_setfl(model_ctx, O_NONBLOCK);
	r = uffdops_poll(model_ctx, ms);
	uffdops_fcntl_setfl(model_ctx, 0);
	return r > 0 && (r & POLLIN);
}

static const struct side model_side = {
	.name = "model",
	.open = model_open,
	.close = model_close,
	.map = model_map,
	.unmap = model_unmap,
	.dontneed = model_dontneed,
	.write = model_write,
	.touch = model_touch,
	.ioctl = model_ioctl,
	.read_msg = model_read_msg,
	.wait_msg = model_wait_msg,
};

/* --- the kernel: this process's own address space and a real userfaultfd --- */

static int kernel_uffd = -1;

static void kernel_close(void)
{
	if (kernel_uffd >= 0)
		close(kernel_uffd);
	kernel_uffd = -1;
}

static int kernel_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };

	kernel_uffd = (int)syscall(__NR_userfaultfd, O_CLOEXEC);
	if (kernel_uffd < 0) {
		/* Without CAP_SYS_PTRACE: /dev/userfaultfd, if accessible. */
		int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);

		if (dev < 0)
			return -errno;
		kernel_uffd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC);
		close(dev);
		if (kernel_uffd < 0)
			return -errno;
	}
	if (ioctl(kernel_uffd, UFFDIO_API, &api)) {
		int e = -errno;

		kernel_close();
		return e;
	}
	return 0;
}

static long kernel_map(unsigned long addr, size_t len, int prot, int flags)
{
	void *p = mmap((void *)addr, len, prot, flags, -1, 0);

	return p == MAP_FAILED ? -errno : (long)p;
}

static int kernel_unmap(unsigned long addr, size_t len)
{
	return munmap((void *)addr, len) ? -errno : 0;
}

static int kernel_dontneed(unsigned long addr, size_t len)
{
	return madvise((void *)addr, len, MADV_DONTNEED) ? -errno : 0;
}

static int kernel_write(unsigned long addr, const void *buf, size_t len)
{
	memcpy((void *)addr, buf, len);
	return 0;
}

static int kernel_touch(unsigned long addr)
{
	(void)*(volatile char *)addr;
	return 0;
}

static int kernel_ioctl(unsigned long cmd, void *arg)
{
	return ioctl(kernel_uffd, cmd, arg) ? -errno : 0;
}

static int kernel_read_msg(struct uffd_msg *msg)
{
	ssize_t r;

	do
		r = read(kernel_uffd, msg, sizeof(*msg));
	while (r < 0 && errno == EINTR);
	return r == sizeof(*msg) ? 0 : r < 0 ? -errno : -EIO;
}

/* userfaultfd_poll(): POLLERR unless O_NONBLOCK. */
static int kernel_wait_msg(int ms)
{
	struct pollfd pfd = { .fd = kernel_uffd, .events = POLLIN };
	int r;

	fcntl(kernel_uffd, F_SETFL, O_NONBLOCK);
	r = poll(&pfd, 1, ms) > 0 && (pfd.revents & POLLIN);
	fcntl(kernel_uffd, F_SETFL, 0);
	return r;
}

static const struct side kernel_side = {
	.name = "kernel",
	.open = kernel_open,
	.close = kernel_close,
	.map = kernel_map,
	.unmap = kernel_unmap,
	.dontneed = kernel_dontneed,
	.write = kernel_write,
	.touch = kernel_touch,
	.ioctl = kernel_ioctl,
	.read_msg = kernel_read_msg,
	.wait_msg = kernel_wait_msg,
};

/* --- ranges and fills, the same on both sides --- */

/*
 * A mapping of @len bytes aligned to @align inside a PROT_NONE reservation
 * a little larger: the guard pages around it keep it from merging with its
 * neighbours, so registering and unregistering it never splits or merges
 * VMAs, and MAP_HUGETLB gets its alignment.
 */
struct region {
	unsigned long res; /* the reservation */
	size_t res_len;
	unsigned long addr; /* the mapping */
	size_t len;
};

static int region_map(const struct side *s, struct region *rg, size_t len,
		      size_t align, int flags)
{
	long r;

	rg->res_len = len + 3 * align;
	r = s->map(0, rg->res_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
	if (r < 0)
		return (int)r;
	rg->res = (unsigned long)r;
	rg->addr = (rg->res + P + align - 1) & ~(align - 1);
	rg->len = len;
	r = s->map(rg->addr, len, PROT_READ | PROT_WRITE,
		   flags | MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	if (r < 0) {
		s->unmap(rg->res, rg->res_len);
		return (int)r;
	}
	return 0;
}

static void region_unmap(const struct side *s, struct region *rg)
{
	s->unmap(rg->res, rg->res_len);
}

/* A populated source of @len bytes holding a pattern. */
static int source_map(const struct side *s, struct region *rg, size_t len)
{
	unsigned char *buf = malloc(len);
	int r;

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 7 + 1);
	r = region_map(s, rg, len, P, 0);
	if (!r) {
		r = s->write(rg->addr, buf, len);
		if (r)
			region_unmap(s, rg);
	}
	free(buf);
	return r;
}

static int uffd_register(const struct side *s, const struct region *rg)
{
	struct uffdio_register reg = {
		.range = { .start = rg->addr, .len = rg->len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	return s->ioctl(UFFDIO_REGISTER, &reg);
}

/* UFFDIO_COPY of [@src, @src + @len) to @dst, resumed after a partial copy. */
static int uffd_copy(const struct side *s, unsigned long dst, unsigned long src,
		     unsigned long len)
{
	while (len) {
		struct uffdio_copy copy = { .dst = dst,
					    .src = src,
					    .len = len };
		int r = s->ioctl(UFFDIO_COPY, &copy);

		if (r && !(r == -EAGAIN && copy.copy > 0))
			return r;
		dst += copy.copy;
		src += copy.copy;
		len -= copy.copy;
	}
	return 0;
}

/*
 * A result cell: @v > 0 when measured; otherwise @why says why not (or the
 * errno in @err says what failed).
 */
struct result {
	double v;
	const char *why;
	int err;
};

static struct result failed(int err)
{
	return (struct result){ .err = err };
}

/* (1) UFFDIO_COPY of one page at a time, ops/s. */
static struct result bench_copy_page(const struct side *s)
{
	struct region src, dst;
	struct result res = { 0 };
	double t_end = bench_now() + COPY_BUDGET;
	int round = 0, r;

	r = source_map(s, &src, P);
	if (r)
		return failed(r);
	r = region_map(s, &dst, COPY_PAGES * P, P, 0);
	if (!r)
		r = uffd_register(s, &dst);
	if (r)
		goto out;
	do {
		double t0 = bench_now(), rate;

		for (unsigned long i = 0; i < COPY_PAGES && !r; i++)
			r = uffd_copy(s, dst.addr + i * P, src.addr, P);
		rate = COPY_PAGES / (bench_now() - t0);
		if (!r && rate > res.v)
			res.v = rate;
		if (!r)
			r = s->dontneed(dst.addr, dst.len);
	} while (!r && more_rounds(&round, t_end));
	region_unmap(s, &dst);
out:
	region_unmap(s, &src);
	return r ? failed(r) : res;
}

/* (2) UFFDIO_COPY of 2 MiB at once, GB/s; @flags 0 or MAP_HUGETLB. */
static struct result bench_copy_bulk(const struct side *s, int flags)
{
	struct region src, dst;
	struct result res = { 0 };
	double t_end = bench_now() + BULK_BUDGET;
	int round = 0, r;

	r = source_map(s, &src, HPAGE);
	if (r)
		return failed(r);
	r = region_map(s, &dst, HPAGE, flags ? HPAGE : P, flags);
	if (!r)
		r = uffd_register(s, &dst);
	if (r)
		goto out;
	do {
		double t0 = bench_now(), rate;

		r = uffd_copy(s, dst.addr, src.addr, HPAGE);
		rate = HPAGE / (bench_now() - t0) * 1e-9;
		if (!r && rate > res.v)
			res.v = rate;
		if (!r)
			r = s->dontneed(dst.addr, dst.len);
	} while (!r && more_rounds(&round, t_end));
	region_unmap(s, &dst);
out:
	region_unmap(s, &src);
	return r ? failed(r) : res;
}

/* The yardstick: memcpy() of 2 MiB between warm buffers, GB/s. */
static double bench_memcpy(void)
{
	char *src = malloc(HPAGE), *dst = malloc(HPAGE);
	double t_end = bench_now() + BULK_BUDGET, best = 0;
	int round = 0;

	if (!src || !dst) {
		free(src);
		free(dst);
		return 0;
	}
	memset(src, 1, HPAGE);
	memset(dst, 2, HPAGE);
	do {
		double t0 = bench_now(), rate;

		memcpy(dst, src, HPAGE);
		__asm__ volatile("" : : "r"(dst) : "memory");
		rate = HPAGE / (bench_now() - t0) * 1e-9;
		if (rate > best)
			best = rate;
	} while (more_rounds(&round, t_end));
	free(src);
	free(dst);
	return best;
}

/*
 * (3) The fault round trip. The toucher reads a byte of each of
 * FAULT_PAGES missing pages in turn, round after round (MADV_DONTNEED in
 * between, untimed), then reads the sentinel page after them; the handler
 * resolves every message with a one-page UFFDIO_COPY and stops after the
 * sentinel's.
 */
struct toucher {
	const struct side *s;
	unsigned long base;
	double best; /* round trips per second */
	int err;
	atomic_bool first_done; /* the first access returned */
	atomic_bool abort;
};

static void *toucher_fn(void *arg)
{
	struct toucher *t = arg;
	const struct side *s = t->s;
	double t_end = 0;
	int round = 0, r = 0;

	do {
		double t0 = bench_now(), rate;

		for (unsigned long i = 0; i < FAULT_PAGES && !r; i++) {
			r = s->touch(t->base + i * P);
			atomic_store(&t->first_done, true);
			if (atomic_load(&t->abort))
				goto out;
		}
		rate = FAULT_PAGES / (bench_now() - t0);
		/* Round 0 waited for the handler's probe: a warm-up. */
		if (!round)
			t_end = bench_now() + FAULT_BUDGET;
		else if (!r && rate > t->best)
			t->best = rate;
		if (!r)
			r = s->dontneed(t->base, FAULT_PAGES * P);
	} while (!r && more_rounds(&round, t_end));
	if (!r)
		r = s->touch(t->base + FAULT_PAGES * P);
out:
	t->err = r;
	return NULL;
}

/*
 * Wait (bounded) for the first userfault message: false when the toucher's
 * access returned without one, or none came in time.
 */
static bool first_fault_arrives(const struct side *s, struct toucher *t)
{
	for (int ms = 0; ms < PROBE_MS; ms += 10) {
		if (s->wait_msg(10))
			return true;
		if (atomic_load(&t->first_done))
			return s->wait_msg(0);
	}
	return false;
}

/* The first two CPUs this process may run on; -1 when there is no second. */
static int bench_cpus[2] = { -1, -1 };

static void pick_cpus(void)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
		if (CPU_ISSET(cpu, &set))
			bench_cpus[n++] = cpu;
}

/*
 * The toucher runs on bench_cpus[0]; the handler (this thread) on
 * bench_cpus[@two_cpus ? 1 : 0]. On one CPU a round trip is two context
 * switches; on two it is two cross-CPU wake-ups, whose latency depends on
 * how deeply the idle CPU sleeps.
 */
static struct result bench_fault(const struct side *s, bool two_cpus)
{
	struct toucher t = { .s = s };
	struct region src, dst;
	struct result res = { 0 };
	cpu_set_t saved, toucher_cpu, handler_cpu;
	pthread_attr_t attr;
	unsigned long sentinel;
	pthread_t thread;
	int r;

	if (bench_cpus[two_cpus] < 0) {
		res.why = "no CPU to run on";
		return res;
	}
	CPU_ZERO(&toucher_cpu);
	CPU_SET(bench_cpus[0], &toucher_cpu);
	CPU_ZERO(&handler_cpu);
	CPU_SET(bench_cpus[two_cpus], &handler_cpu);

	r = source_map(s, &src, P);
	if (r)
		return failed(r);
	r = region_map(s, &dst, (FAULT_PAGES + 1) * P, P, 0);
	if (!r)
		r = uffd_register(s, &dst);
	if (r)
		goto out;
	t.base = dst.addr;
	sentinel = dst.addr + FAULT_PAGES * P;
	r = sched_getaffinity(0, sizeof(saved), &saved) ? -errno : 0;
	if (!r)
		r = -pthread_attr_init(&attr);
	if (r)
		goto out_dst;
	r = -pthread_attr_setaffinity_np(&attr, sizeof(toucher_cpu),
					 &toucher_cpu);
	if (!r)
		r = sched_setaffinity(0, sizeof(handler_cpu), &handler_cpu) ?
			    -errno :
			    0;
	if (!r)
		r = -pthread_create(&thread, &attr, toucher_fn, &t);
	pthread_attr_destroy(&attr);
	if (r)
		goto out_cpu;
	if (!first_fault_arrives(s, &t)) {
		/* Unregistering wakes an access that blocked without a message. */
		struct uffdio_range range = { .start = dst.addr,
					      .len = dst.len };

		atomic_store(&t.abort, true);
		s->ioctl(UFFDIO_UNREGISTER, &range);
		pthread_join(thread, NULL);
		if (!atomic_load(&t.first_done))
			res.why =
				"no userfault message while the access blocked";
		else if (t.err)
			res.why = "the access failed instead of blocking";
		else
			res.why = "the access did not block on the userfault";
		goto out_cpu;
	}
	for (;;) {
		struct uffd_msg msg;
		unsigned long addr;

		r = s->read_msg(&msg);
		if (r)
			break;
		if (msg.event != UFFD_EVENT_PAGEFAULT) {
			r = -EPROTO;
			break;
		}
		addr = msg.arg.pagefault.address & ~(P - 1);
		r = uffd_copy(s, addr, src.addr, P);
		/* The toucher may have been woken by an earlier retry: fine. */
		if (r == -EEXIST)
			r = 0;
		if (r || addr == sentinel)
			break;
	}
	if (r) {
		/* The toucher may be blocked: no way to stop it cleanly. */
		fprintf(stderr, "bench_uffd: %s handler failed: %s\n", s->name,
			strerror(-r));
		exit(1);
	}
	pthread_join(thread, NULL);
	if (t.err)
		res = failed(t.err);
	else
		res.v = t.best;
out_cpu:
	sched_setaffinity(0, sizeof(saved), &saved);
out_dst:
	region_unmap(s, &dst);
out:
	region_unmap(s, &src);
	return r ? failed(r) : res;
}

/* (4) UFFDIO_REGISTER + UFFDIO_UNREGISTER of a whole VMA, pairs/s. */
static struct result bench_register(const struct side *s)
{
	struct region rg;
	struct result res = { 0 };
	double t_end = bench_now() + CALL_BUDGET;
	int round = 0, r;

	r = region_map(s, &rg, SMALL_VMA, P, 0);
	if (r)
		return failed(r);
	do {
		struct uffdio_range range = { .start = rg.addr, .len = rg.len };
		double t0 = bench_now(), rate;
		int i;

		for (i = 0; i < 10000 && !r; i++) {
			r = uffd_register(s, &rg);
			if (!r)
				r = s->ioctl(UFFDIO_UNREGISTER, &range);
		}
		rate = i / (bench_now() - t0);
		if (!r && rate > res.v)
			res.v = rate;
	} while (!r && more_rounds(&round, t_end));
	region_unmap(s, &rg);
	return r ? failed(r) : res;
}

/* (5) UFFDIO_WAKE of a registered range nobody waits on, calls/s. */
static struct result bench_wake(const struct side *s)
{
	struct region rg;
	struct result res = { 0 };
	double t_end = bench_now() + CALL_BUDGET;
	int round = 0, r;

	r = region_map(s, &rg, SMALL_VMA, P, 0);
	if (!r)
		r = uffd_register(s, &rg);
	if (r)
		goto out;
	do {
		struct uffdio_range range = { .start = rg.addr, .len = rg.len };
		double t0 = bench_now(), rate;
		int i;

		for (i = 0; i < 100000 && !r; i++)
			r = s->ioctl(UFFDIO_WAKE, &range);
		rate = i / (bench_now() - t0);
		if (!r && rate > res.v)
			res.v = rate;
	} while (!r && more_rounds(&round, t_end));
out:
	region_unmap(s, &rg);
	return r ? failed(r) : res;
}

/* --- huge pages for the kernel's hugetlb case --- */

/* Huge pages free and not reserved by a mapping already. */
static long hugepages_free(void)
{
	return bench_meminfo("HugePages_Free") -
	       bench_meminfo("HugePages_Rsvd");
}

/* A free 2 MiB huge page, reserving one as root when none is free. */
static const char *hugepage_available(void)
{
	long nr = bench_read_long(NR_HUGEPAGES_PATH);

	if (bench_meminfo("Hugepagesize") != (long)(HPAGE >> 10))
		return "no 2 MiB huge pages";
	if (hugepages_free() >= 1)
		return NULL;
	if (nr < 0 || geteuid() != 0)
		return "no free huge page (not root)";
	if (bench_sysctl_raise(NR_HUGEPAGES_PATH, nr, nr + 1) ||
	    hugepages_free() < 1)
		return "no huge page could be reserved";
	return NULL;
}

/* --- the table --- */

enum row {
	ROW_COPY_PAGE,
	ROW_COPY_ANON,
	ROW_COPY_HUGETLB,
	ROW_FAULT_1CPU,
	ROW_FAULT_2CPU,
	ROW_REGISTER,
	ROW_WAKE,
	NR_ROWS,
};

static const struct {
	const char *what;
	const char *unit;
	const char *fmt;
} rows[NR_ROWS] = {
	[ROW_COPY_PAGE] = { "UFFDIO_COPY 4 KiB, anon", "ops/s", "%.0f" },
	[ROW_COPY_ANON] = { "UFFDIO_COPY 2 MiB, anon 4 KiB pages", "GB/s",
			    "%.2f" },
	[ROW_COPY_HUGETLB] = { "UFFDIO_COPY 2 MiB, hugetlb 2 MiB page", "GB/s",
			       "%.2f" },
	[ROW_FAULT_1CPU] = { "fault round trip, toucher+handler on 1 CPU",
			     "faults/s", "%.0f" },
	[ROW_FAULT_2CPU] = { "fault round trip, toucher+handler on 2 CPUs",
			     "faults/s", "%.0f" },
	[ROW_REGISTER] = { "UFFDIO_REGISTER+UNREGISTER, 64 KiB VMA", "pairs/s",
			   "%.0f" },
	[ROW_WAKE] = { "UFFDIO_WAKE, 64 KiB, no waiter", "calls/s", "%.0f" },
};

static void cell(char *buf, size_t size, const struct result *r,
		 const char *fmt)
{
	if (r->v > 0)
		snprintf(buf, size, fmt, r->v);
	else if (r->err)
		snprintf(buf, size, "error: %s", strerror(-r->err));
	else
		snprintf(buf, size, "n/a");
}

static void run_side(const struct side *s, struct result *out,
		     const char *no_hugetlb)
{
	int r = s->open();

	if (r) {
		for (int k = 0; k < NR_ROWS; k++)
			out[k] = failed(r);
		return;
	}
	out[ROW_COPY_PAGE] = bench_copy_page(s);
	out[ROW_COPY_ANON] = bench_copy_bulk(s, 0);
	if (no_hugetlb)
		out[ROW_COPY_HUGETLB].why = no_hugetlb;
	else
		out[ROW_COPY_HUGETLB] = bench_copy_bulk(s, MAP_HUGETLB);
	out[ROW_FAULT_1CPU] = bench_fault(s, false);
	out[ROW_FAULT_2CPU] = bench_fault(s, true);
	out[ROW_REGISTER] = bench_register(s);
	out[ROW_WAKE] = bench_wake(s);
	s->close();
}

int main(void)
{
	struct result model[NR_ROWS] = { 0 }, kernel[NR_ROWS] = { 0 };
	const char *no_hugetlb = hugepage_available();
	double memcpy_gbs;

	pick_cpus();
	printf("bench_uffd: %ld CPUs online, vm.nr_hugepages %ld%s\n",
	       sysconf(_SC_NPROCESSORS_ONLN),
	       bench_read_long(NR_HUGEPAGES_PATH),
	       bench_sysctl_raised() ? " (raised for this run)" : "");
	run_side(&model_side, model, NULL);
	run_side(&kernel_side, kernel, no_hugetlb);
	bench_sysctl_restore();
	memcpy_gbs = bench_memcpy();

	printf("\n%-44s | %12s | %12s | %12s | %s\n", "operation", "model",
	       "kernel", "model/kernel", "unit");
	for (int k = 0; k < NR_ROWS; k++) {
		char m[64], kc[64], ratio[32] = "-";

		cell(m, sizeof(m), &model[k], rows[k].fmt);
		cell(kc, sizeof(kc), &kernel[k], rows[k].fmt);
		if (model[k].v > 0 && kernel[k].v > 0)
			snprintf(ratio, sizeof(ratio), "%.2fx",
				 model[k].v / kernel[k].v);
		printf("%-44s | %12s | %12s | %12s | %s\n", rows[k].what, m, kc,
		       ratio, rows[k].unit);
	}
	printf("%-44s | %12.2f | %12s | %12s | GB/s\n",
	       "memcpy 2 MiB, warm buffers (yardstick)", memcpy_gbs, "", "");
	for (int k = 0; k < NR_ROWS; k++) {
		if (model[k].why)
			printf("  %s, model: %s\n", rows[k].what, model[k].why);
		if (kernel[k].why)
			printf("  %s, kernel: %s\n", rows[k].what,
			       kernel[k].why);
	}
	if (memcpy_gbs > 0)
		printf("  2 MiB COPY as a share of memcpy: model anon %.0f%%, hugetlb %.0f%%; kernel anon %.0f%%, hugetlb %.0f%%\n",
		       100 * model[ROW_COPY_ANON].v / memcpy_gbs,
		       100 * model[ROW_COPY_HUGETLB].v / memcpy_gbs,
		       100 * kernel[ROW_COPY_ANON].v / memcpy_gbs,
		       100 * kernel[ROW_COPY_HUGETLB].v / memcpy_gbs);
	return 0;
}
