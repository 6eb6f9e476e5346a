/* SPDX-License-Identifier: MIT */
/*
 * anon.c - anonymous memory (MAP_PRIVATE|MAP_ANONYMOUS), as Linux 6.18 has it.
 *
 * The kernel gives anonymous VMAs no ops table and hard-codes their
 * capabilities: vma_can_userfault() accepts MISSING and WP but never MINOR
 * (there is no page cache to hit), every fill but CONTINUE works, and MOVE
 * works only here. The table below states exactly that.
 */
#include "../registry.h"

static const struct vm_uffd_ops anon_uffd_ops = {
	.uffd_features = VM_UFFD_MISSING | VM_UFFD_WP,
	.uffd_ioctls = UFFDOPS_IOCTL_BIT(_UFFDIO_COPY) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_ZEROPAGE) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_WRITEPROTECT) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_POISON) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_MOVE),
};

const struct uffdops_memtype_desc anon_memtype = {
	.name = "anon",
	.page_size = PAGE_SIZE,
	.uffd_ops = &anon_uffd_ops,
};
