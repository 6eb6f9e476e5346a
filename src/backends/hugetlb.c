/* SPDX-License-Identifier: MIT */
/*
 * hugetlb.c - hugetlbfs memory in 2 MiB pages (MAP_HUGETLB, hugetlb memfd),
 * as Linux 6.18 has it: every mode; COPY, WRITEPROTECT, CONTINUE and POISON
 * but no ZEROPAGE (mfill_atomic_hugetlb() refuses it: no huge zero page) and
 * no MOVE. CONTINUE looks the huge folio up without an EOF check
 * (filemap_lock_hugetlb_folio()); shared COPY adds a huge folio to the cache.
 */
#include "../registry.h"
#include "pagecache.h"

#define HUGETLB_ORDER (PMD_SHIFT - PAGE_SHIFT)

static int hugetlb_uffd_get_folio(struct uffdops_inode *inode, pgoff_t pgoff,
				  struct uffdops_folio **foliop)
{
	return pagecache_get_folio(inode, pgoff, false, foliop);
}

static int hugetlb_uffd_copy(struct uffdops_vma *dst_vma,
			     unsigned long dst_addr, const void *src,
			     uffd_flags_t flags, struct uffdops_folio **foliop)
{
	(void)flags; /* the WP bit is applied by the core when it installs the PTE */
	return pagecache_fill_folio(dst_vma, dst_addr, src, HUGETLB_ORDER,
				    foliop);
}

static const struct vm_uffd_ops hugetlb_uffd_ops = {
	.uffd_features = __VM_UFFD_FLAGS,
	.uffd_ioctls = UFFDOPS_IOCTL_BIT(_UFFDIO_COPY) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_WRITEPROTECT) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_CONTINUE) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_POISON),
	.uffd_get_folio = hugetlb_uffd_get_folio,
	.uffd_copy = hugetlb_uffd_copy,
};

const struct uffdops_memtype_desc hugetlb_memtype = {
	.name = "hugetlb",
	.page_size = PMD_SIZE,
	.flags = UFFDOPS_MEMTYPE_FILE,
	.uffd_ops = &hugetlb_uffd_ops,
};
