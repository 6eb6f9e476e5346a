/* SPDX-License-Identifier: MIT */
/*
 * contract.c - the rules a memory type's descriptor and vm_uffd_ops table
 * must keep, checked at registration with every violation explained.
 *
 * The kernel only WARNs when a broken table is used; a prototyping library
 * says so up front. Each rule names the kernel function that relies on it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "contract.h"

enum contract_rule {
	R_DESC_NULL,
	R_NAME,
	R_NAME_TAKEN,
	R_FLAGS_UNKNOWN,
	R_PAGE_SIZE,
	R_PAGE_SIZE_LEVEL,
	R_HUGE_ANON,
	R_TWO_TABLES,
	R_DROPPABLE_OPS,
	/* Peter Xu's table (v1-v3). */
	R_FEATURES_EMPTY,
	R_FEATURES_UNKNOWN,
	R_MINOR_ANON,
	R_IOCTL_NOT_RANGE,
	R_IOCTL_NEEDS_MODE,
	R_MOVE_NOT_ANON,
	R_ZEROPAGE_HUGE,
	R_MISSING_NEEDS_COPY,
	R_WP_NEEDS_WRITEPROTECT,
	R_MINOR_NEEDS_CONTINUE,
	R_MINOR_NEEDS_GET_FOLIO,
	R_GET_FOLIO_ANON,
	R_MISSING_NEEDS_COPY_HOOK,
	R_COPY_HOOK_ANON,
	/* The mainline 7.1 table. */
	R_V71_CAN_USERFAULT,
	R_V71_ALLOC_FOLIO,
	R_V71_GET_FOLIO_FILE,
	R_V71_GET_FOLIO_ANON,
	R_V71_FILEMAP_ADD_FILE,
	R_V71_FILEMAP_ANON,
	R_V71_FILEMAP_PAIR,
	R_V71_HUGE,
	NR_CONTRACT_RULES,
};

struct rule {
	const char *id;
	const char *field;
	const char *kernel_function;
};

static const struct rule rules[NR_CONTRACT_RULES] = {
	[R_DESC_NULL] = { "desc-null", "desc", "vma_uffd_ops()" },
	[R_NAME] = { "name-invalid", "name", "vma_uffd_ops()" },
	[R_NAME_TAKEN] = { "name-taken", "name", "vma_uffd_ops()" },
	[R_FLAGS_UNKNOWN] = { "flags-unknown", "flags", "vma_can_userfault()" },
	[R_PAGE_SIZE] = { "page-size", "page_size", "vma_kernel_pagesize()" },
	[R_PAGE_SIZE_LEVEL] = { "page-size-level", "page_size",
				"huge_pte_alloc()" },
	[R_HUGE_ANON] = { "huge-needs-file", "flags", "hugetlb_file_setup()" },
	[R_TWO_TABLES] = { "two-ops-tables", "uffd_ops_v7_1",
			   "vma_uffd_ops()" },
	[R_DROPPABLE_OPS] = { "droppable-with-ops", "uffd_ops",
			      "vma_can_userfault()" },
	[R_FEATURES_EMPTY] = { "features-empty", "uffd_features",
			       "vma_can_userfault()" },
	[R_FEATURES_UNKNOWN] = { "features-unknown", "uffd_features",
				 "vma_can_userfault()" },
	[R_MINOR_ANON] = { "minor-on-anonymous", "uffd_features",
			   "vma_can_userfault()" },
	[R_IOCTL_NOT_RANGE] = { "ioctl-not-range", "uffd_ioctls",
				"vma_uffd_ops_supported()" },
	[R_IOCTL_NEEDS_MODE] = { "ioctl-needs-mode", "uffd_ioctls",
				 "vma_uffd_ops_supported()" },
	[R_MOVE_NOT_ANON] = { "move-needs-anonymous", "uffd_ioctls",
			      "validate_move_areas()" },
	[R_ZEROPAGE_HUGE] = { "zeropage-on-huge", "uffd_ioctls",
			      "mfill_atomic_hugetlb()" },
	[R_MISSING_NEEDS_COPY] = { "missing-needs-copy", "uffd_ioctls",
				   "mfill_atomic_copy()" },
	[R_WP_NEEDS_WRITEPROTECT] = { "wp-needs-writeprotect", "uffd_ioctls",
				      "mwriteprotect_range()" },
	[R_MINOR_NEEDS_CONTINUE] = { "minor-needs-continue", "uffd_ioctls",
				     "mfill_atomic_continue()" },
	[R_MINOR_NEEDS_GET_FOLIO] = { "minor-needs-get-folio", "uffd_get_folio",
				      "mfill_atomic_pte_continue()" },
	[R_GET_FOLIO_ANON] = { "get-folio-on-anonymous", "uffd_get_folio",
			       "mfill_atomic_pte_continue()" },
	[R_MISSING_NEEDS_COPY_HOOK] = { "missing-needs-copy-hook", "uffd_copy",
					"mfill_atomic_pte()" },
	[R_COPY_HOOK_ANON] = { "copy-hook-on-anonymous", "uffd_copy",
			       "mfill_atomic_pte_copy()" },
	[R_V71_CAN_USERFAULT] = { "can-userfault-required", "can_userfault",
				  "vma_can_userfault()" },
	[R_V71_ALLOC_FOLIO] = { "alloc-folio-required", "alloc_folio",
				"mfill_atomic_pte_copy()" },
	[R_V71_GET_FOLIO_FILE] = { "get-folio-noalloc-required",
				   "get_folio_noalloc", "__do_userfault()" },
	[R_V71_GET_FOLIO_ANON] = { "get-folio-noalloc-on-anonymous",
				   "get_folio_noalloc", "vma_uffd_ops()" },
	[R_V71_FILEMAP_ADD_FILE] = { "filemap-add-required", "filemap_add",
				     "mfill_atomic_pte_copy()" },
	[R_V71_FILEMAP_ANON] = { "filemap-on-anonymous", "filemap_add",
				 "mfill_atomic_pte_copy()" },
	[R_V71_FILEMAP_PAIR] = { "filemap-add-remove-pair", "filemap_remove",
				 "mfill_atomic_pte_copy()" },
	[R_V71_HUGE] = { "v7_1-huge-page", "page_size",
			 "mfill_atomic_hugetlb()" },
};

struct checker {
	struct uffdops_explain *explain;
	unsigned int nr;
};

static void __attribute__((format(printf, 3, 4)))
violate(struct checker *c, enum contract_rule r, const char *fmt, ...)
{
	struct uffdops_violation *v;
	va_list ap;
	int len;

	if (c->explain && c->nr < UFFDOPS_EXPLAIN_MAX) {
		v = &c->explain->violations[c->nr];
		v->rule = rules[r].id;
		v->field = rules[r].field;
		v->kernel_function = rules[r].kernel_function;
		len = snprintf(v->message, sizeof(v->message),
			       "%s: ", rules[r].field);
		va_start(ap, fmt);
		len += vsnprintf(v->message + len, sizeof(v->message) - len,
				 fmt, ap);
		va_end(ap);
		if (len < (int)sizeof(v->message))
			snprintf(v->message + len, sizeof(v->message) - len,
				 " (%s)", rules[r].kernel_function);
	}
	c->nr++;
}

static const char *const ioctl_names[] = {
	[_UFFDIO_REGISTER] = "UFFDIO_REGISTER",
	[_UFFDIO_UNREGISTER] = "UFFDIO_UNREGISTER",
	[_UFFDIO_WAKE] = "UFFDIO_WAKE",
	[_UFFDIO_COPY] = "UFFDIO_COPY",
	[_UFFDIO_ZEROPAGE] = "UFFDIO_ZEROPAGE",
	[_UFFDIO_MOVE] = "UFFDIO_MOVE",
	[_UFFDIO_WRITEPROTECT] = "UFFDIO_WRITEPROTECT",
	[_UFFDIO_CONTINUE] = "UFFDIO_CONTINUE",
	[_UFFDIO_POISON] = "UFFDIO_POISON",
	[_UFFDIO_API] = "UFFDIO_API",
};

static void ioctl_name(unsigned int nr, char *buf, size_t size)
{
	if (nr < ARRAY_SIZE(ioctl_names) && ioctl_names[nr])
		snprintf(buf, size, "%s", ioctl_names[nr]);
	else
		snprintf(buf, size, "bit %u (no such ioctl)", nr);
}

static bool name_valid(const char *name)
{
	size_t i, len;

	if (!name)
		return false;
	len = strnlen(name, UFFDOPS_MEMTYPE_NAME_MAX + 1);
	if (!len || len > UFFDOPS_MEMTYPE_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isgraph((unsigned char)name[i]))
			return false;
	return true;
}

/* A valid page size above the base page: mapped like hugetlb. */
static bool page_size_huge(unsigned long ps)
{
	return ps > PAGE_SIZE && !(ps & (ps - 1));
}

static void check_descriptor(struct checker *c,
			     const struct uffdops_memtype_desc *desc,
			     bool name_taken)
{
	unsigned long ps = desc->page_size;
	unsigned int unknown = desc->flags & ~(UFFDOPS_MEMTYPE_FILE |
					       UFFDOPS_MEMTYPE_DROPPABLE);

	if (!name_valid(desc->name))
		violate(c, R_NAME,
			"must be 1 to %d printable characters without spaces, as a VMA's memory type is found by it",
			UFFDOPS_MEMTYPE_NAME_MAX);
	else if (name_taken)
		violate(c, R_NAME_TAKEN,
			"\"%s\" is registered already; a VMA's memory type must be found by one name only",
			desc->name);
	if (unknown)
		violate(c, R_FLAGS_UNKNOWN,
			"has unknown bits 0x%x; only UFFDOPS_MEMTYPE_FILE and UFFDOPS_MEMTYPE_DROPPABLE classify a VMA",
			unknown);
	if (ps < PAGE_SIZE || (ps & (ps - 1)))
		violate(c, R_PAGE_SIZE,
			"%lu is not a power of two of at least 4096 bytes, the granule every fill and fault works in",
			ps);
	else if (ps > PAGE_SIZE && ps != PMD_SIZE && ps != PUD_SIZE)
		violate(c, R_PAGE_SIZE_LEVEL,
			"%lu is a huge size that no page-table level maps; huge pages are mapped at PMD (2 MiB) or PUD (1 GiB) level",
			ps);
	if (page_size_huge(ps) && !(desc->flags & UFFDOPS_MEMTYPE_FILE))
		violate(c, R_HUGE_ANON,
			"a huge-page type must set UFFDOPS_MEMTYPE_FILE: hugetlb memory, even MAP_HUGETLB anonymous memory, has a hugetlbfs inode behind it");
	if (desc->uffd_ops && desc->uffd_ops_v7_1)
		violate(c, R_TWO_TABLES,
			"both uffd_ops and uffd_ops_v7_1 are set; a VMA has exactly one ops table");
	if ((desc->flags & UFFDOPS_MEMTYPE_DROPPABLE) &&
	    (desc->uffd_ops || desc->uffd_ops_v7_1))
		violate(c, R_DROPPABLE_OPS,
			"a VM_DROPPABLE type is refused before its ops table is looked at, so the table would never be used");
}

/* The mode each fill ioctl resolves faults of (Peter Xu's v4 derivation). */
static unsigned long ioctl_mode(unsigned int nr)
{
	switch (nr) {
	case _UFFDIO_COPY:
	case _UFFDIO_ZEROPAGE:
		return VM_UFFD_MISSING;
	case _UFFDIO_WRITEPROTECT:
		return VM_UFFD_WP;
	case _UFFDIO_CONTINUE:
		return VM_UFFD_MINOR;
	default:
		return 0;
	}
}

static const char *mode_name(unsigned long mode)
{
	return mode == VM_UFFD_MISSING ? "VM_UFFD_MISSING" :
	       mode == VM_UFFD_WP      ? "VM_UFFD_WP" :
					 "VM_UFFD_MINOR";
}

static void check_proposal_ioctls(struct checker *c,
				  const struct vm_uffd_ops *ops, bool anonymous,
				  bool huge)
{
	unsigned long modes = ops->uffd_features & __VM_UFFD_FLAGS;
	char name[48];
	unsigned int nr;

	for (nr = 0; nr < 64; nr++) {
		unsigned long need;

		if (!(ops->uffd_ioctls & (1UL << nr)))
			continue;
		ioctl_name(nr, name, sizeof(name));
		if (!(UFFDOPS_API_RANGE_IOCTLS & UFFDOPS_IOCTL_BIT(nr))) {
			violate(c, R_IOCTL_NOT_RANGE,
				"%s is not a range ioctl; only WAKE, COPY, ZEROPAGE, MOVE, WRITEPROTECT, CONTINUE and POISON may be listed",
				name);
			continue;
		}
		need = ioctl_mode(nr);
		if (need && !(modes & need))
			violate(c, R_IOCTL_NEEDS_MODE,
				"lists %s, which resolves %s faults, but uffd_features does not declare %s",
				name, mode_name(need), mode_name(need));
	}
	if (!anonymous && (ops->uffd_ioctls & (1UL << _UFFDIO_MOVE)))
		violate(c, R_MOVE_NOT_ANON,
			"lists UFFDIO_MOVE on a file-backed type, but UFFDIO_MOVE only moves anonymous pages");
	if (huge && (ops->uffd_ioctls & (1UL << _UFFDIO_ZEROPAGE)))
		violate(c, R_ZEROPAGE_HUGE,
			"lists UFFDIO_ZEROPAGE on a huge-page type, but there is no huge zero page to map");
	if ((modes & VM_UFFD_MISSING) &&
	    !(ops->uffd_ioctls & (1UL << _UFFDIO_COPY)))
		violate(c, R_MISSING_NEEDS_COPY,
			"uffd_features declares VM_UFFD_MISSING but UFFDIO_COPY is not listed: MISSING faults could never be resolved");
	if ((modes & VM_UFFD_WP) &&
	    !(ops->uffd_ioctls & (1UL << _UFFDIO_WRITEPROTECT)))
		violate(c, R_WP_NEEDS_WRITEPROTECT,
			"uffd_features declares VM_UFFD_WP but UFFDIO_WRITEPROTECT is not listed: WP faults could never be resolved");
	if ((modes & VM_UFFD_MINOR) &&
	    !(ops->uffd_ioctls & (1UL << _UFFDIO_CONTINUE)))
		violate(c, R_MINOR_NEEDS_CONTINUE,
			"uffd_features declares VM_UFFD_MINOR but UFFDIO_CONTINUE is not listed: MINOR faults could never be resolved");
}

/* Peter Xu's declarative table (v1-v3, with v1-v2's uffd_copy). */
static void check_proposal(struct checker *c, const struct vm_uffd_ops *ops,
			   bool anonymous, bool huge)
{
	unsigned long modes = ops->uffd_features & __VM_UFFD_FLAGS;
	unsigned long unknown = ops->uffd_features & ~__VM_UFFD_FLAGS;

	if (!ops->uffd_features)
		violate(c, R_FEATURES_EMPTY,
			"declares no mode; a type with an ops table must support a non-empty subset of VM_UFFD_MISSING|VM_UFFD_WP|VM_UFFD_MINOR");
	if (unknown)
		violate(c, R_FEATURES_UNKNOWN,
			"has bits 0x%lx outside VM_UFFD_MISSING|VM_UFFD_WP|VM_UFFD_MINOR (these are VMA flags, not UFFD_FEATURE_* bits)",
			unknown);
	if (anonymous && (modes & VM_UFFD_MINOR))
		violate(c, R_MINOR_ANON,
			"declares VM_UFFD_MINOR on an anonymous type, but minor faults are faults on pages already in a page cache");
	check_proposal_ioctls(c, ops, anonymous, huge);
	if ((modes & VM_UFFD_MINOR) && !ops->uffd_get_folio)
		violate(c, R_MINOR_NEEDS_GET_FOLIO,
			"uffd_features declares VM_UFFD_MINOR but uffd_get_folio is NULL: UFFDIO_CONTINUE could never be served");
	if (anonymous && ops->uffd_get_folio)
		violate(c, R_GET_FOLIO_ANON,
			"is set on an anonymous type, which has no page cache to look a folio up in");
	if (!anonymous && (modes & VM_UFFD_MISSING) && !ops->uffd_copy)
		violate(c, R_MISSING_NEEDS_COPY_HOOK,
			"uffd_features declares VM_UFFD_MISSING on a file-backed type but uffd_copy is NULL: UFFDIO_COPY into a shared mapping would reach a NULL hook");
	if (anonymous && ops->uffd_copy)
		violate(c, R_COPY_HOOK_ANON,
			"is set on an anonymous type, whose fills always take the core's anonymous path, so it would never be called");
}

/* Mike Rapoport's callback table, as merged for Linux 7.1. */
static void check_v7_1(struct checker *c, const struct vm_uffd_ops_v7_1 *ops,
		       bool anonymous, bool huge)
{
	if (!ops->can_userfault)
		violate(c, R_V71_CAN_USERFAULT,
			"is NULL, but every UFFDIO_REGISTER calls it without a NULL check to accept or refuse the VMA");
	if (!ops->alloc_folio)
		violate(c, R_V71_ALLOC_FOLIO,
			"is NULL, but UFFDIO_COPY and UFFDIO_ZEROPAGE call it without a NULL check whenever the ops table is set");
	if (!anonymous && !huge && !ops->get_folio_noalloc)
		violate(c, R_V71_GET_FOLIO_FILE,
			"is NULL on a file-backed type: the fault path could not tell a MINOR fault from a MISSING one, nor could UFFDIO_CONTINUE be served");
	if (anonymous && ops->get_folio_noalloc)
		violate(c, R_V71_GET_FOLIO_ANON,
			"is set on an anonymous type, which has no page cache (anonymous memory's table has no such hook)");
	if (!anonymous && !ops->filemap_add)
		violate(c, R_V71_FILEMAP_ADD_FILE,
			"is NULL on a file-backed type: pages filled by UFFDIO_COPY would never enter the page cache, so other mappings of the file would not see them");
	if (anonymous && (ops->filemap_add || ops->filemap_remove))
		violate(c, R_V71_FILEMAP_ANON,
			"filemap_add/filemap_remove are set on an anonymous type, which has no page cache to insert into");
	if (!ops->filemap_add != !ops->filemap_remove)
		violate(c, R_V71_FILEMAP_PAIR,
			"filemap_add and filemap_remove must be given together: a failed PTE install undoes filemap_add with filemap_remove");
	if (huge)
		violate(c, R_V71_HUGE,
			"the 7.1 ops table serves base pages only; huge pages are filled by hugetlb's own hard-coded path");
}

unsigned int contract_check(const struct uffdops_memtype_desc *desc,
			    bool name_taken, struct uffdops_explain *explain)
{
	struct checker c = { .explain = explain };
	bool anonymous, huge;

	if (explain)
		memset(explain, 0, sizeof(*explain));
	if (!desc) {
		violate(&c, R_DESC_NULL, "no memory-type descriptor was given");
		goto out;
	}
	check_descriptor(&c, desc, name_taken);
	anonymous = !(desc->flags & UFFDOPS_MEMTYPE_FILE);
	huge = page_size_huge(desc->page_size);
	if (desc->uffd_ops)
		check_proposal(&c, desc->uffd_ops, anonymous, huge);
	if (desc->uffd_ops_v7_1)
		check_v7_1(&c, desc->uffd_ops_v7_1, anonymous, huge);
out:
	if (explain)
		explain->nr = c.nr;
	return c.nr;
}

unsigned int contract_rule_count(void)
{
	return NR_CONTRACT_RULES;
}
