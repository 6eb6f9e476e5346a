/* SPDX-License-Identifier: MIT */
/*
 * test_wp.c - UFFDIO_WRITEPROTECT on the model (spec §2.8): every errno row
 * W1-W12 with the check order and the kernel function the trace names,
 * what protecting and resolving do to each entry state and memory type
 * (pagemap bits and the PTE itself), markers, partial progress, the wake
 * rules with threads blocked in handle_userfault(), UNREGISTER resolving
 * through the same uffd_wp_range(), and concurrent use.
 *
 * W6 (mmget_not_zero()) is not modelled: a context keeps its mm alive. W10
 * (-ENOMEM from change_protection()) needs an allocation failure the model
 * cannot be made to have.
 */
#include "wp_move_test.h"

#define TASK UFFDOPS_TASK_SIZE
#define SF (MAP_SHARED | MAP_FIXED)

struct env {
	struct uffdops_mm *mm;
	struct uffdops_ctx *ctx;
	struct uffdops_file *file;
};

/* An anonymous 8-page VMA at BASE, pages 0 and 1 written, registered @mode. */
static struct env env_anon(__u64 features, __u64 mode)
{
	struct env e = { .mm = mm_new() };

	e.ctx = ctx_new(e.mm, O_NONBLOCK, features);
	map_fixed(e.mm, BASE, 8 * P, RW, PA, NULL);
	poke(e.mm, BASE, 0x100);
	poke(e.mm, BASE + P, 0x101);
	assert_int_equal(uffd_reg(e.ctx, BASE, 8 * P, mode, NULL), 0);
	return e;
}

/* A memory-type file of @size mapped at BASE with @flags. */
static struct env env_file(const char *type, unsigned long size, int flags,
			   __u64 features)
{
	struct env e = { .mm = mm_new() };

	e.ctx = ctx_new(e.mm, O_NONBLOCK, features);
	assert_int_equal(uffdops_file_create(type, size, &e.file), 0);
	map_fixed(e.mm, BASE, size, RW, flags, e.file);
	return e;
}

static void env_free(struct env *e)
{
	uffdops_close(e->ctx);
	uffdops_mm_destroy(e->mm);
	if (e->file)
		uffdops_file_close(e->file);
}

/* ------------------------------------------------------------------------ */
/* W1-W5, W11: checks before and around the walk.                            */
/* ------------------------------------------------------------------------ */

static void test_w1_mmap_changing_first(void **state)
{
	struct env e = env_anon(0, UW);
	struct trace_gate g;

	(void)state;
	trace_gate_init(&g, e.mm, NULL);
	mmap_changing(e.ctx, 1);
	/* W1 comes before the argument is read: bad mode, NULL argument */
	assert_int_equal(uffd_wp(e.ctx, BASE, 8 * P, WPM), -EAGAIN);
	assert_int_equal(uffd_wp(e.ctx, BASE, 8 * P, 0xff), -EAGAIN);
	assert_int_equal(uffdops_ioctl(e.ctx, UFFDIO_WRITEPROTECT, NULL),
			 -EAGAIN);
	assert_failed_in(&g, "userfaultfd_writeprotect", -EAGAIN);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X);
	mmap_changing(e.ctx, -1);
	/* W2 */
	assert_int_equal(uffdops_ioctl(e.ctx, UFFDIO_WRITEPROTECT, NULL),
			 -EFAULT);
	assert_failed_in(&g, "userfaultfd_writeprotect", -EFAULT);
	assert_int_equal(uffd_wp(e.ctx, BASE, 8 * P, WPM), 0);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_w2_unreadable_argument(void **state)
{
	struct env e = env_anon(0, UW);

	(void)state;
	/* an argument in unmapped simulated memory */
	assert_int_equal(uffdops_ioctl_uaddr(e.ctx, UFFDIO_WRITEPROTECT,
					     BASE + 64 * P),
			 -EFAULT);
	/* the last byte unreadable: all 24 bytes are read */
	map_fixed(e.mm, BASE + 32 * P, P, RW, PA, NULL);
	assert_int_equal(uffdops_ioctl_uaddr(e.ctx, UFFDIO_WRITEPROTECT,
					     BASE + 33 * P - 23),
			 -EFAULT);
	env_free(&e);
}

static void test_w3_validate_range(void **state)
{
	static const struct {
		unsigned long start, len;
		const char *kfn;
	} bad[] = {
		{ BASE + 1, P, "validate_range" },
		{ BASE, P + 1, "validate_unaligned_range" },
		{ BASE, 0, "validate_unaligned_range" },
		{ TASK, P, "validate_unaligned_range" },
		{ TASK - P, 2 * P, "validate_unaligned_range" },
	};
	struct env e = env_anon(0, UW);
	struct trace_gate g;

	(void)state;
	trace_gate_init(&g, e.mm, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		/* W3 before W4: a bad mode too still says validate_range */
		assert_int_equal(uffd_wp(e.ctx, bad[i].start, bad[i].len, 4),
				 -EINVAL);
		assert_failed_in(&g, bad[i].kfn, -EINVAL);
		assert_int_equal(pm(e.mm, BASE), PM_P | PM_X);
	}
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_w4_w5_mode(void **state)
{
	struct env e = env_anon(0, UW);
	struct trace_gate g;

	(void)state;
	trace_gate_init(&g, e.mm, NULL);
	assert_int_equal(uffd_wp(e.ctx, BASE, P, 4), -EINVAL);
	assert_string_equal(trace_last_failure(&g)->check,
			    "mode has bits other than WP|DONTWAKE");
	assert_int_equal(uffd_wp(e.ctx, BASE, P, WPM | WDW), -EINVAL);
	assert_string_equal(trace_last_failure(&g)->check,
			    "mode is WP|DONTWAKE");
	assert_failed_in(&g, "userfaultfd_writeprotect", -EINVAL);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X);
	/* mode 0 and DONTWAKE alone are fine */
	assert_int_equal(uffd_wp(e.ctx, BASE, P, 0), 0);
	assert_int_equal(uffd_wp(e.ctx, BASE, P, WDW), 0);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_w7_mmap_changing_under_lock(void **state)
{
	struct env e = env_anon(0, UW);
	struct uffdio_writeprotect wp = {
		.range = { .start = BASE, .len = 8 * P },
		.mode = WPM,
	};
	struct async_ioctl a;
	struct trace_gate g;

	(void)state;
	/* park the ioctl after W5, then start an event */
	trace_gate_init(&g, e.mm, "mode is WP|DONTWAKE");
	async_ioctl_start(&a, e.ctx, UFFDIO_WRITEPROTECT, &wp);
	while (!atomic_load(&g.parked))
		msleep(1);
	mmap_changing(e.ctx, 1);
	atomic_store(&g.release, true);
	assert_int_equal(async_ioctl_join(&a), -EAGAIN);
	assert_failed_in(&g, "mwriteprotect_range", -EAGAIN);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X);
	mmap_changing(e.ctx, -1);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_w11_no_vma_and_gaps(void **state)
{
	struct env e = env_anon(0, UW);
	struct trace_gate g;

	(void)state;
	map_fixed(e.mm, BASE + 12 * P, 2 * P, RW, PA, NULL);
	poke(e.mm, BASE + 12 * P, 0x1200);
	assert_int_equal(uffd_reg(e.ctx, BASE + 12 * P, 2 * P, UW, NULL), 0);
	trace_gate_init(&g, e.mm, NULL);
	/* W11: only a hole */
	assert_int_equal(uffd_wp(e.ctx, BASE + 8 * P, 4 * P, WPM), -ENOENT);
	assert_failed_in(&g, "mwriteprotect_range", -ENOENT);
	assert_string_equal(trace_last_failure(&g)->check,
			    "no VMA intersects the range");
	assert_int_equal(uffd_wp(e.ctx, BASE + 64 * P, P, WPM), -ENOENT);
	/* gaps between VMAs are skipped */
	assert_int_equal(uffd_wp(e.ctx, BASE, 14 * P, WPM), 0);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X | PM_W);
	assert_int_equal(pm(e.mm, BASE + 12 * P), PM_P | PM_X | PM_W);
	assert_int_equal(uffd_wp(e.ctx, BASE + 4 * P, 10 * P, 0), 0);
	assert_int_equal(pm(e.mm, BASE + 12 * P), PM_P | PM_X);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X | PM_W);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* W8, W9: per-VMA refusals after earlier VMAs changed.                      */
/* ------------------------------------------------------------------------ */

static void test_w8_not_wp_registered(void **state)
{
	struct env e = env_anon(0, UW);
	struct trace_gate g;

	(void)state;
	/* [BASE+8P, +4P): MISSING only; [BASE+12P, +4P): unregistered */
	map_fixed(e.mm, BASE + 8 * P, 8 * P, RW, PA, NULL);
	poke(e.mm, BASE + 8 * P, 0x800);
	poke(e.mm, BASE + 12 * P, 0xc00);
	assert_int_equal(uffd_reg(e.ctx, BASE + 8 * P, 4 * P, UM, NULL), 0);
	trace_gate_init(&g, e.mm, NULL);
	assert_int_equal(uffd_wp(e.ctx, BASE + 8 * P, 4 * P, WPM), -ENOENT);
	assert_failed_in(&g, "mwriteprotect_range", -ENOENT);
	assert_int_equal(uffd_wp(e.ctx, BASE + 12 * P, P, WPM), -ENOENT);
	/* the WP VMA first is changed, then the MISSING one stops the walk */
	assert_int_equal(uffd_wp(e.ctx, BASE, 16 * P, WPM), -ENOENT);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X | PM_W);
	assert_int_equal(pm(e.mm, BASE + P), PM_P | PM_X | PM_W);
	assert_int_equal(pm(e.mm, BASE + 8 * P), PM_P | PM_X);
	/* resolving partially too */
	assert_int_equal(uffd_wp(e.ctx, BASE + 4 * P, 8 * P, 0), -ENOENT);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X | PM_W);
	assert_int_equal(uffd_wp(e.ctx, BASE, 12 * P, 0), -ENOENT);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X);
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_w9_hugetlb_alignment(void **state)
{
	struct env e = env_file("hugetlb", 4 * H, SF, 0);
	struct trace_gate g;

	(void)state;
	for (int i = 0; i < 2; i++)
		poke(e.mm, BASE + i * H, 0x80 + i);
	assert_int_equal(uffd_reg(e.ctx, BASE, 4 * H, UW, NULL), 0);
	trace_gate_init(&g, e.mm, NULL);
	assert_int_equal(uffd_wp(e.ctx, BASE + P, H, WPM), -EINVAL);
	assert_failed_in(&g, "mwriteprotect_range", -EINVAL);
	assert_int_equal(uffd_wp(e.ctx, BASE, H + P, WPM), -EINVAL);
	assert_int_equal(uffd_wp(e.ctx, BASE + H, P, WPM), -EINVAL);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_F | PM_X);
	assert_int_equal(pm(e.mm, BASE + 2 * H), 0);
	/* aligned: the bit on present huge pages, markers (bit 57 only) */
	assert_int_equal(uffd_wp(e.ctx, BASE, 4 * H, WPM), 0);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_F | PM_X | PM_W);
	assert_int_equal(pm(e.mm, BASE + H + 5 * P), PM_P | PM_F | PM_X | PM_W);
	assert_int_equal(pm(e.mm, BASE + 2 * H), PM_W);
	assert_int_equal(pte_at(e.mm, BASE + 3 * H, PT_LEVEL_PMD).flags,
			 PTE_MARKER_UFFD_WP);
	assert_false(pte_write(pte_at(e.mm, BASE, PT_LEVEL_PMD)));
	/* resolving: bit and markers go, hugetlb never upgrades to writable */
	assert_int_equal(uffd_wp(e.ctx, BASE, 4 * H, 0), 0);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_F | PM_X);
	assert_int_equal(pm(e.mm, BASE + 2 * H), 0);
	assert_false(pte_write(pte_at(e.mm, BASE, PT_LEVEL_PMD)));
	trace_gate_fini(&g, e.mm);
	env_free(&e);
}

static void test_w9_partial_before_hugetlb(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_ctx *ctx = ctx_new(mm, 0, 0);
	unsigned long anon = BASE + H - 2 * P;

	(void)state;
	map_fixed(mm, anon, 2 * P, RW, PA, NULL);
	map_fixed(mm, BASE + H, H, RW, PA | MAP_HUGETLB, NULL);
	poke(mm, anon, 1);
	poke(mm, BASE + H, 2);
	assert_int_equal(uffd_reg(ctx, anon, H + 2 * P, UW, NULL), 0);
	/* the request's start is not huge-aligned: anon changed, then EINVAL */
	assert_int_equal(uffd_wp(ctx, anon, H + 2 * P, WPM), -EINVAL);
	assert_int_equal(pm(mm, anon), PM_P | PM_X | PM_W);
	assert_int_equal(pm(mm, BASE + H), PM_P | PM_X);
	assert_int_equal(uffd_wp(ctx, BASE + H, H, WPM), 0);
	assert_int_equal(pm(mm, BASE + H), PM_P | PM_X | PM_W);
	uffdops_close(ctx);
	uffdops_mm_destroy(mm);
}

/* ------------------------------------------------------------------------ */
/* What protecting and resolving do to entries (spec §1.4, §2.8).            */
/* ------------------------------------------------------------------------ */

static void test_anon_entry_states(void **state)
{
	struct env e = env_anon(0, UM | UW);
	struct pte pte;

	(void)state;
	/* page 2: the zero page (read fault before registration) */
	assert_int_equal(uffd_unreg(e.ctx, BASE, 8 * P), 0);
	touch(e.mm, BASE + 2 * P);
	assert_int_equal(uffd_reg(e.ctx, BASE, 8 * P, UM | UW, NULL), 0);
	assert_true(pte_write(pte_at(e.mm, BASE, PT_LEVEL_PTE)));

	assert_int_equal(uffd_wp(e.ctx, BASE, 8 * P, WPM), 0);
	pte = pte_at(e.mm, BASE, PT_LEVEL_PTE);
	assert_true(pte_uffd_wp(pte));
	assert_false(pte_write(pte));
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X | PM_W);
	assert_true(pm_entry(e.mm, BASE + 2 * P).zero_page);
	assert_int_equal(pm(e.mm, BASE + 2 * P), PM_P | PM_W);
	/* anon without WP_UNPOPULATED: none stays none */
	assert_int_equal(pm(e.mm, BASE + 3 * P), 0);
	assert_true(pte_none(pte_at(e.mm, BASE + 3 * P, PT_LEVEL_PTE)));
	/* idempotent */
	assert_int_equal(uffd_wp(e.ctx, BASE, 8 * P, WPM), 0);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X | PM_W);

	/* resolving page 1 only; an exclusive page is writable again */
	assert_int_equal(uffd_wp(e.ctx, BASE + P, P, 0), 0);
	pte = pte_at(e.mm, BASE + P, PT_LEVEL_PTE);
	assert_false(pte_uffd_wp(pte));
	assert_true(pte_write(pte));
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X | PM_W);
	/* the zero page stays read-only */
	assert_int_equal(uffd_wp(e.ctx, BASE, 8 * P, WDW), 0);
	pte = pte_at(e.mm, BASE + 2 * P, PT_LEVEL_PTE);
	assert_true(is_zero_pte(pte));
	assert_false(pte_write(pte) || pte_uffd_wp(pte));
	assert_int_equal(peek(e.mm, BASE), 0x100);
	assert_int_equal(peek(e.mm, BASE + P), 0x101);
	env_free(&e);
}

static void test_anon_unpopulated_markers(void **state)
{
	static const __u64 features[] = { UFFD_FEATURE_WP_UNPOPULATED,
					  UFFD_FEATURE_WP_ASYNC };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
		struct env e = env_anon(features[i], UM | UW);

		/* page 3 a guard, page 5 poisoned: never touched by WP */
		assert_int_equal(uffd_unreg(e.ctx, BASE, 8 * P), 0);
		assert_int_equal(uffdops_madvise(e.mm, BASE + 3 * P, P,
						 MADV_GUARD_INSTALL),
				 0);
		assert_int_equal(uffd_reg(e.ctx, BASE, 8 * P, UM | UW, NULL),
				 0);
		assert_int_equal(
			uffdops_ioctl(e.ctx, UFFDIO_POISON,
				      &(struct uffdio_poison){
					      .range = { BASE + 5 * P, P } }),
			0);

		assert_int_equal(uffd_wp(e.ctx, BASE, 8 * P, WPM), 0);
		assert_int_equal(pm(e.mm, BASE), PM_P | PM_X | PM_W);
		assert_int_equal(pm(e.mm, BASE + 2 * P), PM_S | PM_W);
		assert_int_equal(pm_entry(e.mm, BASE + 2 * P).marker,
				 UFFDOPS_MARKER_UFFD_WP);
		assert_int_equal(pm(e.mm, BASE + 3 * P), PM_S | PM_G);
		assert_int_equal(pm_entry(e.mm, BASE + 5 * P).marker,
				 UFFDOPS_MARKER_POISON);
		/* resolving drops uffd-wp markers only */
		assert_int_equal(uffd_wp(e.ctx, BASE + 2 * P, 4 * P, 0), 0);
		assert_int_equal(pm(e.mm, BASE + 2 * P), 0);
		assert_int_equal(pm(e.mm, BASE + 3 * P), PM_S | PM_G);
		assert_int_equal(pm_entry(e.mm, BASE + 5 * P).marker,
				 UFFDOPS_MARKER_POISON);
		assert_int_equal(pm(e.mm, BASE + 6 * P), PM_S | PM_W);
		/* UNREGISTER resolves through the same helper */
		assert_int_equal(uffd_unreg(e.ctx, BASE, 8 * P), 0);
		assert_int_equal(pm(e.mm, BASE), PM_P | PM_X);
		assert_int_equal(pm(e.mm, BASE + 6 * P), 0);
		assert_int_equal(pm(e.mm, BASE + 3 * P), PM_S | PM_G);
		env_free(&e);
	}
}

static void test_shmem_markers(void **state)
{
	struct env e = env_file("shmem", 8 * P, SF, 0);
	struct pte pte;

	(void)state;
	poke(e.mm, BASE, 1);
	poke(e.mm, BASE + P, 2);
	/* page 1 cached but unmapped */
	assert_int_equal(uffdops_madvise(e.mm, BASE + P, P, MADV_DONTNEED), 0);
	assert_int_equal(uffd_reg(e.ctx, BASE, 8 * P, UW, NULL), 0);
	assert_int_equal(uffd_wp(e.ctx, BASE, 8 * P, WPM), 0);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_F | PM_X | PM_W);
	for (int i = 1; i < 8; i++)
		assert_int_equal(pm(e.mm, BASE + i * P), PM_S | PM_W);
	/* resolving: a dirty shared page is writable again */
	assert_int_equal(uffd_wp(e.ctx, BASE, 4 * P, 0), 0);
	pte = pte_at(e.mm, BASE, PT_LEVEL_PTE);
	assert_false(pte_uffd_wp(pte));
	assert_true(pte_write(pte));
	assert_int_equal(pm(e.mm, BASE + P), 0);
	assert_int_equal(pm(e.mm, BASE + 4 * P), PM_S | PM_W);
	assert_int_equal(peek(e.mm, BASE), 1);
	/* UNREGISTER drops the rest */
	assert_int_equal(uffd_unreg(e.ctx, BASE, 8 * P), 0);
	assert_int_equal(pm(e.mm, BASE + 4 * P), 0);
	env_free(&e);
}

static void test_private_file_and_regular_file(void **state)
{
	struct env e = env_file("shmem", 4 * P, PA & ~MAP_ANONYMOUS, 0);
	struct env f = env_file("file", 4 * P, SF, UFFD_FEATURE_WP_ASYNC);
	struct pte pte;

	(void)state;
	/* MAP_PRIVATE shmem: a CoW copy, a read-only cache page, markers */
	poke(e.mm, BASE, 1);
	touch(e.mm, BASE + P);
	assert_int_equal(uffd_reg(e.ctx, BASE, 4 * P, UM | UW, NULL), 0);
	assert_int_equal(uffd_wp(e.ctx, BASE, 4 * P, WPM), 0);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X | PM_W);
	assert_int_equal(pm(e.mm, BASE + P), PM_P | PM_F | PM_X | PM_W);
	assert_int_equal(pm(e.mm, BASE + 2 * P), PM_S | PM_W);
	assert_int_equal(uffd_wp(e.ctx, BASE, 4 * P, 0), 0);
	/* the CoW copy is writable again, the cache page is not */
	assert_true(pte_write(pte_at(e.mm, BASE, PT_LEVEL_PTE)));
	pte = pte_at(e.mm, BASE + P, PT_LEVEL_PTE);
	assert_false(pte_write(pte) || pte_uffd_wp(pte));
	assert_int_equal(pm(e.mm, BASE + 2 * P), 0);

	/* a regular file (WP_ASYNC registration): markers too */
	poke(f.mm, BASE, 7);
	assert_int_equal(uffd_reg(f.ctx, BASE, 4 * P, UW, NULL), 0);
	assert_int_equal(uffd_wp(f.ctx, BASE, 4 * P, WPM), 0);
	assert_int_equal(pm(f.mm, BASE), PM_P | PM_F | PM_X | PM_W);
	assert_int_equal(pm(f.mm, BASE + 3 * P), PM_S | PM_W);
	env_free(&e);
	env_free(&f);
}

static void test_non_exclusive_stays_read_only(void **state)
{
	struct env e = env_anon(0, UW);
	struct uffdops_mm *child;

	(void)state;
	/* fork shares page 0: resolving cannot make it writable */
	assert_int_equal(uffdops_fork(e.mm, &child), 0);
	uffdops_mm_destroy(child);
	assert_int_equal(uffd_wp(e.ctx, BASE, P, WPM), 0);
	assert_int_equal(uffd_wp(e.ctx, BASE, P, 0), 0);
	assert_false(pte_write(pte_at(e.mm, BASE, PT_LEVEL_PTE)));
	assert_false(pte_uffd_wp(pte_at(e.mm, BASE, PT_LEVEL_PTE)));
	env_free(&e);
}

static void test_other_context(void **state)
{
	struct env e = env_anon(UFFD_FEATURE_WP_UNPOPULATED, UW);
	struct uffdops_ctx *other = ctx_new(e.mm, O_NONBLOCK, 0);
	struct waiter w;

	(void)state;
	/* no ctx check: any userfaultfd of the mm protects a WP VMA ... */
	assert_int_equal(uffd_wp(other, BASE, 8 * P, WPM), 0);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X | PM_W);
	/* ... with markers as the registering context's features say */
	assert_int_equal(pm(e.mm, BASE + 4 * P), PM_S | PM_W);
	/* but its wake reaches only its own waiters */
	waiter_start(&w, e.mm, e.ctx, BASE, VM_UFFD_WP);
	assert_int_equal(uffd_wp(other, BASE, 8 * P, 0), 0);
	assert_blocked(&w);
	assert_int_equal(uffd_wake(e.ctx, BASE, P), 0);
	assert_woken(&w);
	uffdops_close(other);
	env_free(&e);
}

static void test_fault_path_helpers(void **state)
{
	struct env a = env_anon(0, UW);
	struct env u = env_anon(UFFD_FEATURE_WP_UNPOPULATED, UM);
	struct env s = env_file("shmem", 4 * P, SF, 0);
	struct uffdops_vma *va, *vu, *vs;

	(void)state;
	assert_int_equal(uffd_reg(s.ctx, BASE, 4 * P, UW, NULL), 0);
	assert_int_equal(uffd_wp(a.ctx, BASE, P, WPM), 0);
	va = vma_lookup(a.mm, BASE);
	vu = vma_lookup(u.mm, BASE);
	vs = vma_lookup(s.mm, BASE);
	assert_true(userfaultfd_wp(va) && !userfaultfd_wp(vu));
	/* markers: file-backed always, anon with WP_UNPOPULATED, WP only */
	assert_false(userfaultfd_wp_use_markers(va));
	assert_false(userfaultfd_wp_use_markers(vu));
	assert_true(userfaultfd_wp_use_markers(vs));
	assert_true(userfaultfd_pte_wp(va, pte_at(a.mm, BASE, PT_LEVEL_PTE)));
	assert_false(
		userfaultfd_pte_wp(va, pte_at(a.mm, BASE + P, PT_LEVEL_PTE)));
	env_free(&a);
	env_free(&u);
	env_free(&s);
}

/* ------------------------------------------------------------------------ */
/* W12: waking.                                                              */
/* ------------------------------------------------------------------------ */

static void test_w12_wake_rules(void **state)
{
	struct env e = env_anon(0, UM | UW);
	struct waiter w, m, far;

	(void)state;
	assert_int_equal(uffd_wp(e.ctx, BASE, 8 * P, WPM), 0);
	waiter_start(&w, e.mm, e.ctx, BASE + P, VM_UFFD_WP);
	waiter_start(&m, e.mm, e.ctx, BASE + 4 * P, VM_UFFD_MISSING);
	waiter_start(&far, e.mm, e.ctx, BASE + 7 * P, VM_UFFD_MISSING);
	/* protecting never wakes */
	assert_int_equal(uffd_wp(e.ctx, BASE, 8 * P, WPM), 0);
	assert_blocked(&w);
	/* resolving with DONTWAKE does not either */
	assert_int_equal(uffd_wp(e.ctx, BASE, 2 * P, WDW), 0);
	assert_blocked(&w);
	assert_int_equal(uffd_wake(e.ctx, BASE + P, P), 0);
	assert_woken(&w);
	/* resolving wakes its whole range, MISSING waiters included */
	assert_int_equal(uffd_wp(e.ctx, BASE + 2 * P, 4 * P, 0), 0);
	assert_woken(&m);
	assert_blocked(&far);
	/* a range running past the last VMA is fine: the rest is a gap */
	assert_int_equal(uffd_wp(e.ctx, BASE + 7 * P, 4 * P, 0), 0);
	assert_woken(&far);
	env_free(&e);
}

static void test_w12_failure_does_not_wake(void **state)
{
	struct env e = env_anon(0, UW);
	struct waiter w;

	(void)state;
	map_fixed(e.mm, BASE + 8 * P, 4 * P, RW, PA, NULL);
	assert_int_equal(uffd_reg(e.ctx, BASE + 8 * P, 4 * P, UM, NULL), 0);
	assert_int_equal(uffd_wp(e.ctx, BASE, 8 * P, WPM), 0);
	waiter_start(&w, e.mm, e.ctx, BASE, VM_UFFD_WP);
	/* W8 after the WP VMA was resolved: ENOENT and no wake */
	assert_int_equal(uffd_wp(e.ctx, BASE, 12 * P, 0), -ENOENT);
	assert_int_equal(pm(e.mm, BASE), PM_P | PM_X);
	assert_blocked(&w);
	uffdops_close(e.ctx);
	e.ctx = NULL;
	assert_woken(&w);
	env_free(&e);
}

/* ------------------------------------------------------------------------ */
/* Concurrency.                                                              */
/* ------------------------------------------------------------------------ */

#define CONC_PAGES 64
#define CONC_ROUNDS 200

struct conc {
	struct env *e;
	int id;
	atomic_int *bad;
};

static void *conc_wp_thread(void *arg)
{
	struct conc *c = arg;

	for (int i = 0; i < CONC_ROUNDS; i++) {
		unsigned long off = ((unsigned long)(i * 7 + c->id * 13) %
				     (CONC_PAGES / 2)) *
				    P;

		uffd_wp(c->e->ctx, BASE + off, CONC_PAGES / 2 * P,
			i & 1 ? WDW : WPM);
	}
	return NULL;
}

static void *conc_reader_thread(void *arg)
{
	struct conc *c = arg;
	struct uffdops_pagemap_entry pe;
	__u64 v;

	for (int i = 0; i < CONC_ROUNDS; i++) {
		unsigned long addr = BASE + (unsigned long)(i % CONC_PAGES) * P;

		uffdops_pagemap(c->e->mm, addr, &pe);
		/* present pages keep their contents whatever WP does */
		if ((pe.bits & PM_P) &&
		    (uffdops_read_mem(c->e->mm, addr, &v, sizeof(v),
				      UFFDOPS_ACCESS_NOFAULT) != sizeof(v) ||
		     v != addr))
			atomic_fetch_add(c->bad, 1);
	}
	return NULL;
}

static void test_concurrent_wp(void **state)
{
	struct env e = { .mm = mm_new() };
	pthread_t t[6];
	struct conc c[6];
	atomic_int bad = 0;

	(void)state;
	e.ctx = ctx_new(e.mm, O_NONBLOCK, UFFD_FEATURE_WP_UNPOPULATED);
	map_fixed(e.mm, BASE, CONC_PAGES * P, RW, PA, NULL);
	for (unsigned long i = 0; i < CONC_PAGES; i += 2)
		poke(e.mm, BASE + i * P, BASE + i * P);
	assert_int_equal(uffd_reg(e.ctx, BASE, CONC_PAGES * P, UW, NULL), 0);
	for (int i = 0; i < 6; i++) {
		c[i] = (struct conc){ .e = &e, .id = i, .bad = &bad };
		assert_int_equal(pthread_create(&t[i], NULL,
						i < 4 ? conc_wp_thread :
							conc_reader_thread,
						&c[i]),
				 0);
	}
	for (int i = 0; i < 6; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(atomic_load(&bad), 0);
	/* a final resolve leaves every page as it was before */
	assert_int_equal(uffd_wp(e.ctx, BASE, CONC_PAGES * P, 0), 0);
	for (unsigned long i = 0; i < CONC_PAGES; i++)
		assert_int_equal(pm(e.mm, BASE + i * P),
				 i % 2 ? 0 : PM_P | PM_X);
	env_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_w1_mmap_changing_first),
		cmocka_unit_test(test_w2_unreadable_argument),
		cmocka_unit_test(test_w3_validate_range),
		cmocka_unit_test(test_w4_w5_mode),
		cmocka_unit_test(test_w7_mmap_changing_under_lock),
		cmocka_unit_test(test_w11_no_vma_and_gaps),
		cmocka_unit_test(test_w8_not_wp_registered),
		cmocka_unit_test(test_w9_hugetlb_alignment),
		cmocka_unit_test(test_w9_partial_before_hugetlb),
		cmocka_unit_test(test_anon_entry_states),
		cmocka_unit_test(test_anon_unpopulated_markers),
		cmocka_unit_test(test_shmem_markers),
		cmocka_unit_test(test_private_file_and_regular_file),
		cmocka_unit_test(test_non_exclusive_stays_read_only),
		cmocka_unit_test(test_other_context),
		cmocka_unit_test(test_fault_path_helpers),
		cmocka_unit_test(test_w12_wake_rules),
		cmocka_unit_test(test_w12_failure_does_not_wake),
		cmocka_unit_test(test_concurrent_wp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
