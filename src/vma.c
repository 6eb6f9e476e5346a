/* SPDX-License-Identifier: MIT */
/*
 * vma.c - the VMA tree and its edits (mm/vma.c, mm/mmap.c, mm/rmap.c):
 * lookup, gap search, split, merge, anon_vma.
 *
 * The tree is libbsd's red-black tree ordered by vm_start, augmented with
 * each subtree's span and largest inner gap so that lookups, edits and the
 * free-area search are all O(log n), as with the kernel's maple tree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"
#include "registry.h"

static int vma_cmp(const struct uffdops_vma *a, const struct uffdops_vma *b)
{
	return a->vm_start < b->vm_start ? -1 : a->vm_start > b->vm_start;
}

static unsigned long max_ul(unsigned long a, unsigned long b)
{
	return a > b ? a : b;
}

/* Recomputes @v's augmented fields from its children. */
static void vma_augment(struct uffdops_vma *v)
{
	struct uffdops_vma *l = RB_LEFT(v, rb), *r = RB_RIGHT(v, rb);
	unsigned long gap = 0;

	v->sub_start = l ? l->sub_start : v->vm_start;
	v->sub_end = r ? r->sub_end : v->vm_end;
	if (l)
		gap = max_ul(l->max_gap, v->vm_start - l->sub_end);
	if (r)
		gap = max_ul(gap, max_ul(r->max_gap, r->sub_start - v->vm_end));
	v->max_gap = gap;
}

#undef RB_AUGMENT
#define RB_AUGMENT(x) vma_augment(x)
RB_GENERATE_INTERNAL(vma_tree, uffdops_vma, rb, vma_cmp,
		     static __attribute__((unused)))

/* Recomputes the augmented fields from @v up to the root. */
static void vma_augment_up(struct uffdops_vma *v)
{
	for (; v; v = RB_PARENT(v, rb))
		vma_augment(v);
}

/* ------------------------------------------------------------------------ */
/* Classification.                                                           */
/* ------------------------------------------------------------------------ */

bool vma_is_anonymous(const struct uffdops_vma *vma)
{
	return !vma->vm_file;
}

bool vma_is_shmem(const struct uffdops_vma *vma)
{
	return vma->vm_file && !strcmp(vma->mt->name, "shmem");
}

bool is_vm_hugetlb_page(const struct uffdops_vma *vma)
{
	return vma->vm_flags & VM_HUGETLB;
}

unsigned long vma_page_size(const struct uffdops_vma *vma)
{
	return vma->mt->desc.page_size;
}

enum pt_level vma_pt_level(const struct uffdops_vma *vma)
{
	return pt_level_for_size(vma_page_size(vma));
}

struct uffdops_inode *vma_inode(const struct uffdops_vma *vma)
{
	return vma->vm_file ? vma->vm_file->inode : NULL;
}

pgoff_t linear_page_index(const struct uffdops_vma *vma, unsigned long addr)
{
	return ((addr - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff;
}

/* Public accessors for memory-type handlers. */
unsigned long uffdops_vma_start(const struct uffdops_vma *vma)
{
	return vma->vm_start;
}

unsigned long uffdops_vma_end(const struct uffdops_vma *vma)
{
	return vma->vm_end;
}

unsigned long uffdops_vma_flags(const struct uffdops_vma *vma)
{
	return vma->vm_flags;
}

pgoff_t uffdops_vma_pgoff(const struct uffdops_vma *vma)
{
	return vma->vm_pgoff;
}

struct uffdops_file *uffdops_vma_file(const struct uffdops_vma *vma)
{
	return vma->vm_file;
}

pgoff_t uffdops_linear_page_index(const struct uffdops_vma *vma,
				  unsigned long addr)
{
	return linear_page_index(vma, addr);
}

/* ------------------------------------------------------------------------ */
/* Lookup.                                                                   */
/* ------------------------------------------------------------------------ */

struct uffdops_vma *find_vma(struct uffdops_mm *mm, unsigned long addr)
{
	struct uffdops_vma *node = RB_ROOT(&mm->mm_mt), *found = NULL;

	while (node) {
		if (node->vm_end > addr) {
			found = node;
			if (node->vm_start <= addr)
				break;
			node = RB_LEFT(node, rb);
		} else {
			node = RB_RIGHT(node, rb);
		}
	}
	return found;
}

struct uffdops_vma *vma_lookup(struct uffdops_mm *mm, unsigned long addr)
{
	struct uffdops_vma *vma = find_vma(mm, addr);

	return vma && vma->vm_start <= addr ? vma : NULL;
}

struct uffdops_vma *find_vma_intersection(struct uffdops_mm *mm,
					  unsigned long start,
					  unsigned long end)
{
	struct uffdops_vma *vma = find_vma(mm, start);

	return vma && vma->vm_start < end ? vma : NULL;
}

struct uffdops_vma *vma_next(struct uffdops_vma *vma)
{
	return vma_tree_RB_NEXT(vma);
}

struct uffdops_vma *vma_prev(struct uffdops_vma *vma)
{
	return vma_tree_RB_PREV(vma);
}

struct uffdops_vma *vma_first(struct uffdops_mm *mm)
{
	return RB_MIN(vma_tree, &mm->mm_mt);
}

bool vma_tree_validate(struct uffdops_mm *mm)
{
	struct uffdops_vma *v, *prev = NULL;
	unsigned long n = 0;

	RB_FOREACH(v, vma_tree, &mm->mm_mt) {
		struct uffdops_vma copy = *v;

		if (v->vm_start >= v->vm_end ||
		    (prev && prev->vm_end > v->vm_start))
			return false;
		vma_augment(&copy);
		if (copy.max_gap != v->max_gap ||
		    copy.sub_start != v->sub_start ||
		    copy.sub_end != v->sub_end)
			return false;
		prev = v;
		n++;
	}
	return n == mm->map_count;
}

/* ------------------------------------------------------------------------ */
/* Free-area search (mm/mmap.c unmapped_area_topdown()).                     */
/* ------------------------------------------------------------------------ */

struct gap_search {
	unsigned long len, low, high;
	unsigned long gap_end;
};

/* Does [gs, ge) clipped to [low, high) hold len bytes? Records its top. */
static bool gap_fits(struct gap_search *gs, unsigned long start,
		     unsigned long end)
{
	if (start < gs->low)
		start = gs->low;
	if (end > gs->high)
		end = gs->high;
	if (end <= start || end - start < gs->len)
		return false;
	gs->gap_end = end;
	return true;
}

/*
 * The highest fitting gap in front of a VMA of @n's subtree; @left_edge is
 * vm_end of the VMA just before the subtree (0 if none).
 */
static bool gap_search_rev(struct gap_search *gs, struct uffdops_vma *n,
			   unsigned long left_edge)
{
	struct uffdops_vma *l;

	if (!n)
		return false;
	if (max_ul(n->max_gap, n->sub_start - left_edge) < gs->len)
		return false;
	if (left_edge >= gs->high || gs->high - left_edge < gs->len ||
	    n->sub_end <= gs->low)
		return false;
	if (gap_search_rev(gs, RB_RIGHT(n, rb), n->vm_end))
		return true;
	l = RB_LEFT(n, rb);
	if (gap_fits(gs, l ? l->sub_end : left_edge, n->vm_start))
		return true;
	return gap_search_rev(gs, l, left_edge);
}

long get_unmapped_area_topdown(struct uffdops_mm *mm, unsigned long len,
			       unsigned long low, unsigned long high,
			       unsigned long align_mask,
			       unsigned long align_offset)
{
	struct gap_search gs = { .len = len + align_mask,
				 .low = low,
				 .high = high };
	struct uffdops_vma *last = RB_MAX(vma_tree, &mm->mm_mt);
	unsigned long addr;

	/* unmapped_area_topdown(): the padded length must fit at all. */
	if (gs.len < len || high < gs.len || gs.len > high - low)
		return -ENOMEM;
	if (!gap_fits(&gs, last ? last->vm_end : 0, ~0UL) &&
	    !gap_search_rev(&gs, RB_ROOT(&mm->mm_mt), 0))
		return -ENOMEM;
	addr = gs.gap_end - len;
	addr -= (addr - align_offset) & align_mask;
	return addr;
}

/* ------------------------------------------------------------------------ */
/* anon_vma (mm/rmap.c).                                                     */
/* ------------------------------------------------------------------------ */

static struct anon_vma *anon_vma_get(struct anon_vma *av)
{
	if (av)
		atomic_fetch_add_explicit(&av->refcount, 1,
					  memory_order_relaxed);
	return av;
}

void anon_vma_put(struct anon_vma *av)
{
	if (av && atomic_fetch_sub_explicit(&av->refcount, 1,
					    memory_order_acq_rel) == 1)
		free(av);
}

/* anon_vma_compatible(): @a directly precedes @b and could share private pages. */
static bool anon_vma_compatible(const struct uffdops_vma *a,
				const struct uffdops_vma *b)
{
	return a->vm_end == b->vm_start && a->vm_file == b->vm_file &&
	       a->mt == b->mt &&
	       !((a->vm_flags ^ b->vm_flags) &
		 ~(VM_ACCESS_FLAGS | VM_SOFTDIRTY)) &&
	       b->vm_pgoff == a->vm_pgoff + ((b->vm_start - a->vm_start) >>
					     PAGE_SHIFT);
}

/* reusable_anon_vma(): a neighbour's anon_vma that is not shared with a parent. */
static struct anon_vma *reusable_anon_vma(const struct uffdops_vma *old)
{
	return old && old->anon_vma && !old->anon_vma_forked ? old->anon_vma :
							       NULL;
}

int anon_vma_prepare(struct uffdops_vma *vma)
{
	struct uffdops_vma *prev, *next;
	struct anon_vma *av = NULL;

	if (vma->anon_vma)
		return 0;
	/* find_mergeable_anon_vma(): reuse a compatible neighbour's. */
	next = vma_next(vma);
	if (next && anon_vma_compatible(vma, next))
		av = reusable_anon_vma(next);
	prev = vma_prev(vma);
	if (!av && prev && anon_vma_compatible(prev, vma))
		av = reusable_anon_vma(prev);
	if (av) {
		vma->anon_vma = anon_vma_get(av);
		return 0;
	}
	av = calloc(1, sizeof(*av));
	if (!av)
		return -ENOMEM;
	atomic_init(&av->refcount, 1);
	vma->anon_vma = av;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Allocation, linking, bounds.                                              */
/* ------------------------------------------------------------------------ */

struct uffdops_vma *vma_alloc(struct uffdops_mm *mm, struct memtype *mt,
			      struct uffdops_file *file, unsigned long start,
			      unsigned long end, unsigned long vm_flags,
			      pgoff_t pgoff)
{
	struct uffdops_vma *vma = calloc(1, sizeof(*vma));

	if (!vma)
		return NULL;
	vma->vm_mm = mm;
	vma->vm_start = start;
	vma->vm_end = end;
	vma->vm_flags = vm_flags;
	vma->vm_pgoff = pgoff;
	vma->mt = mt;
	memtype_dup(mt);
	vma->vm_file = file;
	if (file)
		get_file(file);
	return vma;
}

static void vma_free(struct uffdops_vma *vma)
{
	if (vma->vm_file)
		fput(vma->vm_file);
	memtype_put(vma->mt);
	anon_vma_put(vma->anon_vma);
	free(vma);
}

void vma_link(struct uffdops_mm *mm, struct uffdops_vma *vma)
{
	vma->sub_start = vma->vm_start;
	vma->sub_end = vma->vm_end;
	vma->max_gap = 0;
	vma_tree_RB_INSERT(&mm->mm_mt, vma);
	vma_augment_up(vma);
	mm->map_count++;
	if (vma->vm_file)
		i_mmap_link(vma->vm_file->inode, vma);
}

/* The lowest node whose augmented data a removal of @v makes stale. */
static struct uffdops_vma *remove_fixup_start(struct uffdops_vma *v)
{
	struct uffdops_vma *s;

	if (!RB_LEFT(v, rb) || !RB_RIGHT(v, rb))
		return RB_PARENT(v, rb);
	for (s = RB_RIGHT(v, rb); RB_LEFT(s, rb); s = RB_LEFT(s, rb))
		;
	return RB_PARENT(s, rb) == v ? s : RB_PARENT(s, rb);
}

void vma_unlink_free(struct uffdops_mm *mm, struct uffdops_vma *vma)
{
	struct uffdops_vma *fix = remove_fixup_start(vma);

	if (vma->vm_file)
		i_mmap_unlink(vma->vm_file->inode, vma);
	vma_tree_RB_REMOVE(&mm->mm_mt, vma);
	vma_augment_up(fix);
	mm->map_count--;
	vma_free(vma);
}

/*
 * Changes a linked VMA's bounds and pgoff (vma_set_range()); a file VMA's
 * under i_mmap_lock (vma_prepare()), as truncation reads them.
 */
static void vma_set_range(struct uffdops_vma *vma, unsigned long start,
			  unsigned long end, pgoff_t pgoff)
{
	struct uffdops_inode *inode = vma_inode(vma);

	if (inode)
		pthread_mutex_lock(&inode->i_mmap_lock);
	vma->vm_start = start;
	vma->vm_end = end;
	vma->vm_pgoff = pgoff;
	if (inode)
		pthread_mutex_unlock(&inode->i_mmap_lock);
	vma_augment_up(vma);
}

void vma_set_flags(struct uffdops_vma *vma, unsigned long vm_flags)
{
	struct uffdops_inode *inode = vma_inode(vma);

	if (inode)
		pthread_mutex_lock(&inode->i_mmap_lock);
	vma->vm_flags = vm_flags;
	if (inode)
		pthread_mutex_unlock(&inode->i_mmap_lock);
}

/* ------------------------------------------------------------------------ */
/* Split and merge (mm/vma.c).                                               */
/* ------------------------------------------------------------------------ */

int __split_vma(struct uffdops_mm *mm, struct uffdops_vma *vma,
		unsigned long addr, struct uffdops_vma **newp)
{
	struct uffdops_vma *new;

	/* hugetlb_vm_op_split(): never cut a huge page. */
	if (!IS_ALIGNED(addr, vma_page_size(vma)))
		return -EINVAL;
	new = vma_alloc(mm, vma->mt, vma->vm_file, addr, vma->vm_end,
			vma->vm_flags,
			vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT));
	if (!new)
		return -ENOMEM;
	new->anon_vma = anon_vma_get(vma->anon_vma);
	new->anon_vma_forked = vma->anon_vma_forked;
	new->vm_userfaultfd_ctx = vma->vm_userfaultfd_ctx;
	vma_set_range(vma, vma->vm_start, addr, vma->vm_pgoff);
	vma_link(mm, new);
	if (newp)
		*newp = new;
	return 0;
}

int split_vma(struct uffdops_mm *mm, struct uffdops_vma *vma,
	      unsigned long addr, struct uffdops_vma **newp)
{
	/* split_vma(): one more VMA must stay within vm.max_map_count. */
	if (mm->map_count >= (unsigned long)atomic_load(&mm->max_map_count))
		return -ENOMEM;
	return __split_vma(mm, vma, addr, newp);
}

/*
 * is_mergeable_vma() + is_mergeable_anon_vma() + the pgoff rule of
 * can_vma_merge_after(): may @a and the directly following @b become one?
 */
static bool vma_can_merge(const struct uffdops_vma *a,
			  const struct uffdops_vma *b)
{
	if (a->vm_end != b->vm_start)
		return false;
	/* VM_SOFTDIRTY never prevents a merge; VM_SPECIAL always does. */
	if ((a->vm_flags ^ b->vm_flags) & ~VM_SOFTDIRTY)
		return false;
	if (a->vm_flags & VM_SPECIAL)
		return false;
	if (a->vm_file != b->vm_file || a->mt != b->mt)
		return false;
	/* is_mergeable_vm_userfaultfd_ctx(). */
	if (a->vm_userfaultfd_ctx != b->vm_userfaultfd_ctx)
		return false;
	if (a->vm_pgoff + ((a->vm_end - a->vm_start) >> PAGE_SHIFT) !=
	    b->vm_pgoff)
		return false;
	/* is_mergeable_anon_vma(): shared, or one side without parents. */
	if (a->anon_vma && b->anon_vma)
		return a->anon_vma == b->anon_vma;
	if (a->anon_vma)
		return !a->anon_vma_forked;
	if (b->anon_vma)
		return !b->anon_vma_forked;
	return true;
}

/* Folds @b into the directly preceding @a (vma_expand() + remove). */
static void vma_merge_pair(struct uffdops_mm *mm, struct uffdops_vma *a,
			   struct uffdops_vma *b)
{
	unsigned long end = b->vm_end;

	if (!a->anon_vma && b->anon_vma) {
		/* dup_anon_vma(). */
		pt_lock(mm);
		a->anon_vma = anon_vma_get(b->anon_vma);
		a->anon_vma_forked = b->anon_vma_forked;
		pt_unlock(mm);
	}
	vma_unlink_free(mm, b);
	vma_set_range(a, a->vm_start, end, a->vm_pgoff);
}

struct uffdops_vma *vma_try_merge(struct uffdops_mm *mm,
				  struct uffdops_vma *vma)
{
	struct uffdops_vma *prev = vma_prev(vma), *next;

	if (prev && vma_can_merge(prev, vma)) {
		vma_merge_pair(mm, prev, vma);
		vma = prev;
	}
	next = vma_next(vma);
	if (next && vma_can_merge(vma, next))
		vma_merge_pair(mm, vma, next);
	return vma;
}

struct uffdops_vma *vma_merge_extend(struct uffdops_mm *mm,
				     struct uffdops_vma *vma,
				     unsigned long delta)
{
	vma_set_range(vma, vma->vm_start, vma->vm_end + delta, vma->vm_pgoff);
	return vma_try_merge(mm, vma);
}

int vma_modify_flags_uffd(struct uffdops_mm *mm, struct uffdops_vma **vmap,
			  unsigned long start, unsigned long end,
			  unsigned long new_flags, struct userfaultfd_ctx *ctx)
{
	struct uffdops_vma *vma = *vmap;
	int err;

	/* vma_modify(): split off what precedes and what follows the range. */
	if (start > vma->vm_start) {
		err = split_vma(mm, vma, start, &vma);
		if (err)
			return err;
	}
	if (end < vma->vm_end) {
		err = split_vma(mm, vma, end, NULL);
		if (err)
			return err;
	}
	vma_set_flags(vma, new_flags);
	vma->vm_userfaultfd_ctx = ctx;
	*vmap = vma_try_merge(mm, vma);
	return 0;
}
