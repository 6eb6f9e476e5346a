/* SPDX-License-Identifier: MIT */
/*
 * test_mm_vma.c - VMA placement, splits and merges, the augmented tree,
 * the userfaultfd split/merge helper and /proc/pid/maps output.
 */
#include "mm_test.h"

#include <stdio.h>

#include "mm.h"

/* mm->mmap_base of the model (no randomization). */
#define TOP MMAP_BASE

static void topdown_placement(void **state)
{
	struct uffdops_mm *mm = mm_new();
	unsigned long a, b, c;

	(void)state;
	a = map(mm, 0, 4 * P, RW, PA, NULL, 0);
	assert_int_equal(a, TOP - 4 * P);
	/* The next mapping goes right below; different flags: no merge. */
	b = map(mm, 0, P, RO, PA, NULL, 0);
	assert_int_equal(b, a - P);
	assert_int_equal(nr_vmas(mm), 2);
	/* Same flags as b: placed below it and merged with it. */
	c = map(mm, 0, 2 * P, RO, PA, NULL, 0);
	assert_int_equal(c, b - 2 * P);
	assert_int_equal(nr_vmas(mm), 2);
	assert_vma(mm, c, a);
	/* A hole is reused from its top: the highest gap that fits. */
	assert_int_equal(uffdops_munmap(mm, c, P), 0);
	assert_int_equal(map(mm, 0, P, RW, PA, NULL, 0), c);
	assert_true(vma_tree_validate(mm));
	uffdops_mm_destroy(mm);
}

static void thp_alignment(void **state)
{
	struct uffdops_mm *mm = mm_new();
	unsigned long a, b, c, d, s;

	(void)state;
	/* The same sequence as a live probe: 4K, 8K rw, 2M, 4M, 2M+4K. */
	a = map(mm, 0, P, RO, PA, NULL, 0);
	b = map(mm, 0, 2 * P, RW, PA, NULL, 0);
	assert_int_equal(b, a - 2 * P);
	/* A PMD-multiple anonymous mapping is aligned; searched with padding. */
	c = map(mm, 0, H, RO, PA, NULL, 0);
	assert_true(IS_ALIGNED(c, H));
	assert_int_equal(c, ALIGN(b - 2 * H, H));
	/* When the padded search lands aligned, the top half is used. */
	d = map(mm, 0, 2 * H, RO, PA, NULL, 0);
	assert_int_equal(d, c - 2 * H);
	/* Not a PMD multiple: placed right below, merged with d and c. */
	s = map(mm, 0, H + P, RO, PA, NULL, 0);
	assert_int_equal(s, d - H - P);
	assert_vma(mm, s, c + H);
	/* Shared anonymous memory is not THP-aligned (shmem THP is off). */
	assert_int_equal(map(mm, 0, H, RO, SA, NULL, 0), s - H);
	/* Nor is a hinted mapping. */
	assert_int_equal(map(mm, BASE + P, H, RO, PA, NULL, 0), BASE + P);
	uffdops_mm_destroy(mm);
}

static void hints(void **state)
{
	struct uffdops_mm *mm = mm_new();
	unsigned long a;

	(void)state;
	/* A free hint is taken as is, rounded down to a page. */
	assert_int_equal(map(mm, BASE + 123, P, RW, PA, NULL, 0), BASE);
	/* An occupied hint falls back to the top-down search. */
	a = map(mm, BASE, P, RW, PA, NULL, 0);
	assert_int_equal(a, TOP - P);
	/* A hint that does not fit below the next VMA is not used. */
	assert_int_equal(map(mm, BASE - P, 2 * P, RO, PA, NULL, 0), a - 2 * P);
	/* round_hint_to_min(): a hint inside page 0 is no hint at all. */
	assert_int_equal(map(mm, 1, P, RO, PA, NULL, 0), a - 3 * P);
	assert_int_equal(nr_vmas(mm), 3);
	/* A hint too close to the top is ignored. */
	assert_int_equal(map(mm, UFFDOPS_TASK_SIZE - P, 2 * P, RO, PA, NULL, 0),
			 a - 5 * P);
	uffdops_mm_destroy(mm);
}

static void hugetlb_placement(void **state)
{
	struct uffdops_mm *mm = mm_new();
	unsigned long a, b;

	(void)state;
	map(mm, 0, P, RO, PA, NULL, 0);
	/* Length rounded up to 2 MiB and the address aligned. */
	a = map(mm, 0, P, RW, PA | MAP_HUGETLB, NULL, 0);
	assert_true(IS_ALIGNED(a, H));
	assert_vma(mm, a, a + H);
	b = map(mm, 0, H, RW, PA | MAP_HUGETLB, NULL, 0);
	assert_int_equal(b, a - H);
	/* Adjacent hugetlb VMAs never merge (VM_DONTEXPAND). */
	assert_vma(mm, b, b + H);
	assert_int_equal(nr_vmas(mm), 3);
	uffdops_mm_destroy(mm);
}

static void anon_mprotect_split_merge(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_map m;

	(void)state;
	map(mm, BASE, 8 * P, RW, PA | FX, NULL, 0);
	assert_int_equal(uffdops_mprotect(mm, BASE + 2 * P, 2 * P, RO), 0);
	assert_int_equal(nr_vmas(mm), 3);
	assert_vma(mm, BASE + 2 * P, BASE + 4 * P);
	assert_true(vma_at(mm, BASE + 2 * P, &m));
	assert_int_equal(m.vm_flags & (VM_READ | VM_WRITE), VM_READ);
	/* The split pieces keep contiguous pgoffs and merge back. */
	assert_int_equal(uffdops_mprotect(mm, BASE + 2 * P, 2 * P, RW), 0);
	assert_int_equal(nr_vmas(mm), 1);
	assert_vma(mm, BASE, BASE + 8 * P);
	/* Changing the first and last pages merges nothing new. */
	assert_int_equal(uffdops_mprotect(mm, BASE, P, PROT_NONE), 0);
	assert_int_equal(uffdops_mprotect(mm, BASE + 7 * P, P, PROT_NONE), 0);
	assert_int_equal(nr_vmas(mm), 3);
	/* A range over several VMAs gives them one protection: one VMA. */
	assert_int_equal(uffdops_mprotect(mm, BASE, 8 * P, RO), 0);
	assert_int_equal(nr_vmas(mm), 1);
	assert_true(vma_tree_validate(mm));
	uffdops_mm_destroy(mm);
}

static void account_flag_and_merge(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_map m;

	(void)state;
	/* A writable private mapping is charged: VM_ACCOUNT. */
	map(mm, BASE, 2 * P, RW, PA | FX, NULL, 0);
	assert_true(vma_at(mm, BASE, &m));
	assert_true(m.vm_flags & VM_ACCOUNT);
	/* A read-only neighbour is not, so they differ even in protection... */
	map(mm, BASE + 2 * P, 2 * P, RO, PA | FX, NULL, 0);
	assert_int_equal(nr_vmas(mm), 2);
	/* ...but made writable it gets charged and merges. */
	assert_int_equal(uffdops_mprotect(mm, BASE + 2 * P, 2 * P, RW), 0);
	assert_int_equal(nr_vmas(mm), 1);
	/* Never faulted, read-only again: the charge goes, so a fresh RO
	 * neighbour merges... */
	assert_int_equal(uffdops_mprotect(mm, BASE, 4 * P, RO), 0);
	map(mm, BASE + 4 * P, P, RO, PA | FX, NULL, 0);
	assert_int_equal(nr_vmas(mm), 1);
	/* ...whereas a faulted mapping keeps it and does not. */
	assert_int_equal(uffdops_mprotect(mm, BASE, 5 * P, RW), 0);
	wr8(mm, BASE, 1);
	assert_int_equal(uffdops_mprotect(mm, BASE, 5 * P, RO), 0);
	map(mm, BASE + 5 * P, P, RO, PA | FX, NULL, 0);
	assert_int_equal(nr_vmas(mm), 2);
	/* MAP_NORESERVE memory is never charged. */
	map(mm, BASE + 8 * P, P, RW, PA | FX | MAP_NORESERVE, NULL, 0);
	assert_true(vma_at(mm, BASE + 8 * P, &m));
	assert_false(m.vm_flags & VM_ACCOUNT);
	assert_true(m.vm_flags & VM_NORESERVE);
	uffdops_mm_destroy(mm);
}

static void anon_vma_and_pgoff_block_merge(void **state)
{
	struct uffdops_mm *mm = mm_new();

	(void)state;
	/* Two faulted mappings moved next to each other stay apart. */
	map(mm, BASE, P, RW, PA | FX, NULL, 0);
	map(mm, BASE + 4 * P, P, RW, PA | FX, NULL, 0);
	wr8(mm, BASE, 1);
	wr8(mm, BASE + 4 * P, 2);
	assert_int_equal(uffdops_mremap(mm, BASE + 4 * P, P, P,
					MREMAP_MAYMOVE | MREMAP_FIXED,
					BASE + P),
			 BASE + P);
	assert_int_equal(nr_vmas(mm), 2);
	assert_int_equal(rd8(mm, BASE + P), 2);
	/* Moved, the faulted one keeps its pgoff: nothing merges after it. */
	map(mm, BASE + 8 * P, P, RW, PA | FX, NULL, 0);
	assert_int_equal(uffdops_mremap(mm, BASE + 8 * P, P, P,
					MREMAP_MAYMOVE | MREMAP_FIXED,
					BASE + 2 * P),
			 BASE + 2 * P);
	assert_int_equal(nr_vmas(mm), 3);
	/* An unfaulted one takes its new address as pgoff and merges. */
	map(mm, BASE + 8 * P, P, RW, PA | FX, NULL, 0);
	assert_int_equal(uffdops_mremap(mm, BASE + 8 * P, P, P,
					MREMAP_MAYMOVE | MREMAP_FIXED,
					BASE - P),
			 BASE - P);
	assert_int_equal(nr_vmas(mm), 3);
	assert_vma(mm, BASE - P, BASE + P);
	assert_true(vma_tree_validate(mm));
	uffdops_mm_destroy(mm);
}

static void file_merge_rules(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", 16 * P), *g;
	struct uffdops_map m;

	(void)state;
	assert_int_equal(uffdops_file_open(f, O_RDWR, &g), 0);
	/* Same file, contiguous pgoff: one VMA. */
	map(mm, BASE, 2 * P, RW, MAP_SHARED | FX, f, 0);
	map(mm, BASE + 2 * P, 2 * P, RW, MAP_SHARED | FX, f, 2);
	assert_int_equal(nr_vmas(mm), 1);
	assert_true(vma_at(mm, BASE, &m));
	assert_string_equal(m.memtype, "shmem");
	assert_ptr_equal(m.inode, uffdops_file_inode(f));
	assert_int_equal(m.pgoff, 0);
	/* A pgoff gap: no merge. */
	map(mm, BASE + 4 * P, P, RW, MAP_SHARED | FX, f, 5);
	assert_int_equal(nr_vmas(mm), 2);
	/* Another open file of the same inode: no merge (vm_file differs). */
	map(mm, BASE + 5 * P, P, RW, MAP_SHARED | FX, g, 6);
	assert_int_equal(nr_vmas(mm), 3);
	/* Shared anonymous mappings are separate objects. */
	map(mm, BASE + 8 * P, P, RW, SA | FX, NULL, 0);
	map(mm, BASE + 9 * P, P, RW, SA | FX, NULL, 0);
	assert_int_equal(nr_vmas(mm), 5);
	/* Splitting a file VMA keeps pgoffs right. */
	assert_int_equal(uffdops_munmap(mm, BASE + P, P), 0);
	assert_true(vma_at(mm, BASE + 2 * P, &m));
	assert_int_equal(m.pgoff, 2);
	uffdops_file_close(g);
	uffdops_file_close(f);
	uffdops_mm_destroy(mm);
}

/* A context pointer stand-in: merging compares pointers only. */
static int ctx_a, ctx_b;

static void uffd_modify_split_merge(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_vma *vma;
	struct uffdops_map m;
	unsigned long flags;

	(void)state;
	map(mm, BASE, 8 * P, RW, PA | FX, NULL, 0);
	mmap_write_lock(mm);
	vma = vma_lookup(mm, BASE);
	flags = vma->vm_flags;
	/* Register the middle: three VMAs, the middle with flags and ctx. */
	assert_int_equal(
		vma_modify_flags_uffd(mm, &vma, BASE + 2 * P, BASE + 4 * P,
				      flags | VM_UFFD_MISSING,
				      (struct userfaultfd_ctx *)&ctx_a),
		0);
	assert_int_equal(vma->vm_start, BASE + 2 * P);
	assert_int_equal(vma->vm_end, BASE + 4 * P);
	assert_int_equal(mm->map_count, 3);
	/* The same registration next to it merges with it. */
	vma = vma_lookup(mm, BASE + 4 * P);
	assert_int_equal(
		vma_modify_flags_uffd(mm, &vma, BASE + 4 * P, BASE + 6 * P,
				      flags | VM_UFFD_MISSING,
				      (struct userfaultfd_ctx *)&ctx_a),
		0);
	assert_int_equal(vma->vm_start, BASE + 2 * P);
	assert_int_equal(vma->vm_end, BASE + 6 * P);
	assert_int_equal(mm->map_count, 3);
	/* Same flags, another context: never merged. */
	vma = vma_lookup(mm, BASE + 6 * P);
	assert_int_equal(
		vma_modify_flags_uffd(mm, &vma, BASE + 6 * P, BASE + 8 * P,
				      flags | VM_UFFD_MISSING,
				      (struct userfaultfd_ctx *)&ctx_b),
		0);
	assert_int_equal(mm->map_count, 3);
	/* Different modes, same context: never merged either. */
	vma = vma_lookup(mm, BASE + 4 * P);
	assert_int_equal(
		vma_modify_flags_uffd(mm, &vma, BASE + 4 * P, BASE + 6 * P,
				      flags | VM_UFFD_WP,
				      (struct userfaultfd_ctx *)&ctx_a),
		0);
	assert_int_equal(mm->map_count, 4);
	/* Unregistering [2P, 6P) merges it back into [0, 2P). */
	vma = vma_lookup(mm, BASE + 2 * P);
	assert_int_equal(vma_modify_flags_uffd(mm, &vma, BASE + 2 * P,
					       BASE + 4 * P, flags, NULL),
			 0);
	vma = vma_lookup(mm, BASE + 4 * P);
	assert_int_equal(vma_modify_flags_uffd(mm, &vma, BASE + 4 * P,
					       BASE + 6 * P, flags, NULL),
			 0);
	assert_int_equal(vma->vm_start, BASE);
	assert_int_equal(vma->vm_end, BASE + 6 * P);
	assert_int_equal(mm->map_count, 2);
	assert_true(vma_tree_validate(mm));
	mmap_write_unlock(mm);
	assert_true(vma_at(mm, BASE + 7 * P, &m));
	assert_ptr_equal(m.uffd_ctx, &ctx_b);
	assert_true(m.vm_flags & VM_UFFD_MISSING);
	uffdops_mm_destroy(mm);
}

static void uffd_modify_hugetlb_refuses_split(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_vma *vma;

	(void)state;
	map(mm, BASE, 2 * H, RW, PA | FX | MAP_HUGETLB, NULL, 0);
	mmap_write_lock(mm);
	vma = vma_lookup(mm, BASE);
	assert_int_equal(
		vma_modify_flags_uffd(mm, &vma, BASE, BASE + P,
				      vma->vm_flags | VM_UFFD_WP,
				      (struct userfaultfd_ctx *)&ctx_a),
		-EINVAL);
	assert_int_equal(mm->map_count, 1);
	assert_int_equal(
		vma_modify_flags_uffd(mm, &vma, BASE, BASE + H,
				      vma->vm_flags | VM_UFFD_WP,
				      (struct userfaultfd_ctx *)&ctx_a),
		0);
	assert_int_equal(mm->map_count, 2);
	mmap_write_unlock(mm);
	uffdops_mm_destroy(mm);
}

static void max_map_count(void **state)
{
	struct uffdops_mm *mm = mm_new();
	int i;

	(void)state;
	assert_int_equal(uffdops_mm_config(mm, UFFDOPS_MM_MAX_MAP_COUNT, 4), 0);
	assert_int_equal(uffdops_mm_config(mm, UFFDOPS_MM_MAX_MAP_COUNT, -1),
			 -EINVAL);
	/* Alternate protections so that nothing merges. */
	for (i = 0; i < 5; i++)
		map(mm, BASE + 2 * i * P, P, i & 1 ? RO : RW, PA | FX, NULL, 0);
	/* do_mmap(): map_count > max_map_count -> -ENOMEM. */
	assert_int_equal(nr_vmas(mm), 5);
	assert_int_equal(uffdops_mmap(mm, BASE + 20 * P, P, RW, PA | FX, NULL,
				      0),
			 -ENOMEM);
	/* split_vma(): no room for one more VMA. */
	uffdops_munmap(mm, BASE, P);
	uffdops_munmap(mm, BASE + 2 * P, P);
	map(mm, BASE + 40 * P, 4 * P, RW, PA | FX, NULL, 0);
	assert_int_equal(nr_vmas(mm), 4);
	assert_int_equal(uffdops_mprotect(mm, BASE + 41 * P, P, RO), -ENOMEM);
	/* munmap into three parts needs room too; trimming an end does not. */
	assert_int_equal(uffdops_munmap(mm, BASE + 41 * P, P), -ENOMEM);
	assert_int_equal(uffdops_munmap(mm, BASE + 40 * P, P), 0);
	uffdops_mm_destroy(mm);
}

static void tree_stress(void **state)
{
	struct uffdops_mm *mm = mm_new();
	static unsigned char shadow[512]; /* 1 = mapped RW, 2 = mapped RO */
	unsigned int seed = 12345, i, p;

	(void)state;
	memset(shadow, 0, sizeof(shadow));
	for (i = 0; i < 3000; i++) {
		unsigned int start = rand_r(&seed) % 512;
		unsigned int len = 1 + rand_r(&seed) % 16;
		unsigned int op = rand_r(&seed) % 3;

		if (start + len > 512)
			len = 512 - start;
		if (op == 0) {
			int prot = rand_r(&seed) & 1 ? RW : RO;

			map(mm, BASE + start * P, len * P, prot, PA | FX, NULL,
			    0);
			memset(shadow + start, prot == RW ? 1 : 2, len);
		} else if (op == 1) {
			assert_int_equal(uffdops_munmap(mm, BASE + start * P,
							len * P),
					 0);
			memset(shadow + start, 0, len);
		} else {
			/* mprotect succeeds only when the range has no hole. */
			bool hole = false;

			for (p = start; p < start + len; p++)
				hole |= !shadow[p];
			if (hole)
				continue;
			assert_int_equal(uffdops_mprotect(mm, BASE + start * P,
							  len * P, RO),
					 0);
			memset(shadow + start, 2, len);
		}
		if (i % 100 == 0)
			assert_true(vma_tree_validate(mm));
	}
	assert_true(vma_tree_validate(mm));
	for (p = 0; p < 512; p++) {
		struct uffdops_map m;
		bool mapped = vma_at(mm, BASE + p * P, &m);

		assert_int_equal(mapped, shadow[p] != 0);
		if (mapped)
			assert_int_equal(!!(m.vm_flags & VM_WRITE),
					 shadow[p] == 1);
	}
	uffdops_mm_destroy(mm);
}

static void maps_output(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", 4 * P);
	struct uffdops_map maps[4];
	char buf[1024], small[16], line[160];
	int n;

	(void)state;
	map(mm, BASE, 2 * P, RW, PA | FX, NULL, 0);
	map(mm, BASE + 4 * P, P, RO | PROT_EXEC, SA | FX, NULL, 0);
	map(mm, BASE + 8 * P, P, RO, MAP_SHARED | FX, f, 3);
	assert_int_equal(uffdops_maps(mm, maps, 4), 3);
	assert_int_equal(uffdops_maps(mm, maps, 1), 3);
	assert_string_equal(maps[0].memtype, "anon");
	assert_null(maps[0].inode);
	n = uffdops_maps_format(mm, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	snprintf(line, sizeof(line), "%lx-%lx rw-p 00000000 00:00 0 \n", BASE,
		 BASE + 2 * P);
	assert_memory_equal(buf, line, strlen(line));
	/* Named mappings: the name starts in column 74, as show_map_vma(). */
	assert_non_null(strstr(buf, "/dev/zero (deleted)"));
	assert_int_equal(strchr(strstr(buf, " r-xs "), '/') -
				 strstr(buf, "200000004000"),
			 73);
	assert_non_null(strstr(buf, " r--s 00003000 00:01 "));
	/* Truncated output still reports the whole length, NUL-terminated. */
	assert_int_equal(uffdops_maps_format(mm, small, sizeof(small)), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(uffdops_maps_format(mm, NULL, 0), n);
	uffdops_file_close(f);
	uffdops_mm_destroy(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(topdown_placement),
		cmocka_unit_test(thp_alignment),
		cmocka_unit_test(hints),
		cmocka_unit_test(hugetlb_placement),
		cmocka_unit_test(anon_mprotect_split_merge),
		cmocka_unit_test(account_flag_and_merge),
		cmocka_unit_test(anon_vma_and_pgoff_block_merge),
		cmocka_unit_test(file_merge_rules),
		cmocka_unit_test(uffd_modify_split_merge),
		cmocka_unit_test(uffd_modify_hugetlb_refuses_split),
		cmocka_unit_test(max_map_count),
		cmocka_unit_test(tree_stress),
		cmocka_unit_test(maps_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
