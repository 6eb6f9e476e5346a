/* SPDX-License-Identifier: MIT */
/*
 * mm.h - the simulated address space: struct uffdops_mm (mm_struct) and
 * struct uffdops_vma (vm_area_struct), the VMA tree and the helpers the
 * userfaultfd parts build on (lookup, split/merge, zap).
 *
 * Locking: mm->mmap_lock models mmap_lock; the VMA tree and every VMA field
 * change only under it for writing. mm->ptl (page_table_lock) guards the
 * page tables and vma->anon_vma. A file-backed VMA's bounds, pgoff and flags
 * change under its inode's i_mmap_lock too, because truncation walks i_mmap
 * without the mmap_lock. Lock order: see folio.h.
 */
#ifndef UFFDOPS_MM_H
#define UFFDOPS_MM_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/queue.h>

#include <bsd/sys/tree.h>

#include "folio.h"
#include "internal.h"
#include "trace.h"
#include "pgtable.h"

struct memtype;
struct userfaultfd_ctx;

/* Linux 6.11 MAP_DROPPABLE, 6.13 guard regions: older libc headers lack them. */
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_GUARD_REMOVE
#define MADV_GUARD_REMOVE 103
#endif

/* include/linux/mm.h */
#define VM_SOFTDIRTY 0x08000000UL
#define VM_SPECIAL (VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP)
#define VM_ACCESS_FLAGS (VM_READ | VM_WRITE | VM_EXEC)
#define VM_LOCKONFAULT 0x00080000UL
#define VM_LOCKED_MASK (VM_LOCKED | VM_LOCKONFAULT)

/* The kernel's defaults (vm.max_map_count, mmap_min_addr on this machine). */
#define DEFAULT_MAX_MAP_COUNT 65530
#define MMAP_MIN_ADDR 4096UL
/* mm->mmap_base of the legacy-free top-down layout without randomization. */
#define MMAP_BASE 0x7ffff7fff000UL

/**
 * struct anon_vma - identity of the anonymous memory a VMA's private pages
 * belong to; VMAs merge only when theirs are compatible
 * (is_mergeable_anon_vma()).
 */
struct anon_vma {
	atomic_long refcount;
};

/**
 * struct uffdops_vma - a VMA (struct vm_area_struct).
 * @rb: position in the mm's tree, ordered by address.
 * @vm_start: first address.
 * @vm_end: first address past the end.
 * @sub_start: lowest vm_start in this subtree (augmented).
 * @sub_end: highest vm_end in this subtree (augmented).
 * @max_gap: largest gap between VMAs of this subtree (augmented), so that
 *	get_unmapped_area() runs in O(log n) like the maple tree's gap search.
 * @vm_mm: the owning mm.
 * @vm_flags: VM_* flags, VM_UFFD_* included.
 * @vm_pgoff: offset of vm_start in the file, in pages (for anonymous private
 *	memory the address >> PAGE_SHIFT it was first mapped at).
 * @vm_file: the mapped file (one reference), NULL for anonymous memory.
 * @mt: the memory type (one memtype reference).
 * @anon_vma: set at the first private page (anon_vma_prepare()), under ptl.
 * @anon_vma_forked: the anon_vma chain has parents: the VMA was copied by
 *	fork() after its parent had private pages (vma_had_uncowed_parents()).
 * @vm_userfaultfd_ctx: the userfaultfd context it is registered with.
 * @shared: link in the inode's i_mmap list.
 */
struct uffdops_vma {
	/* What a lookup reads first, together in one cache line. */
	RB_ENTRY(uffdops_vma) rb;
	unsigned long vm_start;
	unsigned long vm_end;
	unsigned long sub_start;
	unsigned long sub_end;
	unsigned long max_gap;
	struct uffdops_mm *vm_mm;
	unsigned long vm_flags;
	pgoff_t vm_pgoff;
	struct uffdops_file *vm_file;
	struct memtype *mt;
	struct anon_vma *anon_vma;
	bool anon_vma_forked;
	struct userfaultfd_ctx *vm_userfaultfd_ctx;
	LIST_ENTRY(uffdops_vma) shared;
};

RB_HEAD(vma_tree, uffdops_vma);

/**
 * struct uffdops_mm - an address space (struct mm_struct).
 * @mmap_lock: mmap_lock: faults and fills read, map changes write.
 * @ptl: page_table_lock: the page tables and vma->anon_vma.
 * @mm_mt: the VMAs by address.
 * @map_count: number of VMAs.
 * @mmap_base: top of the top-down mmap area.
 * @pgt: page tables.
 * @cap_sys_ptrace: UFFDOPS_MM_CAP_SYS_PTRACE.
 * @unprivileged_userfaultfd: UFFDOPS_MM_UNPRIVILEGED_USERFAULTFD.
 * @no_zero_page: UFFDOPS_MM_NO_ZERO_PAGE (pvm_no_zero_page=1).
 * @max_map_count: UFFDOPS_MM_MAX_MAP_COUNT (vm.max_map_count).
 * @anon_mt: the built-in "anon" memory type, for private anonymous VMAs
 *	(each VMA holds its own memtype reference).
 * @mm_users: users of the address space (mmget()/mmput()); the VMAs and page
 *	tables are torn down when it reaches 0.
 * @mm_count: references to the structure (mmgrab()/mmdrop()); all users
 *	together hold one, each userfaultfd context one.
 * @trace: the decision-trace callback.
 */
struct uffdops_mm {
	pthread_rwlock_t mmap_lock;
	pthread_mutex_t ptl;
	struct vma_tree mm_mt;
	unsigned long map_count;
	unsigned long mmap_base;
	struct pgtable pgt;
	atomic_int cap_sys_ptrace;
	atomic_int unprivileged_userfaultfd;
	atomic_int no_zero_page;
	atomic_long max_map_count;
	struct memtype *anon_mt;
	atomic_int mm_users;
	atomic_int mm_count;
	struct trace_hook trace;
};

/**
 * vma_wants_writenotify() - must the first write to a shared page of @vma
 * fault (a regular file tracking dirty pages, a VMA registered for WP)?
 */
bool vma_wants_writenotify(const struct uffdops_vma *vma);

/**
 * can_change_pte_writable() - may present entry @pte of @vma become writable
 * without a write fault (mm/mprotect.c can_change_pte_writable())?
 */
bool can_change_pte_writable(const struct uffdops_vma *vma, struct pte pte);

/** mmgrab() - keep the structure of @mm (not its address space) alive. */
static inline void mmgrab(struct uffdops_mm *mm)
{
	atomic_fetch_add(&mm->mm_count, 1);
}

/** mmdrop() - drop a mmgrab() reference; the last one frees @mm. */
void mmdrop(struct uffdops_mm *mm);

/**
 * mmget_not_zero() - take a user of @mm's address space unless it is
 * already being torn down.
 *
 * Return: false once uffdops_mm_destroy() has run.
 */
bool mmget_not_zero(struct uffdops_mm *mm);

/** mmput() - drop a user; the last one tears the address space down. */
void mmput(struct uffdops_mm *mm);

/* mmap_lock and page_table_lock. */
static inline void mmap_read_lock(struct uffdops_mm *mm)
{
	pthread_rwlock_rdlock(&mm->mmap_lock);
}

static inline void mmap_read_unlock(struct uffdops_mm *mm)
{
	pthread_rwlock_unlock(&mm->mmap_lock);
}

static inline void mmap_write_lock(struct uffdops_mm *mm)
{
	pthread_rwlock_wrlock(&mm->mmap_lock);
}

static inline void mmap_write_unlock(struct uffdops_mm *mm)
{
	pthread_rwlock_unlock(&mm->mmap_lock);
}

static inline void pt_lock(struct uffdops_mm *mm)
{
	pthread_mutex_lock(&mm->ptl);
}

static inline void pt_unlock(struct uffdops_mm *mm)
{
	pthread_mutex_unlock(&mm->ptl);
}

/* VMA classification (include/linux/mm.h, hugetlb.h, shmem_fs.h). */
bool vma_is_anonymous(const struct uffdops_vma *vma);
bool vma_is_shmem(const struct uffdops_vma *vma);
bool is_vm_hugetlb_page(const struct uffdops_vma *vma);
/** vma_page_size() - the VMA's page size (vma_kernel_pagesize()). */
unsigned long vma_page_size(const struct uffdops_vma *vma);
/** vma_pt_level() - the page-table level its entries live at. */
enum pt_level vma_pt_level(const struct uffdops_vma *vma);
/** vma_inode() - the inode behind the VMA, NULL for anonymous memory. */
struct uffdops_inode *vma_inode(const struct uffdops_vma *vma);
/** linear_page_index() - file page index of @addr in @vma. */
pgoff_t linear_page_index(const struct uffdops_vma *vma, unsigned long addr);

/* VMA tree (vma.c). */

/** find_vma() - the first VMA with vm_end > @addr, or NULL. */
struct uffdops_vma *find_vma(struct uffdops_mm *mm, unsigned long addr);
/** vma_lookup() - the VMA containing @addr, or NULL. */
struct uffdops_vma *vma_lookup(struct uffdops_mm *mm, unsigned long addr);
/** find_vma_intersection() - the first VMA overlapping [@start, @end). */
struct uffdops_vma *find_vma_intersection(struct uffdops_mm *mm,
					  unsigned long start,
					  unsigned long end);
/** vma_next()/vma_prev() - the VMAs after/before @vma in the tree. */
struct uffdops_vma *vma_next(struct uffdops_vma *vma);
struct uffdops_vma *vma_prev(struct uffdops_vma *vma);
/** vma_first() - the lowest VMA of @mm. */
struct uffdops_vma *vma_first(struct uffdops_mm *mm);
/** vma_tree_validate() - check the tree's order, augmentation and count. */
bool vma_tree_validate(struct uffdops_mm *mm);

/**
 * vma_alloc() - a detached VMA of @mm (vm_area_alloc()): takes a memtype
 * reference on @mt and a file reference on @file (may be NULL).
 */
struct uffdops_vma *vma_alloc(struct uffdops_mm *mm, struct memtype *mt,
			      struct uffdops_file *file, unsigned long start,
			      unsigned long end, unsigned long vm_flags,
			      pgoff_t pgoff);
/** vma_link() - insert a detached VMA in the tree and its file's i_mmap. */
void vma_link(struct uffdops_mm *mm, struct uffdops_vma *vma);
/** vma_unlink_free() - remove @vma from the tree and i_mmap and free it. */
void vma_unlink_free(struct uffdops_mm *mm, struct uffdops_vma *vma);

/**
 * __split_vma() - split @vma at @addr; @vma keeps the lower part.
 * Return: 0 and the upper part in *@newp (may be NULL), -EINVAL when a huge
 * page would be cut (hugetlb_vm_op_split()), -ENOMEM.
 */
int __split_vma(struct uffdops_mm *mm, struct uffdops_vma *vma,
		unsigned long addr, struct uffdops_vma **newp);

/**
 * split_vma() - __split_vma() that first refuses with -ENOMEM when the mm
 * already has max_map_count VMAs (split_vma()).
 */
int split_vma(struct uffdops_mm *mm, struct uffdops_vma *vma,
	      unsigned long addr, struct uffdops_vma **newp);

/**
 * vma_try_merge() - merge @vma with its neighbours where the kernel's
 * vma_merge_existing_range() would (same flags apart from VM_SOFTDIRTY,
 * same file and contiguous pgoff, same memory type, compatible anon_vma,
 * same vm_userfaultfd_ctx, no VM_SPECIAL). Returns the VMA that now covers
 * @vma's range.
 */
struct uffdops_vma *vma_try_merge(struct uffdops_mm *mm,
				  struct uffdops_vma *vma);

/**
 * vma_merge_extend() - grow @vma by @delta bytes at its end and merge it
 * with what follows when compatible (vma_merge_extend()). Returns the VMA
 * now covering the grown range.
 */
struct uffdops_vma *vma_merge_extend(struct uffdops_mm *mm,
				     struct uffdops_vma *vma,
				     unsigned long delta);

/**
 * vma_modify_flags_uffd() - give [@start, @end) of @vma the flags @new_flags
 * and the context @ctx, splitting at @start and @end and merging afterwards
 * (vma_modify_flags_uffd(), as userfaultfd_register_range() and
 * userfaultfd_clear_vma() use it). The range must lie inside @vma. The mmap
 * lock must be held for writing.
 * Return: 0 with *@vmap set to the VMA now covering the range, or the
 * split's -EINVAL/-ENOMEM (as in the kernel, a first split that succeeded
 * stays).
 */
int vma_modify_flags_uffd(struct uffdops_mm *mm, struct uffdops_vma **vmap,
			  unsigned long start, unsigned long end,
			  unsigned long new_flags, struct userfaultfd_ctx *ctx);

/** vma_set_flags() - change vm_flags (under i_mmap_lock for file VMAs). */
void vma_set_flags(struct uffdops_vma *vma, unsigned long vm_flags);

/**
 * get_unmapped_area_topdown() - vm_unmapped_area() top-down: the highest
 * free range of @len bytes between @low and @high whose start is congruent
 * to @align_offset modulo @align_mask + 1. Return: the address or -ENOMEM.
 */
long get_unmapped_area_topdown(struct uffdops_mm *mm, unsigned long len,
			       unsigned long low, unsigned long high,
			       unsigned long align_mask,
			       unsigned long align_offset);

/** anon_vma_prepare() - give @vma an anon_vma (caller holds mm->ptl). */
int anon_vma_prepare(struct uffdops_vma *vma);
void anon_vma_put(struct anon_vma *av);

/* Zapping (mm/memory.c). */

/**
 * struct zap_details - what a zap removes.
 * @even_cows: also remove private (anonymous) copies in file mappings.
 * @drop_markers: ZAP_FLAG_DROP_MARKER: remove uffd-wp and guard markers
 *	too (munmap/exit); without it file VMAs keep uffd-wp markers (and a
 *	zapped uffd-wp page leaves one) and guard markers always stay.
 */
struct zap_details {
	bool even_cows;
	bool drop_markers;
};

/**
 * zap_page_range_single() - remove the entries of [@start, @end) of @vma
 * (zap_page_range_single()/unmap_single_vma()); @details NULL means the
 * kernel's NULL details. Takes mm->ptl.
 */
void zap_page_range_single(struct uffdops_vma *vma, unsigned long start,
			   unsigned long end,
			   const struct zap_details *details);

/**
 * unmap_mapping_range() - zap file pages [@first, @first + @nr) of @inode
 * in every VMA mapping it (unmap_mapping_pages()).
 */
void unmap_mapping_range(struct uffdops_inode *inode, pgoff_t first, pgoff_t nr,
			 bool even_cows);

struct userfaultfd_unmap_list;

/**
 * do_munmap() - munmap with the mmap lock held for writing; the UNMAP
 * events owed go to @uf (events.h; NULL: none).
 */
int do_munmap(struct uffdops_mm *mm, unsigned long start, size_t len,
	      struct userfaultfd_unmap_list *uf);

#endif /* UFFDOPS_MM_H */
