/* SPDX-License-Identifier: MIT */
/*
 * test_fault.c - the fault path and CPU-like access: zero page, CoW,
 * page-cache sharing, SIGSEGV/SIGBUS, markers, forced and no-fault access,
 * huge pages, fault-around, pagemap bits, and threads faulting at once.
 */
#include "mm_test.h"

#include <pthread.h>

#include "fault.h"
#include "mm.h"

/* Installs @pte at @addr directly, as the later fill ioctls will. */
static void set_entry(struct uffdops_mm *mm, unsigned long addr,
		      enum pt_level level, struct pte pte)
{
	pt_lock(mm);
	assert_int_equal(pgtable_set(&mm->pgt, addr, level, pte), 0);
	pt_unlock(mm);
}

static void anon_zero_page_then_cow(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_pagemap_entry e;
	__u64 pfn;

	(void)state;
	map(mm, BASE, 2 * P, RW, PA | FX, NULL, 0);
	assert_int_equal(pm_bits(mm, BASE), 0);
	/* A read fault maps the shared zero page: present, nothing else. */
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE, FAULT_FLAG_USER), 0);
	assert_int_equal(uffdops_pagemap(mm, BASE, &e), 0);
	assert_int_equal(e.bits, PM_P);
	assert_true(e.zero_page);
	assert_int_equal(rd8(mm, BASE + 10), 0);
	/* A write replaces it by an exclusive anonymous page. */
	wr8(mm, BASE + 10, 0x42);
	assert_int_equal(uffdops_pagemap(mm, BASE, &e), 0);
	assert_int_equal(e.bits & PM_FLAGS, PM_P | PM_X);
	assert_false(e.zero_page);
	pfn = e.bits & UFFDOPS_PM_PFN_MASK;
	assert_true(pfn != 0);
	assert_int_equal(rd8(mm, BASE + 10), 0x42);
	/* Writing again reuses the page. */
	wr8(mm, BASE + 11, 0x43);
	assert_int_equal(pm_pfn(mm, BASE), pfn);
	/* A write fault on an untouched page allocates at once. */
	assert_int_equal(
		uffdops_handle_mm_fault(mm, BASE + P, FAULT_FLAG_WRITE), 0);
	assert_int_equal(pm_flags(mm, BASE + P), PM_P | PM_X);
	assert_true(pm_pfn(mm, BASE + P) != pfn);
	uffdops_mm_destroy(mm);
}

static void no_zero_page_switch(void **state)
{
	struct uffdops_mm *mm = mm_new();
	__u64 pfn;

	(void)state;
	assert_int_equal(uffdops_mm_config(mm, UFFDOPS_MM_NO_ZERO_PAGE, 1), 0);
	map(mm, BASE, P, RW, PA | FX, NULL, 0);
	/* pvm_no_zero_page=1: a read fault maps a real exclusive page. */
	assert_int_equal(rd8(mm, BASE), 0);
	assert_int_equal(pm_flags(mm, BASE), PM_P | PM_X);
	pfn = pm_pfn(mm, BASE);
	assert_true(pfn != 0);
	/* ...already writable: a write does not move it. */
	wr8(mm, BASE, 9);
	assert_int_equal(pm_pfn(mm, BASE), pfn);
	uffdops_mm_destroy(mm);
}

static void access_errors(void **state)
{
	struct uffdops_mm *mm = mm_new();

	(void)state;
	/* No VMA, wrong protection: SIGSEGV. */
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE, 0),
			 VM_FAULT_SIGSEGV);
	assert_int_equal(uffdops_handle_mm_fault(mm, UFFDOPS_TASK_SIZE, 0),
			 VM_FAULT_SIGSEGV);
	map(mm, BASE, P, RO, PA | FX, NULL, 0);
	map(mm, BASE + P, P, PROT_NONE, PA | FX, NULL, 0);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE, FAULT_FLAG_WRITE),
			 VM_FAULT_SIGSEGV);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE,
						 FAULT_FLAG_INSTRUCTION),
			 VM_FAULT_SIGSEGV);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE + P, 0),
			 VM_FAULT_SIGSEGV);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE, 0), 0);
	/* Nothing was installed by the refused faults. */
	assert_int_equal(pm_bits(mm, BASE + P), 0);
	assert_int_equal(uffdops_mprotect(mm, BASE, P, RO | PROT_EXEC), 0);
	assert_int_equal(
		uffdops_handle_mm_fault(mm, BASE, FAULT_FLAG_INSTRUCTION), 0);
	uffdops_mm_destroy(mm);
}

static void shared_mappings_share_the_cache(void **state)
{
	struct uffdops_mm *mm = mm_new(), *other = mm_new();
	struct uffdops_file *f = file_new("shmem", 2 * P);
	char buf[6] = { 0 };

	(void)state;
	map(mm, BASE, 2 * P, RW, MAP_SHARED | FX, f, 0);
	map(mm, BASE + 4 * P, 2 * P, RW, MAP_SHARED | FX, f, 0);
	map(other, BASE, 2 * P, RW, MAP_SHARED | FX, f, 0);
	assert_int_equal(uffdops_write_mem(mm, BASE + 100, "hello", 6, 0), 6);
	/* Only one entry maps the page: file and exclusive. */
	assert_int_equal(pm_flags(mm, BASE), PM_P | PM_F | PM_X);
	assert_int_equal(uffdops_read_mem(other, BASE + 100, buf, 6, 0), 6);
	assert_string_equal(buf, "hello");
	/* Mapped twice now: not exclusive anywhere, same frame. */
	assert_int_equal(pm_flags(mm, BASE), PM_P | PM_F);
	assert_int_equal(pm_pfn(mm, BASE), pm_pfn(other, BASE));
	wr8(other, BASE + 100, 'j');
	assert_int_equal(rd8(mm, BASE + 4 * P + 100), 'j');
	/* Shared anonymous memory is shmem: the file bit too. */
	map(mm, BASE + 8 * P, P, RW, SA | FX, NULL, 0);
	wr8(mm, BASE + 8 * P, 1);
	assert_int_equal(pm_flags(mm, BASE + 8 * P), PM_P | PM_F | PM_X);
	uffdops_mm_destroy(other);
	uffdops_mm_destroy(mm);
	uffdops_file_close(f);
}

static void private_file_copy_on_write(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", 2 * P);

	(void)state;
	map(mm, BASE, 2 * P, RW, MAP_SHARED | FX, f, 0);
	map(mm, BASE + 4 * P, 2 * P, RW, MAP_PRIVATE | FX, f, 0);
	wr8(mm, BASE, 'a');
	wr8(mm, BASE + P, 'b');
	/* A private read maps the cached page (read-only): same frame. */
	assert_int_equal(rd8(mm, BASE + 4 * P), 'a');
	assert_int_equal(pm_flags(mm, BASE + 4 * P), PM_P | PM_F);
	assert_int_equal(pm_pfn(mm, BASE + 4 * P), pm_pfn(mm, BASE));
	/* A private write copies: anonymous and exclusive, cache untouched. */
	wr8(mm, BASE + 4 * P, 'c');
	assert_int_equal(pm_flags(mm, BASE + 4 * P), PM_P | PM_X);
	assert_int_equal(rd8(mm, BASE), 'a');
	assert_int_equal(rd8(mm, BASE + 4 * P), 'c');
	/* The copy no longer follows the file; the other page still does. */
	wr8(mm, BASE, 'd');
	wr8(mm, BASE + P, 'e');
	assert_int_equal(rd8(mm, BASE + 4 * P), 'c');
	assert_int_equal(rd8(mm, BASE + 5 * P), 'e');
	/* MADV_DONTNEED drops the copy: the file shows through again. */
	assert_int_equal(uffdops_madvise(mm, BASE + 4 * P, P, MADV_DONTNEED),
			 0);
	assert_int_equal(rd8(mm, BASE + 4 * P), 'd');
	uffdops_mm_destroy(mm);
	uffdops_file_close(f);
}

static void sigbus_past_eof_and_truncate(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", P);
	char buf[2 * 4096];

	(void)state;
	map(mm, BASE, 2 * P, RW, MAP_SHARED | FX, f, 0);
	map(mm, BASE + 4 * P, 2 * P, RW, MAP_PRIVATE | FX, f, 0);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE + P, 0),
			 VM_FAULT_SIGBUS);
	/* An access stops at the first failing page. */
	assert_int_equal(uffdops_read_mem(mm, BASE, buf, sizeof(buf), 0), P);
	assert_int_equal(uffdops_read_mem(mm, BASE + P, buf, 1, 0), -EFAULT);
	assert_int_equal(uffdops_file_truncate(f, 2 * P), 0);
	wr8(mm, BASE + P, 7);
	wr8(mm, BASE + 5 * P, 8);
	assert_int_equal(pm_flags(mm, BASE + 5 * P), PM_P | PM_X);
	/* Shrinking unmaps the page everywhere, private copies included. */
	assert_int_equal(uffdops_file_truncate(f, P), 0);
	assert_int_equal(pm_bits(mm, BASE + P), 0);
	assert_int_equal(pm_bits(mm, BASE + 5 * P), 0);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE + 5 * P, 0),
			 VM_FAULT_SIGBUS);
	assert_true(pm_flags(mm, BASE) & PM_P);
	/* Growing again gives a fresh zero page. */
	assert_int_equal(uffdops_file_truncate(f, 2 * P), 0);
	assert_int_equal(rd8(mm, BASE + P), 0);
	uffdops_mm_destroy(mm);
	uffdops_file_close(f);
}

static void markers(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_pagemap_entry e;
	char c;

	(void)state;
	map(mm, BASE, 4 * P, RW, PA | FX, NULL, 0);
	wr8(mm, BASE, 1);
	/* Guard: installing zaps the page; access is SIGSEGV. */
	assert_int_equal(uffdops_madvise(mm, BASE, 2 * P, MADV_GUARD_INSTALL),
			 0);
	assert_int_equal(uffdops_pagemap(mm, BASE, &e), 0);
	assert_int_equal(e.bits & PM_FLAGS, PM_S | PM_G);
	assert_int_equal(e.marker, UFFDOPS_MARKER_GUARD);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE + P,
						 FAULT_FLAG_WRITE),
			 VM_FAULT_SIGSEGV);
	assert_int_equal(uffdops_read_mem(mm, BASE, &c, 1,
					  UFFDOPS_ACCESS_FORCE),
			 -EFAULT);
	/* MADV_DONTNEED leaves guards in place; GUARD_REMOVE takes them. */
	assert_int_equal(uffdops_madvise(mm, BASE, 2 * P, MADV_DONTNEED), 0);
	assert_int_equal(pm_flags(mm, BASE), PM_S | PM_G);
	assert_int_equal(uffdops_madvise(mm, BASE, P, MADV_GUARD_REMOVE), 0);
	assert_int_equal(pm_bits(mm, BASE), 0);
	assert_int_equal(rd8(mm, BASE), 0);
	/* Poison: SIGBUS; MADV_POPULATE says EHWPOISON; DONTNEED clears it. */
	set_entry(mm, BASE + 2 * P, PT_LEVEL_PTE,
		  make_pte_marker(PTE_MARKER_POISONED));
	assert_int_equal(uffdops_pagemap(mm, BASE + 2 * P, &e), 0);
	assert_int_equal(e.bits & PM_FLAGS, PM_S);
	assert_int_equal(e.marker, UFFDOPS_MARKER_POISON);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE + 2 * P, 0),
			 VM_FAULT_SIGBUS);
	assert_int_equal(uffdops_madvise(mm, BASE + 2 * P, P,
					 MADV_POPULATE_READ),
			 -EHWPOISON);
	assert_int_equal(uffdops_madvise(mm, BASE + 2 * P, P, MADV_DONTNEED),
			 0);
	assert_int_equal(pm_bits(mm, BASE + 2 * P), 0);
	/* A uffd-wp marker: swap + uffd-wp; on an anon VMA not registered for
	 * WP it is stale and the fault clears it. */
	set_entry(mm, BASE + 3 * P, PT_LEVEL_PTE,
		  make_pte_marker(PTE_MARKER_UFFD_WP));
	assert_int_equal(uffdops_pagemap(mm, BASE + 3 * P, &e), 0);
	assert_int_equal(e.bits & PM_FLAGS, PM_S | PM_W);
	assert_int_equal(e.bits & UFFDOPS_PM_PFN_MASK, 0x1f | (1 << 5));
	assert_int_equal(rd8(mm, BASE + 3 * P), 0);
	assert_int_equal(pm_flags(mm, BASE + 3 * P), PM_P);
	uffdops_mm_destroy(mm);
}

static void uffd_wp_bits(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx;
	struct userfaultfd_ctx *uctx = plain_uffd_ctx(mm, &ctx);
	struct uffdops_vma *vma;

	(void)state;
	map(mm, BASE, 2 * P, RW, PA | FX, NULL, 0);
	map(mm, BASE + 2 * H, 2 * H, RW, PA | FX | MAP_HUGETLB, NULL, 0);
	/* Register the anon VMA for WP so that its marker is honoured. */
	mmap_write_lock(mm);
	vma = vma_lookup(mm, BASE);
	assert_int_equal(vma_modify_flags_uffd(mm, &vma, BASE, BASE + 2 * P,
					       vma->vm_flags | VM_UFFD_WP,
					       uctx),
			 0);
	mmap_write_unlock(mm);
	set_entry(mm, BASE, PT_LEVEL_PTE, make_pte_marker(PTE_MARKER_UFFD_WP));
	/* A read through the marker keeps the protection on the zero page. */
	assert_int_equal(rd8(mm, BASE), 0);
	assert_int_equal(pm_flags(mm, BASE), PM_P | PM_W);
	/* A present page with the uffd-wp bit. */
	wr8(mm, BASE + P, 1);
	pt_lock(mm);
	{
		struct pte pte = pgtable_get(&mm->pgt, BASE + P, PT_LEVEL_PTE);

		pgtable_set(&mm->pgt, BASE + P, PT_LEVEL_PTE,
			    pte_mkuffd_wp(pte));
	}
	pt_unlock(mm);
	assert_int_equal(pm_flags(mm, BASE + P), PM_P | PM_X | PM_W);
	/* hugetlb markers: uffd-wp shows bit 57 only, poison shows nothing. */
	set_entry(mm, BASE + 2 * H, PT_LEVEL_PMD,
		  make_pte_marker(PTE_MARKER_UFFD_WP));
	set_entry(mm, BASE + 3 * H, PT_LEVEL_PMD,
		  make_pte_marker(PTE_MARKER_POISONED));
	assert_int_equal(pm_bits(mm, BASE + 2 * H + 5 * P), PM_W);
	assert_int_equal(pm_bits(mm, BASE + 3 * H), 0);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE + 3 * H + P, 0),
			 VM_FAULT_SIGBUS);
	/* munmap drops every marker. */
	assert_int_equal(uffdops_munmap(mm, BASE, 4 * H), 0);
	assert_int_equal(mm->pgt.nr_entries, 0);
	assert_int_equal(mm->pgt.nr_tables, 0);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

static void forced_and_nofault_access(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", P), *ro;
	unsigned char c = 0x5a;

	(void)state;
	map(mm, BASE, P, RO, PA | FX, NULL, 0);
	map(mm, BASE + P, P, PROT_NONE, PA | FX, NULL, 0);
	/* NOFAULT touches only what is mapped. */
	assert_int_equal(uffdops_read_mem(mm, BASE, &c, 1,
					  UFFDOPS_ACCESS_NOFAULT),
			 -EFAULT);
	assert_int_equal(pm_bits(mm, BASE), 0);
	/* Without FORCE protections hold. */
	assert_int_equal(uffdops_write_mem(mm, BASE, &c, 1, 0), -EFAULT);
	assert_int_equal(uffdops_read_mem(mm, BASE + P, &c, 1, 0), -EFAULT);
	/* FOLL_FORCE writes a private read-only mapping through a CoW copy. */
	c = 0x5a;
	assert_int_equal(
		uffdops_write_mem(mm, BASE, &c, 1, UFFDOPS_ACCESS_FORCE), 1);
	assert_int_equal(pm_flags(mm, BASE), PM_P | PM_X);
	assert_int_equal(rd8(mm, BASE), 0x5a);
	/* The VMA stays read-only and a second forced write reuses the copy. */
	assert_int_equal(uffdops_write_mem(mm, BASE, &c, 1, 0), -EFAULT);
	assert_int_equal(uffdops_write_mem(mm, BASE, &c, 1,
					   UFFDOPS_ACCESS_FORCE |
						   UFFDOPS_ACCESS_NOFAULT),
			 1);
	/* FORCE reads PROT_NONE memory. */
	assert_int_equal(
		uffdops_read_mem(mm, BASE + P, &c, 1, UFFDOPS_ACCESS_FORCE), 1);
	assert_int_equal(c, 0);
	/* NOFAULT reads what is mapped now. */
	assert_int_equal(
		uffdops_read_mem(mm, BASE, &c, 1, UFFDOPS_ACCESS_NOFAULT), 1);
	assert_int_equal(c, 0x5a);
	/* FORCE cannot write a shared mapping of a read-only file... */
	assert_int_equal(uffdops_file_open(f, O_RDONLY, &ro), 0);
	map(mm, BASE + 4 * P, P, RO, MAP_SHARED | FX, ro, 0);
	assert_int_equal(uffdops_write_mem(mm, BASE + 4 * P, &c, 1,
					   UFFDOPS_ACCESS_FORCE),
			 -EFAULT);
	/* ...nor a read-only hugetlb mapping. */
	map(mm, BASE + H, H, RO, PA | FX | MAP_HUGETLB, NULL, 0);
	assert_int_equal(uffdops_write_mem(mm, BASE + H, &c, 1,
					   UFFDOPS_ACCESS_FORCE),
			 -EFAULT);
	/* A zero-length access succeeds trivially. */
	assert_int_equal(uffdops_read_mem(mm, BASE, NULL, 0, 0), 0);
	uffdops_file_close(ro);
	uffdops_file_close(f);
	uffdops_mm_destroy(mm);
}

static void access_spans_vmas(void **state)
{
	struct uffdops_mm *mm = mm_new();
	unsigned char out[3 * 4096], in[3 * 4096];
	size_t i;

	(void)state;
	map(mm, BASE, P, RW, PA | FX, NULL, 0);
	map(mm, BASE + P, P, RO, PA | FX, NULL, 0);
	for (i = 0; i < sizeof(out); i++)
		out[i] = (unsigned char)i;
	/* The write stops at the read-only VMA. */
	assert_int_equal(uffdops_write_mem(mm, BASE + 100, out, 2 * P, 0),
			 P - 100);
	assert_int_equal(uffdops_read_mem(mm, BASE, in, 3 * P, 0), 2 * P);
	assert_memory_equal(in + 100, out, P - 100);
	assert_int_equal(in[P], 0);
	uffdops_mm_destroy(mm);
}

static void hugetlb_faults(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("hugetlb", H);
	__u64 pfn;

	(void)state;
	map(mm, BASE, 2 * H, RW, PA | FX | MAP_HUGETLB, NULL, 0);
	wr8(mm, BASE + H - 1, 0x11);
	/* One huge page: consecutive frames, exclusive, anonymous. */
	pfn = pm_pfn(mm, BASE);
	assert_int_equal(pm_flags(mm, BASE + 5 * P), PM_P | PM_X);
	assert_int_equal(pm_pfn(mm, BASE + 5 * P), pfn + 5);
	assert_int_equal(rd8(mm, BASE + H - 1), 0x11);
	/* A private read fault allocates a read-only anonymous huge page. */
	assert_int_equal(rd8(mm, BASE + H), 0);
	assert_int_equal(pm_flags(mm, BASE + H), PM_P | PM_X);
	pfn = pm_pfn(mm, BASE + H);
	wr8(mm, BASE + H, 1);
	assert_int_equal(pm_pfn(mm, BASE + H), pfn);
	/* hugetlb file: shared sees the cache, past EOF is SIGBUS. */
	map(mm, BASE + 4 * H, 2 * H, RW, MAP_SHARED | FX, f, 0);
	/* mmap of a writable hugetlb mapping extends i_size to cover it. */
	assert_int_equal(uffdops_inode_size(uffdops_file_inode(f)), 2 * H);
	map(mm, BASE + 8 * H, H, RO, MAP_SHARED | FX, f, 0);
	wr8(mm, BASE + 4 * H + 3, 0x22);
	assert_int_equal(pm_flags(mm, BASE + 4 * H), PM_P | PM_F | PM_X);
	assert_int_equal(rd8(mm, BASE + 8 * H + 3), 0x22);
	assert_int_equal(pm_flags(mm, BASE + 4 * H), PM_P | PM_F);
	assert_int_equal(uffdops_file_truncate(f, H), 0);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE + 5 * H, 0),
			 VM_FAULT_SIGBUS);
	/* Private mapping of the file: reads the cache, writes copy. */
	map(mm, BASE + 10 * H, H, RW, MAP_PRIVATE | FX, f, 0);
	assert_int_equal(rd8(mm, BASE + 10 * H + 3), 0x22);
	assert_int_equal(pm_flags(mm, BASE + 10 * H), PM_P | PM_F);
	wr8(mm, BASE + 10 * H + 3, 0x33);
	assert_int_equal(pm_flags(mm, BASE + 10 * H), PM_P | PM_X);
	assert_int_equal(rd8(mm, BASE + 4 * H + 3), 0x22);
	/* DONTNEED of one whole huge page. */
	assert_int_equal(uffdops_madvise(mm, BASE, H, MADV_DONTNEED), 0);
	assert_int_equal(pm_bits(mm, BASE), 0);
	assert_true(pm_flags(mm, BASE + H) & PM_P);
	uffdops_mm_destroy(mm);
	uffdops_file_close(f);
}

static void fault_around(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", 40 * P);
	struct uffdops_vma *vma;
	unsigned long i;

	(void)state;
	/* Cache pages 0..39 through one mapping, then drop its entries. */
	map(mm, BASE, 40 * P, RW, MAP_SHARED | FX, f, 0);
	assert_int_equal(uffdops_madvise(mm, BASE, 40 * P, MADV_POPULATE_WRITE),
			 0);
	assert_int_equal(uffdops_madvise(mm, BASE, 40 * P, MADV_DONTNEED), 0);
	/* A read fault at page 5 maps the 16-page block around it. */
	assert_int_equal(rd8(mm, BASE + 5 * P), 0);
	for (i = 0; i < 16; i++)
		assert_true(pm_flags(mm, BASE + i * P) & PM_P);
	assert_int_equal(pm_bits(mm, BASE + 16 * P), 0);
	/* Clamped to the VMA: a mapping from page 20 on, faulting at 33. */
	map(mm, BASE + 128 * P, 20 * P, RO, MAP_SHARED | FX, f, 20);
	assert_int_equal(rd8(mm, BASE + 141 * P), 0);
	assert_true(pm_flags(mm, BASE + 128 * P) & PM_P);
	assert_true(pm_flags(mm, BASE + 143 * P) & PM_P);
	assert_int_equal(pm_bits(mm, BASE + 144 * P), 0);
	/* A write fault never faults around. */
	assert_int_equal(uffdops_madvise(mm, BASE, 40 * P, MADV_DONTNEED), 0);
	wr8(mm, BASE + 20 * P, 1);
	assert_int_equal(pm_bits(mm, BASE + 21 * P), 0);
	/*
	 * A VMA registered for WP (or MINOR: test_userfault.c) never faults
	 * around. A cached page read in a WP-only VMA raises no userfault.
	 */
	mmap_write_lock(mm);
	vma = vma_lookup(mm, BASE);
	assert_int_equal(vma_modify_flags_uffd(mm, &vma, BASE, BASE + 40 * P,
					       vma->vm_flags | VM_UFFD_WP,
					       (struct userfaultfd_ctx *)mm),
			 0);
	mmap_write_unlock(mm);
	assert_int_equal(rd8(mm, BASE + 5 * P), 0);
	assert_int_equal(pm_bits(mm, BASE + 4 * P), 0);
	uffdops_mm_destroy(mm);
	uffdops_file_close(f);
}

static void madv_free_and_remove(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", 4 * P);

	(void)state;
	map(mm, BASE, P, RW, PA | FX, NULL, 0);
	wr8(mm, BASE, 3);
	/* MADV_FREE marks the page lazily freeable: nothing reclaims it here. */
	assert_int_equal(uffdops_madvise(mm, BASE, P, MADV_FREE), 0);
	assert_int_equal(pm_flags(mm, BASE), PM_P | PM_X);
	assert_int_equal(rd8(mm, BASE), 3);
	/* MADV_REMOVE punches the file: every mapping sees zeros. */
	map(mm, BASE + 4 * P, 4 * P, RW, MAP_SHARED | FX, f, 0);
	map(mm, BASE + 8 * P, 4 * P, RW, MAP_SHARED | FX, f, 0);
	wr8(mm, BASE + 5 * P, 4);
	assert_int_equal(rd8(mm, BASE + 9 * P), 4);
	assert_int_equal(uffdops_madvise(mm, BASE + 5 * P, P, MADV_REMOVE), 0);
	assert_int_equal(pm_bits(mm, BASE + 9 * P), 0);
	assert_int_equal(rd8(mm, BASE + 9 * P), 0);
	/* MADV_DONTNEED on shared memory keeps the cache. */
	wr8(mm, BASE + 6 * P, 5);
	assert_int_equal(
		uffdops_madvise(mm, BASE + 4 * P, 4 * P, MADV_DONTNEED), 0);
	assert_int_equal(pm_bits(mm, BASE + 6 * P), 0);
	assert_int_equal(rd8(mm, BASE + 6 * P), 5);
	uffdops_mm_destroy(mm);
	uffdops_file_close(f);
}

static void hugetlb_remove_partial(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("hugetlb", 2 * H);

	(void)state;
	map(mm, BASE, 2 * H, RW, MAP_SHARED | FX, f, 0);
	wr8(mm, BASE + 5, 1);
	wr8(mm, BASE + H + 5, 2);
	wr8(mm, BASE + H + P + 5, 3);
	/* A whole huge page goes; part of one is only zeroed, still mapped. */
	assert_int_equal(uffdops_madvise(mm, BASE, H, MADV_REMOVE), 0);
	assert_int_equal(pm_bits(mm, BASE), 0);
	assert_int_equal(uffdops_madvise(mm, BASE + H, P, MADV_REMOVE), 0);
	assert_int_equal(pm_flags(mm, BASE + H), PM_P | PM_F | PM_X);
	assert_int_equal(rd8(mm, BASE + H + 5), 0);
	assert_int_equal(rd8(mm, BASE + H + P + 5), 3);
	assert_int_equal(rd8(mm, BASE + 5), 0);
	uffdops_mm_destroy(mm);
	uffdops_file_close(f);
}

static void mprotect_updates_entries(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", P);
	struct pte pte;

	(void)state;
	map(mm, BASE, P, RW, PA | FX, NULL, 0);
	map(mm, BASE + P, P, RW, MAP_SHARED | FX, f, 0);
	wr8(mm, BASE, 1);
	wr8(mm, BASE + P, 1);
	assert_int_equal(uffdops_mprotect(mm, BASE, 2 * P, RO), 0);
	pte = pgtable_get(&mm->pgt, BASE, PT_LEVEL_PTE);
	assert_false(pte_write(pte));
	/* Writable again: the exclusive anon page and the shared page are
	 * upgraded without a fault (change_pte_range()). */
	assert_int_equal(uffdops_mprotect(mm, BASE, 2 * P, RW), 0);
	assert_true(pte_write(pgtable_get(&mm->pgt, BASE, PT_LEVEL_PTE)));
	assert_true(pte_write(pgtable_get(&mm->pgt, BASE + P, PT_LEVEL_PTE)));
	/* PROT_NONE keeps the pages but refuses access. */
	assert_int_equal(uffdops_mprotect(mm, BASE, P, PROT_NONE), 0);
	assert_true(pm_flags(mm, BASE) & PM_P);
	assert_int_equal(uffdops_handle_mm_fault(mm, BASE, 0),
			 VM_FAULT_SIGSEGV);
	uffdops_mm_destroy(mm);
	uffdops_file_close(f);
}

struct worker {
	struct uffdops_mm *mm;
	unsigned long base;
	unsigned int id;
	int errors;
};

static void *fault_worker(void *arg)
{
	struct worker *w = arg;
	unsigned int round, i;

	for (round = 0; round < 20; round++) {
		for (i = 0; i < 16; i++) {
			unsigned long a = w->base + (w->id * 16 + i) * P;
			unsigned char v = (unsigned char)(w->id * 31 + i +
							  round),
				      got;

			if (uffdops_write_mem(w->mm, a + i, &v, 1, 0) != 1 ||
			    uffdops_read_mem(w->mm, a + i, &got, 1, 0) != 1 ||
			    got != v)
				w->errors++;
		}
		/* Drop a few pages so that faults keep happening. */
		if (uffdops_madvise(w->mm, w->base + w->id * 16 * P, 4 * P,
				    MADV_DONTNEED))
			w->errors++;
	}
	return NULL;
}

static void *map_churner(void *arg)
{
	struct worker *w = arg;
	unsigned int i;

	for (i = 0; i < 200; i++) {
		unsigned long a = w->base + (i % 8) * 2 * P;

		if (uffdops_mmap(w->mm, a, P, RW, PA | FX, NULL, 0) !=
			    (long)a ||
		    uffdops_mprotect(w->mm, a, P, i & 1 ? RO : RW) ||
		    uffdops_munmap(w->mm, a, P))
			w->errors++;
	}
	return NULL;
}

static void threads_fault_concurrently(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", 128 * P);
	struct worker w[9];
	pthread_t t[9];
	unsigned int i;

	(void)state;
	map(mm, BASE, 64 * P, RW, PA | FX, NULL, 0);
	map(mm, BASE + H, 128 * P, RW, MAP_SHARED | FX, f, 0);
	for (i = 0; i < 8; i++) {
		w[i] = (struct worker){ .mm = mm,
					.id = i % 4,
					.base = i < 4 ? BASE : BASE + H };
		pthread_create(&t[i], NULL, fault_worker, &w[i]);
	}
	w[8] = (struct worker){ .mm = mm, .base = BASE + 4 * H };
	pthread_create(&t[8], NULL, map_churner, &w[8]);
	for (i = 0; i < 9; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].errors, 0);
	}
	assert_true(vma_tree_validate(mm));
	uffdops_mm_destroy(mm);
	uffdops_file_close(f);
}

struct truncator {
	struct uffdops_mm *mm;
	struct uffdops_file *file;
	atomic_int stop;
	int errors;
};

struct faulter {
	struct truncator *t;
	unsigned int id;
	int errors;
};

/*
 * Faults on the file: thread 0 on pages 0-3 of the shared mapping, thread 1
 * on pages 4-7 of the private one (copying them on write), so that no two
 * threads touch the same bytes; SIGBUS is expected.
 */
static void *truncate_faulter(void *arg)
{
	struct faulter *fa = arg;
	unsigned int i;

	for (i = 0; i < 2000 && !atomic_load(&fa->t->stop); i++) {
		unsigned long a =
			BASE + (fa->id * 4 + i % 4) * P + fa->id * 16 * P;
		unsigned char c = (unsigned char)i;
		ssize_t r = i & 2 ? uffdops_write_mem(fa->t->mm, a, &c, 1, 0) :
				    uffdops_read_mem(fa->t->mm, a, &c, 1, 0);

		if (r != 1 && r != -EFAULT)
			fa->errors++;
	}
	return NULL;
}

/* Maps and unmaps more views of the file in another mm. */
static void *truncate_mapper(void *arg)
{
	struct truncator *t = arg;
	struct uffdops_mm *mm = mm_new();
	unsigned int i;

	for (i = 0; i < 300; i++) {
		if (uffdops_mmap(mm, BASE, 8 * P, RW, MAP_SHARED | FX, t->file,
				 0) != (long)BASE)
			t->errors++;
		uffdops_read_mem(mm, BASE + (i % 8) * P + 100, &(char){ 0 }, 1,
				 0);
		if (uffdops_munmap(mm, BASE, 8 * P))
			t->errors++;
	}
	uffdops_mm_destroy(mm);
	return NULL;
}

static void truncate_races_faults(void **state)
{
	struct truncator t = { .mm = mm_new(),
			       .file = file_new("shmem", 8 * P) };
	struct faulter fa[2] = { { .t = &t, .id = 0 }, { .t = &t, .id = 1 } };
	pthread_t th[3];
	unsigned int i;

	(void)state;
	map(t.mm, BASE, 8 * P, RW, MAP_SHARED | FX, t.file, 0);
	map(t.mm, BASE + 16 * P, 8 * P, RW, MAP_PRIVATE | FX, t.file, 0);
	pthread_create(&th[0], NULL, truncate_faulter, &fa[0]);
	pthread_create(&th[1], NULL, truncate_faulter, &fa[1]);
	pthread_create(&th[2], NULL, truncate_mapper, &t);
	for (i = 0; i < 300; i++)
		assert_int_equal(uffdops_file_truncate(t.file, (i % 9) * P), 0);
	atomic_store(&t.stop, 1);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(t.errors + fa[0].errors + fa[1].errors, 0);
	/* Whatever raced, nothing stays mapped past the final EOF. */
	assert_int_equal(uffdops_file_truncate(t.file, 2 * P), 0);
	for (i = 2; i < 8; i++) {
		assert_int_equal(pm_bits(t.mm, BASE + i * P), 0);
		assert_int_equal(pm_bits(t.mm, BASE + (16 + i) * P), 0);
	}
	uffdops_mm_destroy(t.mm);
	uffdops_file_close(t.file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(anon_zero_page_then_cow),
		cmocka_unit_test(no_zero_page_switch),
		cmocka_unit_test(access_errors),
		cmocka_unit_test(shared_mappings_share_the_cache),
		cmocka_unit_test(private_file_copy_on_write),
		cmocka_unit_test(sigbus_past_eof_and_truncate),
		cmocka_unit_test(markers),
		cmocka_unit_test(uffd_wp_bits),
		cmocka_unit_test(forced_and_nofault_access),
		cmocka_unit_test(access_spans_vmas),
		cmocka_unit_test(hugetlb_faults),
		cmocka_unit_test(fault_around),
		cmocka_unit_test(madv_free_and_remove),
		cmocka_unit_test(hugetlb_remove_partial),
		cmocka_unit_test(mprotect_updates_entries),
		cmocka_unit_test(threads_fault_concurrently),
		cmocka_unit_test(truncate_races_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
