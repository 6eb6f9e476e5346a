/* SPDX-License-Identifier: MIT */
/*
 * pagecache.h - the vm_uffd_ops hooks shared by the page-cache backed
 * built-in types (shmem, hugetlb).
 */
#ifndef UFFDOPS_BACKENDS_PAGECACHE_H
#define UFFDOPS_BACKENDS_PAGECACHE_H

#include "../internal.h"

/**
 * pagecache_get_folio() - the cached folio at @pgoff, locked and referenced.
 * @inode: the inode.
 * @pgoff: page index.
 * @check_eof: refuse an index at or past i_size with -EINVAL, as
 *	shmem_get_folio(SGP_NOALLOC) does (hugetlb's lookup has no such check).
 * @foliop: set to the folio.
 *
 * Return: 0, -ENOENT when nothing is cached, -EINVAL past EOF.
 */
int pagecache_get_folio(struct uffdops_inode *inode, pgoff_t pgoff,
			bool check_eof, struct uffdops_folio **foliop);

/**
 * pagecache_fill_folio() - allocate a folio of 2^@order pages for @dst_addr,
 * fill it from @src (zero it when @src is NULL) and insert it into the page
 * cache, as shmem_mfill_atomic_pte() and hugetlb_mfill_atomic_pte() do for
 * shared mappings.
 * @vma: the destination VMA (shared, file-backed).
 * @dst_addr: the destination address, aligned to the folio size.
 * @src: a folio-sized buffer of the caller's data, or NULL.
 * @order: folio order.
 * @foliop: set to the inserted folio, locked, with a reference for the
 *	caller.
 *
 * Return: 0, -ENOMEM, -EFAULT past EOF, -EEXIST when a folio is cached.
 */
int pagecache_fill_folio(struct uffdops_vma *vma, unsigned long dst_addr,
			 const void *src, unsigned int order,
			 struct uffdops_folio **foliop);

#endif /* UFFDOPS_BACKENDS_PAGECACHE_H */
