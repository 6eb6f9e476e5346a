/* SPDX-License-Identifier: MIT */
/*
 * mm_test.h - helpers shared by the address-space suites (test_mm_*.c,
 * test_fault.c): a fresh mm, mappings that must succeed, VMA lookups in
 * /proc/pid/maps form, pagemap bits and byte access.
 */
#ifndef MM_TEST_H
#define MM_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include <uffdops/uffdops.h>

#define P 4096UL
#define H (2UL << 20)
/* Where the suites map with MAP_FIXED: 1 GiB aligned, far below mmap_base. */
#define BASE 0x200000000000UL

#define RW (PROT_READ | PROT_WRITE)
#define RO PROT_READ
#define PA (MAP_PRIVATE | MAP_ANONYMOUS)
#define SA (MAP_SHARED | MAP_ANONYMOUS)
#define FX MAP_FIXED

#define PM_P UFFDOPS_PM_PRESENT
#define PM_S UFFDOPS_PM_SWAP
#define PM_F UFFDOPS_PM_FILE
#define PM_W UFFDOPS_PM_UFFD_WP
#define PM_X UFFDOPS_PM_MMAP_EXCLUSIVE
#define PM_G UFFDOPS_PM_GUARD_REGION
/* The flag bits of a pagemap word, without the frame number. */
#define PM_FLAGS (~UFFDOPS_PM_PFN_MASK)

static inline struct uffdops_mm *mm_new(void)
{
	struct uffdops_mm *mm = NULL;

	assert_int_equal(uffdops_mm_create(&mm), 0);
	return mm;
}

/* mmap() that must succeed at @addr (with MAP_FIXED) or anywhere. */
static inline unsigned long map(struct uffdops_mm *mm, unsigned long addr,
				unsigned long len, int prot, int flags,
				struct uffdops_file *file, pgoff_t pgoff)
{
	long ret = uffdops_mmap(mm, addr, len, prot, flags, file, pgoff);

	assert_true(ret >= 0);
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
		assert_int_equal(ret, addr);
	return (unsigned long)ret;
}

static inline struct uffdops_file *file_new(const char *type,
					    unsigned long size)
{
	struct uffdops_file *f = NULL;

	assert_int_equal(uffdops_file_create(type, size, &f), 0);
	return f;
}

static inline int nr_vmas(struct uffdops_mm *mm)
{
	return uffdops_maps(mm, NULL, 0);
}

/* The VMA containing @addr in maps form; false when none does. */
static inline bool vma_at(struct uffdops_mm *mm, unsigned long addr,
			  struct uffdops_map *out)
{
	struct uffdops_map maps[256];
	int n = uffdops_maps(mm, maps, 256), i;

	assert_true(n <= 256);
	for (i = 0; i < n; i++) {
		if (maps[i].start <= addr && addr < maps[i].end) {
			if (out)
				*out = maps[i];
			return true;
		}
	}
	return false;
}

/* Asserts that exactly one VMA spans [start, end). */
static inline void assert_vma(struct uffdops_mm *mm, unsigned long start,
			      unsigned long end)
{
	struct uffdops_map m;

	assert_true(vma_at(mm, start, &m));
	assert_int_equal(m.start, start);
	assert_int_equal(m.end, end);
}

/*
 * A context after UFFDIO_API with no feature, as a VMA's context for the
 * suites that set VMA flags directly: the mm operations read its features
 * (events.c), so it must be a real one.
 */
static inline struct userfaultfd_ctx *plain_uffd_ctx(struct uffdops_mm *mm,
						     struct uffdops_ctx **ctxp)
{
	struct uffdio_api api = { .api = UFFD_API };

	assert_int_equal(uffdops_userfaultfd(mm, 0, ctxp), 0);
	assert_int_equal(uffdops_ioctl(*ctxp, UFFDIO_API, &api), 0);
	return (struct userfaultfd_ctx *)*ctxp;
}

static inline __u64 pm_bits(struct uffdops_mm *mm, unsigned long addr)
{
	struct uffdops_pagemap_entry e;

	assert_int_equal(uffdops_pagemap(mm, addr, &e), 0);
	return e.bits;
}

static inline __u64 pm_flags(struct uffdops_mm *mm, unsigned long addr)
{
	return pm_bits(mm, addr) & PM_FLAGS;
}

static inline __u64 pm_pfn(struct uffdops_mm *mm, unsigned long addr)
{
	return pm_bits(mm, addr) & UFFDOPS_PM_PFN_MASK;
}

static inline unsigned int rd8(struct uffdops_mm *mm, unsigned long addr)
{
	unsigned char c = 0xee;

	assert_int_equal(uffdops_read_mem(mm, addr, &c, 1, 0), 1);
	return c;
}

static inline void wr8(struct uffdops_mm *mm, unsigned long addr,
		       unsigned char c)
{
	assert_int_equal(uffdops_write_mem(mm, addr, &c, 1, 0), 1);
}

#endif /* MM_TEST_H */
