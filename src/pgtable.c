/* SPDX-License-Identifier: MIT */
/*
 * pgtable.c - the simulated 4-level page-table radix tree
 * (include/linux/pgtable.h, mm/memory.c __pte_alloc(), free_pgtables()).
 *
 * The upper levels (PGD, PUD, PMD) are struct pt_dir: each slot holds either
 * a pointer to the next level or a huge leaf entry. The lowest level is a
 * struct pt_table of plain entries. A table counts its used slots and is
 * freed as soon as it becomes empty, so memory follows what is populated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "folio.h"
#include "pgtable.h"

struct pt_table {
	unsigned int nr;
	struct pte e[PTRS_PER_TABLE];
};

struct pt_dirent {
	void *child; /* struct pt_dir * or struct pt_table * */
	struct pte leaf;
};

struct pt_dir {
	unsigned int nr;
	struct pt_dirent e[PTRS_PER_TABLE];
};

/* Table depth: PGD is 3, PUD 2, PMD 1; entries of PTE tables are level 0. */
#define PGD_DEPTH 3

static unsigned int pt_index(unsigned long addr, unsigned int depth)
{
	return (addr >> (PAGE_SHIFT + 9 * depth)) & (PTRS_PER_TABLE - 1);
}

enum pt_level pt_level_for_size(unsigned long page_size)
{
	if (page_size >= PUD_SIZE)
		return PT_LEVEL_PUD;
	if (page_size >= PMD_SIZE)
		return PT_LEVEL_PMD;
	return PT_LEVEL_PTE;
}

void pgtable_init(struct pgtable *pgt)
{
	memset(pgt, 0, sizeof(*pgt));
}

/* The mapping reference an entry holds on its folio (page_add_*_rmap()). */
static void pte_account(struct pte old, struct pte new)
{
	if (new.folio) {
		uffdops_folio_get(new.folio);
		folio_mapcount_inc(new.folio);
	}
	if (old.folio) {
		folio_mapcount_dec(old.folio);
		uffdops_folio_put(old.folio);
	}
}

/* Finds (or with @alloc creates) the slot for @addr at @level. */
static struct pte *pt_slot(struct pgtable *pgt, unsigned long addr,
			   enum pt_level level, bool alloc, int *err)
{
	struct pt_dir *dir;
	unsigned int depth;

	if (!pgt->pgd) {
		if (!alloc)
			return NULL;
		pgt->pgd = calloc(1, sizeof(*pgt->pgd));
		if (!pgt->pgd)
			goto nomem;
		pgt->nr_tables++;
	}
	dir = pgt->pgd;
	for (depth = PGD_DEPTH;; depth--) {
		struct pt_dirent *de = &dir->e[pt_index(addr, depth)];

		if (depth == (unsigned int)level)
			return &de->leaf;
		if (!de->child) {
			if (!alloc)
				return NULL;
			de->child = depth == 1 ?
					    calloc(1, sizeof(struct pt_table)) :
					    calloc(1, sizeof(struct pt_dir));
			if (!de->child)
				goto nomem;
			pgt->nr_tables++;
			pgt->nr_pte_tables += depth == 1;
			dir->nr++;
		}
		if (depth == 1) {
			struct pt_table *t = de->child;

			return &t->e[pt_index(addr, 0)];
		}
		dir = de->child;
	}
nomem:
	*err = -ENOMEM;
	return NULL;
}

struct pte pgtable_get(const struct pgtable *pgt, unsigned long addr,
		       enum pt_level level)
{
	struct pte *slot =
		pt_slot((struct pgtable *)pgt, addr, level, false, NULL);

	return slot ? *slot : (struct pte){ 0 };
}

bool pgtable_has_pte_table(const struct pgtable *pgt, unsigned long addr)
{
	return pt_slot((struct pgtable *)pgt, addr, PT_LEVEL_PTE, false, NULL);
}

/* The used-slot counter of the table holding @addr's entry at @level. */
static unsigned int *pt_counter(struct pgtable *pgt, unsigned long addr,
				enum pt_level level)
{
	struct pt_dir *dir = pgt->pgd;
	unsigned int depth;

	for (depth = PGD_DEPTH; depth > (unsigned int)level; depth--) {
		struct pt_dirent *de = &dir->e[pt_index(addr, depth)];

		if (depth == 1)
			return &((struct pt_table *)de->child)->nr;
		dir = de->child;
	}
	return &dir->nr;
}

/* free_pgtables() for one path: frees the tables on @addr's path that are empty. */
static void pt_prune(struct pgtable *pgt, unsigned long addr)
{
	struct pt_dir *path[PGD_DEPTH + 1];
	unsigned int depth;

	if (!pgt->pgd)
		return;
	path[PGD_DEPTH] = pgt->pgd;
	for (depth = PGD_DEPTH; depth > 1; depth--) {
		struct pt_dirent *de = &path[depth]->e[pt_index(addr, depth)];

		if (!de->child)
			break;
		path[depth - 1] = de->child;
	}
	/* depth is the deepest pt_dir reached on the path. */
	if (depth == 1) {
		struct pt_dirent *de = &path[1]->e[pt_index(addr, 1)];
		struct pt_table *t = de->child;

		if (t && !t->nr) {
			free(t);
			de->child = NULL;
			path[1]->nr--;
			pgt->nr_tables--;
			pgt->nr_pte_tables--;
		}
	}
	for (; depth < PGD_DEPTH; depth++) {
		struct pt_dirent *de =
			&path[depth + 1]->e[pt_index(addr, depth + 1)];

		if (path[depth]->nr)
			return;
		free(path[depth]);
		de->child = NULL;
		path[depth + 1]->nr--;
		pgt->nr_tables--;
	}
	if (!pgt->pgd->nr) {
		free(pgt->pgd);
		pgt->pgd = NULL;
		pgt->nr_tables--;
	}
}

int pgtable_set(struct pgtable *pgt, unsigned long addr, enum pt_level level,
		struct pte val)
{
	struct pte *slot, old;
	int err = 0;

	slot = pt_slot(pgt, addr, level, !pte_none(val), &err);
	if (!slot) {
		if (err)
			pt_prune(pgt, addr);
		return err;
	}
	old = *slot;
	*slot = val;
	pte_account(old, val);
	if (pte_none(old) && !pte_none(val)) {
		(*pt_counter(pgt, addr, level))++;
		pgt->nr_entries++;
	} else if (!pte_none(old) && pte_none(val)) {
		(*pt_counter(pgt, addr, level))--;
		pgt->nr_entries--;
		pt_prune(pgt, addr);
	}
	return 0;
}

/* The entries one slot at each table depth covers. */
static unsigned long depth_span(unsigned int depth)
{
	return PAGE_SIZE << (9 * depth);
}

/* Visits one entry: calls @fn and keeps references and counters right. */
static void visit(struct pgtable *pgt, unsigned long addr, struct pte *pte,
		  unsigned int *nr, pgtable_walk_fn fn, void *arg)
{
	struct pte old = *pte;

	fn(addr, pte, arg);
	if (pte_none(*pte))
		*pte = (struct pte){ 0 };
	if (old.folio != pte->folio)
		pte_account(old, *pte);
	if (pte_none(*pte)) {
		(*nr)--;
		pgt->nr_entries--;
	}
}

/*
 * Walks [start, end) below @dir (at @depth, mapping from @base); frees the
 * child tables that become empty. The caller frees @dir itself.
 */
static void walk_dir(struct pgtable *pgt, struct pt_dir *dir,
		     unsigned int depth, unsigned long base,
		     unsigned long start, unsigned long end,
		     enum pt_level level, pgtable_walk_fn fn, void *arg)
{
	unsigned long span = depth_span(depth);
	unsigned int i = pt_index(start, depth);

	for (; i < PTRS_PER_TABLE; i++) {
		unsigned long lo = base + i * span, hi = lo + span;
		struct pt_dirent *de = &dir->e[i];

		if (lo >= end)
			break;
		if (hi <= start)
			continue;
		if (depth == (unsigned int)level) {
			if (!pte_none(de->leaf))
				visit(pgt, lo, &de->leaf, &dir->nr, fn, arg);
			continue;
		}
		if (!de->child)
			continue;
		if (depth == 1) {
			struct pt_table *t = de->child;
			unsigned int j = lo < start ? pt_index(start, 0) : 0;

			for (; j < PTRS_PER_TABLE; j++) {
				unsigned long a = lo + j * PAGE_SIZE;

				if (a >= end)
					break;
				if (!pte_none(t->e[j]))
					visit(pgt, a, &t->e[j], &t->nr, fn,
					      arg);
			}
			if (!t->nr) {
				free(t);
				de->child = NULL;
				dir->nr--;
				pgt->nr_tables--;
				pgt->nr_pte_tables--;
			}
			continue;
		}
		walk_dir(pgt, de->child, depth - 1, lo, lo < start ? start : lo,
			 end, level, fn, arg);
		if (!((struct pt_dir *)de->child)->nr) {
			free(de->child);
			de->child = NULL;
			dir->nr--;
			pgt->nr_tables--;
		}
	}
}

void pgtable_walk(struct pgtable *pgt, unsigned long start, unsigned long end,
		  enum pt_level level, pgtable_walk_fn fn, void *arg)
{
	if (!pgt->pgd || start >= end)
		return;
	walk_dir(pgt, pgt->pgd, PGD_DEPTH, 0, start, end, level, fn, arg);
	if (!pgt->pgd->nr) {
		free(pgt->pgd);
		pgt->pgd = NULL;
		pgt->nr_tables--;
	}
}

static void clear_entry(unsigned long addr, struct pte *pte, void *arg)
{
	(void)addr;
	(void)arg;
	*pte = (struct pte){ 0 };
}

void pgtable_destroy(struct pgtable *pgt)
{
	enum pt_level level;

	for (level = PT_LEVEL_PTE; level <= PT_LEVEL_PUD; level++)
		pgtable_walk(pgt, 0, ~0UL, level, clear_entry, NULL);
}

size_t pgtable_bytes(const struct pgtable *pgt)
{
	return pgt->nr_pte_tables * sizeof(struct pt_table) +
	       (pgt->nr_tables - pgt->nr_pte_tables) * sizeof(struct pt_dir);
}
