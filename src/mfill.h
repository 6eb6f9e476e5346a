/* SPDX-License-Identifier: MIT */
/*
 * mfill.h - the fill ioctls UFFDIO_COPY, UFFDIO_ZEROPAGE, UFFDIO_CONTINUE and
 * UFFDIO_POISON (fs/userfaultfd.c userfaultfd_copy() ... userfaultfd_poison())
 * and the loop they share (mm/userfaultfd.c mfill_atomic(), Linux 6.18).
 * Spec: ioctls.md §2.0, §2.5-§2.7, §2.9; vm_uffd_ops.md §2.3, §3.B-§3.C.
 *
 * A fill reaches the destination's memory type through its ops table:
 *  - anonymous memory and every private (MAP_PRIVATE) COPY take the core's
 *    anonymous path; private ZEROPAGE maps the zero page; POISON installs a
 *    marker; all three need no hook;
 *  - a shared COPY/ZEROPAGE calls the original proposal's uffd_copy() or the
 *    7.1 table's alloc_folio() + filemap_add() (+ filemap_remove() on error);
 *  - CONTINUE calls uffd_get_folio() or get_folio_noalloc();
 *  - huge-page types (hugetlb and huge user types) take mfill_atomic_hugetlb().
 *
 * Hook contracts enforced at fill time (each breach is reported through the
 * trace with the hook's name, then turned into an errno):
 *  - uffd_copy(): returns 0 with a folio of the VMA's page size that it
 *    inserted, LOCKED, into the page cache at the destination's index, with
 *    a reference for the core (shmem_mfill_atomic_pte() keeps the folio
 *    locked from insertion until the PTE is in); or -ENOMEM, -ENOSPC,
 *    -EEXIST, -EFAULT, -EIO. Anything else is refused with -EINVAL, as the
 *    kernel refuses a table it cannot use (WARN_ON_ONCE() + -EINVAL in
 *    mfill_atomic_pte()), and a folio it inserted is taken out again.
 *  - uffd_get_folio()/get_folio_noalloc(): a LOCKED folio with a reference,
 *    cached in that inode at that index, of the VMA's page size for a huge
 *    type. Every other answer counts as "no folio": -EFAULT, as
 *    mfill_atomic_pte_continue() reports every failed lookup; legitimate
 *    errnos of uffd_get_folio() (-EINVAL past EOF, -EIO, -ENOMEM) pass
 *    through and -ENOENT becomes -EFAULT as in the kernel.
 *  - alloc_folio(): NULL is -ENOMEM; a folio must be base-page sized,
 *    unlocked, and in no page cache, else -EINVAL.
 *  - filemap_add(): 0 with the folio locked and cached at the index, or
 *    -ENOMEM, -ENOSPC, -EEXIST, -EFAULT with the folio unlocked and out of
 *    the cache; anything else -EINVAL (the folio is cleaned up).
 *  - filemap_remove(): leaves the folio unlocked and out of the cache (the
 *    core finishes the job when it does not).
 */
#ifndef UFFDOPS_MFILL_H
#define UFFDOPS_MFILL_H

#include "uffd.h"

/** userfaultfd_copy() - UFFDIO_COPY (spec §2.5, C1-C7). */
int userfaultfd_copy(struct uffdops_ctx *ctx, const struct uffd_ioctl *io);

/** userfaultfd_zeropage() - UFFDIO_ZEROPAGE (spec §2.6, Z1-Z6). */
int userfaultfd_zeropage(struct uffdops_ctx *ctx, const struct uffd_ioctl *io);

/** userfaultfd_continue() - UFFDIO_CONTINUE (spec §2.7, N1-N6). */
int userfaultfd_continue(struct uffdops_ctx *ctx, const struct uffd_ioctl *io);

/** userfaultfd_poison() - UFFDIO_POISON (spec §2.9, P1-P6). */
int userfaultfd_poison(struct uffdops_ctx *ctx, const struct uffd_ioctl *io);

/**
 * mfill_atomic() - fill [@dst_start, @dst_start + @len) of @ctx's mm
 * (mm/userfaultfd.c mfill_atomic(), M1-M8, L1-L6, H1-H11).
 * @ctx: the context; its mm is the destination.
 * @op: the ioctl's name, for the trace.
 * @dst_start: page-aligned destination.
 * @src_start: COPY's source in the caller's address space (here ctx->mm).
 * @len: bytes, a multiple of the page size.
 * @flags: enum mfill_atomic_mode, optionally | MFILL_ATOMIC_WP.
 *
 * Return: the bytes filled when some were, else a negative errno.
 */
ssize_t mfill_atomic(struct uffdops_ctx *ctx, const char *op,
		     unsigned long dst_start, unsigned long src_start,
		     unsigned long len, uffd_flags_t flags);

#endif /* UFFDOPS_MFILL_H */
