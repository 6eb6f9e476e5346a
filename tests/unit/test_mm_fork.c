/* SPDX-License-Identifier: MIT */
/*
 * test_mm_fork.c - fork(): copy-on-write of private pages, shared pages
 * staying shared, what is copied and what is refaulted, fork advice,
 * userfaultfd registration not inherited, anon_vma ancestry and merging.
 */
#include "mm_test.h"

#include "mm.h"

static struct uffdops_mm *fork_mm(struct uffdops_mm *parent)
{
	struct uffdops_mm *child = NULL;

	assert_int_equal(uffdops_fork(parent, &child), 0);
	return child;
}

static void anon_copy_on_write(void **state)
{
	struct uffdops_mm *mm = mm_new(), *child;
	__u64 pfn;

	(void)state;
	map(mm, BASE, 2 * P, RW, PA | FX, NULL, 0);
	wr8(mm, BASE, 0x11);
	pfn = pm_pfn(mm, BASE);
	assert_int_equal(pm_flags(mm, BASE), PM_P | PM_X);
	child = fork_mm(mm);
	/* Shared by both now: same frame, exclusive in neither. */
	assert_int_equal(pm_flags(mm, BASE), PM_P);
	assert_int_equal(pm_flags(child, BASE), PM_P);
	assert_int_equal(pm_pfn(child, BASE), pfn);
	assert_int_equal(rd8(child, BASE), 0x11);
	/* The parent's write copies; the child keeps the old contents. */
	wr8(mm, BASE, 0x22);
	assert_true(pm_pfn(mm, BASE) != pfn);
	assert_int_equal(pm_flags(mm, BASE), PM_P | PM_X);
	assert_int_equal(rd8(child, BASE), 0x11);
	/* The child is now the only user: its write reuses the page. */
	assert_int_equal(pm_flags(child, BASE), PM_P | PM_X);
	wr8(child, BASE, 0x33);
	assert_int_equal(pm_pfn(child, BASE), pfn);
	assert_int_equal(rd8(mm, BASE), 0x22);
	/* Untouched pages are absent in the child too. */
	assert_int_equal(pm_bits(child, BASE + P), 0);
	uffdops_mm_destroy(child);
	uffdops_mm_destroy(mm);
}

static void child_exit_makes_parent_exclusive(void **state)
{
	struct uffdops_mm *mm = mm_new(), *child;
	__u64 pfn;

	(void)state;
	map(mm, BASE, P, RW, PA | FX, NULL, 0);
	wr8(mm, BASE, 1);
	pfn = pm_pfn(mm, BASE);
	child = fork_mm(mm);
	uffdops_mm_destroy(child);
	/* Mapped once again: exclusive, and a write reuses the page. */
	assert_int_equal(pm_flags(mm, BASE), PM_P | PM_X);
	wr8(mm, BASE, 2);
	assert_int_equal(pm_pfn(mm, BASE), pfn);
	uffdops_mm_destroy(mm);
}

static void zero_page_and_shared_memory(void **state)
{
	struct uffdops_mm *mm = mm_new(), *child;

	(void)state;
	/* A VMA with only zero pages has no anon_vma: nothing is copied. */
	map(mm, BASE, P, RW, PA | FX, NULL, 0);
	assert_int_equal(rd8(mm, BASE), 0);
	/* Shared memory is refaulted in the child from the cache. */
	map(mm, BASE + 4 * P, 2 * P, RW, SA | FX, NULL, 0);
	wr8(mm, BASE + 4 * P, 0x44);
	child = fork_mm(mm);
	assert_int_equal(pm_bits(child, BASE), 0);
	assert_int_equal(pm_bits(child, BASE + 4 * P), 0);
	assert_int_equal(rd8(child, BASE + 4 * P), 0x44);
	wr8(child, BASE + 5 * P, 0x55);
	assert_int_equal(rd8(mm, BASE + 5 * P), 0x55);
	assert_int_equal(pm_pfn(child, BASE + 5 * P), pm_pfn(mm, BASE + 5 * P));
	uffdops_mm_destroy(child);
	uffdops_mm_destroy(mm);
}

static void private_file_with_copies(void **state)
{
	struct uffdops_mm *mm = mm_new(), *child;
	struct uffdops_file *f = file_new("shmem", 2 * P);

	(void)state;
	map(mm, BASE, 2 * P, RW, MAP_PRIVATE | FX, f, 0);
	assert_int_equal(rd8(mm, BASE), 0);
	wr8(mm, BASE + P, 0x66);
	/* The VMA has private pages: all its entries are copied. */
	child = fork_mm(mm);
	assert_int_equal(pm_flags(child, BASE), PM_P | PM_F);
	assert_int_equal(pm_flags(child, BASE + P), PM_P);
	assert_int_equal(rd8(child, BASE + P), 0x66);
	wr8(child, BASE + P, 0x67);
	assert_int_equal(rd8(mm, BASE + P), 0x66);
	uffdops_mm_destroy(child);
	uffdops_mm_destroy(mm);
	uffdops_file_close(f);
}

static void fork_advice(void **state)
{
	struct uffdops_mm *mm = mm_new(), *child;

	(void)state;
	map(mm, BASE, P, RW, PA | FX, NULL, 0);
	map(mm, BASE + 2 * P, P, RW, PA | FX, NULL, 0);
	map(mm, BASE + 4 * P, P, RW, MAP_DROPPABLE | MAP_ANONYMOUS | FX, NULL,
	    0);
	wr8(mm, BASE, 1);
	wr8(mm, BASE + 2 * P, 2);
	wr8(mm, BASE + 4 * P, 3);
	assert_int_equal(uffdops_madvise(mm, BASE, P, MADV_DONTFORK), 0);
	assert_int_equal(uffdops_madvise(mm, BASE + 2 * P, P, MADV_WIPEONFORK),
			 0);
	child = fork_mm(mm);
	/* MADV_DONTFORK: no VMA in the child. */
	assert_false(vma_at(child, BASE, NULL));
	/* MADV_WIPEONFORK and MAP_DROPPABLE: the VMA, empty. */
	assert_true(vma_at(child, BASE + 2 * P, NULL));
	assert_int_equal(rd8(child, BASE + 2 * P), 0);
	assert_int_equal(rd8(child, BASE + 4 * P), 0);
	assert_int_equal(rd8(mm, BASE + 4 * P), 3);
	uffdops_mm_destroy(child);
	/* MADV_DOFORK and MADV_KEEPONFORK undo them. */
	assert_int_equal(uffdops_madvise(mm, BASE, P, MADV_DOFORK), 0);
	assert_int_equal(uffdops_madvise(mm, BASE + 2 * P, P, MADV_KEEPONFORK),
			 0);
	child = fork_mm(mm);
	assert_int_equal(rd8(child, BASE), 1);
	assert_int_equal(rd8(child, BASE + 2 * P), 2);
	uffdops_mm_destroy(child);
	uffdops_mm_destroy(mm);
}

static void guards_are_inherited(void **state)
{
	struct uffdops_mm *mm = mm_new(), *child;
	struct uffdops_file *f = file_new("shmem", 2 * P);

	(void)state;
	map(mm, BASE, 2 * P, RW, PA | FX, NULL, 0);
	map(mm, BASE + 4 * P, 2 * P, RW, MAP_SHARED | FX, f, 0);
	wr8(mm, BASE + 5 * P, 0x77);
	assert_int_equal(uffdops_madvise(mm, BASE, P, MADV_GUARD_INSTALL), 0);
	assert_int_equal(
		uffdops_madvise(mm, BASE + 4 * P, P, MADV_GUARD_INSTALL), 0);
	/* Guard markers survive fork, on shared file mappings too. */
	child = fork_mm(mm);
	assert_int_equal(pm_flags(child, BASE), PM_S | PM_G);
	assert_int_equal(pm_flags(child, BASE + 4 * P), PM_S | PM_G);
	assert_int_equal(rd8(child, BASE + 5 * P), 0x77);
	uffdops_mm_destroy(child);
	uffdops_mm_destroy(mm);
	uffdops_file_close(f);
}

static void registration_not_inherited(void **state)
{
	struct uffdops_mm *mm = mm_new(), *child;
	struct uffdops_ctx *ctx;
	struct userfaultfd_ctx *uctx = plain_uffd_ctx(mm, &ctx);
	struct uffdops_vma *vma;
	struct uffdops_map m;

	(void)state;
	map(mm, BASE, 2 * P, RW, PA | FX, NULL, 0);
	wr8(mm, BASE, 1);
	mmap_write_lock(mm);
	vma = vma_lookup(mm, BASE);
	assert_int_equal(vma_modify_flags_uffd(mm, &vma, BASE, BASE + 2 * P,
					       vma->vm_flags | VM_UFFD_WP |
						       VM_UFFD_MISSING,
					       uctx),
			 0);
	pt_lock(mm);
	{
		struct pte pte = pgtable_get(&mm->pgt, BASE, PT_LEVEL_PTE);

		pgtable_set(&mm->pgt, BASE, PT_LEVEL_PTE, pte_mkuffd_wp(pte));
		pgtable_set(&mm->pgt, BASE + P, PT_LEVEL_PTE,
			    make_pte_marker(PTE_MARKER_UFFD_WP));
	}
	pt_unlock(mm);
	mmap_write_unlock(mm);
	/* Without EVENT_FORK the child loses the modes, the context and the
	 * uffd-wp state of its entries. */
	child = fork_mm(mm);
	assert_true(vma_at(child, BASE, &m));
	assert_false(m.vm_flags & __VM_UFFD_FLAGS);
	assert_null(m.uffd_ctx);
	assert_int_equal(pm_flags(child, BASE), PM_P);
	assert_int_equal(pm_bits(child, BASE + P), 0);
	assert_int_equal(pm_flags(mm, BASE), PM_P | PM_W);
	uffdops_mm_destroy(child);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void forked_anon_vma_blocks_merge(void **state)
{
	struct uffdops_mm *mm = mm_new(), *child;

	(void)state;
	map(mm, BASE, P, RW, PA | FX, NULL, 0);
	wr8(mm, BASE, 1);
	child = fork_mm(mm);
	/* In the child the VMA's anon_vma has a parent: no merge. */
	map(child, BASE + P, P, RW, PA | FX, NULL, 0);
	assert_int_equal(nr_vmas(child), 2);
	/* In the parent it merges as usual. */
	map(mm, BASE + P, P, RW, PA | FX, NULL, 0);
	assert_int_equal(nr_vmas(mm), 1);
	uffdops_mm_destroy(mm);
	/* The child outlives the parent with its pages. */
	assert_int_equal(rd8(child, BASE), 1);
	uffdops_mm_destroy(child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(anon_copy_on_write),
		cmocka_unit_test(child_exit_makes_parent_exclusive),
		cmocka_unit_test(zero_page_and_shared_memory),
		cmocka_unit_test(private_file_with_copies),
		cmocka_unit_test(fork_advice),
		cmocka_unit_test(guards_are_inherited),
		cmocka_unit_test(registration_not_inherited),
		cmocka_unit_test(forked_anon_vma_blocks_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
