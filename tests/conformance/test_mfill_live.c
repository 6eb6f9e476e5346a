/* SPDX-License-Identifier: MIT */
/*
 * test_mfill_live.c - UFFDIO_COPY, UFFDIO_ZEROPAGE, UFFDIO_CONTINUE and
 * UFFDIO_POISON on the live kernel against the model (spec §2.5-§2.7, §2.9:
 * every [V] row, for anonymous memory, shared and private memfd shmem and
 * hugetlb).
 *
 * A case (below) is a list of steps: map memory, write bytes through the
 * CPU, create a userfaultfd, register, write-protect, install guards, fill,
 * start a thread that faults and blocks, ask whether it still is, hold a
 * non-cooperative event in flight, touch a page. One runner plays a case:
 *  - live: in a forked child (a clean process per case, live_child_run()),
 *    the region at a fixed address nothing else uses; the observations come
 *    back in memory shared with the parent;
 *  - model: a fresh uffdops_mm at the same addresses.
 * After every step both sides record the return value or errno, the output
 * field of a fill (preset to a sentinel; read back from the address space
 * when the argument lives there), and for each page of the observed range
 * its pagemap flags (present, swap, file, uffd-wp, exclusive, guard), whether
 * it maps the zero page, and a checksum of its bytes when present. Every
 * field must agree at every step.
 *
 * Threads that block (a read of a missing page, a COPY whose source takes a
 * userfault) run on both sides; the model's block in its own fault path.
 * Where the model has no counterpart yet, a step stands in for it and says
 * so: an event in flight raises ctx->mmap_changing (events.c will produce
 * it).
 *
 * The last line printed is "mfill conformance: N cases compared with the
 * live kernel, M agree". MFILL_VERBOSE=1 prints every step of both sides,
 * MFILL_FILTER=<glob> runs some cases.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <uffdops/uffdops.h>

#include "../../src/uffd.h"
#include "../lib/live.h"

#define P 4096UL
#define H (2UL << 20)

/* Low enough for the ASan and TSan application ranges; 2 MiB aligned. */
#define REGION_BASE 0x50000000UL

#define MAX_STEPS 40
#define MAX_FILES 2
#define MAX_CTX 2
#define MAX_FAULTS 4
#define MAX_UNITS 24

/* The output field before the call, and when it cannot be read back. */
#define SENTINEL ((__s64)0x5a5aa5a5deadbeefLL)
#define UNREADABLE ((__s64)0x0badbadbadbadbadLL)

#define HUGE_PAGES_WANTED 12
/* Seconds one live case may take. */
#define LIVE_TIMEOUT 20
/* How long a woken thread may take to finish its access. */
#define WOKEN_MS 5000
/* KPF_ZERO_PAGE in /proc/kpageflags (include/uapi/linux/kernel-page-flags.h). */
#define KPF_ZERO_PAGE 24

enum op {
	OP_END,
	OP_MAP, /* mmap(off, len, prot a, flags b, file, pgoff off2) */
	OP_MPROTECT, /* mprotect(off, len, a) */
	OP_MADV, /* madvise(off, len, a) */
	OP_WRITE, /* page i of [off, off + len) := byte a + i, by the CPU */
	OP_UFFD, /* ctx := userfaultfd(O_CLOEXEC|O_NONBLOCK|b) + API(features a) */
	OP_REG, /* UFFDIO_REGISTER(off, len, mode a) */
	OP_WP, /* UFFDIO_WRITEPROTECT(off, len, mode a) */
	OP_FILL, /* fill b (enum fop): dst off, src off2, len, mode a */
	OP_FAULT, /* slot a: a thread reads off and blocks; the message is
		   * read: its address (from the base) | its flags */
	OP_FILL_ASYNC, /* slot a: a thread runs the fill of step a + 1, which
			* blocks; the message is read as for OP_FAULT */
	OP_MSG, /* slot a blocked again: its next message is read */
	OP_BLOCKED, /* is slot a still blocked? 1 : 0 */
	OP_JOIN, /* slot a finished: its read (0, SIGBUS, SIGSEGV) or its fill
		  * (return value and field) */
	OP_WAKE, /* UFFDIO_WAKE(off, len) */
	OP_EVENT, /* a REMOVE event for [off, off + len) held in flight */
	OP_EVENT_END, /* the event read, its producer finished */
	OP_TOUCH, /* an access at off (write if a): 0, SIGBUS or SIGSEGV */
	OP_TRUNC, /* ftruncate(file, len) */
};

enum fop {
	F_COPY,
	F_ZERO,
	F_CONT,
	F_POISON
};

/* Address modifiers of a step. */
enum at {
	AT_BASE, /* off is from the region's base */
	AT_ABS, /* off is an absolute address */
};

/**
 * struct step - one call of a case.
 * @op: enum op.
 * @ctx: the userfaultfd slot used.
 * @at: enum at for @off.
 * @src_abs: OP_FILL's @off2 is an absolute address.
 * @racy: the step lets a blocked thread go on changing pages, so the pages
 *	seen right after it are not compared (the thread's JOIN's are).
 * @file: OP_MAP/OP_TRUNC file index, -1 for none.
 * @off: address (from the base unless @at).
 * @len: length.
 * @off2: OP_MAP pgoff, OP_FILL src (from the base unless @src_abs).
 * @argoff: OP_FILL: 0 for an argument on the stack, else the argument lives
 *	at base + @argoff (written and read back through /proc/self/mem).
 * @a: first argument (see enum op).
 * @b: second argument (see enum op).
 */
struct step {
	unsigned char op;
	unsigned char ctx;
	unsigned char at;
	unsigned char src_abs;
	unsigned char racy;
	signed char file;
	unsigned long off;
	unsigned long len;
	unsigned long off2;
	unsigned long argoff;
	__u64 a;
	__u64 b;
};

/**
 * struct mcase - one scenario.
 * @name: the cmocka test name.
 * @region: bytes reserved at REGION_BASE for the case.
 * @unit: the observed page size (4 KiB, or 2 MiB for hugetlb cases).
 * @units: pages observed from the base.
 * @view: where a second window of pages is observed (a second mapping of
 *	the case's file), from the base.
 * @view_units: pages observed there.
 * @files: files created first: "shmem" (memfd), "hugetlb" (memfd
 *	MFD_HUGETLB) or "file" (a regular file on a disk filesystem).
 * @steps: the calls, up to the first OP_END.
 */
struct mcase {
	const char *name;
	unsigned long region;
	unsigned long unit;
	unsigned int units;
	unsigned long view;
	unsigned int view_units;
	struct live_file files[MAX_FILES];
	struct step steps[MAX_STEPS];
};

/* ------------------------------------------------------------------------ */
/* The cases.                                                               */
/* ------------------------------------------------------------------------ */

#define RWP (PROT_READ | PROT_WRITE)
#define ROP PROT_READ
#define PA (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)
#define SF (MAP_SHARED | MAP_FIXED)
#define PF (MAP_PRIVATE | MAP_FIXED)
#define UM UFFDIO_REGISTER_MODE_MISSING
#define UW UFFDIO_REGISTER_MODE_WP
#define UI UFFDIO_REGISTER_MODE_MINOR
#define TASK UFFDOPS_TASK_SIZE
#define DW 1 /* the DONTWAKE bit of every fill */
#define CWP 2 /* COPY/CONTINUE MODE_WP */
#define F_WPU UFFD_FEATURE_WP_UNPOPULATED
#define F_REM UFFD_FEATURE_EVENT_REMOVE

/* Where the cases keep their source pages: 16 pages at +1 MiB. */
#define S (1UL << 20)
/* The second view of a file: at +2 MiB (4 KiB cases). */
#define V (2UL << 20)

/* clang-format off */
#define MAP(o, l, pr, fl) \
	{ .op = OP_MAP, .off = (o), .len = (l), .a = (pr), .b = (fl), .file = -1 }
#define MAPF(o, l, pr, fl, f, pg) \
	{ .op = OP_MAP, .off = (o), .len = (l), .a = (pr), .b = (fl), \
	  .file = (f), .off2 = (pg) }
#define MPROT(o, l, pr) { .op = OP_MPROTECT, .off = (o), .len = (l), .a = (pr) }
#define MADV(o, l, adv) { .op = OP_MADV, .off = (o), .len = (l), .a = (adv) }
#define WRITE(o, l, c) { .op = OP_WRITE, .off = (o), .len = (l), .a = (c) }
#define UFFD(c, feat) { .op = OP_UFFD, .ctx = (c), .a = (feat) }
#define UFFD_UMO(c) \
	{ .op = OP_UFFD, .ctx = (c), .b = UFFD_USER_MODE_ONLY }
#define REG(c, o, l, m) { .op = OP_REG, .ctx = (c), .off = (o), .len = (l), .a = (m) }
#define WP(c, o, l, m) { .op = OP_WP, .ctx = (c), .off = (o), .len = (l), .a = (m) }
#define FILL(c, f, d, s, l, m, ...) \
	{ .op = OP_FILL, .ctx = (c), .b = (f), .off = (d), .off2 = (s), \
	  .len = (l), .a = (m), __VA_ARGS__ }
#define COPY(d, s, l, m, ...) FILL(0, F_COPY, d, s, l, m, __VA_ARGS__)
#define ZERO(d, l, m, ...) FILL(0, F_ZERO, d, 0, l, m, __VA_ARGS__)
#define CONT(d, l, m, ...) FILL(0, F_CONT, d, 0, l, m, __VA_ARGS__)
#define POISON(d, l, m, ...) FILL(0, F_POISON, d, 0, l, m, __VA_ARGS__)
#define FAULT(slot, o) { .op = OP_FAULT, .a = (slot), .off = (o) }
/* The fill that follows runs in slot @slot's thread, not as a step. */
#define ASYNC(slot) { .op = OP_FILL_ASYNC, .a = (slot) }
#define BLOCKED(slot) { .op = OP_BLOCKED, .a = (slot) }
#define JOIN(slot) { .op = OP_JOIN, .a = (slot) }
#define MSG(slot) { .op = OP_MSG, .a = (slot) }
#define WAKE(o, l) { .op = OP_WAKE, .off = (o), .len = (l) }
#define EVENT(o, l) { .op = OP_EVENT, .off = (o), .len = (l) }
#define EVENT_END() { .op = OP_EVENT_END }
#define TOUCH(o, w) { .op = OP_TOUCH, .off = (o), .a = (w) }
#define TRUNC(f, sz) { .op = OP_TRUNC, .file = (f), .len = (sz) }
#define ABS .at = AT_ABS
#define SRCABS .src_abs = 1
#define RACY .racy = 1
#define ARG(o) .argoff = (o)
/* Source pages at S with bytes 0x10, 0x11, ... */
#define SRCMAP MAP(S, 16 * P, RWP, PA), WRITE(S, 16 * P, 0x10)
#define SHMEM(sz) { .type = "shmem", .size = (sz) }
#define HUGE(sz) { .type = "hugetlb", .size = (sz) }
#define DISK(sz) { .type = "file", .size = (sz) }
/* clang-format on */

static const struct mcase cases[] = {
	/* ---- UFFDIO_COPY (§2.5) ---------------------------------------- */
	{ "copy_validation",
	  .units = 4,
	  .steps = {
		  SRCMAP, MAP(0, 4 * P, RWP, PA), UFFD(0, 0), REG(0, 0, 4 * P, UM),
		  /* C3 src: len, 0, task size, wrap; an unaligned src is fine */
		  COPY(0, S, 100, 0), COPY(0, S, 0, 0),
		  COPY(0, TASK, P, 0, SRCABS),
		  COPY(0, TASK - 2 * P + 1, 2 * P, 0, SRCABS),
		  COPY(0, S + 1, P, 0),
		  /* C4 dst */
		  COPY(1, S, P, 0), COPY(TASK, S, P, 0, ABS),
		  COPY(TASK - P, S, 2 * P, 0, ABS),
		  /* C5 before the VMA: WP|4 on a non-WP VMA; WP|DONTWAKE passes */
		  COPY(P, S, P, CWP | 4), COPY(P, S, P, 8),
		  COPY(P, S, P, CWP | DW),
		  /* start 0 validates (6.18.44), there is no VMA: ENOENT */
		  COPY(0, S, P, 0, ABS),
		  /* src 0 -> EFAULT, not EINVAL */
		  COPY(2 * P, 0, P, 0, SRCABS),
	  } },
	{ "copy_arg_efault",
	  .units = 4,
	  .steps = {
		  SRCMAP, MAP(0, 4 * P, RWP, PA), MAP(8 * P, P, RWP, PA),
		  MAP(9 * P, P, PROT_NONE, PA), MAP(12 * P, P, ROP, PA),
		  UFFD(0, 0), REG(0, 0, 4 * P, UM),
		  /* C2: the request runs into a PROT_NONE page: field untouched */
		  COPY(0, S, P, 0, ARG(9 * P - 16)),
		  /* nowhere at all */
		  COPY(0, S, P, 0, ARG(20 * P)),
		  /* readable, not writable: filled, EFAULT, field untouched */
		  COPY(P, S, P, 0, ARG(12 * P)),
		  /* in writable memory: 0, field written */
		  COPY(2 * P, S, P, 0, ARG(8 * P)),
		  /* a short fill through a user argument */
		  COPY(2 * P, S, 2 * P, 0, ARG(8 * P + 64)),
	  } },
	{ "copy_mmap_changing",
	  .units = 4,
	  .steps = {
		  SRCMAP, MAP(0, 8 * P, RWP, PA), UFFD(0, F_REM),
		  REG(0, 0, 8 * P, UM), EVENT(4 * P, P),
		  /* C1/Z1/N1/P1: -EAGAIN before the request is read */
		  COPY(0, S, P, 0xff), COPY(0, S, P, 0, ARG(20 * P)),
		  ZERO(1, 0, 2), CONT(0, P, 0), POISON(P, 100, 0),
		  EVENT_END(), COPY(0, S, P, 0), ZERO(P, P, 0),
	  } },
	{ "copy_vma_checks",
	  .units = 8,
	  .steps = {
		  SRCMAP, MAP(0, 4 * P, RWP, PA), MAP(4 * P, 2 * P, ROP, PA),
		  MAP(8 * P, 2 * P, RWP, PA), UFFD(0, 0), UFFD(1, 0),
		  REG(0, 0, 4 * P, UM), { .op = OP_REG, .ctx = 1, .off = 4 * P,
					  .len = 2 * P, .a = UM },
		  /* M2: crossing into a registered neighbour; M1: a hole */
		  COPY(2 * P, S, 4 * P, 0), COPY(6 * P, S, P, 0),
		  /* M2b: unregistered, with MODE_WP too */
		  COPY(8 * P, S, P, 0), COPY(8 * P, S, P, CWP),
		  /* any uffd of the mm fills: context 1 into context 0's range */
		  FILL(1, F_COPY, 0, S, P, 0),
		  /* M5: a present page, MODE_WP, a VMA without WP */
		  COPY(0, S, P, CWP),
		  /* read-only VMA: filled read-only */
		  COPY(4 * P, S, 2 * P, 0),
	  } },
	{ "copy_anon",
	  .units = 8,
	  .steps = {
		  SRCMAP, MAP(0, 8 * P, RWP, PA), UFFD(0, 0),
		  REG(0, 0, 8 * P, UM | UW),
		  COPY(0, S, 2 * P, 0), COPY(2 * P, S + 2 * P, P, CWP),
		  COPY(0, S, P, 0),
		  /* 4 pages, the 3rd present: EAGAIN with 8192 */
		  COPY(5 * P, S, P, 0), COPY(3 * P, S + 8 * P, 4 * P, 0),
		  TOUCH(0, 1), TOUCH(2 * P, 0),
	  } },
	{ "copy_src_faults",
	  .units = 8,
	  .steps = {
		  SRCMAP, MAP(0, 8 * P, RWP, PA), UFFD(0, 0), REG(0, 0, 8 * P, UM),
		  MPROT(S + 2 * P, 2 * P, PROT_NONE),
		  /* the last two source pages PROT_NONE: EAGAIN, 8192 */
		  COPY(0, S, 4 * P, 0),
		  /* unmapped or PROT_NONE source: EFAULT */
		  COPY(4 * P, S + 32 * P, P, 0), COPY(4 * P, S + 2 * P, P, 0),
		  /* a source never touched: read with faults, zeros */
		  MAP(S + 32 * P, 2 * P, RWP, PA), COPY(5 * P, S + 32 * P, 2 * P, 0),
	  } },
	{ "copy_anon_markers",
	  .units = 8,
	  .steps = {
		  SRCMAP, MAP(0, 8 * P, RWP, PA), UFFD(0, F_WPU),
		  REG(0, 0, 8 * P, UM | UW),
		  /* uffd-wp markers (WP_UNPOPULATED), a poison and a guard marker */
		  WP(0, 0, 2 * P, UFFDIO_WRITEPROTECT_MODE_WP),
		  POISON(2 * P, P, 0), MADV(3 * P, P, MADV_GUARD_INSTALL),
		  /* COPY replaces them all, and the guard is gone */
		  COPY(0, S, 4 * P, 0), TOUCH(3 * P, 1),
		  /* MODE_WP over a marker keeps the protection */
		  WP(0, 4 * P, P, UFFDIO_WRITEPROTECT_MODE_WP),
		  COPY(4 * P, S, P, CWP),
	  } },
	{ "copy_shmem_shared",
	  .units = 10,
	  .view = V,
	  .view_units = 8,
	  .files = { SHMEM(8 * P) },
	  .steps = {
		  SRCMAP, MAPF(0, 10 * P, RWP, SF, 0, 0),
		  MAPF(V, 8 * P, RWP, SF, 0, 0), UFFD(0, 0),
		  REG(0, 0, 10 * P, UM | UW),
		  COPY(0, S, 2 * P, 0), COPY(2 * P, S, P, CWP),
		  /* cached but not mapped here: EEXIST */
		  WRITE(V + 3 * P, P, 0x42), COPY(3 * P, S, P, 0),
		  /* pages 6..9 with EOF at 8: EAGAIN 8192; beyond EOF EFAULT */
		  COPY(6 * P, S, 4 * P, 0), COPY(8 * P, S, P, 0),
		  /* markers: uffd-wp (WP of a none PTE), poison, guard */
		  WP(0, 4 * P, P, UFFDIO_WRITEPROTECT_MODE_WP), POISON(5 * P, P, 0),
		  COPY(4 * P, S, 2 * P, 0),
		  TOUCH(V, 0), TOUCH(V + 4 * P, 0),
	  } },
	{ "copy_shmem_shared_guard",
	  .units = 4,
	  .files = { SHMEM(8 * P) },
	  .steps = {
		  SRCMAP, MAPF(0, 4 * P, RWP, SF, 0, 0), UFFD(0, 0),
		  REG(0, 0, 4 * P, UM), MADV(P, P, MADV_GUARD_INSTALL),
		  COPY(P, S, P, 0), TOUCH(P, 1),
	  } },
	{ "copy_shmem_private",
	  .units = 10,
	  .view = V,
	  .view_units = 8,
	  .files = { SHMEM(8 * P) },
	  .steps = {
		  SRCMAP, MAPF(0, 10 * P, RWP, PF, 0, 0),
		  MAPF(V, 8 * P, RWP, SF, 0, 0), UFFD(0, 0),
		  REG(0, 0, 10 * P, UM),
		  /* an anonymous page; the page cache untouched */
		  COPY(0, S, 2 * P, 0), TOUCH(V, 0),
		  /* a cached page does not stop a private COPY */
		  WRITE(V + 2 * P, P, 0x42), COPY(2 * P, S, P, 0),
		  /* beyond EOF: EFAULT */
		  COPY(8 * P, S, P, 0), COPY(6 * P, S, 4 * P, 0),
	  } },
	{ "copy_minor_only_shmem",
	  .units = 4,
	  .files = { SHMEM(8 * P) },
	  .steps = {
		  SRCMAP, MAPF(0, 4 * P, RWP, SF, 0, 0), UFFD(0, 0),
		  REG(0, 0, 4 * P, UI), COPY(0, S, 2 * P, 0), ZERO(2 * P, P, 0),
	  } },
	{ "copy_other_file_wp_async",
	  .units = 4,
	  .files = { DISK(8 * P) },
	  .steps = {
		  SRCMAP, MAPF(0, 4 * P, RWP, SF, 0, 0),
		  UFFD(0, UFFD_FEATURE_WP_ASYNC), REG(0, 0, 4 * P, UW),
		  /* M7: neither anonymous nor shmem */
		  COPY(0, S, P, 0), ZERO(0, P, 0), CONT(0, P, 0), POISON(0, P, 0),
	  } },
	{ "copy_wake",
	  .units = 8,
	  .steps = {
		  SRCMAP, MAP(0, 8 * P, RWP, PA), UFFD(0, 0), REG(0, 0, 8 * P, UM),
		  /* the waiter of the page filled is woken */
		  FAULT(0, 0), COPY(0, S, P, 0), BLOCKED(0),
		  /* DONTWAKE: filled, blocked until UFFDIO_WAKE */
		  FAULT(1, P), COPY(P, S, P, DW), BLOCKED(1),
		  WAKE(P, P), BLOCKED(1),
		  /* a waiter past the done prefix stays blocked */
		  COPY(4 * P, S, P, 0), FAULT(2, 5 * P),
		  COPY(2 * P, S, 4 * P, 0), BLOCKED(2), COPY(5 * P, S, P, 0),
		  BLOCKED(2), JOIN(0), JOIN(1), JOIN(2),
	  } },
	{ "copy_src_userfault",
	  .units = 4,
	  .steps = {
		  MAP(0, 4 * P, RWP, PA), MAP(S, 4 * P, RWP, PA),
		  MAP(S + 8 * P, P, RWP, PA), WRITE(S + 8 * P, P, 0x77),
		  UFFD(0, 0), REG(0, 0, 4 * P, UM), REG(0, S, 4 * P, UM),
		  /* L5: the source is missing in a registered range: the ioctl
		   * itself takes a userfault (a read of S) and waits */
		  ASYNC(0), COPY(0, S, 2 * P, 0), BLOCKED(0),
		  /* resolving the source lets it go on, to the next one */
		  COPY(S, S + 8 * P, P, 0, RACY), MSG(0), BLOCKED(0),
		  ZERO(S + P, P, 0, RACY), JOIN(0),
	  } },
	{ "copy_src_user_mode_only",
	  .units = 4,
	  .steps = {
		  MAP(0, 4 * P, RWP, PA), MAP(S, 4 * P, RWP, PA), UFFD_UMO(0),
		  REG(0, 0, 4 * P, UM), REG(0, S, 4 * P, UM),
		  /* the source's userfault is a kernel access: SIGBUS, EFAULT */
		  COPY(0, S, P, 0), ZERO(S, P, 0), COPY(0, S, 2 * P, 0),
	  } },
	{ "copy_put_user_no_wake",
	  .units = 4,
	  .steps = {
		  SRCMAP, MAP(0, 4 * P, RWP, PA), MAP(8 * P, P, ROP, PA),
		  UFFD(0, 0), REG(0, 0, 4 * P, UM), FAULT(0, 0),
		  /* the result cannot be written: EFAULT, filled, nobody woken */
		  COPY(0, S, P, 0, ARG(8 * P)), BLOCKED(0), WAKE(0, P),
		  BLOCKED(0),
	  } },
	{ "copy_hugetlb_shared",
	  .region = 16 * H,
	  .unit = H,
	  .units = 4,
	  .view = 8 * H,
	  .view_units = 4,
	  .files = { HUGE(4 * H) },
	  .steps = {
		  MAPF(0, 4 * H, RWP, SF, 0, 0), MAPF(8 * H, 4 * H, RWP, SF, 0, 0),
		  MAP(12 * H, 3 * H, RWP, PA), WRITE(12 * H, 2 * H, 0x20),
		  UFFD(0, 0), REG(0, 0, 4 * H, UM | UW),
		  /* H2: whole huge pages only */
		  COPY(0, 12 * H, P, 0), COPY(P, 12 * H, H, 0),
		  /* from an unaligned source; then EEXIST */
		  COPY(0, 12 * H + P + 1, H, 0), COPY(0, 12 * H, H, 0),
		  /* H7: cached, not mapped here */
		  WRITE(9 * H, P, 0x30), COPY(H, 12 * H, H, 0),
		  COPY(3 * H, 12 * H, H, 0), TOUCH(8 * H, 0),
		  /* over a hugetlb uffd-wp marker with MODE_WP, then a present
		   * page: EAGAIN with 2 MiB */
		  WP(0, 2 * H, H, UFFDIO_WRITEPROTECT_MODE_WP),
		  COPY(2 * H, 12 * H, 2 * H, CWP),
	  } },
	{ "copy_hugetlb_private",
	  .region = 16 * H,
	  .unit = H,
	  .units = 2,
	  .view = 8 * H,
	  .view_units = 2,
	  .files = { HUGE(4 * H) },
	  .steps = {
		  MAPF(0, 2 * H, RWP, PF, 0, 0), MAPF(8 * H, 2 * H, RWP, SF, 0, 0),
		  MAP(12 * H, H, RWP, PA), WRITE(12 * H, H, 0x20), UFFD(0, 0),
		  REG(0, 0, 2 * H, UM),
		  /* an anonymous huge page; the file keeps nothing */
		  COPY(0, 12 * H, H, 0), TOUCH(8 * H, 0), TOUCH(0, 1),
	  } },
	{ "copy_hugetlb_past_end",
	  .region = 8 * H,
	  .unit = H,
	  .units = 1,
	  .files = { HUGE(2 * H) },
	  .steps = {
		  MAPF(0, H, RWP, SF, 0, 0), MAP(4 * H, H, RWP, PA), UFFD(0, 0),
		  REG(0, 0, H, UM | UI),
		  /* a range past the VMA's end is M2 before H2 */
		  COPY(P, 4 * H, H, 0), CONT(P, H, 0), POISON(P, H, 0),
	  } },
	{ "copy_map_hugetlb_anon",
	  .region = 8 * H,
	  .unit = H,
	  .units = 4,
	  .steps = {
		  MAP(0, 2 * H, RWP, PA | MAP_HUGETLB),
		  MAP(2 * H, 2 * H, RWP, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED |
						 MAP_HUGETLB),
		  MAP(6 * H, H, RWP, PA), WRITE(6 * H, H, 0x20), UFFD(0, 0),
		  REG(0, 0, 2 * H, UM), REG(0, 2 * H, 2 * H, UM | UI),
		  COPY(0, 6 * H, H, 0), COPY(2 * H, 6 * H, H, 0),
		  COPY(2 * H, 6 * H, H, 0), CONT(3 * H, H, 0), POISON(H, H, 0),
		  POISON(3 * H, H, 0), CONT(2 * H, H, 0),
	  } },
	/* ---- UFFDIO_ZEROPAGE (§2.6) ------------------------------------ */
	{ "fill_validation",
	  .units = 4,
	  .files = { SHMEM(8 * P) },
	  .steps = {
		  MAPF(0, 4 * P, RWP, SF, 0, 0), MAP(8 * P, P, RWP, PA),
		  MAP(9 * P, P, PROT_NONE, PA), UFFD(0, 0),
		  REG(0, 0, 4 * P, UM | UI),
		  /* Z2/N2/P2: the request runs into a PROT_NONE page, or nowhere */
		  ZERO(0, P, 0, ARG(9 * P - 8)), CONT(0, P, 0, ARG(9 * P - 8)),
		  POISON(0, P, 0, ARG(9 * P - 8)), ZERO(0, P, 0, ARG(20 * P)),
		  CONT(0, P, 0, ARG(20 * P)), POISON(0, P, 0, ARG(20 * P)),
		  /* Z3/N3/P3 validate_range() */
		  ZERO(1, P, 0), CONT(0, 100, 0), POISON(0, 0, 0),
		  ZERO(TASK, P, 0, ABS), CONT(TASK - P, 2 * P, 0, ABS),
		  POISON(TASK - P, 2 * P, 0, ABS),
		  /* then mode (Z4/N4/P4), before any VMA */
		  ZERO(64 * P, P, 2), CONT(64 * P, P, 4), POISON(64 * P, P, 2),
		  /* a user argument, written back */
		  ZERO(0, P, 0, ARG(8 * P)), POISON(P, P, 0, ARG(8 * P)),
		  CONT(0, 2 * P, 0, ARG(8 * P + 32)),
	  } },
	{ "zeropage_anon",
	  .units = 8,
	  .steps = {
		  SRCMAP, MAP(0, 8 * P, RWP, PA), UFFD(0, F_WPU),
		  REG(0, 0, 8 * P, UM | UW), ZERO(0, P, 0), ZERO(P, 3 * P, 0),
		  /* first page present; COPY onto a zero-page PTE */
		  ZERO(0, 2 * P, 0), COPY(P, S, P, 0),
		  /* markers refused: uffd-wp, poison, guard */
		  WP(0, 4 * P, P, UFFDIO_WRITEPROTECT_MODE_WP), ZERO(4 * P, P, 0),
		  POISON(5 * P, P, 0), ZERO(5 * P, P, 0),
		  MADV(6 * P, P, MADV_GUARD_INSTALL), ZERO(6 * P, P, 0),
		  /* no VMA; bad mode */
		  ZERO(64 * P, P, 0), ZERO(7 * P, P, 2), TOUCH(0, 0),
	  } },
	{ "zeropage_shmem_shared",
	  .units = 10,
	  .view = V,
	  .view_units = 8,
	  .files = { SHMEM(8 * P) },
	  .steps = {
		  MAPF(0, 10 * P, RWP, SF, 0, 0), MAPF(V, 8 * P, RWP, SF, 0, 0),
		  UFFD(0, 0), REG(0, 0, 10 * P, UM | UW),
		  /* a zeroed page enters the cache */
		  ZERO(0, P, 0), TOUCH(V, 0),
		  /* cached page: EEXIST; beyond EOF: EFAULT */
		  WRITE(V + P, P, 0x42), ZERO(P, P, 0), ZERO(8 * P, P, 0),
		  /* markers are replaced (spec §4.3-9), unless the page is cached */
		  WP(0, 2 * P, P, UFFDIO_WRITEPROTECT_MODE_WP),
		  POISON(3 * P, P, 0), MADV(4 * P, P, MADV_GUARD_INSTALL),
		  WRITE(V + 5 * P, P, 0x43), MADV(5 * P, P, MADV_GUARD_INSTALL),
		  ZERO(2 * P, 4 * P, 0), ZERO(5 * P, P, 0),
	  } },
	{ "zeropage_shmem_private",
	  .units = 10,
	  .view = V,
	  .view_units = 8,
	  .files = { SHMEM(8 * P) },
	  .steps = {
		  MAPF(0, 10 * P, RWP, PF, 0, 0), MAPF(V, 8 * P, RWP, SF, 0, 0),
		  UFFD(0, 0), REG(0, 0, 10 * P, UM),
		  /* the zero page, not the cache */
		  ZERO(0, 2 * P, 0), TOUCH(V, 0), ZERO(8 * P, P, 0),
	  } },
	{ "zeropage_hugetlb",
	  .region = 8 * H,
	  .unit = H,
	  .units = 2,
	  .files = { HUGE(2 * H) },
	  .steps = {
		  MAPF(0, 2 * H, RWP, SF, 0, 0), UFFD(0, 0), REG(0, 0, 2 * H, UM),
		  ZERO(0, P, 0), ZERO(0, H, 0), ZERO(0, 2 * H, 0),
	  } },
	/* ---- UFFDIO_CONTINUE (§2.7) ------------------------------------ */
	{ "continue_shmem_shared",
	  .units = 10,
	  .view = V,
	  .view_units = 8,
	  .files = { SHMEM(8 * P) },
	  .steps = {
		  MAPF(0, 10 * P, RWP, SF, 0, 0), MAPF(V, 8 * P, RWP, SF, 0, 0),
		  WRITE(V, 3 * P, 0x50), UFFD(0, 0), REG(0, 0, 10 * P, UM | UW | UI),
		  CONT(0, 2 * P, 0), CONT(0, P, 0),
		  /* pages 2..4, 3 and 4 uncached: EAGAIN, 4096 */
		  CONT(2 * P, 3 * P, 0), CONT(4 * P, P, 0),
		  /* beyond EOF: EINVAL; mode */
		  CONT(8 * P, P, 0), CONT(5 * P, P, 4),
		  /* MODE_WP */
		  WRITE(V + 5 * P, P, 0x55), CONT(5 * P, P, CWP), TOUCH(0, 1),
		  TOUCH(V + P, 0),
		  /* a marker is replaced: uffd-wp, poison, guard */
		  WRITE(V + 3 * P, P, 0x53), WRITE(V + 6 * P, 2 * P, 0x56),
		  WP(0, 3 * P, P, UFFDIO_WRITEPROTECT_MODE_WP), CONT(3 * P, P, 0),
		  POISON(6 * P, P, 0), CONT(6 * P, P, 0),
		  MADV(7 * P, P, MADV_GUARD_INSTALL), CONT(7 * P, P, 0),
	  } },
	{ "continue_anon",
	  .units = 2,
	  .steps = {
		  MAP(0, 2 * P, RWP, PA), WRITE(0, P, 0x10), UFFD(0, 0),
		  REG(0, 0, 2 * P, UM | UW), CONT(0, P, 0), CONT(P, P, 0),
		  CONT(P, P, CWP | DW),
	  } },
	{ "continue_modes",
	  .units = 4,
	  .view = V,
	  .view_units = 8,
	  .files = { SHMEM(8 * P) },
	  .steps = {
		  MAPF(0, 4 * P, RWP, SF, 0, 0), MAPF(V, 8 * P, RWP, SF, 0, 0),
		  WRITE(V, 4 * P, 0x60), UFFD(0, 0), REG(0, 0, 4 * P, UM),
		  /* MISSING-only works; MODE_WP without WP: EINVAL */
		  CONT(0, P, 0), CONT(P, P, CWP),
	  } },
	{ "continue_shmem_private",
	  .units = 4,
	  .view = V,
	  .view_units = 8,
	  .files = { SHMEM(8 * P) },
	  .steps = {
		  MAPF(0, 4 * P, RWP, PF, 0, 0), MAPF(V, 8 * P, RWP, SF, 0, 0),
		  WRITE(V, 4 * P, 0x60), UFFD(0, 0), REG(0, 0, 4 * P, UM | UI),
		  /* read-only; a write copies, the file keeps its bytes */
		  CONT(0, 2 * P, 0), TOUCH(0, 1), TOUCH(V, 0), TOUCH(P, 0),
	  } },
	{ "continue_hugetlb",
	  .region = 16 * H,
	  .unit = H,
	  .units = 4,
	  .view = 8 * H,
	  .view_units = 4,
	  .files = { HUGE(4 * H) },
	  .steps = {
		  MAPF(0, 4 * H, RWP, SF, 0, 0), MAPF(8 * H, 4 * H, RWP, SF, 0, 0),
		  WRITE(8 * H, 2 * H, 0x70), UFFD(0, 0), REG(0, 0, 4 * H, UM | UI),
		  CONT(0, H, 0), CONT(0, H, 0), CONT(P, H, 0), CONT(2 * H, H, 0),
		  /* two, the 2nd uncached: EAGAIN with 2 MiB */
		  CONT(H, 2 * H, 0), TOUCH(0, 1),
	  } },
	{ "continue_hugetlb_private",
	  .region = 16 * H,
	  .unit = H,
	  .units = 2,
	  .view = 8 * H,
	  .view_units = 2,
	  .files = { HUGE(4 * H) },
	  .steps = {
		  MAPF(0, 2 * H, RWP, PF, 0, 0), MAPF(8 * H, 2 * H, RWP, SF, 0, 0),
		  WRITE(8 * H, H, 0x70), UFFD(0, 0), REG(0, 0, 2 * H, UM | UI),
		  CONT(0, H, 0), TOUCH(0, 1), TOUCH(8 * H, 0),
	  } },
	{ "continue_wake_minor",
	  .units = 4,
	  .view = V,
	  .view_units = 8,
	  .files = { SHMEM(8 * P) },
	  .steps = {
		  MAPF(0, 4 * P, RWP, SF, 0, 0), MAPF(V, 8 * P, RWP, SF, 0, 0),
		  WRITE(V, 4 * P, 0x60), UFFD(0, 0), REG(0, 0, 4 * P, UI),
		  FAULT(0, P), CONT(0, P, 0), BLOCKED(0),
		  CONT(P, P, DW), BLOCKED(0), WAKE(0, 2 * P), BLOCKED(0),
	  } },
	/* ---- UFFDIO_POISON (§2.9) -------------------------------------- */
	{ "poison_anon",
	  .units = 8,
	  .steps = {
		  SRCMAP, MAP(0, 8 * P, RWP, PA), MAP(16 * P, P, RWP, PA),
		  UFFD(0, F_WPU), REG(0, 0, 8 * P, UM | UW),
		  POISON(0, P, 0), POISON(0, P, 0), TOUCH(0, 0),
		  /* over uffd-wp and guard markers: EEXIST */
		  WP(0, P, P, UFFDIO_WRITEPROTECT_MODE_WP), POISON(P, P, 0),
		  MADV(2 * P, P, MADV_GUARD_INSTALL), POISON(2 * P, P, 0),
		  /* pages 3..5 with 4 present: EAGAIN, 4096 */
		  COPY(4 * P, S, P, 0), POISON(3 * P, 3 * P, 0),
		  /* unregistered, no VMA, bad mode */
		  POISON(16 * P, P, 0), POISON(32 * P, P, 0), POISON(6 * P, P, 2),
		  /* COPY later replaces the marker */
		  COPY(0, S, P, 0), TOUCH(0, 0),
	  } },
	{ "poison_shmem",
	  .units = 10,
	  .view = V,
	  .view_units = 8,
	  .files = { SHMEM(8 * P) },
	  .steps = {
		  MAPF(0, 10 * P, RWP, SF, 0, 0), MAPF(V, 8 * P, RWP, SF, 0, 0),
		  WRITE(V, P, 0x42), UFFD(0, 0), REG(0, 0, 10 * P, UM),
		  /* the cache keeps its page; this mapping SIGBUSes */
		  POISON(0, 2 * P, 0), TOUCH(V, 0), TOUCH(0, 0),
		  POISON(8 * P, P, 0), POISON(6 * P, 4 * P, 0),
	  } },
	{ "poison_shmem_private",
	  .units = 10,
	  .files = { SHMEM(8 * P) },
	  .steps = {
		  MAPF(0, 10 * P, RWP, PF, 0, 0), UFFD(0, 0), REG(0, 0, 10 * P, UM),
		  POISON(0, P, 0), TOUCH(0, 0), POISON(9 * P, P, 0),
	  } },
	{ "poison_hugetlb",
	  .region = 8 * H,
	  .unit = H,
	  .units = 4,
	  .files = { HUGE(4 * H) },
	  .steps = {
		  MAPF(0, 4 * H, RWP, SF, 0, 0), UFFD(0, 0),
		  REG(0, 0, 4 * H, UM | UW),
		  POISON(0, P, 0), POISON(0, H, 0), POISON(0, H, 0),
		  /* a hugetlb uffd-wp marker is refused */
		  WP(0, H, H, UFFDIO_WRITEPROTECT_MODE_WP), POISON(H, H, 0),
		  POISON(2 * H, 2 * H, 0), TOUCH(0, 0),
	  } },
	{ "poison_wake",
	  .units = 4,
	  .steps = {
		  MAP(0, 4 * P, RWP, PA), UFFD(0, 0), REG(0, 0, 4 * P, UM),
		  FAULT(0, 2 * P), POISON(0, 2 * P, 0), BLOCKED(0),
		  POISON(2 * P, P, DW), BLOCKED(0),
		  /* woken, the read faults again on the marker: SIGBUS */
		  WAKE(2 * P, P), JOIN(0),
	  } },
};

/* ------------------------------------------------------------------------ */
/* Observations.                                                            */
/* ------------------------------------------------------------------------ */

/* One observed page. */
struct page_obs {
	__u64 flags;
	unsigned int csum;
	unsigned char zero;
};

/* What one side saw after one step. */
struct obs {
	bool done;
	long ret;
	__s64 field;
	struct page_obs page[MAX_UNITS];
};

static unsigned long case_region(const struct mcase *c)
{
	return c->region ? c->region : 4UL << 20;
}

static unsigned long case_unit(const struct mcase *c)
{
	return c->unit ? c->unit : P;
}

static unsigned long step_addr(unsigned long base, const struct step *st)
{
	return st->at == AT_ABS ? st->off : base + st->off;
}

static unsigned long step_src(unsigned long base, const struct step *st)
{
	return st->src_abs ? st->off2 : base + st->off2;
}

/* FNV-1a over a page. */
static unsigned int page_csum(const unsigned char *p)
{
	unsigned int h = 2166136261u;

	for (unsigned long i = 0; i < P; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static unsigned long fill_cmd(enum fop op)
{
	static const unsigned long cmd[] = { UFFDIO_COPY, UFFDIO_ZEROPAGE,
					     UFFDIO_CONTINUE, UFFDIO_POISON };

	return cmd[op];
}

/* The fill's argument in @buf; returns its size and the field's offset. */
static size_t build_fill(const struct step *st, unsigned long base,
			 unsigned char *buf, size_t *field_off)
{
	unsigned long dst = step_addr(base, st);

	if (st->b == F_COPY) {
		struct uffdio_copy c = { dst, step_src(base, st), st->len,
					 st->a, SENTINEL };

		memcpy(buf, &c, sizeof(c));
		*field_off = offsetof(struct uffdio_copy, copy);
		return sizeof(c);
	}
	/* ZEROPAGE, CONTINUE and POISON share one layout */
	{
		struct uffdio_zeropage z = { { dst, st->len },
					     st->a,
					     SENTINEL };

		memcpy(buf, &z, sizeof(z));
		*field_off = offsetof(struct uffdio_zeropage, zeropage);
		return sizeof(z);
	}
}

/* ------------------------------------------------------------------------ */
/* The live side: runs in a forked child (live_child_run()).                */
/* ------------------------------------------------------------------------ */

struct live_fault {
	pthread_t thread;
	struct live *l;
	unsigned long addr;
	const struct step *fill;
	atomic_int tid;
	atomic_bool done;
	struct obs result;
	bool used;
};

struct live {
	const struct mcase *c;
	unsigned long base;
	int files[MAX_FILES];
	int ctx[MAX_CTX];
	int mem_fd;
	int pagemap_fd;
	int kpageflags_fd;
	struct live_fault faults[MAX_FAULTS];
	pthread_t event_thread;
	unsigned long event_addr, event_len;
	bool event;
};

static long live_touch(unsigned long addr, bool write);
static void live_fill(struct live *l, const struct step *st, struct obs *o);

static void *live_fault_thread(void *arg)
{
	struct live_fault *f = arg;

	atomic_store(&f->tid, gettid());
	f->result.field = SENTINEL;
	if (f->fill)
		live_fill(f->l, f->fill, &f->result);
	else
		f->result.ret = live_touch(f->addr, false);
	atomic_store(&f->done, true);
	return NULL;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Is the thread asleep in handle_userfault()? The ioctl that would have
 * woken it has returned, so a woken thread is runnable (or done) by now.
 */
static bool live_in_userfault(int tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool sleeping = false;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sleeping = p[1] == ' ' && p[2] == 'S';
	fclose(f);
	if (!sleeping)
		return false;
	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	sleeping = fgets(buf, sizeof(buf), f) &&
		   !strncmp(buf, "handle_userfault", 16);
	fclose(f);
	return sleeping;
}

/*
 * A message as a number: a fault's address from @base | its flags; an
 * event's code << 8 (never page-aligned); or -errno.
 */
static long msg_value(const struct uffd_msg *msg, unsigned long base)
{
	if (msg->event != UFFD_EVENT_PAGEFAULT)
		return (long)msg->event << 8;
	return (long)(msg->arg.pagefault.address - base) |
	       (long)msg->arg.pagefault.flags;
}

/* Waits until @fd has a message and reads it (msg_value()). */
static long live_read_msg(int fd, unsigned long base)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, 5000) != 1)
		return -ETIMEDOUT;
	if (read(fd, &msg, sizeof(msg)) != sizeof(msg))
		return -errno;
	return msg_value(&msg, base);
}

static void *live_event_thread(void *arg)
{
	struct live *l = arg;

	madvise((void *)l->event_addr, l->event_len, MADV_DONTNEED);
	return NULL;
}

struct touch {
	unsigned long addr;
	bool write;
};

static void touch_do(void *arg)
{
	const struct touch *t = arg;

	if (t->write)
		*(volatile char *)t->addr = *(volatile char *)t->addr;
	else
		(void)*(volatile char *)t->addr;
}

/* An access at @addr: 0, or the SIGBUS/SIGSEGV it raised in this thread. */
static long live_touch(unsigned long addr, bool write)
{
	struct touch t = { addr, write };

	return live_catch(touch_do, &t);
}

static void live_fill(struct live *l, const struct step *st, struct obs *o)
{
	unsigned char buf[64] __attribute__((aligned(8)));
	size_t foff, size = build_fill(st, l->base, buf, &foff);
	unsigned long uaddr = l->base + st->argoff;
	int fd = l->ctx[st->ctx];

	if (!st->argoff) {
		o->ret = live_ret(ioctl(fd, fill_cmd(st->b), buf));
		memcpy(&o->field, buf + foff, sizeof(o->field));
		return;
	}
	/* placed through /proc/self/mem, whatever the protection */
	(void)!pwrite(l->mem_fd, buf, size, (off_t)uaddr);
	o->ret = live_ret(ioctl(fd, fill_cmd(st->b), (void *)uaddr));
	if (pread(l->mem_fd, &o->field, sizeof(o->field),
		  (off_t)(uaddr + foff)) != sizeof(o->field))
		o->field = UNREADABLE;
}

static long live_uffd(struct live *l, const struct step *st)
{
	struct uffdio_api api = { .api = UFFD_API, .features = st->a };
	int fd = (int)syscall(__NR_userfaultfd,
			      O_CLOEXEC | O_NONBLOCK | (int)st->b);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		return -errno;
	}
	l->ctx[st->ctx] = fd;
	return 0;
}

static void live_step(struct live *l, const struct step *st, struct obs *o)
{
	unsigned long addr = step_addr(l->base, st);
	int fd = l->ctx[st->ctx];

	o->field = SENTINEL;
	switch (st->op) {
	case OP_MAP: {
		long r = live_ret(syscall(
			SYS_mmap, addr, st->len, (int)st->a, (int)st->b,
			st->file >= 0 ? l->files[st->file] : -1, st->off2 * P));

		o->ret = r < 0 ? r : r - (long)l->base;
		break;
	}
	case OP_MPROTECT:
		o->ret = live_ret(mprotect((void *)addr, st->len, (int)st->a));
		break;
	case OP_MADV:
		o->ret = live_ret(madvise((void *)addr, st->len, (int)st->a));
		break;
	case OP_WRITE:
		for (unsigned long i = 0; i < st->len / P; i++)
			memset((void *)(addr + i * P),
			       (int)((st->a + i) & 0xff), P);
		o->ret = 0;
		break;
	case OP_UFFD:
		o->ret = live_uffd(l, st);
		break;
	case OP_REG: {
		struct uffdio_register r = { { addr, st->len }, st->a, 0 };

		o->ret = live_ret(ioctl(fd, UFFDIO_REGISTER, &r));
		break;
	}
	case OP_WP: {
		struct uffdio_writeprotect w = { { addr, st->len }, st->a };

		o->ret = live_ret(ioctl(fd, UFFDIO_WRITEPROTECT, &w));
		break;
	}
	case OP_FILL:
		live_fill(l, st, o);
		break;
	case OP_FAULT:
	case OP_FILL_ASYNC: {
		struct live_fault *f = &l->faults[st->a];

		f->l = l;
		f->addr = addr;
		f->fill = st->op == OP_FILL_ASYNC ? st + 1 : NULL;
		f->used = true;
		atomic_init(&f->done, false);
		pthread_create(&f->thread, NULL, live_fault_thread, f);
		o->ret = live_read_msg(fd, l->base);
		break;
	}
	case OP_MSG:
		o->ret = live_read_msg(fd, l->base);
		break;
	case OP_BLOCKED: {
		struct live_fault *f = &l->faults[st->a];

		o->ret = -ETIMEDOUT;
		for (int ms = 0; ms < WOKEN_MS; ms++) {
			if (atomic_load(&f->done)) {
				o->ret = 0;
				break;
			}
			if (live_in_userfault(atomic_load(&f->tid))) {
				o->ret = 1;
				break;
			}
			msleep(1);
		}
		break;
	}
	case OP_JOIN: {
		struct live_fault *f = &l->faults[st->a];

		o->ret = -ETIMEDOUT;
		for (int ms = 0; ms < WOKEN_MS; ms++) {
			if (atomic_load(&f->done)) {
				pthread_join(f->thread, NULL);
				f->used = false;
				o->ret = f->result.ret;
				o->field = f->result.field;
				break;
			}
			msleep(1);
		}
		break;
	}
	case OP_WAKE: {
		struct uffdio_range r = { addr, st->len };

		o->ret = live_ret(ioctl(fd, UFFDIO_WAKE, &r));
		break;
	}
	case OP_EVENT:
		l->event_addr = addr;
		l->event_len = st->len;
		l->event = true;
		pthread_create(&l->event_thread, NULL, live_event_thread, l);
		{
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			o->ret = poll(&pfd, 1, 5000) == 1 ? 0 : -ETIMEDOUT;
		}
		break;
	case OP_EVENT_END:
		o->ret = live_read_msg(fd, l->base) == (long)UFFD_EVENT_REMOVE
							       << 8 ?
				 0 :
				 -EIO;
		pthread_join(l->event_thread, NULL);
		l->event = false;
		break;
	case OP_TOUCH:
		o->ret = live_touch(addr, st->a);
		break;
	case OP_TRUNC:
		o->ret =
			live_ret(ftruncate(l->files[st->file], (off_t)st->len));
		break;
	}
}

/* pagemap, zero page and bytes of one page, as /proc/self shows them. */
static void live_page(struct live *l, unsigned long addr, struct page_obs *p)
{
	unsigned char buf[P];
	uint64_t pm, kf = 0;

	memset(p, 0, sizeof(*p));
	if (live_pagemap(l->pagemap_fd, addr, &pm, 1))
		return;
	p->flags = pm & LIVE_PM_COMPARED;
	if (!(pm & UFFDOPS_PM_PRESENT))
		return;
	if ((pm & UFFDOPS_PM_PFN_MASK) &&
	    pread(l->kpageflags_fd, &kf, sizeof(kf),
		  (off_t)((pm & UFFDOPS_PM_PFN_MASK) * 8)) == sizeof(kf))
		p->zero = (kf >> KPF_ZERO_PAGE) & 1;
	if (pread(l->mem_fd, buf, P, (off_t)addr) == (ssize_t)P)
		p->csum = page_csum(buf);
}

/* The address of observed page @i: the first window, then the view's. */
static unsigned long unit_addr(const struct mcase *c, unsigned long base,
			       unsigned int i)
{
	if (i < c->units)
		return base + i * case_unit(c);
	return base + c->view + (i - c->units) * case_unit(c);
}

static unsigned int case_units(const struct mcase *c)
{
	unsigned int n = c->units + c->view_units;

	return n < MAX_UNITS ? n : MAX_UNITS;
}

static void live_pages(struct live *l, const struct step *st, struct obs *o)
{
	if (st->racy)
		return;
	for (unsigned int i = 0; i < case_units(l->c); i++)
		live_page(l, unit_addr(l->c, l->base, i), &o->page[i]);
}

/* Play case @arg in this freshly forked process; see live_child_fn. */
static int live_run(const void *arg, void *res, char *why, size_t size)
{
	const struct mcase *c = arg;
	struct obs *obs = res;
	struct live l = { .c = c, .base = REGION_BASE };
	int r;

	live_catch_setup();
	for (int i = 0; i < MAX_CTX; i++)
		l.ctx[i] = -1;
	l.mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	l.pagemap_fd = live_pagemap_open();
	l.kpageflags_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	r = l.mem_fd < 0 ? -errno : l.pagemap_fd;
	if (r >= 0)
		r = live_files_open(c->files, MAX_FILES, l.files);
	if (r < 0) {
		snprintf(why, size, "setting up: %s", strerror(-r));
		return LIVE_FAILED;
	}
	if (!live_region_free(l.base, case_region(c))) {
		snprintf(why, size, "the region is in use in the live process");
		return LIVE_SKIPPED;
	}
	for (int i = 0; i < MAX_STEPS && c->steps[i].op != OP_END; i++) {
		/* the fill after OP_FILL_ASYNC runs in the slot's thread */
		if (!i || c->steps[i - 1].op != OP_FILL_ASYNC)
			live_step(&l, &c->steps[i], &obs[i]);
		else
			obs[i].field = SENTINEL;
		live_pages(&l, &c->steps[i], &obs[i]);
		obs[i].done = true;
	}
	/* finished threads are joined; blocked ones end with exit_group() */
	for (int i = 0; i < MAX_FAULTS; i++)
		if (l.faults[i].used && atomic_load(&l.faults[i].done))
			pthread_join(l.faults[i].thread, NULL);
	return LIVE_RAN;
}

/* ------------------------------------------------------------------------ */
/* The model side.                                                          */
/* ------------------------------------------------------------------------ */

struct model_fault {
	pthread_t thread;
	struct model *m;
	unsigned long addr;
	unsigned long msg_addr;
	const struct step *fill;
	atomic_bool done;
	struct obs result;
	bool used;
};

struct model {
	const struct mcase *c;
	unsigned long base;
	struct uffdops_mm *mm;
	struct uffdops_file *files[MAX_FILES];
	struct uffdops_ctx *ctx[MAX_CTX];
	struct model_fault faults[MAX_FAULTS];
};

static long model_touch(struct uffdops_mm *mm, unsigned long addr, bool write);
static void model_fill(struct model *m, const struct step *st, struct obs *o);

/* As live_fault_thread(): it blocks in the model's fault path. */
static void *model_fault_thread(void *arg)
{
	struct model_fault *f = arg;

	f->result.field = SENTINEL;
	if (f->fill)
		model_fill(f->m, f->fill, &f->result);
	else
		f->result.ret = model_touch(f->m->mm, f->addr, false);
	atomic_store(&f->done, true);
	return NULL;
}

/*
 * As live_in_userfault(): a wake takes the waiter off the context's queues
 * before the ioctl returns, so a waiter still queued (at the address of the
 * slot's last message) is blocked; one that is not finishes shortly.
 */
static long model_blocked(struct uffdops_ctx *ctx, struct model_fault *f)
{
	for (int ms = 0; ms < WOKEN_MS; ms++) {
		struct userfaultfd_wait_queue *uwq;
		bool queued = false;

		if (atomic_load(&f->done))
			return 0;
		pthread_mutex_lock(&ctx->wqh_lock);
		TAILQ_FOREACH(uwq, &ctx->fault_pending_wqh, link)
			queued |= uwq->msg.arg.pagefault.address == f->msg_addr;
		TAILQ_FOREACH(uwq, &ctx->fault_wqh, link)
			queued |= uwq->msg.arg.pagefault.address == f->msg_addr;
		pthread_mutex_unlock(&ctx->wqh_lock);
		if (queued)
			return 1;
		msleep(1);
	}
	return -ETIMEDOUT;
}

/* As live_read_msg(). */
static long model_read_msg(struct uffdops_ctx *ctx, unsigned long base)
{
	struct uffd_msg msg;

	if (!(uffdops_poll(ctx, 5000) & POLLIN))
		return -ETIMEDOUT;
	if (uffdops_read(ctx, &msg, sizeof(msg)) != sizeof(msg))
		return -EIO;
	return msg_value(&msg, base);
}

static void model_fill(struct model *m, const struct step *st, struct obs *o)
{
	unsigned char buf[64] __attribute__((aligned(8)));
	size_t foff, size = build_fill(st, m->base, buf, &foff);
	unsigned long uaddr = m->base + st->argoff;
	struct uffdops_ctx *ctx = m->ctx[st->ctx];

	if (!st->argoff) {
		o->ret = uffdops_ioctl(ctx, fill_cmd(st->b), buf);
		memcpy(&o->field, buf + foff, sizeof(o->field));
		return;
	}
	(void)uffdops_write_mem(m->mm, uaddr, buf, size, UFFDOPS_ACCESS_FORCE);
	o->ret = uffdops_ioctl_uaddr(ctx, fill_cmd(st->b), uaddr);
	if (uffdops_read_mem(m->mm, uaddr + foff, &o->field, sizeof(o->field),
			     UFFDOPS_ACCESS_FORCE) != sizeof(o->field))
		o->field = UNREADABLE;
}

static long model_touch(struct uffdops_mm *mm, unsigned long addr, bool write)
{
	int r = uffdops_handle_mm_fault(
		mm, addr, FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0));

	if (r & VM_FAULT_SIGSEGV)
		return SIGSEGV;
	return r ? SIGBUS : 0;
}

static long model_write(struct model *m, unsigned long addr,
			const struct step *st)
{
	static unsigned char page[P];

	for (unsigned long i = 0; i < st->len / P; i++) {
		memset(page, (int)((st->a + i) & 0xff), P);
		if (uffdops_write_mem(m->mm, addr + i * P, page, P, 0) !=
		    (ssize_t)P)
			return -EFAULT;
	}
	return 0;
}

static void model_step(struct model *m, const struct step *st, struct obs *o)
{
	unsigned long addr = step_addr(m->base, st);
	struct uffdops_ctx *ctx = m->ctx[st->ctx];

	o->field = SENTINEL;
	switch (st->op) {
	case OP_MAP: {
		long r = uffdops_mmap(m->mm, addr, st->len, (int)st->a,
				      (int)st->b,
				      st->file >= 0 ? m->files[st->file] : NULL,
				      st->off2);

		o->ret = r < 0 ? r : r - (long)m->base;
		break;
	}
	case OP_MPROTECT:
		o->ret = uffdops_mprotect(m->mm, addr, st->len, (int)st->a);
		break;
	case OP_MADV:
		o->ret = uffdops_madvise(m->mm, addr, st->len, (int)st->a);
		break;
	case OP_WRITE:
		o->ret = model_write(m, addr, st);
		break;
	case OP_UFFD: {
		struct uffdio_api api = { .api = UFFD_API, .features = st->a };

		o->ret = uffdops_userfaultfd(
			m->mm, O_CLOEXEC | O_NONBLOCK | (int)st->b,
			&m->ctx[st->ctx]);
		if (!o->ret)
			o->ret = uffdops_ioctl(m->ctx[st->ctx], UFFDIO_API,
					       &api);
		break;
	}
	case OP_REG: {
		struct uffdio_register r = { { addr, st->len }, st->a, 0 };

		o->ret = uffdops_ioctl(ctx, UFFDIO_REGISTER, &r);
		break;
	}
	case OP_WP: {
		struct uffdio_writeprotect w = { { addr, st->len }, st->a };

		o->ret = uffdops_ioctl(ctx, UFFDIO_WRITEPROTECT, &w);
		break;
	}
	case OP_FILL:
		model_fill(m, st, o);
		break;
	case OP_FAULT:
	case OP_FILL_ASYNC: {
		struct model_fault *f = &m->faults[st->a];

		f->m = m;
		f->addr = addr;
		f->fill = st->op == OP_FILL_ASYNC ? st + 1 : NULL;
		f->used = true;
		atomic_init(&f->done, false);
		pthread_create(&f->thread, NULL, model_fault_thread, f);
		o->ret = model_read_msg(ctx, m->base);
		f->msg_addr = m->base + ((unsigned long)o->ret & PAGE_MASK);
		break;
	}
	case OP_MSG: {
		struct model_fault *f = &m->faults[st->a];

		o->ret = model_read_msg(ctx, m->base);
		f->msg_addr = m->base + ((unsigned long)o->ret & PAGE_MASK);
		break;
	}
	case OP_BLOCKED:
		o->ret = model_blocked(ctx, &m->faults[st->a]);
		break;
	case OP_JOIN: {
		struct model_fault *f = &m->faults[st->a];

		o->ret = -ETIMEDOUT;
		for (int ms = 0; ms < WOKEN_MS; ms++) {
			if (atomic_load(&f->done)) {
				pthread_join(f->thread, NULL);
				f->used = false;
				o->ret = f->result.ret;
				o->field = f->result.field;
				break;
			}
			msleep(1);
		}
		break;
	}
	case OP_WAKE: {
		struct uffdio_range r = { addr, st->len };

		o->ret = uffdops_ioctl(ctx, UFFDIO_WAKE, &r);
		break;
	}
	case OP_EVENT:
		/* stands in for the REMOVE event the live madvise() holds */
		atomic_fetch_add(&ctx->mmap_changing, 1);
		o->ret = 0;
		break;
	case OP_EVENT_END:
		atomic_fetch_sub(&ctx->mmap_changing, 1);
		o->ret = 0;
		break;
	case OP_TOUCH:
		o->ret = model_touch(m->mm, addr, st->a);
		break;
	case OP_TRUNC:
		o->ret = uffdops_file_truncate(m->files[st->file], st->len);
		break;
	}
}

static void model_pages(struct model *m, const struct step *st, struct obs *o)
{
	static unsigned char buf[P];

	if (st->racy)
		return;
	for (unsigned int i = 0; i < case_units(m->c); i++) {
		unsigned long addr = unit_addr(m->c, m->base, i);
		struct uffdops_pagemap_entry e;
		struct page_obs *p = &o->page[i];

		memset(p, 0, sizeof(*p));
		uffdops_pagemap(m->mm, addr, &e);
		p->flags = e.bits & LIVE_PM_COMPARED;
		if (!(e.bits & UFFDOPS_PM_PRESENT))
			continue;
		p->zero = e.zero_page;
		if (uffdops_read_mem(m->mm, addr, buf, P,
				     UFFDOPS_ACCESS_NOFAULT |
					     UFFDOPS_ACCESS_FORCE) ==
		    (ssize_t)P)
			p->csum = page_csum(buf);
	}
}

static int model_run(const struct mcase *c, struct obs *res)
{
	struct model m = { .c = c, .base = REGION_BASE };
	int r;

	r = live_mm_create(&m.mm);
	if (r)
		return r;
	r = live_model_files_open(c->files, MAX_FILES, m.files);
	for (int i = 0; !r && i < MAX_STEPS && c->steps[i].op != OP_END; i++) {
		if (!i || c->steps[i - 1].op != OP_FILL_ASYNC)
			model_step(&m, &c->steps[i], &res[i]);
		else
			res[i].field = SENTINEL;
		model_pages(&m, &c->steps[i], &res[i]);
		res[i].done = true;
	}
	/* release wakes every thread still blocked */
	for (int i = 0; i < MAX_CTX; i++)
		uffdops_close(m.ctx[i]);
	for (int i = 0; i < MAX_FAULTS; i++)
		if (m.faults[i].used)
			pthread_join(m.faults[i].thread, NULL);
	uffdops_mm_destroy(m.mm);
	live_model_files_close(m.files, MAX_FILES);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Comparison and reporting.                                                */
/* ------------------------------------------------------------------------ */

static const char *const op_names[] = {
	[OP_MAP] = "mmap",
	[OP_MPROTECT] = "mprotect",
	[OP_MADV] = "madvise",
	[OP_WRITE] = "write",
	[OP_UFFD] = "userfaultfd",
	[OP_REG] = "UFFDIO_REGISTER",
	[OP_WP] = "UFFDIO_WRITEPROTECT",
	[OP_FILL] = "fill",
	[OP_FAULT] = "fault",
	[OP_FILL_ASYNC] = "fill in a thread",
	[OP_MSG] = "read message",
	[OP_BLOCKED] = "blocked?",
	[OP_JOIN] = "join",
	[OP_WAKE] = "UFFDIO_WAKE",
	[OP_EVENT] = "event in flight",
	[OP_EVENT_END] = "event read",
	[OP_TOUCH] = "touch",
	[OP_TRUNC] = "ftruncate",
};

static const char *const fop_names[] = { "UFFDIO_COPY", "UFFDIO_ZEROPAGE",
					 "UFFDIO_CONTINUE", "UFFDIO_POISON" };

static void describe_step(const struct step *st, char *buf, size_t size)
{
	if (st->op == OP_FILL)
		snprintf(
			buf, size,
			"%s(uffd%u, dst %s%#lx, src %s%#lx, len %#lx, mode %#llx%s)",
			fop_names[st->b], st->ctx,
			st->at == AT_ABS ? "" : "base+", st->off,
			st->src_abs ? "" : "base+", st->off2, st->len,
			(unsigned long long)st->a,
			st->argoff ? ", arg in the region" : "");
	else
		snprintf(buf, size, "%s(%#lx, %#lx, %#llx, %#llx)",
			 op_names[st->op], st->off, st->len,
			 (unsigned long long)st->a, (unsigned long long)st->b);
}

static void print_obs(const char *side, const struct mcase *c,
		      const struct obs *o)
{
	printf("      %s: ret %ld field %lld pages", side, o->ret,
	       (long long)o->field);
	for (unsigned int i = 0; i < case_units(c); i++) {
		const struct page_obs *p = &o->page[i];

		printf("%s[%s%s%s%s%s%s%s %08x]", i == c->units ? " | " : " ",
		       p->flags & UFFDOPS_PM_PRESENT ? "p" : "-",
		       p->flags & UFFDOPS_PM_SWAP ? "s" : "",
		       p->flags & UFFDOPS_PM_FILE ? "f" : "",
		       p->flags & UFFDOPS_PM_UFFD_WP ? "w" : "",
		       p->flags & UFFDOPS_PM_MMAP_EXCLUSIVE ? "x" : "",
		       p->flags & UFFDOPS_PM_GUARD_REGION ? "g" : "",
		       p->zero ? "0" : "", p->csum);
	}
	printf("\n");
}

static bool obs_equal(const struct mcase *c, const struct obs *a,
		      const struct obs *b)
{
	if (a->done != b->done || a->ret != b->ret || a->field != b->field)
		return false;
	for (unsigned int i = 0; i < case_units(c); i++)
		if (a->page[i].flags != b->page[i].flags ||
		    a->page[i].zero != b->page[i].zero ||
		    a->page[i].csum != b->page[i].csum)
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
} env = { .suite = { .name = "mfill conformance", .noun = "cases" } };

static int suite_setup(void **state)
{
	(void)state;
	env.verbose = getenv("MFILL_VERBOSE") != NULL;
	if (live_suite_setup(&env.suite, 0, H, HUGE_PAGES_WANTED,
			     HUGE_PAGES_WANTED))
		return -1;
	if (!env.suite.skip && access("/proc/kpageflags", R_OK)) {
		env.suite.skip =
			"/proc/kpageflags is not readable (needs root): the zero page cannot be recognized";
		live_say(&env.suite, "%s: every case will be skipped",
			 env.suite.skip);
	}
	return 0;
}

static int suite_teardown(void **state)
{
	(void)state;
	live_suite_teardown(&env.suite);
	return 0;
}

static void run_case(void **state)
{
	const struct mcase *c = *state;
	int nsteps = 0, nbad = 0, r;

	live_suite_check(&env.suite, c->name,
			 live_files_use(c->files, MAX_FILES, "hugetlb"),
			 live_files_use(c->files, MAX_FILES, "file"));
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
		bool ok = obs_equal(c, &env.live_res[i], &env.model_res[i]);
		char d[200];

		if (ok && !env.verbose)
			continue;
		describe_step(&c->steps[i], d, sizeof(d));
		live_step_print(c->name, i, d, ok, &nbad);
		print_obs("live ", c, &env.live_res[i]);
		print_obs("model", c, &env.model_res[i]);
	}
	live_suite_verdict(&env.suite, c->name, nbad, nsteps);
}

int main(void)
{
	return LIVE_SUITE_MAIN("mfill_live", "MFILL_FILTER", cases, run_case,
			       suite_setup, suite_teardown);
}
