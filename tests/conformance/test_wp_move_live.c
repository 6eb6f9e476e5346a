/* SPDX-License-Identifier: MIT */
/*
 * test_wp_move_live.c - UFFDIO_WRITEPROTECT and UFFDIO_MOVE on the live
 * kernel against the model, data-driven: one runner plays every case of a
 * table (wp_move_cases.h) twice,
 *  - live: in a forked child, so that every case starts from a clean
 *    process, with real userfaultfds (userfaultfd(2)) and mappings placed
 *    with MAP_FIXED at offsets from a base nothing else uses;
 *  - model: on a fresh uffdops_mm at the same addresses,
 * and after every step compares what both saw: the return value or errno,
 * the written-back .move field (preset to a sentinel, so "untouched" is
 * compared too), the VMAs meeting the region (bounds, rwxp, uffd flags) and,
 * for every sampled page, its pagemap bits (present 63, swap 62, file 61,
 * guard 58, uffd-wp 57, exclusive 56; frames compared by identity, in order
 * of first appearance, so a moved page must keep its frame) and its first
 * 8 bytes when present.
 *
 * Threads blocked in a fault are part of a case: a WAITER step makes a
 * thread access a page (a read, or a write of the byte already there, so
 * that contents stay comparable) and reads the fault message (flags and
 * address are compared); a WOKEN step then says whether it was woken
 * (finished, or faulted again). The model's thread takes the same fault
 * with uffdops_handle_mm_fault(), i.e. the model's fault path and
 * handle_userfault(). A CHANGE step raises mmap_changing: live,
 * a thread's MADV_DONTNEED blocks in a REMOVE event until UNCHANGE reads
 * it; on the model the counter is raised directly.
 *
 * The last line is "wp/move conformance: N cases compared with the live
 * kernel, M agree". WP_MOVE_VERBOSE=1 prints every step of both sides,
 * WP_MOVE_FILTER=<glob> runs some cases. Without userfaultfd every case
 * skips; hugetlb cases skip when no huge page can be reserved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "../../src/move.h"
#include "../../src/uffd.h"
#include "../lib/live.h"

#define P 4096UL
#define H (2UL << 20)

/* Below the ASan (0x7fff8000) and TSan application limits; 2 MiB aligned. */
#define REGION_BASE 0x60000000UL
#define DEFAULT_REGION (16 * P)

#define MAX_STEPS 28
#define MAX_FILES 2
#define MAX_CTX 2
#define MAX_WAITERS 3
#define MAX_VMAS 8
#define MAX_PAGES 32
#define MAX_SAMPLES 16

/* What the kernel must not write over when the spec says "untouched". */
#define SENTINEL ((__s64)0x5a5aa5a5deadbeefLL)

#define HUGE_PAGES_WANTED 8
#define HUGE_PAGES_NEEDED 6

/* Seconds one live case may take; a fault message must come within. */
#define LIVE_TIMEOUT 30
#define MSG_TIMEOUT_MS 2000
/* Seconds the model may take over one case before the suite is killed. */
#define MODEL_TIMEOUT 60
/* How long a waiter is given to show it was woken. */
#define WOKEN_WAIT_MS 300

enum op {
	OP_END,
	OP_MMAP, /* off, len, a = prot, b = flags, file, pg = pgoff */
	OP_UFFD, /* ctx = userfaultfd(O_NONBLOCK) + UFFDIO_API(a = features) */
	OP_REG, /* UFFDIO_REGISTER { off, len, mode = a } */
	OP_UNREG, /* UFFDIO_UNREGISTER { off, len } */
	OP_WAKE, /* UFFDIO_WAKE { off, len } */
	OP_WP, /* UFFDIO_WRITEPROTECT { off, len, mode = a } */
	OP_MOVE, /* UFFDIO_MOVE { dst = off, src = src, len, mode = a } */
	OP_ZERO, /* UFFDIO_ZEROPAGE { off, len } */
	OP_POISON, /* UFFDIO_POISON { off, len } */
	OP_WRITE, /* store a + i at each b-spaced (P) address of [off, +len) */
	OP_TOUCH, /* load from each b-spaced (P) address of [off, +len) */
	OP_MADV, /* madvise(off, len, a) */
	OP_FORK, /* fork a child that exits at once */
	OP_FORKMOVE, /* UFFDIO_MOVE as OP_MOVE, issued by a forked child */
	OP_CHANGE, /* raise ctx's mmap_changing (REMOVE event on [off, +P)) */
	OP_UNCHANGE, /* let the event of OP_CHANGE complete */
	OP_WAITER, /* waiter b accesses off (a = WAIT_*), its msg is read */
	OP_WOKEN, /* was waiter b woken? 1 or 0 */
};

/* A waiter's access and the fault it is expected to raise. */
enum wait_kind {
	WAIT_READ_MISSING,
	WAIT_WRITE_MISSING,
	WAIT_WRITE_WP,
};

/**
 * struct step - one call of a case.
 * @op: enum op.
 * @ctx: the userfaultfd slot.
 * @file: OP_MMAP: index into the case's files, -1 for anonymous memory.
 * @argat: the ioctl argument lives at region + @argoff instead of the
 *	caller's stack (EFAULT paths).
 * @off: address, from the region's base (OP_MOVE: dst).
 * @src: OP_MOVE/OP_FORKMOVE: src, from the base.
 * @len: length.
 * @pg: OP_MMAP: pgoff.
 * @argoff: see @argat.
 * @a: first argument (see enum op).
 * @b: second argument (see enum op).
 */
struct step {
	unsigned char op;
	unsigned char ctx;
	signed char file;
	bool argat;
	unsigned long off;
	unsigned long src;
	unsigned long len;
	unsigned long pg;
	unsigned long argoff;
	__u64 a;
	__u64 b;
};

/**
 * struct wcase - one scenario.
 * @name: the cmocka test name.
 * @region: bytes from the base the case uses (0: DEFAULT_REGION).
 * @stride: the pages sampled after each step: every @stride bytes of the
 *	region (0: P), unless @samples lists offsets.
 * @samples: explicit sample offsets, ended by the first 0 after index 0.
 * @files: "shmem" (memfd), "hugetlb" (memfd MFD_HUGETLB) or "file" (a
 *	regular file on a disk filesystem), with their sizes.
 * @no_frames: frames are not compared (only bits and contents): the case
 *	has a write fault whose reuse-or-copy choice the live kernel makes
 *	by reference counts the model does not have (per-CPU LRU batches).
 * @steps: the calls, up to the first OP_END.
 */
struct wcase {
	const char *name;
	bool no_frames;
	unsigned long region;
	unsigned long stride;
	unsigned long samples[MAX_SAMPLES];
	struct live_file files[MAX_FILES];
	struct step steps[MAX_STEPS];
};

/* ------------------------------------------------------------------------ */
/* The cases.                                                               */
/* ------------------------------------------------------------------------ */

#define RW (PROT_READ | PROT_WRITE)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)
#define SF (MAP_SHARED | MAP_FIXED)
#define PF (MAP_PRIVATE | MAP_FIXED)
#define HT MAP_HUGETLB

#define SHMEM(sz)                             \
	{                                     \
		.type = "shmem", .size = (sz) \
	}
#define HUGEFILE(sz)                            \
	{                                       \
		.type = "hugetlb", .size = (sz) \
	}
#define DISKFILE(sz)                         \
	{                                    \
		.type = "file", .size = (sz) \
	}

#define UM UFFDIO_REGISTER_MODE_MISSING
#define UW UFFDIO_REGISTER_MODE_WP
#define WPM UFFDIO_WRITEPROTECT_MODE_WP
#define WDW UFFDIO_WRITEPROTECT_MODE_DONTWAKE
#define MDW UFFDIO_MOVE_MODE_DONTWAKE
#define MAL UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES
#define UNPOP UFFD_FEATURE_WP_UNPOPULATED
#define ASYNC UFFD_FEATURE_WP_ASYNC
#define EVREM UFFD_FEATURE_EVENT_REMOVE

/* clang-format off */
#define MAP(o, l, pr, fl)                                                      \
	{ .op = OP_MMAP, .off = (o), .len = (l), .a = (pr), .b = (fl),         \
	  .file = -1 }
#define MAPF(o, l, pr, fl, f, p)                                               \
	{ .op = OP_MMAP, .off = (o), .len = (l), .a = (pr), .b = (fl),         \
	  .file = (f), .pg = (p) }
#define UFFD(c, feat) { .op = OP_UFFD, .ctx = (c), .a = (feat) }
#define REG(c, o, l, m) { .op = OP_REG, .ctx = (c), .off = (o), .len = (l),    \
			  .a = (m) }
#define UNREG(c, o, l) { .op = OP_UNREG, .ctx = (c), .off = (o), .len = (l) }
#define WAKE(c, o, l) { .op = OP_WAKE, .ctx = (c), .off = (o), .len = (l) }
#define WP(c, o, l, m, ...)                                                    \
	{ .op = OP_WP, .ctx = (c), .off = (o), .len = (l), .a = (m),           \
	  __VA_ARGS__ }
#define MOVE(c, d, s, l, m, ...)                                               \
	{ .op = OP_MOVE, .ctx = (c), .off = (d), .src = (s), .len = (l),       \
	  .a = (m), __VA_ARGS__ }
#define FORKMOVE(c, d, s, l, m)                                                \
	{ .op = OP_FORKMOVE, .ctx = (c), .off = (d), .src = (s), .len = (l),   \
	  .a = (m) }
#define ZERO(c, o, l) { .op = OP_ZERO, .ctx = (c), .off = (o), .len = (l) }
#define POISON(c, o, l) { .op = OP_POISON, .ctx = (c), .off = (o), .len = (l) }
#define WRITE(o, l, v) { .op = OP_WRITE, .off = (o), .len = (l), .a = (v) }
#define WRITEH(o, l, v)                                                        \
	{ .op = OP_WRITE, .off = (o), .len = (l), .a = (v), .b = H }
#define TOUCH(o, l) { .op = OP_TOUCH, .off = (o), .len = (l) }
#define MADV(o, l, adv) { .op = OP_MADV, .off = (o), .len = (l), .a = (adv) }
#define FORK() { .op = OP_FORK }
#define CHANGE(c, o) { .op = OP_CHANGE, .ctx = (c), .off = (o) }
#define UNCHANGE(c) { .op = OP_UNCHANGE, .ctx = (c) }
#define WAITER(w, c, o, k)                                                     \
	{ .op = OP_WAITER, .b = (w), .ctx = (c), .off = (o), .a = (k) }
#define WOKEN(w) { .op = OP_WOKEN, .b = (w) }
/* Modifier: the ioctl argument at region offset @o. */
#define ARG(o) .argat = true, .argoff = (o)
/* clang-format on */

#include "wp_move_cases.h"

/* ------------------------------------------------------------------------ */
/* Observations.                                                            */
/* ------------------------------------------------------------------------ */

/* @frame holds the raw frame until canonicalized, then an identity. */
struct page_obs {
	__u64 bits;
	__u64 frame;
	__u64 word;
};

/**
 * struct obs - what one side saw after one step.
 * @done: the step ran.
 * @ret: 0, a value (OP_WAITER: the message flags; OP_WOKEN: 0 or 1), or a
 *	negative errno.
 * @field: OP_MOVE: .move afterwards; OP_WAITER: the message address from
 *	the base; else SENTINEL.
 * @nvma: VMAs meeting the region (-1: unreadable).
 * @vma: the first MAX_VMAS of them.
 * @npages: pages sampled.
 * @pg: their state.
 */
struct obs {
	bool done;
	long ret;
	__s64 field;
	int nvma;
	struct live_vma vma[MAX_VMAS];
	int npages;
	struct page_obs pg[MAX_PAGES];
};

static unsigned long case_region(const struct wcase *c)
{
	return c->region ? c->region : DEFAULT_REGION;
}

/* The sampled offsets of @c into @out; returns how many. */
static int case_samples(const struct wcase *c, unsigned long *out)
{
	unsigned long stride = c->stride ? c->stride : P, off;
	int n = 0;

	if (c->samples[1] || c->samples[0]) {
		for (int i = 0; i < MAX_SAMPLES; i++) {
			if (i && !c->samples[i])
				break;
			out[n++] = c->samples[i];
		}
		return n;
	}
	for (off = 0; off < case_region(c) && n < MAX_PAGES; off += stride)
		out[n++] = off;
	return n;
}

/* The ioctl argument of @st in @buf; its size; *@cmd set. */
static size_t build_arg(const struct step *st, unsigned long base, void *buf,
			unsigned long *cmd)
{
	switch (st->op) {
	case OP_REG: {
		struct uffdio_register r = {
			.range = { .start = base + st->off, .len = st->len },
			.mode = st->a,
		};

		memcpy(buf, &r, sizeof(r));
		*cmd = UFFDIO_REGISTER;
		return sizeof(r);
	}
	case OP_UNREG:
	case OP_WAKE: {
		struct uffdio_range r = { .start = base + st->off,
					  .len = st->len };

		memcpy(buf, &r, sizeof(r));
		*cmd = st->op == OP_UNREG ? UFFDIO_UNREGISTER : UFFDIO_WAKE;
		return sizeof(r);
	}
	case OP_WP: {
		struct uffdio_writeprotect w = {
			.range = { .start = base + st->off, .len = st->len },
			.mode = st->a,
		};

		memcpy(buf, &w, sizeof(w));
		*cmd = UFFDIO_WRITEPROTECT;
		return sizeof(w);
	}
	case OP_ZERO: {
		struct uffdio_zeropage z = {
			.range = { .start = base + st->off, .len = st->len },
			.zeropage = SENTINEL,
		};

		memcpy(buf, &z, sizeof(z));
		*cmd = UFFDIO_ZEROPAGE;
		return sizeof(z);
	}
	case OP_POISON: {
		struct uffdio_poison p = {
			.range = { .start = base + st->off, .len = st->len },
			.updated = SENTINEL,
		};

		memcpy(buf, &p, sizeof(p));
		*cmd = UFFDIO_POISON;
		return sizeof(p);
	}
	default: { /* OP_MOVE, OP_FORKMOVE */
		struct uffdio_move m = {
			.dst = base + st->off,
			.src = base + st->src,
			.len = st->len,
			.mode = st->a,
			.move = SENTINEL,
		};

		memcpy(buf, &m, sizeof(m));
		*cmd = UFFDIO_MOVE;
		return sizeof(m);
	}
	}
}

/* The .move field of a MOVE argument in @buf, SENTINEL for other ops. */
static __s64 arg_field(const struct step *st, const void *buf)
{
	__s64 v;

	if (st->op != OP_MOVE && st->op != OP_FORKMOVE)
		return SENTINEL;
	memcpy(&v, (const char *)buf + offsetof(struct uffdio_move, move),
	       sizeof(v));
	return v;
}

static unsigned int wait_flags(__u64 kind)
{
	return kind == WAIT_READ_MISSING ? 0 : FAULT_FLAG_WRITE;
}

/* ------------------------------------------------------------------------ */
/* The live side: a forked child (live_child_run()).                        */
/* ------------------------------------------------------------------------ */

struct live_waiter {
	pthread_t thread;
	bool started;
	unsigned long addr;
	bool write;
	int ctx;
	atomic_bool done;
};

struct live {
	const struct wcase *c;
	unsigned long base;
	int files[MAX_FILES];
	int ctx[MAX_CTX];
	int mem_fd;
	int pagemap_fd;
	struct live_waiter waiter[MAX_WAITERS];
	/* OP_CHANGE's thread and the address it advises */
	pthread_t change_thread;
	bool change_started;
	unsigned long change_addr;
};

static void live_pages(struct live *l, struct obs *o)
{
	unsigned long off[MAX_PAGES];

	o->npages = case_samples(l->c, off);
	for (int i = 0; i < o->npages; i++) {
		unsigned long addr = l->base + off[i];
		struct page_obs *pg = &o->pg[i];
		uint64_t e;

		live_pagemap(l->pagemap_fd, addr, &e, 1);
		pg->bits = e & LIVE_PM_COMPARED;
		pg->frame = e & LIVE_PM_PFN;
		pg->word = 0;
		if ((e & LIVE_PM_PRESENT) &&
		    pread(l->mem_fd, &pg->word, sizeof(pg->word),
			  (off_t)addr) != sizeof(pg->word))
			pg->word = ~0ULL;
	}
}

static void live_ioctl(struct live *l, const struct step *st, struct obs *o)
{
	unsigned char buf[64] __attribute__((aligned(8))) = { 0 };
	unsigned long cmd, uaddr = l->base + st->argoff;
	size_t size = build_arg(st, l->base, buf, &cmd);
	int fd = l->ctx[st->ctx];

	if (!st->argat) {
		o->ret = live_ret(ioctl(fd, cmd, buf));
		o->field = arg_field(st, buf);
		return;
	}
	/* Placed with /proc/self/mem whatever the protection; unmapped: EFAULT. */
	(void)!pwrite(l->mem_fd, buf, size, (off_t)uaddr);
	o->ret = live_ret(ioctl(fd, cmd, (void *)uaddr));
	if (pread(l->mem_fd, buf, size, (off_t)uaddr) != (ssize_t)size)
		o->field = SENTINEL;
	else
		o->field = arg_field(st, buf);
}

/* OP_FORKMOVE: the MOVE issued by a forked child holding the descriptor. */
static void live_forkmove(struct live *l, const struct step *st, struct obs *o)
{
	unsigned char buf[64] __attribute__((aligned(8))) = { 0 };
	long res[2] = { -ENOSYS, SENTINEL };
	unsigned long cmd;
	int pfd[2], status;
	pid_t pid;

	build_arg(st, l->base, buf, &cmd);
	if (pipe(pfd)) {
		o->ret = -errno;
		return;
	}
	pid = fork();
	if (pid == 0) {
		res[0] = live_ret(ioctl(l->ctx[st->ctx], cmd, buf));
		res[1] = arg_field(st, buf);
		(void)!write(pfd[1], res, sizeof(res));
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], res, sizeof(res)) != sizeof(res))
		res[0] = -EIO;
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	o->ret = res[0];
	o->field = res[1];
}

static void *live_change_thread(void *arg)
{
	struct live *l = arg;

	madvise((void *)l->change_addr, P, MADV_DONTNEED);
	return NULL;
}

/* Waits for a message on @fd; reads it into @msg. */
static bool live_read_msg(int fd, struct uffd_msg *msg, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) != 1 || !(pfd.revents & POLLIN))
		return false;
	return read(fd, msg, sizeof(*msg)) == sizeof(*msg);
}

static void *live_waiter_thread(void *arg)
{
	struct live_waiter *w = arg;

	volatile char *p = (volatile char *)w->addr;

	/* a write stores what is there: the contents stay the model's */
	if (w->write)
		*p = *p;
	else
		(void)*p;
	atomic_store(&w->done, true);
	return NULL;
}

static void live_waiter(struct live *l, const struct step *st, struct obs *o)
{
	struct live_waiter *w = &l->waiter[st->b];
	struct uffd_msg msg;

	w->addr = l->base + st->off;
	w->write = wait_flags(st->a) & FAULT_FLAG_WRITE;
	w->ctx = l->ctx[st->ctx];
	atomic_store(&w->done, false);
	if (pthread_create(&w->thread, NULL, live_waiter_thread, w)) {
		o->ret = -EAGAIN;
		return;
	}
	/* never joined: one still blocked dies with the process */
	pthread_detach(w->thread);
	w->started = true;
	if (!live_read_msg(w->ctx, &msg, MSG_TIMEOUT_MS)) {
		o->ret = -ETIMEDOUT;
		return;
	}
	o->ret = msg.event == UFFD_EVENT_PAGEFAULT ?
			 (long)msg.arg.pagefault.flags :
			 -EPROTO;
	o->field = (__s64)(msg.arg.pagefault.address - l->base);
}

/* Woken: it finished, or it faulted again (a new message for its page). */
static long live_woken(struct live *l, const struct step *st)
{
	struct live_waiter *w = &l->waiter[st->b];
	long end = live_now_ms() + WOKEN_WAIT_MS;
	struct uffd_msg msg;

	if (!w->started)
		return -ESRCH;
	while (live_now_ms() < end) {
		if (atomic_load(&w->done))
			return 1;
		if (live_read_msg(w->ctx, &msg, 5))
			return msg.event == UFFD_EVENT_PAGEFAULT &&
			       msg.arg.pagefault.address ==
				       (w->addr & ~(P - 1));
	}
	return atomic_load(&w->done);
}

static void live_step(struct live *l, const struct step *st, struct obs *o)
{
	unsigned long addr = l->base + st->off, step = st->b ? st->b : P;

	o->field = SENTINEL;
	switch (st->op) {
	case OP_MMAP: {
		long r = live_ret(syscall(
			SYS_mmap, addr, st->len, (int)st->a, (int)st->b,
			st->file >= 0 ? l->files[st->file] : -1, st->pg * P));

		o->ret = r < 0 ? r : r - (long)l->base;
		break;
	}
	case OP_UFFD: {
		struct uffdio_api api = { .api = UFFD_API, .features = st->a };
		long fd = live_ret(
			syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK));

		o->ret = fd < 0 ? fd :
				  live_ret(ioctl((int)fd, UFFDIO_API, &api));
		if (fd >= 0)
			l->ctx[st->ctx] = (int)fd;
		break;
	}
	case OP_WRITE:
		for (unsigned long i = 0; i * step < st->len; i++)
			*(volatile __u64 *)(addr + i * step) = st->a + i;
		o->ret = 0;
		break;
	case OP_TOUCH:
		for (unsigned long i = 0; i * step < st->len; i++)
			(void)*(volatile __u64 *)(addr + i * step);
		o->ret = 0;
		break;
	case OP_MADV:
		o->ret = live_ret(madvise((void *)addr, st->len, (int)st->a));
		break;
	case OP_FORK: {
		pid_t pid = fork();
		int status;

		if (pid == 0)
			_exit(0);
		o->ret = pid < 0 ? -errno :
				   (waitpid(pid, &status, 0) == pid ? 0 :
								      -ECHILD);
		break;
	}
	case OP_FORKMOVE:
		live_forkmove(l, st, o);
		break;
	case OP_CHANGE: {
		struct pollfd pfd = { .fd = l->ctx[st->ctx], .events = POLLIN };

		l->change_addr = addr;
		o->ret = -pthread_create(&l->change_thread, NULL,
					 live_change_thread, l);
		l->change_started = !o->ret;
		/* the REMOVE event is queued once mmap_changing is raised */
		if (!o->ret && poll(&pfd, 1, MSG_TIMEOUT_MS) != 1)
			o->ret = -ETIMEDOUT;
		break;
	}
	case OP_UNCHANGE: {
		struct uffd_msg msg;

		o->ret = -ESRCH;
		if (!l->change_started)
			break;
		o->ret = read(l->ctx[st->ctx], &msg, sizeof(msg)) ==
						 sizeof(msg) &&
					 msg.event == UFFD_EVENT_REMOVE ?
				 0 :
				 -EPROTO;
		/* the advising thread lowers mmap_changing on its way out */
		pthread_join(l->change_thread, NULL);
		l->change_started = false;
		break;
	}
	case OP_WAITER:
		live_waiter(l, st, o);
		break;
	case OP_WOKEN:
		o->ret = live_woken(l, st);
		break;
	default:
		live_ioctl(l, st, o);
		break;
	}
	o->nvma = live_vmas(l->base, l->base + case_region(l->c), LIVE_VMA_UFFD,
			    o->vma, MAX_VMAS);
	live_pages(l, o);
	o->done = true;
}

/* Play case @arg in this freshly forked process; see live_child_fn. */
static int live_run(const void *arg, void *res, char *why, size_t size)
{
	const struct wcase *c = arg;
	struct obs *obs = res;
	struct live l = { .c = c, .base = REGION_BASE };
	int r;

	for (int i = 0; i < MAX_CTX; i++)
		l.ctx[i] = -1;
	l.mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	l.pagemap_fd = live_pagemap_open();
	r = l.mem_fd < 0 ? -errno : l.pagemap_fd;
	if (r >= 0)
		r = live_files_open(c->files, MAX_FILES, l.files);
	if (r < 0) {
		snprintf(why, size, "setting up: %s", strerror(-r));
		return LIVE_FAILED;
	}
	/* The region must hold nothing of the process's. */
	if (!live_region_free(l.base, case_region(c))) {
		snprintf(why, size, "the region is in use in the live process");
		return LIVE_SKIPPED;
	}
	for (int i = 0; i < MAX_STEPS && c->steps[i].op != OP_END; i++)
		live_step(&l, &c->steps[i], &obs[i]);
	/* blocked waiters die with the process */
	return LIVE_RAN;
}

/* ------------------------------------------------------------------------ */
/* The model side.                                                          */
/* ------------------------------------------------------------------------ */

struct model_waiter {
	pthread_t thread;
	bool started;
	struct uffdops_mm *mm;
	struct uffdops_ctx *ctx;
	unsigned long addr;
	unsigned int flags;
	atomic_bool done;
};

struct model {
	const struct wcase *c;
	unsigned long base;
	struct uffdops_mm *mm;
	struct uffdops_file *files[MAX_FILES];
	struct uffdops_ctx *ctx[MAX_CTX];
	struct model_waiter waiter[MAX_WAITERS];
};

static void model_pages(struct model *m, struct obs *o)
{
	unsigned long off[MAX_PAGES];

	o->npages = case_samples(m->c, off);
	for (int i = 0; i < o->npages; i++) {
		unsigned long addr = m->base + off[i];
		struct page_obs *pg = &o->pg[i];
		struct uffdops_pagemap_entry e;

		uffdops_pagemap(m->mm, addr, &e);
		pg->bits = e.bits & LIVE_PM_COMPARED;
		pg->frame = e.bits & LIVE_PM_PFN;
		pg->word = 0;
		if ((e.bits & LIVE_PM_PRESENT) &&
		    uffdops_read_mem(m->mm, addr, &pg->word, sizeof(pg->word),
				     UFFDOPS_ACCESS_NOFAULT |
					     UFFDOPS_ACCESS_FORCE) !=
			    sizeof(pg->word))
			pg->word = ~0ULL;
	}
}

static void model_ioctl(struct model *m, const struct step *st, struct obs *o)
{
	unsigned char buf[64] __attribute__((aligned(8))) = { 0 };
	unsigned long cmd, uaddr = m->base + st->argoff;
	size_t size = build_arg(st, m->base, buf, &cmd);
	struct uffdops_ctx *ctx = m->ctx[st->ctx];

	if (!st->argat) {
		o->ret = uffdops_ioctl(ctx, cmd, buf);
		o->field = arg_field(st, buf);
	} else {
		(void)uffdops_write_mem(m->mm, uaddr, buf, size,
					UFFDOPS_ACCESS_FORCE);
		o->ret = uffdops_ioctl_uaddr(ctx, cmd, uaddr);
		if (uffdops_read_mem(m->mm, uaddr, buf, size,
				     UFFDOPS_ACCESS_FORCE) != (ssize_t)size)
			o->field = SENTINEL;
		else
			o->field = arg_field(st, buf);
	}
}

static void model_forkmove(struct model *m, const struct step *st,
			   struct obs *o)
{
	unsigned char buf[64] __attribute__((aligned(8))) = { 0 };
	struct uffdops_mm *child = NULL, *prev;
	unsigned long cmd;

	build_arg(st, m->base, buf, &cmd);
	o->ret = uffdops_fork(m->mm, &child);
	if (o->ret)
		return;
	/* the child task issues the ioctl with the inherited descriptor */
	prev = uffd_set_current_mm(child);
	o->ret = uffdops_ioctl(m->ctx[st->ctx], cmd, buf);
	uffd_set_current_mm(prev);
	o->field = arg_field(st, buf);
	uffdops_mm_destroy(child);
}

static void *model_waiter_thread(void *arg)
{
	struct model_waiter *w = arg;

	/*
	 * The same access as the live thread's, as a fault taken by a CPU
	 * (no bytes copied: the live write stores what is there).
	 */
	uffdops_handle_mm_fault(w->mm, w->addr, FAULT_FLAG_USER | w->flags);
	atomic_store(&w->done, true);
	return NULL;
}

static void model_waiter(struct model *m, const struct step *st, struct obs *o)
{
	struct model_waiter *w = &m->waiter[st->b];
	struct uffdops_ctx *ctx = m->ctx[st->ctx];
	struct uffd_msg msg;

	w->mm = m->mm;
	w->ctx = ctx;
	w->addr = m->base + st->off;
	w->flags = wait_flags(st->a);
	atomic_store(&w->done, false);
	if (pthread_create(&w->thread, NULL, model_waiter_thread, w)) {
		o->ret = -EAGAIN;
		return;
	}
	w->started = true;
	if (!(uffdops_poll(ctx, MSG_TIMEOUT_MS) & POLLIN) ||
	    uffdops_read(ctx, &msg, sizeof(msg)) != sizeof(msg)) {
		o->ret = -ETIMEDOUT;
		return;
	}
	o->ret = msg.event == UFFD_EVENT_PAGEFAULT ?
			 (long)msg.arg.pagefault.flags :
			 -EPROTO;
	o->field = (__s64)(msg.arg.pagefault.address - m->base);
	/*
	 * handle_userfault() queues the message, then re-checks the entry
	 * under the mmap lock before sleeping: wait for that, so that the
	 * next step cannot resolve the fault before the thread is asleep
	 * (the live thread is asleep long before this side's next step).
	 */
	mmap_write_lock(m->mm);
	mmap_write_unlock(m->mm);
}

static long model_woken(struct model *m, const struct step *st)
{
	struct model_waiter *w = &m->waiter[st->b];
	long end = live_now_ms() + WOKEN_WAIT_MS;
	struct uffd_msg msg;

	if (!w->started)
		return -ESRCH;
	while (live_now_ms() < end) {
		if (atomic_load(&w->done))
			return 1;
		if ((uffdops_poll(w->ctx, 5) & POLLIN) &&
		    uffdops_read(w->ctx, &msg, sizeof(msg)) == sizeof(msg))
			return msg.event == UFFD_EVENT_PAGEFAULT &&
			       msg.arg.pagefault.address ==
				       (w->addr & ~(P - 1));
	}
	return atomic_load(&w->done);
}

static void model_step(struct model *m, const struct step *st, struct obs *o)
{
	unsigned long addr = m->base + st->off, step = st->b ? st->b : P;

	o->field = SENTINEL;
	switch (st->op) {
	case OP_MMAP: {
		long r = uffdops_mmap(m->mm, addr, st->len, (int)st->a,
				      (int)st->b,
				      st->file >= 0 ? m->files[st->file] : NULL,
				      st->pg);

		o->ret = r < 0 ? r : r - (long)m->base;
		break;
	}
	case OP_UFFD: {
		struct uffdio_api api = { .api = UFFD_API, .features = st->a };

		o->ret = uffdops_userfaultfd(m->mm, O_CLOEXEC | O_NONBLOCK,
					     &m->ctx[st->ctx]);
		if (!o->ret)
			o->ret = uffdops_ioctl(m->ctx[st->ctx], UFFDIO_API,
					       &api);
		break;
	}
	case OP_WRITE:
		o->ret = 0;
		for (unsigned long i = 0; i * step < st->len && !o->ret; i++) {
			__u64 v = st->a + i;

			if (uffdops_write_mem(m->mm, addr + i * step, &v,
					      sizeof(v), 0) != sizeof(v))
				o->ret = -EFAULT;
		}
		break;
	case OP_TOUCH:
		o->ret = 0;
		for (unsigned long i = 0; i * step < st->len && !o->ret; i++) {
			__u64 v;

			if (uffdops_read_mem(m->mm, addr + i * step, &v,
					     sizeof(v), 0) != sizeof(v))
				o->ret = -EFAULT;
		}
		break;
	case OP_MADV:
		o->ret = uffdops_madvise(m->mm, addr, st->len, (int)st->a);
		break;
	case OP_FORK: {
		struct uffdops_mm *child = NULL;

		o->ret = uffdops_fork(m->mm, &child);
		uffdops_mm_destroy(child);
		break;
	}
	case OP_FORKMOVE:
		model_forkmove(m, st, o);
		break;
	case OP_CHANGE:
		/* a non-cooperative event in flight (userfaultfd_remove()) */
		atomic_fetch_add(&m->ctx[st->ctx]->mmap_changing, 1);
		o->ret = 0;
		break;
	case OP_UNCHANGE:
		atomic_fetch_sub(&m->ctx[st->ctx]->mmap_changing, 1);
		o->ret = 0;
		break;
	case OP_WAITER:
		model_waiter(m, st, o);
		break;
	case OP_WOKEN:
		o->ret = model_woken(m, st);
		break;
	default:
		model_ioctl(m, st, o);
		break;
	}
	o->nvma = live_model_vmas(m->mm, m->base, m->base + case_region(m->c),
				  LIVE_VMA_UFFD, o->vma, MAX_VMAS);
	model_pages(m, o);
	o->done = true;
}

/* Play @c on the model; 0 or a negative errno from setting up. */
static int model_run(const struct wcase *c, struct obs *res)
{
	struct model m = { .c = c, .base = REGION_BASE };
	int r;

	r = live_mm_create(&m.mm);
	if (r)
		return r;
	r = live_model_files_open(c->files, MAX_FILES, m.files);
	for (int i = 0; !r && i < MAX_STEPS && c->steps[i].op != OP_END; i++)
		model_step(&m, &c->steps[i], &res[i]);
	/* release wakes every waiter still blocked */
	for (int i = 0; i < MAX_CTX; i++)
		uffdops_close(m.ctx[i]);
	for (int i = 0; i < MAX_WAITERS; i++)
		if (m.waiter[i].started)
			pthread_join(m.waiter[i].thread, NULL);
	uffdops_mm_destroy(m.mm);
	live_model_files_close(m.files, MAX_FILES);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Comparison.                                                              */
/* ------------------------------------------------------------------------ */

/*
 * Replace every frame by its identity: the index of its first appearance
 * in the case (present frames and swap-entry frames counted apart).
 */
static void canonicalize(struct obs *o, int nsteps)
{
	static __u64 seen[2][MAX_STEPS * MAX_PAGES];
	int nseen[2] = { 0, 0 };

	for (int s = 0; s < nsteps; s++) {
		for (int i = 0; i < o[s].npages; i++) {
			struct page_obs *pg = &o[s].pg[i];
			int k = pg->bits & LIVE_PM_PRESENT ? 0 : 1, j;

			if (!(pg->bits & (LIVE_PM_PRESENT | LIVE_PM_SWAP))) {
				pg->frame = 0;
				continue;
			}
			for (j = 0; j < nseen[k] && seen[k][j] != pg->frame;
			     j++)
				;
			if (j == nseen[k])
				seen[k][nseen[k]++] = pg->frame;
			pg->frame = (__u64)j + 1;
		}
	}
}

static void describe_ret(long r, char *buf, size_t size)
{
	if (r < 0 && r > -4096)
		snprintf(buf, size, "-%s", live_errname((int)-r));
	else
		snprintf(buf, size, "%#lx", r);
}

static const char *const op_name[] = {
	[OP_MMAP] = "mmap",	      [OP_UFFD] = "userfaultfd+API",
	[OP_REG] = "REGISTER",	      [OP_UNREG] = "UNREGISTER",
	[OP_WAKE] = "WAKE",	      [OP_WP] = "WRITEPROTECT",
	[OP_MOVE] = "MOVE",	      [OP_ZERO] = "ZEROPAGE",
	[OP_POISON] = "POISON",	      [OP_WRITE] = "write",
	[OP_TOUCH] = "read",	      [OP_MADV] = "madvise",
	[OP_FORK] = "fork",	      [OP_FORKMOVE] = "MOVE from a child",
	[OP_CHANGE] = "event begins", [OP_UNCHANGE] = "event ends",
	[OP_WAITER] = "waiter",	      [OP_WOKEN] = "woken?",
};

static void describe_step(const struct step *st, char *buf, size_t size)
{
	snprintf(buf, size,
		 "%s(ctx %u, off %#lx, src %#lx, len %#lx, a %#llx, b %#llx%s)",
		 op_name[st->op], st->ctx, st->off, st->src, st->len,
		 (unsigned long long)st->a, (unsigned long long)st->b,
		 st->argat ? ", arg in the region" : "");
}

static void page_str(const struct page_obs *pg, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s%s#%llu:%llx",
		 pg->bits & LIVE_PM_PRESENT ? "p" : "-",
		 pg->bits & LIVE_PM_SWAP ? "s" : "",
		 pg->bits & LIVE_PM_FILE ? "f" : "",
		 pg->bits & LIVE_PM_GUARD ? "g" : "",
		 pg->bits & LIVE_PM_UFFD_WP ? "w" : "",
		 pg->bits & LIVE_PM_EXCLUSIVE ? "x" : "",
		 (unsigned long long)pg->frame, (unsigned long long)pg->word);
}

static void print_obs(const char *side, const struct obs *o)
{
	char r[32], p[64];

	describe_ret(o->ret, r, sizeof(r));
	printf("      %s: ret %s", side, r);
	if (o->field != SENTINEL)
		printf(" field %lld", (long long)o->field);
	printf("\n");
	live_vmas_print(side, o->vma, o->nvma, MAX_VMAS);
	printf("        pages:");
	for (int i = 0; i < o->npages; i++) {
		page_str(&o->pg[i], p, sizeof(p));
		printf(" %s", p);
	}
	printf("\n");
}

static bool obs_equal(const struct obs *a, const struct obs *b, bool frames)
{
	if (a->done != b->done || a->ret != b->ret || a->field != b->field ||
	    a->npages != b->npages ||
	    !live_vmas_equal(a->vma, a->nvma, b->vma, b->nvma, MAX_VMAS))
		return false;
	for (int i = 0; i < a->npages; i++)
		if (a->pg[i].bits != b->pg[i].bits ||
		    (frames && a->pg[i].frame != b->pg[i].frame) ||
		    a->pg[i].word != b->pg[i].word)
			return false;
	return true;
}

/* ------------------------------------------------------------------------ */
/* The suite.                                                               */
/* ------------------------------------------------------------------------ */

static struct {
	bool verbose;
	struct live_suite suite;
	struct obs model_res[MAX_STEPS];
	struct obs live_res[MAX_STEPS];
} env = { .suite = { .name = "wp/move conformance", .noun = "cases" } };

static int suite_setup(void **state)
{
	(void)state;
	env.verbose = getenv("WP_MOVE_VERBOSE") != NULL;
	return live_suite_setup(&env.suite, 0, H, HUGE_PAGES_WANTED,
				HUGE_PAGES_NEEDED);
}

static int suite_teardown(void **state)
{
	(void)state;
	live_suite_teardown(&env.suite);
	return 0;
}

static bool case_uses_hugetlb(const struct wcase *c)
{
	if (live_files_use(c->files, MAX_FILES, "hugetlb"))
		return true;
	for (int i = 0; i < MAX_STEPS && c->steps[i].op != OP_END; i++)
		if (c->steps[i].op == OP_MMAP && (c->steps[i].b & HT))
			return true;
	return false;
}

static void run_case(void **state)
{
	const struct wcase *c = *state;
	int nsteps = 0, nbad = 0, r;

	live_suite_check(&env.suite, c->name, case_uses_hugetlb(c),
			 live_files_use(c->files, MAX_FILES, "file"));
	while (nsteps < MAX_STEPS && c->steps[nsteps].op != OP_END)
		nsteps++;
	memset(env.model_res, 0, sizeof(env.model_res));
	live_child_run(&env.suite, c->name, LIVE_TIMEOUT, live_run, c,
		       env.live_res, sizeof(env.live_res));
	/* a model that blocks where the kernel does not: fail, do not hang */
	alarm(MODEL_TIMEOUT);
	r = model_run(c, env.model_res);
	alarm(0);
	env.suite.compared++;
	if (r)
		fail_msg("%s: setting up the model failed: %s", c->name,
			 strerror(-r));
	canonicalize(env.live_res, nsteps);
	canonicalize(env.model_res, nsteps);
	for (int i = 0; i < nsteps; i++) {
		const struct obs *a = &env.live_res[i];
		const struct obs *b = &env.model_res[i];
		bool ok = obs_equal(a, b, !c->no_frames);
		char d[200];

		if (ok && !env.verbose)
			continue;
		describe_step(&c->steps[i], d, sizeof(d));
		live_step_print(c->name, i, d, ok, &nbad);
		print_obs("live ", a);
		print_obs("model", b);
	}
	live_suite_verdict(&env.suite, c->name, nbad, nsteps);
}

int main(void)
{
	return LIVE_SUITE_MAIN("wp_move_live", "WP_MOVE_FILTER", cases,
			       run_case, suite_setup, suite_teardown);
}
