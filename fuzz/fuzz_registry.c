/* SPDX-License-Identifier: MIT */
/*
 * fuzz_registry.c - libFuzzer harness over the memory-type registry:
 * fuzzed descriptors (name bytes, page size, flags, masks, which hooks are
 * NULL, one ops table of either generation, both or none) go through
 * uffdops_memtype_check(), uffdops_memtype_register(), lookups, listings,
 * uffdops_memtype_register_ioctls(), files of the new type and
 * uffdops_memtype_unregister().
 *
 * Input: operations until the input is used up, each an opcode byte and
 * its arguments (fuzz_common.h: missing bytes read as 0).
 *
 * Invariants: a check or a registration returns 0 exactly when its
 * explanation lists no violation; every violation names its rule, its field
 * and the kernel function relying on it, and its message names the field
 * and the function; check and register agree, with or without an
 * explanation; a registered type is found by lookup with the descriptor's
 * values, listed last, refused a second time for its name, and cannot go
 * while a file uses it; what UFFDIO_REGISTER would answer is consistent
 * with the type's modes; a descriptor breaking a plain rule (name, page
 * size, flags, two tables) is refused with a violation of that field;
 * everything registered is unregistered at the end of the input, so the
 * leak checker sees every allocation freed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <uffdops/uffdops.h>

#include "fuzz_common.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE 4096UL
#define HPAGE (2UL << 20)
#define GPAGE (1UL << 30)
/* Types registered at once by one input, at most. */
#define NR_SLOTS 8

/* ------------------------------------------------------------------------ */
/* Hooks: their presence is fuzzed; the registry never calls them.          */
/* ------------------------------------------------------------------------ */

static int stub_get_folio(struct uffdops_inode *inode, pgoff_t pgoff,
			  struct uffdops_folio **foliop)
{
	(void)inode;
	(void)pgoff;
	(void)foliop;
	return -ENOENT;
}

static int stub_copy(struct uffdops_vma *vma, unsigned long addr,
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

/* What a 7.1 type's can_userfault() answers, set per query. */
static bool can_userfault_answer;

static bool stub_can_userfault(struct uffdops_vma *vma, unsigned long flags)
{
	(void)vma;
	(void)flags;
	return can_userfault_answer;
}

static struct uffdops_folio *stub_get_folio_noalloc(struct uffdops_inode *i,
						    pgoff_t pgoff)
{
	(void)i;
	(void)pgoff;
	return NULL;
}

static struct uffdops_folio *stub_alloc_folio(struct uffdops_vma *vma,
					      unsigned long addr)
{
	(void)vma;
	(void)addr;
	return NULL;
}

static int stub_filemap_add(struct uffdops_folio *folio,
			    struct uffdops_vma *vma, unsigned long addr)
{
	(void)folio;
	(void)vma;
	(void)addr;
	return -ENOMEM;
}

static void stub_filemap_remove(struct uffdops_folio *folio,
				struct uffdops_vma *vma)
{
	(void)folio;
	(void)vma;
}

/* ------------------------------------------------------------------------ */
/* Descriptors.                                                              */
/* ------------------------------------------------------------------------ */

/**
 * struct candidate - a descriptor with the storage it points to; the ops
 * tables of a registered type must outlive its registration.
 */
struct candidate {
	struct uffdops_memtype_desc desc;
	char name[UFFDOPS_MEMTYPE_NAME_MAX + 8];
	struct vm_uffd_ops ops;
	struct vm_uffd_ops_v7_1 ops_v7_1;
};

/**
 * struct slot - a type this input registered.
 * @cand: its descriptor (NULL when the slot is free).
 * @files: files of the type that are open.
 * @nr_files: how many.
 */
struct slot {
	struct candidate *cand;
	struct uffdops_file *files[4];
	unsigned int nr_files;
};

static struct slot slots[NR_SLOTS];

static const char *const pool[] = { "t0", "t1", "t2", "t3" };
static const char *const builtins[] = { "anon", "shmem", "hugetlb", "file" };

static bool is_builtin(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(builtins); i++)
		if (!strcmp(name, builtins[i]))
			return true;
	return false;
}

static void gen_name(struct input *in, struct candidate *c)
{
	uint8_t sel = take8(in);
	size_t len, i;

	switch (sel & 7) {
	case 0:
	case 1:
	case 2:
	case 3:
		snprintf(c->name, sizeof(c->name), "%s",
			 pool[(sel >> 3) % ARRAY_SIZE(pool)]);
		c->desc.name = c->name;
		break;
	case 4:
		snprintf(c->name, sizeof(c->name), "%s",
			 builtins[(sel >> 3) % ARRAY_SIZE(builtins)]);
		c->desc.name = c->name;
		break;
	case 5:
		c->desc.name = NULL;
		break;
	default:
		/* raw bytes, up to past the longest name */
		len = take8(in) % (sizeof(c->name) - 1);
		for (i = 0; i < len; i++)
			c->name[i] = (char)take8(in);
		c->name[len] = '\0';
		c->desc.name = c->name;
		break;
	}
}

static unsigned long gen_page_size(struct input *in)
{
	static const unsigned long sizes[] = {
		PAGE,	  PAGE,	     PAGE, HPAGE,    GPAGE,	0,
		2 * PAGE, 1UL << 16, 512,  3 * PAGE, 1UL << 40, ~0UL,
	};
	uint8_t sel = take8(in);

	return sel < 0xf0 ? sizes[sel % ARRAY_SIZE(sizes)] : take64(in);
}

/* The VM_UFFD_* modes, or anything. */
static unsigned long gen_features(struct input *in)
{
	static const unsigned long bits[] = { VM_UFFD_MISSING, VM_UFFD_WP,
					      VM_UFFD_MINOR };
	uint8_t sel = take8(in);
	unsigned long f = 0;
	size_t i;

	if (sel & 0x80)
		return take64(in);
	for (i = 0; i < ARRAY_SIZE(bits); i++)
		if (sel & (1U << i))
			f |= bits[i];
	return f;
}

/* BIT(_UFFDIO_*) of the range ioctls mostly, any bit sometimes. */
static unsigned long gen_ioctls(struct input *in)
{
	uint16_t sel = take16(in);

	if (sel & 0x8000)
		return take64(in);
	return (unsigned long)(sel & 0x1ff);
}

static struct candidate *gen_candidate(struct input *in)
{
	struct candidate *c = calloc(1, sizeof(*c));
	uint8_t tables, hooks;

	FUZZ_ASSERT(c, "out of memory");
	gen_name(in, c);
	c->desc.page_size = gen_page_size(in);
	c->desc.flags = take8(in);
	if (c->desc.flags & 0x80)
		c->desc.flags = take32(in);
	else
		c->desc.flags &= UFFDOPS_MEMTYPE_FILE |
				 UFFDOPS_MEMTYPE_DROPPABLE;
	tables = take8(in);
	hooks = take8(in);
	if (tables & 1) {
		c->ops.uffd_features = gen_features(in);
		c->ops.uffd_ioctls = gen_ioctls(in);
		c->ops.uffd_get_folio = hooks & 1 ? stub_get_folio : NULL;
		c->ops.uffd_copy = hooks & 2 ? stub_copy : NULL;
		c->desc.uffd_ops = &c->ops;
	}
	if (tables & 2) {
		c->ops_v7_1.can_userfault = hooks & 4 ? stub_can_userfault :
							NULL;
		c->ops_v7_1.get_folio_noalloc =
			hooks & 8 ? stub_get_folio_noalloc : NULL;
		c->ops_v7_1.alloc_folio = hooks & 16 ? stub_alloc_folio : NULL;
		c->ops_v7_1.filemap_add = hooks & 32 ? stub_filemap_add : NULL;
		c->ops_v7_1.filemap_remove = hooks & 64 ? stub_filemap_remove :
							  NULL;
		c->desc.uffd_ops_v7_1 = &c->ops_v7_1;
	}
	return c;
}

/* ------------------------------------------------------------------------ */
/* Checks.                                                                   */
/* ------------------------------------------------------------------------ */

static bool has_field(const struct uffdops_explain *ex, const char *field)
{
	unsigned int i;

	for (i = 0; i < ex->nr && i < UFFDOPS_EXPLAIN_MAX; i++)
		if (!strcmp(ex->violations[i].field, field))
			return true;
	return false;
}

static bool has_rule(const struct uffdops_explain *ex, const char *rule)
{
	unsigned int i;

	for (i = 0; i < ex->nr && i < UFFDOPS_EXPLAIN_MAX; i++)
		if (!strcmp(ex->violations[i].rule, rule))
			return true;
	return false;
}

/* An explanation is well formed and agrees with the return value. */
static void check_explain(const char *op, int ret,
			  const struct uffdops_explain *ex)
{
	unsigned int i;

	FUZZ_ASSERT(!ret == !ex->nr, "%s returned %d with %u violations", op,
		    ret, ex->nr);
	for (i = 0; i < ex->nr && i < UFFDOPS_EXPLAIN_MAX; i++) {
		const struct uffdops_violation *v = &ex->violations[i];
		size_t len = strnlen(v->message, sizeof(v->message));

		FUZZ_ASSERT(
			v->rule && v->rule[0] && v->field && v->field[0] &&
				v->kernel_function && v->kernel_function[0],
			"%s: violation %u lacks its rule, field or function",
			op, i);
		FUZZ_ASSERT(len > 0 && len < sizeof(v->message),
			    "%s: violation %u (%s) has no terminated message",
			    op, i, v->rule);
		FUZZ_ASSERT(strstr(v->message, v->field),
			    "%s: violation %s does not name its field %s: %s",
			    op, v->rule, v->field, v->message);
		FUZZ_ASSERT(strstr(v->message, v->kernel_function),
			    "%s: violation %s does not name %s: %s", op,
			    v->rule, v->kernel_function, v->message);
	}
}

static bool name_ok(const char *name)
{
	size_t len, i;

	if (!name)
		return false;
	len = strlen(name);
	if (!len || len > UFFDOPS_MEMTYPE_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isgraph((unsigned char)name[i]))
			return false;
	return true;
}

/* Rules anyone can state without knowing the contract's finer points. */
static void check_plain_rules(const struct uffdops_memtype_desc *d,
			      const struct uffdops_explain *ex)
{
	unsigned long ps = d->page_size;

	if (!name_ok(d->name))
		FUZZ_ASSERT(has_field(ex, "name"),
			    "an invalid name was not reported");
	if (ps != PAGE && ps != HPAGE && ps != GPAGE)
		FUZZ_ASSERT(has_field(ex, "page_size"),
			    "page size %#lx was not reported", ps);
	if (d->flags & ~(UFFDOPS_MEMTYPE_FILE | UFFDOPS_MEMTYPE_DROPPABLE))
		FUZZ_ASSERT(has_field(ex, "flags"),
			    "unknown flags %#x were not reported", d->flags);
	if (d->uffd_ops && d->uffd_ops_v7_1)
		FUZZ_ASSERT(ex->nr, "two ops tables were accepted");
	if (d->uffd_ops && (d->uffd_ops->uffd_features & ~__VM_UFFD_FLAGS))
		FUZZ_ASSERT(has_field(ex, "uffd_features"),
			    "unknown uffd_features bits were not reported");
	if (d->uffd_ops && (d->uffd_ops->uffd_ioctls &
			    ~(unsigned long)UFFDOPS_API_RANGE_IOCTLS))
		FUZZ_ASSERT(has_field(ex, "uffd_ioctls"),
			    "non-range ioctl bits were not reported");
}

static enum uffdops_ops_generation
generation(const struct uffdops_memtype_desc *d)
{
	if (d->uffd_ops)
		return UFFDOPS_OPS_PROPOSAL;
	if (d->uffd_ops_v7_1)
		return UFFDOPS_OPS_V7_1;
	return UFFDOPS_OPS_NONE;
}

/* What UFFDIO_REGISTER would answer is consistent with the type's modes. */
static void check_register_ioctls(struct input *in,
				  const struct uffdops_memtype_info *info)
{
	__u64 mode = take8(in) & 0x80 ? take64(in) : take8(in) & 7;
	uint8_t b = take8(in);
	__u64 features = b & 1 ? UFFD_FEATURE_WP_ASYNC : 0;
	bool wp_async_only = features && mode == UFFDIO_REGISTER_MODE_WP;
	__u64 ioctls = 0x5eed;
	unsigned long want = 0;
	int ret;

	can_userfault_answer = b & 2;
	ret = uffdops_memtype_register_ioctls(info->name, mode, features,
					      &ioctls);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL,
		    "register_ioctls(%s, %#llx) returned %d", info->name, mode,
		    ret);
	if (mode & UFFDIO_REGISTER_MODE_MISSING)
		want |= VM_UFFD_MISSING;
	if (mode & UFFDIO_REGISTER_MODE_WP)
		want |= VM_UFFD_WP;
	if (mode & UFFDIO_REGISTER_MODE_MINOR)
		want |= VM_UFFD_MINOR;
	if (!mode || (mode & ~(__u64)7))
		FUZZ_ASSERT(ret == -EINVAL, "mode %#llx was accepted", mode);
	if (ret)
		return;
	/* vma_can_userfault(): the modes, or a WP_ASYNC WP-only request */
	FUZZ_ASSERT((want & ~info->modes) == 0 || wp_async_only,
		    "%s (modes %#lx) accepts mode %#llx", info->name,
		    info->modes, mode);
	/* vma_can_userfault(): a 7.1 type's can_userfault() has the last word */
	FUZZ_ASSERT(info->generation != UFFDOPS_OPS_V7_1 || wp_async_only ||
			    can_userfault_answer,
		    "%s accepts mode %#llx its can_userfault() refused",
		    info->name, mode);
	/* vma_can_userfault(): a type without ops only under WP_ASYNC */
	FUZZ_ASSERT(info->generation != UFFDOPS_OPS_NONE || wp_async_only,
		    "%s without ops accepts mode %#llx", info->name, mode);
	FUZZ_ASSERT(!(info->flags & UFFDOPS_MEMTYPE_DROPPABLE),
		    "droppable %s accepts mode %#llx", info->name, mode);
	FUZZ_ASSERT(!(ioctls & ~UFFDOPS_API_RANGE_IOCTLS) &&
			    (ioctls & UFFDOPS_IOCTL_BIT(_UFFDIO_COPY)) &&
			    !(ioctls &
			      UFFDOPS_IOCTL_BIT(_UFFDIO_WRITEPROTECT)) ==
				    !(mode & UFFDIO_REGISTER_MODE_WP) &&
			    !(ioctls & UFFDOPS_IOCTL_BIT(_UFFDIO_CONTINUE)) ==
				    !(mode & UFFDIO_REGISTER_MODE_MINOR),
		    "%s: mode %#llx answered ioctls %#llx", info->name, mode,
		    ioctls);
}

static int nr_types(void)
{
	int n = uffdops_memtype_list(NULL, 0);

	FUZZ_ASSERT(n >= 4, "memtype_list returned %d", n);
	return n;
}

/* A registered type as lookup and list show it. */
static void check_registered(struct input *in, const struct candidate *c,
			     int before)
{
	struct uffdops_memtype_info info, *all;
	const struct uffdops_memtype_desc *d = &c->desc;
	int n = nr_types();

	FUZZ_ASSERT(!uffdops_memtype_lookup(d->name, &info),
		    "registered %s is not found", d->name);
	FUZZ_ASSERT(!strcmp(info.name, d->name) &&
			    info.page_size == d->page_size &&
			    info.flags == d->flags && !info.builtin &&
			    !info.users && info.generation == generation(d),
		    "lookup(%s) gives page size %#lx flags %#x generation %d",
		    d->name, info.page_size, info.flags, info.generation);
	FUZZ_ASSERT(!(info.modes & ~__VM_UFFD_FLAGS), "%s has modes %#lx",
		    d->name, info.modes);
	FUZZ_ASSERT(!d->uffd_ops || info.modes == d->uffd_ops->uffd_features,
		    "%s declares %#lx, registered with modes %#lx", d->name,
		    d->uffd_ops->uffd_features, info.modes);
	FUZZ_ASSERT(!(info.ioctls & ~UFFDOPS_API_RANGE_IOCTLS),
		    "%s has ioctls %#llx", d->name, info.ioctls);
	/* listed last: built-ins first, then in registration order */
	FUZZ_ASSERT(n == before + 1, "%d types listed, %d before", n, before);
	all = calloc((size_t)n, sizeof(*all));
	FUZZ_ASSERT(all, "out of memory");
	FUZZ_ASSERT(uffdops_memtype_list(all, (size_t)n) == n,
		    "memtype_list changed");
	FUZZ_ASSERT(!strcmp(all[n - 1].name, d->name), "%s is not listed last",
		    d->name);
	free(all);
	check_register_ioctls(in, &info);
}

/* ------------------------------------------------------------------------ */
/* Operations.                                                               */
/* ------------------------------------------------------------------------ */

static struct slot *free_slot(void)
{
	size_t i;

	for (i = 0; i < NR_SLOTS; i++)
		if (!slots[i].cand)
			return &slots[i];
	return NULL;
}

static struct slot *find_slot(const char *name)
{
	size_t i;

	for (i = 0; i < NR_SLOTS; i++)
		if (slots[i].cand && !strcmp(slots[i].cand->name, name))
			return &slots[i];
	return NULL;
}

static void op_register(struct input *in)
{
	struct uffdops_explain checked, ex;
	struct candidate *c = gen_candidate(in);
	const struct uffdops_memtype_desc *d = take8(in) == 0xff ? NULL :
								   &c->desc;
	struct slot *s = free_slot();
	int before = nr_types(), ret, ret_null;
	unsigned int i;

	ret = uffdops_memtype_check(d, &checked);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL, "check returned %d", ret);
	check_explain("check", ret, &checked);
	ret_null = uffdops_memtype_check(d, NULL);
	FUZZ_ASSERT(ret_null == ret, "check without explain: %d, with: %d",
		    ret_null, ret);
	if (!d) {
		FUZZ_ASSERT(ret == -EINVAL && has_field(&checked, "desc"),
			    "a NULL descriptor was not refused for itself");
		free(c);
		return;
	}
	check_plain_rules(d, &checked);
	if (is_builtin(d->name) || (d->name && find_slot(d->name)))
		FUZZ_ASSERT(has_rule(&checked, "name-taken"),
			    "%s registered twice", d->name);
	if (!s) {
		free(c);
		return;
	}
	ret = uffdops_memtype_register(d, take8(in) & 1 ? &ex : NULL);
	if (ret == -ENOMEM) {
		free(c);
		return;
	}
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL, "register returned %d", ret);
	FUZZ_ASSERT(!ret == !checked.nr,
		    "check found %u violations, register returned %d",
		    checked.nr, ret);
	if (ret) {
		FUZZ_ASSERT(nr_types() == before, "a refused type is listed");
		free(c);
		return;
	}
	s->cand = c;
	check_registered(in, c, before);
	/* uffdops_memtype_register(): the name is taken now */
	ret = uffdops_memtype_register(d, &ex);
	FUZZ_ASSERT(ret == -EINVAL && has_rule(&ex, "name-taken"),
		    "%s registered a second time: %d", d->name, ret);
	check_explain("register", ret, &ex);
	for (i = 0; i < ex.nr && i < UFFDOPS_EXPLAIN_MAX; i++)
		FUZZ_ASSERT(!strcmp(ex.violations[i].rule, "name-taken"),
			    "a registered descriptor broke %s the second time",
			    ex.violations[i].rule);
}

static void slot_release(struct slot *s)
{
	int ret;

	while (s->nr_files) {
		/* a file of the type keeps it registered */
		ret = uffdops_memtype_unregister(s->cand->name);
		FUZZ_ASSERT(ret == -EBUSY,
			    "unregister(%s) with %u files open returned %d",
			    s->cand->name, s->nr_files, ret);
		uffdops_file_close(s->files[--s->nr_files]);
	}
	ret = uffdops_memtype_unregister(s->cand->name);
	FUZZ_ASSERT(!ret, "unregister(%s) returned %d", s->cand->name, ret);
	FUZZ_ASSERT(uffdops_memtype_lookup(s->cand->name, NULL) == -ENOENT,
		    "unregistered %s is still found", s->cand->name);
	free(s->cand);
	s->cand = NULL;
}

static void op_unregister(struct input *in)
{
	uint8_t sel = take8(in);
	const char *name;
	struct slot *s;
	int ret;

	if (sel & 1) {
		s = &slots[(sel >> 1) % NR_SLOTS];
		if (s->cand)
			slot_release(s);
		return;
	}
	name = sel & 2 ? builtins[(sel >> 2) % ARRAY_SIZE(builtins)] :
	       sel & 4 ? NULL :
			 pool[(sel >> 3) % ARRAY_SIZE(pool)];
	s = name ? find_slot(name) : NULL;
	if (s) {
		slot_release(s);
		return;
	}
	ret = uffdops_memtype_unregister(name);
	if (name && sel & 2)
		FUZZ_ASSERT(ret == -EPERM, "unregister(%s) returned %d", name,
			    ret);
	else
		FUZZ_ASSERT(ret == -ENOENT, "unregister(%s) returned %d",
			    name ? name : "NULL", ret);
}

/* A file of a registered type, or of a fuzzed name. */
static void op_file(struct input *in)
{
	struct slot *s = &slots[take8(in) % NR_SLOTS];
	unsigned long size = take8(in) & 1 ? take64(in) :
					     (unsigned long)take8(in) * PAGE;
	struct uffdops_file *f = NULL;
	int ret;

	if (!s->cand || s->nr_files == ARRAY_SIZE(s->files))
		return;
	ret = uffdops_file_create(s->cand->name, size, &f);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ENOMEM,
		    "file_create(%s, %#lx) returned %d", s->cand->name, size,
		    ret);
	if (!(s->cand->desc.flags & UFFDOPS_MEMTYPE_FILE))
		FUZZ_ASSERT(ret == -EINVAL,
			    "a file of anonymous %s was created: %d",
			    s->cand->name, ret);
	if (ret)
		return;
	FUZZ_ASSERT(uffdops_inode_size(uffdops_file_inode(f)) == size,
		    "file of %#lx bytes has i_size %#lx", size,
		    uffdops_inode_size(uffdops_file_inode(f)));
	s->files[s->nr_files++] = f;
}

static void op_lookup(struct input *in)
{
	struct uffdops_memtype_info info;
	struct candidate c;
	int ret;

	memset(&c, 0, sizeof(c));
	gen_name(in, &c);
	ret = uffdops_memtype_lookup(c.desc.name, &info);
	FUZZ_ASSERT(ret == 0 || ret == -ENOENT, "lookup returned %d", ret);
	FUZZ_ASSERT(!ret == (is_builtin(c.desc.name) ||
			     (c.desc.name && find_slot(c.desc.name))),
		    "lookup(%s) returned %d",
		    c.desc.name ? c.desc.name : "NULL", ret);
	if (!ret)
		check_register_ioctls(in, &info);
}

typedef void (*op_fn)(struct input *in);

static const op_fn ops[] = {
	op_register,   op_register, op_register,
	op_unregister, op_file,	    op_lookup,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	int start = nr_types();
	size_t i;

	while (in.size)
		ops[take8(&in) % ARRAY_SIZE(ops)](&in);
	for (i = 0; i < NR_SLOTS; i++)
		if (slots[i].cand)
			slot_release(&slots[i]);
	FUZZ_ASSERT(nr_types() == start, "%d types left, %d before", nr_types(),
		    start);
	return 0;
}
