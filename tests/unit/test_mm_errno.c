/* SPDX-License-Identifier: MIT */
/*
 * test_mm_errno.c - every refusal of mmap, munmap, mprotect, madvise and
 * mremap, with the kernel's errno in the kernel's order, and that a refused
 * call changes nothing (or exactly what the kernel changes first).
 */
#include "mm_test.h"

#include "mm.h"

static void mmap_errors(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", 4 * P), *huge, *wo;

	(void)state;
	assert_int_equal(uffdops_mmap(NULL, 0, P, RW, PA, NULL, 0), -EINVAL);
	/* do_mmap(): zero length, then a length that wraps. */
	assert_int_equal(uffdops_mmap(mm, 0, 0, RW, PA, NULL, 0), -EINVAL);
	assert_int_equal(uffdops_mmap(mm, 0, ~0UL, RW, PA, NULL, 0), -ENOMEM);
	assert_int_equal(uffdops_mmap(mm, 0, P, RW, MAP_SHARED, f, ~0UL),
			 -EOVERFLOW);
	/* file_mmap_ok(): past MAX_LFS_FILESIZE. */
	assert_int_equal(uffdops_mmap(mm, 0, P, RW, MAP_SHARED, f, 1UL << 52),
			 -EOVERFLOW);
	/* ksys_mmap_pgoff(): no file; MAP_HUGETLB on a normal file. */
	assert_int_equal(uffdops_mmap(mm, 0, P, RW, MAP_PRIVATE, NULL, 0),
			 -EBADF);
	assert_int_equal(uffdops_mmap(mm, 0, P, RW, MAP_PRIVATE | MAP_HUGETLB,
				      f, 0),
			 -EINVAL);
	assert_int_equal(uffdops_mmap(mm, 0, P, RW,
				      PA | MAP_HUGETLB | (30 << MAP_HUGE_SHIFT),
				      NULL, 0),
			 -ENOMEM);
	assert_int_equal(uffdops_mmap(mm, 0, P, RW,
				      PA | MAP_HUGETLB | (16 << MAP_HUGE_SHIFT),
				      NULL, 0),
			 -EINVAL);
	/* MAP_FIXED: misaligned, too high. */
	assert_int_equal(uffdops_mmap(mm, BASE + 1, P, RW, PA | FX, NULL, 0),
			 -EINVAL);
	assert_int_equal(uffdops_mmap(mm, UFFDOPS_TASK_SIZE - P, 2 * P, RW,
				      PA | FX, NULL, 0),
			 -ENOMEM);
	/* MAP_FIXED_NOREPLACE over a mapping. */
	map(mm, BASE, 2 * P, RW, PA | FX, NULL, 0);
	assert_int_equal(uffdops_mmap(mm, BASE + P, 2 * P, RW,
				      PA | MAP_FIXED_NOREPLACE, NULL, 0),
			 -EEXIST);
	map(mm, BASE + 2 * P, P, RW, PA | MAP_FIXED_NOREPLACE, NULL, 0);
	/* Bad MAP_TYPE, anonymous and file. */
	assert_int_equal(uffdops_mmap(mm, 0, P, RW, MAP_ANONYMOUS, NULL, 0),
			 -EINVAL);
	assert_int_equal(uffdops_mmap(mm, 0, P, RW,
				      MAP_SHARED_VALIDATE | MAP_ANONYMOUS, NULL,
				      0),
			 -EINVAL);
	assert_int_equal(uffdops_mmap(mm, 0, P, RW, 0, f, 0), -EINVAL);
	/* MAP_SHARED_VALIDATE refuses unknown flags (MAP_SYNC here). */
	assert_int_equal(uffdops_mmap(mm, 0, P, RW,
				      MAP_SHARED_VALIDATE | 0x80000, f, 0),
			 -EOPNOTSUPP);
	assert_true(uffdops_mmap(mm, 0, P, RW, MAP_SHARED | 0x80000, f, 0) > 0);
	/* MAP_DROPPABLE with MAP_HUGETLB or MAP_LOCKED. */
	assert_int_equal(uffdops_mmap(mm, 0, P, RW,
				      MAP_DROPPABLE | MAP_ANONYMOUS |
					      MAP_HUGETLB,
				      NULL, 0),
			 -EINVAL);
	assert_int_equal(uffdops_mmap(mm, 0, P, RW,
				      MAP_DROPPABLE | MAP_ANONYMOUS |
					      MAP_LOCKED,
				      NULL, 0),
			 -EINVAL);
	/* MAP_GROWSDOWN is only for private anonymous memory. */
	assert_int_equal(uffdops_mmap(mm, 0, P, RW, SA | MAP_GROWSDOWN, NULL,
				      0),
			 -EINVAL);
	/* hugetlb: MAP_FIXED not aligned, pgoff not aligned. */
	huge = file_new("hugetlb", 2 * H);
	assert_int_equal(uffdops_mmap(mm, BASE + H + P, H, RW, MAP_SHARED | FX,
				      huge, 0),
			 -EINVAL);
	assert_int_equal(uffdops_mmap(mm, 0, H, RW, MAP_SHARED, huge, 1),
			 -EINVAL);
	/* A write-only file cannot be mapped at all. */
	assert_int_equal(uffdops_file_open(f, O_WRONLY, &wo), 0);
	assert_int_equal(uffdops_mmap(mm, 0, P, RO, MAP_SHARED, wo, 0),
			 -EACCES);
	assert_int_equal(uffdops_mmap(mm, 0, P, RO, MAP_PRIVATE, wo, 0),
			 -EACCES);
	/* Nothing of the refused calls stayed mapped. */
	assert_int_equal(nr_vmas(mm), 2);
	uffdops_file_close(wo);
	uffdops_file_close(huge);
	uffdops_file_close(f);
	uffdops_mm_destroy(mm);
}

static void readonly_file(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("file", 4 * P), *ro;
	struct uffdops_map m;

	(void)state;
	assert_int_equal(uffdops_file_open(f, O_RDONLY, &ro), 0);
	/* PROT_WRITE on a shared mapping of a read-only file: EACCES. */
	assert_int_equal(uffdops_mmap(mm, 0, P, RW, MAP_SHARED, ro, 0),
			 -EACCES);
	/* Read-only shared: VM_MAYSHARE without VM_SHARED and VM_MAYWRITE. */
	map(mm, BASE, P, RO, MAP_SHARED | FX, ro, 0);
	assert_true(vma_at(mm, BASE, &m));
	assert_true(m.vm_flags & VM_MAYSHARE);
	assert_false(m.vm_flags & (VM_SHARED | VM_MAYWRITE));
	assert_int_equal(uffdops_mprotect(mm, BASE, P, RW), -EACCES);
	/* Private: copy on write, so writing is allowed. */
	map(mm, BASE + 2 * P, P, RW, MAP_PRIVATE | FX, ro, 0);
	assert_true(vma_at(mm, BASE + 2 * P, &m));
	assert_true(m.vm_flags & VM_MAYWRITE);
	wr8(mm, BASE + 2 * P, 5);
	assert_int_equal(rd8(mm, BASE), 0);
	uffdops_file_close(ro);
	uffdops_file_close(f);
	uffdops_mm_destroy(mm);
}

static void munmap_errors(void **state)
{
	struct uffdops_mm *mm = mm_new();

	(void)state;
	assert_int_equal(uffdops_munmap(NULL, BASE, P), -EINVAL);
	assert_int_equal(uffdops_munmap(mm, BASE + 1, P), -EINVAL);
	assert_int_equal(uffdops_munmap(mm, BASE, 0), -EINVAL);
	assert_int_equal(uffdops_munmap(mm, UFFDOPS_TASK_SIZE + P, P), -EINVAL);
	assert_int_equal(uffdops_munmap(mm, BASE, UFFDOPS_TASK_SIZE), -EINVAL);
	/* Nothing mapped there: success. */
	assert_int_equal(uffdops_munmap(mm, BASE, P), 0);
	/* A hugetlb mapping cannot lose part of a huge page. */
	map(mm, BASE, 2 * H, RW, PA | FX | MAP_HUGETLB, NULL, 0);
	assert_int_equal(uffdops_munmap(mm, BASE, P), -EINVAL);
	assert_int_equal(uffdops_munmap(mm, BASE + P, H), -EINVAL);
	assert_int_equal(nr_vmas(mm), 1);
	assert_int_equal(uffdops_munmap(mm, BASE, H), 0);
	assert_vma(mm, BASE + H, BASE + 2 * H);
	/* Partial and spanning unmaps. */
	map(mm, BASE + 8 * H, 4 * P, RW, PA | FX, NULL, 0);
	map(mm, BASE + 8 * H + 5 * P, 2 * P, RO, PA | FX, NULL, 0);
	assert_int_equal(uffdops_munmap(mm, BASE + 8 * H + P, 5 * P), 0);
	assert_vma(mm, BASE + 8 * H, BASE + 8 * H + P);
	assert_vma(mm, BASE + 8 * H + 6 * P, BASE + 8 * H + 7 * P);
	uffdops_mm_destroy(mm);
}

static void mprotect_errors(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_map m;

	(void)state;
	assert_int_equal(uffdops_mprotect(mm, BASE + 1, P, RO), -EINVAL);
	assert_int_equal(uffdops_mprotect(mm, BASE, P,
					  RO | PROT_GROWSDOWN | PROT_GROWSUP),
			 -EINVAL);
	/* Zero length succeeds even unmapped. */
	assert_int_equal(uffdops_mprotect(mm, BASE, 0, RO), 0);
	assert_int_equal(uffdops_mprotect(mm, BASE, ~0UL, RO), -ENOMEM);
	assert_int_equal(uffdops_mprotect(mm, BASE, P, 0x10), -EINVAL);
	/* Nothing mapped at all, or a hole at the start. */
	assert_int_equal(uffdops_mprotect(mm, BASE, P, RO), -ENOMEM);
	map(mm, BASE + P, 2 * P, RW, PA | FX, NULL, 0);
	map(mm, BASE + 4 * P, 2 * P, RW, PA | FX, NULL, 0);
	assert_int_equal(uffdops_mprotect(mm, BASE, 2 * P, RO), -ENOMEM);
	assert_true(vma_at(mm, BASE + P, &m));
	assert_true(m.vm_flags & VM_WRITE);
	/* A hole in the middle: the first VMA was already changed. */
	assert_int_equal(uffdops_mprotect(mm, BASE + P, 5 * P, RO), -ENOMEM);
	assert_true(vma_at(mm, BASE + P, &m));
	assert_false(m.vm_flags & VM_WRITE);
	assert_true(vma_at(mm, BASE + 4 * P, &m));
	assert_true(m.vm_flags & VM_WRITE);
	/* Running past the last VMA: changed up to it, then -ENOMEM. */
	assert_int_equal(uffdops_mprotect(mm, BASE + 4 * P, 4 * P, RO),
			 -ENOMEM);
	assert_true(vma_at(mm, BASE + 4 * P, &m));
	assert_false(m.vm_flags & VM_WRITE);
	/* PROT_GROWSDOWN needs a VM_GROWSDOWN VMA. */
	assert_int_equal(uffdops_mprotect(mm, BASE + 4 * P, P,
					  RO | PROT_GROWSDOWN),
			 -EINVAL);
	/* hugetlb: no split inside a huge page, unless nothing changes. */
	map(mm, BASE + 2 * H, 2 * H, RW, PA | FX | MAP_HUGETLB, NULL, 0);
	assert_int_equal(uffdops_mprotect(mm, BASE + 2 * H, P, RO), -EINVAL);
	assert_int_equal(uffdops_mprotect(mm, BASE + 2 * H, P, RW), 0);
	assert_int_equal(uffdops_mprotect(mm, BASE + 2 * H, H, RO), 0);
	uffdops_mm_destroy(mm);
}

static void madvise_errors(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", 4 * P);

	(void)state;
	assert_int_equal(uffdops_madvise(mm, BASE, P, 1000), -EINVAL);
	assert_int_equal(uffdops_madvise(mm, BASE + 1, P, MADV_DONTNEED),
			 -EINVAL);
	assert_int_equal(uffdops_madvise(mm, BASE, ~0UL, MADV_DONTNEED),
			 -EINVAL);
	assert_int_equal(uffdops_madvise(mm, ~0UL & PAGE_MASK, 2 * P,
					 MADV_DONTNEED),
			 -EINVAL);
	assert_int_equal(uffdops_madvise(mm, BASE, 0, MADV_DONTNEED), 0);
	/* Nothing mapped: -ENOMEM. */
	assert_int_equal(uffdops_madvise(mm, BASE, P, MADV_DONTNEED), -ENOMEM);
	/* A hole: the rest is still processed, then -ENOMEM. */
	map(mm, BASE, P, RW, PA | FX, NULL, 0);
	map(mm, BASE + 2 * P, P, RW, PA | FX, NULL, 0);
	wr8(mm, BASE, 1);
	wr8(mm, BASE + 2 * P, 2);
	assert_int_equal(uffdops_madvise(mm, BASE, 3 * P, MADV_DONTNEED),
			 -ENOMEM);
	assert_int_equal(rd8(mm, BASE), 0);
	assert_int_equal(rd8(mm, BASE + 2 * P), 0);
	/* MADV_FREE is for anonymous memory; MADV_REMOVE for shared files. */
	map(mm, BASE + 8 * P, P, RW, MAP_SHARED | FX, f, 0);
	assert_int_equal(uffdops_madvise(mm, BASE + 8 * P, P, MADV_FREE),
			 -EINVAL);
	assert_int_equal(uffdops_madvise(mm, BASE, P, MADV_REMOVE), -EINVAL);
	map(mm, BASE + 10 * P, P, RW, MAP_PRIVATE | FX, f, 0);
	assert_int_equal(uffdops_madvise(mm, BASE + 10 * P, P, MADV_REMOVE),
			 -EACCES);
	/* VM_LOCKED refuses MADV_DONTNEED but not MADV_DONTNEED_LOCKED. */
	map(mm, BASE + 12 * P, P, RW, PA | FX | MAP_LOCKED, NULL, 0);
	assert_int_equal(uffdops_madvise(mm, BASE + 12 * P, P, MADV_DONTNEED),
			 -EINVAL);
	assert_int_equal(
		uffdops_madvise(mm, BASE + 12 * P, P, MADV_DONTNEED_LOCKED), 0);
	assert_int_equal(uffdops_madvise(mm, BASE + 12 * P, P,
					 MADV_GUARD_INSTALL),
			 -EINVAL);
	/* hugetlb: no MADV_FREE, no guard, DONTNEED only from a huge boundary. */
	map(mm, BASE + 2 * H, H, RW, PA | FX | MAP_HUGETLB, NULL, 0);
	assert_int_equal(uffdops_madvise(mm, BASE + 2 * H, H, MADV_FREE),
			 -EINVAL);
	assert_int_equal(uffdops_madvise(mm, BASE + 2 * H, P,
					 MADV_GUARD_INSTALL),
			 -EINVAL);
	assert_int_equal(uffdops_madvise(mm, BASE + 2 * H + P, P,
					 MADV_DONTNEED),
			 -EINVAL);
	/* Fork advice. */
	assert_int_equal(uffdops_madvise(mm, BASE + 8 * P, P, MADV_WIPEONFORK),
			 -EINVAL);
	map(mm, BASE + 20 * P, P, RW, MAP_DROPPABLE | MAP_ANONYMOUS | FX, NULL,
	    0);
	assert_int_equal(uffdops_madvise(mm, BASE + 20 * P, P, MADV_KEEPONFORK),
			 -EINVAL);
	assert_int_equal(uffdops_madvise(mm, BASE + 20 * P, P, MADV_DODUMP),
			 -EINVAL);
	uffdops_file_close(f);
	uffdops_mm_destroy(mm);
}

static void populate_errors(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", P);

	(void)state;
	map(mm, BASE, 2 * P, RO, PA | FX, NULL, 0);
	assert_int_equal(uffdops_madvise(mm, BASE, 2 * P, MADV_POPULATE_WRITE),
			 -EINVAL);
	assert_int_equal(uffdops_madvise(mm, BASE, 2 * P, MADV_POPULATE_READ),
			 0);
	assert_true(pm_flags(mm, BASE + P) & PM_P);
	/* A hole after populated pages: those stay, then -ENOMEM. */
	map(mm, BASE + 4 * P, P, RW, PA | FX, NULL, 0);
	assert_int_equal(uffdops_madvise(mm, BASE + 4 * P, 2 * P,
					 MADV_POPULATE_WRITE),
			 -ENOMEM);
	assert_int_equal(pm_flags(mm, BASE + 4 * P), PM_P | PM_X);
	/* PROT_NONE cannot be populated. */
	map(mm, BASE + 8 * P, P, PROT_NONE, PA | FX, NULL, 0);
	assert_int_equal(uffdops_madvise(mm, BASE + 8 * P, P,
					 MADV_POPULATE_READ),
			 -EINVAL);
	/* SIGBUS (past EOF) and SIGSEGV (guard) become -EFAULT. */
	map(mm, BASE + 10 * P, 2 * P, RW, MAP_SHARED | FX, f, 0);
	assert_int_equal(uffdops_madvise(mm, BASE + 10 * P, 2 * P,
					 MADV_POPULATE_READ),
			 -EFAULT);
	assert_true(pm_flags(mm, BASE + 10 * P) & PM_P);
	map(mm, BASE + 12 * P, 2 * P, RW, PA | FX, NULL, 0);
	assert_int_equal(
		uffdops_madvise(mm, BASE + 13 * P, P, MADV_GUARD_INSTALL), 0);
	assert_int_equal(uffdops_madvise(mm, BASE + 12 * P, 2 * P,
					 MADV_POPULATE_WRITE),
			 -EFAULT);
	uffdops_file_close(f);
	uffdops_mm_destroy(mm);
}

static void mremap_errors(void **state)
{
	struct uffdops_mm *mm = mm_new();

	(void)state;
	assert_int_equal(uffdops_mremap(mm, BASE, P, P, 8, 0), -EINVAL);
	assert_int_equal(uffdops_mremap(mm, BASE + 1, P, P, 0, 0), -EINVAL);
	assert_int_equal(uffdops_mremap(mm, BASE, P, 0, 0, 0), -EINVAL);
	assert_int_equal(uffdops_mremap(mm, BASE, P, UFFDOPS_TASK_SIZE + P, 0,
					0),
			 -EINVAL);
	/* new_addr is only checked when it is used (here: no VMA, -EFAULT). */
	assert_int_equal(uffdops_mremap(mm, BASE, P, P, 0, UFFDOPS_TASK_SIZE),
			 -EFAULT);
	assert_int_equal(uffdops_mremap(mm, BASE, P, P,
					MREMAP_FIXED | MREMAP_MAYMOVE,
					UFFDOPS_TASK_SIZE),
			 -EINVAL);
	assert_int_equal(uffdops_mremap(mm, BASE, P, P, MREMAP_FIXED,
					BASE + 8 * P),
			 -EINVAL);
	assert_int_equal(uffdops_mremap(mm, BASE, P, P,
					MREMAP_FIXED | MREMAP_MAYMOVE,
					BASE + 8 * P + 1),
			 -EINVAL);
	assert_int_equal(uffdops_mremap(mm, BASE, P, 2 * P,
					MREMAP_DONTUNMAP | MREMAP_MAYMOVE, 0),
			 -EINVAL);
	assert_int_equal(uffdops_mremap(mm, BASE, 2 * P, 2 * P,
					MREMAP_FIXED | MREMAP_MAYMOVE,
					BASE + P),
			 -EINVAL);
	/* No VMA at the old address. */
	assert_int_equal(uffdops_mremap(mm, BASE, P, 2 * P, MREMAP_MAYMOVE, 0),
			 -EFAULT);
	map(mm, BASE, 2 * P, RW, PA | FX, NULL, 0);
	map(mm, BASE + 2 * P, P, RO, PA | FX, NULL, 0);
	/* The old range must fit in one VMA when growing or moving. */
	assert_int_equal(uffdops_mremap(mm, BASE, 3 * P, 4 * P, MREMAP_MAYMOVE,
					0),
			 -EFAULT);
	/* Blocked growth without MREMAP_MAYMOVE. */
	assert_int_equal(uffdops_mremap(mm, BASE, 2 * P, 3 * P, 0, 0), -ENOMEM);
	/* A private mapping cannot be duplicated with old_len 0. */
	assert_int_equal(uffdops_mremap(mm, BASE, 0, P, MREMAP_MAYMOVE, 0),
			 -EINVAL);
	/* hugetlb: no growth, aligned addresses, no MREMAP_DONTUNMAP. */
	map(mm, BASE + 2 * H, H, RW, PA | FX | MAP_HUGETLB, NULL, 0);
	assert_int_equal(uffdops_mremap(mm, BASE + 2 * H, H, 2 * H,
					MREMAP_MAYMOVE, 0),
			 -EINVAL);
	assert_int_equal(uffdops_mremap(mm, BASE + 2 * H + P, P, P,
					MREMAP_MAYMOVE, 0),
			 -EINVAL);
	assert_int_equal(uffdops_mremap(mm, BASE + 2 * H, H, H,
					MREMAP_DONTUNMAP | MREMAP_MAYMOVE, 0),
			 -EINVAL);
	assert_int_equal(nr_vmas(mm), 3);
	uffdops_mm_destroy(mm);
}

static void config_and_null_args(void **state)
{
	struct uffdops_mm *mm = mm_new(), *child;
	struct uffdops_pagemap_entry e;

	(void)state;
	assert_int_equal(uffdops_mm_create(NULL), -EINVAL);
	assert_int_equal(uffdops_mm_config(NULL, UFFDOPS_MM_NO_ZERO_PAGE, 1),
			 -EINVAL);
	assert_int_equal(uffdops_mm_config(mm, (enum uffdops_mm_key)99, 1),
			 -EINVAL);
	assert_int_equal(uffdops_mm_config(mm, UFFDOPS_MM_NO_ZERO_PAGE, 2),
			 -EINVAL);
	assert_int_equal(uffdops_mm_config(mm, UFFDOPS_MM_CAP_SYS_PTRACE, 0),
			 0);
	assert_int_equal(
		uffdops_mm_config(mm, UFFDOPS_MM_UNPRIVILEGED_USERFAULTFD, 1),
		0);
	assert_int_equal(uffdops_fork(NULL, &child), -EINVAL);
	assert_int_equal(uffdops_fork(mm, NULL), -EINVAL);
	assert_int_equal(uffdops_pagemap(NULL, BASE, &e), -EINVAL);
	assert_int_equal(uffdops_pagemap(mm, BASE, NULL), -EINVAL);
	assert_int_equal(uffdops_maps(NULL, NULL, 0), -EINVAL);
	assert_int_equal(uffdops_handle_mm_fault(NULL, BASE, 0),
			 VM_FAULT_SIGSEGV);
	assert_int_equal(uffdops_read_mem(NULL, BASE, &e, 1, 0), -EFAULT);
	assert_int_equal(uffdops_mremap(NULL, BASE, P, P, 0, 0), -EINVAL);
	assert_int_equal(uffdops_mprotect(NULL, BASE, P, RO), -EINVAL);
	assert_int_equal(uffdops_madvise(NULL, BASE, P, MADV_DONTNEED),
			 -EINVAL);
	uffdops_mm_destroy(NULL);
	uffdops_mm_destroy(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mmap_errors),
		cmocka_unit_test(readonly_file),
		cmocka_unit_test(munmap_errors),
		cmocka_unit_test(mprotect_errors),
		cmocka_unit_test(madvise_errors),
		cmocka_unit_test(populate_errors),
		cmocka_unit_test(mremap_errors),
		cmocka_unit_test(config_and_null_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
