/* SPDX-License-Identifier: MIT */
/*
 * capability.c - what UFFDIO_REGISTER decides from a VMA's memory type:
 * vma_can_userfault() through the type's ops, and the ioctl mask written
 * back (fs/userfaultfd.c userfaultfd_register(), Linux 6.18).
 */
#include <errno.h>
#include <string.h>

#include "mm.h"
#include "registry.h"

unsigned long uffd_mode_to_vm_flags(__u64 mode)
{
	unsigned long vm_flags = 0;

	if (mode & UFFDIO_REGISTER_MODE_MISSING)
		vm_flags |= VM_UFFD_MISSING;
	if (mode & UFFDIO_REGISTER_MODE_WP)
		vm_flags |= VM_UFFD_WP;
	if (mode & UFFDIO_REGISTER_MODE_MINOR)
		vm_flags |= VM_UFFD_MINOR;
	return vm_flags;
}

bool memtype_can_userfault(const struct memtype *mt, struct uffdops_vma *vma,
			   unsigned long vm_flags, unsigned long modes,
			   bool wp_async)
{
	const struct uffd_caps *caps = &mt->caps;

	modes &= __VM_UFFD_FLAGS;
	/* vma_can_userfault(): a VM_DROPPABLE VMA is never registrable */
	if ((vm_flags & VM_DROPPABLE) || caps->droppable)
		return false;
	/* vma_can_userfault(): MINOR needs a page cache (hugetlb or shmem) */
	if ((modes & VM_UFFD_MINOR) && caps->anonymous)
		return false;
	/* vma_can_userfault(): WP alone under WP_ASYNC is fine on any VMA */
	if (wp_async && modes == VM_UFFD_WP)
		return true;
	/* vma_can_userfault(): otherwise only types with ops (anon, shmem, hugetlb) */
	switch (caps->generation) {
	case UFFDOPS_OPS_PROPOSAL:
		return !(modes & ~caps->modes);
	case UFFDOPS_OPS_V7_1:
		return mt->desc.uffd_ops_v7_1->can_userfault(vma, modes);
	default:
		return false;
	}
}

__u64 uffd_register_ioctls(bool any_hugetlb, unsigned long vm_flags)
{
	/* userfaultfd_register(): hugetlb in the range -> the BASIC set */
	__u64 ioctls = any_hugetlb ? UFFDOPS_API_RANGE_IOCTLS_BASIC :
				     UFFDOPS_API_RANGE_IOCTLS;

	/* userfaultfd_register(): WRITEPROTECT only with WP, CONTINUE only with MINOR */
	if (!(vm_flags & VM_UFFD_WP))
		ioctls &= ~UFFDOPS_IOCTL_BIT(_UFFDIO_WRITEPROTECT);
	if (!(vm_flags & VM_UFFD_MINOR))
		ioctls &= ~UFFDOPS_IOCTL_BIT(_UFFDIO_CONTINUE);
	return ioctls;
}

int uffd_register_mode_check(__u64 mode)
{
	/* userfaultfd_register(): an empty mode or unknown bits -> -EINVAL */
	if (!mode || (mode & ~(__u64)(UFFDIO_REGISTER_MODE_MISSING |
				      UFFDIO_REGISTER_MODE_WP |
				      UFFDIO_REGISTER_MODE_MINOR)))
		return -EINVAL;
	return 0;
}

/* A read-write VMA of one page of @mt, shared when file-backed. */
static void vma_init_stand_in(struct uffdops_vma *vma, struct memtype *mt)
{
	memset(vma, 0, sizeof(*vma));
	vma->vm_end = mt->desc.page_size;
	vma->vm_flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
	if (!mt->caps.anonymous)
		vma->vm_flags |= VM_SHARED | VM_MAYSHARE;
	if (mt->caps.hugetlb)
		vma->vm_flags |= VM_HUGETLB;
	if (mt->caps.droppable)
		vma->vm_flags |= VM_DROPPABLE;
	vma->mt = mt;
}

int uffdops_memtype_register_ioctls(const char *name, __u64 mode,
				    __u64 features, __u64 *ioctls)
{
	struct uffdops_vma vma;
	struct memtype *mt;
	unsigned long vm_flags;
	int ret;

	mt = memtype_get(name);
	if (!mt)
		return -ENOENT;
	ret = uffd_register_mode_check(mode);
	if (ret)
		goto out;
	vm_flags = uffd_mode_to_vm_flags(mode);
	/* One read-write VMA of the type, shared when file-backed. */
	vma_init_stand_in(&vma, mt);
	if (!memtype_can_userfault(mt, &vma, vma.vm_flags, vm_flags,
				   features & UFFD_FEATURE_WP_ASYNC)) {
		ret = -EINVAL;
		goto out;
	}
	*ioctls = uffd_register_ioctls(mt->caps.hugetlb, vm_flags);
out:
	memtype_put(mt);
	return ret;
}
