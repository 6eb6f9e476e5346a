/* SPDX-License-Identifier: MIT */
/*
 * test_uffd_register_live.c - userfaultfd creation, UFFDIO_API,
 * UFFDIO_REGISTER, UFFDIO_UNREGISTER, UFFDIO_WAKE, read(), poll() and fdinfo
 * on the live kernel against the model.
 *
 * A case (uffd_register_cases.h) is a list of steps: map memory, drop
 * CAP_SYS_PTRACE, create a userfaultfd through userfaultfd(2) or
 * /dev/userfaultfd, issue an ioctl (with its argument on the stack or placed
 * in the case's own address range, to reach the EFAULT paths), read, poll,
 * fdinfo, close. One runner plays a case twice:
 *  - live: in a forked child (live_child_run()), so that every case starts
 *    with a clean process; the region sits at a fixed address nothing else
 *    uses; the observations go back in memory shared with the parent;
 *  - model: on a fresh uffdops_mm at the same addresses.
 * After every step both sides record the return value or errno, every byte
 * of the ioctl argument as it is afterwards (struct uffdio_api in full, the
 * register ioctls preset to a sentinel, the argument read back from the
 * address space when it lives there), the fdinfo text from "pending:" on,
 * and the VMAs meeting the region: boundaries relative to the region, rwxp/s
 * and the uffd flags (smaps VmFlags um/uw/ui; VM_UFFD_* of uffdops_maps()).
 * Every field must agree at every step.
 *
 * One cmocka test per case; the last line printed is the tally
 * "uffd register conformance: N cases compared with the live kernel, M
 * agree". UFFD_REG_VERBOSE=1 prints every step of both sides,
 * UFFD_REG_FILTER=<glob> runs some cases.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include <linux/fs.h>

#include <setjmp.h>
#include <cmocka.h>

#include <uffdops/uffdops.h>

#include "../lib/live.h"

#ifndef FIOQSIZE
#define FIOQSIZE 0x5460
#endif

#define P 4096UL
#define H (2UL << 20)

/* Low enough for the ASan (below 0x7fff8000) and TSan (below 0x8000000000) app ranges. */
#define REGION_BASE 0x50000000UL
#define DEFAULT_REGION (32 * P)
/* A region near address 0, for ranges that start at 0 (spec §4.2-5). */
#define LOW_BASE 0x100000UL

#define MAX_STEPS 32
#define MAX_FILES 3
#define MAX_CTX 3
#define MAX_VMAS 16
#define ARG_BYTES 64
#define TEXT_BYTES 128

/* What neither side may write over when the spec says "untouched". */
#define SENTINEL ((__u64)0x5a5aa5a5deadbeefULL)
/* The bytes of a raw ioctl argument past its first 8. */
#define ARG_FILL 0xa5

/* Huge pages the suite wants free while it runs. */
#define HUGE_PAGES_WANTED 8
#define HUGE_PAGES_NEEDED 4

/* Seconds one live case may take. */
#define LIVE_TIMEOUT 20

/* CAP_SYS_PTRACE in /proc/self/status CapEff (include/uapi/linux/capability.h). */
#define CAP_SYS_PTRACE_BIT 19

enum op {
	OP_END,
	OP_MMAP, /* off, len, a = prot, b = flags, file, off2 = pgoff */
	OP_DROPCAP, /* drop CAP_SYS_PTRACE from this task */
	OP_UFFD, /* userfaultfd(a) into ctx */
	OP_DEVNEW, /* ioctl(/dev/userfaultfd, a, b) into ctx */
	OP_API, /* UFFDIO_API { api = a, features = b } */
	OP_REG, /* UFFDIO_REGISTER { off, len, mode = a } */
	OP_UNREG, /* UFFDIO_UNREGISTER { off, len } */
	OP_WAKE, /* UFFDIO_WAKE { off, len } */
	OP_IOCTL, /* ioctl(ctx, a, buffer whose first 8 bytes are b) */
	OP_READ, /* read(ctx, buf, len) */
	OP_POLL, /* poll(ctx, POLLIN, 0) */
	OP_SETFL, /* fcntl(ctx, F_SETFL, a) */
	OP_FDINFO, /* /proc/self/fdinfo/<ctx> */
	OP_CLOSE, /* close(ctx) */
};

/* What a step's address is relative to. */
enum at {
	AT_BASE, /* the region's base */
	AT_ABS, /* an absolute address */
};

/* Where an ioctl's argument lives. */
enum argat {
	ARG_LOCAL, /* in the caller's own memory, outside the region */
	ARG_REGION, /* at region + argoff, wherever the case mapped (or not) */
};

/**
 * struct step - one call of a case.
 * @op: enum op.
 * @ctx: the userfaultfd slot the call uses or fills.
 * @at: enum at, what @off is relative to.
 * @argat: enum argat.
 * @file: for OP_MMAP, index into the case's files, -1 for none.
 * @off: start address (mmap address, range start).
 * @len: length (mmap, range; OP_READ: the byte count).
 * @off2: mmap pgoff.
 * @argoff: with ARG_REGION, where the argument lives, from the base.
 * @a: first argument (see enum op).
 * @b: second argument (see enum op).
 */
struct step {
	unsigned char op;
	unsigned char ctx;
	unsigned char at;
	unsigned char argat;
	signed char file;
	unsigned long off;
	unsigned long len;
	unsigned long off2;
	unsigned long argoff;
	__u64 a;
	__u64 b;
};

/**
 * struct ucase - one scenario.
 * @name: the cmocka test name.
 * @base: where the region starts (0: REGION_BASE).
 * @region: its size (0: DEFAULT_REGION).
 * @files: files created first: "shmem", "hugetlb", "file", "ro" or
 *	"sealed" (struct live_file, which says how the model stands in for
 *	a sealed memfd).
 * @steps: the calls, up to the first OP_END.
 */
struct ucase {
	const char *name;
	unsigned long base;
	unsigned long region;
	struct live_file files[MAX_FILES];
	struct step steps[MAX_STEPS];
};

/* ------------------------------------------------------------------------ */
/* The cases.                                                               */
/* ------------------------------------------------------------------------ */

#define RWP (PROT_READ | PROT_WRITE)
#define ROP PROT_READ
#define PA (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)
#define SA (MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED)
#define PF (MAP_PRIVATE | MAP_FIXED)
#define SF (MAP_SHARED | MAP_FIXED)
#define DA (MAP_DROPPABLE | MAP_ANONYMOUS | MAP_FIXED)
#define HT MAP_HUGETLB

#define NB (O_CLOEXEC | O_NONBLOCK)
#define UMO UFFD_USER_MODE_ONLY
#define UM UFFDIO_REGISTER_MODE_MISSING
#define UW UFFDIO_REGISTER_MODE_WP
#define UI UFFDIO_REGISTER_MODE_MINOR
#define TASK UFFDOPS_TASK_SIZE

/* Modifiers appended to a step. */
#define ABS .at = AT_ABS
#define ARG(o) .argat = ARG_REGION, .argoff = (o)

/* clang-format off */
#define MAP(o, l, pr, fl)                                                      \
	{ .op = OP_MMAP, .off = (o), .len = (l), .a = (pr), .b = (fl),         \
	  .file = -1 }
#define MAPF(o, l, pr, fl, f, pg)                                              \
	{ .op = OP_MMAP, .off = (o), .len = (l), .a = (pr), .b = (fl),         \
	  .file = (f), .off2 = (pg) }
#define DROPCAP() { .op = OP_DROPCAP }
#define UFFD(c, fl) { .op = OP_UFFD, .ctx = (c), .a = (__u64)(fl) }
#define DEVNEW(c, cmd, fl)                                                     \
	{ .op = OP_DEVNEW, .ctx = (c), .a = (cmd), .b = (__u64)(fl) }
#define API(c, api, feat, ...)                                                 \
	{ .op = OP_API, .ctx = (c), .a = (api), .b = (feat), __VA_ARGS__ }
#define REG(c, o, l, m, ...)                                                   \
	{ .op = OP_REG, .ctx = (c), .off = (o), .len = (l), .a = (m),          \
	  __VA_ARGS__ }
#define UNREG(c, o, l, ...)                                                    \
	{ .op = OP_UNREG, .ctx = (c), .off = (o), .len = (l), __VA_ARGS__ }
#define WAKE(c, o, l, ...)                                                     \
	{ .op = OP_WAKE, .ctx = (c), .off = (o), .len = (l), __VA_ARGS__ }
#define IOC(c, cmd, v) { .op = OP_IOCTL, .ctx = (c), .a = (cmd), .b = (v) }
#define READ(c, n) { .op = OP_READ, .ctx = (c), .len = (n) }
#define POLL(c) { .op = OP_POLL, .ctx = (c) }
#define SETFL(c, fl) { .op = OP_SETFL, .ctx = (c), .a = (fl) }
#define FDINFO(c) { .op = OP_FDINFO, .ctx = (c) }
#define CLOSE(c) { .op = OP_CLOSE, .ctx = (c) }
/* The usual start: a non-blocking userfaultfd after a features=0 handshake. */
#define OPEN(c) UFFD(c, NB), API(c, UFFD_API, 0)

#define SHMEM(sz) { .type = "shmem", .size = (sz) }
#define HUGEFILE(sz) { .type = "hugetlb", .size = (sz) }
#define DISKFILE(sz) { .type = "file", .size = (sz) }
#define SEALED(sz) { .type = "sealed", .size = (sz) }
#define RDONLY(of) { .type = "ro", .ro_of = (of) }
/* clang-format on */

#include "uffd_register_cases.h"

/* ------------------------------------------------------------------------ */
/* Observations.                                                            */
/* ------------------------------------------------------------------------ */

/**
 * struct obs - what one side saw after one step.
 * @done: the step ran.
 * @ret: 0 or the value returned, or a negative errno.
 * @outlen: bytes of @out compared (the ioctl argument afterwards).
 * @unreadable: the argument could not be read back from the region.
 * @out: the argument's bytes after the call.
 * @text: the fdinfo text from "pending:" on.
 * @nvma: VMAs meeting the region.
 * @vma: the first MAX_VMAS of them, with their uffd modes.
 */
struct obs {
	bool done;
	long ret;
	unsigned int outlen;
	bool unreadable;
	unsigned char out[ARG_BYTES];
	char text[TEXT_BYTES];
	int nvma;
	struct live_vma vma[MAX_VMAS];
};

static unsigned long case_base(const struct ucase *c)
{
	return c->base ? c->base : REGION_BASE;
}

static unsigned long case_region(const struct ucase *c)
{
	return c->region ? c->region : DEFAULT_REGION;
}

static unsigned long step_addr(unsigned long base, const struct step *st)
{
	return st->at == AT_ABS ? st->off : base + st->off;
}

/*
 * The argument of an ioctl step as both sides pass it, in @buf; returns its
 * size and sets *@cmd. Fields the kernel writes back start as SENTINEL.
 */
static size_t build_arg(const struct step *st, unsigned long base,
			unsigned char *buf, unsigned long *cmd)
{
	unsigned long start = step_addr(base, st);

	memset(buf, 0, ARG_BYTES);
	switch (st->op) {
	case OP_API: {
		struct uffdio_api a = { .api = st->a,
					.features = st->b,
					.ioctls = SENTINEL };

		memcpy(buf, &a, sizeof(a));
		*cmd = UFFDIO_API;
		return sizeof(a);
	}
	case OP_REG: {
		struct uffdio_register r = {
			.range = { .start = start, .len = st->len },
			.mode = st->a,
			.ioctls = SENTINEL,
		};

		memcpy(buf, &r, sizeof(r));
		*cmd = UFFDIO_REGISTER;
		return sizeof(r);
	}
	case OP_UNREG:
	case OP_WAKE: {
		struct uffdio_range r = { .start = start, .len = st->len };

		memcpy(buf, &r, sizeof(r));
		*cmd = st->op == OP_UNREG ? UFFDIO_UNREGISTER : UFFDIO_WAKE;
		return sizeof(r);
	}
	default: /* OP_IOCTL */
		memset(buf + sizeof(__u64), ARG_FILL,
		       ARG_BYTES - sizeof(__u64));
		memcpy(buf, &st->b, sizeof(st->b));
		*cmd = (unsigned long)st->a;
		return ARG_BYTES;
	}
}

/* The fdinfo lines userfaultfd_show_fdinfo() adds, from "pending:" on. */
static void keep_uffd_fdinfo(char *text, const char *all)
{
	const char *p = strstr(all, "pending:");
	size_t len;

	if (!p)
		p = all;
	len = strnlen(p, TEXT_BYTES - 1);
	memcpy(text, p, len);
	text[len] = '\0';
}

/* poll() bits both sides report. */
#define POLL_BITS (POLLIN | POLLOUT | POLLPRI | POLLERR | POLLHUP | POLLNVAL)

/* ------------------------------------------------------------------------ */
/* The live side: runs in a forked child (live_child_run()).                */
/* ------------------------------------------------------------------------ */

struct live {
	const struct ucase *c;
	unsigned long base;
	unsigned long region;
	int files[MAX_FILES];
	int ctx[MAX_CTX];
	int mem_fd; /* /proc/self/mem */
};

/* Does any VMA outside the region meet [lo, hi)? */
static bool live_range_busy(unsigned long lo, unsigned long hi,
			    unsigned long base, unsigned long region)
{
	struct live_vma v[MAX_VMAS];
	int n = live_vmas(lo, hi, 0, v, MAX_VMAS);

	if (n < 0 || n > MAX_VMAS)
		return true;
	for (int i = 0; i < n; i++)
		if (lo + v[i].start < base || lo + v[i].end > base + region)
			return true;
	return false;
}

/* capset(2): remove CAP_SYS_PTRACE from the effective and permitted sets. */
static int drop_cap_sys_ptrace(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[0].effective &= ~(1U << CAP_SYS_PTRACE);
	data[0].permitted &= ~(1U << CAP_SYS_PTRACE);
	data[0].inheritable &= ~(1U << CAP_SYS_PTRACE);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* A new userfaultfd replaces the slot's; a failed creation leaves it. */
static void live_set_ctx(struct live *l, int slot, long fd)
{
	if (fd < 0)
		return;
	if (l->ctx[slot] >= 0)
		close(l->ctx[slot]);
	l->ctx[slot] = (int)fd;
}

static long live_devnew(const struct step *st)
{
	int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	long r;

	if (dev < 0)
		return -errno;
	r = live_ret(ioctl(dev, (unsigned long)st->a, (unsigned long)st->b));
	close(dev);
	return r;
}

static void live_ioctl(struct live *l, const struct step *st, struct obs *o)
{
	unsigned char buf[ARG_BYTES] __attribute__((aligned(8)));
	unsigned long cmd, uaddr = l->base + st->argoff;
	size_t size = build_arg(st, l->base, buf, &cmd);
	int fd = l->ctx[st->ctx];

	o->outlen = size;
	if (fd < 0) {
		o->ret = -EBADF;
		memcpy(o->out, buf, size);
		return;
	}
	if (st->argat == ARG_LOCAL) {
		o->ret = live_ret(ioctl(fd, cmd, buf));
		memcpy(o->out, buf, size);
		return;
	}
	/*
	 * Placed as /proc/pid/mem writes, whatever the protection; where
	 * nothing is mapped the write fails and the ioctl says EFAULT.
	 */
	(void)!pwrite(l->mem_fd, buf, size, (off_t)uaddr);
	o->ret = live_ret(ioctl(fd, cmd, (void *)uaddr));
	o->unreadable = pread(l->mem_fd, o->out, size, (off_t)uaddr) !=
			(ssize_t)size;
	if (o->unreadable)
		memset(o->out, 0, size);
}

static void live_fdinfo(struct live *l, const struct step *st, struct obs *o)
{
	char path[64], all[512];
	int fd = l->ctx[st->ctx];

	if (fd < 0) {
		o->ret = -EBADF;
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	o->ret = live_read_file(path, all, sizeof(all));
	if (o->ret >= 0) {
		keep_uffd_fdinfo(o->text, all);
		o->ret = 0;
	}
}

static void live_step(struct live *l, const struct step *st, struct obs *o)
{
	int fd = st->ctx < MAX_CTX ? l->ctx[st->ctx] : -1;
	unsigned char buf[ARG_BYTES];

	switch (st->op) {
	case OP_MMAP: {
		long r = live_ret(syscall(
			SYS_mmap, step_addr(l->base, st), st->len, (int)st->a,
			(int)st->b, st->file >= 0 ? l->files[st->file] : -1,
			st->off2 * P));

		o->ret = r < 0 ? r : r - (long)l->base;
		break;
	}
	case OP_DROPCAP:
		o->ret = drop_cap_sys_ptrace();
		break;
	case OP_UFFD:
	case OP_DEVNEW: {
		long r = st->op == OP_UFFD ? live_ret(syscall(__NR_userfaultfd,
							      (int)st->a)) :
					     live_devnew(st);

		live_set_ctx(l, st->ctx, r);
		o->ret = r < 0 ? r : 0;
		break;
	}
	case OP_READ:
		o->ret = fd < 0 ? -EBADF : live_ret(read(fd, buf, st->len));
		break;
	case OP_POLL: {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		o->ret = fd < 0 ? -EBADF : live_ret(poll(&pfd, 1, 0));
		if (o->ret >= 0)
			o->ret = pfd.revents & POLL_BITS;
		break;
	}
	case OP_SETFL:
		o->ret = fd < 0 ? -EBADF :
				  live_ret(fcntl(fd, F_SETFL, (int)st->a));
		break;
	case OP_FDINFO:
		live_fdinfo(l, st, o);
		break;
	case OP_CLOSE:
		o->ret = fd < 0 ? -EBADF : live_ret(close(fd));
		l->ctx[st->ctx] = -1;
		break;
	default:
		live_ioctl(l, st, o);
		break;
	}
	o->nvma = live_vmas(l->base, l->base + l->region, LIVE_VMA_UFFD, o->vma,
			    MAX_VMAS);
	o->done = true;
}

/* Why the live process cannot run @c as written, or NULL. */
static const char *live_unusable(struct live *l)
{
	/* The region must be free: nothing of the process's in it. */
	if (!live_region_free(l->base, l->region))
		return "the region is in use in the live process";
	/* Absolute ranges REGISTER/UNREGISTER look at must hold only ours. */
	for (int i = 0; i < MAX_STEPS && l->c->steps[i].op != OP_END; i++) {
		const struct step *st = &l->c->steps[i];
		unsigned long lo = st->off, hi = st->off + st->len;

		if (st->at != AT_ABS ||
		    (st->op != OP_REG && st->op != OP_UNREG) || lo >= TASK)
			continue;
		if (hi < lo || hi > TASK)
			hi = TASK;
		if (live_range_busy(lo, hi, l->base, l->region))
			return "an absolute range of the case meets mappings of the live process";
	}
	return NULL;
}

/* Play case @arg in this freshly forked process; see live_child_fn. */
static int live_run(const void *arg, void *res, char *why, size_t size)
{
	const struct ucase *c = arg;
	struct obs *obs = res;
	struct live l = { .c = c };
	const char *unusable;
	int r;

	l.base = case_base(c);
	l.region = case_region(c);
	for (int i = 0; i < MAX_CTX; i++)
		l.ctx[i] = -1;
	l.mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	r = l.mem_fd < 0 ? -errno :
			   live_files_open(c->files, MAX_FILES, l.files);
	if (r) {
		snprintf(why, size, "creating the files: %s", strerror(-r));
		return LIVE_FAILED;
	}
	unusable = live_unusable(&l);
	if (unusable) {
		snprintf(why, size, "%s", unusable);
		return LIVE_SKIPPED;
	}
	for (int i = 0; i < MAX_STEPS && c->steps[i].op != OP_END; i++)
		live_step(&l, &c->steps[i], &obs[i]);
	return LIVE_RAN;
}

/* ------------------------------------------------------------------------ */
/* The model side.                                                          */
/* ------------------------------------------------------------------------ */

/*
 * Machine settings the model mm is configured with, read by the setup
 * (live_mm_create() sees to the zero page).
 */
static struct {
	bool cap_sys_ptrace; /* this process holds CAP_SYS_PTRACE */
	long unprivileged_userfaultfd; /* vm.unprivileged_userfaultfd */
} machine;

struct model {
	const struct ucase *c;
	unsigned long base;
	unsigned long region;
	struct uffdops_mm *mm;
	struct uffdops_file *files[MAX_FILES];
	struct uffdops_ctx *ctx[MAX_CTX];
};

/* As live_set_ctx(): a new context replaces the slot's. */
static void model_set_ctx(struct model *m, int slot, struct uffdops_ctx *ctx)
{
	if (!ctx)
		return;
	uffdops_close(m->ctx[slot]);
	m->ctx[slot] = ctx;
}

static void model_ioctl(struct model *m, const struct step *st, struct obs *o)
{
	unsigned char buf[ARG_BYTES] __attribute__((aligned(8)));
	unsigned long cmd, uaddr = m->base + st->argoff;
	size_t size = build_arg(st, m->base, buf, &cmd);
	struct uffdops_ctx *ctx = m->ctx[st->ctx];

	o->outlen = size;
	if (!ctx) {
		o->ret = -EBADF;
		memcpy(o->out, buf, size);
		return;
	}
	if (st->argat == ARG_LOCAL) {
		o->ret = uffdops_ioctl(ctx, cmd, buf);
		memcpy(o->out, buf, size);
		return;
	}
	/* Unmapped: the ioctl will say EFAULT. */
	(void)uffdops_write_mem(m->mm, uaddr, buf, size, UFFDOPS_ACCESS_FORCE);
	o->ret = uffdops_ioctl_uaddr(ctx, cmd, uaddr);
	o->unreadable = uffdops_read_mem(m->mm, uaddr, o->out, size,
					 UFFDOPS_ACCESS_FORCE) != (ssize_t)size;
	if (o->unreadable)
		memset(o->out, 0, size);
}

static void model_step(struct model *m, const struct step *st, struct obs *o)
{
	struct uffdops_ctx *ctx = st->ctx < MAX_CTX ? m->ctx[st->ctx] : NULL;
	unsigned char buf[ARG_BYTES];

	switch (st->op) {
	case OP_MMAP: {
		long r = uffdops_mmap(m->mm, step_addr(m->base, st), st->len,
				      (int)st->a, (int)st->b,
				      st->file >= 0 ? m->files[st->file] : NULL,
				      st->off2);

		o->ret = r < 0 ? r : r - (long)m->base;
		break;
	}
	case OP_DROPCAP:
		o->ret = uffdops_mm_config(m->mm, UFFDOPS_MM_CAP_SYS_PTRACE, 0);
		break;
	case OP_UFFD:
	case OP_DEVNEW: {
		struct uffdops_ctx *new = NULL;

		if (st->op == OP_UFFD)
			o->ret = uffdops_userfaultfd(m->mm, (int)st->a, &new);
		else
			o->ret = uffdops_dev_userfaultfd_ioctl(
				m->mm, (unsigned long)st->a,
				(unsigned long)st->b, &new);
		model_set_ctx(m, st->ctx, o->ret ? NULL : new);
		break;
	}
	case OP_READ:
		o->ret = ctx ? uffdops_read(ctx, buf, st->len) : -EBADF;
		break;
	case OP_POLL:
		o->ret = ctx ? uffdops_poll(ctx, 0) : -EBADF;
		if (o->ret >= 0)
			o->ret &= POLL_BITS;
		break;
	case OP_SETFL:
		o->ret = ctx ? uffdops_fcntl_setfl(ctx, (int)st->a) : -EBADF;
		break;
	case OP_FDINFO: {
		char all[512];

		o->ret = ctx ? uffdops_fdinfo(ctx, all, sizeof(all)) : -EBADF;
		if (o->ret >= 0) {
			keep_uffd_fdinfo(o->text, all);
			o->ret = 0;
		}
		break;
	}
	case OP_CLOSE:
		o->ret = ctx ? uffdops_close(ctx) : -EBADF;
		m->ctx[st->ctx] = NULL;
		break;
	default:
		model_ioctl(m, st, o);
		break;
	}
	o->nvma = live_model_vmas(m->mm, m->base, m->base + m->region,
				  LIVE_VMA_UFFD, o->vma, MAX_VMAS);
	o->done = true;
}

static int model_configure(struct uffdops_mm *mm)
{
	int r = uffdops_mm_config(mm, UFFDOPS_MM_CAP_SYS_PTRACE,
				  machine.cap_sys_ptrace);

	if (!r)
		r = uffdops_mm_config(mm, UFFDOPS_MM_UNPRIVILEGED_USERFAULTFD,
				      machine.unprivileged_userfaultfd);
	return r;
}

/* Play @c on the model; returns 0 or a negative errno from setting up. */
static int model_run(const struct ucase *c, struct obs *res)
{
	struct model m = { .c = c };
	int r;

	m.base = case_base(c);
	m.region = case_region(c);
	r = live_mm_create(&m.mm);
	if (r)
		return r;
	r = model_configure(m.mm);
	if (!r)
		r = live_model_files_open(c->files, MAX_FILES, m.files);
	for (int i = 0; !r && i < MAX_STEPS && c->steps[i].op != OP_END; i++)
		model_step(&m, &c->steps[i], &res[i]);
	for (int i = 0; i < MAX_CTX; i++)
		uffdops_close(m.ctx[i]);
	uffdops_mm_destroy(m.mm);
	live_model_files_close(m.files, MAX_FILES);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Comparison and reporting.                                                */
/* ------------------------------------------------------------------------ */

static const char *const op_name[] = {
	[OP_MMAP] = "mmap",
	[OP_DROPCAP] = "drop CAP_SYS_PTRACE",
	[OP_UFFD] = "userfaultfd",
	[OP_DEVNEW] = "/dev/userfaultfd ioctl",
	[OP_API] = "UFFDIO_API",
	[OP_REG] = "UFFDIO_REGISTER",
	[OP_UNREG] = "UFFDIO_UNREGISTER",
	[OP_WAKE] = "UFFDIO_WAKE",
	[OP_IOCTL] = "ioctl",
	[OP_READ] = "read",
	[OP_POLL] = "poll",
	[OP_SETFL] = "fcntl(F_SETFL)",
	[OP_FDINFO] = "fdinfo",
	[OP_CLOSE] = "close",
};

static void describe_step(const struct step *st, char *buf, size_t size)
{
	char arg[48] = "";
	const char *at = st->at == AT_ABS ? "" : "base+";

	if (st->argat == ARG_REGION)
		snprintf(arg, sizeof(arg), ", arg at base+%#lx", st->argoff);
	switch (st->op) {
	case OP_MMAP:
		snprintf(
			buf, size,
			"mmap(base+%#lx, %#lx, prot %#llx, flags %#llx, file %d, pgoff %#lx)",
			st->off, st->len, (unsigned long long)st->a,
			(unsigned long long)st->b, st->file, st->off2);
		break;
	case OP_UFFD:
		snprintf(buf, size, "uffd%u = userfaultfd(%#llx)", st->ctx,
			 (unsigned long long)st->a);
		break;
	case OP_DEVNEW:
		snprintf(buf, size,
			 "uffd%u = ioctl(/dev/userfaultfd, %#llx, %#llx)",
			 st->ctx, (unsigned long long)st->a,
			 (unsigned long long)st->b);
		break;
	case OP_API:
		snprintf(buf, size,
			 "UFFDIO_API(uffd%u, api %#llx, features %#llx%s)",
			 st->ctx, (unsigned long long)st->a,
			 (unsigned long long)st->b, arg);
		break;
	case OP_REG:
		snprintf(buf, size,
			 "UFFDIO_REGISTER(uffd%u, %s%#lx, %#lx, mode %#llx%s)",
			 st->ctx, at, st->off, st->len,
			 (unsigned long long)st->a, arg);
		break;
	case OP_UNREG:
	case OP_WAKE:
		snprintf(buf, size, "%s(uffd%u, %s%#lx, %#lx%s)",
			 op_name[st->op], st->ctx, at, st->off, st->len, arg);
		break;
	case OP_IOCTL:
		snprintf(buf, size, "ioctl(uffd%u, %#llx, [%#llx])", st->ctx,
			 (unsigned long long)st->a, (unsigned long long)st->b);
		break;
	case OP_READ:
		snprintf(buf, size, "read(uffd%u, %lu)", st->ctx, st->len);
		break;
	case OP_SETFL:
		snprintf(buf, size, "fcntl(uffd%u, F_SETFL, %#llx)", st->ctx,
			 (unsigned long long)st->a);
		break;
	case OP_DROPCAP:
		snprintf(buf, size, "%s", op_name[st->op]);
		break;
	default:
		snprintf(buf, size, "%s(uffd%u)", op_name[st->op], st->ctx);
		break;
	}
}

static void describe_ret(const struct step *st, long r, char *buf, size_t size)
{
	if (r < 0 && r > -4096)
		snprintf(buf, size, "-%s", live_errname((int)-r));
	else if (st->op == OP_POLL)
		snprintf(buf, size, "revents %#lx", r);
	else
		snprintf(buf, size, "%#lx", r);
}

static void print_bytes(const char *side, const struct obs *o)
{
	printf("      %s arg%s:", side, o->unreadable ? " (unreadable)" : "");
	for (unsigned int i = 0; i + 8 <= o->outlen; i += 8) {
		__u64 v;

		memcpy(&v, o->out + i, sizeof(v));
		printf(" %#llx", (unsigned long long)v);
	}
	printf("\n");
}

static void print_text(const char *side, const char *text)
{
	printf("      %s fdinfo: \"", side);
	for (const char *p = text; *p; p++)
		if (*p == '\n')
			printf("\\n");
		else if (*p == '\t')
			printf("\\t");
		else
			putchar(*p);
	printf("\"\n");
}

/* Does step @st agree? Print why not when @print. */
static bool step_agrees(const struct step *st, const struct obs *a,
			const struct obs *b, bool print)
{
	bool ok = true;

	if (a->done != b->done) {
		if (print)
			printf("      %s did not run the step\n",
			       a->done ? "the model" : "the kernel");
		return false;
	}
	if (a->ret != b->ret) {
		char ra[64], rb[64];

		describe_ret(st, a->ret, ra, sizeof(ra));
		describe_ret(st, b->ret, rb, sizeof(rb));
		if (print)
			printf("      returned: live %s, model %s\n", ra, rb);
		ok = false;
	}
	if (a->outlen != b->outlen || a->unreadable != b->unreadable ||
	    memcmp(a->out, b->out, a->outlen)) {
		if (print) {
			printf("      the argument differs afterwards:\n");
			print_bytes("live ", a);
			print_bytes("model", b);
		}
		ok = false;
	}
	if (strcmp(a->text, b->text)) {
		if (print) {
			print_text("live ", a->text);
			print_text("model", b->text);
		}
		ok = false;
	}
	if (!live_vmas_equal(a->vma, a->nvma, b->vma, b->nvma, MAX_VMAS)) {
		if (print) {
			printf("      VMAs in the region differ:\n");
			live_vmas_print("live ", a->vma, a->nvma, MAX_VMAS);
			live_vmas_print("model", b->vma, b->nvma, MAX_VMAS);
		}
		ok = false;
	}
	return ok;
}

static void print_obs(const char *side, const struct step *st,
		      const struct obs *o)
{
	char r[64];

	describe_ret(st, o->ret, r, sizeof(r));
	printf("    %s:%s ret %s\n", side, o->done ? "" : " (not run)", r);
	if (o->outlen)
		print_bytes(side, o);
	if (o->text[0])
		print_text(side, o->text);
	live_vmas_print(side, o->vma, o->nvma, MAX_VMAS);
}

/* ------------------------------------------------------------------------ */
/* The suite.                                                               */
/* ------------------------------------------------------------------------ */

static struct {
	bool have_dev;
	bool verbose;
	struct live_suite suite;
	struct obs model_res[MAX_STEPS];
	struct obs live_res[MAX_STEPS];
} env = { .suite = { .name = "uffd register conformance", .noun = "cases" } };

/* Does this process hold CAP_SYS_PTRACE (CapEff in /proc/self/status)? */
static bool have_cap_sys_ptrace(void)
{
	char buf[4096];
	const char *p;

	if (live_read_file("/proc/self/status", buf, sizeof(buf)) < 0)
		return false;
	p = strstr(buf, "CapEff:");
	if (!p)
		return false;
	return (strtoull(p + strlen("CapEff:"), NULL, 16) >>
		CAP_SYS_PTRACE_BIT) &
	       1;
}

static bool case_uses_op(const struct ucase *c, enum op op, __u64 flag)
{
	for (int i = 0; i < MAX_STEPS && c->steps[i].op != OP_END; i++)
		if (c->steps[i].op == op && (!flag || (c->steps[i].b & flag)))
			return true;
	return false;
}

static int suite_setup(void **state)
{
	(void)state;
	env.verbose = getenv("UFFD_REG_VERBOSE") != NULL;
	machine.cap_sys_ptrace = have_cap_sys_ptrace();
	machine.unprivileged_userfaultfd =
		live_read_long("/proc/sys/vm/unprivileged_userfaultfd");
	if (machine.unprivileged_userfaultfd < 0)
		machine.unprivileged_userfaultfd = 0;
	if (live_suite_setup(&env.suite, 0, H, HUGE_PAGES_WANTED,
			     HUGE_PAGES_NEEDED))
		return -1;
	env.have_dev = access("/dev/userfaultfd", R_OK | W_OK) == 0;
	if (!env.suite.skip && !env.have_dev)
		live_say(
			&env.suite,
			"no usable /dev/userfaultfd: its cases will be skipped");
	return 0;
}

static int suite_teardown(void **state)
{
	(void)state;
	live_suite_teardown(&env.suite);
	return 0;
}

/* Skip @c when this machine cannot run it. */
static void case_check(const struct ucase *c)
{
	live_suite_check(&env.suite, c->name,
			 live_files_use(c->files, MAX_FILES, "hugetlb") ||
				 case_uses_op(c, OP_MMAP, HT),
			 live_files_use(c->files, MAX_FILES, "file"));
	if (case_uses_op(c, OP_DEVNEW, 0) && !env.have_dev)
		live_skip(&env.suite, c->name, "no usable /dev/userfaultfd");
}

static void run_case(void **state)
{
	const struct ucase *c = *state;
	int nsteps = 0, nbad = 0, r;

	case_check(c);
	while (nsteps < MAX_STEPS && c->steps[nsteps].op != OP_END)
		nsteps++;

	memset(env.model_res, 0, sizeof(env.model_res));
	live_child_run(&env.suite, c->name, LIVE_TIMEOUT, live_run, c,
		       env.live_res, sizeof(env.live_res));

	env.suite.compared++;
	r = model_run(c, env.model_res);
	if (r)
		fail_msg("%s: setting up the model failed: %s", c->name,
			 strerror(-r));

	for (int i = 0; i < nsteps; i++) {
		const struct step *st = &c->steps[i];
		bool ok = step_agrees(st, &env.live_res[i], &env.model_res[i],
				      false);
		char d[200];

		if (ok && !env.verbose)
			continue;
		describe_step(st, d, sizeof(d));
		if (env.verbose) {
			printf("  %s step %d: %s%s\n", c->name, i, d,
			       ok ? "" : "   <-- differs");
			print_obs("live ", st, &env.live_res[i]);
			print_obs("model", st, &env.model_res[i]);
		}
		if (ok)
			continue;
		if (!nbad++)
			printf("%s: disagreement:\n", c->name);
		if (!env.verbose) {
			printf("    step %d: %s\n", i, d);
			step_agrees(st, &env.live_res[i], &env.model_res[i],
				    true);
		}
	}
	if (!nbad) {
		env.suite.agreed++;
		return;
	}
	fail_msg("%s: the model and the kernel disagree on %d of %d steps",
		 c->name, nbad, nsteps);
}

/* The mask table (spec §2.2) as cases: every memory kind in every mode. */
static struct ucase mask_cases[ARRAY_SIZE(mask_kinds) * ARRAY_SIZE(mask_modes)];
static char mask_names[ARRAY_SIZE(mask_cases)][80];

static void build_mask_cases(void)
{
	size_t n = 0;

	for (size_t k = 0; k < ARRAY_SIZE(mask_kinds); k++) {
		const struct mask_kind *mk = &mask_kinds[k];

		for (size_t m = 0; m < ARRAY_SIZE(mask_modes); m++, n++) {
			struct ucase *c = &mask_cases[n];
			__u64 mode = mask_modes[m].mode;
			int f = mk->file ? 0 : -1;
			const struct step steps[] = {
				MAPF(0, mk->len, RWP, mk->flags, f, 0),
				UFFD(0, NB),
				API(0, UFFD_API, mk->features),
				REG(0, 0, mk->len, mode),
				UNREG(0, 0, mk->len),
			};

			snprintf(mask_names[n], sizeof(mask_names[n]),
				 "mask_%s_%s", mk->name, mask_modes[m].name);
			c->name = mask_names[n];
			c->region = mk->len;
			if (mk->file) {
				c->files[0].type = mk->file;
				c->files[0].size = mk->len;
			}
			memcpy(c->steps, steps, sizeof(steps));
		}
	}
}

int main(void)
{
	static struct CMUnitTest
		tests[ARRAY_SIZE(cases) + ARRAY_SIZE(mask_cases)];
	const char *filter = getenv("UFFD_REG_FILTER");
	size_t n = 0;

	build_mask_cases();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++, n++) {
		tests[n].name = cases[i].name;
		tests[n].test_func = run_case;
		tests[n].initial_state = (void *)&cases[i];
	}
	for (size_t i = 0; i < ARRAY_SIZE(mask_cases); i++, n++) {
		tests[n].name = mask_cases[i].name;
		tests[n].test_func = run_case;
		tests[n].initial_state = &mask_cases[i];
	}
	if (filter)
		cmocka_set_test_filter(filter);
	return _cmocka_run_group_tests("uffd_register_live", tests, n,
				       suite_setup, suite_teardown);
}
