/* SPDX-License-Identifier: MIT */
/*
 * test_uffd_register.c - UFFDIO_REGISTER, UFFDIO_UNREGISTER and UFFDIO_WAKE
 * on the model: every errno row of spec §2.2-§2.4, the order of checks when
 * one input has several faults, the returned ioctl masks of every memory
 * kind, the surprises of §4.2 (3, 4, 9's uffd-wp part, 10), the decision
 * trace of each failure, and that a failed REGISTER changes nothing.
 */
#include <stdatomic.h>

#include "../../src/mm.h"
#include "uffd_test.h"

#define TASK_SIZE UFFDOPS_TASK_SIZE
#define E 0 /* the mode is refused with -EINVAL */

/* ------------------------------------------------------------------------ */
/* Memory kinds.                                                             */
/* ------------------------------------------------------------------------ */

static void map_file(struct uffdops_mm *mm, unsigned long addr,
		     unsigned long len, const char *type, int flags, int prot,
		     int open_flags)
{
	struct uffdops_file *file, *ro;

	assert_int_equal(uffdops_file_create(type, len, &file), 0);
	if (open_flags != O_RDWR) {
		assert_int_equal(uffdops_file_open(file, open_flags, &ro), 0);
		uffdops_file_close(file);
		file = ro;
	}
	map_fixed(mm, addr, len, prot, flags, file);
	uffdops_file_close(file);
}

static void kind_anon(struct uffdops_mm *mm, unsigned long a, unsigned long l)
{
	map_fixed(mm, a, l, RW, PA, NULL);
}

static void kind_shmem_shared(struct uffdops_mm *mm, unsigned long a,
			      unsigned long l)
{
	map_file(mm, a, l, "shmem", MAP_SHARED, RW, O_RDWR);
}

static void kind_shmem_private(struct uffdops_mm *mm, unsigned long a,
			       unsigned long l)
{
	map_file(mm, a, l, "shmem", MAP_PRIVATE, RW, O_RDWR);
}

static void kind_shared_anon(struct uffdops_mm *mm, unsigned long a,
			     unsigned long l)
{
	map_fixed(mm, a, l, RW, MAP_SHARED | MAP_ANONYMOUS, NULL);
}

static void kind_hugetlb_private(struct uffdops_mm *mm, unsigned long a,
				 unsigned long l)
{
	map_fixed(mm, a, l, RW, PA | MAP_HUGETLB, NULL);
}

static void kind_hugetlb_shared(struct uffdops_mm *mm, unsigned long a,
				unsigned long l)
{
	map_fixed(mm, a, l, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, NULL);
}

static void kind_hugetlb_file(struct uffdops_mm *mm, unsigned long a,
			      unsigned long l)
{
	map_file(mm, a, l, "hugetlb", MAP_SHARED, RW, O_RDWR);
}

static void kind_hugetlb_file_private(struct uffdops_mm *mm, unsigned long a,
				      unsigned long l)
{
	map_file(mm, a, l, "hugetlb", MAP_PRIVATE, RW, O_RDWR);
}

static void kind_disk_file(struct uffdops_mm *mm, unsigned long a,
			   unsigned long l)
{
	map_file(mm, a, l, "file", MAP_SHARED, RW, O_RDWR);
}

static void kind_disk_file_private(struct uffdops_mm *mm, unsigned long a,
				   unsigned long l)
{
	map_file(mm, a, l, "file", MAP_PRIVATE, RW, O_RDWR);
}

static void kind_droppable(struct uffdops_mm *mm, unsigned long a,
			   unsigned long l)
{
	map_fixed(mm, a, l, RW, MAP_DROPPABLE | MAP_ANONYMOUS, NULL);
}

/* [anon 4K][hugetlb 2M] starting at a, l ignored. */
static void kind_anon_then_hugetlb(struct uffdops_mm *mm, unsigned long a,
				   unsigned long l)
{
	(void)l;
	map_fixed(mm, a - P, P, RW, PA, NULL);
	map_fixed(mm, a, H, RW, PA | MAP_HUGETLB, NULL);
}

struct kind {
	const char *name;
	void (*setup)(struct uffdops_mm *mm, unsigned long a, unsigned long l);
	unsigned long len;
	__u64 features;
	/* M, W, MW, I, MI, WI, MWI: the mask, or E */
	__u64 mask[7];
};

/* The verified table of spec §2.2. */
static const struct kind kinds[] = {
	{ "anon", kind_anon, 4 * P, 0, { 0x13c, 0x17c, 0x17c, E, E, E, E } },
	{ "anon wp_async",
	  kind_anon,
	  4 * P,
	  UFFD_FEATURE_WP_ASYNC,
	  { 0x13c, 0x17c, 0x17c, E, E, E, E } },
	{ "memfd shared",
	  kind_shmem_shared,
	  4 * P,
	  0,
	  { 0x13c, 0x17c, 0x17c, 0x1bc, 0x1bc, 0x1fc, 0x1fc } },
	{ "memfd private",
	  kind_shmem_private,
	  4 * P,
	  0,
	  { 0x13c, 0x17c, 0x17c, 0x1bc, 0x1bc, 0x1fc, 0x1fc } },
	{ "shared anon",
	  kind_shared_anon,
	  4 * P,
	  0,
	  { 0x13c, 0x17c, 0x17c, 0x1bc, 0x1bc, 0x1fc, 0x1fc } },
	{ "shmem wp_async",
	  kind_shmem_shared,
	  4 * P,
	  UFFD_FEATURE_WP_ASYNC,
	  { 0x13c, 0x17c, 0x17c, 0x1bc, 0x1bc, 0x1fc, 0x1fc } },
	{ "hugetlb private",
	  kind_hugetlb_private,
	  2 * H,
	  0,
	  { 0x10c, 0x14c, 0x14c, 0x18c, 0x18c, 0x1cc, 0x1cc } },
	{ "hugetlb shared",
	  kind_hugetlb_shared,
	  2 * H,
	  0,
	  { 0x10c, 0x14c, 0x14c, 0x18c, 0x18c, 0x1cc, 0x1cc } },
	{ "hugetlb memfd shared",
	  kind_hugetlb_file,
	  2 * H,
	  0,
	  { 0x10c, 0x14c, 0x14c, 0x18c, 0x18c, 0x1cc, 0x1cc } },
	{ "hugetlb memfd private",
	  kind_hugetlb_file_private,
	  2 * H,
	  0,
	  { 0x10c, 0x14c, 0x14c, 0x18c, 0x18c, 0x1cc, 0x1cc } },
	{ "hugetlb wp_async",
	  kind_hugetlb_private,
	  2 * H,
	  UFFD_FEATURE_WP_ASYNC,
	  { 0x10c, 0x14c, 0x14c, 0x18c, 0x18c, 0x1cc, 0x1cc } },
	{ "disk file shared",
	  kind_disk_file,
	  4 * P,
	  0,
	  { E, E, E, E, E, E, E } },
	{ "disk file private",
	  kind_disk_file_private,
	  4 * P,
	  0,
	  { E, E, E, E, E, E, E } },
	{ "disk file wp_async",
	  kind_disk_file,
	  4 * P,
	  UFFD_FEATURE_WP_ASYNC,
	  { E, 0x17c, E, E, E, E, E } },
	{ "disk file private wp_async",
	  kind_disk_file_private,
	  4 * P,
	  UFFD_FEATURE_WP_ASYNC,
	  { E, 0x17c, E, E, E, E, E } },
	{ "droppable", kind_droppable, 4 * P, 0, { E, E, E, E, E, E, E } },
	{ "droppable wp_async",
	  kind_droppable,
	  4 * P,
	  UFFD_FEATURE_WP_ASYNC,
	  { E, E, E, E, E, E, E } },
	{ "[anon 4K][hugetlb 2M]",
	  kind_anon_then_hugetlb,
	  H,
	  0,
	  { 0x10c, 0x14c, 0x14c, E, E, E, E } },
};

static void test_register_masks(void **state)
{
	size_t k;
	int m;

	(void)state;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const struct kind *kd = &kinds[k];
		bool mixed = kd->setup == kind_anon_then_hugetlb;
		unsigned long start = mixed ? BASE + H - P : BASE + H;
		unsigned long len = mixed ? P + H : kd->len;

		for (m = 0; m < 7; m++) {
			struct uffdops_mm *mm = mm_new();
			struct uffdops_ctx *ctx =
				ctx_new(mm, O_NONBLOCK, kd->features);
			struct maps before, after;
			__u64 ioctls;
			int ret;

			kd->setup(mm, BASE + H, kd->len);
			maps_get(mm, &before);
			ret = uffd_reg(ctx, start, len, (__u64)m + 1, &ioctls);
			maps_get(mm, &after);
			if (kd->mask[m] == E) {
				if (ret != -EINVAL)
					fail_msg("%s mode %d: %d", kd->name,
						 m + 1, ret);
				/* written back only on success */
				assert_int_equal(ioctls, ~(__u64)0);
				assert_true(maps_equal(&before, &after));
			} else {
				if (ret || ioctls != kd->mask[m])
					fail_msg("%s mode %d: %d %#llx",
						 kd->name, m + 1, ret,
						 (unsigned long long)ioctls);
				assert_int_equal(
					maps_at(&after, start + len - P)
							->vm_flags &
						__VM_UFFD_FLAGS,
					((m + 1) & UM ? VM_UFFD_MISSING : 0) |
						((m + 1) & UW ? VM_UFFD_WP :
								0) |
						((m + 1) & UI ? VM_UFFD_MINOR :
								0));
				assert_ptr_equal(
					maps_at(&after, start)->uffd_ctx, ctx);
			}
			uffdops_close(ctx);
			/* release unregistered everything again */
			maps_get(mm, &after);
			assert_true(maps_equal(&before, &after));
			uffdops_mm_destroy(mm);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Validation (R1-R8) and the trace of each failure.                         */
/* ------------------------------------------------------------------------ */

struct fixture {
	struct uffdops_mm *mm;
	struct uffdops_ctx *ctx;
	struct trace_log *log;
	struct maps before;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->mm = mm_new();
	f->ctx = ctx_new(f->mm, O_NONBLOCK, 0);
	f->log = calloc(1, sizeof(*f->log));
	assert_int_equal(uffdops_trace_set(f->mm, trace_record, f->log), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uffdops_close(f->ctx);
	assert_int_equal(uffdops_trace_set(f->mm, NULL, NULL), 0);
	uffdops_mm_destroy(f->mm);
	free(f->log);
	free(f);
	return 0;
}

/*
 * REGISTER must fail with @err, write nothing back, change no VMA, and its
 * trace must end with exactly one failed check: @check's words in the
 * check's text, made by @kfn, at @addr.
 */
static void expect_reg_fail(struct fixture *f, unsigned long start,
			    unsigned long len, __u64 mode, int err,
			    const char *check, const char *kfn,
			    unsigned long addr)
{
	struct maps before, after;
	const struct uffdops_trace_event *ev;
	__u64 ioctls;
	int ret;

	maps_get(f->mm, &before);
	f->log->n = 0;
	ret = uffd_reg(f->ctx, start, len, mode, &ioctls);
	if (ret != err)
		fail_msg("REGISTER(%#lx, %#lx, %llu) = %d, want %d", start, len,
			 (unsigned long long)mode, ret, err);
	assert_int_equal(ioctls, ~(__u64)0);
	maps_get(f->mm, &after);
	assert_true(maps_equal(&before, &after));
	ev = trace_last(f->log);
	assert_int_equal(trace_failures(f->log), 1);
	assert_int_equal(ev->result, err);
	assert_string_equal(ev->op, "UFFDIO_REGISTER");
	assert_string_equal(ev->kernel_function, kfn);
	if (!strstr(ev->check, check))
		fail_msg("check \"%s\" lacks \"%s\"", ev->check, check);
	assert_int_equal(ev->addr, addr);
}

static void test_register_validation(void **state)
{
	struct fixture *f = *state;
	const unsigned long top = TASK_SIZE - P;

	map_fixed(f->mm, BASE, 4 * P, RW, PA, NULL);
	/* R2, R3: the mode comes first, even before a bad range */
	expect_reg_fail(f, BASE, 4 * P, 0, -EINVAL, "mode",
			"userfaultfd_register", BASE);
	expect_reg_fail(f, BASE + 1, 0, 0, -EINVAL, "mode",
			"userfaultfd_register", BASE + 1);
	expect_reg_fail(f, BASE, 4 * P, 8, -EINVAL, "mode",
			"userfaultfd_register", BASE);
	expect_reg_fail(f, BASE, 4 * P, UM | 1ULL << 40, -EINVAL, "mode",
			"userfaultfd_register", BASE);
	/* R5: VR1..VR5 in order */
	expect_reg_fail(f, BASE + 1, 0, UM, -EINVAL, "page-aligned",
			"validate_range", BASE + 1);
	expect_reg_fail(f, BASE, P + 1, UM, -EINVAL, "multiple",
			"validate_unaligned_range", BASE);
	expect_reg_fail(f, BASE, 0, UM, -EINVAL, "len is 0",
			"validate_unaligned_range", BASE);
	expect_reg_fail(f, TASK_SIZE, P, UM, -EINVAL, "task size",
			"validate_unaligned_range", TASK_SIZE);
	expect_reg_fail(f, top, 2 * P, UM, -EINVAL, "start + len",
			"validate_unaligned_range", top);
	expect_reg_fail(f, ~0xfffUL, 2 * P, UM, -EINVAL, "task size",
			"validate_unaligned_range", ~0xfffUL);
	/* ranges at 0 and at the top validate (no mmap_min_addr, §4.2-5) */
	expect_reg_fail(f, 0, P, UM, -EINVAL, "no VMA", "vma_find", 0);
	expect_reg_fail(f, top, P, UM, -EINVAL, "no VMA", "vma_find", top);
	/* R7: only holes */
	expect_reg_fail(f, BASE + 4 * P, 4 * P, UM, -EINVAL, "no VMA",
			"vma_find", BASE + 4 * P);
	expect_reg_fail(f, BASE - 4 * P, 4 * P, UM, -EINVAL, "no VMA",
			"vma_find", BASE - 4 * P);
}

static void test_register_vma_checks(void **state)
{
	struct fixture *f = *state;
	struct uffdops_ctx *other = ctx_new(f->mm, O_NONBLOCK, 0);
	const unsigned long anon = BASE, ro = BASE + 4 * P, busy = BASE + 8 * P,
			    file = BASE + 12 * P, drop = BASE + 16 * P,
			    huge = BASE + H;

	kind_anon(f->mm, anon, 4 * P);
	map_file(f->mm, ro, 4 * P, "shmem", MAP_SHARED, PROT_READ, O_RDONLY);
	kind_anon(f->mm, busy, 4 * P);
	assert_int_equal(uffdops_mprotect(f->mm, busy, 4 * P, PROT_READ), 0);
	assert_int_equal(uffd_reg(other, busy, 4 * P, UM, NULL), 0);
	kind_disk_file(f->mm, file, 4 * P);
	kind_droppable(f->mm, drop, 4 * P);
	kind_hugetlb_private(f->mm, huge, 2 * H);

	/* R9a vma_can_userfault() through the memory type */
	expect_reg_fail(f, anon, 4 * P, UI, -EINVAL, "cannot userfault",
			"vma_can_userfault", anon);
	expect_reg_fail(f, file, 4 * P, UM, -EINVAL, "cannot userfault",
			"vma_can_userfault", file);
	expect_reg_fail(f, drop, 4 * P, UW, -EINVAL, "cannot userfault",
			"vma_can_userfault", drop);
	/* R9b: a shared mapping of a file opened read-only */
	expect_reg_fail(f, ro, 4 * P, UM, -EPERM, "VM_MAYWRITE",
			"userfaultfd_register", ro);
	expect_reg_fail(f, ro, 4 * P, UW | UI, -EPERM, "VM_MAYWRITE",
			"userfaultfd_register", ro);
	/* R9d: another context's VMA */
	expect_reg_fail(f, busy, 4 * P, UM, -EBUSY, "another userfaultfd",
			"userfaultfd_register", busy);
	expect_reg_fail(f, busy + P, P, UW, -EBUSY, "another userfaultfd",
			"userfaultfd_register", busy);
	/* R8: first VMA hugetlb, start not aligned */
	expect_reg_fail(f, huge + P, H, UM, -EINVAL, "first VMA is hugetlb",
			"userfaultfd_register", huge);
	/* ... even when start lies in the hole before it */
	expect_reg_fail(f, huge - P, P + H, UM, -EINVAL, "first VMA is hugetlb",
			"userfaultfd_register", huge);
	/* R9c: hugetlb VMA holding end, end not aligned */
	expect_reg_fail(f, huge, H + P, UM, -EINVAL, "end not huge-page",
			"userfaultfd_register", huge);
	expect_reg_fail(f, drop + 3 * P, huge - drop - 3 * P + P, UW, -EINVAL,
			"cannot userfault", "vma_can_userfault", drop);
	/* a hugetlb VMA that does not hold end: no R9c */
	assert_int_equal(uffd_reg(f->ctx, huge, 2 * H, UM, NULL), 0);
	assert_int_equal(uffd_unreg(f->ctx, huge, 2 * H), 0);
	uffdops_close(other);
}

/*
 * Several faults in one input: the VMAs are checked in address order and
 * the first failing check of the first failing VMA decides (spec §2.2).
 */
static void test_register_order(void **state)
{
	struct fixture *f = *state;
	struct uffdops_ctx *other = ctx_new(f->mm, O_NONBLOCK, 0);
	const unsigned long a = BASE, b = BASE + 4 * P, c = BASE + 8 * P,
			    d = BASE + 12 * P, e = BASE + 16 * P;

	/* [EPERM][EBUSY][EINVAL (disk file)][ok anon] [EINVAL and EPERM] */
	map_file(f->mm, a, 4 * P, "shmem", MAP_SHARED, PROT_READ, O_RDONLY);
	kind_anon(f->mm, b, 4 * P);
	assert_int_equal(uffd_reg(other, b, 4 * P, UM, NULL), 0);
	kind_disk_file(f->mm, c, 4 * P);
	kind_anon(f->mm, d, 4 * P);
	assert_int_equal(uffdops_mprotect(f->mm, d, 4 * P, PROT_READ), 0);
	map_file(f->mm, e, 4 * P, "file", MAP_SHARED, PROT_READ, O_RDONLY);

	expect_reg_fail(f, a, 8 * P, UM, -EPERM, "VM_MAYWRITE",
			"userfaultfd_register", a);
	expect_reg_fail(f, b, 8 * P, UM, -EBUSY, "another userfaultfd",
			"userfaultfd_register", b);
	expect_reg_fail(f, a, 12 * P, UM, -EPERM, "VM_MAYWRITE",
			"userfaultfd_register", a);
	expect_reg_fail(f, b + 2 * P, 12 * P, UM, -EBUSY, "another userfaultfd",
			"userfaultfd_register", b);
	/* EINVAL (vma_can_userfault) before EPERM on the same VMA */
	expect_reg_fail(f, e, 4 * P, UM, -EINVAL, "cannot userfault",
			"vma_can_userfault", e);
	/* ... and before a later VMA's EPERM */
	expect_reg_fail(f, d, 8 * P, UM, -EINVAL, "cannot userfault",
			"vma_can_userfault", e);
	/* the good VMA after the bad ones is not changed either */
	expect_reg_fail(f, c, 8 * P, UM, -EINVAL, "cannot userfault",
			"vma_can_userfault", c);
	/* a mode error hides everything */
	expect_reg_fail(f, a, 16 * P, 0, -EINVAL, "mode",
			"userfaultfd_register", a);
	/* MINOR on anon fails at R9a before EBUSY is looked at */
	expect_reg_fail(f, b, 4 * P, UI, -EINVAL, "cannot userfault",
			"vma_can_userfault", b);
	uffdops_close(other);
}

/* R1 and R11 with the argument in the address space (spec §4.2-10). */
static void test_register_uaddr(void **state)
{
	struct fixture *f = *state;
	struct uffdio_register reg = {
		.range = { .start = BASE, .len = 4 * P },
		.mode = UM,
		.ioctls = 7,
	};
	const unsigned long arg = BASE + H, ro = BASE + H + P;
	const unsigned long split = BASE + H + 3 * P - 24;
	struct maps m;
	__u64 ioctls;

	kind_anon(f->mm, BASE, 4 * P);
	map_fixed(f->mm, arg, P, RW, PA, NULL);
	map_fixed(f->mm, ro, P, PROT_READ, PA, NULL);
	map_fixed(f->mm, ro + P, P, RW, PA, NULL);
	/* R1: unreadable */
	assert_int_equal(uffdops_ioctl_uaddr(f->ctx, UFFDIO_REGISTER,
					     BASE + 8 * P),
			 -EFAULT);
	maps_get(f->mm, &m);
	assert_null(maps_at(&m, BASE)->uffd_ctx);
	/* only range and mode are read: ioctls may lie on an unmapped page */
	assert_int_equal(uffdops_write_mem(f->mm, split, &reg, 24, 0), 24);
	assert_int_equal(uffdops_ioctl_uaddr(f->ctx, UFFDIO_REGISTER, split),
			 -EFAULT);
	/* ... where put_user() fails after the registration (R11) */
	maps_get(f->mm, &m);
	assert_ptr_equal(maps_at(&m, BASE)->uffd_ctx, f->ctx);
	assert_int_equal(uffd_unreg(f->ctx, BASE, 4 * P), 0);
	/* R11 with a read-only argument: registered, EFAULT */
	assert_int_equal(uffdops_write_mem(f->mm, ro, &reg, sizeof(reg),
					   UFFDOPS_ACCESS_FORCE),
			 (ssize_t)sizeof(reg));
	assert_int_equal(uffdops_ioctl_uaddr(f->ctx, UFFDIO_REGISTER, ro),
			 -EFAULT);
	maps_get(f->mm, &m);
	assert_int_equal(maps_at(&m, BASE)->vm_flags & __VM_UFFD_FLAGS,
			 VM_UFFD_MISSING);
	assert_int_equal(uffdops_read_mem(f->mm, ro + 24, &ioctls, 8, 0), 8);
	assert_int_equal(ioctls, 7);
	/* a writable argument gets the mask */
	reg.mode = UW;
	assert_int_equal(uffdops_write_mem(f->mm, arg, &reg, sizeof(reg), 0),
			 (ssize_t)sizeof(reg));
	assert_int_equal(uffdops_ioctl_uaddr(f->ctx, UFFDIO_REGISTER, arg), 0);
	assert_int_equal(uffdops_read_mem(f->mm, arg + 24, &ioctls, 8, 0), 8);
	assert_int_equal(ioctls, 0x17c);
	/* a failing check writes nothing back */
	reg.mode = UI;
	assert_int_equal(uffdops_write_mem(f->mm, arg, &reg, sizeof(reg), 0),
			 (ssize_t)sizeof(reg));
	assert_int_equal(uffdops_ioctl_uaddr(f->ctx, UFFDIO_REGISTER, arg),
			 -EINVAL);
	assert_int_equal(uffdops_read_mem(f->mm, arg + 24, &ioctls, 8, 0), 8);
	assert_int_equal(ioctls, 7);
}

/* ------------------------------------------------------------------------ */
/* What a successful REGISTER changes.                                       */
/* ------------------------------------------------------------------------ */

static unsigned long uffd_flags_at(struct uffdops_mm *mm, unsigned long addr)
{
	struct maps m;

	maps_get(mm, &m);
	return maps_at(&m, addr)->vm_flags & __VM_UFFD_FLAGS;
}

/* Surprise 3: re-registration replaces the mode unless it is a subset. */
static void test_register_replace(void **state)
{
	struct fixture *f = *state;
	__u64 ioctls;

	kind_anon(f->mm, BASE, 4 * P);
	assert_int_equal(uffd_reg(f->ctx, BASE, 4 * P, UM, &ioctls), 0);
	assert_int_equal(uffd_flags_at(f->mm, BASE), VM_UFFD_MISSING);
	assert_int_equal(uffd_reg(f->ctx, BASE, 4 * P, UW, &ioctls), 0);
	assert_int_equal(uffd_flags_at(f->mm, BASE), VM_UFFD_WP);
	assert_int_equal(ioctls, 0x17c);
	assert_int_equal(uffd_reg(f->ctx, BASE, 4 * P, UM | UW, &ioctls), 0);
	assert_int_equal(uffd_flags_at(f->mm, BASE),
			 VM_UFFD_MISSING | VM_UFFD_WP);
	/* a subset: the VMA is untouched, the mask follows the request */
	assert_int_equal(uffd_reg(f->ctx, BASE, 4 * P, UM, &ioctls), 0);
	assert_int_equal(uffd_flags_at(f->mm, BASE),
			 VM_UFFD_MISSING | VM_UFFD_WP);
	assert_int_equal(ioctls, 0x13c);
	/* a subset over part of the VMA does not split it */
	assert_int_equal(uffd_reg(f->ctx, BASE + P, P, UW, &ioctls), 0);
	assert_int_equal(uffdops_maps(f->mm, NULL, 0), 1);
	/* another mode over part of it replaces there: a split */
	assert_int_equal(uffd_reg(f->ctx, BASE, 4 * P, UM, &ioctls), 0);
	assert_int_equal(uffd_unreg(f->ctx, BASE, 4 * P), 0);
	assert_int_equal(uffd_reg(f->ctx, BASE, 4 * P, UM, &ioctls), 0);
	assert_int_equal(uffd_reg(f->ctx, BASE + P, P, UW, &ioctls), 0);
	assert_int_equal(uffdops_maps(f->mm, NULL, 0), 3);
	assert_int_equal(uffd_flags_at(f->mm, BASE + P), VM_UFFD_WP);
	assert_int_equal(uffd_flags_at(f->mm, BASE + 2 * P), VM_UFFD_MISSING);
	/* and back: the pieces merge again */
	assert_int_equal(uffd_reg(f->ctx, BASE + P, P, UM, &ioctls), 0);
	assert_int_equal(uffdops_maps(f->mm, NULL, 0), 1);
	assert_int_equal(uffd_flags_at(f->mm, BASE), VM_UFFD_MISSING);
}

static void test_register_split_merge(void **state)
{
	struct fixture *f = *state;
	struct maps m;

	kind_anon(f->mm, BASE, 8 * P);
	assert_int_equal(uffd_reg(f->ctx, BASE + 2 * P, 2 * P, UM, NULL), 0);
	maps_get(f->mm, &m);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.v[1].start, BASE + 2 * P);
	assert_int_equal(m.v[1].end, BASE + 4 * P);
	assert_ptr_equal(m.v[1].uffd_ctx, f->ctx);
	assert_null(m.v[0].uffd_ctx);
	assert_null(m.v[2].uffd_ctx);
	/* the neighbour registered the same way merges */
	assert_int_equal(uffd_reg(f->ctx, BASE + 4 * P, 2 * P, UM, NULL), 0);
	maps_get(f->mm, &m);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.v[1].end, BASE + 6 * P);
	/* another mode does not */
	assert_int_equal(uffd_reg(f->ctx, BASE + 6 * P, 2 * P, UW, NULL), 0);
	assert_int_equal(uffdops_maps(f->mm, NULL, 0), 3);
	/* UNREGISTER merges everything back */
	assert_int_equal(uffd_unreg(f->ctx, BASE, 8 * P), 0);
	maps_get(f->mm, &m);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.v[0].vm_flags & __VM_UFFD_FLAGS, 0);
	/* two contexts' VMAs never merge */
	{
		struct uffdops_ctx *other = ctx_new(f->mm, O_NONBLOCK, 0);

		assert_int_equal(uffd_reg(f->ctx, BASE, 4 * P, UM, NULL), 0);
		assert_int_equal(uffd_reg(other, BASE + 4 * P, 4 * P, UM, NULL),
				 0);
		assert_int_equal(uffdops_maps(f->mm, NULL, 0), 2);
		uffdops_close(other);
		/* other's half is unregistered, f->ctx still owns the rest */
		assert_int_equal(uffdops_maps(f->mm, NULL, 0), 2);
		assert_int_equal(uffd_flags_at(f->mm, BASE + 4 * P), 0);
		assert_int_equal(uffd_unreg(f->ctx, BASE, 8 * P), 0);
		assert_int_equal(uffdops_maps(f->mm, NULL, 0), 1);
	}
}

/* Surprise 4: gaps between VMAs are ignored. */
static void test_register_holes(void **state)
{
	struct fixture *f = *state;
	struct maps m;

	kind_anon(f->mm, BASE, 2 * P);
	kind_anon(f->mm, BASE + 4 * P, 2 * P);
	assert_int_equal(uffd_reg(f->ctx, BASE - 2 * P, 10 * P, UM, NULL), 0);
	maps_get(f->mm, &m);
	assert_int_equal(m.n, 2);
	assert_ptr_equal(m.v[0].uffd_ctx, f->ctx);
	assert_ptr_equal(m.v[1].uffd_ctx, f->ctx);
	assert_int_equal(uffd_unreg(f->ctx, BASE + 2 * P, 3 * P), 0);
	maps_get(f->mm, &m);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.v[1].start, BASE + 4 * P);
	assert_int_equal(m.v[1].end, BASE + 5 * P);
	assert_null(m.v[1].uffd_ctx);
	/* a range only in a hole between them */
	assert_int_equal(uffd_reg(f->ctx, BASE + 2 * P, 2 * P, UM, NULL),
			 -EINVAL);
	assert_int_equal(uffd_unreg(f->ctx, BASE + 2 * P, 2 * P), -EINVAL);
	assert_int_equal(uffd_wake(f->ctx, BASE + 2 * P, 2 * P), 0);
}

/* R10: a split that fails after earlier VMAs changed (vm.max_map_count). */
static void test_register_split_enomem(void **state)
{
	struct fixture *f = *state;
	struct maps m;

	kind_anon(f->mm, BASE, 4 * P);
	kind_anon(f->mm, BASE + 4 * P, 4 * P);
	assert_int_equal(
		uffdops_mprotect(f->mm, BASE + 4 * P, 4 * P, PROT_READ), 0);
	assert_int_equal(uffdops_mm_config(f->mm, UFFDOPS_MM_MAX_MAP_COUNT, 2),
			 0);
	f->log->n = 0;
	/* the first VMA is registered whole; the second would need a split */
	assert_int_equal(uffd_reg(f->ctx, BASE, 6 * P, UM, NULL), -ENOMEM);
	assert_string_equal(trace_last(f->log)->kernel_function,
			    "vma_modify_flags_uffd");
	assert_int_equal(trace_last(f->log)->addr, BASE + 4 * P);
	maps_get(f->mm, &m);
	assert_int_equal(m.n, 2);
	assert_ptr_equal(m.v[0].uffd_ctx, f->ctx);
	assert_null(m.v[1].uffd_ctx);
	/* UNREGISTER's split fails the same way (U7), nothing cleared */
	assert_int_equal(uffd_unreg(f->ctx, BASE, 2 * P), -ENOMEM);
	assert_int_equal(uffd_flags_at(f->mm, BASE), VM_UFFD_MISSING);
	assert_int_equal(
		uffdops_mm_config(f->mm, UFFDOPS_MM_MAX_MAP_COUNT, 65530), 0);
}

/* ------------------------------------------------------------------------ */
/* UFFDIO_UNREGISTER and UFFDIO_WAKE.                                        */
/* ------------------------------------------------------------------------ */

static void expect_unreg_fail(struct fixture *f, unsigned long start,
			      unsigned long len, int err, const char *kfn)
{
	struct maps before, after;

	maps_get(f->mm, &before);
	f->log->n = 0;
	assert_int_equal(uffd_unreg(f->ctx, start, len), err);
	maps_get(f->mm, &after);
	assert_true(maps_equal(&before, &after));
	assert_int_equal(trace_failures(f->log), 1);
	assert_string_equal(trace_last(f->log)->op, "UFFDIO_UNREGISTER");
	assert_string_equal(trace_last(f->log)->kernel_function, kfn);
}

static void test_unregister_checks(void **state)
{
	struct fixture *f = *state;
	struct uffdops_ctx *other = ctx_new(f->mm, O_NONBLOCK, 0);
	const unsigned long a = BASE, b = BASE + 4 * P, c = BASE + 8 * P,
			    huge = BASE + H;

	kind_anon(f->mm, a, 4 * P);
	kind_anon(f->mm, b, 4 * P);
	assert_int_equal(uffdops_mprotect(f->mm, b, 4 * P, PROT_READ), 0);
	kind_disk_file(f->mm, c, 4 * P);
	kind_hugetlb_private(f->mm, huge, 2 * H);
	assert_int_equal(uffd_reg(f->ctx, a, 4 * P, UM, NULL), 0);
	assert_int_equal(uffd_reg(other, b, 4 * P, UM, NULL), 0);
	assert_int_equal(uffd_reg(f->ctx, huge, 2 * H, UM | UW, NULL), 0);

	/* U2: validate_range() */
	expect_unreg_fail(f, a + 1, P, -EINVAL, "validate_range");
	expect_unreg_fail(f, a, 0, -EINVAL, "validate_unaligned_range");
	expect_unreg_fail(f, a, P - 1, -EINVAL, "validate_unaligned_range");
	expect_unreg_fail(f, TASK_SIZE, P, -EINVAL, "validate_unaligned_range");
	/* U4: no VMA */
	expect_unreg_fail(f, BASE - 4 * P, 4 * P, -EINVAL, "vma_find");
	/* U6a: another context's VMA, even after one of ours */
	expect_unreg_fail(f, a, 8 * P, -EINVAL, "userfaultfd_unregister");
	expect_unreg_fail(f, b, P, -EINVAL, "userfaultfd_unregister");
	/* U6b: a VMA that could never userfault */
	expect_unreg_fail(f, c, 4 * P, -EINVAL, "vma_can_userfault");
	/* U5: hugetlb start */
	expect_unreg_fail(f, huge + P, P, -EINVAL, "userfaultfd_unregister");
	/* U8: part of a VMA, then unregistered VMAs and gaps are fine */
	assert_int_equal(uffd_unreg(other, b, 2 * P), 0);
	assert_int_equal(uffd_flags_at(f->mm, a), VM_UFFD_MISSING);
	assert_int_equal(uffd_flags_at(f->mm, b), 0);
	assert_int_equal(uffd_flags_at(f->mm, b + 2 * P), VM_UFFD_MISSING);
	assert_int_equal(uffd_unreg(other, b - 2 * P, 8 * P), -EINVAL);
	assert_int_equal(uffd_unreg(other, b, 4 * P), 0);
	assert_int_equal(uffd_flags_at(f->mm, b + 2 * P), 0);
	assert_int_equal(uffd_unreg(f->ctx, a, 8 * P), 0);
	assert_int_equal(uffd_flags_at(f->mm, a), 0);
	assert_int_equal(uffd_unreg(f->ctx, a, 8 * P), 0);
	/* U1: unreadable argument */
	assert_int_equal(uffdops_ioctl_uaddr(f->ctx, UFFDIO_UNREGISTER,
					     BASE + 64 * P),
			 -EFAULT);
	uffdops_close(other);
}

/* WP_ASYNC registered a disk file: UNREGISTER passes U6b with its modes. */
static void test_unregister_wp_async_file(void **state)
{
	struct fixture *f = *state;
	struct uffdops_ctx *async =
		ctx_new(f->mm, O_NONBLOCK, UFFD_FEATURE_WP_ASYNC);

	kind_disk_file(f->mm, BASE, 4 * P);
	assert_int_equal(uffd_reg(async, BASE, 4 * P, UW, NULL), 0);
	assert_int_equal(uffd_flags_at(f->mm, BASE), VM_UFFD_WP);
	/* another context refuses first (U6a) */
	assert_int_equal(uffd_unreg(f->ctx, BASE, 4 * P), -EINVAL);
	assert_int_equal(uffd_unreg(async, BASE, 4 * P), 0);
	assert_int_equal(uffd_flags_at(f->mm, BASE), 0);
	/* unregistered, the file fails U6b */
	assert_int_equal(uffd_unreg(async, BASE, 4 * P), -EINVAL);
	uffdops_close(async);
}

/* Sets the uffd-wp bit of the present entry mapping @addr. */
static void set_uffd_wp(struct uffdops_mm *mm, unsigned long addr,
			enum pt_level level)
{
	struct pte pte;

	pt_lock(mm);
	pte = pgtable_get(&mm->pgt, addr, level);
	assert_true(pte_present(pte));
	pte.flags = (pte.flags | PTE_UFFD_WP) & ~PTE_WRITE;
	assert_int_equal(pgtable_set(&mm->pgt, addr, level, pte), 0);
	pt_unlock(mm);
}

static void set_marker(struct uffdops_mm *mm, unsigned long addr,
		       unsigned int marker)
{
	pt_lock(mm);
	assert_int_equal(pgtable_set(&mm->pgt, addr, PT_LEVEL_PTE,
				     make_pte_marker(marker)),
			 0);
	pt_unlock(mm);
}

static __u64 pagemap_bits(struct uffdops_mm *mm, unsigned long addr)
{
	struct uffdops_pagemap_entry e;

	assert_int_equal(uffdops_pagemap(mm, addr, &e), 0);
	return e.bits;
}

/* UNREGISTER of a WP VMA resolves its uffd-wp bits and markers. */
static void test_unregister_clears_uffd_wp(void **state)
{
	struct fixture *f = *state;
	char byte = 1;

	kind_anon(f->mm, BASE, 4 * P);
	assert_int_equal(uffdops_write_mem(f->mm, BASE, &byte, 1, 0), 1);
	assert_int_equal(uffdops_write_mem(f->mm, BASE + P, &byte, 1, 0), 1);
	assert_int_equal(uffd_reg(f->ctx, BASE, 4 * P, UM | UW, NULL), 0);
	set_uffd_wp(f->mm, BASE, PT_LEVEL_PTE);
	set_uffd_wp(f->mm, BASE + P, PT_LEVEL_PTE);
	set_marker(f->mm, BASE + 2 * P, PTE_MARKER_UFFD_WP);
	set_marker(f->mm, BASE + 3 * P, PTE_MARKER_POISONED);
	assert_true(pagemap_bits(f->mm, BASE) & UFFDOPS_PM_UFFD_WP);
	assert_true(pagemap_bits(f->mm, BASE + 2 * P) & UFFDOPS_PM_UFFD_WP);
	/* only [BASE+P, BASE+3P) */
	assert_int_equal(uffd_unreg(f->ctx, BASE + P, 2 * P), 0);
	assert_true(pagemap_bits(f->mm, BASE) & UFFDOPS_PM_UFFD_WP);
	assert_false(pagemap_bits(f->mm, BASE + P) & UFFDOPS_PM_UFFD_WP);
	assert_true(pagemap_bits(f->mm, BASE + P) & UFFDOPS_PM_PRESENT);
	assert_int_equal(pagemap_bits(f->mm, BASE + 2 * P), 0);
	/* the page is an ordinary one again: a write goes through */
	assert_int_equal(uffdops_write_mem(f->mm, BASE + P, &byte, 1, 0), 1);
	/* a poison marker is not uffd-wp state */
	pt_lock(f->mm);
	assert_int_equal(
		pgtable_get(&f->mm->pgt, BASE + 3 * P, PT_LEVEL_PTE).flags,
		PTE_MARKER_POISONED);
	pt_unlock(f->mm);
	/* release clears what is left */
	uffdops_close(f->ctx);
	f->ctx = ctx_new(f->mm, O_NONBLOCK, 0);
	assert_false(pagemap_bits(f->mm, BASE) & UFFDOPS_PM_UFFD_WP);
	assert_int_equal(uffdops_maps(f->mm, NULL, 0), 1);
	assert_int_equal(uffd_flags_at(f->mm, BASE), 0);
}

/*
 * U7 on hugetlb: UNREGISTER(H, 2M+4K) of a 2-huge-page VMA fails at the
 * split, yet the uffd-wp state of both huge pages is gone (spec §2.3).
 */
static void test_unregister_hugetlb_split_fails(void **state)
{
	struct fixture *f = *state;
	const unsigned long huge = BASE + H;
	char byte = 1;

	kind_hugetlb_private(f->mm, huge, 2 * H);
	assert_int_equal(uffdops_write_mem(f->mm, huge, &byte, 1, 0), 1);
	assert_int_equal(uffdops_write_mem(f->mm, huge + H, &byte, 1, 0), 1);
	assert_int_equal(uffd_reg(f->ctx, huge, 2 * H, UM | UW, NULL), 0);
	set_uffd_wp(f->mm, huge, PT_LEVEL_PMD);
	set_uffd_wp(f->mm, huge + H, PT_LEVEL_PMD);
	assert_true(pagemap_bits(f->mm, huge + H) & UFFDOPS_PM_UFFD_WP);
	f->log->n = 0;
	assert_int_equal(uffd_unreg(f->ctx, huge, H + P), -EINVAL);
	assert_string_equal(trace_last(f->log)->kernel_function,
			    "userfaultfd_clear_vma");
	assert_int_equal(uffd_flags_at(f->mm, huge),
			 VM_UFFD_MISSING | VM_UFFD_WP);
	assert_int_equal(uffdops_maps(f->mm, NULL, 0), 1);
	assert_false(pagemap_bits(f->mm, huge) & UFFDOPS_PM_UFFD_WP);
	assert_false(pagemap_bits(f->mm, huge + H) & UFFDOPS_PM_UFFD_WP);
	assert_true(pagemap_bits(f->mm, huge + H) & UFFDOPS_PM_PRESENT);
	/* the aligned range works */
	assert_int_equal(uffd_unreg(f->ctx, huge, H), 0);
	assert_int_equal(uffd_flags_at(f->mm, huge), 0);
	assert_int_equal(uffd_flags_at(f->mm, huge + H),
			 VM_UFFD_MISSING | VM_UFFD_WP);
}

static void test_wake_checks(void **state)
{
	struct fixture *f = *state;

	/* K2: validate_range(); K3: no VMA needed */
	assert_int_equal(uffd_wake(f->ctx, BASE + 1, P), -EINVAL);
	assert_int_equal(uffd_wake(f->ctx, BASE, 0), -EINVAL);
	assert_int_equal(uffd_wake(f->ctx, BASE, P + 8), -EINVAL);
	assert_int_equal(uffd_wake(f->ctx, TASK_SIZE, P), -EINVAL);
	assert_int_equal(uffd_wake(f->ctx, TASK_SIZE - P, 2 * P), -EINVAL);
	assert_string_equal(trace_last(f->log)->op, "UFFDIO_WAKE");
	assert_int_equal(uffd_wake(f->ctx, BASE, 64 * P), 0);
	assert_int_equal(uffd_wake(f->ctx, 0, P), 0);
	/* K1 */
	assert_int_equal(uffdops_ioctl_uaddr(f->ctx, UFFDIO_WAKE, BASE),
			 -EFAULT);
	{
		struct uffdio_range r = { .start = BASE, .len = P };

		map_fixed(f->mm, BASE, P, RW, PA, NULL);
		assert_int_equal(uffdops_write_mem(f->mm, BASE, &r, sizeof(r),
						   0),
				 (ssize_t)sizeof(r));
		assert_int_equal(uffdops_ioctl_uaddr(f->ctx, UFFDIO_WAKE, BASE),
				 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_masks),
		cmocka_unit_test_setup_teardown(test_register_validation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_register_vma_checks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_register_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_register_uaddr, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_register_replace, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_register_split_merge,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_holes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_register_split_enomem,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unregister_checks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unregister_wp_async_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unregister_clears_uffd_wp,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_unregister_hugetlb_split_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wake_checks, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
