/* SPDX-License-Identifier: MIT */
/*
 * test_pgtable.c - the simulated page-table radix: lazy allocation, freeing
 * when empty, levels, walks, entry states and folio mapping references.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "folio.h"
#include "pgtable.h"

static void empty_table_reads_none(void **state)
{
	struct pgtable pgt;

	(void)state;
	pgtable_init(&pgt);
	assert_true(
		pte_none(pgtable_get(&pgt, 0x7f0000000000UL, PT_LEVEL_PTE)));
	assert_true(pte_none(pgtable_get(&pgt, 0x200000UL, PT_LEVEL_PMD)));
	assert_int_equal(pgt.nr_tables, 0);
	/* Clearing what is not there allocates nothing. */
	assert_int_equal(
		pgtable_set(&pgt, 0x1000, PT_LEVEL_PTE, (struct pte){ 0 }), 0);
	assert_int_equal(pgt.nr_tables, 0);
}

static void lazy_allocation_and_free(void **state)
{
	struct pgtable pgt;
	unsigned long a = 0x7f1234567000UL;

	(void)state;
	pgtable_init(&pgt);
	assert_int_equal(pgtable_set(&pgt, a, PT_LEVEL_PTE, make_zero_pte()),
			 0);
	/* PGD, PUD, PMD and one PTE table. */
	assert_int_equal(pgt.nr_tables, 4);
	assert_int_equal(pgt.nr_entries, 1);
	assert_true(is_zero_pte(pgtable_get(&pgt, a, PT_LEVEL_PTE)));
	/* A neighbour in the same PTE table needs no new table. */
	assert_int_equal(pgtable_set(&pgt, a + 0x1000, PT_LEVEL_PTE,
				     make_pte_marker(PTE_MARKER_GUARD)),
			 0);
	assert_int_equal(pgt.nr_tables, 4);
	/* Another PMD region needs one more PTE table. */
	assert_int_equal(pgtable_set(&pgt, a + PMD_SIZE, PT_LEVEL_PTE,
				     make_pte_marker(PTE_MARKER_POISONED)),
			 0);
	assert_int_equal(pgt.nr_tables, 5);
	/* Clearing frees what becomes empty, all the way up. */
	pgtable_set(&pgt, a + PMD_SIZE, PT_LEVEL_PTE, (struct pte){ 0 });
	assert_int_equal(pgt.nr_tables, 4);
	pgtable_set(&pgt, a, PT_LEVEL_PTE, (struct pte){ 0 });
	assert_int_equal(pgt.nr_tables, 4);
	pgtable_set(&pgt, a + 0x1000, PT_LEVEL_PTE, (struct pte){ 0 });
	assert_int_equal(pgt.nr_tables, 0);
	assert_int_equal(pgt.nr_entries, 0);
	assert_null(pgt.pgd);
}

static void huge_levels(void **state)
{
	struct pgtable pgt;
	unsigned long a = 0x7f0000200000UL;

	(void)state;
	assert_int_equal(pt_level_for_size(PAGE_SIZE), PT_LEVEL_PTE);
	assert_int_equal(pt_level_for_size(PMD_SIZE), PT_LEVEL_PMD);
	assert_int_equal(pt_level_for_size(PUD_SIZE), PT_LEVEL_PUD);
	assert_int_equal(pt_level_size(PT_LEVEL_PMD), PMD_SIZE);
	pgtable_init(&pgt);
	/* A PMD entry needs PGD, PUD and PMD tables but no PTE table. */
	assert_int_equal(pgtable_set(&pgt, a, PT_LEVEL_PMD,
				     make_pte_marker(PTE_MARKER_UFFD_WP)),
			 0);
	assert_int_equal(pgt.nr_tables, 3);
	assert_true(pte_marker_uffd_wp(pgtable_get(&pgt, a, PT_LEVEL_PMD)));
	/* The PTE level below it reads none. */
	assert_true(pte_none(pgtable_get(&pgt, a + 0x1000, PT_LEVEL_PTE)));
	/* A PUD entry under another PGD slot needs one more PUD table. */
	assert_int_equal(pgtable_set(&pgt, 0x7f8000000000UL, PT_LEVEL_PUD,
				     make_pte_marker(PTE_MARKER_POISONED)),
			 0);
	assert_int_equal(pgt.nr_tables, 4);
	pgtable_destroy(&pgt);
	assert_int_equal(pgt.nr_tables, 0);
	assert_int_equal(pgt.nr_entries, 0);
}

static void entry_states(void **state)
{
	struct pte none = { 0 }, zero = make_zero_pte();
	struct pte wp = make_pte_marker(PTE_MARKER_UFFD_WP);
	struct pte both =
		make_pte_marker(PTE_MARKER_UFFD_WP | PTE_MARKER_GUARD);
	struct pte present = mk_pte(NULL, 0, PTE_WRITE | PTE_UFFD_WP);

	(void)state;
	assert_true(pte_none(none));
	assert_false(pte_present(none));
	assert_true(pte_present(zero) && is_zero_pte(zero) && !pte_write(zero));
	assert_false(pte_present(wp));
	assert_true(is_pte_marker(wp) && pte_marker_uffd_wp(wp));
	assert_false(pte_uffd_wp(wp));
	assert_int_equal(pte_marker_get(both),
			 PTE_MARKER_UFFD_WP | PTE_MARKER_GUARD);
	assert_true(pte_uffd_wp(present) && pte_write(present));
	assert_false(is_pte_marker(present));
	assert_int_equal(pte_marker_get(present), 0);
	/* The uffd-wp bit write-protects; clearing it does not unprotect. */
	present = pte_mkuffd_wp(mk_pte(NULL, 0, PTE_WRITE));
	assert_true(pte_uffd_wp(present) && !pte_write(present));
	present = pte_clear_uffd_wp(present);
	assert_false(pte_uffd_wp(present) || pte_write(present));
	assert_false(pte_write(pte_wrprotect(mk_pte(NULL, 0, PTE_WRITE))));
}

static void mapping_references(void **state)
{
	struct pgtable pgt;
	struct uffdops_folio *f, *g;
	unsigned long a = 0x10000000UL;

	(void)state;
	pgtable_init(&pgt);
	assert_int_equal(uffdops_folio_alloc(0, &f), 0);
	assert_int_equal(uffdops_folio_alloc(0, &g), 0);
	pgtable_set(&pgt, a, PT_LEVEL_PTE, mk_pte(f, 0, 0));
	pgtable_set(&pgt, a + 0x1000, PT_LEVEL_PTE, mk_pte(f, 0, 0));
	assert_int_equal(folio_ref_count(f), 3);
	assert_int_equal(folio_mapcount(f), 2);
	/* Replacing an entry moves the reference to the new folio. */
	pgtable_set(&pgt, a, PT_LEVEL_PTE, mk_pte(g, 0, PTE_WRITE));
	assert_int_equal(folio_ref_count(f), 2);
	assert_int_equal(folio_mapcount(f), 1);
	assert_int_equal(folio_ref_count(g), 2);
	/* Changing flags only keeps the counts. */
	pgtable_set(&pgt, a, PT_LEVEL_PTE, mk_pte(g, 0, PTE_DIRTY));
	assert_int_equal(folio_ref_count(g), 2);
	assert_int_equal(folio_mapcount(g), 1);
	pgtable_destroy(&pgt);
	assert_int_equal(folio_ref_count(f), 1);
	assert_int_equal(folio_mapcount(f), 0);
	assert_int_equal(folio_ref_count(g), 1);
	uffdops_folio_put(f);
	uffdops_folio_put(g);
}

struct collect {
	unsigned long addrs[16];
	unsigned int n;
	bool clear_odd;
};

static void collect_fn(unsigned long addr, struct pte *pte, void *arg)
{
	struct collect *c = arg;

	if (c->n < 16)
		c->addrs[c->n] = addr;
	if (c->clear_odd && (c->n & 1))
		*pte = (struct pte){ 0 };
	c->n++;
}

static void walk_order_and_clear(void **state)
{
	struct pgtable pgt;
	struct collect c = { 0 };
	unsigned long base = 0x7e0000000000UL;
	unsigned long offs[] = { 0, 0x1000, PMD_SIZE + 0x5000, PUD_SIZE,
				 (1UL << 39) + 0x3000 };
	unsigned int i;

	(void)state;
	pgtable_init(&pgt);
	/* Inserted out of order. */
	for (i = ARRAY_SIZE(offs); i-- > 0;)
		pgtable_set(&pgt, base + offs[i], PT_LEVEL_PTE,
			    make_pte_marker(PTE_MARKER_POISONED));
	pgtable_walk(&pgt, base, base + (2UL << 39), PT_LEVEL_PTE, collect_fn,
		     &c);
	assert_int_equal(c.n, ARRAY_SIZE(offs));
	for (i = 0; i < ARRAY_SIZE(offs); i++)
		assert_int_equal(c.addrs[i], base + offs[i]);
	/* A sub-range visits only what it covers. */
	c = (struct collect){ 0 };
	pgtable_walk(&pgt, base + 0x1000, base + PUD_SIZE, PT_LEVEL_PTE,
		     collect_fn, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.addrs[0], base + 0x1000);
	/* Entries the callback clears are gone and their tables freed. */
	c = (struct collect){ .clear_odd = true };
	pgtable_walk(&pgt, 0, ~0UL, PT_LEVEL_PTE, collect_fn, &c);
	assert_int_equal(pgt.nr_entries, 3);
	assert_true(pte_none(pgtable_get(&pgt, base + 0x1000, PT_LEVEL_PTE)));
	assert_false(pte_none(
		pgtable_get(&pgt, base + PMD_SIZE + 0x5000, PT_LEVEL_PTE)));
	/* The entry at base + PUD_SIZE (index 3) was cleared with its tables. */
	assert_true(pte_none(pgtable_get(&pgt, base + PUD_SIZE, PT_LEVEL_PTE)));
	pgtable_destroy(&pgt);
	assert_int_equal(pgt.nr_tables, 0);
	assert_int_equal(pgtable_bytes(&pgt), 0);
}

static void memory_follows_population(void **state)
{
	struct pgtable pgt;
	unsigned long i;

	(void)state;
	pgtable_init(&pgt);
	/* 1024 contiguous pages: two PTE tables, one each above. */
	for (i = 0; i < 1024; i++)
		pgtable_set(&pgt, 0x40000000UL + i * PAGE_SIZE, PT_LEVEL_PTE,
			    make_zero_pte());
	assert_int_equal(pgt.nr_tables, 5);
	assert_int_equal(pgt.nr_pte_tables, 2);
	assert_int_equal(pgtable_bytes(&pgt),
			 2 * (8 + 512 * sizeof(struct pte)) +
				 3 * (8 + 512 * (8 + sizeof(struct pte))));
	assert_int_equal(pgt.nr_entries, 1024);
	/* 4 pages 1 GiB apart: a PUD table shared, a PMD+PTE table each. */
	pgtable_destroy(&pgt);
	for (i = 0; i < 4; i++)
		pgtable_set(&pgt, 0x40000000UL + i * PUD_SIZE, PT_LEVEL_PTE,
			    make_zero_pte());
	assert_int_equal(pgt.nr_tables, 1 + 1 + 4 + 4);
	pgtable_destroy(&pgt);
	assert_null(pgt.pgd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_table_reads_none),
		cmocka_unit_test(lazy_allocation_and_free),
		cmocka_unit_test(huge_levels),
		cmocka_unit_test(entry_states),
		cmocka_unit_test(mapping_references),
		cmocka_unit_test(walk_order_and_clear),
		cmocka_unit_test(memory_follows_population),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
