/* SPDX-License-Identifier: MIT */
/*
 * register.c - UFFDIO_REGISTER and UFFDIO_UNREGISTER over the simulated
 * mm's VMAs, and the unregistration of every VMA at release
 * (fs/userfaultfd.c userfaultfd_register()/userfaultfd_unregister(),
 * mm/userfaultfd.c userfaultfd_register_range()/userfaultfd_clear_vma()/
 * userfaultfd_release_all(), Linux 6.18). Spec: ioctls.md §2.2, §2.3.
 *
 * Each VMA is checked through its memory type (memtype_can_userfault(),
 * where the kernel's vma_can_userfault() hard-codes anon/shmem/hugetlb),
 * every check is made before anything changes, and the changes are the
 * kernel's split/set/merge (vma_modify_flags_uffd()).
 */
#include <errno.h>

#include "registry.h"
#include "trace.h"
#include "uffd.h"
#include "wp.h"

/*
 * userfaultfd_clear_vma(): clear the uffd-wp state of [@start, @end) first
 * (if the VMA has WP), then split it off and drop flags and context. On a
 * split failure the VMA keeps its flags but the uffd-wp state is gone.
 */
static int userfaultfd_clear_vma(struct uffdops_vma **vmap, unsigned long start,
				 unsigned long end)
{
	struct uffdops_vma *vma = *vmap;

	if (userfaultfd_wp(vma))
		uffd_wp_range(vma, start, end - start, false);
	return vma_modify_flags_uffd(vma->vm_mm, vmap, start, end,
				     vma->vm_flags & ~__VM_UFFD_FLAGS, NULL);
}

/* is_vm_hugetlb_page() and @addr not aligned to its page size. */
static bool hugetlb_misaligned(const struct uffdops_vma *vma,
			       unsigned long addr)
{
	return is_vm_hugetlb_page(vma) && !IS_ALIGNED(addr, vma_page_size(vma));
}

/* Drops what uffd_range_lock() took. */
static void uffd_range_unlock(struct uffdops_mm *mm)
{
	mmap_write_unlock(mm);
	mmput(mm);
}

/*
 * The common start of userfaultfd_register() and userfaultfd_unregister()
 * after the range is validated: take a user of the mm (R6/U3, -ENOMEM when
 * it is gone), take the mmap write lock, find the first VMA of
 * [@start, @end) (R7/U4) and refuse a hugetlb one that @start cuts
 * (R8/U5). On success the lock and the user are held and *@vmap is set.
 */
static int uffd_range_lock(struct uffdops_ctx *ctx, const char *op,
			   const char *kfn, unsigned long start,
			   unsigned long end, struct uffdops_vma **vmap)
{
	struct uffdops_mm *mm = ctx->mm;
	struct uffdops_vma *vma;
	int ret;

	if (trace_check(mm, op, "mmget_not_zero of the context's mm", kfn,
			mmget_not_zero(mm) ? 0 : -ENOMEM, start))
		return -ENOMEM;
	mmap_write_lock(mm);
	/* vma_find(): gaps are fine, but some VMA must intersect */
	vma = find_vma_intersection(mm, start, end);
	ret = trace_check(mm, op, "no VMA intersects the range", "vma_find",
			  vma ? 0 : -EINVAL, start);
	/* the first VMA is hugetlb and start is not aligned to its page size */
	if (!ret)
		ret = trace_check(
			mm, op,
			"first VMA is hugetlb and start is not huge-page aligned",
			kfn, hugetlb_misaligned(vma, start) ? -EINVAL : 0,
			vma->vm_start);
	if (ret) {
		uffd_range_unlock(mm);
		return ret;
	}
	*vmap = vma;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* UFFDIO_REGISTER.                                                          */
/* ------------------------------------------------------------------------ */

/*
 * userfaultfd_register(): the per-VMA checks (R9a-R9d), in address order,
 * all before anything changes. Sets *@basic when a VMA is hugetlb.
 */
static int register_check_vmas(struct uffdops_ctx *ctx, const char *op,
			       struct uffdops_vma *vma, unsigned long end,
			       unsigned long vm_flags, bool *basic)
{
	static const char kfn[] = "userfaultfd_register";
	struct uffdops_mm *mm = ctx->mm;
	bool wp_async = userfaultfd_wp_async_ctx(ctx);
	struct uffdops_vma *cur;
	struct uffdops_ctx *owner;

	for (cur = vma; cur && cur->vm_start < end; cur = vma_next(cur)) {
		/*
		 * R9a vma_can_userfault(): the memory type's vm_uffd_ops decide
		 * what the kernel hard-codes for anon/shmem/hugetlb
		 */
		if (trace_check(
			    mm, op, "memory type cannot userfault in this mode",
			    "vma_can_userfault",
			    memtype_can_userfault(cur->mt, cur, cur->vm_flags,
						  vm_flags, wp_async) ?
				    0 :
				    -EINVAL,
			    cur->vm_start))
			return -EINVAL;
		/* R9b userfaultfd_register(): a shared mapping must be writable */
		if (trace_check(mm, op, "VMA lacks VM_MAYWRITE", kfn,
				cur->vm_flags & VM_MAYWRITE ? 0 : -EPERM,
				cur->vm_start))
			return -EPERM;
		/* R9c userfaultfd_register(): hugetlb VMA holding end, end misaligned */
		if (trace_check(
			    mm, op,
			    "hugetlb VMA containing end, end not huge-page aligned",
			    kfn,
			    end > cur->vm_start && end <= cur->vm_end &&
					    hugetlb_misaligned(cur, end) ?
				    -EINVAL :
				    0,
			    cur->vm_start))
			return -EINVAL;
		/* R9d userfaultfd_register(): one context per VMA */
		owner = vma_uffd_ctx(cur);
		if (trace_check(mm, op,
				"VMA registered with another userfaultfd", kfn,
				owner && owner != ctx ? -EBUSY : 0,
				cur->vm_start))
			return -EBUSY;
		if (is_vm_hugetlb_page(cur))
			*basic = true;
	}
	return 0;
}

/*
 * userfaultfd_register_range(): per VMA of [@start, @end), unless already
 * owned by @ctx with every requested mode, split at the range's edges, set
 * flags = (flags & ~__VM_UFFD_FLAGS) | @vm_flags (replace) and the context,
 * and merge. A split failure leaves the VMAs before it changed.
 */
static int userfaultfd_register_range(struct uffdops_ctx *ctx, const char *op,
				      struct uffdops_vma *vma,
				      unsigned long vm_flags,
				      unsigned long start, unsigned long end)
{
	unsigned long vma_start, vma_end, new_flags;
	int ret;

	while (vma && vma->vm_start < end) {
		/* userfaultfd_register_range(): owned, every mode set -> untouched */
		if (vma_uffd_ctx(vma) == ctx &&
		    (vma->vm_flags & vm_flags) == vm_flags) {
			vma = vma_next(vma);
			continue;
		}
		vma_start = vma->vm_start > start ? vma->vm_start : start;
		vma_end = vma->vm_end < end ? vma->vm_end : end;
		new_flags = (vma->vm_flags & ~__VM_UFFD_FLAGS) | vm_flags;
		ret = vma_modify_flags_uffd(ctx->mm, &vma, vma_start, vma_end,
					    new_flags, uffd_vm_ctx(ctx));
		if (trace_check(ctx->mm, op, "split and merge of the VMA",
				"vma_modify_flags_uffd", ret, vma_start))
			return ret;
		vma = vma_next(vma);
	}
	return 0;
}

int userfaultfd_register(struct uffdops_ctx *ctx, const struct uffd_ioctl *io)
{
	static const char kfn[] = "userfaultfd_register";
	struct uffdops_mm *mm = ctx->mm;
	struct uffdio_register reg;
	struct uffdops_vma *vma;
	unsigned long start, end, vm_flags;
	bool basic = false;
	__u64 ioctls;
	int ret;

	/* R1 userfaultfd_register(): range and mode unreadable */
	ret = uffd_copy_from_user(io, 0, &reg, io->desc->in_size);
	if (trace_check(mm, io->op, "copy_from_user of range and mode", kfn,
			ret, 0))
		return ret;
	/* R2, R3 userfaultfd_register(): mode empty or with unknown bits */
	ret = uffd_register_mode_check(reg.mode);
	if (trace_check(mm, io->op,
			"mode is 0 or has bits other than MISSING|WP|MINOR",
			kfn, ret, reg.range.start))
		return ret;
	/* R4: x86-64 has CONFIG_HAVE_ARCH_USERFAULTFD_WP and _MINOR */
	vm_flags = uffd_mode_to_vm_flags(reg.mode);
	/* R5 validate_range() */
	ret = validate_range(mm, io->op, reg.range.start, reg.range.len);
	if (ret)
		return ret;
	start = reg.range.start;
	end = start + reg.range.len;
	/* R6-R8 userfaultfd_register() */
	ret = uffd_range_lock(ctx, io->op, kfn, start, end, &vma);
	if (ret)
		return ret;
	ret = register_check_vmas(ctx, io->op, vma, end, vm_flags, &basic);
	if (ret)
		goto out_unlock;
	/* R10 userfaultfd_register_range() */
	ret = userfaultfd_register_range(ctx, io->op, vma, vm_flags, start,
					 end);
out_unlock:
	uffd_range_unlock(mm);
	if (ret)
		return ret;
	/* userfaultfd_register(): the mask follows the requested mode */
	ioctls = uffd_register_ioctls(basic, vm_flags);
	/* R11 put_user(): the registration stays */
	ret = uffd_copy_to_user(io, io->desc->out_off, &ioctls,
				io->desc->out_size);
	return trace_check(mm, io->op, "put_user of ioctls", kfn, ret, start);
}

/* ------------------------------------------------------------------------ */
/* UFFDIO_UNREGISTER.                                                        */
/* ------------------------------------------------------------------------ */

/* userfaultfd_unregister() pass 1 (U6a, U6b): every check before a change. */
static int unregister_check_vmas(struct uffdops_ctx *ctx, const char *op,
				 struct uffdops_vma *vma, unsigned long end)
{
	struct uffdops_mm *mm = ctx->mm;
	bool wp_async = userfaultfd_wp_async_ctx(ctx);
	struct uffdops_vma *cur;
	struct uffdops_ctx *owner;

	for (cur = vma; cur && cur->vm_start < end; cur = vma_next(cur)) {
		/* U6a userfaultfd_unregister(): only through the registering fd */
		owner = vma_uffd_ctx(cur);
		if (trace_check(
			    mm, op, "VMA registered with another userfaultfd",
			    "userfaultfd_unregister",
			    owner && owner != ctx ? -EINVAL : 0, cur->vm_start))
			return -EINVAL;
		/* U6b vma_can_userfault() with the VMA's current modes */
		if (trace_check(
			    mm, op,
			    "memory type cannot userfault in the VMA's modes",
			    "vma_can_userfault",
			    memtype_can_userfault(cur->mt, cur, cur->vm_flags,
						  cur->vm_flags, wp_async) ?
				    0 :
				    -EINVAL,
			    cur->vm_start))
			return -EINVAL;
	}
	return 0;
}

int userfaultfd_unregister(struct uffdops_ctx *ctx, const struct uffd_ioctl *io)
{
	static const char kfn[] = "userfaultfd_unregister";
	struct uffdops_mm *mm = ctx->mm;
	struct uffdio_range range;
	struct uffdops_vma *vma;
	unsigned long start, end, vma_start, vma_end;
	int ret;

	/* U1 userfaultfd_unregister(): unreadable argument */
	ret = uffd_copy_from_user(io, 0, &range, io->desc->in_size);
	if (trace_check(mm, io->op, "copy_from_user of struct uffdio_range",
			kfn, ret, 0))
		return ret;
	/* U2 validate_range() */
	ret = validate_range(mm, io->op, range.start, range.len);
	if (ret)
		return ret;
	start = range.start;
	end = start + range.len;
	/* U3-U5 userfaultfd_unregister() */
	ret = uffd_range_lock(ctx, io->op, kfn, start, end, &vma);
	if (ret)
		return ret;
	ret = unregister_check_vmas(ctx, io->op, vma, end);
	if (ret)
		goto out_unlock;

	/* userfaultfd_unregister() pass 2: per registered VMA piece */
	while (vma && vma->vm_start < end) {
		if (!vma_uffd_ctx(vma)) {
			vma = vma_next(vma);
			continue;
		}
		vma_start = vma->vm_start > start ? vma->vm_start : start;
		vma_end = vma->vm_end < end ? vma->vm_end : end;
		/*
		 * userfaultfd_unregister(): a MISSING VMA wakes every waiter of
		 * the piece, whatever its fault kind, before the split
		 */
		if (vma->vm_flags & VM_UFFD_MISSING)
			wake_userfault(ctx, vma_start, vma_end - vma_start);
		/* U7 userfaultfd_clear_vma(): the split may fail after that */
		ret = userfaultfd_clear_vma(&vma, vma_start, vma_end);
		if (trace_check(mm, io->op, "split and merge of the VMA",
				"userfaultfd_clear_vma", ret, vma_start))
			break;
		vma = vma_next(vma);
	}
out_unlock:
	uffd_range_unlock(mm);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Release.                                                                  */
/* ------------------------------------------------------------------------ */

void userfaultfd_release_all(struct uffdops_ctx *ctx)
{
	struct uffdops_mm *mm = ctx->mm;
	struct uffdops_vma *vma;

	/* userfaultfd_release(): nothing to unregister once the mm is gone */
	if (!mmget_not_zero(mm))
		return;
	/* userfaultfd_release_all(): every VMA of the context, whole */
	mmap_write_lock(mm);
	for (vma = vma_first(mm); vma; vma = vma_next(vma)) {
		if (vma_uffd_ctx(vma) != ctx)
			continue;
		/* a whole VMA needs no split: clearing cannot fail */
		userfaultfd_clear_vma(&vma, vma->vm_start, vma->vm_end);
	}
	mmap_write_unlock(mm);
	mmput(mm);
}
