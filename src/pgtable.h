/* SPDX-License-Identifier: MIT */
/*
 * pgtable.h - simulated x86-64 page tables: a 4-level radix tree
 * (PGD/PUD/PMD/PTE, 512 entries each) allocated lazily and freed when empty.
 *
 * An entry is a struct pte. Its states (../shared/spec/ioctls.md §1.4):
 *   none        all zero
 *   present     PTE_PRESENT, @folio + @idx (the subpage), PTE_WRITE,
 *               PTE_DIRTY, PTE_UFFD_WP (pte_uffd_wp()), PTE_EXCLUSIVE
 *               (PageAnonExclusive() of the mapped page)
 *   zero page   PTE_PRESENT | PTE_ZERO, no folio (my_zero_pfn())
 *   marker      PTE_MARKER_* bits only, not present (make_pte_marker())
 * Huge entries (hugetlb and huge user types) live at PMD level (2 MiB) or
 * PUD level (1 GiB); 4 KiB entries at PTE level.
 *
 * The page-table layer owns the mapping references: installing an entry
 * that carries a folio takes a reference and a mapcount on it, replacing or
 * clearing one drops them. Every access happens under mm->ptl.
 */
#ifndef UFFDOPS_PGTABLE_H
#define UFFDOPS_PGTABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

struct uffdops_folio;

#define PTRS_PER_TABLE 512

/* Levels at which an entry can live. */
enum pt_level {
	PT_LEVEL_PTE = 0, /* 4 KiB */
	PT_LEVEL_PMD = 1, /* 2 MiB */
	PT_LEVEL_PUD = 2, /* 1 GiB */
};

/* struct pte flags. */
#define PTE_PRESENT (1U << 0)
#define PTE_WRITE (1U << 1)
#define PTE_DIRTY (1U << 2)
#define PTE_UFFD_WP (1U << 3)
#define PTE_ZERO (1U << 4)
#define PTE_EXCLUSIVE (1U << 5)
/* Non-present PTE markers (include/linux/swapops.h PTE_MARKER_*). */
#define PTE_MARKER_UFFD_WP (1U << 8)
#define PTE_MARKER_POISONED (1U << 9)
#define PTE_MARKER_GUARD (1U << 10)
#define PTE_MARKER_MASK \
	(PTE_MARKER_UFFD_WP | PTE_MARKER_POISONED | PTE_MARKER_GUARD)

/**
 * struct pte - one page-table entry (any level).
 * @folio: the mapped folio of a present entry, NULL otherwise.
 * @idx: which page of @folio the entry maps (0 for a huge entry).
 * @flags: PTE_* bits.
 */
struct pte {
	struct uffdops_folio *folio;
	unsigned int idx;
	unsigned int flags;
};

static inline bool pte_none(struct pte pte)
{
	return !pte.flags;
}

static inline bool pte_present(struct pte pte)
{
	return pte.flags & PTE_PRESENT;
}

static inline bool pte_write(struct pte pte)
{
	return pte.flags & PTE_WRITE;
}

static inline bool pte_uffd_wp(struct pte pte)
{
	return pte_present(pte) && (pte.flags & PTE_UFFD_WP);
}

/* is_zero_pfn(pte_pfn()): the entry maps the shared zero page. */
static inline bool is_zero_pte(struct pte pte)
{
	return pte.flags & PTE_ZERO;
}

/* is_pte_marker(): a non-present marker entry. */
static inline bool is_pte_marker(struct pte pte)
{
	return !pte_present(pte) && (pte.flags & PTE_MARKER_MASK);
}

/* pte_none_mostly(): none, or a marker that a fill may replace. */
static inline bool pte_none_mostly(struct pte pte)
{
	return pte_none(pte) || is_pte_marker(pte);
}

static inline unsigned int pte_marker_get(struct pte pte)
{
	return is_pte_marker(pte) ? pte.flags & PTE_MARKER_MASK : 0;
}

/* pte_swp_uffd_wp_any(): a marker carrying uffd-wp. */
static inline bool pte_marker_uffd_wp(struct pte pte)
{
	return pte_marker_get(pte) & PTE_MARKER_UFFD_WP;
}

/* make_pte_marker(). */
static inline struct pte make_pte_marker(unsigned int marker)
{
	return (struct pte){ .flags = marker & PTE_MARKER_MASK };
}

/* The shared zero page (mk_pte(ZERO_PAGE(), ...), read-only). */
static inline struct pte make_zero_pte(void)
{
	return (struct pte){ .flags = PTE_PRESENT | PTE_ZERO };
}

/* pte_wrprotect(): a present entry made read-only. */
static inline struct pte pte_wrprotect(struct pte pte)
{
	pte.flags &= ~PTE_WRITE;
	return pte;
}

/* pte_mkuffd_wp(): set the uffd-wp bit; on x86 that write-protects too. */
static inline struct pte pte_mkuffd_wp(struct pte pte)
{
	pte.flags = (pte.flags | PTE_UFFD_WP) & ~PTE_WRITE;
	return pte;
}

/* pte_clear_uffd_wp(): drop the uffd-wp bit (the entry stays read-only). */
static inline struct pte pte_clear_uffd_wp(struct pte pte)
{
	pte.flags &= ~PTE_UFFD_WP;
	return pte;
}

/* mk_pte(): a present entry for page @idx of @folio. */
static inline struct pte mk_pte(struct uffdops_folio *folio, unsigned int idx,
				unsigned int flags)
{
	return (struct pte){ .folio = folio,
			     .idx = idx,
			     .flags = PTE_PRESENT | flags };
}

/**
 * struct pgtable - an mm's page tables.
 * @pgd: the top-level table, allocated on first use.
 * @nr_tables: tables currently allocated (all levels).
 * @nr_pte_tables: those of them at the lowest (PTE) level.
 * @nr_entries: non-none entries.
 */
struct pgtable {
	struct pt_dir *pgd;
	size_t nr_tables;
	size_t nr_pte_tables;
	size_t nr_entries;
};

/** pt_level_for_size() - the level at which pages of @page_size are mapped. */
enum pt_level pt_level_for_size(unsigned long page_size);

/** pt_level_size() - bytes one entry at @level maps. */
static inline unsigned long pt_level_size(enum pt_level level)
{
	return PAGE_SIZE << (9 * level);
}

void pgtable_init(struct pgtable *pgt);

/** pgtable_destroy() - clear every entry (dropping folios) and free all tables. */
void pgtable_destroy(struct pgtable *pgt);

/** pgtable_get() - the entry mapping @addr at @level (none if no table). */
struct pte pgtable_get(const struct pgtable *pgt, unsigned long addr,
		       enum pt_level level);

/**
 * pgtable_has_pte_table() - a PTE-level table covers @addr: the PMD entry
 * is not pmd_none() and maps 4 KiB entries. Tables are freed as soon as
 * they become empty, so this is false where no 4 KiB entry of the 2 MiB
 * block is populated (UFFDIO_MOVE's ENOENT for a missing source PMD).
 */
bool pgtable_has_pte_table(const struct pgtable *pgt, unsigned long addr);

/**
 * pgtable_set() - set the entry for @addr at @level (set_pte_at()), taking a
 * mapping reference on the new folio and dropping the old one's. Setting
 * none frees tables that become empty.
 * Return: 0, or -ENOMEM when a table could not be allocated.
 */
int pgtable_set(struct pgtable *pgt, unsigned long addr, enum pt_level level,
		struct pte val);

/**
 * pgtable_walk_fn - called for each non-none entry by pgtable_walk(); it
 * may rewrite *@pte (references are adjusted and emptied tables freed by
 * the walker).
 */
typedef void (*pgtable_walk_fn)(unsigned long addr, struct pte *pte, void *arg);

/**
 * pgtable_walk() - visit the non-none entries at @level in [@start, @end)
 * in address order, skipping absent tables.
 */
void pgtable_walk(struct pgtable *pgt, unsigned long start, unsigned long end,
		  enum pt_level level, pgtable_walk_fn fn, void *arg);

/** pgtable_bytes() - memory used by the tables themselves. */
size_t pgtable_bytes(const struct pgtable *pgt);

#endif /* UFFDOPS_PGTABLE_H */
