/* SPDX-License-Identifier: MIT */
/*
 * wp.c - UFFDIO_WRITEPROTECT and the uffd-wp state of page-table entries
 * (fs/userfaultfd.c userfaultfd_writeprotect(), mm/userfaultfd.c
 * mwriteprotect_range() and uffd_wp_range(), the MM_CP_UFFD_WP and
 * MM_CP_UFFD_WP_RESOLVE paths of mm/mprotect.c change_pte_range() and
 * mm/hugetlb.c hugetlb_change_protection(), Linux 6.18). Spec: ioctls.md
 * §1.4, §2.8.
 *
 * THP is not modelled: anonymous memory is always mapped with 4 KiB
 * entries, so no PMD ever needs splitting before its entries change.
 */
#include <errno.h>

#include "trace.h"
#include "wp.h"

/**
 * struct wp_change - one uffd_wp_range() in progress.
 * @vma: the VMA whose entries change.
 * @enable: MM_CP_UFFD_WP (true) or MM_CP_UFFD_WP_RESOLVE (false).
 * @try_writable: MM_CP_TRY_CHANGE_WRITABLE.
 * @pages: entries changed so far.
 */
struct wp_change {
	struct uffdops_vma *vma;
	bool enable;
	bool try_writable;
	long pages;
};

/*
 * vma_wants_manual_pte_write_upgrade(): a shared mapping wants its entries
 * upgraded one by one when it write-notifies (a WP VMA always does: see
 * vma_wants_writenotify()), a private one whenever it is writable.
 */
static bool vma_wants_manual_pte_write_upgrade(const struct uffdops_vma *vma)
{
	if (vma->vm_flags & VM_SHARED)
		return userfaultfd_wp(vma) && (vma->vm_flags & VM_WRITE);
	return vma->vm_flags & VM_WRITE;
}

/*
 * change_pte_range()/hugetlb_change_protection() on one non-none entry.
 * Returns true when *@pte changed.
 */
static bool wp_change_entry(struct wp_change *wc, struct pte *pte)
{
	struct pte old = *pte;

	if (pte_present(old)) {
		if (wc->enable) {
			/* pte_mkuffd_wp(): protected entries are read-only */
			*pte = pte_mkuffd_wp(old);
		} else {
			/*
			 * pte_modify(vm_page_prot) then pte_clear_uffd_wp():
			 * a private or write-notifying VMA's page protection
			 * is read-only, so is the entry now ...
			 */
			*pte = pte_wrprotect(pte_clear_uffd_wp(old));
			/* ... unless MM_CP_TRY_CHANGE_WRITABLE may upgrade it */
			if (wc->try_writable &&
			    can_change_pte_writable(wc->vma, *pte))
				pte->flags |= PTE_WRITE;
		}
	} else if (!(pte_marker_get(old) &
		     (PTE_MARKER_POISONED | PTE_MARKER_GUARD))) {
		/*
		 * change_pte_range(): poison and guard markers are left alone;
		 * a uffd-wp marker is dropped when resolving (the next fault
		 * is an ordinary one) and kept when protecting.
		 */
		if (!wc->enable && pte_marker_uffd_wp(old))
			*pte = (struct pte){ 0 };
	}
	return pte->flags != old.flags || pte->folio != old.folio;
}

static void wp_change_walk(unsigned long addr, struct pte *pte, void *arg)
{
	struct wp_change *wc = arg;

	(void)addr;
	if (wp_change_entry(wc, pte))
		wc->pages++;
}

/*
 * change_pmd_range() with pgtable_populate_needed(): protecting a VMA that
 * uses markers visits every entry, none ones included, allocating tables.
 */
static long wp_protect_with_markers(struct wp_change *wc, unsigned long start,
				    unsigned long end)
{
	struct uffdops_mm *mm = wc->vma->vm_mm;
	unsigned long psize = vma_page_size(wc->vma);
	enum pt_level level = vma_pt_level(wc->vma);
	unsigned long addr;
	struct pte pte;

	for (addr = ALIGN_DOWN(start, psize); addr < end; addr += psize) {
		pte = pgtable_get(&mm->pgt, addr, level);
		if (pte_none(pte))
			/* change_pte_range(): a none entry gets a uffd-wp marker */
			pte = make_pte_marker(PTE_MARKER_UFFD_WP);
		else if (!wp_change_entry(wc, &pte))
			continue;
		if (pgtable_set(&mm->pgt, addr, level, pte))
			return -ENOMEM;
		wc->pages++;
	}
	return wc->pages;
}

long uffd_wp_range(struct uffdops_vma *vma, unsigned long start,
		   unsigned long len, bool enable_wp)
{
	struct uffdops_mm *mm = vma->vm_mm;
	struct wp_change wc = {
		.vma = vma,
		.enable = enable_wp,
		/*
		 * uffd_wp_range(): resolving tries to give write permission
		 * back; hugetlb_change_protection() never does
		 */
		.try_writable = !enable_wp && !is_vm_hugetlb_page(vma) &&
				vma_wants_manual_pte_write_upgrade(vma),
	};
	long ret;

	pt_lock(mm);
	if (enable_wp && userfaultfd_wp_use_markers(vma)) {
		ret = wp_protect_with_markers(&wc, start, start + len);
	} else {
		pgtable_walk(&mm->pgt, start, start + len, vma_pt_level(vma),
			     wp_change_walk, &wc);
		ret = wc.pages;
	}
	pt_unlock(mm);
	return ret;
}

/*
 * mwriteprotect_range(): every VMA meeting the range, gaps skipped; the
 * first one that is not WP-registered (or a misaligned hugetlb request)
 * stops the walk with the VMAs before it already changed.
 */
static int mwriteprotect_range(struct uffdops_ctx *ctx, const char *op,
			       unsigned long start, unsigned long len,
			       bool enable_wp)
{
	static const char kfn[] = "mwriteprotect_range";
	struct uffdops_mm *mm = ctx->mm;
	unsigned long end = start + len, vstart, vend, mask;
	struct uffdops_vma *vma;
	long err;

	mmap_read_lock(mm);
	/* W7 mwriteprotect_range(): an event began since the first check */
	err = trace_check(mm, op, "a non-cooperative event is in flight", kfn,
			  atomic_load(&ctx->mmap_changing) ? -EAGAIN : 0,
			  start);
	if (err)
		goto out_unlock;
	vma = find_vma_intersection(mm, start, end);
	/* W11 mwriteprotect_range(): no VMA at all in the range */
	err = trace_check(mm, op, "no VMA intersects the range", kfn,
			  vma ? 0 : -ENOENT, start);
	for (; vma && vma->vm_start < end; vma = vma_next(vma)) {
		/* W8 mwriteprotect_range(): userfaultfd_wp() of each VMA */
		err = trace_check(mm, op, "VMA is not registered in WP mode",
				  kfn, userfaultfd_wp(vma) ? 0 : -ENOENT,
				  vma->vm_start);
		if (err)
			break;
		/* W9 mwriteprotect_range(): the request, not the piece */
		mask = vma_page_size(vma) - 1;
		err = trace_check(
			mm, op,
			"hugetlb VMA and start or len not huge-page aligned",
			kfn,
			is_vm_hugetlb_page(vma) &&
					((start & mask) || (len & mask)) ?
				-EINVAL :
				0,
			vma->vm_start);
		if (err)
			break;
		vstart = vma->vm_start > start ? vma->vm_start : start;
		vend = vma->vm_end < end ? vma->vm_end : end;
		/* W10 uffd_wp_range() -> change_protection() */
		err = uffd_wp_range(vma, vstart, vend - vstart, enable_wp);
		err = trace_check(mm, op,
				  enable_wp ? "write-protect the VMA's piece" :
					      "resolve the VMA's piece",
				  "uffd_wp_range", err < 0 ? (int)err : 0,
				  vstart);
		if (err)
			break;
	}
out_unlock:
	mmap_read_unlock(mm);
	return (int)err;
}

int userfaultfd_writeprotect(struct uffdops_ctx *ctx,
			     const struct uffd_ioctl *io)
{
	static const char kfn[] = "userfaultfd_writeprotect";
	struct uffdops_mm *mm = ctx->mm;
	struct uffdio_writeprotect wp;
	bool mode_wp, mode_dontwake;
	int ret;

	/* W1 userfaultfd_writeprotect(): before the argument is even read */
	ret = uffd_mmap_changing(ctx, io, kfn);
	if (ret)
		return ret;
	/* W2 userfaultfd_writeprotect(): copy_from_user() of 24 bytes */
	ret = uffd_copy_from_user(io, 0, &wp, io->desc->in_size);
	if (trace_check(mm, io->op,
			"copy_from_user of struct uffdio_writeprotect", kfn,
			ret, 0))
		return ret;
	/* W3 validate_range() */
	ret = validate_range(mm, io->op, wp.range.start, wp.range.len);
	if (ret)
		return ret;
	/* W4 userfaultfd_writeprotect(): unknown mode bits */
	if (trace_check(mm, io->op, "mode has bits other than WP|DONTWAKE", kfn,
			wp.mode & ~(__u64)(UFFDIO_WRITEPROTECT_MODE_WP |
					   UFFDIO_WRITEPROTECT_MODE_DONTWAKE) ?
				-EINVAL :
				0,
			wp.range.start))
		return -EINVAL;
	mode_wp = wp.mode & UFFDIO_WRITEPROTECT_MODE_WP;
	mode_dontwake = wp.mode & UFFDIO_WRITEPROTECT_MODE_DONTWAKE;
	/* W5 userfaultfd_writeprotect(): protecting never wakes */
	if (trace_check(mm, io->op, "mode is WP|DONTWAKE", kfn,
			mode_wp && mode_dontwake ? -EINVAL : 0, wp.range.start))
		return -EINVAL;
	/* W6 mmget_not_zero(): the mm is already torn down */
	ret = uffd_mmget(ctx, io, kfn);
	if (ret)
		return ret;
	/* W7-W11 mwriteprotect_range() */
	ret = mwriteprotect_range(ctx, io->op, wp.range.start, wp.range.len,
				  mode_wp);
	mmput(mm);
	if (ret)
		return ret;
	/*
	 * W12 userfaultfd_writeprotect(): un-protecting without DONTWAKE wakes
	 * every waiter of the range, MISSING ones included
	 */
	if (!mode_wp && !mode_dontwake) {
		trace_check(mm, io->op, "wake the whole range",
			    "wake_userfault", 0, wp.range.start);
		wake_userfault(ctx, wp.range.start, wp.range.len);
	}
	return 0;
}
