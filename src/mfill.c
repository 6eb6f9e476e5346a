/* SPDX-License-Identifier: MIT */
/*
 * mfill.c - UFFDIO_COPY, UFFDIO_ZEROPAGE, UFFDIO_CONTINUE, UFFDIO_POISON
 * (fs/userfaultfd.c userfaultfd_copy()/_zeropage()/_continue()/_poison())
 * and the fill loop behind them (mm/userfaultfd.c mfill_atomic(), its
 * per-page helpers, mfill_atomic_hugetlb(); Linux 6.18).
 * Spec: ioctls.md §1.4, §2.0, §2.5-§2.7, §2.9; vm_uffd_ops.md §2.3, §3.B-§3.C.
 *
 * Locking follows the kernel: the mmap lock is held for reading across the
 * loop (the kernel's per-VMA lock gives the same exclusion against map
 * changes); a cached folio is locked from its lookup or insertion until its
 * PTE is in; every PTE is checked and set under the page-table lock. The
 * source of a COPY is first read without faulting; when that fails the lock
 * is dropped, the page is read with faults allowed (which may block on a
 * userfault of its own), and the loop starts again with every check
 * (mfill_atomic()'s -ENOENT retry).
 *
 * The memory type's hooks are called with the mmap lock held for reading and
 * nothing else; each answer is checked against its contract (mfill.h).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "mfill.h"
#include "registry.h"
#include "trace.h"

/*
 * mfill_atomic_pte()'s answer "read the source with faults, then retry" (the
 * kernel's -ENOENT with *foliop set); positive, so that it can never be
 * mistaken for M1/M2's -ENOENT.
 */
#define MFILL_RETRY_COPY 1

/**
 * struct mfill - one mfill_atomic() call.
 * @ctx: the context.
 * @mm: its mm, the destination (ctx->mm).
 * @src_mm: where COPY reads its source: the ioctl caller's address space,
 *	which in the model is ctx->mm.
 * @op: the ioctl's name, for the trace.
 * @dst_start: start of the destination range.
 * @src_start: start of COPY's source.
 * @len: length of both.
 * @flags: mode | MFILL_ATOMIC_WP.
 * @mode: enum mfill_atomic_mode of @flags.
 * @wp: MFILL_ATOMIC_WP.
 * @dst_addr: the page being filled.
 * @src_addr: its source.
 * @copied: bytes filled so far.
 * @folio: the kernel's *foliop: a folio holding the source of the page at
 *	@dst_addr, read with faults allowed while the lock was dropped.
 * @folio_v71: @folio came from a 7.1 alloc_folio() of the VMA described by
 *	@v71_mt, @v71_inode, @v71_index, @v71_flags.
 */
struct mfill {
	struct uffdops_ctx *ctx;
	struct uffdops_mm *mm;
	struct uffdops_mm *src_mm;
	const char *op;
	unsigned long dst_start;
	unsigned long src_start;
	unsigned long len;
	uffd_flags_t flags;
	enum mfill_atomic_mode mode;
	bool wp;
	unsigned long dst_addr;
	unsigned long src_addr;
	unsigned long copied;
	struct uffdops_folio *folio;
	bool folio_v71;
	const struct memtype *v71_mt;
	const struct uffdops_inode *v71_inode;
	pgoff_t v71_index;
	unsigned long v71_flags;
};

static int mcheck(const struct mfill *m, const char *check,
		  const char *kernel_function, int result, unsigned long addr)
{
	return trace_check(m->mm, m->op, check, kernel_function, result, addr);
}

/* A hook broke its contract: report @what through the trace, answer @err. */
static int hook_breach(const struct mfill *m, const char *kernel_function,
		       int err, const char *what)
{
	return mcheck(m, what, kernel_function, err, m->dst_addr);
}

/* ------------------------------------------------------------------------ */
/* Folio helpers.                                                            */
/* ------------------------------------------------------------------------ */

static unsigned int vma_folio_order(const struct uffdops_vma *vma)
{
	return folio_order_for_size(vma_page_size(vma));
}

/* folio_mapping() and folio->index of a folio maybe cached in @inode. */
static bool folio_cached_in(struct uffdops_folio *folio,
			    struct uffdops_inode *inode, pgoff_t *index)
{
	bool cached;

	pthread_mutex_lock(&inode->i_pages_lock);
	cached = folio->mapping == inode;
	*index = folio->index;
	pthread_mutex_unlock(&inode->i_pages_lock);
	return cached;
}

/* Does cached @folio hold page @pgoff? */
static bool folio_covers(const struct uffdops_folio *folio, pgoff_t index,
			 pgoff_t pgoff)
{
	return pgoff >= index && pgoff - index < folio_nr_pages(folio);
}

/*
 * Undo a hook's insertion the core will not use: take @folio out of
 * @inode's cache if it is there (filemap_remove_folio()), unlock it when
 * @unlock, drop the core's reference.
 */
static void folio_discard(struct uffdops_folio *folio,
			  struct uffdops_inode *inode, bool unlock)
{
	pgoff_t index;

	if (inode && folio_cached_in(folio, inode, &index))
		uffdops_filemap_remove_folio(folio);
	if (unlock)
		uffdops_folio_unlock(folio);
	uffdops_folio_put(folio);
}

/* ------------------------------------------------------------------------ */
/* The source of a COPY.                                                     */
/* ------------------------------------------------------------------------ */

/*
 * copy_from_user() inside pagefault_disable(): only what is mapped now is
 * read. The fill holds the destination mm's mmap lock for reading; a source
 * in another mm is read under that mm's own lock.
 */
static bool copy_src_nofault(const struct mfill *m, void *dst, size_t size)
{
	if (m->src_mm != m->mm)
		return uffdops_read_mem(m->src_mm, m->src_addr, dst, size,
					UFFDOPS_ACCESS_NOFAULT |
						UFFDOPS_ACCESS_KERNEL) ==
		       (ssize_t)size;
	return copy_from_user_nofault(m->mm, m->src_addr, dst, size) == size;
}

/*
 * The source of the page at m->dst_addr in a folio of the VMA's page size:
 * the one read during a retry, or a new one read without faulting
 * (mfill_atomic_pte_copy(), hugetlb_mfill_atomic_pte()). Returns
 * MFILL_RETRY_COPY with the folio parked in m->folio when the source is not
 * mapped.
 */
static int mfill_take_src(struct mfill *m, const struct uffdops_vma *vma,
			  struct uffdops_folio **foliop)
{
	unsigned int order = vma_folio_order(vma);
	struct uffdops_folio *folio = m->folio;
	int err;

	m->folio = NULL;
	/* A folio read for a VMA that has since changed size starts over. */
	if (folio && folio->order != order) {
		uffdops_folio_put(folio);
		folio = NULL;
	}
	m->folio_v71 = false;
	if (folio) {
		*foliop = folio;
		return 0;
	}
	/* vma_alloc_folio()/alloc_hugetlb_folio() -> -ENOMEM (L1, H8) */
	err = uffdops_folio_alloc(order, &folio);
	if (mcheck(m, "allocate the page to fill", "mfill_atomic_pte_copy",
		   err ? -ENOMEM : 0, m->dst_addr))
		return -ENOMEM;
	if (!copy_src_nofault(m, uffdops_folio_data(folio),
			      folio_size(folio))) {
		m->folio = folio;
		return MFILL_RETRY_COPY;
	}
	*foliop = folio;
	return 0;
}

/*
 * L5 mfill_atomic(): copy_from_user() of the source with faults allowed and
 * the mmap lock dropped; it may block on a userfault of the source itself.
 */
static int copy_src_faulting(struct mfill *m)
{
	struct uffdops_folio *folio = m->folio;
	ssize_t got = uffdops_read_mem(m->src_mm, m->src_addr,
				       uffdops_folio_data(folio),
				       folio_size(folio),
				       UFFDOPS_ACCESS_KERNEL);

	return mcheck(m, "copy_from_user of src with faults allowed",
		      "mfill_atomic",
		      got == (ssize_t)folio_size(folio) ? 0 : -EFAULT,
		      m->src_addr);
}

/* ------------------------------------------------------------------------ */
/* Page-table entries.                                                       */
/* ------------------------------------------------------------------------ */

/* mfill_file_over_size(): dst at or past EOF of the VMA's file (ptl held). */
static bool mfill_file_over_size(const struct uffdops_vma *vma,
				 unsigned long addr)
{
	struct uffdops_inode *inode = vma_inode(vma);

	if (!inode)
		return false;
	return linear_page_index(vma, addr) >=
	       DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
}

/* How a fill decides that the destination is empty enough (spec §1.4). */
enum fill_empty {
	FILL_NONE_MOSTLY, /* none or any marker: pte_none_mostly() */
	FILL_STRICT_NONE, /* none only: pte_none() */
};

/*
 * Set @entry at @addr under the page-table lock if the file still covers it
 * (@check_eof: mfill_file_over_size() -> -EFAULT) and the slot is empty
 * enough (-EEXIST). @kfn names the per-page helper modelled.
 */
static int mfill_set_pte(struct mfill *m, struct uffdops_vma *vma,
			 unsigned long addr, struct pte entry,
			 enum fill_empty empty, bool check_eof, const char *kfn)
{
	struct uffdops_mm *mm = m->mm;
	enum pt_level level = vma_pt_level(vma);
	const char *what = "dst entry set";
	struct pte old;
	int err = 0;

	pt_lock(mm);
	old = pgtable_get(&mm->pgt, addr, level);
	if (check_eof && mfill_file_over_size(vma, addr)) {
		what = "dst is at or beyond the end of the file";
		err = -EFAULT;
	} else if (empty == FILL_STRICT_NONE ? !pte_none(old) :
					       !pte_none_mostly(old)) {
		what = empty == FILL_STRICT_NONE ?
			       "dst entry is not none (markers refused too)" :
			       "dst entry is neither none nor a marker";
		err = -EEXIST;
	} else if (pgtable_set(&mm->pgt, addr, level, entry)) {
		/* mm_alloc_pmd()/__pte_alloc()/huge_pte_alloc() (L1, H3) */
		what = "page-table allocation";
		err = -ENOMEM;
	}
	pt_unlock(mm);
	return mcheck(m, what, kfn, err, addr);
}

/*
 * mfill_atomic_install_pte() (and the install of hugetlb_mfill_atomic_pte()):
 * map page @idx of @folio at @addr, dirty; writable if the VMA is, except a
 * cached page on a private VMA (CONTINUE) and MODE_WP, which also sets the
 * uffd-wp bit; an anonymous page is exclusive. Replaces none or any marker.
 */
static int mfill_install(struct mfill *m, struct uffdops_vma *vma,
			 unsigned long addr, struct uffdops_folio *folio,
			 unsigned int idx, bool in_cache, bool check_eof,
			 const char *kfn)
{
	bool writable = vma->vm_flags & VM_WRITE;
	unsigned int flags = PTE_DIRTY;

	if (in_cache && !(vma->vm_flags & VM_SHARED))
		writable = false;
	/* pte_mkuffd_wp(): a uffd-wp protected entry is never writable */
	if (m->wp) {
		flags |= PTE_UFFD_WP;
		writable = false;
	}
	if (writable)
		flags |= PTE_WRITE;
	/* folio_add_new_anon_rmap(RMAP_EXCLUSIVE) */
	if (!in_cache)
		flags |= PTE_EXCLUSIVE;
	return mfill_set_pte(m, vma, addr, mk_pte(folio, idx, flags),
			     FILL_NONE_MOSTLY, check_eof, kfn);
}

/* ------------------------------------------------------------------------ */
/* The memory type's hooks, checked.                                         */
/* ------------------------------------------------------------------------ */

/* Errnos shmem_mfill_atomic_pte()/hugetlb_mfill_atomic_pte() can give. */
static bool uffd_copy_errno_ok(int ret)
{
	return ret == -ENOMEM || ret == -ENOSPC || ret == -EEXIST ||
	       ret == -EFAULT || ret == -EIO;
}

/*
 * The original proposal's uffd_copy(): allocate, fill from @src (zero when
 * NULL), insert into the page cache, return the folio locked with a
 * reference. On success *@foliop is that folio, checked.
 */
static int call_uffd_copy(struct mfill *m, struct uffdops_vma *vma,
			  const void *src, struct uffdops_folio **foliop)
{
	static const char kfn[] = "mfill_atomic_pte";
	const struct vm_uffd_ops *ops = vma->mt->desc.uffd_ops;
	struct uffdops_inode *inode = vma_inode(vma);
	pgoff_t want = linear_page_index(vma, m->dst_addr), index;
	struct uffdops_folio *folio = NULL;
	int ret;

	/* mfill_atomic_pte() (Peter Xu v1-v2): WARN_ON_ONCE(!uffd_copy) -> -EINVAL */
	if (mcheck(m, "the type has a uffd_copy hook", kfn,
		   ops && ops->uffd_copy ? 0 : -EINVAL, m->dst_addr))
		return -EINVAL;
	ret = ops->uffd_copy(vma, m->dst_addr, src, m->flags, &folio);
	if (ret > 0 || (ret < 0 && !uffd_copy_errno_ok(ret)))
		return hook_breach(
			m, kfn, -EINVAL,
			"uffd_copy returned neither 0 nor an errno shmem_mfill_atomic_pte() gives (-ENOMEM, -ENOSPC, -EEXIST, -EFAULT, -EIO)");
	if (ret)
		return mcheck(m, "uffd_copy filled and cached the page", kfn,
			      ret, m->dst_addr);
	if (!folio)
		return hook_breach(m, kfn, -EINVAL,
				   "uffd_copy returned 0 without a folio");
	if (!uffdops_folio_test_locked(folio)) {
		/* Lock it to take it out of the cache safely. */
		uffdops_folio_lock(folio);
		folio_discard(folio, inode, true);
		return hook_breach(
			m, kfn, -EINVAL,
			"uffd_copy returned an unlocked folio: it must stay locked from its insertion until the core has mapped it");
	}
	if (!folio_cached_in(folio, inode, &index) || index != want) {
		folio_discard(folio, inode, true);
		return hook_breach(
			m, kfn, -EINVAL,
			"uffd_copy returned a folio that is not cached at the destination's index of the VMA's inode");
	}
	if (folio->order != vma_folio_order(vma)) {
		folio_discard(folio, inode, true);
		return hook_breach(
			m, kfn, -EINVAL,
			"uffd_copy returned a folio whose size is not the VMA's page size");
	}
	*foliop = folio;
	return mcheck(m, "uffd_copy filled and cached the page", kfn, 0,
		      m->dst_addr);
}

/* Legitimate errnos of uffd_get_folio() (shmem_get_folio(SGP_NOALLOC)). */
static bool uffd_get_folio_errno_ok(int ret)
{
	return ret == -ENOENT || ret == -EFAULT || ret == -EINVAL ||
	       ret == -EIO || ret == -ENOMEM;
}

/* uffd_get_folio() of the original proposal; 0 with *@foliop, or -errno. */
static int call_uffd_get_folio(struct mfill *m, struct uffdops_vma *vma,
			       pgoff_t pgoff, struct uffdops_folio **foliop)
{
	static const char kfn[] = "mfill_atomic_pte_continue";
	const struct vm_uffd_ops *ops = vma->mt->desc.uffd_ops;
	int ret;

	/* mfill_atomic_pte_continue() (Peter Xu): no hook -> WARN, -EINVAL */
	if (mcheck(m, "the type has a uffd_get_folio hook", kfn,
		   ops && ops->uffd_get_folio ? 0 : -EINVAL, m->dst_addr))
		return -EINVAL;
	*foliop = NULL;
	ret = ops->uffd_get_folio(vma_inode(vma), pgoff, foliop);
	if (ret > 0 || (ret < 0 && !uffd_get_folio_errno_ok(ret)))
		return hook_breach(
			m, kfn, -EFAULT,
			"uffd_get_folio returned neither 0 nor an errno of a page-cache lookup (-ENOENT, -EFAULT, -EINVAL, -EIO, -ENOMEM)");
	/* mfill_atomic_pte_continue(): "expects -EFAULT if no folio" */
	if (ret == -ENOENT)
		ret = -EFAULT;
	if (mcheck(m, "uffd_get_folio found a cached folio", kfn, ret,
		   m->dst_addr))
		return ret;
	if (!*foliop)
		return hook_breach(m, kfn, -EFAULT,
				   "uffd_get_folio returned 0 without a folio");
	return 0;
}

/*
 * The cached folio for CONTINUE at @pgoff through the type's lookup hook
 * (mfill_atomic_pte_continue(), hugetlb_mfill_atomic_pte()): locked, with a
 * reference, and its first index in *@indexp. Every failed lookup, the
 * hook's breaches included, is -EFAULT as the kernel reports it.
 */
static int call_get_folio(struct mfill *m, struct uffdops_vma *vma,
			  pgoff_t pgoff, struct uffdops_folio **foliop,
			  pgoff_t *indexp)
{
	static const char kfn[] = "mfill_atomic_pte_continue";
	const struct vm_uffd_ops_v7_1 *v71 = vma->mt->desc.uffd_ops_v7_1;
	struct uffdops_folio *folio;
	int ret;

	if (v71) {
		/* mfill_atomic_pte_continue() (7.1): no hook -> WARN, -EINVAL */
		if (mcheck(m, "the type has a get_folio_noalloc hook", kfn,
			   v71->get_folio_noalloc ? 0 : -EINVAL, m->dst_addr))
			return -EINVAL;
		folio = v71->get_folio_noalloc(vma_inode(vma), pgoff);
		/* mfill_atomic_pte_continue() (7.1): NULL -> -EFAULT */
		if (mcheck(m, "get_folio_noalloc found a cached folio", kfn,
			   folio ? 0 : -EFAULT, m->dst_addr))
			return -EFAULT;
	} else {
		ret = call_uffd_get_folio(m, vma, pgoff, &folio);
		if (ret)
			return ret;
	}
	if (!uffdops_folio_test_locked(folio)) {
		uffdops_folio_put(folio);
		return hook_breach(
			m, kfn, -EFAULT,
			"the folio lookup hook returned an unlocked folio: it must come locked, with a reference");
	}
	if (!folio_cached_in(folio, vma_inode(vma), indexp) ||
	    !folio_covers(folio, *indexp, pgoff)) {
		uffdops_folio_unlock(folio);
		uffdops_folio_put(folio);
		return hook_breach(
			m, kfn, -EFAULT,
			"the folio lookup hook returned a folio that is not the one cached at that index of the inode");
	}
	/* A huge page is mapped whole: the folio must be exactly that size. */
	if (is_vm_hugetlb_page(vma) && folio->order != vma_folio_order(vma)) {
		uffdops_folio_unlock(folio);
		uffdops_folio_put(folio);
		return hook_breach(
			m, kfn, -EFAULT,
			"the folio lookup hook returned a folio whose size is not the VMA's huge page size");
	}
	*foliop = folio;
	return 0;
}

/*
 * The 7.1 alloc_folio(): a new, unlocked, uncached base page. NULL is
 * -ENOMEM (mfill_atomic_pte_copy()); anything else unusable -EINVAL.
 */
static int call_alloc_folio(struct mfill *m, struct uffdops_vma *vma,
			    struct uffdops_folio **foliop)
{
	static const char kfn[] = "mfill_atomic_pte_copy";
	const struct vm_uffd_ops_v7_1 *ops = vma->mt->desc.uffd_ops_v7_1;
	struct uffdops_folio *folio;

	folio = ops->alloc_folio(vma, m->dst_addr);
	if (mcheck(m, "alloc_folio gave a folio", kfn, folio ? 0 : -ENOMEM,
		   m->dst_addr))
		return -ENOMEM;
	if (folio->order || folio->mapping ||
	    uffdops_folio_test_locked(folio)) {
		uffdops_folio_put(folio);
		return hook_breach(
			m, kfn, -EINVAL,
			"alloc_folio returned a folio that is large, locked or already cached: it must be a new, unlocked, order-0 folio");
	}
	*foliop = folio;
	return 0;
}

/* Errnos a filemap_add() may give (filemap_add_folio(), block accounting). */
static bool filemap_add_errno_ok(int ret)
{
	return ret == -ENOMEM || ret == -ENOSPC || ret == -EEXIST ||
	       ret == -EFAULT;
}

/*
 * The 7.1 filemap_add(): lock @folio and cache it at the destination's
 * index. On failure the folio is unlocked, uncached and put.
 */
static int call_filemap_add(struct mfill *m, struct uffdops_vma *vma,
			    struct uffdops_folio *folio)
{
	static const char kfn[] = "mfill_atomic_pte_copy";
	const struct vm_uffd_ops_v7_1 *ops = vma->mt->desc.uffd_ops_v7_1;
	struct uffdops_inode *inode = vma_inode(vma);
	pgoff_t want = linear_page_index(vma, m->dst_addr), index;
	bool locked, cached;
	int ret;

	ret = ops->filemap_add(folio, vma, m->dst_addr);
	locked = uffdops_folio_test_locked(folio);
	cached = folio_cached_in(folio, inode, &index);
	if (ret > 0 || (ret < 0 && !filemap_add_errno_ok(ret))) {
		folio_discard(folio, inode, locked);
		return hook_breach(
			m, kfn, -EINVAL,
			"filemap_add returned neither 0 nor an errno of filemap_add_folio() (-ENOMEM, -ENOSPC, -EEXIST, -EFAULT)");
	}
	if (ret < 0) {
		folio_discard(folio, inode, locked);
		if (locked || cached)
			return hook_breach(
				m, kfn, ret,
				"filemap_add failed but left the folio locked or in the page cache");
		return mcheck(m, "filemap_add cached the page", kfn, ret,
			      m->dst_addr);
	}
	if (!locked) {
		folio_discard(folio, inode, false);
		return hook_breach(
			m, kfn, -EINVAL,
			"filemap_add returned 0 but left the folio unlocked: it must lock it");
	}
	if (!cached || index != want) {
		folio_discard(folio, inode, true);
		return hook_breach(
			m, kfn, -EINVAL,
			"filemap_add returned 0 but the folio is not cached at the destination's index");
	}
	return mcheck(m, "filemap_add cached the page", kfn, 0, m->dst_addr);
}

/*
 * The 7.1 filemap_remove() after a failed install: the folio must leave the
 * cache unlocked; the core finishes what the hook left undone.
 */
static void call_filemap_remove(struct mfill *m, struct uffdops_vma *vma,
				struct uffdops_folio *folio)
{
	const struct vm_uffd_ops_v7_1 *ops = vma->mt->desc.uffd_ops_v7_1;
	struct uffdops_inode *inode = vma_inode(vma);
	bool locked, cached;
	pgoff_t index;

	if (ops->filemap_remove)
		ops->filemap_remove(folio, vma);
	locked = uffdops_folio_test_locked(folio);
	cached = folio_cached_in(folio, inode, &index);
	if (cached)
		uffdops_filemap_remove_folio(folio);
	if (locked)
		uffdops_folio_unlock(folio);
	if (locked || cached)
		hook_breach(
			m, "mfill_atomic_pte_copy", 0,
			"filemap_remove left the folio locked or in the page cache; the core removed and unlocked it");
}

/* ------------------------------------------------------------------------ */
/* Per-page operations, base pages (mfill_atomic_pte()).                     */
/* ------------------------------------------------------------------------ */

/* mfill_atomic_pte_copy(): a new anonymous page filled from src. */
static int mfill_atomic_pte_copy(struct mfill *m, struct uffdops_vma *vma)
{
	struct uffdops_folio *folio;
	int err;

	err = mfill_take_src(m, vma, &folio);
	if (err)
		return err;
	folio->anon = true;
	err = mfill_install(m, vma, m->dst_addr, folio, 0, false, true,
			    "mfill_atomic_install_pte");
	/* The entry holds its own reference. */
	uffdops_folio_put(folio);
	return err;
}

/* mfill_atomic_pte_zeropage(): the shared zero page, on a strictly none PTE. */
static int mfill_atomic_pte_zeropage(struct mfill *m, struct uffdops_vma *vma)
{
	/* mm_forbids_zeropage() is false on x86: even pvm_no_zero_page maps it */
	return mfill_set_pte(m, vma, m->dst_addr, make_zero_pte(),
			     FILL_STRICT_NONE, true,
			     "mfill_atomic_pte_zeropage");
}

/* mfill_atomic_pte_poison(): a poison marker, on a strictly none PTE. */
static int mfill_atomic_pte_poison(struct mfill *m, struct uffdops_vma *vma)
{
	return mfill_set_pte(m, vma, m->dst_addr,
			     make_pte_marker(PTE_MARKER_POISONED),
			     FILL_STRICT_NONE, true, "mfill_atomic_pte_poison");
}

/* mfill_atomic_pte_continue(): map the cached page (read-only if private). */
static int mfill_atomic_pte_continue(struct mfill *m, struct uffdops_vma *vma)
{
	pgoff_t pgoff = linear_page_index(vma, m->dst_addr), index;
	struct uffdops_folio *folio;
	int err;

	err = call_get_folio(m, vma, pgoff, &folio, &index);
	if (err)
		return err;
	/* PageHWPoison() -> -EIO: no hardware poison in the model */
	err = mfill_install(m, vma, m->dst_addr, folio,
			    (unsigned int)(pgoff - index), true, true,
			    "mfill_atomic_install_pte");
	uffdops_folio_unlock(folio);
	uffdops_folio_put(folio);
	return err;
}

/*
 * Map a locked page-cache @folio a hook filled for m->dst_addr; on failure
 * take it out of the cache again when @remove_on_error (shmem's
 * out_delete_from_cache; hugetlb leaves it cached). Unlocks and puts.
 */
static int mfill_install_filled(struct mfill *m, struct uffdops_vma *vma,
				struct uffdops_folio *folio,
				bool remove_on_error, const char *kfn)
{
	int err = mfill_install(m, vma, m->dst_addr, folio, 0, true,
				!is_vm_hugetlb_page(vma), kfn);

	if (err && remove_on_error)
		uffdops_filemap_remove_folio(folio);
	uffdops_folio_unlock(folio);
	uffdops_folio_put(folio);
	return err;
}

/*
 * shmem_mfill_atomic_pte() through the original proposal's uffd_copy(): a
 * shared COPY or ZEROPAGE fills a page-cache page.
 */
static int mfill_atomic_pte_uffd_copy(struct mfill *m, struct uffdops_vma *vma)
{
	struct uffdops_folio *src = NULL, *folio;
	int err;

	if (m->mode == MFILL_ATOMIC_COPY) {
		err = mfill_take_src(m, vma, &src);
		if (err)
			return err;
	}
	err = call_uffd_copy(m, vma, src ? uffdops_folio_data(src) : NULL,
			     &folio);
	if (src)
		uffdops_folio_put(src);
	if (err)
		return err;
	return mfill_install_filled(m, vma, folio, true,
				    "mfill_atomic_install_pte");
}

/*
 * mfill_atomic_pte_copy() of 7.1 for a shared mapping: alloc_folio(), fill
 * (COPY) or clear (ZEROPAGE), filemap_add(), install; filemap_remove() when
 * the install fails.
 */
static int mfill_atomic_pte_v7_1(struct mfill *m, struct uffdops_vma *vma)
{
	bool cached = vma->mt->desc.uffd_ops_v7_1->filemap_add;
	struct uffdops_folio *folio = m->folio;
	int err;

	m->folio = NULL;
	m->folio_v71 = false;
	if (!folio) {
		err = call_alloc_folio(m, vma, &folio);
		if (err)
			return err;
		if (m->mode == MFILL_ATOMIC_ZEROPAGE) {
			memset(uffdops_folio_data(folio), 0, PAGE_SIZE);
		} else if (!copy_src_nofault(m, uffdops_folio_data(folio),
					     PAGE_SIZE)) {
			m->folio = folio;
			m->folio_v71 = true;
			m->v71_mt = vma->mt;
			m->v71_inode = vma_inode(vma);
			m->v71_index = linear_page_index(vma, m->dst_addr);
			m->v71_flags = vma->vm_flags;
			return MFILL_RETRY_COPY;
		}
	}
	/*
	 * __folio_mark_uptodate(), then filemap_add() when the type has one;
	 * without, the page is installed as anonymous memory, as the 7.1 core
	 * would (the contract requires filemap_add of every file type).
	 */
	if (cached) {
		err = call_filemap_add(m, vma, folio);
		if (err)
			return err;
	} else {
		folio->anon = true;
	}
	err = mfill_install(m, vma, m->dst_addr, folio, 0, cached, true,
			    "mfill_atomic_install_pte");
	if (err && cached)
		call_filemap_remove(m, vma, folio);
	else if (cached)
		uffdops_folio_unlock(folio);
	uffdops_folio_put(folio);
	return err;
}

/* mfill_atomic_pte(): one base page. */
static int mfill_atomic_pte(struct mfill *m, struct uffdops_vma *vma)
{
	if (m->mode == MFILL_ATOMIC_CONTINUE)
		return mfill_atomic_pte_continue(m, vma);
	if (m->mode == MFILL_ATOMIC_POISON)
		return mfill_atomic_pte_poison(m, vma);
	/*
	 * mfill_atomic_pte(): a private mapping (anonymous, MAP_PRIVATE file)
	 * gets anonymous memory or the zero page, never the page cache.
	 */
	if (!(vma->vm_flags & VM_SHARED))
		return m->mode == MFILL_ATOMIC_COPY ?
			       mfill_atomic_pte_copy(m, vma) :
			       mfill_atomic_pte_zeropage(m, vma);
	if (vma->mt->caps.generation == UFFDOPS_OPS_V7_1)
		return mfill_atomic_pte_v7_1(m, vma);
	return mfill_atomic_pte_uffd_copy(m, vma);
}

/* ------------------------------------------------------------------------ */
/* The VMA.                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * uffd_mfill_lock(): the VMA holding the whole destination range, registered
 * with some userfaultfd (M1, M1b, M2, M2b). The mmap lock is held.
 */
static int mfill_get_vma(struct mfill *m, struct uffdops_vma **vmap)
{
	struct uffdops_vma *vma = vma_lookup(m->mm, m->dst_start);
	int err;

	/* M1 find_vma_and_prepare_anon(): no VMA contains dst -> -ENOENT */
	if (mcheck(m, "a VMA contains dst", "find_vma_and_prepare_anon",
		   vma ? 0 : -ENOENT, m->dst_start))
		return -ENOENT;
	/* M1b find_vma_and_prepare_anon(): a private VMA gets its anon_vma */
	if (!(vma->vm_flags & VM_SHARED)) {
		pt_lock(m->mm);
		err = anon_vma_prepare(vma);
		pt_unlock(m->mm);
		if (mcheck(m, "anon_vma of the private VMA",
			   "find_vma_and_prepare_anon", err ? -ENOMEM : 0,
			   vma->vm_start))
			return -ENOMEM;
	}
	/* M2 validate_dst_vma(): the range ends inside the VMA */
	if (mcheck(m, "dst + len runs past the end of the VMA",
		   "validate_dst_vma",
		   m->dst_start + m->len > vma->vm_end ? -ENOENT : 0,
		   vma->vm_start))
		return -ENOENT;
	/* M2b validate_dst_vma(): registered with a userfaultfd, any of this mm */
	if (mcheck(m, "VMA is registered with a userfaultfd",
		   "validate_dst_vma", vma->vm_userfaultfd_ctx ? 0 : -ENOENT,
		   vma->vm_start))
		return -ENOENT;
	*vmap = vma;
	return 0;
}

/* M3 mfill_atomic(): a non-cooperative event in flight -> -EAGAIN. */
static int mfill_mmap_changing(const struct mfill *m)
{
	return mcheck(m, "no non-cooperative event in flight (mmap_changing)",
		      "mfill_atomic",
		      atomic_load(&m->ctx->mmap_changing) ? -EAGAIN : 0,
		      m->dst_start);
}

/* The range ioctl each mode is listed under in an ops table. */
static unsigned int mode_ioctl_nr(enum mfill_atomic_mode mode)
{
	switch (mode) {
	case MFILL_ATOMIC_COPY:
		return _UFFDIO_COPY;
	case MFILL_ATOMIC_ZEROPAGE:
		return _UFFDIO_ZEROPAGE;
	case MFILL_ATOMIC_CONTINUE:
		return _UFFDIO_CONTINUE;
	default:
		return _UFFDIO_POISON;
	}
}

/*
 * mfill_atomic() M3-M5, M7, M8 and H1 as Peter Xu's series folds them into
 * vma_uffd_ops_supported(): every refusal is -EINVAL, before the hugetlb
 * branch, exactly where 6.18's hard-coded tests refuse the same requests.
 */
static int mfill_vma_checks(const struct mfill *m,
			    const struct uffdops_vma *vma)
{
	static const char kfn[] = "vma_uffd_ops_supported";
	const struct memtype *mt = vma->mt;
	unsigned int nr = mode_ioctl_nr(m->mode);
	int err;

	err = mfill_mmap_changing(m);
	if (err)
		return err;
	/* M4 mfill_atomic(): WARN_ON_ONCE(anonymous and VM_SHARED) */
	if (mcheck(m, "anonymous VMA is not VM_SHARED", "mfill_atomic",
		   vma_is_anonymous(vma) && (vma->vm_flags & VM_SHARED) ?
			   -EINVAL :
			   0,
		   vma->vm_start))
		return -EINVAL;
	/* M5 mfill_atomic(): MODE_WP needs a VMA registered for WP */
	if (mcheck(m, "MODE_WP on a VMA not registered for WP", kfn,
		   m->wp && !(vma->vm_flags & VM_UFFD_WP) ? -EINVAL : 0,
		   vma->vm_start))
		return -EINVAL;
	/*
	 * vma_uffd_ops_supported(): the type lists the ioctl. This is 6.18's
	 * M7 (a type without ops, e.g. a regular file registered WP-only
	 * under WP_ASYNC), M8 (CONTINUE without a page cache) and H1 (hugetlb
	 * has no ZEROPAGE).
	 */
	if (mcheck(m, "the memory type lists this ioctl in its ops table", kfn,
		   mt->caps.ioctls & UFFDOPS_IOCTL_BIT(nr) ? 0 : -EINVAL,
		   vma->vm_start))
		return -EINVAL;
	/*
	 * vma_uffd_ops_supported() (Peter Xu): CONTINUE needs VM_SHARED. Only
	 * for user types of the proposal generation: the built-in shmem and
	 * hugetlb keep 6.18's behaviour, where mfill_atomic_pte_continue()
	 * serves MAP_PRIVATE mappings too, and the 7.1 table dropped the rule.
	 */
	if (mcheck(m, "CONTINUE on a user proposal type needs VM_SHARED", kfn,
		   m->mode == MFILL_ATOMIC_CONTINUE && !mt->builtin &&
				   mt->caps.generation ==
					   UFFDOPS_OPS_PROPOSAL &&
				   !(vma->vm_flags & VM_SHARED) ?
			   -EINVAL :
			   0,
		   vma->vm_start))
		return -EINVAL;
	return 0;
}

/*
 * mfill_get_vma() of 7.1 ("verify VMA state across UFFDIO_COPY retry"): a
 * page read into a folio of the type's alloc_folio() is used only if the
 * VMA still is what it was allocated for; otherwise -EAGAIN.
 */
static int mfill_check_v71_retry(struct mfill *m, const struct uffdops_vma *vma)
{
	bool same;

	if (!m->folio || !m->folio_v71)
		return 0;
	same = vma->mt == m->v71_mt && vma_inode(vma) == m->v71_inode &&
	       linear_page_index(vma, m->dst_addr) == m->v71_index &&
	       !((vma->vm_flags ^ m->v71_flags) &
		 (VM_SHARED | __VM_UFFD_FLAGS));
	return mcheck(m, "the VMA is unchanged across the COPY retry",
		      "mfill_get_vma", same ? 0 : -EAGAIN, m->dst_addr);
}

/* ------------------------------------------------------------------------ */
/* Huge pages (mfill_atomic_hugetlb(), hugetlb_mfill_atomic_pte()).          */
/* ------------------------------------------------------------------------ */

/* hugetlbfs_pagecache_present(): a folio is cached at the huge page's index. */
static bool hugetlb_pagecache_present(const struct uffdops_vma *vma,
				      unsigned long addr)
{
	struct uffdops_inode *inode = vma_inode(vma);
	bool present;

	pthread_mutex_lock(&inode->i_pages_lock);
	present = filemap_find_locked(inode, linear_page_index(vma, addr));
	pthread_mutex_unlock(&inode->i_pages_lock);
	return present;
}

/* hugetlb_mfill_atomic_pte(): COPY of one huge page. */
static int hugetlb_mfill_copy(struct mfill *m, struct uffdops_vma *vma)
{
	static const char kfn[] = "hugetlb_mfill_atomic_pte";
	bool shared = vma->vm_flags & VM_SHARED;
	struct uffdops_folio *folio, *cached;
	int err;

	/* H7: a shared COPY where a page is cached (mapped here or not) */
	if (mcheck(m, "no page is cached at the index (shared mapping)", kfn,
		   shared && hugetlb_pagecache_present(vma, m->dst_addr) ?
			   -EEXIST :
			   0,
		   m->dst_addr)) {
		if (m->folio) {
			uffdops_folio_put(m->folio);
			m->folio = NULL;
		}
		return -EEXIST;
	}
	err = mfill_take_src(m, vma, &folio);
	if (err)
		return err;
	if (!shared) {
		/* A private mapping gets an anonymous huge page, no cache. */
		folio->anon = true;
		err = mfill_install(m, vma, m->dst_addr, folio, 0, false, false,
				    kfn);
		uffdops_folio_put(folio);
		return err;
	}
	/* H10 (index >= EOF -> -EFAULT) and the insertion: the type's hook */
	err = call_uffd_copy(m, vma, uffdops_folio_data(folio), &cached);
	uffdops_folio_put(folio);
	if (err)
		return err;
	return mfill_install_filled(m, vma, cached, false, kfn);
}

/* hugetlb_mfill_atomic_pte() and the per-page checks before it (H4-H11). */
static int hugetlb_mfill_atomic_pte(struct mfill *m, struct uffdops_vma *vma)
{
	static const char kfn[] = "hugetlb_mfill_atomic_pte";
	struct uffdops_folio *folio;
	pgoff_t index;
	struct pte pte;
	int err;

	/* H4 mfill_atomic_hugetlb(): not CONTINUE, entry not none/marker */
	if (m->mode != MFILL_ATOMIC_CONTINUE) {
		pt_lock(m->mm);
		pte = pgtable_get(&m->mm->pgt, m->dst_addr, vma_pt_level(vma));
		pt_unlock(m->mm);
		if (mcheck(m, "huge entry is none or a marker",
			   "mfill_atomic_hugetlb",
			   pte_none_mostly(pte) ? 0 : -EEXIST, m->dst_addr))
			return -EEXIST;
	}
	switch (m->mode) {
	case MFILL_ATOMIC_POISON:
		/* H5: strictly none, no EOF check */
		return mfill_set_pte(m, vma, m->dst_addr,
				     make_pte_marker(PTE_MARKER_POISONED),
				     FILL_STRICT_NONE, false, kfn);
	case MFILL_ATOMIC_CONTINUE:
		/* H6: the page must be cached (filemap_lock_hugetlb_folio()) */
		err = call_get_folio(m, vma,
				     linear_page_index(vma, m->dst_addr),
				     &folio, &index);
		if (err)
			return err;
		err = mfill_install(m, vma, m->dst_addr, folio, 0, true, false,
				    kfn);
		uffdops_folio_unlock(folio);
		uffdops_folio_put(folio);
		return err;
	default:
		return hugetlb_mfill_copy(m, vma);
	}
}

/*
 * H9 mfill_atomic_hugetlb(): after the out-of-lock copy, the VMA is looked
 * up again; it must still be hugetlb of the same size, with no event.
 */
static int hugetlb_relock(struct mfill *m, unsigned long psize,
			  struct uffdops_vma **vmap)
{
	struct uffdops_vma *vma;
	int err;

	mmap_read_lock(m->mm);
	err = mfill_get_vma(m, &vma);
	if (err)
		return err;
	if (mcheck(m, "the VMA is still hugetlb", "mfill_atomic_hugetlb",
		   is_vm_hugetlb_page(vma) ? 0 : -ENOENT, vma->vm_start))
		return -ENOENT;
	if (mcheck(m, "the VMA still has the same huge page size",
		   "mfill_atomic_hugetlb",
		   vma_page_size(vma) == psize ? 0 : -EINVAL, vma->vm_start))
		return -EINVAL;
	*vmap = vma;
	return mfill_mmap_changing(m);
}

/* mfill_atomic_hugetlb(): entered with the mmap lock held, returns without. */
static int mfill_atomic_hugetlb(struct mfill *m, struct uffdops_vma *vma)
{
	unsigned long psize = vma_page_size(vma);
	int err;

	/* H2 mfill_atomic_hugetlb(): dst and len in whole huge pages */
	err = mcheck(m, "dst and len are multiples of the huge page size",
		     "mfill_atomic_hugetlb",
		     (m->dst_start | m->len) & (psize - 1) ? -EINVAL : 0,
		     m->dst_start);
	while (!err) {
		while (m->copied < m->len) {
			err = hugetlb_mfill_atomic_pte(m, vma);
			if (err)
				break;
			m->dst_addr += psize;
			m->src_addr += psize;
			m->copied += psize;
		}
		if (err != MFILL_RETRY_COPY)
			break;
		mmap_read_unlock(m->mm);
		err = copy_src_faulting(m);
		if (err)
			return err;
		err = hugetlb_relock(m, psize, &vma);
	}
	mmap_read_unlock(m->mm);
	return err;
}

/* ------------------------------------------------------------------------ */
/* mfill_atomic().                                                           */
/* ------------------------------------------------------------------------ */

/*
 * L2/L3 mfill_atomic(): a base-page fill needs a PTE table under the PMD; a
 * huge entry there (a THP) is never overridden.
 */
static int mfill_check_pmd(struct mfill *m)
{
	struct pte pmd;

	pt_lock(m->mm);
	pmd = pgtable_get(&m->mm->pgt, m->dst_addr, PT_LEVEL_PMD);
	pt_unlock(m->mm);
	return mcheck(m, "dst PMD is not a huge entry", "mfill_atomic",
		      pte_none(pmd) ? 0 : -EEXIST, m->dst_addr);
}

/* The loop over base pages; entered and left with the mmap lock held. */
static int mfill_atomic_ptes(struct mfill *m, struct uffdops_vma *vma)
{
	int err = 0;

	while (m->copied < m->len) {
		err = mfill_check_pmd(m);
		if (!err)
			err = mfill_atomic_pte(m, vma);
		if (err)
			break;
		m->dst_addr += PAGE_SIZE;
		m->src_addr += PAGE_SIZE;
		m->copied += PAGE_SIZE;
		/* L6 fatal_signal_pending() -> -EINTR: no signals in the model */
	}
	return err;
}

ssize_t mfill_atomic(struct uffdops_ctx *ctx, const char *op,
		     unsigned long dst_start, unsigned long src_start,
		     unsigned long len, uffd_flags_t flags)
{
	struct mfill m = {
		.ctx = ctx,
		.mm = ctx->mm,
		.src_mm = ctx->mm,
		.op = op,
		.dst_start = dst_start,
		.src_start = src_start,
		.len = len,
		.flags = flags,
		.mode = flags & (MFILL_ATOMIC_WP - 1),
		.wp = flags & MFILL_ATOMIC_WP,
		.dst_addr = dst_start,
		.src_addr = src_start,
	};
	struct uffdops_vma *vma;
	int err;

	for (;;) {
		/* retry: every check again, from the original range (L5b) */
		mmap_read_lock(m.mm);
		err = mfill_get_vma(&m, &vma);
		if (!err)
			err = mfill_vma_checks(&m, vma);
		if (!err && is_vm_hugetlb_page(vma)) {
			/* M6: the hugetlb path drops the lock itself */
			err = mfill_atomic_hugetlb(&m, vma);
			break;
		}
		if (!err)
			err = mfill_check_v71_retry(&m, vma);
		if (!err)
			err = mfill_atomic_ptes(&m, vma);
		mmap_read_unlock(m.mm);
		if (err != MFILL_RETRY_COPY)
			break;
		err = copy_src_faulting(&m);
		if (err)
			break;
	}
	if (m.folio)
		uffdops_folio_put(m.folio);
	return m.copied ? (ssize_t)m.copied : err;
}

/* ------------------------------------------------------------------------ */
/* The ioctls (fs/userfaultfd.c).                                            */
/* ------------------------------------------------------------------------ */

/**
 * struct mfill_ioctl - what distinguishes the four fill ioctls.
 * @kfn: the fs/userfaultfd.c handler.
 * @mode: the mfill mode.
 * @modes: mode bits the ioctl accepts.
 * @dontwake: its DONTWAKE bit.
 * @wp: its WP bit, or 0.
 */
struct mfill_ioctl {
	const char *kfn;
	enum mfill_atomic_mode mode;
	__u64 modes;
	__u64 dontwake;
	__u64 wp;
};

/* The argument of any fill ioctl: COPY's, or the range + mode of the others. */
struct mfill_arg {
	__u64 dst;
	__u64 src;
	__u64 len;
	__u64 mode;
};

/* struct uffdio_zeropage, uffdio_continue and uffdio_poison share a layout. */
struct mfill_range_arg {
	struct uffdio_range range;
	__u64 mode;
};
_Static_assert(offsetof(struct uffdio_zeropage, mode) ==
			       offsetof(struct mfill_range_arg, mode) &&
		       offsetof(struct uffdio_continue, mode) ==
			       offsetof(struct mfill_range_arg, mode) &&
		       offsetof(struct uffdio_poison, mode) ==
			       offsetof(struct mfill_range_arg, mode),
	       "range ioctl layout");

/* userfaultfd_copy() ... userfaultfd_poison(). */
static int userfaultfd_mfill(struct uffdops_ctx *ctx,
			     const struct uffd_ioctl *io,
			     const struct mfill_ioctl *fi)
{
	struct uffdops_mm *mm = ctx->mm;
	uffd_flags_t flags = fi->mode;
	struct mfill_arg arg;
	ssize_t done;
	int ret;

	/* C1/Z1/N1/P1: mmap_changing -> field -EAGAIN, before reading the rest */
	ret = uffd_mmap_changing(ctx, io, fi->kfn);
	if (ret)
		return ret;
	/* C2/Z2/N2/P2: copy_from_user of the request, field untouched */
	if (fi->mode == MFILL_ATOMIC_COPY) {
		struct uffdio_copy c;

		ret = uffd_copy_from_user(io, 0, &c, io->desc->in_size);
		arg = (struct mfill_arg){ c.dst, c.src, c.len, c.mode };
	} else {
		struct mfill_range_arg r;

		ret = uffd_copy_from_user(io, 0, &r, io->desc->in_size);
		arg = (struct mfill_arg){ r.range.start, 0, r.range.len,
					  r.mode };
	}
	if (trace_check(mm, io->op, "copy_from_user of the request", fi->kfn,
			ret, 0))
		return ret;
	/* C3 validate_unaligned_range() of COPY's src (may be unaligned) */
	if (fi->mode == MFILL_ATOMIC_COPY) {
		ret = validate_unaligned_range(mm, io->op, arg.src, arg.len);
		if (ret)
			return ret;
	}
	/* C4/Z3/N3/P3 validate_range() of dst */
	ret = validate_range(mm, io->op, arg.dst, arg.len);
	if (ret)
		return ret;
	/* C5/Z4/N4/P4: unknown mode bits, before any VMA is looked at */
	if (trace_check(mm, io->op, "mode has unknown bits", fi->kfn,
			arg.mode & ~fi->modes ? -EINVAL : 0, arg.dst))
		return -EINVAL;
	if (arg.mode & fi->wp)
		flags |= MFILL_ATOMIC_WP;
	/* C6/Z5/N5/P5 mmget_not_zero(): the mm is already torn down */
	ret = uffd_mmget(ctx, io, fi->kfn);
	if (ret)
		return ret;
	/* C7/Z6/N6/P6 */
	if (fi->mode == MFILL_ATOMIC_CONTINUE)
		/* mfill_atomic_continue(): smp_wmb() before mapping */
		atomic_thread_fence(memory_order_release);
	done = mfill_atomic(ctx, io->op, arg.dst, arg.src, arg.len, flags);
	mmput(mm);
	return uffd_range_result(ctx, io, fi->kfn, arg.dst, arg.len, done,
				 arg.mode & fi->dontwake);
}

int userfaultfd_copy(struct uffdops_ctx *ctx, const struct uffd_ioctl *io)
{
	static const struct mfill_ioctl fi = {
		.kfn = "userfaultfd_copy",
		.mode = MFILL_ATOMIC_COPY,
		.modes = UFFDIO_COPY_MODE_DONTWAKE | UFFDIO_COPY_MODE_WP,
		.dontwake = UFFDIO_COPY_MODE_DONTWAKE,
		.wp = UFFDIO_COPY_MODE_WP,
	};

	return userfaultfd_mfill(ctx, io, &fi);
}

int userfaultfd_zeropage(struct uffdops_ctx *ctx, const struct uffd_ioctl *io)
{
	static const struct mfill_ioctl fi = {
		.kfn = "userfaultfd_zeropage",
		.mode = MFILL_ATOMIC_ZEROPAGE,
		.modes = UFFDIO_ZEROPAGE_MODE_DONTWAKE,
		.dontwake = UFFDIO_ZEROPAGE_MODE_DONTWAKE,
	};

	return userfaultfd_mfill(ctx, io, &fi);
}

int userfaultfd_continue(struct uffdops_ctx *ctx, const struct uffd_ioctl *io)
{
	static const struct mfill_ioctl fi = {
		.kfn = "userfaultfd_continue",
		.mode = MFILL_ATOMIC_CONTINUE,
		.modes = UFFDIO_CONTINUE_MODE_DONTWAKE |
			 UFFDIO_CONTINUE_MODE_WP,
		.dontwake = UFFDIO_CONTINUE_MODE_DONTWAKE,
		.wp = UFFDIO_CONTINUE_MODE_WP,
	};

	return userfaultfd_mfill(ctx, io, &fi);
}

int userfaultfd_poison(struct uffdops_ctx *ctx, const struct uffd_ioctl *io)
{
	static const struct mfill_ioctl fi = {
		.kfn = "userfaultfd_poison",
		.mode = MFILL_ATOMIC_POISON,
		.modes = UFFDIO_POISON_MODE_DONTWAKE,
		.dontwake = UFFDIO_POISON_MODE_DONTWAKE,
	};

	return userfaultfd_mfill(ctx, io, &fi);
}
