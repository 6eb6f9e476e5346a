/* SPDX-License-Identifier: MIT */
/*
 * fault.c - the page-fault path and CPU-like memory access (mm/memory.c,
 * mm/hugetlb.c, mm/shmem.c, mm/filemap.c, mm/gup.c).
 *
 * A fault reads the entry under the page-table lock, decides what to do with
 * the lock dropped (looking a folio up or allocating one may sleep on a
 * folio lock), then installs the result only if the entry is unchanged
 * (pte_same()); otherwise it returns 0 and the access is retried, as the
 * kernel does.
 *
 * Userfaultfd: where Linux 6.18 hands a fault to userspace, one decision
 * function per memory class says whether it does and for which reason
 * (spec ioctls.md §3.1): anon_userfault() (do_anonymous_page()),
 * shmem_userfault() (shmem_get_folio_gfp()), generic_userfault() (the 7.1
 * __do_userfault() for user memory types), hugetlb_userfault()
 * (hugetlb_no_page()) and wp_userfault() (do_wp_page(), hugetlb_fault()).
 * do_userfault() then calls handle_userfault(), which queues the message,
 * drops the mmap lock, sleeps until woken and returns VM_FAULT_RETRY: every
 * caller up to the access loop gives up the fault, looks the VMA up again
 * and retries the whole fault, which may raise a new userfault.
 */
#include <errno.h>
#include <string.h>

#include "fault.h"
#include "registry.h"
#include "trace.h"
#include "wp.h"

/**
 * struct vm_fault - one fault being handled (include/linux/mm.h).
 * @vma: the faulting VMA.
 * @mm: its mm.
 * @address: the faulting address rounded down to the VMA's page size.
 * @real_address: the faulting address as given.
 * @flags: FAULT_FLAG_*.
 * @pgoff: linear_page_index() of @address.
 * @level: page-table level of the VMA's entries.
 * @orig_pte: the entry when the fault started.
 * @orig_uffd_wp: @orig_pte was a uffd-wp marker (vmf_orig_pte_uffd_wp()):
 *	whatever gets installed keeps the protection.
 */
struct vm_fault {
	struct uffdops_vma *vma;
	struct uffdops_mm *mm;
	unsigned long address;
	unsigned long real_address;
	unsigned int flags;
	pgoff_t pgoff;
	enum pt_level level;
	struct pte orig_pte;
	bool orig_uffd_wp;
};

/* fault_around_bytes = 64 KiB (mm/memory.c). */
#define FAULT_AROUND_PAGES 16UL

static bool pte_same(struct pte a, struct pte b)
{
	return a.folio == b.folio && a.idx == b.idx && a.flags == b.flags;
}

static struct pte vmf_get(struct vm_fault *vmf, unsigned long addr)
{
	return pgtable_get(&vmf->mm->pgt, addr, vmf->level);
}

/*
 * finish_fault()/set_pte_range(): install @entry if the entry still is
 * what the fault started from. Returns VM_FAULT_OOM when a table could not
 * be allocated, 0 otherwise (installed, or retry).
 */
static vm_fault_t install_entry(struct vm_fault *vmf, struct pte entry)
{
	vm_fault_t ret = 0;

	/* pte_mkuffd_wp(): a uffd-wp protected entry is never writable. */
	if (vmf->orig_uffd_wp) {
		entry = pte_mkuffd_wp(entry);
	}
	pt_lock(vmf->mm);
	if (pte_same(vmf_get(vmf, vmf->address), vmf->orig_pte) &&
	    pgtable_set(&vmf->mm->pgt, vmf->address, vmf->level, entry))
		ret = VM_FAULT_OOM;
	pt_unlock(vmf->mm);
	return ret;
}

/* anon_vma_prepare() under the page-table lock, as __anon_vma_prepare(). */
static vm_fault_t vmf_anon_prepare(struct vm_fault *vmf)
{
	int err;

	pt_lock(vmf->mm);
	err = anon_vma_prepare(vmf->vma);
	pt_unlock(vmf->mm);
	return err ? VM_FAULT_OOM : 0;
}

/* maybe_mkwrite(): writable only if the VMA is. */
static unsigned int maybe_mkwrite(const struct uffdops_vma *vma)
{
	return vma->vm_flags & VM_WRITE ? PTE_WRITE : 0;
}

static void folio_unlock_put(struct uffdops_folio *folio)
{
	uffdops_folio_unlock(folio);
	uffdops_folio_put(folio);
}

/* A new anonymous page for the fault: zeroed, or a copy of @src's page @idx. */
static vm_fault_t map_new_anon(struct vm_fault *vmf,
			       const struct uffdops_folio *src,
			       unsigned int idx)
{
	unsigned int order = folio_order_for_size(vma_page_size(vmf->vma));
	struct uffdops_folio *folio;
	vm_fault_t ret;

	ret = vmf_anon_prepare(vmf);
	if (ret)
		return ret;
	folio = folio_copy_new(src, idx, order);
	if (!folio)
		return VM_FAULT_OOM;
	ret = install_entry(vmf, mk_pte(folio, 0,
					PTE_EXCLUSIVE | PTE_DIRTY |
						maybe_mkwrite(vmf->vma)));
	uffdops_folio_put(folio);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Userfaultfd: which faults go to userspace (include/linux/userfaultfd_k.h). */
/* ------------------------------------------------------------------------ */

/* The op under which the fault path reports to the decision trace. */
static const char fault_op[] = "handle_mm_fault";

/* userfaultfd_missing() */
static bool userfaultfd_missing(const struct uffdops_vma *vma)
{
	return vma->vm_flags & VM_UFFD_MISSING;
}

/* userfaultfd_minor() */
static bool userfaultfd_minor(const struct uffdops_vma *vma)
{
	return vma->vm_flags & VM_UFFD_MINOR;
}

/* userfaultfd_wp_async(): the VMA's context resolves WP faults itself. */
static bool userfaultfd_wp_async(const struct uffdops_vma *vma)
{
	return userfaultfd_wp_async_ctx(vma_uffd_ctx(vma));
}

/*
 * vmf_pte_changed(): the entry is no longer what the fault started from
 * (someone filled it meanwhile). Takes the PT lock.
 */
static bool vmf_pte_changed(struct vm_fault *vmf)
{
	bool changed;

	pt_lock(vmf->mm);
	changed = !pte_same(vmf_get(vmf, vmf->address), vmf->orig_pte);
	pt_unlock(vmf->mm);
	return changed;
}

/*
 * Hand the fault to the VMA's userfaultfd context (handle_userfault()).
 * @kfn names the kernel function whose check sent it, @why that check, for
 * the trace. Return: VM_FAULT_RETRY once woken (the mmap lock was dropped
 * and taken again), or VM_FAULT_SIGBUS.
 */
static vm_fault_t do_userfault(struct vm_fault *vmf, unsigned long reason,
			       const char *kfn, const char *why)
{
	trace_check(vmf->mm, fault_op, why, kfn, 0, vmf->real_address);
	/*
	 * handle_userfault(): a fault that may not drop the mmap lock (GUP
	 * without FOLL_UNLOCKABLE, as access_remote_vm() for /proc/pid/mem)
	 * cannot wait for userspace -> SIGBUS. Checked after the context's
	 * own SIGBUS reasons in the kernel; every one of them gives SIGBUS.
	 */
	if (trace_check(
		    vmf->mm, fault_op,
		    "the fault may drop the mmap lock and be retried (FAULT_FLAG_ALLOW_RETRY), else SIGBUS",
		    "handle_userfault",
		    vmf->flags & FAULT_FLAG_ALLOW_RETRY ? 0 : -EFAULT,
		    vmf->real_address))
		return VM_FAULT_SIGBUS;
	return handle_userfault(vmf->vma, vmf->real_address, vmf->flags,
				reason);
}

/*
 * The rule shared by the page-cache classes (shmem_get_folio_gfp(),
 * hugetlb_no_page(), __do_userfault()): a page in the cache is a MINOR
 * fault for a VMA registered for MINOR, a page absent from it a MISSING
 * fault for one registered for MISSING. The two are exclusive by the
 * cache's state. Return: the VM_UFFD_* reason, or 0.
 */
static unsigned long cache_uffd_reason(const struct uffdops_vma *vma,
				       bool cached)
{
	if (cached)
		return userfaultfd_minor(vma) ? VM_UFFD_MINOR : 0;
	return userfaultfd_missing(vma) ? VM_UFFD_MISSING : 0;
}

static const char *const cache_uffd_why[] = {
	"page absent from the page cache in a VMA registered for MISSING",
	"page in the page cache in a VMA registered for MINOR",
};

/*
 * The anonymous class (do_anonymous_page()): a none entry, or a uffd-wp
 * marker (pte_marker_handle_uffd_wp() treats it as none), in a VMA
 * registered for MISSING is a MISSING userfault, for a read as for a write.
 * The kernel decides under the PT lock with the entry unchanged, before the
 * zero page or a new page is mapped.
 */
static bool anon_userfault(struct vm_fault *vmf)
{
	return userfaultfd_missing(vmf->vma) && !vmf_pte_changed(vmf);
}

/*
 * The shmem class (shmem_get_folio_gfp(), past the EOF check): decided by
 * the page cache at the fault's index, before a page is allocated.
 */
static unsigned long shmem_userfault(const struct vm_fault *vmf,
				     const struct uffdops_folio *folio)
{
	return cache_uffd_reason(vmf->vma, folio != NULL);
}

/* Is page @pgoff of @inode in the page cache? */
static bool filemap_cached(struct uffdops_inode *inode, pgoff_t pgoff)
{
	bool cached;

	pthread_mutex_lock(&inode->i_pages_lock);
	cached = filemap_find_locked(inode, pgoff) != NULL;
	pthread_mutex_unlock(&inode->i_pages_lock);
	return cached;
}

/*
 * Is page @pgoff of the VMA's file cached, for the MINOR-versus-MISSING
 * decision? A user memory type answers through its lookup hook
 * (get_folio_noalloc() of a 7.1 table, uffd_get_folio() of the proposal's);
 * the folio it returns is unlocked and put again at once (__do_userfault()).
 * Built-in types, and a type without a hook, are answered by their page
 * cache.
 */
static bool uffd_folio_cached(struct vm_fault *vmf, pgoff_t pgoff)
{
	const struct memtype *mt = vmf->vma->mt;
	const struct vm_uffd_ops_v7_1 *v71 = mt->desc.uffd_ops_v7_1;
	const struct vm_uffd_ops *ops = mt->desc.uffd_ops;
	struct uffdops_inode *inode = vma_inode(vmf->vma);
	struct uffdops_folio *folio = NULL;
	int ret;

	if (!mt->builtin && v71 && v71->get_folio_noalloc) {
		folio = v71->get_folio_noalloc(inode, pgoff);
		if (!folio)
			return false;
	} else if (!mt->builtin && ops && ops->uffd_get_folio) {
		ret = ops->uffd_get_folio(inode, pgoff, &folio);
		/* 0 with a folio, or a negative errno (-ENOENT: none cached). */
		if (trace_check(
			    vmf->mm, fault_op,
			    "uffd_get_folio answers 0 with a folio or a negative errno",
			    "__do_userfault",
			    ret > 0 || (!ret && !folio) ? -EINVAL : 0,
			    vmf->real_address) ||
		    ret)
			return false;
	} else {
		return filemap_cached(inode, pgoff);
	}
	/* The contract: the folio comes locked, with a reference. */
	if (!trace_check(vmf->mm, fault_op,
			 "the lookup hook returned the folio locked",
			 "__do_userfault",
			 uffdops_folio_test_locked(folio) ? 0 : -EINVAL,
			 vmf->real_address))
		uffdops_folio_unlock(folio);
	uffdops_folio_put(folio);
	return true;
}

/*
 * The class of user memory types (__do_userfault() in __do_fault(), Linux
 * 7.1): before ->fault runs, a VMA registered for MISSING or MINOR asks the
 * type whether the page is cached and decides by cache_uffd_reason(). The
 * built-in types keep 6.18's checks: shmem in shmem_fault()
 * (shmem_userfault()); a regular file has no ops and is only ever
 * registered for WP.
 */
static unsigned long generic_userfault(struct vm_fault *vmf)
{
	struct uffdops_vma *vma = vmf->vma;

	if (vma->mt->builtin ||
	    !(userfaultfd_missing(vma) || userfaultfd_minor(vma)))
		return 0;
	return cache_uffd_reason(vma, uffd_folio_cached(vmf, vmf->pgoff));
}

/*
 * The hugetlb class (hugetlb_no_page(), past its EOF check): decided by the
 * page cache at the huge page's index; a user type with huge pages is asked
 * through its hook. A private mapping whose page is cached and that is
 * registered for MISSING only takes no userfault. The entry must still be
 * what the fault saw (hugetlb_pte_stable()), else the fault is retried.
 */
static unsigned long hugetlb_userfault(struct vm_fault *vmf)
{
	struct uffdops_vma *vma = vmf->vma;
	unsigned long reason;

	if (!(userfaultfd_missing(vma) || userfaultfd_minor(vma)))
		return 0;
	reason = cache_uffd_reason(vma, uffd_folio_cached(vmf, vmf->pgoff));
	if (reason && vmf_pte_changed(vmf))
		return 0;
	return reason;
}

/*
 * The write-protect class (do_wp_page(), hugetlb_fault()): a write through
 * an entry carrying the uffd-wp bit in a VMA registered for WP is a WP
 * userfault. Under UFFD_FEATURE_WP_ASYNC the kernel resolves it itself: it
 * clears the bit in place (and in vmf->orig_pte), sends nothing, and the
 * write goes on to the usual reuse or copy.
 * Return: true when the fault goes to userspace.
 */
static bool wp_userfault(struct vm_fault *vmf, const char *kfn)
{
	struct pte pte = vmf->orig_pte;

	if (!userfaultfd_pte_wp(vmf->vma, pte))
		return false;
	if (!userfaultfd_wp_async(vmf->vma))
		return true;
	trace_check(
		vmf->mm, fault_op,
		"UFFD_FEATURE_WP_ASYNC: the fault clears the uffd-wp bit, no message",
		kfn, 0, vmf->real_address);
	pte = pte_clear_uffd_wp(pte);
	pt_lock(vmf->mm);
	if (pte_same(vmf_get(vmf, vmf->address), vmf->orig_pte)) {
		pgtable_set(&vmf->mm->pgt, vmf->address, vmf->level, pte);
		vmf->orig_pte = pte;
	}
	pt_unlock(vmf->mm);
	return false;
}

/* ------------------------------------------------------------------------ */
/* Anonymous memory (do_anonymous_page()).                                   */
/* ------------------------------------------------------------------------ */

static vm_fault_t do_anonymous_page(struct vm_fault *vmf)
{
	if (anon_userfault(vmf))
		return do_userfault(
			vmf, VM_UFFD_MISSING, "do_anonymous_page",
			"none entry in a VMA registered for MISSING");
	if (!(vmf->flags & FAULT_FLAG_WRITE) &&
	    !atomic_load(&vmf->mm->no_zero_page)) {
		/* Read fault: map the shared zero page (my_zero_pfn()). */
		return install_entry(vmf, make_zero_pte());
	}
	/*
	 * Write fault, or a kernel booted with pvm_no_zero_page=1: a fresh
	 * zeroed exclusive page, writable if the VMA is, even for a read.
	 */
	return map_new_anon(vmf, NULL, 0);
}

/* ------------------------------------------------------------------------ */
/* File-backed memory (do_fault(), shmem_fault(), filemap_fault()).          */
/* ------------------------------------------------------------------------ */

/*
 * ->fault (shmem_fault(), filemap_fault(), a user type's fault-in): the
 * locked, referenced page-cache folio for the fault, allocating a zeroed
 * one when none is cached. Beyond EOF -> SIGBUS.
 */
static vm_fault_t vma_fault(struct vm_fault *vmf, struct uffdops_folio **foliop)
{
	struct uffdops_inode *inode = vma_inode(vmf->vma);
	struct uffdops_folio *folio;
	unsigned long reason;
	int err;

	/* shmem_get_folio_gfp()/filemap_fault(): index at or past EOF. */
	if (vmf->pgoff >= DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE))
		return VM_FAULT_SIGBUS;
	folio = filemap_lookup_locked(inode, vmf->pgoff);
	/* shmem_get_folio_gfp(): userfaultfd before anything is allocated. */
	if (vma_is_shmem(vmf->vma)) {
		reason = shmem_userfault(vmf, folio);
		if (reason) {
			if (folio)
				folio_unlock_put(folio);
			return do_userfault(vmf, reason, "shmem_get_folio_gfp",
					    cache_uffd_why[folio != NULL]);
		}
	}
	if (folio) {
		*foliop = folio;
		return 0;
	}
	err = filemap_get_or_create(inode, vmf->pgoff, &folio);
	if (err)
		return err == -EFAULT ? VM_FAULT_SIGBUS : VM_FAULT_OOM;
	*foliop = folio;
	return 0;
}

/*
 * __do_fault(): the page-cache folio for the fault. A user memory type's
 * userfaults are decided first, before ->fault (__do_userfault()).
 */
static vm_fault_t __do_fault(struct vm_fault *vmf,
			     struct uffdops_folio **foliop)
{
	unsigned long reason = generic_userfault(vmf);

	if (reason)
		return do_userfault(vmf, reason, "__do_userfault",
				    cache_uffd_why[reason == VM_UFFD_MINOR]);
	return vma_fault(vmf, foliop);
}

/*
 * finish_fault() for a page-cache folio: map page @vmf->pgoff of the locked
 * @folio, if it is still cached (truncation did not win the race).
 */
static vm_fault_t map_cache_folio(struct vm_fault *vmf,
				  struct uffdops_folio *folio,
				  unsigned int flags)
{
	struct uffdops_inode *inode = vma_inode(vmf->vma);
	bool cached;

	pthread_mutex_lock(&inode->i_pages_lock);
	cached = folio->mapping == inode;
	pthread_mutex_unlock(&inode->i_pages_lock);
	if (!cached)
		return 0;
	return install_entry(vmf,
			     mk_pte(folio, vmf->pgoff - folio->index, flags));
}

/* Entry flags for a page-cache page mapped by a read fault. */
static unsigned int read_fault_flags(const struct uffdops_vma *vma)
{
	/*
	 * Private mappings map the cache read-only (copy on write); shared
	 * ones writable when the VMA is and no write notification is wanted.
	 */
	if (!(vma->vm_flags & VM_SHARED) || vma_wants_writenotify(vma))
		return 0;
	return maybe_mkwrite(vma);
}

/*
 * should_fault_around() + filemap_map_pages(): map the cached, unlocked
 * pages around a read fault into none entries of the same PTE table, at
 * most 16 pages in a 16-aligned window clamped to the VMA and to EOF. Only
 * shmem and regular files have ->map_pages, and VMAs registered for WP or
 * MINOR never fault around (uffd_disable_fault_around()).
 */
static void do_fault_around(struct vm_fault *vmf)
{
	struct uffdops_vma *vma = vmf->vma;
	struct uffdops_inode *inode = vma_inode(vma);
	unsigned long pte_off = (vmf->address >> PAGE_SHIFT) &
				(PTRS_PER_TABLE - 1);
	unsigned long vma_off = vmf->pgoff - vma->vm_pgoff;
	unsigned long from, to, i, eof;

	if (!vma_is_shmem(vma) && !vma_wants_writenotify(vma))
		return;
	if (vma->vm_flags & (VM_UFFD_WP | VM_UFFD_MINOR))
		return;
	from = ALIGN_DOWN(pte_off, FAULT_AROUND_PAGES);
	if (pte_off - from > vma_off)
		from = pte_off - vma_off;
	to = from + FAULT_AROUND_PAGES;
	if (to > PTRS_PER_TABLE)
		to = PTRS_PER_TABLE;
	if (to >
	    pte_off + ((vma->vm_end - vma->vm_start) >> PAGE_SHIFT) - vma_off)
		to = pte_off + ((vma->vm_end - vma->vm_start) >> PAGE_SHIFT) -
		     vma_off;
	eof = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);

	for (i = from; i < to; i++) {
		unsigned long addr = vmf->address + (i - pte_off) * PAGE_SIZE;
		pgoff_t index = vmf->pgoff + i - pte_off;
		struct uffdops_folio *folio;

		if (index >= eof)
			break;
		pthread_mutex_lock(&inode->i_pages_lock);
		folio = filemap_find_locked(inode, index);
		/* filemap_map_pages() skips locked folios. */
		if (folio && !folio_trylock(folio))
			folio = NULL;
		pthread_mutex_unlock(&inode->i_pages_lock);
		if (!folio)
			continue;
		pt_lock(vmf->mm);
		if (pte_none(pgtable_get(&vmf->mm->pgt, addr, PT_LEVEL_PTE)))
			pgtable_set(&vmf->mm->pgt, addr, PT_LEVEL_PTE,
				    mk_pte(folio, index - folio->index,
					   read_fault_flags(vma)));
		pt_unlock(vmf->mm);
		uffdops_folio_unlock(folio);
	}
}

/* do_read_fault(). */
static vm_fault_t do_read_fault(struct vm_fault *vmf)
{
	struct uffdops_folio *folio;
	vm_fault_t ret;

	bool same;

	do_fault_around(vmf);
	pt_lock(vmf->mm);
	same = pte_same(vmf_get(vmf, vmf->address), vmf->orig_pte);
	pt_unlock(vmf->mm);
	/* Fault-around mapped the page (VM_FAULT_NOPAGE). */
	if (!same)
		return 0;
	ret = __do_fault(vmf, &folio);
	if (ret)
		return ret;
	ret = map_cache_folio(vmf, folio, read_fault_flags(vmf->vma));
	folio_unlock_put(folio);
	return ret;
}

/* do_cow_fault(): a write to a private file mapping copies the cached page. */
static vm_fault_t do_cow_fault(struct vm_fault *vmf)
{
	struct uffdops_folio *folio;
	vm_fault_t ret;

	ret = __do_fault(vmf, &folio);
	if (ret)
		return ret;
	ret = map_new_anon(vmf, folio, vmf->pgoff - folio->index);
	folio_unlock_put(folio);
	return ret;
}

/* do_shared_fault(): a write to a shared file mapping dirties the cached page. */
static vm_fault_t do_shared_fault(struct vm_fault *vmf)
{
	struct uffdops_folio *folio;
	vm_fault_t ret;

	ret = __do_fault(vmf, &folio);
	if (ret)
		return ret;
	ret = map_cache_folio(vmf, folio, PTE_DIRTY | maybe_mkwrite(vmf->vma));
	folio_unlock_put(folio);
	return ret;
}

static vm_fault_t do_fault(struct vm_fault *vmf)
{
	if (!(vmf->flags & FAULT_FLAG_WRITE))
		return do_read_fault(vmf);
	if (!(vmf->vma->vm_flags & VM_SHARED))
		return do_cow_fault(vmf);
	return do_shared_fault(vmf);
}

/* do_pte_missing(). */
static vm_fault_t do_pte_missing(struct vm_fault *vmf)
{
	if (vma_is_anonymous(vmf->vma))
		return do_anonymous_page(vmf);
	return do_fault(vmf);
}

/* ------------------------------------------------------------------------ */
/* Write-protect faults (do_wp_page()).                                      */
/* ------------------------------------------------------------------------ */

/* wp_page_reuse(): make the entry writable (if the VMA is) and dirty. */
static vm_fault_t wp_page_reuse(struct vm_fault *vmf, unsigned int extra)
{
	struct pte entry = vmf->orig_pte;

	entry.flags |= PTE_DIRTY | extra | maybe_mkwrite(vmf->vma);
	pt_lock(vmf->mm);
	if (pte_same(vmf_get(vmf, vmf->address), vmf->orig_pte))
		pgtable_set(&vmf->mm->pgt, vmf->address, vmf->level, entry);
	pt_unlock(vmf->mm);
	return 0;
}

/*
 * wp_can_reuse_anon_folio(): an anonymous folio nobody else references may
 * be written in place (checked under the PT lock).
 */
static bool wp_can_reuse_anon_folio(struct vm_fault *vmf)
{
	struct uffdops_folio *folio = vmf->orig_pte.folio;
	bool reuse;

	pt_lock(vmf->mm);
	reuse = pte_same(vmf_get(vmf, vmf->address), vmf->orig_pte) &&
		folio_ref_count(folio) == 1;
	pt_unlock(vmf->mm);
	return reuse;
}

static vm_fault_t do_wp_page(struct vm_fault *vmf)
{
	struct pte pte;
	struct uffdops_folio *folio;

	/* do_wp_page(): uffd-wp before anything else. */
	if (wp_userfault(vmf, "do_wp_page"))
		return do_userfault(
			vmf, VM_UFFD_WP, "do_wp_page",
			"write to a uffd-wp entry in a VMA registered for WP");
	pte = vmf->orig_pte;
	folio = pte.folio;
	if (vmf->vma->vm_flags & (VM_SHARED | VM_MAYSHARE))
		/* wp_page_shared()/wp_pfn_shared(): page_mkwrite, then reuse. */
		return wp_page_reuse(vmf, 0);
	if (folio && folio->anon &&
	    ((pte.flags & PTE_EXCLUSIVE) || wp_can_reuse_anon_folio(vmf)))
		return wp_page_reuse(vmf, PTE_EXCLUSIVE);
	/* wp_page_copy(): the zero page, a cached page or a shared anon page. */
	return map_new_anon(vmf, folio, pte.idx);
}

/* ------------------------------------------------------------------------ */
/* Entry dispatch (handle_pte_fault()).                                      */
/* ------------------------------------------------------------------------ */

/* handle_pte_marker() (do_swap_page() on a marker). */
static vm_fault_t handle_pte_marker(struct vm_fault *vmf)
{
	unsigned int marker = pte_marker_get(vmf->orig_pte);

	/* Poison wins over uffd-wp; a guard page is always fatal. */
	if (marker & PTE_MARKER_POISONED)
		return VM_FAULT_HWPOISON;
	if (marker & PTE_MARKER_GUARD)
		return VM_FAULT_SIGSEGV;
	if (marker & PTE_MARKER_UFFD_WP) {
		/*
		 * pte_marker_handle_uffd_wp(): a marker left after the VMA was
		 * unregistered is stale and cleared (pte_marker_clear()).
		 */
		if (!userfaultfd_wp(vmf->vma)) {
			pt_lock(vmf->mm);
			if (pte_same(vmf_get(vmf, vmf->address), vmf->orig_pte))
				pgtable_set(&vmf->mm->pgt, vmf->address,
					    vmf->level, (struct pte){ 0 });
			pt_unlock(vmf->mm);
			return 0;
		}
		vmf->orig_uffd_wp = true;
		return do_pte_missing(vmf);
	}
	return VM_FAULT_SIGBUS;
}

static vm_fault_t handle_pte_fault(struct vm_fault *vmf)
{
	struct pte pte = vmf->orig_pte;

	if (pte_none(pte))
		return do_pte_missing(vmf);
	if (!pte_present(pte))
		return handle_pte_marker(vmf);
	if (vmf->flags & FAULT_FLAG_WRITE) {
		if (!pte_write(pte))
			return do_wp_page(vmf);
		/* pte_mkdirty() on a write through a writable entry. */
		if (!(pte.flags & PTE_DIRTY)) {
			pte.flags |= PTE_DIRTY;
			pt_lock(vmf->mm);
			if (pte_same(vmf_get(vmf, vmf->address), vmf->orig_pte))
				pgtable_set(&vmf->mm->pgt, vmf->address,
					    vmf->level, pte);
			pt_unlock(vmf->mm);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Huge pages (hugetlb_fault(), hugetlb_no_page(), hugetlb_wp()).            */
/* ------------------------------------------------------------------------ */

/* hugetlb_wp(): copy-on-write of a huge page. */
static vm_fault_t hugetlb_wp(struct vm_fault *vmf)
{
	struct pte pte = vmf->orig_pte;
	struct uffdops_folio *folio = pte.folio;

	/*
	 * hugetlb_wp(): never copy or reuse a uffd-wp protected huge page.
	 * hugetlb_fault() sends a write to such a page in a WP VMA to
	 * userspace first, so only hugetlb_no_page()'s write shortcut gets
	 * here with the bit: the retried fault raises the WP userfault. In a
	 * VMA without VM_UFFD_WP (a WP registration replaced by a MINOR one)
	 * Linux 6.18 retries the write forever at 100% CPU (spec §0.1); the
	 * model keeps the page as it is and raises SIGBUS instead.
	 */
	if (pte_uffd_wp(pte)) {
		if (userfaultfd_wp(vmf->vma))
			return 0;
		trace_check(
			vmf->mm, fault_op,
			"write to a uffd-wp protected huge page in a VMA without VM_UFFD_WP: Linux 6.18 retries it forever, the model raises SIGBUS",
			"hugetlb_wp", -EFAULT, vmf->real_address);
		return VM_FAULT_SIGBUS;
	}
	if (vmf->vma->vm_flags & VM_MAYSHARE)
		return wp_page_reuse(vmf, 0);
	/* A private anonymous huge page mapped only here is reused. */
	if (folio && folio->anon && folio_mapcount(folio) == 1)
		return wp_page_reuse(vmf, PTE_EXCLUSIVE);
	return map_new_anon(vmf, folio, 0);
}

/* hugetlb_no_page(): nothing mapped at a huge entry. */
static vm_fault_t hugetlb_no_page(struct vm_fault *vmf)
{
	struct uffdops_vma *vma = vmf->vma;
	struct uffdops_inode *inode = vma_inode(vma);
	unsigned long psize = vma_page_size(vma);
	struct uffdops_folio *folio;
	bool anon = false;
	unsigned long reason;
	unsigned int flags;
	vm_fault_t ret;
	int err;

	/* Nothing cached beyond EOF, in huge pages: SIGBUS, no userfault. */
	if (vmf->pgoff >= i_size_read(inode) / PAGE_SIZE &&
	    !filemap_cached(inode, vmf->pgoff))
		return VM_FAULT_SIGBUS;
	/* Decided before the folio is locked: a type's hook locks it. */
	reason = hugetlb_userfault(vmf);
	if (reason)
		return do_userfault(vmf, reason, "hugetlb_no_page",
				    cache_uffd_why[reason == VM_UFFD_MINOR]);
	folio = filemap_lookup_locked(inode, vmf->pgoff);
	if (!folio) {
		if (vma->vm_flags & VM_MAYSHARE) {
			err = filemap_get_or_create(inode, vmf->pgoff, &folio);
			if (err)
				return err == -EFAULT ? VM_FAULT_SIGBUS :
							VM_FAULT_OOM;
		} else {
			/* A private mapping's new page is anonymous. */
			ret = vmf_anon_prepare(vmf);
			if (ret)
				return ret;
			folio = folio_copy_new(NULL, 0,
					       folio_order_for_size(psize));
			if (!folio)
				return VM_FAULT_OOM;
			folio_trylock(folio);
			anon = true;
		}
	}
	/* make_huge_pte(): writable only for a shared writable mapping. */
	flags = (vma->vm_flags & (VM_WRITE | VM_SHARED)) ==
				(VM_WRITE | VM_SHARED) ?
			PTE_WRITE | PTE_DIRTY :
			0;
	if (anon)
		flags |= PTE_EXCLUSIVE;
	/* hugetlb keeps a uffd-wp marker's protection whether registered or not. */
	if (pte_marker_uffd_wp(vmf->orig_pte))
		vmf->orig_uffd_wp = true;
	ret = anon ? install_entry(vmf, mk_pte(folio, 0, flags)) :
		     map_cache_folio(vmf, folio, flags);
	folio_unlock_put(folio);
	if (ret || !(vmf->flags & FAULT_FLAG_WRITE) ||
	    (vma->vm_flags & VM_SHARED))
		return ret;
	/* A write to a private mapping breaks CoW on the page just mapped. */
	pt_lock(vmf->mm);
	vmf->orig_pte = vmf_get(vmf, vmf->address);
	pt_unlock(vmf->mm);
	if (!pte_present(vmf->orig_pte))
		return 0;
	vmf->orig_uffd_wp = false;
	return hugetlb_wp(vmf);
}

static vm_fault_t hugetlb_fault(struct vm_fault *vmf)
{
	struct pte pte = vmf->orig_pte;
	unsigned int marker = pte_marker_get(pte);

	if (pte_none(pte) || marker) {
		if (marker & PTE_MARKER_POISONED)
			return VM_FAULT_HWPOISON_LARGE;
		if (marker & PTE_MARKER_GUARD)
			return VM_FAULT_SIGSEGV;
		return hugetlb_no_page(vmf);
	}
	if (vmf->flags & FAULT_FLAG_WRITE) {
		if (!pte_write(pte)) {
			/* hugetlb_fault(): userfault-wp first, then CoW. */
			if (wp_userfault(vmf, "hugetlb_fault"))
				return do_userfault(
					vmf, VM_UFFD_WP, "hugetlb_fault",
					"write to a uffd-wp huge page in a VMA registered for WP");
			return hugetlb_wp(vmf);
		}
		if (!(pte.flags & PTE_DIRTY))
			return wp_page_reuse(vmf, 0);
	}
	return 0;
}

vm_fault_t handle_mm_fault(struct uffdops_vma *vma, unsigned long addr,
			   unsigned int flags)
{
	struct vm_fault vmf = {
		.vma = vma,
		.mm = vma->vm_mm,
		.address = ALIGN_DOWN(addr, vma_page_size(vma)),
		.real_address = addr,
		.flags = flags,
		.level = vma_pt_level(vma),
	};

	vmf.pgoff = linear_page_index(vma, vmf.address);
	pt_lock(vmf.mm);
	vmf.orig_pte = vmf_get(&vmf, vmf.address);
	pt_unlock(vmf.mm);
	if (is_vm_hugetlb_page(vma))
		return hugetlb_fault(&vmf);
	return handle_pte_fault(&vmf);
}

/* ------------------------------------------------------------------------ */
/* Access checks and the public fault entry.                                 */
/* ------------------------------------------------------------------------ */

/*
 * access_error() (arch/x86/mm/fault.c): a write needs VM_WRITE, an
 * instruction fetch VM_EXEC, a read any access right.
 */
static bool access_error(const struct uffdops_vma *vma, unsigned int flags)
{
	if (flags & FAULT_FLAG_WRITE)
		return !(vma->vm_flags & VM_WRITE);
	if (flags & FAULT_FLAG_INSTRUCTION)
		return !(vma->vm_flags & VM_EXEC);
	return !(vma->vm_flags & VM_ACCESS_FLAGS);
}

/* is_cow_mapping(). */
static bool is_cow_mapping(unsigned long flags)
{
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}

/* check_vma_flags() (mm/gup.c) for a GUP access; @force is FOLL_FORCE. */
static int check_vma_flags(const struct uffdops_vma *vma, bool write,
			   bool force)
{
	unsigned long vm_flags = vma->vm_flags;

	if (vm_flags & (VM_IO | VM_PFNMAP))
		return -EFAULT;
	if (write) {
		if (!(vm_flags & VM_WRITE)) {
			if (!force)
				return -EFAULT;
			/* hugetlb does not support FOLL_FORCE|FOLL_WRITE. */
			if (is_vm_hugetlb_page(vma))
				return -EFAULT;
			/* FOLL_FORCE only writes through copy-on-write. */
			if (!is_cow_mapping(vm_flags))
				return -EFAULT;
		}
	} else if (!(vm_flags & VM_READ)) {
		if (!force || !(vm_flags & VM_MAYREAD))
			return -EFAULT;
	}
	return 0;
}

/*
 * Can the access go through @pte without a fault? A forced write may write
 * a read-only entry of an exclusive anonymous page in a private mapping
 * (can_follow_write_pte()).
 */
static bool pte_access_ok(const struct uffdops_vma *vma, struct pte pte,
			  bool write, bool force)
{
	if (!pte_present(pte))
		return false;
	if (!write || pte_write(pte))
		return true;
	if (!force || (vma->vm_flags & (VM_SHARED | VM_MAYSHARE)) ||
	    !(vma->vm_flags & VM_MAYWRITE) || (vma->vm_flags & VM_WRITE))
		return false;
	if (!pte.folio || !pte.folio->anon || !(pte.flags & PTE_EXCLUSIVE))
		return false;
	return !(pte_uffd_wp(pte) && (vma->vm_flags & VM_UFFD_WP));
}

/*
 * follow_page_pte(): can the access use the entry at @addr now? If so the
 * entry is returned in *@ptep with a reference on its folio (none for the
 * zero page), and marked dirty for a write.
 */
static bool follow_page(struct uffdops_vma *vma, unsigned long addr, bool write,
			bool force, struct pte *ptep)
{
	struct uffdops_mm *mm = vma->vm_mm;
	enum pt_level level = vma_pt_level(vma);
	unsigned long base = ALIGN_DOWN(addr, vma_page_size(vma));
	struct pte pte;
	bool ok;

	pt_lock(mm);
	pte = pgtable_get(&mm->pgt, base, level);
	ok = pte_access_ok(vma, pte, write, force);
	if (ok && write && !(pte.flags & PTE_DIRTY)) {
		pte.flags |= PTE_DIRTY;
		pgtable_set(&mm->pgt, base, level, pte);
	}
	if (ok && pte.folio)
		uffdops_folio_get(pte.folio);
	pt_unlock(mm);
	*ptep = pte;
	return ok;
}

/*
 * Faults @addr in until the access can proceed: 0, a VM_FAULT_ERROR code,
 * or VM_FAULT_RETRY when the mmap lock was dropped on the way (a
 * userfaultfd wait): the VMA may be gone and the caller looks it up again.
 */
static vm_fault_t fault_in(struct uffdops_vma *vma, unsigned long addr,
			   unsigned int flags, bool force)
{
	bool write = flags & FAULT_FLAG_WRITE;
	struct pte pte;
	vm_fault_t ret;

	for (;;) {
		if (follow_page(vma, addr, write, force, &pte)) {
			if (pte.folio)
				uffdops_folio_put(pte.folio);
			return 0;
		}
		ret = handle_mm_fault(vma, addr, flags);
		if (ret & (VM_FAULT_ERROR | VM_FAULT_RETRY))
			return ret;
	}
}

int uffdops_handle_mm_fault(struct uffdops_mm *mm, unsigned long addr,
			    unsigned int flags)
{
	struct uffdops_vma *vma;
	vm_fault_t ret;

	if (!mm)
		return VM_FAULT_SIGSEGV;
	/* The arch fault handler's faults may always be retried. */
	flags &= FAULT_FLAG_WRITE | FAULT_FLAG_USER | FAULT_FLAG_INSTRUCTION;
	flags |= FAULT_FLAG_ALLOW_RETRY;
	if (addr >= UFFDOPS_TASK_SIZE)
		return VM_FAULT_SIGSEGV;
	mmap_read_lock(mm);
	do {
		/* lock_mm_and_find_vma(): no VMA (no stack to grow) -> SIGSEGV. */
		vma = vma_lookup(mm, addr);
		if (!vma || access_error(vma, flags)) {
			ret = VM_FAULT_SIGSEGV;
			break;
		}
		ret = fault_in(vma, addr, flags, false);
	} while (ret & VM_FAULT_RETRY);
	mmap_read_unlock(mm);
	if (ret & VM_FAULT_SIGSEGV)
		return VM_FAULT_SIGSEGV;
	/* mm_fault_error(): OOM and hardware poison reach the task as SIGBUS. */
	return ret ? VM_FAULT_SIGBUS : 0;
}

/* ------------------------------------------------------------------------ */
/* Memory access (copy_{from,to}_user(), access_remote_vm()).                */
/* ------------------------------------------------------------------------ */

/*
 * The fault flags of an access: a CPU access (copy_{from,to}_user() from
 * kernel mode included) faults through the arch handler, which may retry
 * and marks user-mode accesses FAULT_FLAG_USER; a forced access is GUP on
 * behalf of another task (access_remote_vm()), kernel mode and without
 * FOLL_UNLOCKABLE, so its faults cannot be retried.
 */
static unsigned int access_fault_flags(unsigned int flags, bool write)
{
	unsigned int fflags = write ? FAULT_FLAG_WRITE : 0;

	if (flags & UFFDOPS_ACCESS_FORCE)
		return fflags;
	if (!(flags & UFFDOPS_ACCESS_KERNEL))
		fflags |= FAULT_FLAG_USER;
	return fflags | FAULT_FLAG_ALLOW_RETRY;
}

/* The copy loop of access_mem(); the caller holds the mmap lock for reading. */
static size_t access_mem_locked(struct uffdops_mm *mm, unsigned long addr,
				void *buf, size_t len, unsigned int flags,
				bool write)
{
	bool force = flags & UFFDOPS_ACCESS_FORCE;
	unsigned int fflags = access_fault_flags(flags, write);
	size_t done = 0;

	while (done < len) {
		unsigned long a = addr + done, psize, off, chunk;
		struct uffdops_vma *vma;
		unsigned char *data;
		struct pte pte;

		if (a < addr || a >= UFFDOPS_TASK_SIZE)
			break;
		vma = vma_lookup(mm, a);
		if (!vma)
			break;
		if (force ? check_vma_flags(vma, write, true) :
			    access_error(vma, fflags))
			break;
		psize = vma_page_size(vma);
		off = a & (psize - 1);
		chunk = psize - off;
		if (chunk > len - done)
			chunk = len - done;
		if (!follow_page(vma, a, write, force, &pte)) {
			if (flags & UFFDOPS_ACCESS_NOFAULT)
				break;
			/* On VM_FAULT_RETRY look the VMA up again. */
			if (fault_in(vma, a, fflags, force) & ~VM_FAULT_RETRY)
				break;
			continue;
		}
		if (!pte.folio) {
			/* The zero page reads as zeros (never written). */
			memset((unsigned char *)buf + done, 0, chunk);
			done += chunk;
			continue;
		}
		data = pte.folio->data + pte.idx * PAGE_SIZE + off;
		if (write)
			memcpy(data, (const unsigned char *)buf + done, chunk);
		else
			memcpy((unsigned char *)buf + done, data, chunk);
		uffdops_folio_put(pte.folio);
		done += chunk;
	}
	return done;
}

static ssize_t access_mem(struct uffdops_mm *mm, unsigned long addr, void *buf,
			  size_t len, unsigned int flags, bool write)
{
	size_t done;

	if (!mm || (!buf && len))
		return -EFAULT;
	mmap_read_lock(mm);
	done = access_mem_locked(mm, addr, buf, len, flags, write);
	mmap_read_unlock(mm);
	if (!done && len)
		return -EFAULT;
	return done;
}

size_t copy_from_user_nofault(struct uffdops_mm *mm, unsigned long addr,
			      void *buf, size_t len)
{
	return access_mem_locked(mm, addr, buf, len,
				 UFFDOPS_ACCESS_NOFAULT | UFFDOPS_ACCESS_KERNEL,
				 false);
}

ssize_t uffdops_read_mem(struct uffdops_mm *mm, unsigned long addr, void *buf,
			 size_t len, unsigned int flags)
{
	return access_mem(mm, addr, buf, len, flags, false);
}

ssize_t uffdops_write_mem(struct uffdops_mm *mm, unsigned long addr,
			  const void *buf, size_t len, unsigned int flags)
{
	return access_mem(mm, addr, (void *)buf, len, flags, true);
}

/* ------------------------------------------------------------------------ */
/* Population (mm/gup.c faultin_page_range(), __mm_populate()).              */
/* ------------------------------------------------------------------------ */

int populate_range(struct uffdops_mm *mm, unsigned long start,
		   unsigned long end, bool write, bool ignore_errors)
{
	unsigned long addr = start;
	int err = 0;

	mmap_read_lock(mm);
	while (addr < end) {
		struct uffdops_vma *vma = vma_lookup(mm, addr);
		bool w = write, force = false;
		vm_fault_t ret;

		if (!vma) {
			if (!ignore_errors) {
				err = -ENOMEM;
				break;
			}
			vma = find_vma(mm, addr);
			if (!vma || vma->vm_start >= end)
				break;
			addr = vma->vm_start;
			continue;
		}
		if (ignore_errors) {
			/* populate_vma_page_range(): CoW-break private writable. */
			w = (vma->vm_flags & (VM_WRITE | VM_SHARED)) ==
			    VM_WRITE;
			force = vma->vm_flags & VM_ACCESS_FLAGS;
		}
		/* madvise_populate(): incompatible protection -> -EINVAL. */
		if (check_vma_flags(vma, w, force)) {
			if (!ignore_errors) {
				err = -EINVAL;
				break;
			}
			addr = vma->vm_end;
			continue;
		}
		/* GUP with FOLL_UNLOCKABLE: kernel mode, may be retried. */
		ret = fault_in(vma, addr,
			       (w ? FAULT_FLAG_WRITE : 0) |
				       FAULT_FLAG_ALLOW_RETRY,
			       force);
		if (ret & VM_FAULT_RETRY)
			continue;
		if (ret) {
			if (!ignore_errors) {
				if (ret & (VM_FAULT_HWPOISON |
					   VM_FAULT_HWPOISON_LARGE))
					err = -EHWPOISON;
				else if (ret & VM_FAULT_OOM)
					err = -ENOMEM;
				else
					err = -EFAULT;
				break;
			}
			addr = vma->vm_end;
			continue;
		}
		addr = ALIGN_DOWN(addr, vma_page_size(vma)) +
		       vma_page_size(vma);
	}
	mmap_read_unlock(mm);
	return err;
}
