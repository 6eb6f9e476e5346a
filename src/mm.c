/* SPDX-License-Identifier: MIT */
/*
 * mm.c - the simulated mm and its system calls: mmap, munmap, mremap,
 * mprotect, madvise, fork (mm/mmap.c, mm/vma.c, mm/mremap.c, mm/mprotect.c,
 * mm/madvise.c, kernel/fork.c), the page-table operations they need
 * (zap, copy, move, change protection: mm/memory.c), and introspection
 * (/proc/pid/pagemap and /proc/pid/maps: fs/proc/task_mmu.c).
 *
 * Userfaultfd: the places where the kernel raises a non-cooperative event or
 * consults a context are marked "userfaultfd hook".
 */
#define _GNU_SOURCE /* MREMAP_* */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "fault.h"
#include "mm.h"
#include "registry.h"

/* include/linux/mm.h flags only madvise() sets. */
#define VM_SEQ_READ 0x00008000UL
#define VM_RAND_READ 0x00010000UL
#define VM_HUGEPAGE 0x20000000UL
#define VM_NOHUGEPAGE 0x40000000UL

/* include/linux/mman.h LEGACY_MAP_MASK. */
#define LEGACY_MAP_MASK                                                       \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS |               \
	 MAP_DENYWRITE | MAP_EXECUTABLE | MAP_UNINITIALIZED | MAP_GROWSDOWN | \
	 MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK |           \
	 MAP_STACK | MAP_HUGETLB | MAP_32BIT |                                \
	 (int)((unsigned int)MAP_HUGE_MASK << MAP_HUGE_SHIFT))
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif
/* include/uapi/asm-generic/mman-common.h; glibc does not define it. */
#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

#define TASK_SIZE UFFDOPS_TASK_SIZE
#define PAGE_ALIGN(x) ALIGN((unsigned long)(x), PAGE_SIZE)

/* ------------------------------------------------------------------------ */
/* The mm.                                                                   */
/* ------------------------------------------------------------------------ */

static struct uffdops_mm *mm_alloc(void)
{
	struct uffdops_mm *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return NULL;
	/* A built-in type is never unregistered: keep the pointer only. */
	mm->anon_mt = memtype_get("anon");
	if (!mm->anon_mt) {
		free(mm);
		return NULL;
	}
	memtype_put(mm->anon_mt);
	pthread_rwlock_init(&mm->mmap_lock, NULL);
	pthread_mutex_init(&mm->ptl, NULL);
	RB_INIT(&mm->mm_mt);
	mm->mmap_base = MMAP_BASE;
	pgtable_init(&mm->pgt);
	atomic_init(&mm->cap_sys_ptrace, 1);
	atomic_init(&mm->unprivileged_userfaultfd, 0);
	atomic_init(&mm->no_zero_page, 0);
	atomic_init(&mm->max_map_count, DEFAULT_MAX_MAP_COUNT);
	atomic_init(&mm->mm_users, 1);
	atomic_init(&mm->mm_count, 1);
	trace_hook_init(&mm->trace);
	return mm;
}

int uffdops_mm_create(struct uffdops_mm **mmp)
{
	struct uffdops_mm *mm;

	if (!mmp)
		return -EINVAL;
	mm = mm_alloc();
	if (!mm)
		return -ENOMEM;
	*mmp = mm;
	return 0;
}

/* Unmaps and frees one VMA (unmap_vmas() + remove_vma()). */
static void remove_vma(struct uffdops_mm *mm, struct uffdops_vma *vma)
{
	static const struct zap_details unmap = { .even_cows = true,
						  .drop_markers = true };

	zap_page_range_single(vma, vma->vm_start, vma->vm_end, &unmap);
	vma_unlink_free(mm, vma);
}

void mmdrop(struct uffdops_mm *mm)
{
	/* __mmdrop(): the last reference frees the structure */
	if (atomic_fetch_sub(&mm->mm_count, 1) != 1)
		return;
	trace_hook_destroy(&mm->trace);
	pthread_rwlock_destroy(&mm->mmap_lock);
	pthread_mutex_destroy(&mm->ptl);
	free(mm);
}

bool mmget_not_zero(struct uffdops_mm *mm)
{
	int users = atomic_load(&mm->mm_users);

	/* mmget_not_zero(): no new user once the last one has gone */
	do {
		if (!users)
			return false;
	} while (!atomic_compare_exchange_weak(&mm->mm_users, &users,
					       users + 1));
	return true;
}

void mmput(struct uffdops_mm *mm)
{
	struct uffdops_vma *vma;

	if (atomic_fetch_sub(&mm->mm_users, 1) != 1)
		return;
	/* exit_mmap(): the last user tears the address space down */
	mmap_write_lock(mm);
	while ((vma = vma_first(mm)))
		remove_vma(mm, vma);
	pt_lock(mm);
	pgtable_destroy(&mm->pgt);
	pt_unlock(mm);
	mmap_write_unlock(mm);
	mmdrop(mm);
}

void uffdops_mm_destroy(struct uffdops_mm *mm)
{
	if (mm)
		mmput(mm);
}

int uffdops_mm_config(struct uffdops_mm *mm, enum uffdops_mm_key key,
		      long value)
{
	if (!mm)
		return -EINVAL;
	switch (key) {
	case UFFDOPS_MM_CAP_SYS_PTRACE:
	case UFFDOPS_MM_UNPRIVILEGED_USERFAULTFD:
	case UFFDOPS_MM_NO_ZERO_PAGE:
		if (value != 0 && value != 1)
			return -EINVAL;
		break;
	case UFFDOPS_MM_MAX_MAP_COUNT:
		if (value < 0 || value > INT_MAX)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	switch (key) {
	case UFFDOPS_MM_CAP_SYS_PTRACE:
		atomic_store(&mm->cap_sys_ptrace, (int)value);
		break;
	case UFFDOPS_MM_UNPRIVILEGED_USERFAULTFD:
		atomic_store(&mm->unprivileged_userfaultfd, (int)value);
		break;
	case UFFDOPS_MM_NO_ZERO_PAGE:
		atomic_store(&mm->no_zero_page, (int)value);
		break;
	case UFFDOPS_MM_MAX_MAP_COUNT:
		atomic_store(&mm->max_map_count, value);
		break;
	}
	return 0;
}

static unsigned long max_map_count(struct uffdops_mm *mm)
{
	return (unsigned long)atomic_load(&mm->max_map_count);
}

/* ------------------------------------------------------------------------ */
/* Page-table operations (mm/memory.c, mm/mremap.c, mm/mprotect.c).          */
/* ------------------------------------------------------------------------ */

struct zap_walk {
	struct uffdops_vma *vma;
	bool even_cows;
	bool drop_markers;
};

/* zap_present_ptes()/zap_nonpresent_ptes()/__unmap_hugepage_range(). */
static void zap_one(unsigned long addr, struct pte *pte, void *arg)
{
	struct zap_walk *zw = arg;
	struct uffdops_vma *vma = zw->vma;
	bool hugetlb = is_vm_hugetlb_page(vma), anon = vma_is_anonymous(vma);
	bool keep_wp = false;

	(void)addr;
	if (pte_present(*pte)) {
		/* should_zap_folio(): without even_cows keep private copies. */
		if (!zw->even_cows && pte->folio && pte->folio->anon)
			return;
		/*
		 * zap_install_uffd_wp_if_needed(): a file VMA registered for WP
		 * (hugetlb: any) keeps a zapped page's protection as a marker.
		 */
		keep_wp = pte_uffd_wp(*pte) && !zw->drop_markers && !anon &&
			  (hugetlb || (vma->vm_flags & VM_UFFD_WP));
	} else {
		unsigned int marker = pte_marker_get(*pte);

		if (marker & PTE_MARKER_UFFD_WP) {
			/* Anon: always dropped; file: only on unmap. */
			if ((hugetlb || !anon) && !zw->drop_markers)
				keep_wp = true;
		} else if (marker & PTE_MARKER_GUARD) {
			/* Ordinary zapping never removes a guard region. */
			if (!zw->drop_markers)
				return;
		} else if (marker & PTE_MARKER_POISONED) {
			/* should_zap_cows(). */
			if (!zw->even_cows && !hugetlb)
				return;
		}
	}
	*pte = keep_wp ? make_pte_marker(PTE_MARKER_UFFD_WP) :
			 (struct pte){ 0 };
}

void zap_page_range_single(struct uffdops_vma *vma, unsigned long start,
			   unsigned long end, const struct zap_details *details)
{
	struct zap_walk zw = { .vma = vma, .even_cows = true };

	if (details) {
		zw.even_cows = details->even_cows;
		zw.drop_markers = details->drop_markers;
	}
	pt_lock(vma->vm_mm);
	pgtable_walk(&vma->vm_mm->pgt, start, end, vma_pt_level(vma), zap_one,
		     &zw);
	pt_unlock(vma->vm_mm);
}

void unmap_mapping_range(struct uffdops_inode *inode, pgoff_t first, pgoff_t nr,
			 bool even_cows)
{
	struct zap_details details = { .even_cows = even_cows };
	pgoff_t last = first + nr < first ? ULONG_MAX : first + nr;
	struct uffdops_vma *vma;

	if (!nr)
		return;
	/* unmap_mapping_range_tree(): every VMA of i_mmap overlapping the range. */
	pthread_mutex_lock(&inode->i_mmap_lock);
	LIST_FOREACH(vma, &inode->i_mmap, shared) {
		pgoff_t vfirst = vma->vm_pgoff;
		pgoff_t vlast =
			vfirst + ((vma->vm_end - vma->vm_start) >> PAGE_SHIFT);
		pgoff_t lo = first > vfirst ? first : vfirst;
		pgoff_t hi = last < vlast ? last : vlast;

		if (lo >= hi)
			continue;
		zap_page_range_single(
			vma, vma->vm_start + ((lo - vfirst) << PAGE_SHIFT),
			vma->vm_start + ((hi - vfirst) << PAGE_SHIFT),
			&details);
	}
	pthread_mutex_unlock(&inode->i_mmap_lock);
}

struct copy_walk {
	struct uffdops_vma *dst;
	struct uffdops_vma *src;
	int err;
};

/* copy_present_ptes()/copy_nonpresent_pte()/copy_hugetlb_page_range(). */
static void copy_one(unsigned long addr, struct pte *pte, void *arg)
{
	struct copy_walk *cw = arg;
	bool dst_wp = cw->dst->vm_flags & VM_UFFD_WP;
	struct pte entry = *pte;

	if (!pte_present(entry)) {
		/* copy_pte_marker(): uffd-wp only if the child keeps WP. */
		unsigned int marker = pte_marker_get(entry);

		if (!dst_wp)
			marker &= ~PTE_MARKER_UFFD_WP;
		if (!marker)
			return;
		entry = make_pte_marker(marker);
	} else {
		/* folio_try_dup_anon_rmap_pte(): the page is shared now. */
		if (entry.folio && entry.folio->anon) {
			pte->flags &= ~PTE_EXCLUSIVE;
			entry.flags &= ~PTE_EXCLUSIVE;
		}
		/* __copy_present_ptes(): CoW mappings write-protect both. */
		if ((cw->src->vm_flags & (VM_SHARED | VM_MAYWRITE)) ==
		    VM_MAYWRITE) {
			*pte = pte_wrprotect(*pte);
			entry = pte_wrprotect(entry);
		}
		if (cw->src->vm_flags & VM_SHARED)
			entry.flags &= ~PTE_DIRTY;
		if (!dst_wp)
			entry = pte_clear_uffd_wp(entry);
	}
	if (pgtable_set(&cw->dst->vm_mm->pgt, addr, vma_pt_level(cw->dst),
			entry))
		cw->err = -ENOMEM;
}

/* copy_page_range(): only where a fault could not refill the entries. */
static int copy_page_range(struct uffdops_vma *dst, struct uffdops_vma *src)
{
	struct copy_walk cw = { .dst = dst, .src = src };

	/* vma_needs_copy(). */
	if (!(dst->vm_flags & VM_UFFD_WP) &&
	    !(src->vm_flags & (VM_PFNMAP | VM_MIXEDMAP)) && !src->anon_vma)
		return 0;
	pt_lock(src->vm_mm);
	pt_lock(dst->vm_mm);
	pgtable_walk(&src->vm_mm->pgt, src->vm_start, src->vm_end,
		     vma_pt_level(src), copy_one, &cw);
	pt_unlock(dst->vm_mm);
	pt_unlock(src->vm_mm);
	return cw.err;
}

struct move_walk {
	struct pgtable *pgt;
	enum pt_level level;
	long delta;
	bool clear_uffd_wp;
	int err;
};

/* move_ptes(): the entry moves; the folio keeps its mapping reference. */
static void move_one(unsigned long addr, struct pte *pte, void *arg)
{
	struct move_walk *mw = arg;
	struct pte entry = *pte;

	/*
	 * userfaultfd hook: move_ptes() drops the uffd-wp bit, and a uffd-wp
	 * marker entirely, when the VMA's context lacks EVENT_REMAP.
	 */
	if (mw->clear_uffd_wp) {
		if (pte_marker_uffd_wp(entry))
			entry = (struct pte){ 0 };
		else
			entry = pte_clear_uffd_wp(entry);
	}
	if (!pte_none(entry) &&
	    pgtable_set(mw->pgt, addr + mw->delta, mw->level, entry)) {
		mw->err = -ENOMEM;
		return;
	}
	*pte = (struct pte){ 0 };
}

/* move_page_tables(). */
static int move_page_tables(struct uffdops_vma *vma, unsigned long old_addr,
			    unsigned long new_addr, unsigned long len)
{
	struct uffdops_mm *mm = vma->vm_mm;
	struct move_walk mw = {
		.pgt = &mm->pgt,
		.level = vma_pt_level(vma),
		.delta = (long)(new_addr - old_addr),
		/* userfaultfd hook: vma_has_uffd_without_event_remap() */
		.clear_uffd_wp = vma_has_uffd_without_event_remap(vma),
	};

	pt_lock(mm);
	pgtable_walk(&mm->pgt, old_addr, old_addr + len, mw.level, move_one,
		     &mw);
	pt_unlock(mm);
	return mw.err;
}

struct prot_walk {
	struct uffdops_vma *vma;
	bool write;
};

bool vma_wants_writenotify(const struct uffdops_vma *vma)
{
	/* a regular file tracks dirtying; a uffd-wp VMA must see every write */
	return (vma->vm_flags & VM_UFFD_WP) ||
	       (vma->vm_file && !strcmp(vma->mt->name, "file"));
}

bool can_change_pte_writable(const struct uffdops_vma *vma, struct pte pte)
{
	if (!(vma->vm_flags & VM_WRITE))
		return false;
	/* userfaultfd_pte_wp(): a protected entry must fault */
	if ((vma->vm_flags & VM_UFFD_WP) && pte_uffd_wp(pte))
		return false;
	/* private: only an exclusive anonymous page (vm_normal_page()) */
	if (!(vma->vm_flags & VM_SHARED))
		return pte.folio && pte.folio->anon &&
		       (pte.flags & PTE_EXCLUSIVE);
	/* shared: only a page already dirty */
	return pte.flags & PTE_DIRTY;
}

/*
 * change_pte_range(): without VM_WRITE every entry is read-only; with it a
 * shared mapping without write notification gets writable entries (its
 * vm_page_prot is writable) and otherwise only the entries
 * can_change_pte_writable() allows are upgraded (MM_CP_TRY_CHANGE_WRITABLE;
 * hugetlb_change_protection() never tries).
 */
static void prot_one(unsigned long addr, struct pte *pte, void *arg)
{
	struct prot_walk *pw = arg;
	struct uffdops_vma *vma = pw->vma;

	(void)addr;
	if (!pte_present(*pte))
		return;
	if (!pw->write) {
		*pte = pte_wrprotect(*pte);
		return;
	}
	if ((vma->vm_flags & VM_SHARED) && !vma_wants_writenotify(vma)) {
		if (!pte_uffd_wp(*pte))
			pte->flags |= PTE_WRITE;
	} else if (!is_vm_hugetlb_page(vma) &&
		   can_change_pte_writable(vma, *pte)) {
		pte->flags |= PTE_WRITE;
	}
}

static void change_protection(struct uffdops_vma *vma, unsigned long start,
			      unsigned long end)
{
	struct prot_walk pw = { .vma = vma, .write = vma->vm_flags & VM_WRITE };

	pt_lock(vma->vm_mm);
	pgtable_walk(&vma->vm_mm->pgt, start, end, vma_pt_level(vma), prot_one,
		     &pw);
	pt_unlock(vma->vm_mm);
}

/* ------------------------------------------------------------------------ */
/* munmap (mm/vma.c do_vmi_munmap(), do_vmi_align_munmap()).                 */
/* ------------------------------------------------------------------------ */

/*
 * do_vmi_align_munmap(): split at the edges, then unmap every VMA inside.
 * The UNMAP events owed go to @uf (may be NULL).
 */
static int do_align_munmap(struct uffdops_mm *mm, struct uffdops_vma *vma,
			   unsigned long start, unsigned long end,
			   struct userfaultfd_unmap_list *uf)
{
	int err;

	if (start > vma->vm_start) {
		/* vms_gather_munmap_vmas(): a split into three needs room. */
		if (end < vma->vm_end && mm->map_count >= max_map_count(mm))
			return -ENOMEM;
		err = __split_vma(mm, vma, start, &vma);
		if (err)
			return err;
	}
	/* vms_gather_munmap_vmas(): each VMA in order, the last split at end */
	for (; vma && vma->vm_start < end; vma = vma_next(vma)) {
		if (vma->vm_end > end) {
			err = __split_vma(mm, vma, end, NULL);
			if (err)
				return err;
		}
		/*
		 * userfaultfd hook: userfaultfd_unmap_prep() owes an UNMAP of
		 * the whole range to the VMA's context; one prepared before a
		 * later split fails is still delivered.
		 */
		err = userfaultfd_unmap_prep(vma, start, end, uf);
		if (err)
			return err;
	}
	while ((vma = find_vma_intersection(mm, start, end)))
		remove_vma(mm, vma);
	return 0;
}

int do_munmap(struct uffdops_mm *mm, unsigned long start, size_t len,
	      struct userfaultfd_unmap_list *uf)
{
	struct uffdops_vma *vma;
	unsigned long end;

	/* do_vmi_munmap(). */
	if ((start & ~PAGE_MASK) || start > TASK_SIZE ||
	    len > TASK_SIZE - start)
		return -EINVAL;
	end = start + PAGE_ALIGN(len);
	if (end == start)
		return -EINVAL;
	vma = find_vma_intersection(mm, start, end);
	if (!vma)
		return 0;
	return do_align_munmap(mm, vma, start, end, uf);
}

int uffdops_munmap(struct uffdops_mm *mm, unsigned long addr, size_t len)
{
	struct userfaultfd_unmap_list uf = TAILQ_HEAD_INITIALIZER(uf);
	int ret;

	if (!mm)
		return -EINVAL;
	mmap_write_lock(mm);
	ret = do_munmap(mm, addr, len, &uf);
	mmap_write_unlock(mm);
	/* userfaultfd hook: __vm_munmap() delivers the UNMAP events unlocked */
	userfaultfd_unmap_complete(&uf);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* mmap (mm/mmap.c do_mmap(), __get_unmapped_area(), mm/vma.c mmap_region()).*/
/* ------------------------------------------------------------------------ */

/* The page size of a file's memory type (huge for hugetlb-like types). */
static unsigned long file_page_size(const struct uffdops_file *file)
{
	return file ? inode_page_size(file->inode) : PAGE_SIZE;
}

/*
 * arch_get_unmapped_area_topdown() (arch/x86/kernel/sys_x86_64.c): a hint
 * is used when the range fits below the next VMA; otherwise the highest
 * gap below mmap_base.
 */
static long arch_get_unmapped_area_topdown(struct uffdops_mm *mm,
					   unsigned long addr,
					   unsigned long len, int flags,
					   unsigned long align_mask)
{
	struct uffdops_vma *vma;

	if (len > TASK_SIZE)
		return -ENOMEM;
	if (flags & MAP_FIXED)
		return addr;
	if (addr) {
		addr &= PAGE_MASK;
		/* mmap_address_hint_valid(). */
		if (TASK_SIZE - len >= addr) {
			vma = find_vma(mm, addr);
			if (!vma || addr + len <= vma->vm_start)
				return addr;
		}
	}
	return get_unmapped_area_topdown(mm, len, PAGE_SIZE, mm->mmap_base,
					 align_mask, 0);
}

/* __get_unmapped_area(). */
static long get_unmapped_area(struct uffdops_mm *mm, struct uffdops_file *file,
			      unsigned long addr, unsigned long len, int flags)
{
	unsigned long psize = file_page_size(file), align_mask = 0;
	long ret = -ENOMEM;

	if (len > TASK_SIZE)
		return -ENOMEM;
	if (psize > PAGE_SIZE) {
		/* hugetlb_get_unmapped_area(). */
		if (len & (psize - 1))
			return -EINVAL;
		if ((flags & MAP_FIXED) && (addr & (psize - 1)))
			return -EINVAL;
		if (addr)
			addr = ALIGN(addr, psize);
		align_mask = (psize - 1) & PAGE_MASK;
	} else if (!file && !(flags & (MAP_SHARED | MAP_FIXED)) && !addr &&
		   IS_ALIGNED(len, PMD_SIZE) && len + PMD_SIZE > len) {
		/*
		 * thp_get_unmapped_area_vmflags(): a large anonymous mapping
		 * is THP-aligned: search with a PMD of padding, then take the
		 * aligned range at the top of what was found.
		 */
		ret = arch_get_unmapped_area_topdown(mm, 0, len + PMD_SIZE,
						     flags, 0);
		if (ret >= 0) {
			unsigned long off_sub = -(unsigned long)ret &
						(PMD_SIZE - 1);

			ret += off_sub ? (long)off_sub : (long)PMD_SIZE;
		}
	}
	if (ret < 0)
		ret = arch_get_unmapped_area_topdown(mm, addr, len, flags,
						     align_mask);
	/*
	 * __get_unmapped_area(): IS_ERR_VALUE() tells an error from an
	 * address, and a MAP_FIXED address with bit 63 set is no error:
	 * it fails the TASK_SIZE check below (-ENOMEM).
	 */
	if ((unsigned long)ret >= -4095UL)
		return ret;
	if ((unsigned long)ret > TASK_SIZE - len)
		return -ENOMEM;
	if (ret & ~PAGE_MASK)
		return -EINVAL;
	return ret;
}

/* A new inode for MAP_SHARED|MAP_ANONYMOUS or MAP_HUGETLB (shmem_zero_setup()). */
static struct uffdops_file *anon_file_setup(const char *type,
					    unsigned long size)
{
	struct uffdops_inode *inode;
	struct uffdops_file *file;
	struct memtype *mt = memtype_get(type);

	if (!mt)
		return NULL;
	inode = inode_create(mt, size);
	if (!inode) {
		memtype_put(mt);
		return NULL;
	}
	inode->i_anon = true;
	file = file_alloc(inode, FMODE_READ | FMODE_WRITE);
	inode_put(inode);
	return file;
}

/* accountable_mapping(): private writable memory is charged (VM_ACCOUNT). */
static bool accountable_mapping(const struct uffdops_file *file,
				unsigned long vm_flags)
{
	if (file && file_page_size(file) > PAGE_SIZE)
		return false;
	return (vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE;
}

/* mmap_region(): replace what is at [addr, addr + len) by a new mapping. */
static long mmap_region(struct uffdops_mm *mm, struct uffdops_file *file,
			unsigned long addr, unsigned long len,
			unsigned long vm_flags, pgoff_t pgoff,
			struct userfaultfd_unmap_list *uf)
{
	struct uffdops_file *anon_shared = NULL;
	struct uffdops_vma *vma;
	struct memtype *mt;
	int err;

	if (file && file_page_size(file) > PAGE_SIZE) {
		/* hugetlbfs_file_mmap(): pgoff must be huge-page aligned. */
		if (pgoff & ((file_page_size(file) >> PAGE_SHIFT) - 1))
			return -EINVAL;
	}
	/* MAP_FIXED: unmap what is there first (vms_gather_munmap_vmas()). */
	vma = find_vma_intersection(mm, addr, addr + len);
	if (vma) {
		err = do_align_munmap(mm, vma, addr, addr + len, uf);
		if (err)
			return err;
	}
	if (accountable_mapping(file, vm_flags))
		vm_flags |= VM_ACCOUNT;
	if (!file && (vm_flags & VM_SHARED)) {
		anon_shared = anon_file_setup("shmem", len);
		if (!anon_shared)
			return -ENOMEM;
		file = anon_shared;
	}
	if (file) {
		struct uffdops_inode *inode = file->inode;

		mt = inode->mt;
		if (mt->caps.hugetlb) {
			unsigned long end = (pgoff << PAGE_SHIFT) + len;

			/* hugetlbfs_file_mmap(). */
			vm_flags |= VM_HUGETLB | VM_DONTEXPAND;
			pthread_mutex_lock(&inode->i_pages_lock);
			if ((vm_flags & VM_WRITE) && inode->i_size < end)
				inode->i_size = end;
			pthread_mutex_unlock(&inode->i_pages_lock);
		}
	} else {
		mt = mm->anon_mt;
	}
	vma = vma_alloc(mm, mt, file, addr, addr + len, vm_flags, pgoff);
	if (anon_shared)
		fput(anon_shared);
	if (!vma)
		return -ENOMEM;
	vma_link(mm, vma);
	/* vma_merge_new_range(). */
	vma_try_merge(mm, vma);
	return addr;
}

/* calc_vm_prot_bits() + calc_vm_flag_bits(). */
static unsigned long calc_vm_bits(int prot, int flags)
{
	unsigned long vm_flags = 0;

	if (prot & PROT_READ)
		vm_flags |= VM_READ;
	if (prot & PROT_WRITE)
		vm_flags |= VM_WRITE;
	if (prot & PROT_EXEC)
		vm_flags |= VM_EXEC;
	if (flags & MAP_GROWSDOWN)
		vm_flags |= VM_GROWSDOWN;
	if (flags & MAP_LOCKED)
		vm_flags |= VM_LOCKED;
	return vm_flags;
}

/* do_mmap(); the mmap lock is held for writing. */
static long do_mmap(struct uffdops_mm *mm, struct uffdops_file *file,
		    unsigned long addr, unsigned long len, int prot, int flags,
		    pgoff_t pgoff, bool *populate,
		    struct userfaultfd_unmap_list *uf)
{
	unsigned long vm_flags;
	long ret;

	if (!len)
		return -EINVAL;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	/* round_hint_to_min(). */
	if (!(flags & MAP_FIXED)) {
		addr &= PAGE_MASK;
		if (addr && addr < MMAP_MIN_ADDR)
			addr = MMAP_MIN_ADDR;
	}
	len = PAGE_ALIGN(len);
	if (!len)
		return -ENOMEM;
	if (pgoff + (len >> PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	if (mm->map_count > max_map_count(mm))
		return -ENOMEM;
	vm_flags = calc_vm_bits(prot, flags) | VM_MAYREAD | VM_MAYWRITE |
		   VM_MAYEXEC;

	ret = get_unmapped_area(mm, file, addr, len, flags);
	if (ret < 0)
		return ret;
	addr = ret;
	if ((flags & MAP_FIXED_NOREPLACE) &&
	    find_vma_intersection(mm, addr, addr + len))
		return -EEXIST;

	if (file) {
		/* file_mmap_ok(): the file range must fit MAX_LFS_FILESIZE. */
		if (pgoff > (LONG_MAX - len) >> PAGE_SHIFT)
			return -EOVERFLOW;
		switch (flags & MAP_TYPE) {
		case MAP_SHARED:
			flags &= LEGACY_MAP_MASK;
			/* fallthrough */
		case MAP_SHARED_VALIDATE:
			if (flags & ~LEGACY_MAP_MASK)
				return -EOPNOTSUPP;
			if ((prot & PROT_WRITE) &&
			    !(file->f_mode & FMODE_WRITE))
				return -EACCES;
			vm_flags |= VM_SHARED | VM_MAYSHARE;
			/* A read-only file maps without VM_MAYWRITE. */
			if (!(file->f_mode & FMODE_WRITE))
				vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
			/* fallthrough */
		case MAP_PRIVATE:
			if (!(file->f_mode & FMODE_READ))
				return -EACCES;
			if (vm_flags & VM_GROWSDOWN)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	} else {
		switch (flags & MAP_TYPE) {
		case MAP_SHARED:
			if (vm_flags & VM_GROWSDOWN)
				return -EINVAL;
			pgoff = 0;
			vm_flags |= VM_SHARED | VM_MAYSHARE;
			break;
		case MAP_DROPPABLE:
			if (flags & (MAP_LOCKED | MAP_HUGETLB))
				return -EINVAL;
			if (vm_flags & VM_GROWSDOWN)
				return -EINVAL;
			vm_flags |= VM_DROPPABLE | VM_NORESERVE |
				    VM_WIPEONFORK | VM_DONTDUMP;
			/* fallthrough */
		case MAP_PRIVATE:
			/* pgoff follows the address for anon_vma. */
			pgoff = addr >> PAGE_SHIFT;
			break;
		default:
			return -EINVAL;
		}
	}
	/* vm.overcommit_memory is not OVERCOMMIT_NEVER: MAP_NORESERVE is honoured. */
	if (flags & MAP_NORESERVE)
		vm_flags |= VM_NORESERVE;
	if (file && file_page_size(file) > PAGE_SIZE)
		vm_flags |= VM_NORESERVE;

	ret = mmap_region(mm, file, addr, len, vm_flags, pgoff, uf);
	if (ret >= 0)
		*populate = (vm_flags & VM_LOCKED) ||
			    (flags & (MAP_POPULATE | MAP_NONBLOCK)) ==
				    MAP_POPULATE;
	return ret;
}

long uffdops_mmap(struct uffdops_mm *mm, unsigned long addr, size_t len,
		  int prot, int flags, struct uffdops_file *file, pgoff_t pgoff)
{
	struct userfaultfd_unmap_list uf = TAILQ_HEAD_INITIALIZER(uf);
	struct uffdops_file *huge = NULL;
	bool populate = false;
	long ret;

	if (!mm)
		return -EINVAL;
	/* ksys_mmap_pgoff(). */
	if (!(flags & MAP_ANONYMOUS)) {
		unsigned long psize;

		if (!file)
			return -EBADF;
		psize = file_page_size(file);
		if (psize > PAGE_SIZE)
			len = ALIGN(len, psize);
		else if (flags & MAP_HUGETLB)
			return -EINVAL;
	} else {
		file = NULL;
		if (flags & MAP_HUGETLB) {
			unsigned int log = (flags >> MAP_HUGE_SHIFT) &
					   MAP_HUGE_MASK;

			/*
			 * hstate_sizelog(): 2 MiB and 1 GiB hstates exist; no
			 * 1 GiB page can be reserved (hugetlb_file_setup()).
			 */
			if (log == PUD_SHIFT)
				return -ENOMEM;
			if (log && log != PMD_SHIFT)
				return -EINVAL;
			len = ALIGN(len, PMD_SIZE);
			/* hugetlb_file_setup(): an unnamed hugetlbfs inode. */
			huge = anon_file_setup("hugetlb", len);
			if (!huge)
				return -ENOMEM;
			file = huge;
		}
	}
	mmap_write_lock(mm);
	ret = do_mmap(mm, file, addr, len, prot, flags, pgoff, &populate, &uf);
	mmap_write_unlock(mm);
	if (huge)
		fput(huge);
	/*
	 * userfaultfd hook: vm_mmap_pgoff() delivers the UNMAP events of a
	 * MAP_FIXED replacement unlocked, before populating.
	 */
	userfaultfd_unmap_complete(&uf);
	/* mm_populate() after the lock is dropped; errors are ignored. */
	if (populate)
		populate_range(mm, ret, ret + PAGE_ALIGN(len), false, true);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* mremap (mm/mremap.c).                                                     */
/* ------------------------------------------------------------------------ */

/*
 * struct vma_remap_struct. @uf, @uf_unmap_early and @uf_unmap collect the
 * REMAP event and the UNMAP events of the destination and of the source
 * that notify_uffd() delivers.
 */
struct remap {
	struct uffdops_vma *vma;
	unsigned long addr;
	unsigned long old_len;
	unsigned long new_len;
	unsigned long new_addr;
	int flags;
	struct vm_userfaultfd_ctx *uf;
	struct userfaultfd_unmap_list *uf_unmap_early;
	struct userfaultfd_unmap_list *uf_unmap;
};

enum remap_type {
	REMAP_NO_RESIZE,
	REMAP_SHRINK,
	REMAP_EXPAND
};

static enum remap_type remap_type(const struct remap *r)
{
	if (r->old_len == r->new_len)
		return REMAP_NO_RESIZE;
	return r->old_len > r->new_len ? REMAP_SHRINK : REMAP_EXPAND;
}

/* vrm_implies_new_addr(). */
static bool implies_new_addr(const struct remap *r)
{
	return r->flags & (MREMAP_FIXED | MREMAP_DONTUNMAP);
}

/* check_prep_vma(). */
static long check_prep_vma(struct remap *r)
{
	struct uffdops_vma *vma = r->vma;
	unsigned long old_len;

	if (!vma)
		return -EFAULT;
	if (is_vm_hugetlb_page(vma)) {
		/* align_hugetlb(). */
		unsigned long psize = vma_page_size(vma);

		r->old_len = ALIGN(r->old_len, psize);
		r->new_len = ALIGN(r->new_len, psize);
		if ((r->addr | r->new_addr) & (psize - 1) ||
		    r->new_len > r->old_len)
			return -EINVAL;
	}
	if (!implies_new_addr(r))
		r->new_addr = r->addr;
	if (remap_type(r) != REMAP_EXPAND && !implies_new_addr(r))
		return 0;
	if (!r->old_len && !(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	if ((r->flags & MREMAP_DONTUNMAP) &&
	    (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP)))
		return -EINVAL;
	old_len = remap_type(r) == REMAP_SHRINK ? r->new_len : r->old_len;
	if (old_len > vma->vm_end - r->addr)
		return -EFAULT;
	if (r->new_len == old_len)
		return 0;
	if (vma->vm_pgoff + ((r->addr - vma->vm_start) >> PAGE_SHIFT) +
		    (r->new_len >> PAGE_SHIFT) <
	    vma->vm_pgoff)
		return -EINVAL;
	if (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP))
		return -EFAULT;
	return 0;
}

/* vrm_set_new_addr(): where the moved mapping goes. */
static long remap_set_new_addr(struct uffdops_mm *mm, struct remap *r)
{
	struct uffdops_vma *vma = r->vma;
	int map_flags = 0;
	long res;

	if (r->flags & MREMAP_FIXED)
		map_flags |= MAP_FIXED;
	if (vma->vm_flags & VM_MAYSHARE)
		map_flags |= MAP_SHARED;
	res = get_unmapped_area(mm, vma->vm_file,
				implies_new_addr(r) ? r->new_addr : 0,
				r->new_len, map_flags);
	if (res < 0)
		return res;
	r->new_addr = res;
	return 0;
}

/*
 * copy_vma(): a VMA for [new_addr, new_addr + new_len) with @vma's
 * properties, merged with its new neighbours where possible.
 */
static int copy_vma(struct uffdops_mm *mm, struct remap *r)
{
	struct uffdops_vma *vma = r->vma, *new;
	pgoff_t pgoff =
		vma->vm_pgoff + ((r->addr - vma->vm_start) >> PAGE_SHIFT);

	/* An anonymous VMA never faulted follows its new address. */
	if (vma_is_anonymous(vma) && !vma->anon_vma)
		pgoff = r->new_addr >> PAGE_SHIFT;
	new = vma_alloc(mm, vma->mt, vma->vm_file, r->new_addr,
			r->new_addr + r->new_len, vma->vm_flags, pgoff);
	if (!new)
		return -ENOMEM;
	pt_lock(mm);
	if (vma->anon_vma) {
		atomic_fetch_add(&vma->anon_vma->refcount, 1);
		new->anon_vma = vma->anon_vma;
		new->anon_vma_forked = vma->anon_vma_forked;
	}
	pt_unlock(mm);
	new->vm_userfaultfd_ctx = vma->vm_userfaultfd_ctx;
	vma_link(mm, new);
	vma_try_merge(mm, new);
	return 0;
}

/* move_vma(). */
static long move_vma(struct uffdops_mm *mm, struct remap *r)
{
	struct uffdops_vma *vma = r->vma;
	unsigned long old_addr = r->addr, old_len = r->old_len;
	int err;

	/* prep_move_vma(). */
	if (mm->map_count >= max_map_count(mm) - 3)
		return -ENOMEM;
	if (!IS_ALIGNED(old_addr, vma_page_size(vma)) ||
	    !IS_ALIGNED(old_addr + old_len, vma_page_size(vma)))
		return -EINVAL;
	err = copy_vma(mm, r);
	if (err)
		return err;
	/* The copy may have merged with the source: look it up again. */
	vma = vma_lookup(mm, r->new_addr);
	err = move_page_tables(vma, old_addr, r->new_addr, old_len);
	if (err)
		return err;
	/*
	 * userfaultfd hook: mremap_userfaultfd_prep() keeps the new VMA's
	 * registration only for a context with EVENT_REMAP (which will get
	 * the REMAP event); otherwise it is reset (userfaultfd_reset_ctx()).
	 */
	mremap_userfaultfd_prep(vma, r->uf);
	if (r->flags & MREMAP_DONTUNMAP) {
		/* dontunmap_complete(): the old VMA stays, empty and unlocked. */
		vma = vma_lookup(mm, old_addr);
		if (vma) {
			vma_set_flags(vma, vma->vm_flags & ~(VM_LOCKED_MASK |
							     VM_ACCOUNT));
			if (vma->vm_start == old_addr &&
			    vma->vm_end == old_addr + old_len) {
				pt_lock(mm);
				anon_vma_put(vma->anon_vma);
				vma->anon_vma = NULL;
				vma->anon_vma_forked = false;
				pt_unlock(mm);
			}
		}
	} else if (old_len) {
		/* unmap_source_vma(); a zero old_len (duplicate) unmaps nothing. */
		do_munmap(mm, old_addr, old_len, r->uf_unmap);
	}
	return r->new_addr;
}

/* mremap_to(): MREMAP_FIXED and/or MREMAP_DONTUNMAP. */
static long mremap_to(struct uffdops_mm *mm, struct remap *r)
{
	long err;

	if (r->flags & MREMAP_FIXED) {
		err = do_munmap(mm, r->new_addr, r->new_len, r->uf_unmap_early);
		if (err)
			return err;
		r->vma = vma_lookup(mm, r->addr);
		if (!r->vma)
			return -EFAULT;
	}
	if (remap_type(r) == REMAP_SHRINK) {
		/* shrink_vma() without dropping the lock. */
		err = do_munmap(mm, r->addr + r->new_len,
				r->old_len - r->new_len, r->uf_unmap);
		if (err)
			return err;
		r->vma = vma_lookup(mm, r->addr);
		if (!r->vma)
			return -EFAULT;
		r->old_len = r->new_len;
	}
	err = remap_set_new_addr(mm, r);
	if (err)
		return err;
	return move_vma(mm, r);
}

/* vma_expandable(). */
static bool vma_expandable(struct uffdops_mm *mm, struct uffdops_vma *vma,
			   unsigned long delta)
{
	unsigned long end = vma->vm_end + delta;

	if (end < vma->vm_end || end > TASK_SIZE)
		return false;
	return !find_vma_intersection(mm, vma->vm_end, end);
}

/* mremap_at(): resize in place, or move if allowed. */
static long mremap_at(struct uffdops_mm *mm, struct remap *r)
{
	struct uffdops_vma *vma = r->vma;
	unsigned long delta;
	int err;

	switch (remap_type(r)) {
	case REMAP_NO_RESIZE:
		return r->addr;
	case REMAP_SHRINK:
		delta = r->old_len - r->new_len;
		err = do_munmap(mm, r->addr + r->new_len, delta, r->uf_unmap);
		return err ? err : (long)r->addr;
	case REMAP_EXPAND:
		delta = r->new_len - r->old_len;
		/* vrm_can_expand_in_place() + vma_merge_extend(). */
		if (vma->vm_end - r->addr == r->old_len &&
		    vma_expandable(mm, vma, delta)) {
			vma_merge_extend(mm, vma, delta);
			return r->addr;
		}
		if (!(r->flags & MREMAP_MAYMOVE))
			return -ENOMEM;
		if (remap_set_new_addr(mm, r))
			return -ENOMEM;
		return move_vma(mm, r);
	}
	return -EINVAL;
}

/* remap_move(): MREMAP_FIXED without resizing moves every VMA of the range. */
static long remap_move(struct uffdops_mm *mm, struct remap *r)
{
	unsigned long start = r->addr, end = r->addr + r->old_len;
	unsigned long target = r->new_addr, cur = start, last_end = 0;
	long res = -EFAULT, res_vma;
	bool seen = false;
	struct uffdops_vma *vma;

	while ((vma = find_vma_intersection(mm, cur, end))) {
		unsigned long addr = vma->vm_start > start ? vma->vm_start :
							     start;
		unsigned long vend = vma->vm_end < end ? vma->vm_end : end;
		unsigned long offset = seen ? vma->vm_start - last_end : 0;
		struct remap one;

		/* No gap permitted at the start of the range. */
		if (!seen && start < vma->vm_start)
			return -EFAULT;
		last_end = vma->vm_end;
		/*
		 * vma_multi_allowed(): a VMA registered with userfaultfd moves
		 * only alone (userfaultfd_armed()).
		 */
		if (vma->vm_flags & __VM_UFFD_FLAGS) {
			if (seen || vma->vm_end < end)
				return -EFAULT;
		}
		one = (struct remap){ .vma = vma,
				      .addr = addr,
				      .old_len = vend - addr,
				      .new_len = vend - addr,
				      .new_addr = target + offset,
				      .flags = r->flags,
				      .uf = r->uf,
				      .uf_unmap_early = r->uf_unmap_early,
				      .uf_unmap = r->uf_unmap };
		res_vma = check_prep_vma(&one);
		if (!res_vma)
			res_vma = mremap_to(mm, &one);
		if (res_vma < 0)
			return res_vma;
		/* the kernel's vrm is shared: notify_uffd() sees the last move */
		r->addr = one.addr;
		r->new_addr = one.new_addr;
		r->old_len = one.old_len;
		if (!seen)
			res = res_vma;
		seen = true;
		target = res_vma + one.new_len;
		/*
		 * for_each_vma_range() goes on after this VMA: with
		 * MREMAP_DONTUNMAP its source was not split and still reaches
		 * past the range.
		 */
		cur = last_end;
	}
	return res;
}

long uffdops_mremap(struct uffdops_mm *mm, unsigned long old_addr,
		    size_t old_len, size_t new_len, int flags,
		    unsigned long new_addr)
{
	struct userfaultfd_unmap_list uf_unmap_early =
		TAILQ_HEAD_INITIALIZER(uf_unmap_early);
	struct userfaultfd_unmap_list uf_unmap =
		TAILQ_HEAD_INITIALIZER(uf_unmap);
	struct vm_userfaultfd_ctx uf = { NULL };
	struct remap r = { .addr = old_addr,
			   .flags = flags,
			   .new_addr = new_addr,
			   .uf = &uf,
			   .uf_unmap_early = &uf_unmap_early,
			   .uf_unmap = &uf_unmap };
	long res;

	if (!mm)
		return -EINVAL;
	r.old_len = PAGE_ALIGN(old_len);
	r.new_len = PAGE_ALIGN(new_len);

	/* check_mremap_params(). */
	if (flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if (old_addr & ~PAGE_MASK)
		return -EINVAL;
	if (!r.new_len)
		return -EINVAL;
	if (r.new_len > TASK_SIZE)
		return -EINVAL;
	/* The remaining checks only concern a given new address. */
	if (implies_new_addr(&r)) {
		if (new_addr > TASK_SIZE - r.new_len)
			return -EINVAL;
		if (new_addr & ~PAGE_MASK)
			return -EINVAL;
		if (!(flags & MREMAP_MAYMOVE))
			return -EINVAL;
		if ((flags & MREMAP_DONTUNMAP) && r.old_len != r.new_len)
			return -EINVAL;
		/* vrm_overlaps(). */
		if (old_addr + r.old_len > new_addr &&
		    new_addr + r.new_len > old_addr)
			return -EINVAL;
		if (mm->map_count + 2 >= max_map_count(mm) - 3)
			return -ENOMEM;
	}

	mmap_write_lock(mm);
	if ((flags & MREMAP_FIXED) && r.old_len == r.new_len) {
		res = remap_move(mm, &r);
	} else {
		r.vma = vma_lookup(mm, old_addr);
		res = check_prep_vma(&r);
		if (!res)
			res = implies_new_addr(&r) ? mremap_to(mm, &r) :
						     mremap_at(mm, &r);
	}
	mmap_write_unlock(mm);
	/*
	 * userfaultfd hook: notify_uffd() delivers, unlocked, the UNMAPs of
	 * the destination, the REMAP (from, to and the length moved), then
	 * the UNMAPs of a cut tail and of the source.
	 */
	userfaultfd_unmap_complete(&uf_unmap_early);
	if (res < 0)
		mremap_userfaultfd_fail(&uf);
	else
		mremap_userfaultfd_complete(&uf, r.addr, r.new_addr, r.old_len);
	userfaultfd_unmap_complete(&uf_unmap);
	return res;
}

/* ------------------------------------------------------------------------ */
/* mprotect (mm/mprotect.c).                                                 */
/* ------------------------------------------------------------------------ */

/* mprotect_fixup(); *@vmap becomes the VMA now covering the range. */
static int mprotect_fixup(struct uffdops_mm *mm, struct uffdops_vma **vmap,
			  unsigned long start, unsigned long end,
			  unsigned long newflags)
{
	struct uffdops_vma *vma = *vmap;
	unsigned long oldflags = vma->vm_flags;
	int err;

	if (newflags == oldflags)
		return 0;
	if (newflags & VM_WRITE) {
		/* A private mapping becoming writable is charged. */
		if (!(oldflags & (VM_ACCOUNT | VM_WRITE | VM_HUGETLB |
				  VM_SHARED | VM_NORESERVE)))
			newflags |= VM_ACCOUNT;
	} else if ((oldflags & VM_ACCOUNT) && vma_is_anonymous(vma) &&
		   !vma->anon_vma) {
		/* Never-faulted anonymous memory gives its charge back. */
		newflags &= ~VM_ACCOUNT;
	}
	/* vma_modify_flags(). */
	err = vma_modify_flags_uffd(mm, &vma, start, end, newflags,
				    vma->vm_userfaultfd_ctx);
	if (err)
		return err;
	change_protection(vma, start, end);
	*vmap = vma;
	return 0;
}

int uffdops_mprotect(struct uffdops_mm *mm, unsigned long start, size_t len,
		     int prot)
{
	int grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
	unsigned long end, nstart, tmp;
	struct uffdops_vma *vma;
	int error = 0;

	if (!mm)
		return -EINVAL;
	/* do_mprotect_pkey(). */
	prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	/* arch_validate_prot(). */
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;

	mmap_write_lock(mm);
	vma = find_vma(mm, start);
	if (!vma) {
		error = -ENOMEM;
		goto out;
	}
	if (grows & PROT_GROWSDOWN) {
		if (vma->vm_start >= end) {
			error = -ENOMEM;
			goto out;
		}
		start = vma->vm_start;
		if (!(vma->vm_flags & VM_GROWSDOWN)) {
			error = -EINVAL;
			goto out;
		}
	} else if (vma->vm_start > start) {
		error = -ENOMEM;
		goto out;
	}
	tmp = vma->vm_start;
	nstart = start;
	while (vma && vma->vm_start < end) {
		unsigned long newflags;

		/* A hole in the range stops the walk. */
		if (vma->vm_start != tmp) {
			error = -ENOMEM;
			break;
		}
		newflags = calc_vm_bits(prot, 0) |
			   (vma->vm_flags & ~VM_ACCESS_FLAGS);
		/* newflags >> 4 shifts VM_MAY* onto VM_*: no new rights. */
		if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS) {
			error = -EACCES;
			break;
		}
		tmp = vma->vm_end < end ? vma->vm_end : end;
		error = mprotect_fixup(mm, &vma, nstart, tmp, newflags);
		if (error)
			break;
		/* Continue after the VMA the range ended in, merged or not. */
		tmp = vma->vm_end;
		nstart = tmp;
		vma = vma_next(vma);
	}
	if (!error && tmp < end)
		error = -ENOMEM;
out:
	mmap_write_unlock(mm);
	return error;
}

/* ------------------------------------------------------------------------ */
/* madvise (mm/madvise.c).                                                   */
/* ------------------------------------------------------------------------ */

/* madvise_behavior_valid() for the advice modelled here. */
static bool madvise_behavior_valid(int behavior)
{
	switch (behavior) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
	case MADV_REMOVE:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
	case MADV_WIPEONFORK:
	case MADV_KEEPONFORK:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
	case MADV_GUARD_INSTALL:
	case MADV_GUARD_REMOVE:
		return true;
	}
	return false;
}

/* madvise_need_mmap_write(). */
static bool madvise_need_mmap_write(int behavior)
{
	switch (behavior) {
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
	case MADV_REMOVE:
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
	case MADV_GUARD_INSTALL:
	case MADV_GUARD_REMOVE:
		return false;
	}
	return true;
}

/* madvise_dontneed_free_valid_vma(). */
static bool dontneed_free_valid_vma(struct uffdops_vma *vma,
				    unsigned long start, unsigned long *end,
				    int behavior)
{
	unsigned long psize = vma_page_size(vma);

	if (!is_vm_hugetlb_page(vma)) {
		unsigned long forbidden = VM_PFNMAP;

		if (behavior != MADV_DONTNEED_LOCKED)
			forbidden |= VM_LOCKED;
		return !(vma->vm_flags & forbidden);
	}
	if (behavior != MADV_DONTNEED && behavior != MADV_DONTNEED_LOCKED)
		return false;
	if (start & (psize - 1))
		return false;
	/*
	 * Round the length down to whole huge pages, so that a caller unaware
	 * of huge pages loses no data (Linux 6.18; it used to round up).
	 */
	*end = ALIGN_DOWN(*end, psize);
	return true;
}

/* madvise_free_pte_range(): exclusive anonymous pages become clean (lazyfree). */
static void free_one(unsigned long addr, struct pte *pte, void *arg)
{
	(void)addr;
	(void)arg;
	if (pte_present(*pte) && pte->folio && pte->folio->anon &&
	    (pte->flags & PTE_EXCLUSIVE))
		pte->flags &= ~PTE_DIRTY;
}

static void guard_remove_one(unsigned long addr, struct pte *pte, void *arg)
{
	(void)addr;
	(void)arg;
	/* guard_remove_pte_entry(): only the guard marker goes. */
	if (pte_marker_get(*pte) & PTE_MARKER_GUARD)
		*pte = make_pte_marker(pte_marker_get(*pte) &
				       ~PTE_MARKER_GUARD);
}

/* is_valid_guard_vma(). */
static bool is_valid_guard_vma(const struct uffdops_vma *vma, bool allow_locked)
{
	unsigned long disallowed = VM_SPECIAL | VM_HUGETLB;

	if (!allow_locked)
		disallowed |= VM_LOCKED;
	return !(vma->vm_flags & disallowed);
}

/* madvise_guard_install(): zap the range, then mark every entry a guard. */
static int guard_install(struct uffdops_vma *vma, unsigned long start,
			 unsigned long end)
{
	struct uffdops_mm *mm = vma->vm_mm;
	unsigned long addr;
	int err = 0;

	if (!is_valid_guard_vma(vma, false))
		return -EINVAL;
	/*
	 * The range is no longer empty of entries: every VMA, file-backed
	 * too, gets an anon_vma so that fork() copies the markers.
	 */
	pt_lock(mm);
	err = anon_vma_prepare(vma);
	pt_unlock(mm);
	if (err)
		return err;
	zap_page_range_single(vma, start, end, NULL);
	pt_lock(mm);
	for (addr = start; addr < end && !err; addr += PAGE_SIZE) {
		struct pte pte = pgtable_get(&mm->pgt, addr, PT_LEVEL_PTE);

		err = pgtable_set(&mm->pgt, addr, PT_LEVEL_PTE,
				  make_pte_marker(pte_marker_get(pte) |
						  PTE_MARKER_GUARD));
	}
	pt_unlock(mm);
	return err;
}

/*
 * madvise_remove(): punch a hole in the file behind a shared mapping, with
 * the mmap lock dropped (the caller holds it for reading; it is held again
 * on return).
 */
static int madvise_remove(struct uffdops_vma *vma, unsigned long start,
			  unsigned long end)
{
	struct uffdops_mm *mm = vma->vm_mm;
	struct uffdops_file *file = vma->vm_file;
	unsigned long offset;
	int err;

	if (vma->vm_flags & VM_LOCKED)
		return -EINVAL;
	if (!file)
		return -EINVAL;
	/* vma_is_shared_maywrite(). */
	if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) !=
	    (VM_SHARED | VM_MAYWRITE))
		return -EACCES;
	offset = (start - vma->vm_start) + (vma->vm_pgoff << PAGE_SHIFT);
	/* The VMA may go once the lock is dropped: hold the file. */
	get_file(file);
	/*
	 * userfaultfd hook: userfaultfd_remove() delivers the REMOVE event
	 * before the hole is punched; it returns with the lock dropped.
	 */
	if (userfaultfd_remove(vma, start, end))
		mmap_read_unlock(mm);
	err = inode_punch_hole(file->inode, offset, end - start);
	fput(file);
	mmap_read_lock(mm);
	return err;
}

/* The new vm_flags of the flag-only advice (madvise_vma_behavior()). */
static int madvise_new_flags(struct uffdops_vma *vma, int behavior,
			     unsigned long *flags)
{
	unsigned long f = vma->vm_flags;

	switch (behavior) {
	case MADV_NORMAL:
		f &= ~(VM_RAND_READ | VM_SEQ_READ);
		break;
	case MADV_SEQUENTIAL:
		f = (f & ~VM_RAND_READ) | VM_SEQ_READ;
		break;
	case MADV_RANDOM:
		f = (f & ~VM_SEQ_READ) | VM_RAND_READ;
		break;
	case MADV_DONTFORK:
		f |= VM_DONTCOPY;
		break;
	case MADV_DOFORK:
		if (f & VM_IO)
			return -EINVAL;
		f &= ~VM_DONTCOPY;
		break;
	case MADV_WIPEONFORK:
		/* MADV_WIPEONFORK is only supported on anonymous memory. */
		if (vma->vm_file || (f & VM_SHARED))
			return -EINVAL;
		f |= VM_WIPEONFORK;
		break;
	case MADV_KEEPONFORK:
		if (f & VM_DROPPABLE)
			return -EINVAL;
		f &= ~VM_WIPEONFORK;
		break;
	case MADV_DONTDUMP:
		f |= VM_DONTDUMP;
		break;
	case MADV_DODUMP:
		if ((!is_vm_hugetlb_page(vma) && (f & VM_SPECIAL)) ||
		    (f & VM_DROPPABLE))
			return -EINVAL;
		f &= ~VM_DONTDUMP;
		break;
	case MADV_HUGEPAGE:
		f = (f & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
		break;
	case MADV_NOHUGEPAGE:
		f = (f & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
		break;
	}
	*flags = f;
	return 0;
}

/*
 * madvise_vma_behavior() for [start, *@endp) of @vma. When the mmap lock
 * was dropped, *@endp becomes the end of what was done: the walk goes on
 * from there.
 */
static int madvise_vma(struct uffdops_mm *mm, struct uffdops_vma *vma,
		       unsigned long start, unsigned long *endp, int behavior)
{
	unsigned long new_flags, end = *endp;
	int err;

	switch (behavior) {
	case MADV_WILLNEED:
		return 0;
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
		if (!dontneed_free_valid_vma(vma, start, &end, behavior))
			return -EINVAL;
		if (start == end)
			return 0;
		/*
		 * userfaultfd hook: userfaultfd_remove() delivers the REMOVE
		 * event before the pages go, dropping the mmap lock while it
		 * waits; madvise_dontneed_free() then looks the VMA up again
		 * and clips the range to it.
		 */
		if (!userfaultfd_remove(vma, start, end)) {
			mmap_read_lock(mm);
			vma = vma_lookup(mm, start);
			if (!vma)
				return -ENOMEM;
			if (!dontneed_free_valid_vma(vma, start, &end,
						     behavior))
				return -EINVAL;
			if (end > vma->vm_end)
				end = vma->vm_end;
			*endp = end;
			if (start == end)
				return 0;
		}
		if (behavior != MADV_FREE) {
			/* madvise_dontneed_single_vma(). */
			static const struct zap_details d = { .even_cows =
								      true };

			zap_page_range_single(vma, start, end, &d);
			return 0;
		}
		/* madvise_free_single_vma(). */
		if (!vma_is_anonymous(vma))
			return -EINVAL;
		pt_lock(mm);
		pgtable_walk(&mm->pgt, start, end, PT_LEVEL_PTE, free_one,
			     NULL);
		pt_unlock(mm);
		return 0;
	case MADV_REMOVE:
		return madvise_remove(vma, start, end);
	case MADV_GUARD_INSTALL:
		return guard_install(vma, start, end);
	case MADV_GUARD_REMOVE:
		if (!is_valid_guard_vma(vma, true))
			return -EINVAL;
		pt_lock(mm);
		pgtable_walk(&mm->pgt, start, end, PT_LEVEL_PTE,
			     guard_remove_one, NULL);
		pt_unlock(mm);
		return 0;
	}
	err = madvise_new_flags(vma, behavior, &new_flags);
	if (err || new_flags == vma->vm_flags)
		return err;
	/* madvise_update_vma(). */
	return vma_modify_flags_uffd(mm, &vma, start, end, new_flags,
				     vma->vm_userfaultfd_ctx);
}

/* madvise_walk_vmas(): every VMA of the range; holes give -ENOMEM at the end. */
static int madvise_walk_vmas(struct uffdops_mm *mm, unsigned long start,
			     unsigned long end, int behavior)
{
	struct uffdops_vma *vma = find_vma(mm, start);
	int unmapped_error = 0, err;

	for (;;) {
		unsigned long tmp;

		if (!vma)
			return -ENOMEM;
		if (start < vma->vm_start) {
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		tmp = vma->vm_end < end ? vma->vm_end : end;
		err = madvise_vma(mm, vma, start, &tmp, behavior);
		if (err)
			return err;
		start = tmp;
		if (start >= end)
			break;
		vma = find_vma(mm, start);
	}
	return unmapped_error;
}

int uffdops_madvise(struct uffdops_mm *mm, unsigned long start, size_t len_in,
		    int behavior)
{
	unsigned long len, end;
	bool write;
	int err;

	if (!mm)
		return -EINVAL;
	/* do_madvise(). */
	if (!madvise_behavior_valid(behavior))
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	len = PAGE_ALIGN(len_in);
	if (len_in && !len)
		return -EINVAL;
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	/* madvise_populate() walks with GUP, not with madvise_walk_vmas(). */
	if (behavior == MADV_POPULATE_READ || behavior == MADV_POPULATE_WRITE)
		return populate_range(mm, start, end,
				      behavior == MADV_POPULATE_WRITE, false);
	write = madvise_need_mmap_write(behavior);
	if (write)
		mmap_write_lock(mm);
	else
		mmap_read_lock(mm);
	err = madvise_walk_vmas(mm, start, end, behavior);
	if (write)
		mmap_write_unlock(mm);
	else
		mmap_read_unlock(mm);
	return err;
}

/* ------------------------------------------------------------------------ */
/* fork (kernel/fork.c dup_mmap()).                                          */
/* ------------------------------------------------------------------------ */

static int dup_mmap(struct uffdops_mm *mm, struct uffdops_mm *oldmm,
		    struct userfaultfd_fork_list *fcs)
{
	struct uffdops_vma *mpnt, *tmp;
	int err = 0;

	for (mpnt = vma_first(oldmm); mpnt && !err; mpnt = vma_next(mpnt)) {
		if (mpnt->vm_flags & VM_DONTCOPY)
			continue;
		tmp = vma_alloc(mm, mpnt->mt, mpnt->vm_file, mpnt->vm_start,
				mpnt->vm_end, mpnt->vm_flags & ~VM_LOCKED_MASK,
				mpnt->vm_pgoff);
		if (!tmp)
			return -ENOMEM;
		/*
		 * userfaultfd hook: dup_userfaultfd() keeps the registration,
		 * on a new context for the child, only when the context has
		 * UFFD_FEATURE_EVENT_FORK; otherwise the child's VMA loses its
		 * VM_UFFD_* flags and context. Before the page tables are
		 * copied: they keep uffd-wp state only in a WP VMA.
		 */
		tmp->vm_userfaultfd_ctx = mpnt->vm_userfaultfd_ctx;
		err = dup_userfaultfd(tmp, fcs);
		/* anon_vma_fork(): the child's anon_vma has the parent's as parent. */
		if (mpnt->anon_vma && !(mpnt->vm_flags & VM_WIPEONFORK)) {
			tmp->anon_vma = calloc(1, sizeof(*tmp->anon_vma));
			if (!tmp->anon_vma)
				err = -ENOMEM;
			else
				atomic_init(&tmp->anon_vma->refcount, 1);
			tmp->anon_vma_forked = true;
		}
		vma_link(mm, tmp);
		/* VM_WIPEONFORK: the child gets the range empty. */
		if (!err && !(tmp->vm_flags & VM_WIPEONFORK))
			err = copy_page_range(tmp, mpnt);
	}
	return err;
}

int uffdops_fork(struct uffdops_mm *parent, struct uffdops_mm **childp)
{
	struct userfaultfd_fork_list fcs = TAILQ_HEAD_INITIALIZER(fcs);
	struct uffdops_mm *mm;
	int err;

	if (!parent || !childp)
		return -EINVAL;
	mm = mm_alloc();
	if (!mm)
		return -ENOMEM;
	/* The child inherits the task's settings. */
	atomic_store(&mm->cap_sys_ptrace, atomic_load(&parent->cap_sys_ptrace));
	atomic_store(&mm->unprivileged_userfaultfd,
		     atomic_load(&parent->unprivileged_userfaultfd));
	atomic_store(&mm->no_zero_page, atomic_load(&parent->no_zero_page));
	atomic_store(&mm->max_map_count, atomic_load(&parent->max_map_count));
	mmap_write_lock(parent);
	mmap_write_lock(mm);
	mm->mmap_base = parent->mmap_base;
	err = dup_mmap(mm, parent, &fcs);
	mmap_write_unlock(mm);
	mmap_write_unlock(parent);
	if (err) {
		uffdops_mm_destroy(mm);
		/* userfaultfd hook: dup_userfaultfd_fail(), no event */
		dup_userfaultfd_fail(&fcs);
		return err;
	}
	/*
	 * userfaultfd hook: dup_userfaultfd_complete() delivers the FORK
	 * events unlocked; the parent waits for each to be read.
	 */
	dup_userfaultfd_complete(&fcs);
	*childp = mm;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Introspection (fs/proc/task_mmu.c).                                       */
/* ------------------------------------------------------------------------ */

/* The marker bits of a pte marker swap entry (PTE_MARKER_*) and its type. */
#define SWP_PTE_MARKER_TYPE 0x1fULL
#define MAX_SWAPFILES_SHIFT 5

static unsigned int marker_public(unsigned int marker)
{
	return (marker & PTE_MARKER_UFFD_WP ? UFFDOPS_MARKER_UFFD_WP : 0) |
	       (marker & PTE_MARKER_POISONED ? UFFDOPS_MARKER_POISON : 0) |
	       (marker & PTE_MARKER_GUARD ? UFFDOPS_MARKER_GUARD : 0);
}

/* pte_to_pagemap_entry() and pagemap_hugetlb_range(). */
static void pagemap_entry(const struct uffdops_vma *vma, unsigned long addr,
			  struct pte pte, struct uffdops_pagemap_entry *e)
{
	bool huge = is_vm_hugetlb_page(vma);
	__u64 bits = 0;

	e->marker = marker_public(pte_marker_get(pte));
	if (pte_present(pte)) {
		unsigned long sub = huge ? (addr & (vma_page_size(vma) - 1)) >>
						    PAGE_SHIFT :
					   0;

		bits |= UFFDOPS_PM_PRESENT;
		if (pte_uffd_wp(pte))
			bits |= UFFDOPS_PM_UFFD_WP;
		if (is_zero_pte(pte)) {
			e->zero_page = true;
		} else {
			bits |= (pte.folio->pfn + pte.idx + sub) &
				UFFDOPS_PM_PFN_MASK;
			if (!pte.folio->anon)
				bits |= UFFDOPS_PM_FILE;
			if (folio_mapcount(pte.folio) == 1)
				bits |= UFFDOPS_PM_MMAP_EXCLUSIVE;
		}
	} else if (is_pte_marker(pte)) {
		unsigned int m = pte_marker_get(pte);

		if (huge) {
			/* A huge marker shows only its uffd-wp protection. */
			if (m & PTE_MARKER_UFFD_WP)
				bits |= UFFDOPS_PM_UFFD_WP;
		} else {
			/* A marker is a swap entry of the marker type. */
			__u64 off = (m & PTE_MARKER_UFFD_WP ? 1 : 0) |
				    (m & PTE_MARKER_POISONED ? 2 : 0) |
				    (m & PTE_MARKER_GUARD ? 4 : 0);

			bits |= UFFDOPS_PM_SWAP | SWP_PTE_MARKER_TYPE |
				(off << MAX_SWAPFILES_SHIFT);
			if (m & PTE_MARKER_UFFD_WP)
				bits |= UFFDOPS_PM_UFFD_WP;
			if (m & PTE_MARKER_GUARD)
				bits |= UFFDOPS_PM_GUARD_REGION;
		}
	}
	e->bits = bits;
}

int uffdops_pagemap(struct uffdops_mm *mm, unsigned long addr,
		    struct uffdops_pagemap_entry *entry)
{
	struct uffdops_vma *vma;
	struct pte pte;

	if (!mm || !entry)
		return -EINVAL;
	memset(entry, 0, sizeof(*entry));
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma) {
		pt_lock(mm);
		pte = pgtable_get(&mm->pgt,
				  ALIGN_DOWN(addr, vma_page_size(vma)),
				  vma_pt_level(vma));
		pagemap_entry(vma, addr, pte, entry);
		pt_unlock(mm);
	}
	mmap_read_unlock(mm);
	return 0;
}

int uffdops_maps(struct uffdops_mm *mm, struct uffdops_map *out, size_t n)
{
	struct uffdops_vma *vma;
	size_t count = 0;

	if (!mm || (!out && n))
		return -EINVAL;
	mmap_read_lock(mm);
	for (vma = vma_first(mm); vma; vma = vma_next(vma), count++) {
		struct uffdops_map *m;

		/* only counted: out may be NULL, &out[count] undefined */
		if (count >= n)
			continue;
		m = &out[count];
		memset(m, 0, sizeof(*m));
		m->start = vma->vm_start;
		m->end = vma->vm_end;
		m->vm_flags = vma->vm_flags;
		m->pgoff = vma->vm_pgoff;
		snprintf(m->memtype, sizeof(m->memtype), "%s", vma->mt->name);
		m->inode = vma_inode(vma);
		m->uffd_ctx = vma->vm_userfaultfd_ctx;
	}
	mmap_read_unlock(mm);
	return count > INT_MAX ? INT_MAX : (int)count;
}

/* The path /proc/pid/maps shows for a file VMA, and its device. */
static const char *map_name(const struct uffdops_vma *vma, char *buf,
			    size_t size, unsigned int *dev)
{
	const struct uffdops_inode *inode = vma_inode(vma);
	const char *type = vma->mt->name;

	*dev = 0;
	if (!inode)
		return NULL;
	if (!strcmp(type, "shmem")) {
		*dev = 1;
		return inode->i_anon ? "/dev/zero (deleted)" :
				       "/memfd:uffdops (deleted)";
	}
	if (!strcmp(type, "hugetlb")) {
		*dev = 0x10;
		return inode->i_anon ? "/anon_hugepage (deleted)" :
				       "/memfd:uffdops (deleted)";
	}
	if (!strcmp(type, "file")) {
		*dev = 0x20;
		snprintf(buf, size, "/uffdops/file-%lu", inode->ino);
		return buf;
	}
	*dev = 0x30;
	snprintf(buf, size, "/uffdops:%s", type);
	return buf;
}

/* show_map_vma(): the maps line is padded so that names start at column 74. */
#define MAPS_NAME_COLUMN 73

int uffdops_maps_format(struct uffdops_mm *mm, char *buf, size_t size)
{
	struct uffdops_vma *vma;
	size_t total = 0;

	if (!mm || (!buf && size))
		return -EINVAL;
	if (size)
		buf[0] = '\0';
	mmap_read_lock(mm);
	for (vma = vma_first(mm); vma; vma = vma_next(vma)) {
		char line[512], namebuf[128];
		unsigned long f = vma->vm_flags;
		unsigned int dev;
		const char *name =
			map_name(vma, namebuf, sizeof(namebuf), &dev);
		int n;

		n = snprintf(line, sizeof(line),
			     "%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu ",
			     vma->vm_start, vma->vm_end,
			     f & VM_READ ? 'r' : '-', f & VM_WRITE ? 'w' : '-',
			     f & VM_EXEC ? 'x' : '-',
			     f & VM_MAYSHARE ? 's' : 'p',
			     vma->vm_file ? (unsigned long long)vma->vm_pgoff
						    << PAGE_SHIFT :
					    0ULL,
			     dev >> 8, dev & 0xff,
			     vma->vm_file ? vma->vm_file->inode->ino : 0UL);
		if (name)
			n += snprintf(
				line + n, sizeof(line) - n, "%*s%s",
				n < MAPS_NAME_COLUMN ? MAPS_NAME_COLUMN - n : 1,
				"", name);
		n += snprintf(line + n, sizeof(line) - n, "\n");
		if (size && total < size - 1)
			snprintf(buf + total, size - total, "%s", line);
		total += n;
	}
	mmap_read_unlock(mm);
	return total > INT_MAX ? INT_MAX : (int)total;
}
