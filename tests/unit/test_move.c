/* SPDX-License-Identifier: MIT */
/*
 * test_move.c - UFFDIO_MOVE on the model (spec §2.0, §2.10): every errno
 * row V1-V6, X1-X13, Y1-Y8 with the check order, the written-back .move and
 * the kernel function the trace names; what a move does to both entries
 * (frame kept, exclusive, writable, uffd-wp dropped, zero page); partial
 * progress; the wake of [dst, dst + moved) with threads blocked in
 * handle_userfault(); the put_user() failure; concurrent moves.
 *
 * Not modelled (so not tested): V7 (mmget_not_zero()), X1b (anon_vma
 * allocation failure), Y2/Y3 (THP), Y8's swap and migration entries, Y9.
 */
#include "wp_move_test.h"

#define TASK UFFDOPS_TASK_SIZE
#define SRC BASE
#define DST (BASE + 16 * P)
#define RO PROT_READ

struct env {
	struct uffdops_mm *mm;
	struct uffdops_ctx *ctx;
};

/*
 * src: [SRC, +8P) anonymous, pages 0-3 written (value = address);
 * dst: [DST, +8P) anonymous, registered MISSING.
 */
static struct env env_new(void)
{
	struct env e = { .mm = mm_new() };

	e.ctx = ctx_new(e.mm, O_NONBLOCK, 0);
	map_fixed(e.mm, SRC, 8 * P, RW, PA, NULL);
	map_fixed(e.mm, DST, 8 * P, RW, PA, NULL);
	for (unsigned long i = 0; i < 4; i++)
		poke(e.mm, SRC + i * P, SRC + i * P);
	assert_int_equal(uffd_reg(e.ctx, DST, 8 * P, UM, NULL), 0);
	return e;
}

static void env_free(struct env *e)
{
	uffdops_close(e->ctx);
	uffdops_mm_destroy(e->mm);
}

/* A MOVE that fails with @err, writes -@err back and names @kfn. */
static void assert_move_fails(struct env *e, struct trace_gate *g,
			      unsigned long dst, unsigned long src,
			      unsigned long len, __u64 mode, int err,
			      const char *kfn)
{
	__s64 moved;

	assert_int_equal(uffd_move(e->ctx, dst, src, len, mode, &moved), err);
	assert_int_equal(moved, err);
	assert_failed_in(g, kfn, err);
}

/* A MOVE refused before move_pages(): .move untouched. */
static void assert_move_refused(struct env *e, struct trace_gate *g,
				unsigned long dst, unsigned long src,
				unsigned long len, __u64 mode, int err,
				const char *kfn)
{
	__s64 moved;

	assert_int_equal(uffd_move(e->ctx, dst, src, len, mode, &moved), err);
	assert_int_equal(moved, SENTINEL);
	assert_failed_in(g, kfn, err);
}

/* ------------------------------------------------------------------------ */
/* V1-V6: before move_pages().                                              */
/* ------------------------------------------------------------------------ */

static void test_v1_mmap_changing(void **state)
{
	struct env e = env_new();
	struct trace_gate g;
	__s64 moved;

	(void)state;
	trace_gate_init(&g, e.mm, NULL);
	mmap_changing(e.ctx, 1);
	/* -EAGAIN written back first, whatever the rest says */
	assert_int_equal(uffd_move(e.ctx, DST, SRC, P, 0xff, &moved), -EAGAIN);
	assert_int_equal(moved, -EAGAIN);
	assert_failed_in(&g, "userfaultfd_move", -EAGAIN);
	/* ... and if that put_user() faults: EFAULT */
	assert_int_equal(uffdops_ioctl(e.ctx, UFFDIO_MOVE, NULL), -EFAULT);
	assert_int_equal(uffdops_ioctl_uaddr(e.ctx, UFFDIO_MOVE, BASE + 64 * P),
			 -EFAULT);
	mmap_changing(e.ctx, -1);
	assert_int_equal(pm(e.mm, SRC), PM_P | PM_X);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_v2_unreadable_argument(void **state)
{
	struct env e = env_new();

	(void)state;
	assert_int_equal(uffdops_ioctl(e.ctx, UFFDIO_MOVE, NULL), -EFAULT);
	assert_int_equal(uffdops_ioctl_uaddr(e.ctx, UFFDIO_MOVE, BASE + 64 * P),
			 -EFAULT);
	assert_int_equal(pm(e.mm, SRC), PM_P | PM_X);
	env_free(&e);
}

static void test_v3_other_mm(void **state)
{
	struct env e = env_new();
	struct uffdops_mm *child, *prev;
	struct trace_gate g;

	(void)state;
	assert_int_equal(uffdops_fork(e.mm, &child), 0);
	trace_gate_init(&g, e.mm, NULL);
	/* a forked child issuing MOVE with the inherited descriptor */
	prev = uffd_set_current_mm(child);
	assert_null(prev);
	assert_move_refused(&e, &g, DST, SRC, P, 0, -EINVAL,
			    "userfaultfd_move");
	/* V3 comes before the range checks */
	assert_move_refused(&e, &g, DST + 1, SRC, P, 0, -EINVAL,
			    "userfaultfd_move");
	assert_ptr_equal(uffd_set_current_mm(prev), child);
	uffdops_mm_destroy(child);
	/* the creator's own task may; the fork made src non-exclusive */
	assert_move_fails(&e, &g, DST, SRC, P, 0, -EBUSY, "move_pages_pte");
	uffd_set_current_mm(e.mm);
	assert_int_equal(uffd_move(e.ctx, DST, SRC + 4 * P, P, MAL, NULL), 0);
	uffd_set_current_mm(NULL);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_v4_v6_validation(void **state)
{
	struct env e = env_new();
	struct trace_gate g;

	(void)state;
	trace_gate_init(&g, e.mm, NULL);
	/* V4: dst */
	assert_move_refused(&e, &g, DST + 1, SRC, P, 0, -EINVAL,
			    "validate_range");
	assert_move_refused(&e, &g, DST, SRC, 0, 0, -EINVAL,
			    "validate_unaligned_range");
	assert_move_refused(&e, &g, DST, SRC, P + 1, 0, -EINVAL,
			    "validate_unaligned_range");
	assert_move_refused(&e, &g, TASK, SRC, P, 0, -EINVAL,
			    "validate_unaligned_range");
	assert_move_refused(&e, &g, DST, SRC, TASK - DST + P, 0, -EINVAL,
			    "validate_unaligned_range");
	/* V5: src must be aligned too; V4 before V5 */
	assert_move_refused(&e, &g, DST, SRC + 1, P, 0, -EINVAL,
			    "validate_range");
	assert_move_refused(&e, &g, DST, TASK, P, 0, -EINVAL,
			    "validate_unaligned_range");
	assert_move_refused(&e, &g, DST + 1, TASK, P, 4, -EINVAL,
			    "validate_range");
	/* V6, and it comes before the VMA lookups (X2 would be ENOENT) */
	assert_move_refused(&e, &g, DST, SRC, P, 4, -EINVAL,
			    "userfaultfd_move");
	assert_move_refused(&e, &g, DST, BASE + 12 * P, P, 4, -EINVAL,
			    "userfaultfd_move");
	assert_int_equal(pm(e.mm, SRC), PM_P | PM_X);
	assert_int_equal(pm(e.mm, DST), 0);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* X1-X13: the VMAs.                                                         */
/* ------------------------------------------------------------------------ */

static void test_x1_x2_x5_x7_lookups(void **state)
{
	struct env e = env_new();
	struct trace_gate g;

	(void)state;
	trace_gate_init(&g, e.mm, NULL);
	/* X1 before X2 */
	assert_move_fails(&e, &g, BASE + 12 * P, BASE + 12 * P, P, 0, -ENOENT,
			  "find_vma_and_prepare_anon");
	assert_move_fails(&e, &g, DST, BASE + 12 * P, P, 0, -ENOENT,
			  "find_vmas_mm_locked");
	/* X5 (EINVAL, not ENOENT) and X7 */
	assert_move_fails(&e, &g, DST, SRC + 6 * P, 4 * P, 0, -EINVAL,
			  "move_pages");
	assert_string_equal(trace_last_failure(&g)->check,
			    "source range runs past its VMA");
	assert_move_fails(&e, &g, DST + 6 * P, SRC, 4 * P, 0, -EINVAL,
			  "move_pages");
	assert_string_equal(trace_last_failure(&g)->check,
			    "destination range runs past its VMA");
	assert_int_equal(pm(e.mm, SRC), PM_P | PM_X);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_x3_mmap_changing_under_lock(void **state)
{
	struct env e = env_new();
	struct uffdio_move mv = {
		.dst = DST, .src = SRC, .len = P, .move = SENTINEL
	};
	struct async_ioctl a;
	struct trace_gate g;

	(void)state;
	trace_gate_init(&g, e.mm,
			"mode has bits other than DONTWAKE|ALLOW_SRC_HOLES");
	async_ioctl_start(&a, e.ctx, UFFDIO_MOVE, &mv);
	while (!atomic_load(&g.parked))
		msleep(1);
	mmap_changing(e.ctx, 1);
	atomic_store(&g.release, true);
	assert_int_equal(async_ioctl_join(&a), -EAGAIN);
	assert_int_equal(mv.move, -EAGAIN);
	assert_failed_in(&g, "move_pages", -EAGAIN);
	assert_int_equal(pm(e.mm, SRC), PM_P | PM_X);
	mmap_changing(e.ctx, -1);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_x8_x12_validate_move_areas(void **state)
{
	struct env e = env_new();
	struct uffdops_ctx *other = ctx_new(e.mm, 0, 0);
	struct trace_gate g;

	(void)state;
	/* [B+32P) RO src, [B+36P) RO dst, [B+40P) RWX, [B+44P) locked,
	 * [B+48P) dst of another userfaultfd, [B+52P) unregistered */
	map_fixed(e.mm, BASE + 32 * P, 4 * P, RO, PA, NULL);
	map_fixed(e.mm, BASE + 36 * P, 4 * P, RO, PA, NULL);
	map_fixed(e.mm, BASE + 40 * P, 4 * P, RW | PROT_EXEC, PA, NULL);
	map_fixed(e.mm, BASE + 44 * P, 4 * P, RW, PA | MAP_LOCKED, NULL);
	map_fixed(e.mm, BASE + 48 * P, 4 * P, RW, PA, NULL);
	map_fixed(e.mm, BASE + 53 * P, 3 * P, RW, PA, NULL);
	touch(e.mm, BASE + 32 * P);
	poke(e.mm, BASE + 40 * P, 40);
	assert_int_equal(uffd_reg(e.ctx, BASE + 36 * P, 4 * P, UM, NULL), 0);
	assert_int_equal(uffd_reg(other, BASE + 48 * P, 4 * P, UM, NULL), 0);
	trace_gate_init(&g, e.mm, NULL);
	/* X8 access flags differ */
	assert_move_fails(&e, &g, DST, BASE + 40 * P, P, 0, -EINVAL,
			  "validate_move_areas");
	assert_string_equal(trace_last_failure(&g)->check,
			    "source and destination access flags differ");
	/* X9 VM_LOCKED differs */
	assert_move_fails(&e, &g, DST, BASE + 44 * P, P, 0, -EINVAL,
			  "validate_move_areas");
	assert_string_equal(trace_last_failure(&g)->check,
			    "one VMA is VM_LOCKED and the other not");
	/* X10 not writable (both read-only) */
	assert_move_fails(&e, &g, BASE + 36 * P, BASE + 32 * P, P, 0, -EINVAL,
			  "validate_move_areas");
	assert_string_equal(trace_last_failure(&g)->check,
			    "source VMA is not writable");
	/* X12 dst of another userfaultfd, or of none; works the other way */
	assert_move_fails(&e, &g, BASE + 48 * P, SRC, P, 0, -EINVAL,
			  "validate_move_areas");
	assert_string_equal(
		trace_last_failure(&g)->check,
		"destination VMA not registered with this userfaultfd");
	assert_move_fails(&e, &g, BASE + 53 * P, SRC, P, 0, -EINVAL,
			  "validate_move_areas");
	assert_int_equal(uffd_move(other, BASE + 48 * P, SRC, P, 0, NULL), 0);
	/* the src VMA need not be registered: it was not */
	assert_int_equal(pm(e.mm, BASE + 48 * P), PM_P | PM_X);
	uffdops_close(other);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_x4_x6_x11_x13_memory_types(void **state)
{
	struct env e = env_new();
	struct uffdops_file *shm;
	struct trace_gate g;

	(void)state;
	assert_int_equal(uffdops_file_create("shmem", 16 * P, &shm), 0);
	/* [B+32P) shared shmem src, [B+36P) shared shmem dst,
	 * [B+40P) private shmem dst, [H*2) hugetlb src and [H*3) dst */
	map_fixed(e.mm, BASE + 32 * P, 4 * P, RW, MAP_SHARED, shm);
	assert_int_equal(uffdops_mmap(e.mm, BASE + 36 * P, 4 * P, RW,
				      MAP_SHARED | MAP_FIXED, shm, 4),
			 (long)(BASE + 36 * P));
	assert_int_equal(uffdops_mmap(e.mm, BASE + 40 * P, 4 * P, RW,
				      MAP_PRIVATE | MAP_FIXED, shm, 8),
			 (long)(BASE + 40 * P));
	map_fixed(e.mm, BASE + 2 * H, H, RW, PA | MAP_HUGETLB, NULL);
	map_fixed(e.mm, BASE + 3 * H, H, RW, PA | MAP_HUGETLB, NULL);
	poke(e.mm, BASE + 32 * P, 1);
	poke(e.mm, BASE + 2 * H, 2);
	assert_int_equal(uffd_reg(e.ctx, BASE + 36 * P, 8 * P, UM, NULL), 0);
	assert_int_equal(uffd_reg(e.ctx, BASE + 3 * H, H, UM, NULL), 0);
	trace_gate_init(&g, e.mm, NULL);
	/* X4 shared src */
	assert_move_fails(&e, &g, DST, BASE + 32 * P, P, 0, -EINVAL,
			  "move_pages");
	assert_string_equal(trace_last_failure(&g)->check,
			    "source VMA is VM_SHARED");
	/* X6 shared dst */
	assert_move_fails(&e, &g, BASE + 36 * P, SRC, P, 0, -EINVAL,
			  "move_pages");
	assert_string_equal(trace_last_failure(&g)->check,
			    "destination VMA is VM_SHARED");
	/* X13 a private file mapping is not anonymous */
	assert_move_fails(&e, &g, BASE + 40 * P, SRC, P, 0, -EINVAL,
			  "validate_move_areas");
	assert_string_equal(trace_last_failure(&g)->check,
			    "a VMA is not anonymous");
	/* X11 hugetlb on either side */
	assert_move_fails(&e, &g, DST, BASE + 2 * H, P, 0, -EINVAL,
			  "vma_move_compatible");
	assert_move_fails(&e, &g, BASE + 3 * H, SRC, P, 0, -EINVAL,
			  "vma_move_compatible");
	assert_int_equal(pm(e.mm, SRC), PM_P | PM_X);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
	uffdops_file_close(shm);
}

/* ------------------------------------------------------------------------ */
/* Y1-Y8: the pages.                                                         */
/* ------------------------------------------------------------------------ */

static void test_move_success(void **state)
{
	struct env e = env_new();
	__u64 pfn = pm_pfn(e.mm, SRC);
	struct pte pte;
	__s64 moved;

	(void)state;
	assert_int_equal(uffd_move(e.ctx, DST, SRC, P, 0, &moved), 0);
	assert_int_equal(moved, P);
	/* zero copy: same frame, exclusive, writable, dirty; src none */
	assert_int_equal(pm_pfn(e.mm, DST), pfn);
	assert_int_equal(pm(e.mm, DST), PM_P | PM_X);
	pte = pte_at(e.mm, DST, PT_LEVEL_PTE);
	assert_true(pte_write(pte));
	assert_true(pte.flags & PTE_EXCLUSIVE);
	assert_true(pte.flags & PTE_DIRTY);
	assert_int_equal(pm(e.mm, SRC), 0);
	assert_int_equal(peek(e.mm, DST), SRC);
	assert_int_equal(folio_mapcount(pte.folio), 1);
	/* the dst VMA got an anon_vma (find_vma_and_prepare_anon()) */
	assert_non_null(vma_lookup(e.mm, DST)->anon_vma);
	/* the rest as one batch: 3 pages */
	assert_int_equal(uffd_move(e.ctx, DST + P, SRC + P, 3 * P, 0, &moved),
			 0);
	assert_int_equal(moved, 3 * P);
	for (unsigned long i = 0; i < 4; i++)
		assert_int_equal(peek(e.mm, DST + i * P), SRC + i * P);
	/* the page can be written where it now lives */
	poke(e.mm, DST, 99);
	assert_int_equal(pm_pfn(e.mm, DST), pfn);
	env_free(&e);
}

static void test_move_drops_uffd_wp_and_moves_zero_page(void **state)
{
	struct env e = env_new();
	__s64 moved;

	(void)state;
	/* src page 0 write-protected through its own registration */
	assert_int_equal(uffd_reg(e.ctx, SRC, P, UW, NULL), 0);
	assert_int_equal(uffd_wp(e.ctx, SRC, P, WPM), 0);
	assert_int_equal(pm(e.mm, SRC), PM_P | PM_X | PM_W);
	assert_int_equal(uffd_move(e.ctx, DST, SRC, P, 0, &moved), 0);
	assert_int_equal(pm(e.mm, DST), PM_P | PM_X);
	assert_false(pte_uffd_wp(pte_at(e.mm, DST, PT_LEVEL_PTE)));
	/* Y6: the zero page moves as the zero page */
	touch(e.mm, SRC + 5 * P);
	assert_true(pm_entry(e.mm, SRC + 5 * P).zero_page);
	assert_int_equal(uffd_move(e.ctx, DST + P, SRC + 5 * P, P, 0, &moved),
			 0);
	assert_int_equal(moved, P);
	assert_true(pm_entry(e.mm, DST + P).zero_page);
	assert_int_equal(pm(e.mm, DST + P), PM_P);
	assert_int_equal(pm(e.mm, SRC + 5 * P), 0);
	env_free(&e);
}

static void test_y1_y5_holes(void **state)
{
	struct env e = env_new();
	struct trace_gate g;
	__s64 moved;

	(void)state;
	/* src [B+H) in a 2 MiB block with no page table; dst page 1 present */
	map_fixed(e.mm, BASE + H, 4 * P, RW, PA, NULL);
	assert_int_equal(uffd_unreg(e.ctx, DST, 8 * P), 0);
	poke(e.mm, DST + P, 7);
	assert_int_equal(uffd_reg(e.ctx, DST, 8 * P, UM, NULL), 0);
	trace_gate_init(&g, e.mm, NULL);
	/* Y1: before the dst check */
	assert_move_fails(&e, &g, DST + P, BASE + H, P, 0, -ENOENT,
			  "move_pages");
	assert_string_equal(trace_last_failure(&g)->check,
			    "no page table maps src (pmd_none)");
	/* with ALLOW_SRC_HOLES the dst check comes first (Y4) */
	assert_move_fails(&e, &g, DST + P, BASE + H, P, MAL, -EEXIST,
			  "move_pages_pte");
	assert_int_equal(
		uffd_move(e.ctx, DST + 2 * P, BASE + H, 2 * P, MAL, &moved), 0);
	assert_int_equal(moved, 2 * P);
	assert_int_equal(pm(e.mm, DST + 2 * P), 0);
	/* Y5: a hole where the table exists; Y4 still first */
	assert_move_fails(&e, &g, DST + 2 * P, SRC + 4 * P, P, 0, -ENOENT,
			  "move_pages_pte");
	assert_string_equal(trace_last_failure(&g)->check,
			    "source entry is none (no ALLOW_SRC_HOLES)");
	assert_move_fails(&e, &g, DST + P, SRC + 4 * P, P, 0, -EEXIST,
			  "move_pages_pte");
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_y4_dst_not_none(void **state)
{
	struct env e = env_new();
	struct uffdops_ctx *unpop;
	struct trace_gate g;

	(void)state;
	/* dst: page 0 present, 1 zero page, 2 guard, 3 poison, 4 uffd-wp */
	uffdops_close(e.ctx);
	e.ctx = ctx_new(e.mm, O_NONBLOCK, UFFD_FEATURE_WP_UNPOPULATED);
	unpop = e.ctx;
	poke(e.mm, DST, 1);
	touch(e.mm, DST + P);
	assert_int_equal(
		uffdops_madvise(e.mm, DST + 2 * P, P, MADV_GUARD_INSTALL), 0);
	assert_int_equal(uffd_reg(unpop, DST, 8 * P, UM | UW, NULL), 0);
	assert_int_equal(uffdops_ioctl(unpop, UFFDIO_POISON,
				       &(struct uffdio_poison){
					       .range = { DST + 3 * P, P } }),
			 0);
	assert_int_equal(uffd_wp(unpop, DST + 4 * P, P, WPM), 0);
	assert_int_equal(pm(e.mm, DST + 4 * P), PM_S | PM_W);
	trace_gate_init(&g, e.mm, NULL);
	for (unsigned long i = 0; i < 5; i++) {
		assert_move_fails(&e, &g, DST + i * P, SRC, P, 0, -EEXIST,
				  "move_pages_pte");
		assert_move_fails(&e, &g, DST + i * P, SRC, P, MAL, -EEXIST,
				  "move_pages_pte");
	}
	assert_int_equal(pm(e.mm, SRC), PM_P | PM_X);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_y7_fork_shared(void **state)
{
	struct env e = env_new();
	struct uffdops_mm *child;
	struct trace_gate g;
	__s64 moved;

	(void)state;
	assert_int_equal(uffdops_fork(e.mm, &child), 0);
	trace_gate_init(&g, e.mm, NULL);
	/* while the child lives, and after it is gone */
	assert_move_fails(&e, &g, DST, SRC, P, 0, -EBUSY, "move_pages_pte");
	uffdops_mm_destroy(child);
	assert_move_fails(&e, &g, DST, SRC, P, 0, -EBUSY, "move_pages_pte");
	/* a read does not help, a write (reuse) does */
	touch(e.mm, SRC + P);
	assert_move_fails(&e, &g, DST + P, SRC + P, P, 0, -EBUSY,
			  "move_pages_pte");
	poke(e.mm, SRC + 2 * P, 22);
	assert_int_equal(uffd_move(e.ctx, DST + 2 * P, SRC + 2 * P, 2 * P, 0,
				   &moved),
			 -EAGAIN);
	assert_int_equal(moved, P);
	assert_int_equal(peek(e.mm, DST + 2 * P), 22);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_y8_src_markers(void **state)
{
	struct env e = env_new();
	struct trace_gate g;

	(void)state;
	/* src page 4 uffd-wp marker, 5 guard, 6 poison */
	assert_int_equal(uffd_unreg(e.ctx, DST, 8 * P), 0);
	uffdops_close(e.ctx);
	e.ctx = ctx_new(e.mm, O_NONBLOCK, UFFD_FEATURE_WP_UNPOPULATED);
	assert_int_equal(uffd_reg(e.ctx, DST, 8 * P, UM, NULL), 0);
	assert_int_equal(
		uffdops_madvise(e.mm, SRC + 5 * P, P, MADV_GUARD_INSTALL), 0);
	assert_int_equal(uffd_reg(e.ctx, SRC, 8 * P, UM | UW, NULL), 0);
	assert_int_equal(uffd_wp(e.ctx, SRC + 4 * P, P, WPM), 0);
	assert_int_equal(uffdops_ioctl(e.ctx, UFFDIO_POISON,
				       &(struct uffdio_poison){
					       .range = { SRC + 6 * P, P } }),
			 0);
	trace_gate_init(&g, e.mm, NULL);
	for (unsigned long i = 4; i < 7; i++) {
		assert_move_fails(&e, &g, DST, SRC + i * P, P, 0, -EFAULT,
				  "move_pages_pte");
		assert_move_fails(&e, &g, DST, SRC + i * P, P, MAL, -EFAULT,
				  "move_pages_pte");
	}
	assert_string_equal(trace_last_failure(&g)->check,
			    "source entry is a PTE marker");
	assert_int_equal(pm(e.mm, SRC + 4 * P), PM_S | PM_W);
	assert_int_equal(pm(e.mm, DST), 0);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* Partial progress (spec §2.0) and wake.                                    */
/* ------------------------------------------------------------------------ */

static void test_partial_progress(void **state)
{
	struct env e = env_new();
	__s64 moved;

	(void)state;
	/* dst page 1 present: 3 pages -> EAGAIN, 4096 */
	assert_int_equal(uffd_unreg(e.ctx, DST, 8 * P), 0);
	poke(e.mm, DST + P, 1);
	assert_int_equal(uffd_reg(e.ctx, DST, 8 * P, UM, NULL), 0);
	assert_int_equal(uffd_move(e.ctx, DST, SRC, 3 * P, 0, &moved), -EAGAIN);
	assert_int_equal(moved, P);
	/* re-issued for the rest: now the error shows */
	assert_int_equal(uffd_move(e.ctx, DST + P, SRC + P, 2 * P, 0, &moved),
			 -EEXIST);
	assert_int_equal(moved, -EEXIST);
	/* src page 4 a hole: 4 pages -> EAGAIN, 8192 (pages 2, 3 moved) */
	assert_int_equal(uffd_move(e.ctx, DST + 4 * P, SRC + 2 * P, 4 * P, 0,
				   &moved),
			 -EAGAIN);
	assert_int_equal(moved, 2 * P);
	/* ALLOW_SRC_HOLES counts holes as moved */
	assert_int_equal(uffd_move(e.ctx, DST + 6 * P, SRC + 4 * P, 2 * P, MAL,
				   &moved),
			 0);
	assert_int_equal(moved, 2 * P);
	assert_int_equal(pm(e.mm, DST + 6 * P), 0);
	env_free(&e);
}

static void test_wake(void **state)
{
	struct env e = env_new();
	struct waiter w0, w2, w3;
	__s64 moved;

	(void)state;
	waiter_start(&w0, e.mm, e.ctx, DST, VM_UFFD_MISSING);
	waiter_start(&w2, e.mm, e.ctx, DST + 2 * P, VM_UFFD_MISSING);
	waiter_start(&w3, e.mm, e.ctx, DST + 5 * P, VM_UFFD_MISSING);
	/* DONTWAKE: resolved but asleep until UFFDIO_WAKE */
	assert_int_equal(uffd_move(e.ctx, DST, SRC, P, MDW, &moved), 0);
	assert_blocked(&w0);
	assert_int_equal(uffd_wake(e.ctx, DST, P), 0);
	assert_woken(&w0);
	/* a short move wakes [dst, dst + moved) only: src page 4 is a hole */
	assert_int_equal(uffd_move(e.ctx, DST + P, SRC + 3 * P, 2 * P, 0,
				   &moved),
			 -EAGAIN);
	assert_int_equal(moved, P);
	assert_blocked(&w2);
	/* a failure wakes nothing */
	assert_int_equal(uffd_move(e.ctx, DST + 2 * P, SRC + 4 * P, P, 0,
				   &moved),
			 -ENOENT);
	assert_blocked(&w2);
	/* ALLOW_SRC_HOLES "moves" a hole and wakes it (dst stays none) */
	assert_int_equal(
		uffd_move(e.ctx, DST + 2 * P, SRC + 4 * P, P, MAL, &moved), 0);
	assert_woken(&w2);
	assert_blocked(&w3);
	uffdops_close(e.ctx);
	e.ctx = NULL;
	assert_woken(&w3);
	env_free(&e);
}

static void test_put_user_fault(void **state)
{
	struct env e = env_new();
	unsigned long arg = BASE + 64 * P;
	struct uffdio_move mv = {
		.dst = DST, .src = SRC, .len = P, .move = SENTINEL
	};
	struct waiter w;

	(void)state;
	/* the argument in a read-only page: read, the move done, no wake */
	map_fixed(e.mm, arg, P, RO, PA, NULL);
	assert_int_equal(uffdops_write_mem(e.mm, arg, &mv, sizeof(mv),
					   UFFDOPS_ACCESS_FORCE),
			 (ssize_t)sizeof(mv));
	waiter_start(&w, e.mm, e.ctx, DST, VM_UFFD_MISSING);
	assert_int_equal(uffdops_ioctl_uaddr(e.ctx, UFFDIO_MOVE, arg), -EFAULT);
	assert_int_equal(pm(e.mm, DST), PM_P | PM_X);
	assert_int_equal(pm(e.mm, SRC), 0);
	assert_blocked(&w);
	assert_int_equal(uffdops_read_mem(e.mm, arg, &mv, sizeof(mv),
					  UFFDOPS_ACCESS_FORCE),
			 (ssize_t)sizeof(mv));
	assert_int_equal(mv.move, SENTINEL);
	/* writable: 4096 written back and the waiter woken */
	assert_int_equal(uffdops_mprotect(e.mm, arg, P, RW), 0);
	mv.dst = DST + P;
	mv.src = SRC + P;
	assert_int_equal(uffdops_write_mem(e.mm, arg, &mv, sizeof(mv), 0),
			 (ssize_t)sizeof(mv));
	assert_int_equal(uffdops_ioctl_uaddr(e.ctx, UFFDIO_MOVE, arg), 0);
	assert_int_equal(uffdops_read_mem(e.mm, arg, &mv, sizeof(mv), 0),
			 (ssize_t)sizeof(mv));
	assert_int_equal(mv.move, P);
	assert_int_equal(uffd_wake(e.ctx, DST, P), 0);
	assert_woken(&w);
	env_free(&e);
}

static void test_same_vma_and_merged_neighbour(void **state)
{
	struct env e = env_new();
	__s64 moved;

	(void)state;
	/* within the dst VMA itself */
	assert_int_equal(uffd_move(e.ctx, DST, SRC, 2 * P, 0, NULL), 0);
	assert_int_equal(uffd_move(e.ctx, DST + 6 * P, DST, 2 * P, 0, &moved),
			 0);
	assert_int_equal(peek(e.mm, DST + 7 * P), SRC + P);
	/* a neighbouring mapping merged with src: "past the end" works */
	map_fixed(e.mm, SRC + 8 * P, 2 * P, RW, PA, NULL);
	poke(e.mm, SRC + 8 * P, 0x808);
	assert_int_equal(uffd_move(e.ctx, DST + 2 * P, SRC + 7 * P, 2 * P, MAL,
				   &moved),
			 0);
	assert_int_equal(peek(e.mm, DST + 3 * P), 0x808);
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* Concurrency.                                                              */
/* ------------------------------------------------------------------------ */

#define CONC_THREADS 4
#define CONC_PAGES 8 /* per thread */
#define CONC_ROUNDS 100

struct conc {
	struct env *e;
	int id;
	atomic_int *bad;
};

/* Moves its pages to the other half and back; checks the contents. */
static void *conc_move_thread(void *arg)
{
	struct conc *c = arg;
	unsigned long a = BASE + (unsigned long)c->id * CONC_PAGES * P;
	unsigned long b = a + CONC_THREADS * CONC_PAGES * P;

	for (int i = 0; i < CONC_ROUNDS; i++) {
		unsigned long from = i & 1 ? b : a, to = i & 1 ? a : b;
		__u64 v;

		if (uffd_move(c->e->ctx, to, from, CONC_PAGES * P, 0, NULL) ||
		    uffdops_read_mem(c->e->mm, to, &v, sizeof(v),
				     UFFDOPS_ACCESS_NOFAULT) != sizeof(v) ||
		    v != a)
			atomic_fetch_add(c->bad, 1);
	}
	return NULL;
}

/* Write-protects and resolves the whole area meanwhile. */
static void *conc_wp_thread(void *arg)
{
	struct conc *c = arg;

	for (int i = 0; i < CONC_ROUNDS; i++)
		if (uffd_wp(c->e->ctx, BASE, 2 * CONC_THREADS * CONC_PAGES * P,
			    i & 1 ? 0 : WPM))
			atomic_fetch_add(c->bad, 1);
	return NULL;
}

static void test_concurrent_moves(void **state)
{
	unsigned long len = 2 * CONC_THREADS * CONC_PAGES * P;
	struct env e = { .mm = mm_new() };
	struct conc c[CONC_THREADS + 1];
	pthread_t t[CONC_THREADS + 1];
	atomic_int bad = 0;

	(void)state;
	e.ctx = ctx_new(e.mm, O_NONBLOCK, 0);
	map_fixed(e.mm, BASE, len, RW, PA, NULL);
	for (int i = 0; i < CONC_THREADS; i++)
		for (unsigned long p = 0; p < CONC_PAGES; p++)
			poke(e.mm, BASE + (i * CONC_PAGES + p) * P,
			     BASE + i * CONC_PAGES * P);
	assert_int_equal(uffd_reg(e.ctx, BASE, len, UM | UW, NULL), 0);
	for (int i = 0; i <= CONC_THREADS; i++) {
		c[i] = (struct conc){ .e = &e, .id = i, .bad = &bad };
		assert_int_equal(pthread_create(&t[i], NULL,
						i < CONC_THREADS ?
							conc_move_thread :
							conc_wp_thread,
						&c[i]),
				 0);
	}
	for (int i = 0; i <= CONC_THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(atomic_load(&bad), 0);
	/* an even number of rounds: every page back home, each page once */
	for (int i = 0; i < CONC_THREADS; i++)
		for (unsigned long p = 0; p < CONC_PAGES; p++) {
			unsigned long a = BASE + (i * CONC_PAGES + p) * P;

			assert_int_equal(peek(e.mm, a),
					 BASE + i * CONC_PAGES * P);
			assert_int_equal(pm(e.mm, a + len / 2), 0);
			assert_int_equal(
				folio_mapcount(
					pte_at(e.mm, a, PT_LEVEL_PTE).folio),
				1);
		}
	env_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_mmap_changing),
		cmocka_unit_test(test_v2_unreadable_argument),
		cmocka_unit_test(test_v3_other_mm),
		cmocka_unit_test(test_v4_v6_validation),
		cmocka_unit_test(test_x1_x2_x5_x7_lookups),
		cmocka_unit_test(test_x3_mmap_changing_under_lock),
		cmocka_unit_test(test_x8_x12_validate_move_areas),
		cmocka_unit_test(test_x4_x6_x11_x13_memory_types),
		cmocka_unit_test(test_move_success),
		cmocka_unit_test(test_move_drops_uffd_wp_and_moves_zero_page),
		cmocka_unit_test(test_y1_y5_holes),
		cmocka_unit_test(test_y4_dst_not_none),
		cmocka_unit_test(test_y7_fork_shared),
		cmocka_unit_test(test_y8_src_markers),
		cmocka_unit_test(test_partial_progress),
		cmocka_unit_test(test_wake),
		cmocka_unit_test(test_put_user_fault),
		cmocka_unit_test(test_same_vma_and_merged_neighbour),
		cmocka_unit_test(test_concurrent_moves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
