/* SPDX-License-Identifier: MIT */
/*
 * demo.c - prototype a guest_memfd-like memory type with libuffdops.
 *
 * 1. Register "gmem", a file-backed type with a mainline (7.1) ops table
 *    whose hooks keep folios in the library's page cache, as guest_memfd's
 *    kvm_gmem_uffd_ops do.
 * 2. Try to register "gmem-broken", an original-proposal table that breaks
 *    the contract in several ways, and print the registry's explanation.
 * 3. Print the capability matrix: for every registered type and every set
 *    of registration modes, the ioctl mask UFFDIO_REGISTER would return.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <uffdops/uffdops.h>

/* ----------------------------------------------------------------------- */
/* "gmem": a guest_memfd-like type with the 7.1 generation of ops.          */
/* ----------------------------------------------------------------------- */

/*
 * guest_memfd accepts any mode on an inode mapped shared with the host; this
 * prototype does not track writes, so it refuses WP and the matrix shows it.
 */
static bool gmem_can_userfault(struct uffdops_vma *vma, unsigned long vm_flags)
{
	(void)vma;
	return !(vm_flags & VM_UFFD_WP);
}

/* Look the page cache up without allocating: serves CONTINUE and MINOR. */
static struct uffdops_folio *gmem_get_folio_noalloc(struct uffdops_inode *inode,
						    pgoff_t pgoff)
{
	struct uffdops_folio *folio;

	if (uffdops_filemap_get_folio(inode, pgoff, &folio))
		return NULL;
	return folio;
}

/* A new order-0 folio for UFFDIO_COPY/ZEROPAGE; NULL past end of file. */
static struct uffdops_folio *gmem_alloc_folio(struct uffdops_vma *vma,
					      unsigned long addr)
{
	struct uffdops_inode *inode = uffdops_file_inode(uffdops_vma_file(vma));
	struct uffdops_folio *folio;
	pgoff_t index = uffdops_linear_page_index(vma, addr);

	if (index >= uffdops_inode_size(inode) / 4096)
		return NULL;
	if (uffdops_folio_alloc(0, &folio))
		return NULL;
	return folio;
}

/* Lock the filled folio and cache it; on failure leave it unlocked. */
static int gmem_filemap_add(struct uffdops_folio *folio,
			    struct uffdops_vma *vma, unsigned long addr)
{
	struct uffdops_inode *inode = uffdops_file_inode(uffdops_vma_file(vma));
	int ret;

	uffdops_folio_lock(folio);
	ret = uffdops_filemap_add_folio(inode, folio,
					uffdops_linear_page_index(vma, addr));
	if (ret)
		uffdops_folio_unlock(folio);
	return ret;
}

/* Undo gmem_filemap_add() when the PTE could not be installed. */
static void gmem_filemap_remove(struct uffdops_folio *folio,
				struct uffdops_vma *vma)
{
	(void)vma;
	uffdops_filemap_remove_folio(folio);
	uffdops_folio_unlock(folio);
}

static const struct vm_uffd_ops_v7_1 gmem_uffd_ops = {
	.can_userfault = gmem_can_userfault,
	.get_folio_noalloc = gmem_get_folio_noalloc,
	.alloc_folio = gmem_alloc_folio,
	.filemap_add = gmem_filemap_add,
	.filemap_remove = gmem_filemap_remove,
};

static const struct uffdops_memtype_desc gmem_desc = {
	.name = "gmem",
	.page_size = 4096,
	.flags = UFFDOPS_MEMTYPE_FILE,
	.uffd_ops_v7_1 = &gmem_uffd_ops,
};

/* ----------------------------------------------------------------------- */
/* "gmem-broken": an original-proposal table that breaks the contract.      */
/* ----------------------------------------------------------------------- */

/*
 * It declares MISSING and MINOR on a file-backed type but has neither
 * uffd_copy (to fill missing pages) nor uffd_get_folio (for CONTINUE), and
 * claims MOVE, which only anonymous memory serves, and API, which is not a
 * range ioctl.
 */
static const struct vm_uffd_ops broken_uffd_ops = {
	.uffd_features = VM_UFFD_MISSING | VM_UFFD_MINOR,
	.uffd_ioctls = UFFDOPS_IOCTL_BIT(_UFFDIO_API) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_COPY) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_MOVE) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_CONTINUE),
};

static const struct uffdops_memtype_desc broken_desc = {
	.name = "gmem-broken",
	.page_size = 4096,
	.flags = UFFDOPS_MEMTYPE_FILE,
	.uffd_ops = &broken_uffd_ops,
};

static int register_and_explain(const struct uffdops_memtype_desc *desc)
{
	struct uffdops_explain explain;
	unsigned int i, shown;
	int ret;

	ret = uffdops_memtype_register(desc, &explain);
	if (!ret) {
		printf("register \"%s\": accepted\n", desc->name);
		return 0;
	}
	printf("register \"%s\": %s, %u violation(s)\n", desc->name,
	       strerror(-ret), explain.nr);
	shown = explain.nr < UFFDOPS_EXPLAIN_MAX ? explain.nr :
						   UFFDOPS_EXPLAIN_MAX;
	for (i = 0; i < shown; i++)
		printf("  - [%s] %s\n", explain.violations[i].rule,
		       explain.violations[i].message);
	return ret;
}

/* ----------------------------------------------------------------------- */
/* The capability matrix.                                                   */
/* ----------------------------------------------------------------------- */

static const struct {
	const char *name;
	__u64 mode;
} modes[] = {
	{ "MISSING", UFFDIO_REGISTER_MODE_MISSING },
	{ "WP", UFFDIO_REGISTER_MODE_WP },
	{ "MINOR", UFFDIO_REGISTER_MODE_MINOR },
	{ "MISS+WP", UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP },
	{ "MISS+MIN",
	  UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_MINOR },
	{ "WP+MIN", UFFDIO_REGISTER_MODE_WP | UFFDIO_REGISTER_MODE_MINOR },
	{ "ALL", UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP |
			 UFFDIO_REGISTER_MODE_MINOR },
};

static const struct {
	const char *name;
	unsigned int nr;
} ioctl_bits[] = {
	{ "WAKE", _UFFDIO_WAKE },
	{ "COPY", _UFFDIO_COPY },
	{ "ZEROPAGE", _UFFDIO_ZEROPAGE },
	{ "MOVE", _UFFDIO_MOVE },
	{ "WRITEPROTECT", _UFFDIO_WRITEPROTECT },
	{ "CONTINUE", _UFFDIO_CONTINUE },
	{ "POISON", _UFFDIO_POISON },
};

#define MAX_TYPES 64

static int print_matrix(const char *title, __u64 features)
{
	struct uffdops_memtype_info types[MAX_TYPES];
	size_t t, m;
	int nr;

	nr = uffdops_memtype_list(types, MAX_TYPES);
	if (nr < 0)
		return nr;
	if (nr > MAX_TYPES)
		nr = MAX_TYPES;

	printf("\nUFFDIO_REGISTER ioctls, %s:\n%-12s", title, "type");
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		printf(" %9s", modes[m].name);
	printf("\n");
	for (t = 0; t < (size_t)nr; t++) {
		printf("%-12s", types[t].name);
		for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			__u64 ioctls = 0;
			int ret;

			ret = uffdops_memtype_register_ioctls(types[t].name,
							      modes[m].mode,
							      features,
							      &ioctls);
			if (ret)
				printf(" %9s", ret == -EINVAL ? "EINVAL" :
								strerror(-ret));
			else
				printf(" %#9llx", (unsigned long long)ioctls);
		}
		printf("\n");
	}
	return 0;
}

int main(void)
{
	size_t i;
	int ret;

	printf("libuffdops %d.%d demo: a guest_memfd-like memory type\n\n",
	       UFFDOPS_VERSION_MAJOR, UFFDOPS_VERSION_MINOR);

	ret = register_and_explain(&gmem_desc);
	if (ret) {
		fprintf(stderr, "the gmem type should have been accepted\n");
		return 1;
	}
	if (register_and_explain(&broken_desc) != -EINVAL) {
		fprintf(stderr, "the broken type should have been refused\n");
		return 1;
	}

	if (print_matrix("a context without features", 0) ||
	    print_matrix("a context with UFFD_FEATURE_WP_ASYNC",
			 UFFD_FEATURE_WP_ASYNC))
		return 1;

	printf("\nioctl bits:");
	for (i = 0; i < sizeof(ioctl_bits) / sizeof(ioctl_bits[0]); i++)
		printf(" %s=%#llx", ioctl_bits[i].name,
		       (unsigned long long)UFFDOPS_IOCTL_BIT(ioctl_bits[i].nr));
	printf("\n");

	return uffdops_memtype_unregister(gmem_desc.name) ? 1 : 0;
}
