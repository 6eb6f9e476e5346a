/* SPDX-License-Identifier: MIT */
/*
 * pagecache.c - vm_uffd_ops hooks of the page-cache backed built-in types.
 */
#include <errno.h>
#include <string.h>

#include "pagecache.h"

/* Number of pages below i_size, rounded up (the first index past EOF). */
static pgoff_t eof_index(const struct uffdops_inode *inode)
{
	return (uffdops_inode_size(inode) + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

int pagecache_get_folio(struct uffdops_inode *inode, pgoff_t pgoff,
			bool check_eof, struct uffdops_folio **foliop)
{
	/* shmem_get_folio(SGP_NOALLOC): an index at or past i_size -> -EINVAL */
	if (check_eof && pgoff >= eof_index(inode))
		return -EINVAL;
	return uffdops_filemap_get_folio(inode, pgoff, foliop);
}

int pagecache_fill_folio(struct uffdops_vma *vma, unsigned long dst_addr,
			 const void *src, unsigned int order,
			 struct uffdops_folio **foliop)
{
	struct uffdops_inode *inode = uffdops_file_inode(uffdops_vma_file(vma));
	pgoff_t index = uffdops_linear_page_index(vma, dst_addr);
	struct uffdops_folio *folio;
	int ret;

	/* shmem_mfill_atomic_pte(): allocate, then fill, then the EOF check */
	ret = uffdops_folio_alloc(order, &folio);
	if (ret)
		return ret;
	if (src)
		memcpy(uffdops_folio_data(folio), src, PAGE_SIZE << order);
	if (index >= eof_index(inode)) {
		ret = -EFAULT;
		goto out_put;
	}
	/*
	 * shmem_mfill_atomic_pte(): the folio enters the cache locked and stays
	 * locked until the core has mapped it; shmem_add_to_page_cache(): an
	 * index already cached -> -EEXIST.
	 */
	uffdops_folio_lock(folio);
	ret = uffdops_filemap_add_folio(inode, folio, index);
	if (ret) {
		uffdops_folio_unlock(folio);
		goto out_put;
	}
	*foliop = folio;
	return 0;
out_put:
	uffdops_folio_put(folio);
	return ret;
}
