/* SPDX-License-Identifier: MIT */
/*
 * file.c - a regular filesystem file (ext4, xfs, ...), as Linux 6.18 has it:
 * a page cache behind the inode and no userfaultfd ops at all. Such a VMA is
 * "other-file" for vma_can_userfault(): only a WP-only registration of a
 * context with UFFD_FEATURE_WP_ASYNC is accepted. Faults read the page cache
 * (a hole reads as zeros) and SIGBUS beyond EOF (filemap_fault()).
 */
#include "../registry.h"

const struct uffdops_memtype_desc file_memtype = {
	.name = "file",
	.page_size = PAGE_SIZE,
	.flags = UFFDOPS_MEMTYPE_FILE,
};
