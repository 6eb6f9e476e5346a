/* SPDX-License-Identifier: MIT */
/*
 * wp.h - UFFDIO_WRITEPROTECT and the uffd-wp state of page-table entries
 * (fs/userfaultfd.c userfaultfd_writeprotect(), mm/userfaultfd.c
 * mwriteprotect_range() and uffd_wp_range(), the helpers of
 * include/linux/userfaultfd_k.h). Spec: ioctls.md §1.4, §2.8.
 *
 * uffd_wp_range() is the one place that sets or resolves uffd-wp bits and
 * markers over a range: WRITEPROTECT uses it, and so does the
 * unregistration of a WP VMA (userfaultfd_clear_vma()). The fault path asks
 * userfaultfd_pte_wp() whether a write to an entry is a WP userfault and
 * userfaultfd_wp_use_markers() whether protection outlives a none entry.
 */
#ifndef UFFDOPS_WP_H
#define UFFDOPS_WP_H

#include "uffd.h"

/* userfaultfd_wp(): the VMA is registered in WP mode. */
static inline bool userfaultfd_wp(const struct uffdops_vma *vma)
{
	return vma->vm_flags & VM_UFFD_WP;
}

/*
 * userfaultfd_wp_unpopulated(): the context the VMA is registered with
 * asked for UFFD_FEATURE_WP_UNPOPULATED (UFFDIO_API adds it to WP_ASYNC).
 */
static inline bool userfaultfd_wp_unpopulated(const struct uffdops_vma *vma)
{
	struct uffdops_ctx *ctx = vma_uffd_ctx(vma);

	return ctx &&
	       (atomic_load(&ctx->features) & UFFD_FEATURE_WP_UNPOPULATED);
}

/*
 * userfaultfd_wp_use_markers(): write-protecting a none entry of @vma
 * leaves a uffd-wp marker. Always for file-backed VMAs (the page cache may
 * hold the page), for anonymous ones only with WP_UNPOPULATED.
 */
static inline bool userfaultfd_wp_use_markers(const struct uffdops_vma *vma)
{
	if (!userfaultfd_wp(vma))
		return false;
	if (!vma_is_anonymous(vma))
		return true;
	return userfaultfd_wp_unpopulated(vma);
}

/*
 * userfaultfd_pte_wp() (userfaultfd_huge_pte_wp() for hugetlb): a write
 * through present entry @pte of @vma is a WP userfault.
 */
static inline bool userfaultfd_pte_wp(const struct uffdops_vma *vma,
				      struct pte pte)
{
	return userfaultfd_wp(vma) && pte_uffd_wp(pte);
}

/**
 * uffd_wp_range() - set (@enable_wp) or resolve the uffd-wp state of
 * [@start, @start + @len) inside @vma (mm/userfaultfd.c uffd_wp_range() ->
 * change_protection() with MM_CP_UFFD_WP or MM_CP_UFFD_WP_RESOLVE).
 * @vma: the VMA; the mmap lock is held (read or write).
 * @start: first address; for hugetlb every huge page the range touches
 *	is changed.
 * @len: length in bytes.
 * @enable_wp: true to protect, false to resolve.
 *
 * Protecting sets the uffd-wp bit of present and zero-page entries (which
 * makes them read-only) and, where userfaultfd_wp_use_markers(), puts a
 * uffd-wp marker on none entries. Resolving clears the bit, upgrades the
 * entry to writable where the kernel would without a fault
 * (can_change_pte_writable()) and turns uffd-wp markers back into none.
 * Poison and guard markers are never touched. Takes mm->ptl.
 *
 * Return: the number of entries changed, or -ENOMEM when a page table for
 * a marker could not be allocated (entries before it stay changed).
 */
long uffd_wp_range(struct uffdops_vma *vma, unsigned long start,
		   unsigned long len, bool enable_wp);

/** userfaultfd_writeprotect() - UFFDIO_WRITEPROTECT (spec §2.8, W1-W12). */
int userfaultfd_writeprotect(struct uffdops_ctx *ctx,
			     const struct uffd_ioctl *io);

#endif /* UFFDOPS_WP_H */
