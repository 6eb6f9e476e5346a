/* SPDX-License-Identifier: MIT */
/*
 * test_registry.c - the registry of memory types and the vm_uffd_ops
 * contract: every rule is triggered on its own and explained.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/contract.h"
#include "../../src/registry.h"

#define BIT_IOCTL(nr) UFFDOPS_IOCTL_BIT(nr)

static int dummy_get_folio(struct uffdops_inode *inode, pgoff_t pgoff,
			   struct uffdops_folio **foliop)
{
	(void)inode;
	(void)pgoff;
	(void)foliop;
	return -ENOENT;
}

static int dummy_copy(struct uffdops_vma *vma, unsigned long addr,
		      const void *src, uffd_flags_t flags,
		      struct uffdops_folio **foliop)
{
	(void)vma;
	(void)addr;
	(void)src;
	(void)flags;
	(void)foliop;
	return -ENOMEM;
}

static unsigned long last_can_userfault_flags;

static bool refuse_wp(struct uffdops_vma *vma, unsigned long vm_flags)
{
	(void)vma;
	last_can_userfault_flags = vm_flags;
	return !(vm_flags & VM_UFFD_WP);
}

static struct uffdops_folio *dummy_noalloc(struct uffdops_inode *inode,
					   pgoff_t pgoff)
{
	(void)inode;
	(void)pgoff;
	return NULL;
}

static struct uffdops_folio *dummy_alloc(struct uffdops_vma *vma,
					 unsigned long addr)
{
	(void)vma;
	(void)addr;
	return NULL;
}

static int dummy_add(struct uffdops_folio *folio, struct uffdops_vma *vma,
		     unsigned long addr)
{
	(void)folio;
	(void)vma;
	(void)addr;
	return 0;
}

static void dummy_remove(struct uffdops_folio *folio, struct uffdops_vma *vma)
{
	(void)folio;
	(void)vma;
}

/* A guest_memfd-like type in both generations; both keep the contract. */
static const struct vm_uffd_ops gmem_ops = {
	.uffd_features = VM_UFFD_MISSING | VM_UFFD_MINOR,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_COPY) | BIT_IOCTL(_UFFDIO_ZEROPAGE) |
		       BIT_IOCTL(_UFFDIO_CONTINUE),
	.uffd_get_folio = dummy_get_folio,
	.uffd_copy = dummy_copy,
};

static const struct vm_uffd_ops_v7_1 gmem_ops_v7_1 = {
	.can_userfault = refuse_wp,
	.get_folio_noalloc = dummy_noalloc,
	.alloc_folio = dummy_alloc,
	.filemap_add = dummy_add,
	.filemap_remove = dummy_remove,
};

static void test_builtins(void **state)
{
	struct uffdops_memtype_info info, list[8];
	static const char *const names[] = { "anon", "shmem", "hugetlb",
					     "file" };
	int i, n;

	(void)state;
	assert_int_equal(uffdops_memtype_lookup("anon", &info), 0);
	assert_true(info.builtin);
	assert_int_equal(info.page_size, 4096);
	assert_int_equal(info.modes, VM_UFFD_MISSING | VM_UFFD_WP);
	assert_true(info.ioctls & BIT_IOCTL(_UFFDIO_MOVE));
	assert_false(info.ioctls & BIT_IOCTL(_UFFDIO_CONTINUE));

	assert_int_equal(uffdops_memtype_lookup("shmem", &info), 0);
	assert_int_equal(info.modes, __VM_UFFD_FLAGS);
	assert_true(info.ioctls & BIT_IOCTL(_UFFDIO_CONTINUE));
	assert_false(info.ioctls & BIT_IOCTL(_UFFDIO_MOVE));

	assert_int_equal(uffdops_memtype_lookup("hugetlb", &info), 0);
	assert_int_equal(info.page_size, 2UL << 20);
	assert_false(info.ioctls & BIT_IOCTL(_UFFDIO_ZEROPAGE));

	assert_int_equal(uffdops_memtype_lookup("file", &info), 0);
	assert_int_equal(info.generation, UFFDOPS_OPS_NONE);
	assert_int_equal(info.modes, 0);

	n = uffdops_memtype_list(list, 8);
	assert_true(n >= 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(list[i].name, names[i]);
	assert_int_equal(uffdops_memtype_list(NULL, 0), n);
	assert_int_equal(uffdops_memtype_lookup("nosuch", &info), -ENOENT);
	assert_int_equal(uffdops_memtype_lookup(NULL, NULL), -ENOENT);
}

static void test_register_lookup_unregister(void **state)
{
	struct uffdops_memtype_desc desc = {
		.name = "gmem",
		.page_size = 4096,
		.flags = UFFDOPS_MEMTYPE_FILE,
		.uffd_ops = &gmem_ops,
	};
	struct uffdops_memtype_info info;
	struct uffdops_explain explain;
	char name[] = "gmem";

	(void)state;
	desc.name = name;
	assert_int_equal(uffdops_memtype_register(&desc, &explain), 0);
	assert_int_equal(explain.nr, 0);
	name[0] = 'x'; /* the registry keeps its own copy of the name */
	assert_int_equal(uffdops_memtype_lookup("gmem", &info), 0);
	assert_false(info.builtin);
	assert_int_equal(info.generation, UFFDOPS_OPS_PROPOSAL);
	assert_int_equal(info.modes, VM_UFFD_MISSING | VM_UFFD_MINOR);
	assert_int_equal(info.ioctls,
			 BIT_IOCTL(_UFFDIO_WAKE) | gmem_ops.uffd_ioctls);

	/* the same name again */
	desc.name = "gmem";
	assert_int_equal(uffdops_memtype_register(&desc, &explain), -EINVAL);
	assert_int_equal(explain.nr, 1);
	assert_string_equal(explain.violations[0].rule, "name-taken");
	assert_int_equal(uffdops_memtype_check(&desc, NULL), -EINVAL);

	assert_int_equal(uffdops_memtype_unregister("gmem"), 0);
	assert_int_equal(uffdops_memtype_lookup("gmem", NULL), -ENOENT);
	assert_int_equal(uffdops_memtype_unregister("gmem"), -ENOENT);
	assert_int_equal(uffdops_memtype_unregister("anon"), -EPERM);
	assert_int_equal(uffdops_memtype_check(&desc, NULL), 0);
}

static void test_unregister_busy(void **state)
{
	struct uffdops_memtype_desc desc = {
		.name = "busy",
		.page_size = 4096,
		.flags = UFFDOPS_MEMTYPE_FILE,
		.uffd_ops_v7_1 = &gmem_ops_v7_1,
	};
	struct uffdops_memtype_info info;
	struct memtype *mt;

	(void)state;
	assert_int_equal(uffdops_memtype_register(&desc, NULL), 0);
	mt = memtype_get("busy");
	assert_non_null(mt);
	assert_int_equal(uffdops_memtype_lookup("busy", &info), 0);
	assert_int_equal(info.users, 1);
	assert_int_equal(uffdops_memtype_unregister("busy"), -EBUSY);
	memtype_put(mt);
	assert_int_equal(uffdops_memtype_unregister("busy"), 0);
}

/* One broken descriptor per rule: exactly these rules must be reported. */
struct broken {
	const char *what;
	struct uffdops_memtype_desc desc;
	const char *rules[4];
};

static const struct vm_uffd_ops ops_empty = { 0 };
static const struct vm_uffd_ops ops_unknown_features = {
	.uffd_features = VM_UFFD_WP | 0x1,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_WRITEPROTECT),
};
static const struct vm_uffd_ops ops_anon_minor = {
	.uffd_features = VM_UFFD_MINOR,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_CONTINUE),
	.uffd_get_folio = dummy_get_folio,
};
static const struct vm_uffd_ops ops_not_range = {
	.uffd_features = VM_UFFD_WP,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_WRITEPROTECT) |
		       BIT_IOCTL(_UFFDIO_REGISTER),
};
static const struct vm_uffd_ops ops_copy_without_missing = {
	.uffd_features = VM_UFFD_WP,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_WRITEPROTECT) |
		       BIT_IOCTL(_UFFDIO_COPY),
};
static const struct vm_uffd_ops ops_file_move = {
	.uffd_features = VM_UFFD_WP,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_WRITEPROTECT) |
		       BIT_IOCTL(_UFFDIO_MOVE),
};
static const struct vm_uffd_ops ops_huge_zeropage = {
	.uffd_features = VM_UFFD_MISSING,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_COPY) | BIT_IOCTL(_UFFDIO_ZEROPAGE),
	.uffd_copy = dummy_copy,
};
static const struct vm_uffd_ops ops_missing_no_copy = {
	.uffd_features = VM_UFFD_MISSING,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_ZEROPAGE),
};
static const struct vm_uffd_ops ops_wp_no_writeprotect = {
	.uffd_features = VM_UFFD_WP,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_POISON),
};
static const struct vm_uffd_ops ops_minor_no_continue = {
	.uffd_features = VM_UFFD_MINOR,
	.uffd_ioctls = 0,
	.uffd_get_folio = dummy_get_folio,
};
static const struct vm_uffd_ops ops_minor_no_get_folio = {
	.uffd_features = VM_UFFD_MINOR,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_CONTINUE),
};
static const struct vm_uffd_ops ops_anon_get_folio = {
	.uffd_features = VM_UFFD_WP,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_WRITEPROTECT),
	.uffd_get_folio = dummy_get_folio,
};
static const struct vm_uffd_ops ops_missing_no_copy_hook = {
	.uffd_features = VM_UFFD_MISSING,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_COPY),
};
static const struct vm_uffd_ops ops_anon_copy_hook = {
	.uffd_features = VM_UFFD_MISSING,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_COPY),
	.uffd_copy = dummy_copy,
};
static const struct vm_uffd_ops ops_anon_ok = {
	.uffd_features = VM_UFFD_MISSING,
	.uffd_ioctls = BIT_IOCTL(_UFFDIO_COPY),
};
static const struct vm_uffd_ops_v7_1 v71_no_can = {
	.get_folio_noalloc = dummy_noalloc,
	.alloc_folio = dummy_alloc,
	.filemap_add = dummy_add,
	.filemap_remove = dummy_remove,
};
static const struct vm_uffd_ops_v7_1 v71_no_alloc = {
	.can_userfault = refuse_wp,
	.get_folio_noalloc = dummy_noalloc,
	.filemap_add = dummy_add,
	.filemap_remove = dummy_remove,
};
static const struct vm_uffd_ops_v7_1 v71_no_noalloc = {
	.can_userfault = refuse_wp,
	.alloc_folio = dummy_alloc,
	.filemap_add = dummy_add,
	.filemap_remove = dummy_remove,
};
static const struct vm_uffd_ops_v7_1 v71_anon_file_hooks = {
	.can_userfault = refuse_wp,
	.alloc_folio = dummy_alloc,
	.get_folio_noalloc = dummy_noalloc,
};
static const struct vm_uffd_ops_v7_1 v71_no_add = {
	.can_userfault = refuse_wp,
	.alloc_folio = dummy_alloc,
	.get_folio_noalloc = dummy_noalloc,
};
static const struct vm_uffd_ops_v7_1 v71_anon_filemap = {
	.can_userfault = refuse_wp,
	.alloc_folio = dummy_alloc,
	.filemap_add = dummy_add,
	.filemap_remove = dummy_remove,
};
static const struct vm_uffd_ops_v7_1 v71_add_no_remove = {
	.can_userfault = refuse_wp,
	.alloc_folio = dummy_alloc,
	.get_folio_noalloc = dummy_noalloc,
	.filemap_add = dummy_add,
};

#define FILE4K(n, ...)                                                       \
	{                                                                    \
		.name = n, .page_size = 4096, .flags = UFFDOPS_MEMTYPE_FILE, \
		__VA_ARGS__                                                  \
	}
#define ANON4K(n, ...)                                    \
	{                                                 \
		.name = n, .page_size = 4096, __VA_ARGS__ \
	}

static const struct broken broken_types[] = {
	{ "bad name",
	  { .name = "has space", .page_size = 4096 },
	  { "name-invalid" } },
	{ "empty name", { .name = "", .page_size = 4096 }, { "name-invalid" } },
	{ "no name", { .page_size = 4096 }, { "name-invalid" } },
	{ "name of a built-in",
	  { .name = "anon", .page_size = 4096 },
	  { "name-taken" } },
	{ "unknown flags",
	  { .name = "t", .page_size = 4096, .flags = 0x80 },
	  { "flags-unknown" } },
	{ "page size 3000",
	  { .name = "t", .page_size = 3000 },
	  { "page-size" } },
	{ "page size 2048",
	  { .name = "t", .page_size = 2048 },
	  { "page-size" } },
	{ "page size 64K",
	  { .name = "t", .page_size = 65536, .flags = UFFDOPS_MEMTYPE_FILE },
	  { "page-size-level" } },
	{ "anonymous huge",
	  { .name = "t", .page_size = 2UL << 20 },
	  { "huge-needs-file" } },
	{ "two tables",
	  FILE4K("t", .uffd_ops = &gmem_ops, .uffd_ops_v7_1 = &gmem_ops_v7_1),
	  { "two-ops-tables" } },
	{ "droppable with ops",
	  { .name = "t",
	    .page_size = 4096,
	    .flags = UFFDOPS_MEMTYPE_DROPPABLE,
	    .uffd_ops = &ops_anon_ok },
	  { "droppable-with-ops" } },
	{ "no modes",
	  FILE4K("t", .uffd_ops = &ops_empty),
	  { "features-empty" } },
	{ "UFFD_FEATURE bits as modes",
	  FILE4K("t", .uffd_ops = &ops_unknown_features),
	  { "features-unknown" } },
	{ "anonymous MINOR",
	  ANON4K("t", .uffd_ops = &ops_anon_minor),
	  { "minor-on-anonymous", "get-folio-on-anonymous" } },
	{ "REGISTER in uffd_ioctls",
	  FILE4K("t", .uffd_ops = &ops_not_range),
	  { "ioctl-not-range" } },
	{ "COPY without MISSING",
	  FILE4K("t", .uffd_ops = &ops_copy_without_missing),
	  { "ioctl-needs-mode" } },
	{ "MOVE on a file",
	  FILE4K("t", .uffd_ops = &ops_file_move),
	  { "move-needs-anonymous" } },
	{ "huge ZEROPAGE",
	  { .name = "t",
	    .page_size = 2UL << 20,
	    .flags = UFFDOPS_MEMTYPE_FILE,
	    .uffd_ops = &ops_huge_zeropage },
	  { "zeropage-on-huge" } },
	{ "MISSING without COPY",
	  FILE4K("t", .uffd_ops = &ops_missing_no_copy),
	  { "missing-needs-copy", "missing-needs-copy-hook" } },
	{ "WP without WRITEPROTECT",
	  FILE4K("t", .uffd_ops = &ops_wp_no_writeprotect),
	  { "wp-needs-writeprotect" } },
	{ "MINOR without CONTINUE",
	  FILE4K("t", .uffd_ops = &ops_minor_no_continue),
	  { "minor-needs-continue" } },
	{ "MINOR without get_folio",
	  FILE4K("t", .uffd_ops = &ops_minor_no_get_folio),
	  { "minor-needs-get-folio" } },
	{ "anonymous get_folio",
	  ANON4K("t", .uffd_ops = &ops_anon_get_folio),
	  { "get-folio-on-anonymous" } },
	{ "file MISSING without uffd_copy",
	  FILE4K("t", .uffd_ops = &ops_missing_no_copy_hook),
	  { "missing-needs-copy-hook" } },
	{ "anonymous uffd_copy",
	  ANON4K("t", .uffd_ops = &ops_anon_copy_hook),
	  { "copy-hook-on-anonymous" } },
	{ "7.1 without can_userfault",
	  FILE4K("t", .uffd_ops_v7_1 = &v71_no_can),
	  { "can-userfault-required" } },
	{ "7.1 without alloc_folio",
	  FILE4K("t", .uffd_ops_v7_1 = &v71_no_alloc),
	  { "alloc-folio-required" } },
	{ "7.1 file without get_folio_noalloc",
	  FILE4K("t", .uffd_ops_v7_1 = &v71_no_noalloc),
	  { "get-folio-noalloc-required" } },
	{ "7.1 anonymous get_folio_noalloc",
	  ANON4K("t", .uffd_ops_v7_1 = &v71_anon_file_hooks),
	  { "get-folio-noalloc-on-anonymous" } },
	{ "7.1 file without filemap_add",
	  FILE4K("t", .uffd_ops_v7_1 = &v71_no_add),
	  { "filemap-add-required" } },
	{ "7.1 anonymous filemap hooks",
	  ANON4K("t", .uffd_ops_v7_1 = &v71_anon_filemap),
	  { "filemap-on-anonymous" } },
	{ "7.1 filemap_add alone",
	  FILE4K("t", .uffd_ops_v7_1 = &v71_add_no_remove),
	  { "filemap-add-remove-pair" } },
	{ "7.1 huge",
	  { .name = "t",
	    .page_size = 2UL << 20,
	    .flags = UFFDOPS_MEMTYPE_FILE,
	    .uffd_ops_v7_1 = &gmem_ops_v7_1 },
	  { "v7_1-huge-page" } },
};

static bool rule_expected(const struct broken *b, const char *rule)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(b->rules) && b->rules[i]; i++)
		if (!strcmp(b->rules[i], rule))
			return true;
	return false;
}

static void test_every_rule(void **state)
{
	const char *seen[64];
	unsigned int nseen = 0, i, j, k, expected;
	struct uffdops_explain explain;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(broken_types); i++) {
		const struct broken *b = &broken_types[i];

		for (expected = 0;
		     expected < ARRAY_SIZE(b->rules) && b->rules[expected];
		     expected++)
			;
		if (uffdops_memtype_register(&b->desc, &explain) != -EINVAL ||
		    explain.nr != expected)
			fail_msg("%s: expected %u violations, got %u (%s)",
				 b->what, expected, explain.nr,
				 explain.nr ? explain.violations[0].message :
					      "none");
		for (j = 0; j < explain.nr; j++) {
			const struct uffdops_violation *v =
				&explain.violations[j];

			if (!rule_expected(b, v->rule))
				fail_msg("%s: unexpected rule %s: %s", b->what,
					 v->rule, v->message);
			/* the sentence names the field and the kernel function */
			assert_non_null(strstr(v->message, v->field));
			assert_non_null(strstr(v->message, v->kernel_function));
			for (k = 0; k < nseen && strcmp(seen[k], v->rule); k++)
				;
			if (k == nseen)
				seen[nseen++] = v->rule;
		}
		assert_int_equal(uffdops_memtype_lookup("t", NULL), -ENOENT);
	}
	/* the NULL descriptor is the one rule the table cannot carry */
	assert_int_equal(uffdops_memtype_register(NULL, &explain), -EINVAL);
	assert_string_equal(explain.violations[0].rule, "desc-null");
	/* every rule the registry knows was triggered and explained */
	assert_int_equal(nseen + 1, contract_rule_count());
}

static void test_every_violation_reported(void **state)
{
	static const struct vm_uffd_ops all_wrong = {
		.uffd_features = VM_UFFD_MINOR | 0x4,
		.uffd_ioctls = BIT_IOCTL(_UFFDIO_COPY) | BIT_IOCTL(_UFFDIO_API),
	};
	const struct uffdops_memtype_desc desc = {
		.name = "anon", /* taken */
		.page_size = 12345,
		.uffd_ops = &all_wrong,
	};
	struct uffdops_explain explain;
	unsigned int i;

	(void)state;
	assert_int_equal(uffdops_memtype_register(&desc, &explain), -EINVAL);
	/* name, page size, unknown feature bits, anon MINOR, API bit, COPY
	 * without MISSING, MINOR without CONTINUE, MINOR without get_folio */
	assert_int_equal(explain.nr, 8);
	for (i = 0; i < explain.nr; i++)
		assert_true(strlen(explain.violations[i].message) > 40);

	/* more violations than fit: counted in full, the first ones kept */
	static const struct vm_uffd_ops every_bit = {
		.uffd_features = VM_UFFD_WP,
		.uffd_ioctls = ~0UL & ~BIT_IOCTL(_UFFDIO_COPY) &
			       ~BIT_IOCTL(_UFFDIO_ZEROPAGE) &
			       ~BIT_IOCTL(_UFFDIO_CONTINUE),
	};
	const struct uffdops_memtype_desc many =
		FILE4K("many", .uffd_ops = &every_bit);

	assert_int_equal(uffdops_memtype_check(&many, &explain), -EINVAL);
	assert_true(explain.nr > UFFDOPS_EXPLAIN_MAX);
	assert_string_equal(explain.violations[UFFDOPS_EXPLAIN_MAX - 1].rule,
			    "ioctl-not-range");
	/* a failed registration registers nothing */
	assert_int_equal(uffdops_memtype_lookup("many", NULL), -ENOENT);
}

/* userfaultfd_register() answers for one VMA of each built-in type. */
static void test_register_ioctls_builtin(void **state)
{
	static const struct {
		const char *type;
		__u64 mode;
		int ret;
		__u64 ioctls;
	} rows[] = {
		{ "anon", UFFDIO_REGISTER_MODE_MISSING, 0, 0x13c },
		{ "anon", UFFDIO_REGISTER_MODE_WP, 0, 0x17c },
		{ "anon", UFFDIO_REGISTER_MODE_MINOR, -EINVAL, 0 },
		{ "shmem", UFFDIO_REGISTER_MODE_MINOR, 0, 0x1bc },
		{ "shmem", 7, 0, 0x1fc },
		{ "hugetlb", UFFDIO_REGISTER_MODE_MISSING, 0, 0x10c },
		{ "hugetlb", 7, 0, 0x1cc },
		{ "file", UFFDIO_REGISTER_MODE_WP, -EINVAL, 0 },
		{ "anon", 0, -EINVAL, 0 },
		{ "anon", 8, -EINVAL, 0 },
	};
	unsigned int i;
	__u64 ioctls;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		ioctls = 0xdead;
		assert_int_equal(uffdops_memtype_register_ioctls(rows[i].type,
								 rows[i].mode,
								 0, &ioctls),
				 rows[i].ret);
		assert_int_equal(ioctls, rows[i].ret ? 0xdead : rows[i].ioctls);
	}
	/* WP_ASYNC lets WP alone register anything but a droppable VMA */
	assert_int_equal(
		uffdops_memtype_register_ioctls("file", UFFDIO_REGISTER_MODE_WP,
						UFFD_FEATURE_WP_ASYNC, &ioctls),
		0);
	assert_int_equal(ioctls, 0x17c);
	assert_int_equal(uffdops_memtype_register_ioctls(
				 "file", 3, UFFD_FEATURE_WP_ASYNC, &ioctls),
			 -EINVAL);
	assert_int_equal(uffdops_memtype_register_ioctls("nosuch", 1, 0,
							 &ioctls),
			 -ENOENT);
}

/* A 7.1 type's can_userfault() gets the masked request and has the last word. */
static void test_register_ioctls_v7_1(void **state)
{
	const struct uffdops_memtype_desc desc =
		FILE4K("gmem71", .uffd_ops_v7_1 = &gmem_ops_v7_1);
	const struct uffdops_memtype_desc drop = {
		.name = "drop",
		.page_size = 4096,
		.flags = UFFDOPS_MEMTYPE_DROPPABLE,
	};
	__u64 ioctls = 0;

	(void)state;
	assert_int_equal(uffdops_memtype_register(&desc, NULL), 0);
	assert_int_equal(uffdops_memtype_register_ioctls(
				 "gmem71",
				 UFFDIO_REGISTER_MODE_MISSING |
					 UFFDIO_REGISTER_MODE_MINOR,
				 0, &ioctls),
			 0);
	assert_int_equal(last_can_userfault_flags,
			 VM_UFFD_MISSING | VM_UFFD_MINOR);
	assert_int_equal(ioctls, 0x1bc);
	assert_int_equal(uffdops_memtype_register_ioctls(
				 "gmem71", UFFDIO_REGISTER_MODE_WP, 0, &ioctls),
			 -EINVAL);
	/* WP_ASYNC accepts WP alone before asking the type */
	last_can_userfault_flags = 0;
	assert_int_equal(uffdops_memtype_register_ioctls(
				 "gmem71", UFFDIO_REGISTER_MODE_WP,
				 UFFD_FEATURE_WP_ASYNC, &ioctls),
			 0);
	assert_int_equal(last_can_userfault_flags, 0);
	assert_int_equal(uffdops_memtype_unregister("gmem71"), 0);

	assert_int_equal(uffdops_memtype_register(&drop, NULL), 0);
	assert_int_equal(
		uffdops_memtype_register_ioctls("drop", UFFDIO_REGISTER_MODE_WP,
						UFFD_FEATURE_WP_ASYNC, &ioctls),
		-EINVAL);
	assert_int_equal(uffdops_memtype_unregister("drop"), 0);
}

#define NTHREADS 4
#define ROUNDS 200

static void *churn(void *arg)
{
	struct uffdops_memtype_desc desc = FILE4K(NULL, .uffd_ops = &gmem_ops);
	struct uffdops_memtype_info info;
	char name[32];
	int i, bad = 0;

	snprintf(name, sizeof(name), "churn%ld", (long)(intptr_t)arg);
	desc.name = name;
	for (i = 0; i < ROUNDS; i++) {
		bad += uffdops_memtype_register(&desc, NULL) != 0;
		bad += uffdops_memtype_lookup(name, &info) != 0;
		bad += uffdops_memtype_lookup("shmem", &info) != 0;
		bad += uffdops_memtype_unregister(name) != 0;
	}
	return (void *)(intptr_t)bad;
}

static void test_concurrent(void **state)
{
	pthread_t t[NTHREADS];
	void *bad;
	long i;

	(void)state;
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, (void *)i),
				 0);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(t[i], &bad), 0);
		assert_null(bad);
	}
	assert_int_equal(uffdops_memtype_list(NULL, 0), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_register_lookup_unregister),
		cmocka_unit_test(test_unregister_busy),
		cmocka_unit_test(test_every_rule),
		cmocka_unit_test(test_every_violation_reported),
		cmocka_unit_test(test_register_ioctls_builtin),
		cmocka_unit_test(test_register_ioctls_v7_1),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
