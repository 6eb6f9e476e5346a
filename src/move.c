/* SPDX-License-Identifier: MIT */
/*
 * move.c - UFFDIO_MOVE: relocate anonymous pages between two private
 * anonymous VMAs of the context's mm without copying them
 * (fs/userfaultfd.c userfaultfd_move(), mm/userfaultfd.c move_pages(),
 * move_pages_pte(), move_present_pte(), move_zeropage_pte(), Linux 6.18).
 * Spec: ioctls.md §2.0, §2.10.
 *
 * Not modelled: THP (anonymous memory is always mapped with 4 KiB entries,
 * so Y2/Y3's whole-PMD move and split never arise), swap and migration
 * entries (Y8's swap rows), DMA pins (Y7's pinned row), fatal signals (Y9's
 * EINTR). The kernel's
 * internal EAGAIN retries (Y9) cannot happen: every page is moved under
 * the page-table lock in one step. 6.18 moves runs of present pages in
 * batches (move_pages_ptes()); the result is the same as page by page.
 */
#include <errno.h>

#include "move.h"
#include "trace.h"

/* current->mm of the calling thread; NULL: the context's own mm. */
static _Thread_local struct uffdops_mm *current_mm;

struct uffdops_mm *uffd_set_current_mm(struct uffdops_mm *mm)
{
	struct uffdops_mm *old = current_mm;

	current_mm = mm;
	return old;
}

/* VM_SHADOW_STACK (x86-64, include/linux/mm.h); the model never sets it. */
#define VM_SHADOW_STACK (1UL << 37)

/* vma_move_compatible(): memory whose pages can be moved at all. */
static bool vma_move_compatible(const struct uffdops_vma *vma)
{
	return !(vma->vm_flags & (VM_PFNMAP | VM_IO | VM_HUGETLB | VM_MIXEDMAP |
				  VM_SHADOW_STACK));
}

/*
 * validate_move_areas() (X8-X13). The page protections of two private
 * anonymous VMAs differ exactly when their access flags do, so X8 compares
 * VM_ACCESS_FLAGS only.
 */
static int validate_move_areas(struct uffdops_ctx *ctx, const char *op,
			       const struct uffdops_vma *src_vma,
			       const struct uffdops_vma *dst_vma)
{
	static const char kfn[] = "validate_move_areas";
	struct uffdops_mm *mm = ctx->mm;

	/* X8 validate_move_areas(): same access flags and page protection */
	if (trace_check(mm, op, "source and destination access flags differ",
			kfn,
			(src_vma->vm_flags & VM_ACCESS_FLAGS) !=
					(dst_vma->vm_flags & VM_ACCESS_FLAGS) ?
				-EINVAL :
				0,
			dst_vma->vm_start))
		return -EINVAL;
	/* X9 validate_move_areas(): both mlocked or neither */
	if (trace_check(mm, op, "one VMA is VM_LOCKED and the other not", kfn,
			(src_vma->vm_flags & VM_LOCKED) !=
					(dst_vma->vm_flags & VM_LOCKED) ?
				-EINVAL :
				0,
			dst_vma->vm_start))
		return -EINVAL;
	/* X10 validate_move_areas(): only between writable VMAs */
	if (trace_check(mm, op, "source VMA is not writable", kfn,
			src_vma->vm_flags & VM_WRITE ? 0 : -EINVAL,
			src_vma->vm_start))
		return -EINVAL;
	/* X11 vma_move_compatible(): no PFNMAP/IO/HUGETLB/MIXEDMAP */
	if (trace_check(mm, op,
			"a VMA is PFNMAP, IO, HUGETLB, MIXEDMAP or shadow stack",
			"vma_move_compatible",
			vma_move_compatible(src_vma) &&
					vma_move_compatible(dst_vma) ?
				0 :
				-EINVAL,
			dst_vma->vm_start))
		return -EINVAL;
	/* X12 validate_move_areas(): dst registered with this very context */
	if (trace_check(mm, op,
			"destination VMA not registered with this userfaultfd",
			kfn, vma_uffd_ctx(dst_vma) == ctx ? 0 : -EINVAL,
			dst_vma->vm_start))
		return -EINVAL;
	/* X13 validate_move_areas(): anonymous memory only */
	if (trace_check(mm, op, "a VMA is not anonymous", kfn,
			vma_is_anonymous(src_vma) && vma_is_anonymous(dst_vma) ?
				0 :
				-EINVAL,
			dst_vma->vm_start))
		return -EINVAL;
	return 0;
}

/*
 * move_pages_pte() for one page, under mm->ptl (the kernel's
 * double_pt_lock() of both tables).
 */
static int move_pages_pte(struct uffdops_mm *mm, const char *op,
			  unsigned long dst_addr, unsigned long src_addr,
			  __u64 mode)
{
	static const char kfn[] = "move_pages_pte";
	struct pte src = pgtable_get(&mm->pgt, src_addr, PT_LEVEL_PTE);
	struct pte dst = pgtable_get(&mm->pgt, dst_addr, PT_LEVEL_PTE);
	struct uffdops_folio *folio = src.folio;
	struct pte moved;

	/* Y4 move_pages_pte(): dst strictly none, before the src hole check */
	if (!pte_none(dst))
		return trace_check(mm, op, "destination entry is not none", kfn,
				   -EEXIST, dst_addr);
	/* Y5 move_pages_pte(): a src hole */
	if (pte_none(src))
		return mode & UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES ?
			       0 :
			       trace_check(
				       mm, op,
				       "source entry is none (no ALLOW_SRC_HOLES)",
				       kfn, -ENOENT, src_addr);
	/* Y8 move_pages_pte(): uffd-wp, poison and guard markers */
	if (!pte_present(src))
		return trace_check(mm, op, "source entry is a PTE marker", kfn,
				   -EFAULT, src_addr);
	if (is_zero_pte(src)) {
		/* Y6 move_zeropage_pte(): dst maps the zero page, src none */
		moved = make_zero_pte();
	} else {
		/*
		 * Y7 move_pages_pte()/move_present_pte(): only an exclusive
		 * anonymous page (PageAnonExclusive()); a page shared by fork
		 * stays shared until a write fault reuses it
		 */
		if (!folio || !folio->anon || !(src.flags & PTE_EXCLUSIVE))
			return trace_check(
				mm, op,
				"source page is not exclusive anonymous memory",
				kfn, -EBUSY, src_addr);
		/*
		 * move_present_pte(): folio_mk_pte() with the dst VMA's
		 * protection, dirty if src was, and writable (both VMAs
		 * are): the uffd-wp bit does not travel
		 */
		moved = mk_pte(folio, src.idx,
			       PTE_EXCLUSIVE | PTE_WRITE |
				       (src.flags & PTE_DIRTY));
	}
	/* mm_alloc_pmd()/pte_alloc(): the dst table */
	if (pgtable_set(&mm->pgt, dst_addr, PT_LEVEL_PTE, moved))
		return trace_check(mm, op, "allocating the destination table",
				   "pte_alloc", -ENOMEM, dst_addr);
	/* ptep_clear_flush(): the src slot becomes none */
	pgtable_set(&mm->pgt, src_addr, PT_LEVEL_PTE, (struct pte){ 0 });
	return 0;
}

/* move_pages(): X1-X13 then the page loop (Y1-Y9). */
static long move_pages(struct uffdops_ctx *ctx, const char *op,
		       unsigned long dst_start, unsigned long src_start,
		       unsigned long len, __u64 mode)
{
	static const char kfn[] = "move_pages";
	struct uffdops_mm *mm = ctx->mm;
	struct uffdops_vma *dst_vma, *src_vma;
	unsigned long src_addr, dst_addr;
	long moved = 0;
	int err;

	mmap_read_lock(mm);
	/* X1 find_vma_and_prepare_anon(): the VMA holding dst */
	dst_vma = vma_lookup(mm, dst_start);
	err = trace_check(mm, op, "no VMA contains dst",
			  "find_vma_and_prepare_anon", dst_vma ? 0 : -ENOENT,
			  dst_start);
	if (err)
		goto out_unlock;
	/* X1b find_vma_and_prepare_anon(): a private dst gets its anon_vma */
	if (!(dst_vma->vm_flags & VM_SHARED)) {
		pt_lock(mm);
		err = anon_vma_prepare(dst_vma) ? -ENOMEM : 0;
		pt_unlock(mm);
		if (trace_check(mm, op, "allocating the destination anon_vma",
				"anon_vma_prepare", err, dst_start))
			goto out_unlock;
	}
	/* X2 find_vmas_mm_locked(): the VMA holding src (maybe dst's) */
	src_vma = src_start >= dst_vma->vm_start &&
				  src_start < dst_vma->vm_end ?
			  dst_vma :
			  vma_lookup(mm, src_start);
	err = trace_check(mm, op, "no VMA contains src", "find_vmas_mm_locked",
			  src_vma ? 0 : -ENOENT, src_start);
	if (err)
		goto out_unlock;
	/* X3 move_pages(): an event began since userfaultfd_move() looked */
	err = trace_check(mm, op, "a non-cooperative event is in flight", kfn,
			  atomic_load(&ctx->mmap_changing) ? -EAGAIN : 0,
			  dst_start);
	if (err)
		goto out_unlock;
	/* X4 move_pages(): src private */
	err = trace_check(mm, op, "source VMA is VM_SHARED", kfn,
			  src_vma->vm_flags & VM_SHARED ? -EINVAL : 0,
			  src_vma->vm_start);
	if (err)
		goto out_unlock;
	/* X5 move_pages(): src range inside its (merged) VMA */
	err = trace_check(mm, op, "source range runs past its VMA", kfn,
			  src_start + len > src_vma->vm_end ? -EINVAL : 0,
			  src_start);
	if (err)
		goto out_unlock;
	/* X6 move_pages(): dst private */
	err = trace_check(mm, op, "destination VMA is VM_SHARED", kfn,
			  dst_vma->vm_flags & VM_SHARED ? -EINVAL : 0,
			  dst_vma->vm_start);
	if (err)
		goto out_unlock;
	/* X7 move_pages(): dst range inside its VMA */
	err = trace_check(mm, op, "destination range runs past its VMA", kfn,
			  dst_start + len > dst_vma->vm_end ? -EINVAL : 0,
			  dst_start);
	if (err)
		goto out_unlock;
	err = validate_move_areas(ctx, op, src_vma, dst_vma);
	if (err)
		goto out_unlock;

	for (src_addr = src_start, dst_addr = dst_start;
	     src_addr < src_start + len;
	     src_addr += PAGE_SIZE, dst_addr += PAGE_SIZE) {
		pt_lock(mm);
		/*
		 * Y1 move_pages(): no page table under src fails before any
		 * dst check; with ALLOW_SRC_HOLES the kernel allocates one and
		 * every entry is a hole
		 */
		if (!(mode & UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES) &&
		    !pgtable_has_pte_table(&mm->pgt, src_addr))
			err = trace_check(mm, op,
					  "no page table maps src (pmd_none)",
					  kfn, -ENOENT, src_addr);
		else
			err = move_pages_pte(mm, op, dst_addr, src_addr, mode);
		pt_unlock(mm);
		if (err)
			break;
		moved += PAGE_SIZE;
	}
out_unlock:
	mmap_read_unlock(mm);
	return moved ? moved : err;
}

int userfaultfd_move(struct uffdops_ctx *ctx, const struct uffd_ioctl *io)
{
	static const char kfn[] = "userfaultfd_move";
	struct uffdops_mm *mm = ctx->mm;
	struct uffdops_mm *caller = current_mm ? current_mm : mm;
	struct uffdio_move mv;
	__s64 ret;
	int err;

	/* V1 userfaultfd_move(): -EAGAIN in .move before anything is read */
	err = uffd_mmap_changing(ctx, io, kfn);
	if (err)
		return err;
	/* V2 userfaultfd_move(): copy_from_user() of 32 bytes */
	err = uffd_copy_from_user(io, 0, &mv, io->desc->in_size);
	if (trace_check(mm, io->op, "copy_from_user of struct uffdio_move", kfn,
			err, 0))
		return err;
	/* V3 userfaultfd_move(): no cross-mm moves */
	if (trace_check(mm, io->op,
			"caller's mm is not the userfaultfd's (current->mm)",
			kfn, caller != mm ? -EINVAL : 0, mv.dst))
		return -EINVAL;
	/* V4, V5 validate_range() of dst, then of src (aligned too) */
	err = validate_range(mm, io->op, mv.dst, mv.len);
	if (err)
		return err;
	err = validate_range(mm, io->op, mv.src, mv.len);
	if (err)
		return err;
	/* V6 userfaultfd_move(): unknown mode bits */
	if (trace_check(mm, io->op,
			"mode has bits other than DONTWAKE|ALLOW_SRC_HOLES",
			kfn,
			mv.mode & ~(__u64)(UFFDIO_MOVE_MODE_DONTWAKE |
					   UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES) ?
				-EINVAL :
				0,
			mv.dst))
		return -EINVAL;
	/* V7 mmget_not_zero(): the mm is already torn down */
	err = uffd_mmget(ctx, io, kfn);
	if (err)
		return err;
	ret = move_pages(ctx, io->op, mv.dst, mv.src, mv.len, mv.mode);
	mmput(mm);
	/* userfaultfd_move(): put_user(), wake, short move -> -EAGAIN */
	return uffd_range_result(ctx, io, kfn, mv.dst, mv.len, ret,
				 mv.mode & UFFDIO_MOVE_MODE_DONTWAKE);
}
