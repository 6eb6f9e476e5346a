/* SPDX-License-Identifier: MIT */
/*
 * test_mm_remap.c - mremap(): moving, growing and shrinking in place,
 * MREMAP_DONTUNMAP, duplicating a shared mapping, multi-VMA moves.
 */
#include "mm_test.h"

#include "mm.h"

static void move_keeps_pages(void **state)
{
	struct uffdops_mm *mm = mm_new();
	__u64 pfn;
	long r;

	(void)state;
	map(mm, BASE, 2 * P, RW, PA | FX, NULL, 0);
	map(mm, BASE + 2 * P, P, RO, PA | FX, NULL, 0);
	wr8(mm, BASE + P + 7, 0x61);
	pfn = pm_pfn(mm, BASE + P);
	/* Growth is blocked by the next VMA: moved elsewhere. */
	r = uffdops_mremap(mm, BASE, 2 * P, 4 * P, MREMAP_MAYMOVE, 0);
	assert_true(r > 0 && (unsigned long)r != BASE);
	assert_false(vma_at(mm, BASE, NULL));
	assert_vma(mm, r, r + 4 * P);
	/* The page table entries moved with their pages. */
	assert_int_equal(pm_pfn(mm, r + P), pfn);
	assert_int_equal(rd8(mm, r + P + 7), 0x61);
	assert_int_equal(pm_bits(mm, r + 2 * P), 0);
	assert_true(vma_tree_validate(mm));
	uffdops_mm_destroy(mm);
}

static void resize_in_place(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_map m;

	(void)state;
	map(mm, BASE, 2 * P, RW, PA | FX, NULL, 0);
	wr8(mm, BASE, 1);
	/* Grow into free space: same address. */
	assert_int_equal(uffdops_mremap(mm, BASE, 2 * P, 4 * P, 0, 0), BASE);
	assert_vma(mm, BASE, BASE + 4 * P);
	/* Growing up to a compatible neighbour merges with it. */
	map(mm, BASE + 6 * P, 2 * P, RW, PA | FX, NULL, 0);
	assert_int_equal(uffdops_mremap(mm, BASE, 4 * P, 6 * P, 0, 0), BASE);
	assert_int_equal(nr_vmas(mm), 1);
	assert_vma(mm, BASE, BASE + 8 * P);
	/* Shrinking unmaps the tail, even across VMAs. */
	assert_int_equal(uffdops_mprotect(mm, BASE + 6 * P, P, RO), 0);
	assert_int_equal(uffdops_mremap(mm, BASE, 8 * P, P, 0, 0), BASE);
	assert_vma(mm, BASE, BASE + P);
	assert_int_equal(nr_vmas(mm), 1);
	assert_int_equal(rd8(mm, BASE), 1);
	/* Same size: nothing to do. */
	assert_int_equal(uffdops_mremap(mm, BASE, P, P, 0, 0), BASE);
	/* A grown range past TASK_SIZE cannot stay in place. */
	map(mm, UFFDOPS_TASK_SIZE - P, P, RW, PA | FX, NULL, 0);
	assert_int_equal(uffdops_mremap(mm, UFFDOPS_TASK_SIZE - P, P, 2 * P, 0,
					0),
			 -ENOMEM);
	assert_true(vma_at(mm, BASE, &m));
	uffdops_mm_destroy(mm);
}

static void dontunmap(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", P);
	struct uffdops_map m;

	(void)state;
	map(mm, BASE, P, RW, PA | FX, NULL, 0);
	wr8(mm, BASE, 0x71);
	assert_int_equal(uffdops_mremap(mm, BASE, P, P,
					MREMAP_MAYMOVE | MREMAP_DONTUNMAP |
						MREMAP_FIXED,
					BASE + 8 * P),
			 BASE + 8 * P);
	/* The old VMA stays, empty, without its charge. */
	assert_true(vma_at(mm, BASE, &m));
	assert_false(m.vm_flags & VM_ACCOUNT);
	assert_int_equal(pm_bits(mm, BASE), 0);
	assert_int_equal(rd8(mm, BASE), 0);
	assert_int_equal(rd8(mm, BASE + 8 * P), 0x71);
	/* Without MREMAP_FIXED the new address is a hint. */
	assert_int_equal(uffdops_mremap(mm, BASE + 8 * P, P, P,
					MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
					BASE + 16 * P),
			 BASE + 16 * P);
	assert_int_equal(rd8(mm, BASE + 16 * P), 0x71);
	/* A shared mapping keeps the cache: the old range reads it again. */
	map(mm, BASE + 32 * P, P, RW, MAP_SHARED | FX, f, 0);
	wr8(mm, BASE + 32 * P, 0x72);
	assert_int_equal(uffdops_mremap(mm, BASE + 32 * P, P, P,
					MREMAP_MAYMOVE | MREMAP_DONTUNMAP |
						MREMAP_FIXED,
					BASE + 40 * P),
			 BASE + 40 * P);
	assert_int_equal(pm_bits(mm, BASE + 32 * P), 0);
	assert_int_equal(rd8(mm, BASE + 32 * P), 0x72);
	uffdops_file_close(f);
	uffdops_mm_destroy(mm);
}

static void duplicate_shared(void **state)
{
	struct uffdops_mm *mm = mm_new();
	long r;

	(void)state;
	map(mm, BASE, 2 * P, RW, SA | FX, NULL, 0);
	wr8(mm, BASE + P, 0x81);
	/* old_len 0 on a shared mapping maps it once more. */
	r = uffdops_mremap(mm, BASE, 0, 2 * P, MREMAP_MAYMOVE, 0);
	assert_true(r > 0 && (unsigned long)r != BASE);
	assert_int_equal(nr_vmas(mm), 2);
	assert_int_equal(rd8(mm, r + P), 0x81);
	wr8(mm, r, 0x82);
	assert_int_equal(rd8(mm, BASE), 0x82);
	/* Without MREMAP_MAYMOVE it cannot happen. */
	assert_int_equal(uffdops_mremap(mm, BASE, 0, P, 0, 0), -ENOMEM);
	uffdops_mm_destroy(mm);
}

static void fixed_moves(void **state)
{
	struct uffdops_mm *mm = mm_new();

	(void)state;
	/* A range of several VMAs moves as a whole, gaps kept. */
	map(mm, BASE, 2 * P, RW, PA | FX, NULL, 0);
	map(mm, BASE + 3 * P, P, RO, PA | FX, NULL, 0);
	wr8(mm, BASE + P, 0x91);
	assert_int_equal(uffdops_mremap(mm, BASE, 4 * P, 4 * P,
					MREMAP_MAYMOVE | MREMAP_FIXED,
					BASE + 64 * P),
			 BASE + 64 * P);
	assert_vma(mm, BASE + 64 * P, BASE + 66 * P);
	assert_vma(mm, BASE + 67 * P, BASE + 68 * P);
	assert_false(vma_at(mm, BASE + 66 * P, NULL));
	assert_int_equal(nr_vmas(mm), 2);
	assert_int_equal(rd8(mm, BASE + 65 * P), 0x91);
	/* A gap at the start is refused. */
	assert_int_equal(uffdops_mremap(mm, BASE + 63 * P, 2 * P, 2 * P,
					MREMAP_MAYMOVE | MREMAP_FIXED, BASE),
			 -EFAULT);
	/* The target is unmapped first. */
	map(mm, BASE, 4 * P, RO, PA | FX, NULL, 0);
	assert_int_equal(uffdops_mremap(mm, BASE + 64 * P, 2 * P, 2 * P,
					MREMAP_MAYMOVE | MREMAP_FIXED,
					BASE + P),
			 BASE + P);
	assert_vma(mm, BASE, BASE + P);
	assert_vma(mm, BASE + P, BASE + 3 * P);
	assert_vma(mm, BASE + 3 * P, BASE + 4 * P);
	assert_int_equal(rd8(mm, BASE + 2 * P), 0x91);
	/* Moving with a resize and MREMAP_FIXED. */
	assert_int_equal(uffdops_mremap(mm, BASE + P, 2 * P, P,
					MREMAP_MAYMOVE | MREMAP_FIXED,
					BASE + 128 * P),
			 BASE + 128 * P);
	assert_vma(mm, BASE + 128 * P, BASE + 129 * P);
	assert_false(vma_at(mm, BASE + P, NULL));
	assert_true(vma_tree_validate(mm));
	uffdops_mm_destroy(mm);
}

static void hugetlb_move(void **state)
{
	struct uffdops_mm *mm = mm_new();

	(void)state;
	map(mm, BASE, 2 * H, RW, PA | FX | MAP_HUGETLB, NULL, 0);
	wr8(mm, BASE + H + 9, 0xa1);
	assert_int_equal(uffdops_mremap(mm, BASE + H, H, H,
					MREMAP_MAYMOVE | MREMAP_FIXED,
					BASE + 8 * H),
			 BASE + 8 * H);
	assert_int_equal(rd8(mm, BASE + 8 * H + 9), 0xa1);
	assert_vma(mm, BASE, BASE + H);
	/* Shrinking a hugetlb mapping by whole huge pages. */
	map(mm, BASE + 16 * H, 2 * H, RW, PA | FX | MAP_HUGETLB, NULL, 0);
	assert_int_equal(uffdops_mremap(mm, BASE + 16 * H, 2 * H, P, 0, 0),
			 BASE + 16 * H);
	assert_vma(mm, BASE + 16 * H, BASE + 17 * H);
	uffdops_mm_destroy(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(move_keeps_pages),
		cmocka_unit_test(resize_in_place),
		cmocka_unit_test(dontunmap),
		cmocka_unit_test(duplicate_shared),
		cmocka_unit_test(fixed_moves),
		cmocka_unit_test(hugetlb_move),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
