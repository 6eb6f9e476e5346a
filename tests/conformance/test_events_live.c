/* SPDX-License-Identifier: MIT */
/*
 * test_events_live.c - the non-cooperative events (spec §3.6) on the model
 * and on the live kernel, case by case: each case maps and registers a
 * region, then a producer thread runs one operation (fork, mremap, madvise,
 * munmap, mmap MAP_FIXED) while the main thread reads the messages. Compared:
 * every message in order (which userfaultfd, event, fields relative to the
 * region, every other byte zero), whether the producer was still blocked
 * when its event became readable, the -EAGAIN a range ioctl gets meanwhile
 * (mmap_changing), the operation's result, and afterwards the VMAs with
 * their registration (smaps VmFlags um/uw/ui) and the pagemap of the
 * region, of a moved mapping, and of a forked child, whose faults are served
 * through the context its FORK event announced.
 *
 * The live side of each case runs in a forked child (tests/lib/live.h).
 * EVENTS_LIVE_FILTER=<glob> runs some cases, EVENTS_LIVE_VERBOSE=1 prints
 * both sides of every case.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <uffdops/uffdops.h>

#include "live.h"

#define P 4096UL
#define H (2UL << 20)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The region every case works in, huge-page aligned, and its size: in the
 * range ThreadSanitizer leaves to applications (below the stack).
 */
#define BASE 0x7e9000000000UL
#define SPAN (64 * P)
#define HSPAN (8 * H)
/* A relative address outside the region (an unhinted move's target). */
#define OUTSIDE LONG_MAX

#define EV_FORK UFFD_FEATURE_EVENT_FORK
#define EV_REMAP UFFD_FEATURE_EVENT_REMAP
#define EV_REMOVE UFFD_FEATURE_EVENT_REMOVE
#define EV_UNMAP UFFD_FEATURE_EVENT_UNMAP
#define SIGBUS_F UFFD_FEATURE_SIGBUS
#define WPU UFFD_FEATURE_WP_UNPOPULATED
#define UM UFFDIO_REGISTER_MODE_MISSING
#define UW UFFDIO_REGISTER_MODE_WP
#define MAYMOVE MREMAP_MAYMOVE
#define FIXED (MREMAP_MAYMOVE | MREMAP_FIXED)
#define DONTUNMAP (MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)

#define MAX_UFFD 2
#define MAX_CTX (MAX_UFFD + 2) /* and the children's contexts */
#define MAX_MAPS 4
#define MAX_REGS 4
#define MAX_MSGS 12
#define MAX_VMAS 16
#define MAX_PM 64
#define LIVE_TIMEOUT 30
#define WAIT_MS 5000
/* The byte the COPY source holds, and the one a forked child writes. */
#define SRC_BYTE 0x77
#define CHILD_BYTE 0x33

/* ------------------------------------------------------------------------ */
/* The cases.                                                                */
/* ------------------------------------------------------------------------ */

enum map_kind {
	M_ANON = 1, /* MAP_PRIVATE | MAP_ANONYMOUS */
	M_SHM, /* MAP_SHARED | MAP_ANONYMOUS: shmem */
	M_HUGE, /* MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE */
};

/* A mapping at BASE + @off; @empty: no page written before the operation. */
struct cmap {
	int kind;
	unsigned long off;
	unsigned long len;
	bool empty;
};

/* UFFDIO_REGISTER of [BASE + @off, + @len) on userfaultfd @uffd. */
struct creg {
	int uffd;
	unsigned long off;
	unsigned long len;
	__u64 mode;
};

enum op_kind {
	OP_MADVISE = 1,
	OP_MUNMAP,
	OP_MREMAP,
	OP_MMAP,
	OP_FORK,
};

/*
 * The operation: madvise(@off, @len, @arg), munmap(@off, @len),
 * mremap(@off, @len, @len2, @arg, @new_off), mmap(@off, @len, MAP_FIXED
 * anonymous), fork() (@child_touch: the child writes the page at
 * @touch_off, which its context's handler fills with a COPY).
 */
struct cop {
	int op;
	unsigned long off;
	unsigned long len;
	unsigned long len2;
	int arg;
	unsigned long new_off;
	bool child_touch;
	unsigned long touch_off;
};

/**
 * struct ccase - one case.
 * @features: the features of each userfaultfd (@nuffd of them).
 * @maps: mappings, in order; @len 0 ends the list.
 * @regs: registrations; @len 0 ends the list.
 * @wp: UFFDIO_WRITEPROTECT of [BASE + @wp.off, + @wp.len) on @wp.uffd
 *	(@len 0: none).
 */
struct ccase {
	const char *name;
	int nuffd;
	__u64 features[MAX_UFFD];
	struct cmap maps[MAX_MAPS];
	struct creg regs[MAX_REGS];
	struct creg wp;
	struct cop op;
};

#define A(off, len)                         \
	{                                   \
		M_ANON, (off), (len), false \
	}
#define AE(off, len)                       \
	{                                  \
		M_ANON, (off), (len), true \
	}
#define S(off, len)                        \
	{                                  \
		M_SHM, (off), (len), false \
	}
#define HG(off, len)                       \
	{                                  \
		M_HUGE, (off), (len), true \
	}
#define R(u, off, len, mode)              \
	{                                 \
		(u), (off), (len), (mode) \
	}
#define MADV(o, l, adv)                                                \
	{                                                              \
		.op = OP_MADVISE, .off = (o), .len = (l), .arg = (adv) \
	}
#define UNMAP(o, l)                                     \
	{                                               \
		.op = OP_MUNMAP, .off = (o), .len = (l) \
	}
#define MMAPF(o, l)                                   \
	{                                             \
		.op = OP_MMAP, .off = (o), .len = (l) \
	}
#define MREMAP(o, l, l2, f, n)                                         \
	{                                                              \
		.op = OP_MREMAP, .off = (o), .len = (l), .len2 = (l2), \
		.arg = (f), .new_off = (n)                             \
	}
#define FORK_OP               \
	{                     \
		.op = OP_FORK \
	}

static const struct ccase cases[] = {
	/* REMOVE: one event per registered VMA, clipped to it. */
	{ "remove-dontneed-one-vma",
	  1,
	  { EV_REMOVE },
	  { A(0, 8 * P) },
	  { R(0, 2 * P, 2 * P, UM) },
	  {},
	  MADV(0, 8 * P, MADV_DONTNEED) },
	{ "remove-dontneed-two-vmas-clipped",
	  1,
	  { EV_REMOVE },
	  { A(0, 12 * P) },
	  { R(0, 2 * P, 2 * P, UM), R(0, 6 * P, 3 * P, UM) },
	  {},
	  MADV(3 * P, 5 * P, MADV_DONTNEED) },
	{ "remove-free",
	  1,
	  { EV_REMOVE },
	  { A(0, 8 * P) },
	  { R(0, 0, 8 * P, UM) },
	  {},
	  MADV(2 * P, 3 * P, MADV_FREE) },
	{ "remove-dontneed-locked",
	  1,
	  { EV_REMOVE },
	  { A(0, 8 * P) },
	  { R(0, 0, 8 * P, UM) },
	  {},
	  MADV(P, 2 * P, MADV_DONTNEED_LOCKED) },
	{ "remove-madv-remove-shmem",
	  1,
	  { EV_REMOVE },
	  { S(0, 8 * P) },
	  { R(0, 0, 8 * P, UM) },
	  {},
	  MADV(2 * P, 4 * P, MADV_REMOVE) },
	{ "remove-dontneed-shmem",
	  1,
	  { EV_REMOVE },
	  { S(0, 8 * P) },
	  { R(0, 4 * P, 4 * P, UM) },
	  {},
	  MADV(0, 8 * P, MADV_DONTNEED) },
	{ "remove-hugetlb-rounded-down",
	  1,
	  { EV_REMOVE },
	  { HG(0, 2 * H) },
	  { R(0, 0, 2 * H, UM) },
	  {},
	  MADV(0, H + P, MADV_DONTNEED) },
	{ "remove-two-ctxs",
	  2,
	  { EV_REMOVE, EV_REMOVE | EV_UNMAP },
	  { A(0, 8 * P) },
	  { R(0, 0, 4 * P, UM), R(1, 4 * P, 4 * P, UW) },
	  {},
	  MADV(P, 6 * P, MADV_DONTNEED) },
	{ "remove-wp-only-vma",
	  1,
	  { EV_REMOVE },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UW) },
	  {},
	  MADV(0, 4 * P, MADV_DONTNEED) },
	{ "remove-across-a-hole",
	  1,
	  { EV_REMOVE },
	  { A(0, 4 * P), A(6 * P, 4 * P) },
	  { R(0, 0, 4 * P, UM), R(0, 6 * P, 4 * P, UM) },
	  {},
	  MADV(2 * P, 6 * P, MADV_DONTNEED) },
	{ "remove-without-feature",
	  1,
	  { EV_UNMAP | EV_REMAP | EV_FORK },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  MADV(0, 4 * P, MADV_DONTNEED) },
	{ "remove-sigbus-ctx",
	  1,
	  { SIGBUS_F | EV_REMOVE },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  MADV(P, P, MADV_DONTNEED) },
	{ "remove-unregistered-range",
	  1,
	  { EV_REMOVE },
	  { A(0, 8 * P) },
	  { R(0, 0, 2 * P, UM) },
	  {},
	  MADV(4 * P, 4 * P, MADV_DONTNEED) },

	/* UNMAP: the whole request, once per context. */
	{ "unmap-whole-range",
	  1,
	  { EV_UNMAP },
	  { A(0, 10 * P) },
	  { R(0, 2 * P, 2 * P, UM) },
	  {},
	  UNMAP(P, 8 * P) },
	{ "unmap-two-vmas-one-ctx",
	  1,
	  { EV_UNMAP },
	  { A(0, 10 * P) },
	  { R(0, 2 * P, P, UM), R(0, 5 * P, P, UW) },
	  {},
	  UNMAP(0, 10 * P) },
	{ "unmap-two-ctxs",
	  2,
	  { EV_UNMAP, EV_UNMAP },
	  { A(0, 10 * P) },
	  { R(1, 2 * P, P, UM), R(0, 5 * P, P, UM) },
	  {},
	  UNMAP(0, 10 * P) },
	{ "unmap-starts-in-a-gap",
	  1,
	  { EV_UNMAP },
	  { A(4 * P, 4 * P) },
	  { R(0, 4 * P, 4 * P, UM) },
	  {},
	  UNMAP(0, 6 * P) },
	{ "unmap-map-fixed",
	  1,
	  { EV_UNMAP },
	  { A(0, 8 * P) },
	  { R(0, 0, 8 * P, UM) },
	  {},
	  MMAPF(2 * P, 3 * P) },
	{ "unmap-map-fixed-over-unregistered",
	  1,
	  { EV_UNMAP },
	  { A(0, 8 * P) },
	  { R(0, 0, 2 * P, UM) },
	  {},
	  MMAPF(4 * P, 2 * P) },
	{ "unmap-without-feature",
	  1,
	  { EV_REMOVE | EV_REMAP },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  UNMAP(0, 4 * P) },
	{ "unmap-failed-hugetlb-split",
	  1,
	  { EV_UNMAP },
	  { A(0, H), HG(H, 2 * H) },
	  { R(0, 0, H, UM) },
	  {},
	  UNMAP(0, H + P) },
	{ "unmap-hugetlb",
	  1,
	  { EV_UNMAP },
	  { HG(0, 2 * H) },
	  { R(0, 0, 2 * H, UM) },
	  {},
	  UNMAP(H, H) },

	/* REMAP: moves only; the length moved; UNMAPs around it. */
	{ "remap-fixed",
	  1,
	  { EV_REMAP },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  MREMAP(0, 4 * P, 4 * P, FIXED, 32 * P) },
	{ "remap-fixed-and-unmap",
	  1,
	  { EV_REMAP | EV_UNMAP },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UM | UW) },
	  {},
	  MREMAP(0, 4 * P, 4 * P, FIXED, 32 * P) },
	{ "remap-part-of-vma",
	  1,
	  { EV_REMAP | EV_UNMAP },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  MREMAP(P, 2 * P, 2 * P, FIXED, 32 * P) },
	{ "remap-shrinking-move",
	  1,
	  { EV_REMAP | EV_UNMAP },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  MREMAP(0, 4 * P, 2 * P, FIXED, 32 * P) },
	{ "remap-growing-fixed-move",
	  1,
	  { EV_REMAP | EV_UNMAP },
	  { A(0, 2 * P) },
	  { R(0, 0, 2 * P, UM) },
	  {},
	  MREMAP(0, 2 * P, 4 * P, FIXED, 32 * P) },
	{ "remap-growing-move-anywhere",
	  1,
	  { EV_REMAP | EV_UNMAP },
	  { A(0, 2 * P), A(2 * P, P) },
	  { R(0, 0, 2 * P, UM) },
	  {},
	  MREMAP(0, 2 * P, 4 * P, MAYMOVE, 0) },
	{ "remap-over-registered-destination",
	  1,
	  { EV_REMAP | EV_UNMAP },
	  { A(0, 2 * P), A(32 * P, 4 * P) },
	  { R(0, 0, 2 * P, UM), R(0, 33 * P, P, UW) },
	  {},
	  MREMAP(0, 2 * P, 2 * P, FIXED, 32 * P) },
	{ "remap-dontunmap",
	  1,
	  { EV_REMAP | EV_UNMAP },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  MREMAP(0, 4 * P, 4 * P, DONTUNMAP, 32 * P) },
	{ "remap-dontunmap-part-of-vma",
	  1,
	  { EV_REMAP | EV_UNMAP },
	  { A(0, 8 * P) },
	  { R(0, 0, 8 * P, UM) },
	  {},
	  MREMAP(4 * P, P, P, DONTUNMAP, 32 * P) },
	{ "remap-in-place-shrink",
	  1,
	  { EV_REMAP | EV_UNMAP },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  MREMAP(0, 4 * P, P, 0, 0) },
	{ "remap-in-place-grow",
	  1,
	  { EV_REMAP | EV_UNMAP },
	  { A(0, 2 * P) },
	  { R(0, 0, 2 * P, UM) },
	  {},
	  MREMAP(0, 2 * P, 4 * P, 0, 0) },
	{ "remap-without-feature",
	  1,
	  { EV_UNMAP },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  MREMAP(0, 4 * P, 4 * P, FIXED, 32 * P) },
	{ "remap-without-feature-drops-wp",
	  1,
	  { WPU },
	  { A(0, 2 * P), AE(2 * P, 2 * P) },
	  { R(0, 0, 4 * P, UW) },
	  R(0, 0, 4 * P, UFFDIO_WRITEPROTECT_MODE_WP),
	  MREMAP(0, 4 * P, 4 * P, FIXED, 32 * P) },
	{ "remap-keeps-wp",
	  1,
	  { WPU | EV_REMAP },
	  { A(0, 2 * P), AE(2 * P, 2 * P) },
	  { R(0, 0, 4 * P, UW) },
	  R(0, 0, 4 * P, UFFDIO_WRITEPROTECT_MODE_WP),
	  MREMAP(0, 4 * P, 4 * P, FIXED, 32 * P) },
	{ "remap-merge-resets-whole-vma",
	  1,
	  { 0 },
	  { AE(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  MREMAP(2 * P, 2 * P, 2 * P, FIXED, 4 * P) },
	{ "remap-shmem",
	  1,
	  { EV_REMAP | EV_UNMAP },
	  { S(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  MREMAP(0, 4 * P, 4 * P, FIXED, 32 * P) },
	{ "remap-hugetlb",
	  1,
	  { EV_REMAP | EV_UNMAP },
	  { HG(0, 2 * H) },
	  { R(0, 0, 2 * H, UM) },
	  {},
	  MREMAP(0, 2 * H, 2 * H, FIXED, 4 * H) },

	/* FORK: a new context for the child. */
	{ "fork-event",
	  1,
	  { EV_FORK },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  FORK_OP },
	{ "fork-without-feature",
	  1,
	  { EV_REMOVE | EV_UNMAP | EV_REMAP },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  FORK_OP },
	{ "fork-two-ctxs",
	  2,
	  { EV_FORK, EV_FORK },
	  { A(0, 8 * P) },
	  { R(1, 0, 2 * P, UM), R(0, 4 * P, 2 * P, UM) },
	  {},
	  FORK_OP },
	{ "fork-one-of-two-ctxs",
	  2,
	  { EV_FORK, EV_REMOVE },
	  { A(0, 8 * P) },
	  { R(0, 0, 2 * P, UM), R(1, 4 * P, 2 * P, UM) },
	  {},
	  FORK_OP },
	{ "fork-wp-copied",
	  1,
	  { EV_FORK | WPU },
	  { A(0, 2 * P), AE(2 * P, 2 * P) },
	  { R(0, 0, 4 * P, UM | UW) },
	  R(0, 0, 3 * P, UFFDIO_WRITEPROTECT_MODE_WP),
	  FORK_OP },
	{ "fork-child-fault-and-copy",
	  1,
	  { EV_FORK },
	  { AE(0, 4 * P), A(8 * P, P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  { .op = OP_FORK, .child_touch = true, .touch_off = 2 * P } },
	{ "fork-sigbus-ctx",
	  1,
	  { EV_FORK | SIGBUS_F },
	  { A(0, 4 * P) },
	  { R(0, 0, 4 * P, UM) },
	  {},
	  FORK_OP },
	{ "fork-shmem-and-hugetlb",
	  1,
	  { EV_FORK },
	  { S(0, 4 * P), HG(H, H) },
	  { R(0, 0, 4 * P, UM), R(0, H, H, UM) },
	  {},
	  FORK_OP },
};

/* Where the COPY source of fork-child-fault-and-copy lives (mapped). */
#define SRC_OFF (8 * P)

static bool case_hugetlb(const struct ccase *c)
{
	for (int i = 0; i < MAX_MAPS && c->maps[i].len; i++)
		if (c->maps[i].kind == M_HUGE)
			return true;
	return false;
}

static unsigned long case_span(const struct ccase *c)
{
	return case_hugetlb(c) ? HSPAN : SPAN;
}

/* ------------------------------------------------------------------------ */
/* What a case observes, on either side.                                    */
/* ------------------------------------------------------------------------ */

/**
 * struct rmsg - a message, relative to the region.
 * @uffd: the context it was read from (children's contexts follow the
 *	case's).
 * @event: UFFD_EVENT_*.
 * @a, @b, @c: REMOVE/UNMAP start, end; REMAP from, to, len; FORK 1 for a
 *	valid descriptor; PAGEFAULT address, flags.
 * @zero: every byte the event does not use is zero.
 * @blocked: the producer had not returned when the message was readable.
 * @probe_ret, @probe_field: UFFDIO_ZEROPAGE on that context right then.
 */
struct rmsg {
	int uffd;
	int event;
	long a;
	long b;
	long c;
	bool zero;
	bool blocked;
	long probe_ret;
	long probe_field;
};

/* The VMAs and pagemap flags of a window. */
struct obs {
	int nvma;
	struct live_vma vma[MAX_VMAS];
	int npm;
	uint64_t pm[MAX_PM];
};

/**
 * struct result - what one side saw.
 * @ret: the operation's result (an address relative to the region, or
 *	OUTSIDE), or -errno.
 * @timeout: no message and no end of the operation within WAIT_MS.
 * @after: the region afterwards.
 * @nmoved, @moved: the VMAs at an OUTSIDE mremap() target, relative to it.
 * @child: a forked child's region, as the child sees it after fork().
 * @child_fault: the fault message of its write, read from its context.
 * @copy_ret, @copy_field: the UFFDIO_COPY that resolves it.
 * @child_val: a byte of the copied page, read back by the child.
 */
struct result {
	long ret;
	bool timeout;
	int nmsg;
	struct rmsg msg[MAX_MSGS];
	struct obs after;
	int nmoved;
	struct live_vma moved[4];
	struct obs child;
	struct rmsg child_fault;
	long copy_ret;
	long copy_field;
	int child_val;
};

/* ------------------------------------------------------------------------ */
/* One side: the live kernel or the model, behind the same calls.           */
/* ------------------------------------------------------------------------ */

struct side {
	bool model;
	const struct ccase *c;
	struct result *res;
	unsigned long span;
	int n; /* contexts in use */
	/* live */
	int fd[MAX_CTX];
	int pagemap_fd;
	/* model */
	struct uffdops_mm *mm;
	struct uffdops_mm *child;
	struct uffdops_ctx *ctx[MAX_CTX];
	/* the producer */
	pthread_t thread;
	atomic_bool returned; /* the operation returned */
	atomic_bool done; /* the thread finished */
	long ret;
	unsigned long ret_addr;
	char *why;
	size_t why_size;
};

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static long rel(const struct side *s, unsigned long addr)
{
	return addr >= BASE && addr <= BASE + s->span ? (long)(addr - BASE) :
							OUTSIDE;
}

static int s_ioctl(struct side *s, int i, unsigned long cmd, void *arg)
{
	if (s->model)
		return uffdops_ioctl(s->ctx[i], cmd, arg);
	return (int)live_ret(ioctl(s->fd[i], cmd, arg));
}

/* A new userfaultfd (O_NONBLOCK) with @features: its index, or -errno. */
static int s_uffd_new(struct side *s, __u64 features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int i = s->n, r;

	if (s->model) {
		r = uffdops_userfaultfd(s->mm, O_CLOEXEC | O_NONBLOCK,
					&s->ctx[i]);
	} else {
		r = live_uffd_open(O_CLOEXEC | O_NONBLOCK, LIVE_UFFD_DEV);
		s->fd[i] = r;
	}
	if (r < 0)
		return r;
	s->n++;
	r = s_ioctl(s, i, UFFDIO_API, &api);
	return r ? r : i;
}

static bool s_readable(struct side *s, int i)
{
	struct pollfd pfd = { .fd = s->fd[i], .events = POLLIN };

	if (s->model)
		return uffdops_poll(s->ctx[i], 0) & POLLIN;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

static long s_read(struct side *s, int i, struct uffd_msg *msg)
{
	if (s->model)
		return uffdops_read(s->ctx[i], msg, sizeof(*msg));
	return live_ret(read(s->fd[i], msg, sizeof(*msg)));
}

static long s_mmap(struct side *s, unsigned long off, unsigned long len,
		   int kind)
{
	int flags = MAP_FIXED | (kind == M_SHM ? MAP_SHARED : MAP_PRIVATE) |
		    MAP_ANONYMOUS;
	void *p;

	if (kind == M_HUGE)
		flags |= MAP_HUGETLB | MAP_NORESERVE;
	if (s->model)
		return uffdops_mmap(s->mm, BASE + off, len,
				    PROT_READ | PROT_WRITE, flags, NULL, 0);
	p = mmap((void *)(BASE + off), len, PROT_READ | PROT_WRITE, flags, -1,
		 0);
	return p == MAP_FAILED ? -errno : (long)p;
}

static void s_write(struct side *s, struct uffdops_mm *mm, unsigned long addr,
		    unsigned char v)
{
	if (s->model)
		uffdops_write_mem(mm, addr, &v, 1, 0);
	else
		*(volatile unsigned char *)addr = v;
}

static unsigned char s_peek(struct side *s, struct uffdops_mm *mm,
			    unsigned long addr)
{
	unsigned char v = 0;

	if (s->model)
		uffdops_read_mem(mm, addr, &v, 1, 0);
	else
		v = *(volatile unsigned char *)addr;
	return v;
}

/* The region's VMAs and pagemap flags, in @mm (model) or this process. */
static void s_observe(struct side *s, struct uffdops_mm *mm, struct obs *o)
{
	const unsigned int vflags = LIVE_VMA_FILE | LIVE_VMA_UFFD;
	unsigned long step = s->span / MAX_PM;

	memset(o, 0, sizeof(*o));
	o->npm = MAX_PM;
	if (s->model) {
		o->nvma = live_model_vmas(mm, BASE, BASE + s->span, vflags,
					  o->vma, MAX_VMAS);
		for (int i = 0; i < MAX_PM; i++) {
			struct uffdops_pagemap_entry e;

			uffdops_pagemap(mm, BASE + i * step, &e);
			o->pm[i] = e.bits & LIVE_PM_COMPARED;
		}
		return;
	}
	o->nvma = live_vmas(BASE, BASE + s->span, vflags, o->vma, MAX_VMAS);
	for (int i = 0; i < MAX_PM; i++) {
		uint64_t e;

		live_pagemap(s->pagemap_fd, BASE + i * step, &e, 1);
		o->pm[i] = e & LIVE_PM_COMPARED;
	}
}

/* ------------------------------------------------------------------------ */
/* The producer.                                                             */
/* ------------------------------------------------------------------------ */

/*
 * The forked child's side of a FORK case: its region as it sees it, then
 * (@child_touch) a write that faults to its new context and the byte the
 * handler's COPY put beside it.
 */
static void child_part(struct side *s, struct uffdops_mm *mm)
{
	const struct cop *op = &s->c->op;
	unsigned long addr = BASE + op->touch_off;

	s_observe(s, mm, &s->res->child);
	if (!op->child_touch)
		return;
	s_write(s, mm, addr, CHILD_BYTE);
	s->res->child_val = s_peek(s, mm, addr + 1);
}

static void *producer(void *arg)
{
	struct side *s = arg;
	const struct cop *op = &s->c->op;
	unsigned long addr = BASE + op->off;
	long r = 0;
	pid_t pid;

	switch (op->op) {
	case OP_MADVISE:
		r = s->model ?
			    uffdops_madvise(s->mm, addr, op->len, op->arg) :
			    live_ret(madvise((void *)addr, op->len, op->arg));
		break;
	case OP_MUNMAP:
		r = s->model ? uffdops_munmap(s->mm, addr, op->len) :
			       live_ret(munmap((void *)addr, op->len));
		break;
	case OP_MREMAP:
		if (s->model) {
			r = uffdops_mremap(s->mm, addr, op->len, op->len2,
					   op->arg, BASE + op->new_off);
		} else {
			void *p = mremap((void *)addr, op->len, op->len2,
					 op->arg, (void *)(BASE + op->new_off));

			r = p == MAP_FAILED ? -errno : (long)p;
		}
		break;
	case OP_MMAP:
		r = s_mmap(s, op->off, op->len, M_ANON);
		break;
	case OP_FORK:
		if (s->model) {
			r = uffdops_fork(s->mm, &s->child);
			atomic_store(&s->returned, true);
			if (r)
				break;
			/* the child exits, as the live one does */
			child_part(s, s->child);
			uffdops_mm_destroy(s->child);
			s->child = NULL;
			break;
		}
		pid = fork();
		if (pid == 0) {
			/* the child: reopen its own pagemap */
			s->pagemap_fd = live_pagemap_open();
			child_part(s, NULL);
			_exit(0);
		}
		atomic_store(&s->returned, true);
		r = pid < 0 ? -errno : 0;
		if (pid > 0 && waitpid(pid, NULL, 0) != pid)
			r = -ECHILD;
		break;
	}
	s->ret = r;
	atomic_store(&s->returned, true);
	atomic_store(&s->done, true);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* The reader.                                                               */
/* ------------------------------------------------------------------------ */

/* A message relative to the region; rm->zero says the rest is zero. */
static void record_msg(struct side *s, int i, const struct uffd_msg *m,
		       struct rmsg *rm)
{
	struct uffd_msg want;

	memset(&want, 0, sizeof(want));
	want.event = m->event;
	rm->uffd = i;
	rm->event = m->event;
	switch (m->event) {
	case UFFD_EVENT_REMOVE:
	case UFFD_EVENT_UNMAP:
		want.arg.remove = m->arg.remove;
		rm->a = rel(s, m->arg.remove.start);
		rm->b = rel(s, m->arg.remove.end);
		break;
	case UFFD_EVENT_REMAP:
		want.arg.remap = m->arg.remap;
		rm->a = rel(s, m->arg.remap.from);
		rm->b = rel(s, m->arg.remap.to);
		rm->c = (long)m->arg.remap.len;
		break;
	case UFFD_EVENT_FORK:
		want.arg.fork.ufd = m->arg.fork.ufd;
		rm->a = (int)m->arg.fork.ufd >= 0;
		break;
	case UFFD_EVENT_PAGEFAULT:
		want.arg.pagefault = m->arg.pagefault;
		rm->a = rel(s, m->arg.pagefault.address);
		rm->b = m->arg.pagefault.flags;
		break;
	}
	rm->zero = !memcmp(m, &want, sizeof(want));
}

/* Waits for a readable context (its index), the producer's end (-1). */
static int wait_any(struct side *s)
{
	for (int t = 0; t < WAIT_MS; t++) {
		for (int i = 0; i < s->n; i++)
			if (s_readable(s, i))
				return i;
		if (atomic_load(&s->done))
			return -1;
		msleep(1);
	}
	return -2;
}

/* A FORK event read from context @from: take the child's context, serve
 * the child's fault. */
static void serve_child(struct side *s, int from, const struct uffd_msg *m)
{
	struct uffdio_copy copy = { .dst = BASE + s->c->op.touch_off,
				    .src = BASE + SRC_OFF,
				    .len = P };
	struct result *res = s->res;
	int i = s->n, t;

	if (s->model) {
		if (uffdops_fork_ctx(s->ctx[from], m, &s->ctx[i]))
			return;
	} else {
		s->fd[i] = (int)m->arg.fork.ufd;
	}
	s->n++;
	if (!s->c->op.child_touch)
		return;
	for (t = 0; t < WAIT_MS && !s_readable(s, i); t++)
		msleep(1);
	if (t == WAIT_MS) {
		res->timeout = true;
		return;
	}
	{
		struct uffd_msg fm;

		if (s_read(s, i, &fm) == (long)sizeof(fm))
			record_msg(s, i, &fm, &res->child_fault);
	}
	copy.copy = 0x5a5a;
	res->copy_ret = s_ioctl(s, i, UFFDIO_COPY, &copy);
	res->copy_field = copy.copy;
}

static void reader(struct side *s)
{
	struct result *res = s->res;
	int i;

	while ((i = wait_any(s)) >= 0) {
		struct uffdio_zeropage z = { { BASE, P }, 0, 0x5a5a };
		struct uffd_msg m;
		struct rmsg *rm;

		if (res->nmsg == MAX_MSGS) {
			res->timeout = true;
			return;
		}
		rm = &res->msg[res->nmsg++];
		/* is the producer still waiting for this message? */
		msleep(20);
		rm->blocked = !atomic_load(&s->returned);
		rm->probe_ret = s_ioctl(s, i, UFFDIO_ZEROPAGE, &z);
		rm->probe_field = (long)z.zeropage;
		if (s_read(s, i, &m) != (long)sizeof(m)) {
			rm->event = -1;
			continue;
		}
		record_msg(s, i, &m, rm);
		if (m.event == UFFD_EVENT_FORK)
			serve_child(s, i, &m);
	}
	if (i == -2)
		res->timeout = true;
}

/* ------------------------------------------------------------------------ */
/* Playing a case on one side.                                               */
/* ------------------------------------------------------------------------ */

static int side_fail(struct side *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, s->why_size, fmt, ap);
	va_end(ap);
	return LIVE_FAILED;
}

static int play(struct side *s)
{
	const struct ccase *c = s->c;
	struct result *res = s->res;
	int i, r;

	for (i = 0; i < c->nuffd; i++) {
		r = s_uffd_new(s, c->features[i]);
		if (r < 0)
			return side_fail(s, "userfaultfd %d: %s", i,
					 live_errname(-r));
	}
	for (i = 0; i < MAX_MAPS && c->maps[i].len; i++) {
		const struct cmap *m = &c->maps[i];
		long a = s_mmap(s, m->off, m->len, m->kind);

		if (a != (long)(BASE + m->off))
			return side_fail(s, "mmap %d: %s", i,
					 a < 0 ? live_errname((int)-a) :
						 "moved");
		for (unsigned long o = 0; !m->empty && o < m->len; o += P)
			s_write(s, s->mm, BASE + m->off + o,
				(unsigned char)((m->off + o) / P + 1));
	}
	if (c->op.child_touch) {
		for (unsigned long o = 0; o < P; o++)
			s_write(s, s->mm, BASE + SRC_OFF + o, SRC_BYTE);
	}
	for (i = 0; i < MAX_REGS && c->regs[i].len; i++) {
		struct uffdio_register reg = {
			.range = { BASE + c->regs[i].off, c->regs[i].len },
			.mode = c->regs[i].mode,
		};

		r = s_ioctl(s, c->regs[i].uffd, UFFDIO_REGISTER, &reg);
		if (r)
			return side_fail(s, "register %d: %s", i,
					 live_errname(-r));
	}
	if (c->wp.len) {
		struct uffdio_writeprotect wp = {
			.range = { BASE + c->wp.off, c->wp.len },
			.mode = c->wp.mode,
		};

		r = s_ioctl(s, c->wp.uffd, UFFDIO_WRITEPROTECT, &wp);
		if (r)
			return side_fail(s, "writeprotect: %s",
					 live_errname(-r));
	}

	atomic_init(&s->returned, false);
	atomic_init(&s->done, false);
	if (pthread_create(&s->thread, NULL, producer, s))
		return side_fail(s, "pthread_create");
	reader(s);
	if (res->timeout)
		return LIVE_RAN; /* the caller releases the producer */
	pthread_join(s->thread, NULL);

	res->ret = s->ret;
	if (c->op.op == OP_MREMAP || c->op.op == OP_MMAP)
		res->ret = s->ret < 0 ? s->ret : rel(s, (unsigned long)s->ret);
	s_observe(s, s->mm, &res->after);
	if (res->ret == OUTSIDE) {
		unsigned long to = (unsigned long)s->ret;

		res->nmoved =
			s->model ?
				live_model_vmas(s->mm, to, to + c->op.len2,
						LIVE_VMA_UFFD | LIVE_VMA_CLIP,
						res->moved, 4) :
				live_vmas(to, to + c->op.len2,
					  LIVE_VMA_UFFD | LIVE_VMA_CLIP,
					  res->moved, 4);
	}
	return LIVE_RAN;
}

/* The live side, in the forked child of live_child_run(). */
static int live_run(const void *arg, void *res, char *why, size_t size)
{
	struct side s = { .c = arg, .res = res, .why = why, .why_size = size };

	s.span = case_span(s.c);
	if (!live_region_free(BASE, s.span + 2 * H)) {
		snprintf(why, size, "the region at %#lx is in use", BASE);
		return LIVE_FAILED;
	}
	s.pagemap_fd = live_pagemap_open();
	if (s.pagemap_fd < 0)
		return side_fail(&s, "pagemap: %s",
				 live_errname(-s.pagemap_fd));
	return play(&s);
}

/* The model's side, in this process. */
static int model_run(const struct ccase *c, struct result *res, char *why,
		     size_t size)
{
	struct side s = {
		.model = true, .c = c, .res = res, .why = why, .why_size = size
	};
	int r;

	s.span = case_span(c);
	r = live_mm_create(&s.mm);
	if (r)
		return side_fail(&s, "mm: %s", live_errname(-r));
	r = play(&s);
	/* closing every context releases a producer still waiting */
	for (int i = 0; i < s.n; i++)
		uffdops_close(s.ctx[i]);
	if (res->timeout)
		pthread_join(s.thread, NULL);
	if (s.child)
		uffdops_mm_destroy(s.child);
	uffdops_mm_destroy(s.mm);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Comparing.                                                                */
/* ------------------------------------------------------------------------ */

static const char *event_name(int e)
{
	switch (e) {
	case UFFD_EVENT_PAGEFAULT:
		return "PAGEFAULT";
	case UFFD_EVENT_FORK:
		return "FORK";
	case UFFD_EVENT_REMAP:
		return "REMAP";
	case UFFD_EVENT_REMOVE:
		return "REMOVE";
	case UFFD_EVENT_UNMAP:
		return "UNMAP";
	case 0:
		return "none";
	}
	return "?";
}

static void fmt_long(long v, char *buf, size_t size)
{
	if (v == OUTSIDE)
		snprintf(buf, size, "outside");
	else if (v < 0 && v > -4096)
		snprintf(buf, size, "-%s", live_errname((int)-v));
	else
		snprintf(buf, size, "%#lx", v);
}

static void print_msg(const char *side, const struct rmsg *m)
{
	char a[32], b[32], c[32], pr[32];

	fmt_long(m->a, a, sizeof(a));
	fmt_long(m->b, b, sizeof(b));
	fmt_long(m->c, c, sizeof(c));
	fmt_long(m->probe_ret, pr, sizeof(pr));
	printf("      %s: uffd %d %s %s %s %s%s%s, ZEROPAGE meanwhile %s "
	       "field %ld\n",
	       side, m->uffd, event_name(m->event), a, b, c,
	       m->zero ? "" : " (other bytes not zero)",
	       m->blocked ? ", producer blocked" : ", producer not blocked", pr,
	       m->probe_field);
}

static bool msg_equal(const struct rmsg *a, const struct rmsg *b)
{
	return a->uffd == b->uffd && a->event == b->event && a->a == b->a &&
	       a->b == b->b && a->c == b->c && a->zero == b->zero &&
	       a->blocked == b->blocked && a->probe_ret == b->probe_ret &&
	       a->probe_field == b->probe_field;
}

static bool obs_equal(const struct obs *a, const struct obs *b)
{
	return live_vmas_equal(a->vma, a->nvma, b->vma, b->nvma, MAX_VMAS) &&
	       !memcmp(a->pm, b->pm, sizeof(a->pm));
}

static void print_pm(const char *side, const struct obs *o)
{
	printf("      %s pagemap:", side);
	for (int i = 0; i < o->npm; i++) {
		uint64_t e = o->pm[i];

		printf(" %s%s%s%s", e & LIVE_PM_PRESENT ? "p" : "",
		       e & LIVE_PM_SWAP ? "s" : "",
		       e & LIVE_PM_UFFD_WP ? "w" : "",
		       e & LIVE_PM_EXCLUSIVE ? "x" : "");
		if (!(e & (LIVE_PM_PRESENT | LIVE_PM_SWAP | LIVE_PM_UFFD_WP)))
			printf("-");
	}
	printf("\n");
}

static void print_result(const char *side, const struct result *r)
{
	char ret[32];

	fmt_long(r->ret, ret, sizeof(ret));
	printf("    %s: returns %s%s, %d message(s)\n", side, ret,
	       r->timeout ? " (TIMED OUT)" : "", r->nmsg);
	for (int i = 0; i < r->nmsg; i++)
		print_msg(side, &r->msg[i]);
	live_vmas_print(side, r->after.vma, r->after.nvma, MAX_VMAS);
	print_pm(side, &r->after);
	if (r->nmoved)
		live_vmas_print("moved", r->moved, r->nmoved, 4);
	if (r->child.npm) {
		live_vmas_print("child", r->child.vma, r->child.nvma, MAX_VMAS);
		print_pm("child", &r->child);
	}
	if (r->child_fault.event) {
		print_msg("child", &r->child_fault);
		printf("      child: COPY %ld field %ld, byte %#x\n",
		       r->copy_ret, r->copy_field, r->child_val);
	}
}

/* Compare @a (live) and @b (model), printing what differs when @print. */
static bool results_agree(const struct result *a, const struct result *b,
			  bool print)
{
	bool ok = true;

#define DIFF(cond, ...)                              \
	do {                                         \
		if (cond) {                          \
			ok = false;                  \
			if (print)                   \
				printf(__VA_ARGS__); \
		}                                    \
	} while (0)

	DIFF(a->timeout || b->timeout, "  a side timed out\n");
	DIFF(a->ret != b->ret, "  the operation's result differs\n");
	DIFF(a->nmsg != b->nmsg, "  %d vs %d messages\n", a->nmsg, b->nmsg);
	for (int i = 0; i < a->nmsg && i < b->nmsg; i++)
		DIFF(!msg_equal(&a->msg[i], &b->msg[i]),
		     "  message %d differs\n", i);
	DIFF(!obs_equal(&a->after, &b->after),
	     "  the region afterwards differs\n");
	DIFF(!live_vmas_equal(a->moved, a->nmoved, b->moved, b->nmoved, 4),
	     "  the moved mapping differs\n");
	DIFF(!obs_equal(&a->child, &b->child), "  the child differs\n");
	DIFF(!msg_equal(&a->child_fault, &b->child_fault) ||
		     a->copy_ret != b->copy_ret ||
		     a->copy_field != b->copy_field ||
		     a->child_val != b->child_val,
	     "  the child's fault differs\n");
#undef DIFF
	return ok;
}

/* ------------------------------------------------------------------------ */
/* The suite.                                                                */
/* ------------------------------------------------------------------------ */

static struct live_suite suite = { .name = "events conformance",
				   .noun = "cases" };
static bool verbose;

static int suite_setup(void **state)
{
	(void)state;
	verbose = getenv("EVENTS_LIVE_VERBOSE") != NULL;
	return live_suite_setup(&suite, LIVE_UFFD_DEV, H, 4, 2);
}

static int suite_teardown(void **state)
{
	(void)state;
	live_suite_teardown(&suite);
	return 0;
}

/*
 * ThreadSanitizer holds its internal locks across fork() while the kernel
 * keeps the forking thread there until the FORK event is read, and the
 * reading thread then waits for those locks: a live FORK event cannot be
 * played under it.
 */
#if defined(__SANITIZE_THREAD__)
#define TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSAN 1
#endif
#endif

static void run_case(void **state)
{
	const struct ccase *c = *state;
	struct result live, model;
	char why[200] = "";
	int r;

	live_suite_check(&suite, c->name, case_hugetlb(c), false);
#ifdef TSAN
	if (c->op.op == OP_FORK)
		live_skip(
			&suite, c->name,
			"ThreadSanitizer holds its locks across a fork() "
			"that the kernel blocks until the FORK event is read");
#endif
	memset(&live, 0, sizeof(live));
	memset(&model, 0, sizeof(model));
	live_child_run(&suite, c->name, LIVE_TIMEOUT, live_run, c, &live,
		       sizeof(live));
	r = model_run(c, &model, why, sizeof(why));
	suite.compared++;
	if (r != LIVE_RAN)
		fail_msg("%s: the model run failed: %s", c->name, why);
	if (verbose) {
		printf("  %s\n", c->name);
		print_result("live ", &live);
		print_result("model", &model);
	}
	if (results_agree(&live, &model, false)) {
		suite.agreed++;
		return;
	}
	printf("%s: the model and the live kernel disagree:\n", c->name);
	results_agree(&live, &model, true);
	if (!verbose) {
		print_result("live ", &live);
		print_result("model", &model);
	}
	fail_msg("%s: disagreement", c->name);
}

int main(void)
{
	return LIVE_SUITE_MAIN("events_live", "EVENTS_LIVE_FILTER", cases,
			       run_case, suite_setup, suite_teardown);
}
