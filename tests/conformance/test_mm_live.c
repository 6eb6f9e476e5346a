/* SPDX-License-Identifier: MIT */
/*
 * test_mm_live.c - the simulated address space against the live kernel.
 *
 * Each sequence below is a list of steps (mmap, munmap, mremap, mprotect,
 * madvise, ftruncate, fork, child exit, reads and writes of whole pages). One
 * runner plays a sequence twice:
 *  - live: in a forked child process, with the region at a fixed address far
 *    from everything the process maps, so the layout is the sequence's alone;
 *    a FORK step forks a grandchild and the two processes take turns by
 *    passing a token through pipes; results go to shared memory;
 *  - model: on a fresh uffdops_mm at the same address (uffdops_fork() for a
 *    FORK step).
 * After every step both sides record an observation: the return value (an
 * address as an offset into the region, or "elsewhere"), or the errno; the
 * VMAs that meet the region (boundaries, rwxp/s, anonymous or file, pgoff)
 * as /proc/self/maps and uffdops_maps() list them; the pagemap bits of every
 * page of the region (present 63, swap 62, file/shared-anon 61, guard 58,
 * uffd-wp 57, exclusive 56; never the PFN) from /proc/self/pagemap and
 * uffdops_pagemap(); for reads and writes, the signal each page raised and a
 * hash of each page read. Every field must agree, step by step.
 *
 * Where the live kernel does something the model deliberately leaves out
 * (docs/differences.md), the live side is steered out of it: regular-file
 * mappings get MADV_RANDOM so that the kernel does no read-around.
 *
 * One cmocka test per sequence; the last line printed is the tally
 * "mm conformance: N sequences compared with the live kernel, M agree (K
 * skipped)". Set MM_LIVE_VERBOSE=1 to print every step's observations,
 * MM_LIVE_FILTER=<glob> to run some.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <uffdops/uffdops.h>

#include "../lib/live.h"

#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define P 4096UL
#define H (2UL << 20)

/*
 * Where the sequences map: far below where mmap() places things top-down and
 * above a PIE program's heap, and inside the application memory of ASan
 * (below 0x7fff8000) and TSan (below 0x8000000000) builds.
 */
#define REGION_BASE 0x40000000UL
#define DEFAULT_REGION (64 * P)
#define MAX_REGION_PAGES 2048 /* 8 MiB: four huge pages */
#define MAX_STEPS 40
#define MAX_FILES 3
#define MAX_VMAS 24
#define MAX_VAR_PAGES 64

/* Huge pages the suite wants free while it runs. */
#define HUGE_PAGES_WANTED 16
#define HUGE_PAGES_NEEDED 8

/* A seconds budget for one live sequence (both processes). */
#define LIVE_TIMEOUT 20

/* An address returned outside the region: compared as such, not by value. */
#define RET_ELSEWHERE LONG_MAX

enum op {
	OP_END,
	OP_MMAP,
	OP_MUNMAP,
	OP_MREMAP,
	OP_MPROTECT,
	OP_MADVISE,
	OP_TRUNCATE,
	OP_FORK,
	OP_EXIT,
	OP_WRITE,
	OP_READ,
	OP_OBSERVE,
};

enum who {
	BY_PARENT,
	BY_CHILD
};

/* What a step's address is relative to. */
enum at {
	AT_BASE, /* the region's base */
	AT_VAR, /* the last address an mmap/mremap returned outside the region */
	AT_ABS, /* an absolute address (0 = no hint) */
};

/**
 * struct step - one call of a sequence.
 * @op: enum op.
 * @who: the process that makes it (after a FORK).
 * @at: enum at, what @off is relative to.
 * @file: index into the sequence's files, -1 for none.
 * @off: the address, relative to @at.
 * @len: length (mremap: old_len; truncate: the new size).
 * @len2: mremap new_len.
 * @off2: mmap pgoff; mremap new address relative to the base.
 * @arg: prot, advice, or the byte a write starts from.
 * @arg2: mmap or mremap flags.
 */
struct step {
	unsigned char op;
	unsigned char who;
	unsigned char at;
	signed char file;
	unsigned long off;
	unsigned long len;
	unsigned long len2;
	unsigned long off2;
	long arg;
	long arg2;
};

/**
 * struct seq - one sequence.
 * @name: the cmocka test name.
 * @region: its region's size (0: DEFAULT_REGION).
 * @files: files created before the first step: "shmem" (memfd), "hugetlb"
 *	(memfd MFD_HUGETLB), "file" (a regular file on a disk filesystem) or
 *	"ro" (file @ro_of opened O_RDONLY).
 * @steps: the calls, up to the first OP_END.
 */
struct seq {
	const char *name;
	unsigned long region;
	struct live_file files[MAX_FILES];
	struct step steps[MAX_STEPS];
};

/* ------------------------------------------------------------------------ */
/* The sequences.                                                           */
/* ------------------------------------------------------------------------ */

/* The table reads best as laid out by hand. */
/* clang-format off */
#define RW (PROT_READ | PROT_WRITE)
#define RO PROT_READ
#define RX (PROT_READ | PROT_EXEC)
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)
#define SA (MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED)
#define PF (MAP_PRIVATE | MAP_FIXED)
#define SF (MAP_SHARED | MAP_FIXED)
#define HT MAP_HUGETLB
#define MV MREMAP_MAYMOVE
#define FX (MREMAP_MAYMOVE | MREMAP_FIXED)

/* Modifiers appended to a step: who makes it, what its address is. */
#define CHILD .who = BY_CHILD
#define VAR .at = AT_VAR
#define ABS .at = AT_ABS

#define MMAP(o, l, pr, fl, ...)                                          \
	{ .op = OP_MMAP, .off = (o), .len = (l), .arg = (pr), .arg2 = (fl), \
	  .file = -1, __VA_ARGS__ }
#define MMAPF(o, l, pr, fl, f, pg, ...)                                  \
	{ .op = OP_MMAP, .off = (o), .len = (l), .arg = (pr), .arg2 = (fl), \
	  .file = (f), .off2 = (pg), __VA_ARGS__ }
#define MUNMAP(o, l, ...)                                                \
	{ .op = OP_MUNMAP, .off = (o), .len = (l), .file = -1, __VA_ARGS__ }
#define MREMAP(o, ol, nl, fl, no, ...)                                   \
	{ .op = OP_MREMAP, .off = (o), .len = (ol), .len2 = (nl),        \
	  .arg2 = (fl), .off2 = (no), .file = -1, __VA_ARGS__ }
#define MPROT(o, l, pr, ...)                                             \
	{ .op = OP_MPROTECT, .off = (o), .len = (l), .arg = (pr),        \
	  .file = -1, __VA_ARGS__ }
#define MADV(o, l, a, ...)                                               \
	{ .op = OP_MADVISE, .off = (o), .len = (l), .arg = (a), .file = -1, \
	  __VA_ARGS__ }
#define TRUNC(f, sz) { .op = OP_TRUNCATE, .file = (f), .len = (sz) }
#define WR(o, l, v, ...)                                                 \
	{ .op = OP_WRITE, .off = (o), .len = (l), .arg = (v), .file = -1, \
	  __VA_ARGS__ }
#define RD(o, l, ...)                                                    \
	{ .op = OP_READ, .off = (o), .len = (l), .file = -1, __VA_ARGS__ }
#define OBS(...) { .op = OP_OBSERVE, .file = -1, __VA_ARGS__ }
#define FORK() { .op = OP_FORK, .file = -1 }
#define EXIT() { .op = OP_EXIT, .who = BY_CHILD, .file = -1 }

#define SHMEM(sz) { .type = "shmem", .size = (sz) }
#define HUGEFILE(sz) { .type = "hugetlb", .size = (sz) }
#define REGFILE(sz) { .type = "file", .size = (sz) }
#define RDONLY(of) { .type = "ro", .ro_of = (of) }

static const struct seq seqs[] = {
	/* ---- anonymous private memory: faults, splits, merges, holes ---- */
	{ "anon_read_then_write",
	  .steps = { MMAP(0, 8 * P, RW, PA), RD(0, 2 * P),
		     WR(2 * P, 2 * P, 0x10), RD(0, 8 * P), WR(0, P, 0x20),
		     RD(0, 4 * P) } },
	{ "anon_map_populate",
	  .steps = { MMAP(0, 4 * P, RW, PA | MAP_POPULATE),
		     MMAP(8 * P, 4 * P, RO, PA | MAP_POPULATE),
		     RD(8 * P, 4 * P),
		     MMAP(16 * P, 4 * P, PROT_NONE, PA | MAP_POPULATE),
		     RD(16 * P, P) } },
	{ "anon_mprotect_split_merge",
	  .steps = { MMAP(0, 8 * P, RW, PA), WR(0, 8 * P, 1),
		     MPROT(2 * P, 2 * P, RO), WR(2 * P, P, 2),
		     RD(2 * P, 2 * P), MPROT(2 * P, 2 * P, RW),
		     WR(2 * P, P, 3), RD(0, 8 * P) } },
	{ "anon_mprotect_none_keeps_pages",
	  .steps = { MMAP(0, 4 * P, RW, PA), WR(0, 4 * P, 5),
		     MPROT(0, 4 * P, PROT_NONE), RD(0, P),
		     MPROT(0, 4 * P, RO), RD(0, 4 * P), WR(0, P, 6),
		     MPROT(0, 2 * P, RW), WR(0, P, 7), RD(0, 4 * P) } },
	{ "anon_mprotect_exec_edges",
	  .steps = { MMAP(0, 8 * P, RW, PA), MPROT(0, 2 * P, RX),
		     MPROT(6 * P, 2 * P, RWX), MPROT(2 * P, 4 * P, RX),
		     MPROT(6 * P, 2 * P, RX), MPROT(P, 6 * P, RW) } },
	{ "anon_munmap_hole_refill",
	  .steps = { MMAP(0, 8 * P, RW, PA), WR(0, 8 * P, 9),
		     MUNMAP(2 * P, 2 * P), RD(0, 8 * P),
		     MMAP(2 * P, 2 * P, RW, PA), RD(0, 8 * P) } },
	{ "anon_map_fixed_over",
	  .steps = { MMAP(0, 8 * P, RW, PA), WR(0, 8 * P, 4),
		     MMAP(2 * P, 2 * P, RO, PA), RD(0, 8 * P),
		     MMAP(2 * P, 2 * P, RW, PA), RD(0, 8 * P) } },
	{ "anon_fixed_noreplace",
	  .steps = { MMAP(0, 4 * P, RW, PA),
		     MMAP(2 * P, 4 * P, RW, PA | MAP_FIXED_NOREPLACE),
		     MMAP(4 * P, 4 * P, RW,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE),
		     MMAP(4 * P, P, RW,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE),
		     MMAP(12 * P + 8, P, RW,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE) } },
	{ "anon_hint",
	  .steps = { MMAP(4 * P, 4 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS),
		     MMAP(4 * P, 4 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS),
		     WR(0, 4 * P, 0x33, VAR), RD(0, 4 * P, VAR),
		     MMAP(12 * P + 5, P, RW, MAP_PRIVATE | MAP_ANONYMOUS),
		     MMAP(0, 2 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, ABS),
		     RD(0, 2 * P, VAR) } },
	{ "anon_adjacent_merge",
	  .steps = { MMAP(0, 4 * P, RO, PA), MMAP(4 * P, 4 * P, RO, PA),
		     MMAP(8 * P, 4 * P, RW, PA), MPROT(8 * P, 4 * P, RO),
		     MMAP(12 * P, 4 * P, RO, SA) } },
	{ "anon_vma_identity_blocks_merge",
	  .steps = { MMAP(0, 4 * P, RW, PA), WR(0, 4 * P, 1),
		     MMAP(8 * P, 4 * P, RW, PA), WR(8 * P, 4 * P, 2),
		     MREMAP(8 * P, 4 * P, 4 * P, FX, 4 * P), RD(0, 8 * P),
		     MPROT(0, 8 * P, RO), MPROT(0, 8 * P, RW) } },
	{ "anon_unfaulted_move_merges",
	  .steps = { MMAP(0, 4 * P, RW, PA), WR(0, 4 * P, 1),
		     MMAP(8 * P, 4 * P, RW, PA),
		     MREMAP(8 * P, 4 * P, 4 * P, FX, 4 * P), RD(0, 8 * P) } },
	{ "anon_mprotect_hole_partial",
	  .steps = { MMAP(0, 4 * P, RW, PA), MMAP(6 * P, 4 * P, RW, PA),
		     MPROT(0, 10 * P, RO), MPROT(4 * P, 4 * P, RX),
		     MPROT(P, 2 * P, RW), MPROT(6 * P, 2 * P, RW) } },
	{ "anon_munmap_spanning",
	  .steps = { MMAP(0, 4 * P, RO, PA), MMAP(4 * P, 4 * P, RW, PA),
		     MMAP(8 * P, 4 * P, RX, PA), MUNMAP(2 * P, 8 * P),
		     MUNMAP(32 * P, 8 * P), MUNMAP(0, 64 * P) } },
	{ "anon_readonly_write_faults",
	  .steps = { MMAP(0, 2 * P, RO, PA), WR(0, P, 1), RD(0, 2 * P),
		     MPROT(0, 2 * P, RW), WR(0, P, 2), RD(0, 2 * P) } },
	{ "anon_write_only_and_odd_lengths",
	  .steps = { MMAP(0, 2 * P, PROT_WRITE, PA), RD(0, P), WR(0, P, 1),
		     RD(0, 2 * P), MPROT(0, 2 * P, PROT_NONE), RD(0, P),
		     MMAP(8 * P, 5000, RW, PA), RD(8 * P, 3 * P),
		     MUNMAP(8 * P, 5000), MMAP(16 * P, P + 1, RW, SA),
		     RD(16 * P, 3 * P) } },

	/* ---- madvise ---- */
	{ "madv_dontneed_anon",
	  .steps = { MMAP(0, 8 * P, RW, PA), WR(0, 8 * P, 0x40),
		     MADV(2 * P, 2 * P, MADV_DONTNEED), RD(0, 8 * P) } },
	{ "madv_dontneed_shared_anon",
	  .steps = { MMAP(0, 8 * P, RW, SA), WR(0, 8 * P, 0x41),
		     MADV(2 * P, 2 * P, MADV_DONTNEED), RD(0, 8 * P) } },
	{ "madv_remove_memfd",
	  .files = { SHMEM(8 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, SF, 0, 0), WR(0, 8 * P, 0x42),
		     MADV(2 * P, 2 * P, MADV_REMOVE), RD(0, 8 * P),
		     MADV(6 * P, 2 * P, MADV_DONTNEED), RD(6 * P, 2 * P) } },
	{ "madv_remove_refused",
	  .files = { SHMEM(8 * P) },
	  .steps = { MMAP(0, 4 * P, RW, PA), MADV(0, 4 * P, MADV_REMOVE),
		     MMAPF(8 * P, 4 * P, RW, PF, 0, 0),
		     MADV(8 * P, 4 * P, MADV_REMOVE),
		     MMAP(16 * P, 4 * P, RW, SA), WR(16 * P, 4 * P, 0x43),
		     MADV(16 * P, 2 * P, MADV_REMOVE), RD(16 * P, 4 * P),
		     MMAPF(24 * P, 4 * P, RO, SF, 0, 4),
		     MADV(24 * P, 4 * P, MADV_REMOVE) } },
	{ "madv_free",
	  .steps = { MMAP(0, 8 * P, RW, PA), WR(0, 8 * P, 0x44),
		     MADV(0, 4 * P, MADV_FREE), RD(0, 8 * P),
		     MMAP(16 * P, 4 * P, RW, SA), WR(16 * P, 4 * P, 0x45),
		     MADV(16 * P, 4 * P, MADV_FREE), RD(16 * P, 4 * P) } },
	{ "madv_free_then_write",
	  .steps = { MMAP(0, 4 * P, RW, PA), WR(0, 4 * P, 0x48),
		     MADV(0, 4 * P, MADV_FREE), WR(P, P, 0x49),
		     RD(0, 4 * P), MADV(2 * P, 2 * P, MADV_DONTNEED),
		     MADV(0, 4 * P, MADV_FREE), RD(0, 4 * P) } },
	{ "madv_populate_anon",
	  .steps = { MMAP(0, 8 * P, RW, PA),
		     MADV(0, 4 * P, MADV_POPULATE_READ),
		     MADV(4 * P, 4 * P, MADV_POPULATE_WRITE),
		     MMAP(16 * P, 4 * P, RO, PA),
		     MADV(16 * P, 4 * P, MADV_POPULATE_WRITE),
		     MADV(16 * P, 4 * P, MADV_POPULATE_READ),
		     MMAP(24 * P, 4 * P, PROT_NONE, PA),
		     MADV(24 * P, 4 * P, MADV_POPULATE_READ),
		     MADV(40 * P, 4 * P, MADV_POPULATE_READ),
		     MADV(0, 4 * P, MADV_POPULATE_WRITE) } },
	{ "madv_populate_shmem",
	  .files = { SHMEM(8 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, SF, 0, 0),
		     MADV(0, 4 * P, MADV_POPULATE_READ),
		     MADV(4 * P, 4 * P, MADV_POPULATE_WRITE),
		     MMAPF(16 * P, 8 * P, RW, PF, 0, 0),
		     MADV(16 * P, 8 * P, MADV_POPULATE_READ),
		     MADV(16 * P, 2 * P, MADV_POPULATE_WRITE),
		     RD(16 * P, 4 * P) } },
	{ "madv_populate_beyond_eof",
	  .files = { SHMEM(4 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, SF, 0, 0),
		     MADV(0, 8 * P, MADV_POPULATE_READ),
		     MADV(0, 8 * P, MADV_POPULATE_WRITE), RD(0, 8 * P) } },
	{ "madv_guard_anon",
	  .steps = { MMAP(0, 8 * P, RW, PA), WR(0, 8 * P, 0x46),
		     MADV(2 * P, 2 * P, MADV_GUARD_INSTALL), RD(0, 8 * P),
		     WR(2 * P, P, 1), MADV(0, 8 * P, MADV_DONTNEED),
		     RD(0, 4 * P), MADV(2 * P, 2 * P, MADV_GUARD_REMOVE),
		     RD(0, 8 * P), MADV(4 * P, P, MADV_GUARD_INSTALL),
		     MPROT(4 * P, P, RO), MUNMAP(4 * P, P),
		     MMAP(4 * P, P, RW, PA), RD(4 * P, P) } },
	{ "madv_guard_shmem",
	  .files = { SHMEM(8 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, SF, 0, 0), WR(0, 8 * P, 0x47),
		     MADV(2 * P, 2 * P, MADV_GUARD_INSTALL), RD(0, 8 * P),
		     MADV(2 * P, 2 * P, MADV_GUARD_REMOVE), RD(0, 8 * P) } },
	{ "madv_bad_args",
	  .steps = { MMAP(0, 4 * P, RW, PA), MMAP(8 * P, 4 * P, RW, PA),
		     MADV(P + 1, P, MADV_DONTNEED), MADV(0, 0, MADV_DONTNEED),
		     MADV(0, P, 999), MADV(0, -P, MADV_DONTNEED),
		     WR(0, 4 * P, 1), WR(8 * P, 4 * P, 2),
		     MADV(0, 12 * P, MADV_DONTNEED), RD(0, 12 * P),
		     MADV(20 * P, 4 * P, MADV_DONTNEED),
		     MADV(0, 12 * P, MADV_POPULATE_WRITE) } },
	{ "madv_dontneed_private_memfd",
	  .files = { SHMEM(4 * P) },
	  .steps = { MMAPF(0, 4 * P, RW, SF, 0, 0), WR(0, 4 * P, 0x50),
		     MMAPF(8 * P, 4 * P, RW, PF, 0, 0), RD(8 * P, 4 * P),
		     WR(8 * P, 2 * P, 0x60), RD(8 * P, 4 * P),
		     MADV(8 * P, 4 * P, MADV_DONTNEED), RD(8 * P, 4 * P) } },
	{ "madv_dontneed_locked",
	  .steps = { MMAP(0, 4 * P, RW, PA), WR(0, 4 * P, 0x51),
		     MADV(P, 2 * P, MADV_DONTNEED_LOCKED), RD(0, 4 * P),
		     MMAP(8 * P, 4 * P, RW, SA), WR(8 * P, 4 * P, 0x52),
		     MADV(8 * P, 4 * P, MADV_DONTNEED_LOCKED),
		     RD(8 * P, 4 * P) } },
	{ "madv_populate_private_readonly_file",
	  .files = { SHMEM(4 * P), RDONLY(0) },
	  .steps = { MMAPF(0, 4 * P, RW, PF, 1, 0),
		     MADV(0, 2 * P, MADV_POPULATE_WRITE),
		     MADV(0, 4 * P, MADV_POPULATE_READ),
		     MMAPF(8 * P, 4 * P, RO, SF, 1, 0), RD(8 * P, 4 * P),
		     RD(0, 4 * P) } },

	/* ---- shmem: memfd and MAP_SHARED|MAP_ANONYMOUS ---- */
	{ "memfd_two_shared_views",
	  .files = { SHMEM(16 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, SF, 0, 0), WR(0, 4 * P, 0x70),
		     MMAPF(16 * P, 8 * P, RW, SF, 0, 0), RD(17 * P, P),
		     RD(16 * P, 8 * P), WR(20 * P, P, 0x71), RD(0, 8 * P) } },
	{ "memfd_private_cow",
	  .files = { SHMEM(8 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, SF, 0, 0), WR(0, 8 * P, 0x72),
		     MMAPF(16 * P, 8 * P, RW, PF, 0, 1), RD(16 * P, P),
		     WR(17 * P, P, 0x73), RD(16 * P, 8 * P),
		     RD(0, 8 * P) } },
	{ "memfd_private_sees_shared_writes",
	  .files = { SHMEM(4 * P) },
	  .steps = { MMAPF(0, 4 * P, RW, SF, 0, 0),
		     MMAPF(8 * P, 4 * P, RW, PF, 0, 0), RD(8 * P, 4 * P),
		     WR(9 * P, P, 0x74), WR(0, 4 * P, 0x75),
		     RD(8 * P, 4 * P) } },
	{ "memfd_pgoff_merge",
	  .files = { SHMEM(16 * P) },
	  .steps = { MMAPF(0, 4 * P, RW, SF, 0, 0),
		     MMAPF(4 * P, 4 * P, RW, SF, 0, 4),
		     MMAPF(8 * P, 4 * P, RW, SF, 0, 12),
		     MMAPF(12 * P, 4 * P, RW, SF, 0, 8),
		     MPROT(0, 8 * P, RO), MPROT(0, 16 * P, RW) } },
	{ "memfd_mprotect_split_pgoff",
	  .files = { SHMEM(16 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, SF, 0, 2),
		     MPROT(3 * P, 2 * P, RO), WR(0, 8 * P, 0x76),
		     MPROT(3 * P, 2 * P, RW), RD(0, 8 * P) } },
	{ "memfd_beyond_eof",
	  .files = { SHMEM(4 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, SF, 0, 0), RD(0, 8 * P),
		     WR(4 * P, P, 1), MMAPF(16 * P, 8 * P, RW, PF, 0, 0),
		     RD(16 * P, 8 * P), WR(21 * P, P, 3) } },
	{ "memfd_map_entirely_beyond_eof",
	  .files = { SHMEM(2 * P) },
	  .steps = { MMAPF(0, 2 * P, RW, SF, 0, 4), RD(0, 2 * P),
		     MADV(0, 2 * P, MADV_POPULATE_READ), TRUNC(0, 8 * P),
		     RD(0, 2 * P), MMAPF(4 * P, 2 * P, RW, PF, 0, 8),
		     WR(4 * P, P, 1) } },
	{ "memfd_truncate_shrink_grow",
	  .files = { SHMEM(8 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, SF, 0, 0), WR(0, 8 * P, 0x77),
		     TRUNC(0, 3 * P), RD(0, 8 * P), TRUNC(0, 8 * P),
		     RD(0, 8 * P) } },
	{ "memfd_truncate_private_cow",
	  .files = { SHMEM(8 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, PF, 0, 0), WR(0, 6 * P, 0x78),
		     RD(6 * P, 2 * P), TRUNC(0, 4 * P), RD(0, 8 * P) } },
	{ "shared_anon_separate_objects",
	  .steps = { MMAP(0, 4 * P, RW, SA), MMAP(4 * P, 4 * P, RW, SA),
		     WR(0, 8 * P, 1), MPROT(2 * P, 4 * P, RO),
		     MPROT(2 * P, 4 * P, RW), RD(0, 8 * P) } },
	{ "shared_anon_private_over",
	  .steps = { MMAP(0, 8 * P, RW, SA), WR(0, 8 * P, 0x79),
		     MMAP(2 * P, 2 * P, RW, PA), RD(0, 8 * P),
		     MUNMAP(2 * P, 2 * P), RD(0, 8 * P) } },
	{ "memfd_map_fixed_splits_and_refills",
	  .files = { SHMEM(16 * P) },
	  .steps = { MMAPF(0, 16 * P, RW, SF, 0, 0), WR(0, 16 * P, 0x7b),
		     MMAP(4 * P, 2 * P, RW, PA), MUNMAP(10 * P, 2 * P),
		     RD(0, 16 * P), MMAPF(10 * P, 2 * P, RW, SF, 0, 10),
		     MMAPF(4 * P, 2 * P, RW, SF, 0, 4), RD(0, 16 * P) } },
	{ "mprotect_across_file_and_anon",
	  .files = { SHMEM(8 * P) },
	  .steps = { MMAPF(0, 4 * P, RW, SF, 0, 0), MMAP(4 * P, 4 * P, RW, PA),
		     MPROT(2 * P, 4 * P, RO), WR(0, 8 * P, 0x7c),
		     MPROT(0, 8 * P, RW), RD(0, 8 * P) } },
	{ "memfd_readonly_handle",
	  .files = { SHMEM(4 * P), RDONLY(0) },
	  .steps = { MMAPF(0, 4 * P, RW, SF, 1, 0),
		     MMAPF(0, 4 * P, RO, SF, 1, 0), MPROT(0, 4 * P, RW),
		     RD(0, 4 * P), WR(0, P, 1),
		     MMAPF(8 * P, 4 * P, RW, PF, 1, 0), WR(8 * P, P, 0x7a),
		     RD(8 * P, 2 * P), RD(0, 2 * P), TRUNC(1, 2 * P) } },
	{ "memfd_map_hugetlb_flag",
	  .files = { SHMEM(4 * P) },
	  .steps = { MMAPF(0, 4 * P, RW, SF | HT, 0, 0),
		     MMAPF(0, 4 * P, RW, SF, 0, 0) } },

	/* ---- a regular file on a disk filesystem ---- */
	{ "file_shared_two_views",
	  .files = { REGFILE(8 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, SF, 0, 0), WR(0, 2 * P, 0x80),
		     RD(0, 4 * P), MMAPF(16 * P, 8 * P, RO, SF, 0, 0),
		     RD(17 * P, P), RD(16 * P, 8 * P) } },
	{ "file_private_cow",
	  .files = { REGFILE(8 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, SF, 0, 0), WR(0, 8 * P, 0x81),
		     MMAPF(16 * P, 8 * P, RW, PF, 0, 0), WR(16 * P, P, 0x82),
		     RD(16 * P, 2 * P), RD(0, 2 * P),
		     MADV(16 * P, 2 * P, MADV_DONTNEED), RD(16 * P, 2 * P) } },
	{ "file_readonly_handle",
	  .files = { REGFILE(4 * P), RDONLY(0) },
	  .steps = { MMAPF(0, 4 * P, RW, SF, 1, 0),
		     MMAPF(0, 4 * P, RO, SF, 1, 0), MPROT(0, 4 * P, RW),
		     MPROT(0, 4 * P, RX), WR(0, P, 1),
		     MMAPF(8 * P, 4 * P, RW, PF, 1, 0), WR(8 * P, P, 0x83),
		     RD(8 * P, 2 * P), MPROT(8 * P, 4 * P, RO),
		     MPROT(8 * P, 4 * P, RW), TRUNC(1, 2 * P),
		     TRUNC(0, 2 * P), RD(0, 4 * P) } },
	{ "file_beyond_eof_then_grow",
	  .files = { REGFILE(2 * P) },
	  .steps = { MMAPF(0, 4 * P, RW, SF, 0, 0), RD(0, 4 * P),
		     TRUNC(0, 4 * P), RD(0, 4 * P), WR(3 * P, P, 0x84),
		     TRUNC(0, P), RD(0, 4 * P) } },
	{ "file_mremap_past_eof",
	  .files = { REGFILE(4 * P) },
	  .steps = { MMAPF(0, 2 * P, RW, SF, 0, 0),
		     MREMAP(0, 2 * P, 8 * P, 0, 0), RD(0, 8 * P),
		     MREMAP(0, 8 * P, P, 0, 0), RD(0, 2 * P) } },
	{ "file_bad_args",
	  .files = { REGFILE(4 * P) },
	  .steps = { MMAPF(0, P, RO, SF, 0, 1UL << 51),
		     MMAPF(0, P, RO, SF | HT, 0, 0),
		     MMAPF(0, P, RO, MAP_SHARED_VALIDATE | MAP_SYNC |
				    MAP_FIXED, 0, 0),
		     MMAPF(0, P, RO, MAP_SHARED_VALIDATE | MAP_FIXED, 0, 0),
		     MMAPF(P, P, RO, MAP_DROPPABLE | MAP_FIXED, 0, 0) } },

	/* ---- hugetlb (2 MiB pages) ---- */
	{ "hugetlb_anon_private",
	  .region = 4 * H,
	  .steps = { MMAP(0, 2 * H, RW, PA | HT), RD(0, P),
		     WR(H, P, 0x90), RD(H, 2 * P), MUNMAP(0, P),
		     MUNMAP(0, H), RD(0, P) } },
	{ "hugetlb_alignment",
	  .region = 4 * H,
	  .steps = { MMAP(P, H, RW, PA | HT), MMAP(0, H + P, RW, PA | HT),
		     MPROT(P, P, RO), MPROT(H, H, RO), MPROT(H, H, RW),
		     MREMAP(0, 2 * H, 3 * H, 0, 0),
		     MREMAP(0, 2 * H, H + P, 0, 0),
		     MADV(P, P, MADV_DONTNEED) } },
	{ "hugetlb_memfd_shared",
	  .region = 4 * H,
	  .files = { HUGEFILE(2 * H) },
	  .steps = { MMAPF(0, 2 * H, RW, SF, 0, 0), WR(0, P, 0x91),
		     WR(H, P, 0x92), MMAPF(2 * H, 2 * H, RO, SF, 0, 0),
		     RD(2 * H, P), RD(3 * H, P), TRUNC(0, H + P),
		     TRUNC(0, H), RD(3 * H, P), RD(0, P) } },
	{ "hugetlb_madvise",
	  .region = 4 * H,
	  .steps = { MMAP(0, 2 * H, RW, PA | HT), WR(0, P, 1), WR(H, P, 2),
		     MADV(0, H, MADV_DONTNEED), RD(0, P),
		     MADV(0, P, MADV_GUARD_INSTALL),
		     MADV(0, 2 * H, MADV_POPULATE_WRITE),
		     MADV(0, P, MADV_DONTNEED), MADV(0, 2 * H, MADV_REMOVE),
		     MADV(P, P, MADV_DONTNEED) } },
	{ "hugetlb_fork_cow",
	  .region = 4 * H,
	  .steps = { MMAP(0, H, RW, PA | HT), WR(0, P, 0x93), FORK(),
		     RD(0, P, CHILD), WR(0, P, 0x94, CHILD), RD(0, P, CHILD),
		     RD(0, P), EXIT(), RD(0, P) } },
	{ "hugetlb_shared_fork",
	  .region = 4 * H,
	  .steps = { MMAP(0, H, RW, SA | HT), WR(0, P, 0x95), FORK(),
		     OBS(CHILD), RD(0, P, CHILD), WR(P, P, 0x96, CHILD),
		     RD(0, 2 * P), EXIT(), OBS() } },
	{ "hugetlb_mremap",
	  .region = 4 * H,
	  .steps = { MMAP(0, H, RW, PA | HT), WR(0, P, 0x97),
		     MREMAP(0, H, H, FX, 2 * H), RD(2 * H, P),
		     MREMAP(2 * H, H, 2 * H, 0, 0),
		     MREMAP(2 * H + P, P, P, FX, 0) } },
	{ "hugetlb_private_memfd_cow",
	  .region = 4 * H,
	  .files = { HUGEFILE(2 * H) },
	  .steps = { MMAPF(0, H, RW, SF, 0, 0), WR(0, P, 0x98),
		     MMAPF(2 * H, H, RW, PF, 0, 0), RD(2 * H, P),
		     WR(2 * H, P, 0x99), RD(2 * H, 2 * P), RD(0, 2 * P) } },
	{ "hugetlb_truncate_private",
	  .region = 4 * H,
	  .files = { HUGEFILE(2 * H) },
	  .steps = { MMAPF(0, 2 * H, RW, PF, 0, 0), WR(0, P, 1),
		     WR(H, P, 2), TRUNC(0, H), RD(0, P), RD(H, P),
		     TRUNC(0, 2 * H), RD(H, P) } },
	{ "hugetlb_next_to_base_pages",
	  .region = 4 * H,
	  .steps = { MMAP(H - 4 * P, 4 * P, RW, PA), MMAP(H, H, RW, PA | HT),
		     WR(H - P, 2 * P, 0x9a), MUNMAP(H - 2 * P, 3 * P),
		     MPROT(H - 2 * P, 3 * P, RO), MMAP(H + P, P, RW, PA),
		     MUNMAP(H - 2 * P, H + 2 * P), RD(H - P, 2 * P) } },
	{ "hugetlb_madv_remove_shared",
	  .region = 4 * H,
	  .files = { HUGEFILE(2 * H) },
	  .steps = { MMAPF(0, 2 * H, RW, SF, 0, 0), WR(0, P, 0x9b),
		     WR(H, 2 * P, 0x9c), MADV(0, H, MADV_REMOVE), RD(0, P),
		     RD(H, P), MADV(H, P, MADV_REMOVE), RD(H, 2 * P) } },

	/* ---- mremap ---- */
	{ "mremap_grow_shrink_in_place",
	  .steps = { MMAP(0, 4 * P, RW, PA), WR(0, 4 * P, 0xa0),
		     MREMAP(0, 4 * P, 8 * P, 0, 0), RD(0, 8 * P),
		     MREMAP(0, 8 * P, 2 * P, 0, 0), RD(0, 4 * P) } },
	{ "mremap_blocked_then_maymove",
	  .steps = { MMAP(0, 4 * P, RW, PA), WR(0, 4 * P, 0xa1),
		     MMAP(4 * P, 4 * P, RO, PA), MREMAP(0, 4 * P, 8 * P, 0, 0),
		     MREMAP(0, 4 * P, 8 * P, MV, 0), RD(0, 8 * P, VAR),
		     RD(0, 4 * P) } },
	{ "mremap_fixed_over_mapping",
	  .steps = { MMAP(0, 4 * P, RW, PA), WR(0, 4 * P, 0xa2),
		     MMAP(16 * P, 8 * P, RO, PA),
		     MREMAP(0, 4 * P, 4 * P, FX, 18 * P), RD(16 * P, 8 * P),
		     RD(0, P) } },
	{ "mremap_fixed_shrink_grow",
	  .steps = { MMAP(0, 8 * P, RW, PA), WR(0, 8 * P, 0xa3),
		     MREMAP(0, 8 * P, 2 * P, FX, 16 * P), RD(16 * P, 2 * P),
		     MREMAP(16 * P, 2 * P, 6 * P, FX, 32 * P),
		     RD(32 * P, 6 * P) } },
	{ "mremap_dontunmap_anon",
	  .steps = { MMAP(0, 4 * P, RW, PA), WR(0, 4 * P, 0xa4),
		     MREMAP(0, 4 * P, 4 * P, FX | MREMAP_DONTUNMAP, 16 * P),
		     RD(16 * P, 4 * P), RD(0, 4 * P),
		     MREMAP(16 * P, 2 * P, 2 * P, MV | MREMAP_DONTUNMAP, 0),
		     RD(0, 2 * P, VAR), RD(16 * P, 2 * P) } },
	{ "mremap_dontunmap_shared",
	  .files = { SHMEM(4 * P) },
	  .steps = { MMAPF(0, 4 * P, RW, SF, 0, 0), WR(0, 4 * P, 0xa5),
		     MREMAP(0, 4 * P, 4 * P, FX | MREMAP_DONTUNMAP, 16 * P),
		     RD(0, 4 * P), RD(16 * P, 4 * P) } },
	{ "mremap_bad_args",
	  .steps = { MMAP(0, 4 * P, RW, PA), MMAP(4 * P, 4 * P, RO, PA),
		     MREMAP(P + 1, P, 2 * P, 0, 0),
		     MREMAP(0, 4 * P, 0, 0, 0),
		     MREMAP(0, 4 * P, 4 * P, MREMAP_FIXED, 16 * P),
		     MREMAP(0, 4 * P, 8 * P, MV | MREMAP_DONTUNMAP, 0),
		     MREMAP(0, 4 * P, 4 * P, FX, 2 * P),
		     MREMAP(32 * P, P, 2 * P, MV, 0),
		     MREMAP(0, 8 * P, 8 * P, MV, 0),
		     MREMAP(0, 8 * P, 10 * P, MV, 0),
		     MREMAP(0, 4 * P, 4 * P, 0x40, 0),
		     MREMAP(0, 0, 4 * P, MV, 0),
		     MREMAP(0, 4 * P, 4 * P, FX, 17 * P + 1),
		     MREMAP(0, 4 * P, -P, MV, 0) } },
	{ "mremap_duplicate_shared",
	  .steps = { MMAP(0, 4 * P, RW, SA), WR(0, 4 * P, 0xa6),
		     MREMAP(0, 0, 4 * P, FX, 16 * P), RD(16 * P, 4 * P),
		     WR(16 * P, P, 0xa7), RD(0, P),
		     MREMAP(0, 0, 4 * P, MREMAP_MAYMOVE, 0) } },
	{ "mremap_move_middle_and_back",
	  .steps = { MMAP(0, 8 * P, RW, PA), WR(0, 8 * P, 0xa8),
		     MREMAP(2 * P, 2 * P, 2 * P, FX, 16 * P), RD(0, 8 * P),
		     RD(16 * P, 2 * P), MREMAP(16 * P, 2 * P, 2 * P, FX, 2 * P),
		     RD(0, 8 * P) } },
	{ "mremap_shared_file_shrink_grow",
	  .files = { SHMEM(8 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, SF, 0, 0), WR(0, 8 * P, 0xa9),
		     MREMAP(0, 8 * P, 4 * P, 0, 0),
		     MREMAP(0, 4 * P, 8 * P, 0, 0), RD(0, 8 * P) } },
	{ "mremap_shared_anon_beyond_object",
	  .steps = { MMAP(0, 4 * P, RW, SA), WR(0, 4 * P, 0xaa),
		     MREMAP(0, 4 * P, 8 * P, 0, 0), RD(0, 8 * P),
		     MREMAP(0, 8 * P, 8 * P, FX, 16 * P), RD(16 * P, 8 * P) } },
	{ "mremap_memfd_move_keeps_ptes",
	  .files = { SHMEM(8 * P) },
	  .steps = { MMAPF(0, 8 * P, RW, SF, 0, 0), WR(0, 8 * P, 0xab),
		     MREMAP(0, 8 * P, 8 * P, FX, 16 * P),
		     MMAP(24 * P, P, RO, PA),
		     MREMAP(16 * P, 8 * P, 12 * P, MV, 0), RD(0, 12 * P, VAR),
		     RD(16 * P, P) } },
	{ "mremap_move_bad_ranges",
	  .steps = { MMAP(0, 4 * P, RW, PA), MMAP(4 * P, 4 * P, RO, PA),
		     MREMAP(2 * P, 4 * P, 4 * P, FX, 16 * P),
		     MREMAP(0, 4 * P, 2 * P, FX, P),
		     MREMAP(0, 2 * P, 2 * P, FX,
			    UFFDOPS_TASK_SIZE - REGION_BASE - P),
		     MREMAP(0, 2 * P, 2 * P, FX, 4 * P), RD(0, 8 * P) } },

	/* ---- fork ---- */
	{ "fork_anon_cow",
	  .steps = { MMAP(0, 4 * P, RW, PA), WR(0, 4 * P, 0xb0), FORK(),
		     RD(0, 4 * P, CHILD), WR(0, P, 0xb1, CHILD), RD(0, 4 * P),
		     WR(P, P, 0xb2), RD(0, 4 * P, CHILD), EXIT(),
		     RD(0, 4 * P), WR(2 * P, P, 0xb3), OBS() } },
	{ "fork_zero_page",
	  .steps = { MMAP(0, 4 * P, RW, PA), RD(0, 4 * P), FORK(),
		     WR(0, P, 1, CHILD), RD(0, 4 * P), RD(0, 4 * P, CHILD) } },
	{ "fork_shared_anon",
	  .steps = { MMAP(0, 4 * P, RW, SA), WR(0, 4 * P, 0xb4), FORK(),
		     OBS(CHILD), RD(0, 2 * P, CHILD), WR(2 * P, P, 0xb5, CHILD),
		     RD(0, 4 * P), EXIT(), OBS() } },
	{ "fork_private_memfd",
	  .files = { SHMEM(4 * P) },
	  .steps = { MMAPF(0, 4 * P, RW, PF, 0, 0), RD(0, 4 * P),
		     MMAPF(8 * P, 4 * P, RW, PF, 0, 0), RD(8 * P, 4 * P),
		     WR(8 * P, P, 0xb6), FORK(), OBS(CHILD),
		     RD(0, 4 * P, CHILD), RD(8 * P, 4 * P, CHILD) } },
	{ "fork_child_changes_layout",
	  .steps = { MMAP(0, 8 * P, RW, PA), WR(0, 8 * P, 0xb7), FORK(),
		     MPROT(2 * P, 2 * P, RO, CHILD), MUNMAP(6 * P, 2 * P, CHILD),
		     MMAP(16 * P, 4 * P, RW, PA, CHILD), OBS(), RD(0, 8 * P),
		     RD(0, 8 * P, CHILD) } },
	{ "fork_droppable_wipes",
	  .steps = { MMAP(0, 4 * P, RW,
			  MAP_DROPPABLE | MAP_ANONYMOUS | MAP_FIXED),
		     WR(0, 4 * P, 0xb8), FORK(), OBS(CHILD),
		     RD(0, 4 * P, CHILD), RD(0, 4 * P) } },
	{ "fork_parent_writes_first",
	  .steps = { MMAP(0, 2 * P, RW, PA), WR(0, 2 * P, 1), FORK(),
		     WR(0, P, 2), OBS(CHILD), RD(0, 2 * P, CHILD), EXIT(),
		     OBS() } },
	{ "fork_guard_markers",
	  .steps = { MMAP(0, 4 * P, RW, PA), MADV(P, P, MADV_GUARD_INSTALL),
		     MMAP(8 * P, 4 * P, RW, PA), WR(8 * P, P, 0xb9),
		     MADV(9 * P, P, MADV_GUARD_INSTALL), FORK(), OBS(CHILD),
		     RD(0, 4 * P, CHILD), RD(8 * P, 4 * P, CHILD) } },
	{ "fork_child_mremap",
	  .steps = { MMAP(0, 4 * P, RW, PA), WR(0, 4 * P, 0xba), FORK(),
		     MREMAP(0, 4 * P, 4 * P, FX, 16 * P, CHILD),
		     WR(16 * P, P, 0xbb, CHILD), OBS(), RD(0, 4 * P),
		     RD(16 * P, 4 * P, CHILD) } },
	{ "fork_private_file_partial_cow",
	  .files = { SHMEM(4 * P) },
	  .steps = { MMAPF(0, 4 * P, RW, SF, 0, 0), WR(0, 4 * P, 0xbc),
		     MMAPF(8 * P, 4 * P, RW, PF, 0, 0), WR(8 * P, P, 0xbd),
		     FORK(), WR(9 * P, P, 0xbe, CHILD), RD(8 * P, 4 * P, CHILD),
		     RD(8 * P, 4 * P), WR(0, 4 * P, 0xbf),
		     RD(8 * P, 4 * P, CHILD), RD(8 * P, 4 * P) } },

	/* ---- argument checks ---- */
	{ "mmap_bad_args",
	  .steps = { MMAP(0, 0, RW, PA), MMAP(P + 1, P, RW, PA),
		     MMAP(0, P, RW, MAP_ANONYMOUS | MAP_FIXED),
		     MMAP(0, -P, RW, PA),
		     MMAP(UFFDOPS_TASK_SIZE - P, 2 * P, RW, PA, ABS),
		     MMAP(0x800000000000UL, P, RW, PA, ABS),
		     MMAP(0, P, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS |
					   MAP_FIXED),
		     MMAP(0, P, 0x10, PA),
		     MMAP(0, 1UL << 47, RW, PA) } },
	{ "munmap_bad_args",
	  .steps = { MMAP(0, 4 * P, RW, PA), MUNMAP(P + 1, P), MUNMAP(0, 0),
		     MUNMAP(UFFDOPS_TASK_SIZE - P, 2 * P, ABS), MUNMAP(0, -P),
		     MUNMAP(0, P + 1) } },
	{ "mprotect_bad_args",
	  .steps = { MMAP(0, 4 * P, RW, PA), MPROT(P + 1, P, RO),
		     MPROT(0, 0, RO), MPROT(0, P, 0x10),
		     MPROT(0, P, RO | PROT_GROWSDOWN), MPROT(0, -P, RO),
		     MPROT(32 * P, P, RO), MPROT(0, P + 1, RO) } },
	{ "truncate_bad_args",
	  .files = { SHMEM(4 * P), HUGEFILE(0) },
	  .region = 4 * H,
	  .steps = { TRUNC(0, -P), TRUNC(1, P), TRUNC(1, H),
		     MMAPF(0, H, RW, SF, 1, 0), WR(0, P, 1), RD(0, 2 * P) } },
};

/* clang-format on */

/* ------------------------------------------------------------------------ */
/* Observations.                                                            */
/* ------------------------------------------------------------------------ */

/**
 * struct obs - what one side saw after one step.
 * @done: the step was executed.
 * @ret: the return value: an offset into the region, RET_ELSEWHERE, or
 *	0/-errno.
 * @nvma: VMAs that meet the region (struct live_vma: bounds from the
 *	region's base, rwxp/s, file or not, pgoff of file mappings).
 * @nvar: VMAs that meet the var window, clipped to it.
 * @npages: pages in @pm (the region).
 * @nvpages: pages in @vpm (the var window).
 * @nrw: pages in @sig and @hash (the pages a read or write touched).
 */
struct obs {
	bool done;
	long ret;
	int nvma;
	struct live_vma vma[MAX_VMAS];
	int nvar;
	struct live_vma var[MAX_VMAS];
	unsigned int npages;
	uint64_t pm[MAX_REGION_PAGES];
	unsigned int nvpages;
	uint64_t vpm[MAX_VAR_PAGES];
	unsigned int nrw;
	unsigned char sig[MAX_REGION_PAGES];
	uint64_t hash[MAX_REGION_PAGES];
};

/* The process view one side runs a step in. */
struct view {
	unsigned long base;
	unsigned long region;
	unsigned long var; /* 0 until an address outside the region */
	unsigned long varlen;
};

static unsigned long step_addr(const struct view *v, const struct step *st,
			       unsigned long off)
{
	switch (st->at) {
	case AT_VAR:
		return v->var + off;
	case AT_ABS:
		return off;
	default:
		return v->base + off;
	}
}

/* What a touch records when its var was never set. */
#define SIG_NO_VAR 254

/* A touch relative to a var no call has set: record that, touch nothing. */
static bool var_missing(const struct view *v, const struct step *st,
			struct obs *o)
{
	if (st->at != AT_VAR || v->var)
		return false;
	memset(o->sig, SIG_NO_VAR, o->nrw);
	return true;
}

static unsigned long page_align(unsigned long len)
{
	return (len + P - 1) & ~(P - 1);
}

/* A returned address as the comparison sees it; remembers the var. */
static long encode_addr(struct view *v, long ret, unsigned long len)
{
	if (ret < 0)
		return ret;
	if ((unsigned long)ret >= v->base &&
	    (unsigned long)ret < v->base + v->region)
		return ret - (long)v->base;
	v->var = ret;
	v->varlen = page_align(len);
	if (v->varlen > MAX_VAR_PAGES * P)
		v->varlen = MAX_VAR_PAGES * P;
	return RET_ELSEWHERE;
}

static uint64_t hash_page(const unsigned char *p)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (unsigned long i = 0; i < P; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* ------------------------------------------------------------------------ */
/* The live side: a forked child (live_child_run()), its results shared.    */
/* ------------------------------------------------------------------------ */

struct touch {
	unsigned char *p;
	bool write;
	int val;
	uint64_t *hash;
};

static void touch_do(void *arg)
{
	const struct touch *t = arg;

	if (t->write)
		memset(t->p, t->val, P);
	else
		*t->hash = hash_page(t->p);
}

/* Touch one page as the CPU would; returns 0 or the signal it raised. */
static int live_touch(unsigned char *p, bool write, int val, uint64_t *hash)
{
	struct touch t = { p, write, val, hash };

	return live_catch(touch_do, &t);
}

struct live {
	const struct seq *s;
	struct obs *res;
	struct view v;
	int fds[MAX_FILES];
	int pagemap_fd;
};

/* The pagemap bits compared of @npages pages from @addr. */
static void live_pages(struct live *l, unsigned long addr, unsigned int npages,
		       uint64_t *out)
{
	live_pagemap(l->pagemap_fd, addr, out, npages);
	for (unsigned int i = 0; i < npages; i++)
		out[i] &= LIVE_PM_COMPARED;
}

static void live_observe(struct live *l, struct obs *o)
{
	o->nvma = live_vmas(l->v.base, l->v.base + l->v.region, LIVE_VMA_FILE,
			    o->vma, MAX_VMAS);
	o->npages = l->v.region / P;
	live_pages(l, l->v.base, o->npages, o->pm);
	if (l->v.var) {
		o->nvar = live_vmas(l->v.var, l->v.var + l->v.varlen,
				    LIVE_VMA_FILE | LIVE_VMA_CLIP, o->var,
				    MAX_VMAS);
		o->nvpages = l->v.varlen / P;
		live_pages(l, l->v.var, o->nvpages, o->vpm);
	}
}

static void live_touch_range(struct live *l, const struct step *st,
			     struct obs *o)
{
	unsigned long addr = step_addr(&l->v, st, st->off);
	unsigned int n = st->len / P;

	o->nrw = n;
	if (var_missing(&l->v, st, o))
		return;
	for (unsigned int i = 0; i < n; i++)
		o->sig[i] = live_touch((unsigned char *)(addr + i * P),
				       st->op == OP_WRITE,
				       (int)((st->arg + i) & 0xff),
				       &o->hash[i]);
}

/* Is file @i a regular file on a disk ("file", or "ro" of one)? */
static bool file_regular(const struct seq *s, int i)
{
	while (!strcmp(s->files[i].type, "ro"))
		i = s->files[i].ro_of;
	return !strcmp(s->files[i].type, "file");
}

static void live_step(struct live *l, const struct step *st, struct obs *o)
{
	unsigned long addr = step_addr(&l->v, st, st->off);
	int fd = st->file >= 0 ? l->fds[st->file] : -1;
	long r = 0;

	switch (st->op) {
	case OP_MMAP:
		r = live_ret(syscall(SYS_mmap, addr, st->len, st->arg, st->arg2,
				     fd, st->off2 * P));
		/* The model does no read-around (docs/differences.md). */
		if (r >= 0 && fd >= 0 && file_regular(l->s, st->file))
			madvise((void *)r, page_align(st->len), MADV_RANDOM);
		r = encode_addr(&l->v, r, st->len);
		break;
	case OP_MUNMAP:
		r = live_ret(syscall(SYS_munmap, addr, st->len));
		break;
	case OP_MREMAP:
		r = live_ret(syscall(
			SYS_mremap, addr, st->len, st->len2, st->arg2,
			(st->arg2 & MREMAP_FIXED) ? l->v.base + st->off2 : 0));
		r = encode_addr(&l->v, r, st->len2);
		break;
	case OP_MPROTECT:
		r = live_ret(syscall(SYS_mprotect, addr, st->len, st->arg));
		break;
	case OP_MADVISE:
		r = live_ret(syscall(SYS_madvise, addr, st->len, st->arg));
		break;
	case OP_TRUNCATE:
		r = live_ret(ftruncate(fd, (off_t)st->len));
		break;
	case OP_READ:
	case OP_WRITE:
		live_touch_range(l, st, o);
		break;
	default:
		break;
	}
	o->ret = r;
	live_observe(l, o);
	o->done = true;
}

static void send_token(int fd)
{
	char t = 1;

	if (write(fd, &t, 1) != 1)
		_exit(3);
}

static void wait_token(int fd)
{
	char t;

	if (read(fd, &t, 1) != 1)
		_exit(3);
}

/*
 * Play sequence @arg in this (freshly forked) process; see live_child_fn.
 * Its FORK steps fork a child of their own, which records its steps in the
 * same shared @res and _exit()s: 0 when it played its part.
 */
static int live_run(const void *arg, void *res, char *why, size_t size)
{
	const struct seq *s = arg;
	struct obs *obs = res;
	struct live l = { .s = s, .res = obs };
	int me = BY_PARENT, to = -1, from = -1, r;
	bool token = true, exit_pending = false;
	pid_t kid = 0;

	l.v.base = REGION_BASE;
	l.v.region = s->region ? s->region : DEFAULT_REGION;
	live_catch_setup();
	l.pagemap_fd = live_pagemap_open();
	r = l.pagemap_fd < 0 ? l.pagemap_fd :
			       live_files_open(s->files, MAX_FILES, l.fds);
	if (r) {
		snprintf(why, size, "setting up: %s", strerror(-r));
		return LIVE_FAILED;
	}
	/* The region must be free: nothing of the process's near it. */
	if (!live_region_free(l.v.base, l.v.region)) {
		snprintf(why, size, "the region is in use in the live process");
		return LIVE_FAILED;
	}

	for (int i = 0; i < MAX_STEPS && s->steps[i].op != OP_END; i++) {
		const struct step *st = &s->steps[i];

		if (st->op == OP_FORK) {
			int p2c[2], c2p[2];

			if (pipe(p2c) || pipe(c2p) || (kid = fork()) < 0) {
				snprintf(why, size, "step %d: %s", i,
					 strerror(errno));
				return LIVE_FAILED;
			}
			if (kid == 0) {
				/* The parent's pagemap fd shows the parent's mm. */
				close(l.pagemap_fd);
				l.pagemap_fd = live_pagemap_open();
				if (l.pagemap_fd < 0)
					_exit(2);
				me = BY_CHILD;
				token = false;
				to = c2p[1];
				from = p2c[0];
				close(p2c[1]);
				close(c2p[0]);
				continue;
			}
			to = p2c[1];
			from = c2p[0];
			close(p2c[0]);
			close(c2p[1]);
			obs[i].ret = 0;
			live_observe(&l, &obs[i]);
			obs[i].done = true;
			continue;
		}
		if (st->who != me) {
			if (st->op == OP_EXIT)
				exit_pending = true;
			if (token) {
				send_token(to);
				token = false;
			}
			continue;
		}
		if (!token) {
			wait_token(from);
			token = true;
			if (exit_pending) {
				waitpid(kid, NULL, 0);
				exit_pending = false;
				kid = 0;
			}
		}
		if (st->op == OP_EXIT) {
			obs[i].done = true;
			send_token(to);
			_exit(0);
		}
		live_step(&l, st, &obs[i]);
	}
	/*
	 * A child lives to the end of the sequence, as the model's does: the
	 * two hand the token over once more, then the parent lets it go.
	 */
	if (me == BY_CHILD) {
		if (token)
			send_token(to);
		wait_token(from);
		_exit(0);
	}
	if (kid > 0) {
		int status;

		if (!exit_pending) {
			if (!token)
				wait_token(from);
			send_token(to);
		}
		if (waitpid(kid, &status, 0) != kid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			snprintf(why, size, "its child failed (status %#x)",
				 status);
			return LIVE_FAILED;
		}
	}
	return LIVE_RAN;
}

/* ------------------------------------------------------------------------ */
/* The model side.                                                          */
/* ------------------------------------------------------------------------ */

struct model {
	const struct seq *s;
	struct uffdops_mm *mm[2];
	struct uffdops_file *files[MAX_FILES];
	struct view v[2];
};

static bool no_zero_page; /* this machine boots with pvm_no_zero_page=1 */

static void model_pagemap(struct uffdops_mm *mm, unsigned long addr,
			  unsigned int npages, uint64_t *out)
{
	for (unsigned int i = 0; i < npages; i++) {
		struct uffdops_pagemap_entry e;

		memset(&e, 0, sizeof(e));
		if (uffdops_pagemap(mm, addr + i * P, &e)) {
			out[i] = ~0ULL & LIVE_PM_COMPARED;
			continue;
		}
		out[i] = e.bits & LIVE_PM_COMPARED;
		if (e.marker & UFFDOPS_MARKER_GUARD)
			out[i] |= LIVE_PM_GUARD;
	}
}

static void model_observe(struct uffdops_mm *mm, const struct view *v,
			  struct obs *o)
{
	o->nvma = live_model_vmas(mm, v->base, v->base + v->region,
				  LIVE_VMA_FILE, o->vma, MAX_VMAS);
	o->npages = v->region / P;
	model_pagemap(mm, v->base, o->npages, o->pm);
	if (v->var) {
		o->nvar = live_model_vmas(mm, v->var, v->var + v->varlen,
					  LIVE_VMA_FILE | LIVE_VMA_CLIP, o->var,
					  MAX_VMAS);
		o->nvpages = v->varlen / P;
		model_pagemap(mm, v->var, o->nvpages, o->vpm);
	}
}

/* A CPU touching one page: 0, SIGSEGV or SIGBUS. */
static int model_touch(struct uffdops_mm *mm, unsigned long addr, bool write,
		       int val, uint64_t *hash)
{
	static unsigned char buf[P];
	ssize_t r;
	int fault;

	if (write) {
		memset(buf, val, P);
		r = uffdops_write_mem(mm, addr, buf, P, 0);
	} else {
		r = uffdops_read_mem(mm, addr, buf, P, 0);
	}
	if (r == (ssize_t)P) {
		if (!write)
			*hash = hash_page(buf);
		return 0;
	}
	/* Which signal would the access raise? Ask the fault path. */
	fault = uffdops_handle_mm_fault(
		mm, addr, FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0));
	if (fault & VM_FAULT_SIGSEGV)
		return SIGSEGV;
	if (fault & VM_FAULT_SIGBUS)
		return SIGBUS;
	return 255; /* the access failed yet the fault path says it may go */
}

static void model_step(struct model *m, const struct step *st, struct obs *o)
{
	int who = st->who;
	struct uffdops_mm *mm = m->mm[who];
	struct view *v = &m->v[who];
	unsigned long addr = step_addr(v, st, st->off);
	struct uffdops_file *file = st->file >= 0 ? m->files[st->file] : NULL;
	long r = 0;

	switch (st->op) {
	case OP_MMAP:
		r = uffdops_mmap(mm, addr, st->len, (int)st->arg, (int)st->arg2,
				 file, st->off2);
		r = encode_addr(v, r, st->len);
		break;
	case OP_MUNMAP:
		r = uffdops_munmap(mm, addr, st->len);
		break;
	case OP_MREMAP:
		r = uffdops_mremap(
			mm, addr, st->len, st->len2, (int)st->arg2,
			(st->arg2 & MREMAP_FIXED) ? v->base + st->off2 : 0);
		r = encode_addr(v, r, st->len2);
		break;
	case OP_MPROTECT:
		r = uffdops_mprotect(mm, addr, st->len, (int)st->arg);
		break;
	case OP_MADVISE:
		r = uffdops_madvise(mm, addr, st->len, (int)st->arg);
		break;
	case OP_TRUNCATE:
		r = uffdops_file_truncate(file, st->len);
		break;
	case OP_READ:
	case OP_WRITE:
		o->nrw = st->len / P;
		if (var_missing(v, st, o))
			break;
		for (unsigned int i = 0; i < o->nrw; i++)
			o->sig[i] = model_touch(mm, addr + i * P,
						st->op == OP_WRITE,
						(int)((st->arg + i) & 0xff),
						&o->hash[i]);
		break;
	case OP_FORK:
		r = uffdops_fork(mm, &m->mm[BY_CHILD]);
		if (!r && no_zero_page)
			uffdops_mm_config(m->mm[BY_CHILD],
					  UFFDOPS_MM_NO_ZERO_PAGE, 1);
		m->v[BY_CHILD] = *v;
		break;
	case OP_EXIT:
		uffdops_mm_destroy(m->mm[BY_CHILD]);
		m->mm[BY_CHILD] = NULL;
		o->done = true;
		return;
	default:
		break;
	}
	o->ret = r;
	model_observe(mm, v, o);
	o->done = true;
}

/* Play @s on the model; returns 0 or a negative errno from setting up. */
static int model_run(const struct seq *s, struct obs *res)
{
	struct model m = { .s = s };
	int r;

	m.v[0].base = REGION_BASE;
	m.v[0].region = s->region ? s->region : DEFAULT_REGION;
	r = live_mm_create(&m.mm[0]);
	if (r)
		return r;
	r = live_model_files_open(s->files, MAX_FILES, m.files);
	for (int i = 0; !r && i < MAX_STEPS && s->steps[i].op != OP_END; i++) {
		if (s->steps[i].who == BY_CHILD && !m.mm[BY_CHILD])
			break;
		model_step(&m, &s->steps[i], &res[i]);
	}
	uffdops_mm_destroy(m.mm[BY_CHILD]);
	uffdops_mm_destroy(m.mm[0]);
	live_model_files_close(m.files, MAX_FILES);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Comparison and reporting.                                                */
/* ------------------------------------------------------------------------ */

static const char *op_name[] = {
	[OP_MMAP] = "mmap",	  [OP_MUNMAP] = "munmap",
	[OP_MREMAP] = "mremap",	  [OP_MPROTECT] = "mprotect",
	[OP_MADVISE] = "madvise", [OP_TRUNCATE] = "ftruncate",
	[OP_FORK] = "fork",	  [OP_EXIT] = "child exit",
	[OP_WRITE] = "write",	  [OP_READ] = "read",
	[OP_OBSERVE] = "observe",
};

static void describe_step(const struct step *st, char *buf, size_t size)
{
	const char *at = st->at == AT_VAR ? "var" :
			 st->at == AT_ABS ? "abs" :
					    "base";
	const char *who = st->who == BY_CHILD ? "child: " : "";

	switch (st->op) {
	case OP_MMAP:
		snprintf(
			buf, size,
			"%smmap(%s+%#lx, %#lx, prot %#lx, flags %#lx, file %d, pgoff %#lx)",
			who, at, st->off, st->len, st->arg, st->arg2, st->file,
			st->off2);
		break;
	case OP_MREMAP:
		snprintf(buf, size,
			 "%smremap(%s+%#lx, %#lx, %#lx, flags %#lx, base+%#lx)",
			 who, at, st->off, st->len, st->len2, st->arg2,
			 st->off2);
		break;
	case OP_TRUNCATE:
		snprintf(buf, size, "ftruncate(file %d, %#lx)", st->file,
			 st->len);
		break;
	case OP_FORK:
	case OP_EXIT:
	case OP_OBSERVE:
		snprintf(buf, size, "%s%s", who, op_name[st->op]);
		break;
	default:
		snprintf(buf, size, "%s%s(%s+%#lx, %#lx, %#lx)", who,
			 op_name[st->op], at, st->off, st->len, st->arg);
		break;
	}
}

static void describe_ret(long r, char *buf, size_t size)
{
	if (r == RET_ELSEWHERE)
		snprintf(buf, size, "an address outside the region");
	else if (r < 0 && r > -4096)
		snprintf(buf, size, "-%s", live_errname((int)-r));
	else
		snprintf(buf, size, "%#lx", r);
}

static void pm_letters(uint64_t b, char out[7])
{
	out[0] = b & UFFDOPS_PM_PRESENT ? 'P' : '-';
	out[1] = b & UFFDOPS_PM_SWAP ? 'S' : '-';
	out[2] = b & UFFDOPS_PM_FILE ? 'F' : '-';
	out[3] = b & LIVE_PM_GUARD ? 'G' : '-';
	out[4] = b & UFFDOPS_PM_UFFD_WP ? 'W' : '-';
	out[5] = b & UFFDOPS_PM_MMAP_EXCLUSIVE ? 'X' : '-';
	out[6] = '\0';
}

/* Compare pagemaps; print up to a few differing pages when @print. */
static int pm_diff(const char *what, const uint64_t *a, const uint64_t *b,
		   unsigned int n, bool print)
{
	int diffs = 0;

	for (unsigned int i = 0; i < n; i++) {
		char la[7], lb[7];

		if (a[i] == b[i])
			continue;
		if (print && diffs < 8) {
			pm_letters(a[i], la);
			pm_letters(b[i], lb);
			printf("      %s page %u: live %s model %s\n", what, i,
			       la, lb);
		}
		diffs++;
	}
	if (print && diffs > 8)
		printf("      ... %d pages differ in %s\n", diffs, what);
	return diffs;
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case 0:
		return "ok";
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIG_NO_VAR:
		return "not run (no address)";
	case 255:
		return "EFAULT without a signal";
	default:
		return "?";
	}
}

static int rw_diff(const struct obs *a, const struct obs *b, bool print)
{
	int diffs = 0;

	for (unsigned int i = 0; i < a->nrw; i++) {
		bool same = a->sig[i] == b->sig[i] &&
			    (a->sig[i] || a->hash[i] == b->hash[i]);

		if (same)
			continue;
		if (print && diffs < 8)
			printf("      page %u: live %s, model %s%s\n", i,
			       sig_name(a->sig[i]), sig_name(b->sig[i]),
			       a->sig[i] == b->sig[i] ? " (contents differ)" :
							"");
		diffs++;
	}
	return diffs;
}

/* Does step @i agree? Print why not when @print. */
static bool step_agrees(const struct obs *a, const struct obs *b, bool print)
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

		describe_ret(a->ret, ra, sizeof(ra));
		describe_ret(b->ret, rb, sizeof(rb));
		if (print)
			printf("      returned: live %s, model %s\n", ra, rb);
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
	if ((a->nvpages || b->nvpages) &&
	    !live_vmas_equal(a->var, a->nvar, b->var, b->nvar, MAX_VMAS)) {
		if (print) {
			printf("      VMAs at the moved/unhinted address differ:\n");
			live_vmas_print("live ", a->var, a->nvar, MAX_VMAS);
			live_vmas_print("model", b->var, b->nvar, MAX_VMAS);
		}
		ok = false;
	}
	if (a->npages != b->npages || a->nvpages != b->nvpages ||
	    a->nrw != b->nrw) {
		if (print)
			printf("      observed different page counts\n");
		return false;
	}
	if (pm_diff("pagemap", a->pm, b->pm, a->npages, print))
		ok = false;
	if (pm_diff("var pagemap", a->vpm, b->vpm, a->nvpages, print))
		ok = false;
	if (rw_diff(a, b, print))
		ok = false;
	return ok;
}

static void print_obs(const char *side, const struct obs *o)
{
	char r[64];

	describe_ret(o->ret, r, sizeof(r));
	printf("    %s: %s ret %s\n", side, o->done ? "" : "(not run)", r);
	live_vmas_print(side, o->vma, o->nvma, MAX_VMAS);
	printf("      %s pagemap:", side);
	for (unsigned int i = 0; i < o->npages && i < 64; i++) {
		char l[7];

		pm_letters(o->pm[i], l);
		if (o->pm[i])
			printf(" %u:%s", i, l);
	}
	printf("\n");
	if (o->nrw) {
		printf("      %s touched:", side);
		for (unsigned int i = 0; i < o->nrw && i < 64; i++)
			printf(" %u:%s", i, sig_name(o->sig[i]));
		printf("\n");
	}
}

/* ------------------------------------------------------------------------ */
/* The suite.                                                               */
/* ------------------------------------------------------------------------ */

static struct obs *live_res;
static struct obs *model_res;
static size_t res_size = MAX_STEPS * sizeof(struct obs);
static bool verbose;
static struct live_suite suite = { .name = "mm conformance",
				   .noun = "sequences" };

/* Huge pages are needed by hugetlb files and by anonymous MAP_HUGETLB. */
static bool seq_needs_hugetlb(const struct seq *s)
{
	if (live_files_use(s->files, MAX_FILES, "hugetlb"))
		return true;
	for (int i = 0; i < MAX_STEPS && s->steps[i].op; i++)
		if (s->steps[i].op == OP_MMAP && s->steps[i].file < 0 &&
		    (s->steps[i].arg2 & HT))
			return true;
	return false;
}

static int suite_setup(void **state)
{
	(void)state;
	verbose = getenv("MM_LIVE_VERBOSE") != NULL;
	no_zero_page = live_no_zero_page();
	live_say(&suite, "the kernel %s the zero page on anonymous read faults",
		 no_zero_page ? "does not map (pvm_no_zero_page=1)" : "maps");
	live_res = malloc(res_size);
	model_res = malloc(res_size);
	if (!live_res || !model_res)
		return -1;
	return live_suite_setup(&suite, LIVE_NO_UFFD, H, HUGE_PAGES_WANTED,
				HUGE_PAGES_NEEDED);
}

static int suite_teardown(void **state)
{
	(void)state;
	free(live_res);
	free(model_res);
	live_suite_teardown(&suite);
	return 0;
}

static void run_seq(void **state)
{
	const struct seq *s = *state;
	int nsteps = 0, first_bad = -1, nbad = 0, r;

	live_suite_check(&suite, s->name, seq_needs_hugetlb(s),
			 live_files_use(s->files, MAX_FILES, "file"));
	while (nsteps < MAX_STEPS && s->steps[nsteps].op != OP_END)
		nsteps++;

	memset(model_res, 0, res_size);
	live_child_run(&suite, s->name, LIVE_TIMEOUT, live_run, s, live_res,
		       res_size);

	r = model_run(s, model_res);
	suite.compared++;
	if (r) {
		fail_msg("%s: setting up the model failed: %s", s->name,
			 strerror(-r));
	}

	for (int i = 0; i < nsteps; i++) {
		if (verbose) {
			char d[160];

			describe_step(&s->steps[i], d, sizeof(d));
			printf("  %s step %d: %s\n", s->name, i, d);
			print_obs("live ", &live_res[i]);
			print_obs("model", &model_res[i]);
		}
		if (step_agrees(&live_res[i], &model_res[i], false))
			continue;
		if (first_bad < 0)
			first_bad = i;
		nbad++;
	}
	if (first_bad >= 0) {
		char d[160];

		describe_step(&s->steps[first_bad], d, sizeof(d));
		printf("%s: %d of %d steps differ; first at step %d, %s:\n",
		       s->name, nbad, nsteps, first_bad, d);
		step_agrees(&live_res[first_bad], &model_res[first_bad], true);
	}
	live_suite_verdict(&suite, s->name, nbad, nsteps);
}

int main(void)
{
	return LIVE_SUITE_MAIN("mm_live", "MM_LIVE_FILTER", seqs, run_seq,
			       suite_setup, suite_teardown);
}
