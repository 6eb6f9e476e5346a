/* SPDX-License-Identifier: MIT */
/*
 * shmem.c - shmem/tmpfs (memfd, MAP_SHARED|MAP_ANONYMOUS), as Linux 6.18 has
 * it: every mode, every fill but MOVE, CONTINUE served from the page cache
 * (shmem_get_folio(SGP_NOALLOC)), shared COPY/ZEROPAGE through
 * shmem_mfill_atomic_pte(). The table is Peter Xu's shmem table.
 */
#include "../registry.h"
#include "pagecache.h"

static int shmem_uffd_get_folio(struct uffdops_inode *inode, pgoff_t pgoff,
				struct uffdops_folio **foliop)
{
	return pagecache_get_folio(inode, pgoff, true, foliop);
}

static int shmem_uffd_copy(struct uffdops_vma *dst_vma, unsigned long dst_addr,
			   const void *src, uffd_flags_t flags,
			   struct uffdops_folio **foliop)
{
	(void)flags; /* the WP bit is applied by the core when it installs the PTE */
	return pagecache_fill_folio(dst_vma, dst_addr, src, 0, foliop);
}

static const struct vm_uffd_ops shmem_uffd_ops = {
	.uffd_features = __VM_UFFD_FLAGS,
	.uffd_ioctls = UFFDOPS_IOCTL_BIT(_UFFDIO_COPY) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_ZEROPAGE) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_WRITEPROTECT) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_CONTINUE) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_POISON),
	.uffd_get_folio = shmem_uffd_get_folio,
	.uffd_copy = shmem_uffd_copy,
};

const struct uffdops_memtype_desc shmem_memtype = {
	.name = "shmem",
	.page_size = PAGE_SIZE,
	.flags = UFFDOPS_MEMTYPE_FILE,
	.uffd_ops = &shmem_uffd_ops,
};
