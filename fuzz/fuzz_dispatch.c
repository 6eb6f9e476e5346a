/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dispatch.c - libFuzzer harness over the whole userfaultfd model: the
 * input is a little program run on one simulated mm, and the library's
 * invariants are checked after every step.
 *
 * Input: one header byte (bit 0: install a trace callback that checks every
 * decision; bit 1: the mm allocates real pages on read faults), then
 * operations until the input is used up. Each operation is an opcode byte
 * and its arguments, read as they are needed (fuzz_common.h: missing bytes
 * read as 0). Addresses mostly fall in a 32 MiB window at BASE, aligned to a
 * page or a huge page, or near the edges of existing VMAs; lengths are a few
 * pages or huge pages; each has a selector value for a raw 64-bit number.
 *
 * The program runs on one mm with files of each built-in file type (shmem,
 * hugetlb, a regular file, a shmem file opened read-only) and of two user
 * memory types whose hooks misbehave as the program says (one per ops
 * generation: lookups returning unlocked, uncached or wrong-size folios,
 * fills returning NULL, positive values or foreign errnos...), NR_CTXS
 * userfaultfd contexts, mmap/munmap/mprotect/madvise/mremap/fork, every
 * UFFDIO_* and generic ioctl through uffdops_ioctl() and through
 * uffdops_ioctl_uaddr() with the argument in the simulated memory,
 * read/poll/eventfd/fdinfo, memory accesses and faults.
 *
 * Blocking: an access, a fault, an ioctl copying its argument or COPY's
 * source may hit a userfault and sleep, as a thread would. A resolver thread
 * plays the fault handler: once an operation has run for a tick, it looks
 * at the waiters of every context and resolves them (WRITEPROTECT off for a
 * WP fault, CONTINUE for MINOR, ZEROPAGE for MISSING on base pages, else
 * UNREGISTER of the VMA; then a WAKE) and reads any event message. read()
 * is only called on a context that cannot block (poll() tells), poll() only
 * with a zero timeout.
 *
 * Invariants checked after each operation: every return value is 0/positive
 * or a negative errno in the set the kernel call can give; uffdops_maps()
 * lists VMAs sorted, non-overlapping, page-aligned (huge-page aligned for
 * hugetlb), with VM_UFFD_* flags exactly when a context is set and only an
 * open context; no thread waits on any context; ioctls write back only
 * their output field, with the kernel's result rules; a failed REGISTER
 * changes no VMA; a successful REGISTER, UNREGISTER, mmap, munmap, mprotect
 * leaves its range as requested; written bytes read back; pagemap shows
 * nothing where no VMA is; a fault reported resolved lets the access in.
 * The range checks are skipped when the resolver changed the mm meanwhile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/fs.h>

#include <uffdops/uffdops.h>

#include "fuzz_common.h"

#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_GUARD_REMOVE
#define MADV_GUARD_REMOVE 103
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef EHWPOISON
#define EHWPOISON 133
#endif
/* VM_LOCKONFAULT (include/linux/mm.h): dropped by fork like VM_LOCKED */
#define VM_LOCKONFAULT 0x00080000UL

#define PAGE 4096UL
#define HPAGE (2UL << 20)
/* The window most addresses fall in: 1 GiB aligned, 16 huge pages. */
#define BASE 0x200000000000UL
#define WINDOW (16 * HPAGE)
#define WINDOW_PAGES (WINDOW / PAGE)

#define NR_FILES 8
#define NR_CTXS 3
#define MAX_OPS 256
/*
 * The longest mapping a program makes: page by page work (populating,
 * guard markers, fills) over terabytes takes as long on the kernel as in
 * the model, so mappings stay small enough for thousands of steps a
 * second. Longer lengths are still passed where they must fail.
 */
#define MAX_MAP (64UL << 20)
/* Written into every output field before a call: "not written back". */
#define SENTINEL 0x5eed5eed5eedLL

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------ */
/* The world one input runs in.                                             */
/* ------------------------------------------------------------------------ */

/**
 * struct ctx_slot - a userfaultfd context of the program.
 * @ctx: the context, NULL when the slot is free.
 * @api: UFFDIO_API succeeded on it.
 */
struct ctx_slot {
	struct uffdops_ctx *ctx;
	bool api;
};

/**
 * struct world - the state of the running program.
 * @mm: the address space.
 * @files: open files.
 * @lock: guards @mm and @ctxs against the resolver (the main thread
 *	changes them under it and reads them without).
 * @ctxs: the contexts.
 * @op_seq: odd while an operation runs; bumped at its start and end.
 * @resolved: bumped by the resolver for each change it makes.
 * @maps: the VMAs after the last step.
 * @nr_maps: how many.
 * @maps_cap: room in @maps.
 */
struct world {
	struct uffdops_mm *mm;
	struct uffdops_file *files[NR_FILES];
	pthread_mutex_t lock;
	struct ctx_slot ctxs[NR_CTXS];
	atomic_uint op_seq;
	atomic_uint resolved;
	struct uffdops_map *maps;
	size_t nr_maps;
	size_t maps_cap;
};

static struct world W = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* UFFDOPS_FUZZ_VERBOSE set: print each step and each refusal (triage). */
static bool verbose;

/* ------------------------------------------------------------------------ */
/* Return values.                                                           */
/* ------------------------------------------------------------------------ */

/* A 0-terminated list of errno values. */
#define ERRS(...) ((const int[]){ __VA_ARGS__, 0 })

static bool err_in(long ret, const int *set)
{
	for (; *set; set++)
		if (ret == -*set)
			return true;
	return false;
}

static void check_ret(const char *op, long ret, const int *set)
{
	FUZZ_ASSERT(ret >= 0 || err_in(ret, set),
		    "%s returned %ld (%s), not an errno it can give", op, ret,
		    ret < 0 && ret > -4096 ? strerror((int)-ret) : "?");
}

/* ------------------------------------------------------------------------ */
/* VMAs.                                                                     */
/* ------------------------------------------------------------------------ */

/* uffdops_maps() into a buffer that grows as needed. */
static size_t maps_read(struct uffdops_mm *mm, struct uffdops_map **buf,
			size_t *cap)
{
	int n;

	for (;;) {
		n = uffdops_maps(mm, *buf, *cap);
		FUZZ_ASSERT(n >= 0, "uffdops_maps returned %d", n);
		if ((size_t)n <= *cap)
			return (size_t)n;
		*cap = (size_t)n * 2;
		*buf = realloc(*buf, *cap * sizeof(**buf));
		FUZZ_ASSERT(*buf, "out of memory");
	}
}

static bool is_open_ctx(const void *ctx)
{
	size_t i;

	for (i = 0; i < NR_CTXS; i++)
		if (W.ctxs[i].ctx && (const void *)W.ctxs[i].ctx == ctx)
			return true;
	return false;
}

static bool is_hugetlb(const struct uffdops_map *m)
{
	return !strcmp(m->memtype, "hugetlb");
}

/*
 * The shape of a VMA list, whatever the program did. @own: the program's
 * mm, whose registered VMAs belong to the program's open contexts (a forked
 * child's may belong to a context a FORK event made).
 */
static void check_maps(const struct uffdops_map *maps, size_t n, bool own)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct uffdops_map *m = &maps[i];
		unsigned long f = m->vm_flags;
		unsigned long align = is_hugetlb(m) ? HPAGE : PAGE;

		FUZZ_ASSERT(m->start < m->end, "VMA %zu is [%#lx, %#lx)", i,
			    m->start, m->end);
		FUZZ_ASSERT(!(m->start % align) && !(m->end % align),
			    "VMA [%#lx, %#lx) of %s is not aligned to %#lx",
			    m->start, m->end, m->memtype, align);
		FUZZ_ASSERT(m->end <= UFFDOPS_TASK_SIZE,
			    "VMA [%#lx, %#lx) beyond TASK_SIZE", m->start,
			    m->end);
		FUZZ_ASSERT(
			!i || maps[i - 1].end <= m->start,
			"VMAs [%#lx, %#lx) and [%#lx, %#lx) unsorted or overlapping",
			maps[i - 1].start, maps[i - 1].end, m->start, m->end);
		FUZZ_ASSERT(m->memtype[0], "VMA [%#lx, %#lx) has no memtype",
			    m->start, m->end);
		FUZZ_ASSERT(!(f & __VM_UFFD_FLAGS) == !m->uffd_ctx,
			    "VMA [%#lx, %#lx): uffd flags %#lx with ctx %p",
			    m->start, m->end, f & __VM_UFFD_FLAGS, m->uffd_ctx);
		FUZZ_ASSERT(!own || !m->uffd_ctx || is_open_ctx(m->uffd_ctx),
			    "VMA [%#lx, %#lx) registered with a closed ctx %p",
			    m->start, m->end, m->uffd_ctx);
		FUZZ_ASSERT(!(f & VM_READ) || (f & VM_MAYREAD),
			    "VMA %#lx: VM_READ without VM_MAYREAD", m->start);
		FUZZ_ASSERT(!(f & VM_WRITE) || (f & VM_MAYWRITE),
			    "VMA %#lx: VM_WRITE without VM_MAYWRITE", m->start);
		FUZZ_ASSERT(!(f & VM_EXEC) || (f & VM_MAYEXEC),
			    "VMA %#lx: VM_EXEC without VM_MAYEXEC", m->start);
		FUZZ_ASSERT(!(f & VM_SHARED) || (f & VM_MAYSHARE),
			    "VMA %#lx: VM_SHARED without VM_MAYSHARE",
			    m->start);
		/* vma_can_userfault(): MINOR only with a page cache */
		FUZZ_ASSERT(!(f & VM_UFFD_MINOR) ||
				    (strcmp(m->memtype, "anon") &&
				     strcmp(m->memtype, "file")),
			    "VMA %#lx of %s registered MINOR", m->start,
			    m->memtype);
		/* vma_can_userfault(): never VM_DROPPABLE */
		FUZZ_ASSERT(!(f & VM_DROPPABLE) || !(f & __VM_UFFD_FLAGS),
			    "VM_DROPPABLE VMA %#lx is registered", m->start);
	}
}

static void refresh_maps(void)
{
	W.nr_maps = maps_read(W.mm, &W.maps, &W.maps_cap);
	check_maps(W.maps, W.nr_maps, true);
}

static const struct uffdops_map *vma_at(const struct uffdops_map *maps,
					size_t n, unsigned long addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr >= maps[i].start && addr < maps[i].end)
			return &maps[i];
	return NULL;
}

static bool maps_equal(const struct uffdops_map *a, size_t na,
		       const struct uffdops_map *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (a[i].start != b[i].start || a[i].end != b[i].end ||
		    a[i].vm_flags != b[i].vm_flags ||
		    a[i].pgoff != b[i].pgoff || a[i].inode != b[i].inode ||
		    a[i].uffd_ctx != b[i].uffd_ctx ||
		    strcmp(a[i].memtype, b[i].memtype))
			return false;
	return true;
}

/* Every VMA meeting [start, end) satisfies @pred. */
static bool range_all(unsigned long start, unsigned long end,
		      bool (*pred)(const struct uffdops_map *, const void *),
		      const void *arg)
{
	size_t i;

	for (i = 0; start < end && i < W.nr_maps; i++)
		if (W.maps[i].end > start && W.maps[i].start < end &&
		    !pred(&W.maps[i], arg))
			return false;
	return true;
}

static bool is_unmapped(const struct uffdops_map *m, const void *arg)
{
	(void)m;
	(void)arg;
	return false;
}

static bool has_prot(const struct uffdops_map *m, const void *arg)
{
	return (m->vm_flags & (VM_READ | VM_WRITE | VM_EXEC)) ==
	       *(const unsigned long *)arg;
}

/* What a successful REGISTER leaves on every VMA of its range. */
struct reg_expect {
	const void *ctx;
	unsigned long modes;
};

static bool is_owned(const struct uffdops_map *m, const void *arg)
{
	const struct reg_expect *e = arg;

	return m->uffd_ctx == e->ctx && (m->vm_flags & e->modes) == e->modes;
}

static bool is_unregistered(const struct uffdops_map *m, const void *arg)
{
	(void)arg;
	return !m->uffd_ctx && !(m->vm_flags & __VM_UFFD_FLAGS);
}

/* ------------------------------------------------------------------------ */
/* Argument generators.                                                      */
/* ------------------------------------------------------------------------ */

static unsigned long gen_addr(struct input *in)
{
	uint8_t sel = take8(in);
	const struct uffdops_map *m;
	long delta;

	switch (sel & 7) {
	case 0:
	case 1:
	case 2:
		return BASE + (take16(in) % WINDOW_PAGES) * PAGE;
	case 3:
		return BASE + (take8(in) % (WINDOW / HPAGE)) * HPAGE;
	case 4:
	case 5:
		/* at or near an existing VMA's start or end */
		if (!W.nr_maps)
			return BASE;
		m = &W.maps[take8(in) % W.nr_maps];
		delta = (int8_t)take8(in);
		return (sel & 8 ? m->end : m->start) +
		       (unsigned long)(delta * (long)(sel & 16 ? HPAGE : PAGE));
	case 6:
		return BASE + take32(in) % WINDOW; /* unaligned */
	default:
		return take64(in);
	}
}

static unsigned long gen_len(struct input *in)
{
	uint8_t sel = take8(in);

	switch (sel & 7) {
	case 0:
	case 1:
	case 2:
		return ((unsigned long)(sel >> 3) + 1) * PAGE;
	case 3:
	case 4:
		return ((unsigned long)(sel >> 3) % 8 + 1) * HPAGE;
	case 5:
		return 0;
	case 6:
		return take16(in); /* unaligned */
	default:
		return take64(in);
	}
}

/* A mode field: the low bits of @mask mostly, any 64-bit value sometimes. */
static __u64 gen_mode(struct input *in, __u64 mask)
{
	uint8_t b = take8(in);

	return b & 0x80 ? take64(in) : b & mask;
}

static struct uffdops_file *gen_file(struct input *in)
{
	uint8_t i = take8(in) % (NR_FILES + 2);

	return i < NR_FILES ? W.files[i] : NULL;
}

static struct ctx_slot *gen_slot(struct input *in)
{
	struct ctx_slot *s = &W.ctxs[take8(in) % NR_CTXS];

	return s->ctx ? s : NULL;
}

/* ------------------------------------------------------------------------ */
/* Rogue memory types: hooks that break the contract on request.            */
/* ------------------------------------------------------------------------ */

/*
 * What the hooks do, set by op_rogue(): bits 0-2 the folio lookups, 3-5
 * the proposal's uffd_copy, 6 can_userfault refuses, 7-9 alloc_folio,
 * 10-11 filemap_add. 0 everywhere is a well-behaved type.
 */
static atomic_uint rogue;

#define ROGUE_LOOKUP(r) ((r)&7)
#define ROGUE_COPY(r) (((r) >> 3) & 7)
#define ROGUE_REFUSE (1U << 6)
#define ROGUE_ALLOC(r) (((r) >> 7) & 7)
#define ROGUE_ADD(r) (((r) >> 10) & 3)

/* A new locked folio of 2^@order pages, in no cache. */
static struct uffdops_folio *new_locked_folio(unsigned int order)
{
	struct uffdops_folio *folio;

	if (uffdops_folio_alloc(order, &folio))
		return NULL;
	uffdops_folio_lock(folio);
	return folio;
}

/* The folio lookups of both generations: 0 and a folio, or -errno. */
static int rogue_lookup(struct uffdops_inode *inode, pgoff_t pgoff,
			struct uffdops_folio **foliop)
{
	int ret;

	*foliop = NULL;
	switch (ROGUE_LOOKUP(atomic_load(&rogue))) {
	case 0:
		return uffdops_filemap_get_folio(inode, pgoff, foliop);
	case 1:
		return -ENOENT;
	case 2:
		return 5; /* positive */
	case 3:
		return -EPERM; /* not a lookup's errno */
	case 4:
		return 0; /* success without a folio */
	case 5:
		/* the cached folio, unlocked */
		ret = uffdops_filemap_get_folio(inode, pgoff, foliop);
		if (!ret)
			uffdops_folio_unlock(*foliop);
		return ret;
	default:
		/* a folio in no cache, of the right or a wrong size */
		*foliop =
			new_locked_folio(ROGUE_LOOKUP(atomic_load(&rogue)) & 1);
		return *foliop ? 0 : -ENOMEM;
	}
}

static int rogue_get_folio(struct uffdops_inode *inode, pgoff_t pgoff,
			   struct uffdops_folio **foliop)
{
	return rogue_lookup(inode, pgoff, foliop);
}

static struct uffdops_folio *rogue_get_folio_noalloc(struct uffdops_inode *i,
						     pgoff_t pgoff)
{
	struct uffdops_folio *folio;

	return rogue_lookup(i, pgoff, &folio) ? NULL : folio;
}

/* Fill a new folio of 2^@order pages, cache it at @index, locked. */
static int rogue_fill(struct uffdops_vma *vma, pgoff_t index, const void *src,
		      unsigned int order, bool unlock,
		      struct uffdops_folio **foliop)
{
	struct uffdops_inode *inode = uffdops_file_inode(uffdops_vma_file(vma));
	struct uffdops_folio *folio = new_locked_folio(order);
	int ret;

	if (!folio)
		return -ENOMEM;
	if (src)
		memcpy(uffdops_folio_data(folio), src, PAGE);
	if (index >= uffdops_inode_size(inode) / PAGE)
		ret = -EFAULT;
	else
		ret = uffdops_filemap_add_folio(inode, folio, index);
	if (ret) {
		uffdops_folio_unlock(folio);
		uffdops_folio_put(folio);
		/* whatever the cache said, an errno uffd_copy() may give */
		return ret == -EEXIST || ret == -EFAULT ? ret : -ENOMEM;
	}
	if (unlock)
		uffdops_folio_unlock(folio);
	*foliop = folio;
	return 0;
}

static int rogue_copy(struct uffdops_vma *vma, unsigned long addr,
		      const void *src, uffd_flags_t flags,
		      struct uffdops_folio **foliop)
{
	pgoff_t index = uffdops_linear_page_index(vma, addr);

	(void)flags;
	switch (ROGUE_COPY(atomic_load(&rogue))) {
	case 0:
		return rogue_fill(vma, index, src, 0, false, foliop);
	case 1:
		return -ENOMEM;
	case 2:
		return 7; /* positive */
	case 3:
		return -EPERM; /* not an errno of shmem_mfill_atomic_pte() */
	case 4:
		return 0; /* success without a folio */
	case 5:
		return rogue_fill(vma, index, src, 0, true, foliop);
	case 6:
		return rogue_fill(vma, index + 1, src, 0, false, foliop);
	default:
		return rogue_fill(vma, index & ~1UL, src, 1, false, foliop);
	}
}

static bool rogue_can_userfault(struct uffdops_vma *vma, unsigned long flags)
{
	(void)vma;
	(void)flags;
	return !(atomic_load(&rogue) & ROGUE_REFUSE);
}

static struct uffdops_folio *rogue_alloc_folio(struct uffdops_vma *vma,
					       unsigned long addr)
{
	struct uffdops_inode *inode = uffdops_file_inode(uffdops_vma_file(vma));
	struct uffdops_folio *folio = NULL;

	switch (ROGUE_ALLOC(atomic_load(&rogue))) {
	case 0:
	case 5:
		uffdops_folio_alloc(0, &folio);
		return folio;
	case 1:
		return NULL;
	case 2:
		return new_locked_folio(0); /* locked */
	case 3:
		uffdops_folio_alloc(1, &folio); /* large */
		return folio;
	default:
		/* one already cached, unlocked */
		if (uffdops_filemap_get_folio(
			    inode, uffdops_linear_page_index(vma, addr),
			    &folio))
			return NULL;
		uffdops_folio_unlock(folio);
		return folio;
	}
}

static int rogue_filemap_add(struct uffdops_folio *folio,
			     struct uffdops_vma *vma, unsigned long addr)
{
	struct uffdops_inode *inode = uffdops_file_inode(uffdops_vma_file(vma));
	unsigned int how = ROGUE_ADD(atomic_load(&rogue));
	int ret;

	if (how == 1)
		return -ENOMEM;
	if (how == 2)
		return 0; /* neither locked nor cached */
	uffdops_folio_lock(folio);
	ret = uffdops_filemap_add_folio(inode, folio,
					uffdops_linear_page_index(vma, addr));
	if (ret || how == 3)
		uffdops_folio_unlock(folio);
	return ret;
}

static void rogue_filemap_remove(struct uffdops_folio *folio,
				 struct uffdops_vma *vma)
{
	(void)vma;
	uffdops_filemap_remove_folio(folio);
	uffdops_folio_unlock(folio);
}

static const struct vm_uffd_ops rogue_ops = {
	.uffd_features = VM_UFFD_MISSING | VM_UFFD_WP | VM_UFFD_MINOR,
	.uffd_ioctls = UFFDOPS_IOCTL_BIT(_UFFDIO_COPY) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_ZEROPAGE) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_WRITEPROTECT) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_CONTINUE) |
		       UFFDOPS_IOCTL_BIT(_UFFDIO_POISON),
	.uffd_get_folio = rogue_get_folio,
	.uffd_copy = rogue_copy,
};

static const struct vm_uffd_ops_v7_1 rogue_ops_v7_1 = {
	.can_userfault = rogue_can_userfault,
	.get_folio_noalloc = rogue_get_folio_noalloc,
	.alloc_folio = rogue_alloc_folio,
	.filemap_add = rogue_filemap_add,
	.filemap_remove = rogue_filemap_remove,
};

static void rogue_register(void)
{
	const struct uffdops_memtype_desc types[] = {
		{ .name = "fz-rogue",
		  .page_size = PAGE,
		  .flags = UFFDOPS_MEMTYPE_FILE,
		  .uffd_ops = &rogue_ops },
		{ .name = "fz-rogue-7.1",
		  .page_size = PAGE,
		  .flags = UFFDOPS_MEMTYPE_FILE,
		  .uffd_ops_v7_1 = &rogue_ops_v7_1 },
	};
	struct uffdops_explain ex;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++)
		FUZZ_ASSERT(!uffdops_memtype_register(&types[i], &ex),
			    "%s refused: %s", types[i].name,
			    ex.violations[0].message);
}

static void op_rogue(struct input *in)
{
	atomic_store(&rogue, take16(in));
}

/* ------------------------------------------------------------------------ */
/* The resolver: the fault handler of a single-threaded program.             */
/* ------------------------------------------------------------------------ */

static int resolve_ioctl(struct uffdops_ctx *ctx, unsigned long cmd, void *arg)
{
	int ret = uffdops_ioctl(ctx, cmd, arg);

	check_ret("resolver ioctl", ret,
		  ERRS(EINVAL, EEXIST, ENOENT, EAGAIN, EFAULT, ENOMEM, EBUSY,
		       ESRCH, EIO, ENOSPC));
	return ret;
}

/* Unblocks a fault at @addr with @flags waiting on @ctx. */
static void resolve_fault(struct uffdops_ctx *ctx, unsigned long addr,
			  __u64 flags)
{
	struct uffdops_map *maps = NULL;
	size_t cap = 0, n = maps_read(W.mm, &maps, &cap);
	const struct uffdops_map *m = vma_at(maps, n, addr);
	unsigned long ps = m && is_hugetlb(m) ? HPAGE : PAGE;
	unsigned long page = addr & ~(ps - 1);
	struct uffdio_range range = { .start = page, .len = ps };
	int ret = -1;

	atomic_fetch_add(&W.resolved, 1);
	if (m && m->uffd_ctx == (void *)ctx) {
		if (flags & UFFD_PAGEFAULT_FLAG_WP) {
			struct uffdio_writeprotect wp = { .range = range };

			ret = resolve_ioctl(ctx, UFFDIO_WRITEPROTECT, &wp);
		} else if (flags & UFFD_PAGEFAULT_FLAG_MINOR) {
			struct uffdio_continue c = { .range = range };

			ret = resolve_ioctl(ctx, UFFDIO_CONTINUE, &c);
		} else if (ps == PAGE) {
			struct uffdio_zeropage z = { .range = range };

			ret = resolve_ioctl(ctx, UFFDIO_ZEROPAGE, &z);
		} else {
			/* no huge zero page: the access gets SIGBUS/EFAULT */
			struct uffdio_poison p = { .range = range };

			ret = resolve_ioctl(ctx, UFFDIO_POISON, &p);
		}
		if (ret) {
			struct uffdio_range all = { .start = m->start,
						    .len = m->end - m->start };

			/* a 7.1 type refusing now could never be unregistered */
			atomic_fetch_and(&rogue, ~ROGUE_REFUSE);
			resolve_ioctl(ctx, UFFDIO_UNREGISTER, &all);
		}
	}
	/* UNREGISTER does not wake WP-only and MINOR-only VMAs */
	resolve_ioctl(ctx, UFFDIO_WAKE, &range);
	if (verbose)
		fprintf(stderr, "  resolver: fault at %#lx flags %#llx: %d\n",
			addr, flags, ret);
	free(maps);
}

static void resolve_ctx(struct uffdops_ctx *ctx)
{
	struct uffdops_waiter waiters[8];
	struct uffd_msg msg;
	int i, n = uffdops_waiters(ctx, waiters, ARRAY_SIZE(waiters));

	FUZZ_ASSERT(n >= 0, "uffdops_waiters returned %d", n);
	for (i = 0; i < n && i < (int)ARRAY_SIZE(waiters); i++) {
		if (waiters[i].event) {
			/* an event producer resumes once its message is read */
			atomic_fetch_add(&W.resolved, 1);
			uffdops_read(ctx, &msg, sizeof(msg));
		} else {
			resolve_fault(ctx, waiters[i].msg.arg.pagefault.address,
				      waiters[i].msg.arg.pagefault.flags);
		}
	}
}

static void *resolver(void *arg)
{
	unsigned int seen = 0, seq;
	size_t i;

	(void)arg;
	for (;;) {
		usleep(250);
		seq = atomic_load(&W.op_seq);
		/* act on an operation that has been running for a tick */
		if (!(seq & 1) || seq != seen) {
			seen = seq;
			continue;
		}
		pthread_mutex_lock(&W.lock);
		if (atomic_load(&W.op_seq) == seq && W.mm)
			for (i = 0; i < NR_CTXS; i++)
				if (W.ctxs[i].ctx)
					resolve_ctx(W.ctxs[i].ctx);
		pthread_mutex_unlock(&W.lock);
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* The trace callback.                                                       */
/* ------------------------------------------------------------------------ */

static void check_trace(const struct uffdops_trace_event *ev, void *data)
{
	(void)data;
	if (verbose && ev->result)
		fprintf(stderr, "  %s: %s (%s): %d at %#lx\n", ev->op,
			ev->check, ev->kernel_function, ev->result, ev->addr);
	FUZZ_ASSERT(ev->op && ev->op[0] && ev->check && ev->check[0] &&
			    ev->kernel_function && ev->kernel_function[0],
		    "trace event without op, check or kernel function");
	FUZZ_ASSERT(ev->result <= 0 && ev->result > -4096,
		    "trace event %s/%s: result %d is not 0 or -errno", ev->op,
		    ev->check, ev->result);
}

/* ------------------------------------------------------------------------ */
/* Operations on the mm.                                                     */
/* ------------------------------------------------------------------------ */

static void op_mmap(struct input *in)
{
	static const int kinds[] = { MAP_PRIVATE, MAP_SHARED,
				     MAP_SHARED_VALIDATE, 0 };
	unsigned long addr = gen_addr(in), len = gen_len(in);
	uint8_t p = take8(in), f = take8(in);
	int prot = p & 0x80 ? (int)take32(in) : p & 7;
	int flags = kinds[f & 3];
	struct uffdops_file *file = gen_file(in);
	pgoff_t pgoff = take8(in);
	const struct uffdops_map *m;
	long ret;

	if (!file)
		flags |= MAP_ANONYMOUS;
	if (f & 0x04)
		flags |= MAP_FIXED;
	if (f & 0x08)
		flags |= MAP_FIXED_NOREPLACE;
	if (f & 0x10)
		flags |= MAP_HUGETLB;
	if (f & 0x20)
		flags |= MAP_POPULATE | MAP_NORESERVE;
	if (f & 0x40)
		flags = (flags & ~MAP_SHARED_VALIDATE) | MAP_DROPPABLE;
	if (f & 0x80)
		flags = (int)take32(in);
	if (pgoff & 0x80)
		pgoff = (pgoff & 0x7f) * (HPAGE / PAGE);
	if (len > MAX_MAP && len <= UFFDOPS_TASK_SIZE)
		len = MAX_MAP;
	ret = uffdops_mmap(W.mm, addr, len, prot, flags, file, pgoff);
	/*
	 * __get_unmapped_area(): a MAP_FIXED address in the last 4095 bytes
	 * passes IS_ERR_VALUE() and comes back as its own "errno" (live 6.18:
	 * -131 gives ENOTRECOVERABLE)
	 */
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && ret == (long)addr &&
	    addr >= -4095UL) {
		refresh_maps();
		return;
	}
	check_ret("mmap", ret,
		  ERRS(EINVAL, ENOMEM, EEXIST, EACCES, EPERM, ENODEV, EOVERFLOW,
		       EBADF, EOPNOTSUPP));
	refresh_maps();
	if (ret < 0)
		return;
	FUZZ_ASSERT(!(ret % PAGE), "mmap returned %#lx", ret);
	FUZZ_ASSERT(!(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) ||
			    (unsigned long)ret == addr,
		    "mmap fixed at %#lx returned %#lx", addr, ret);
	m = vma_at(W.maps, W.nr_maps, (unsigned long)ret);
	FUZZ_ASSERT(m && !m->uffd_ctx,
		    "mmap returned %#lx: no VMA there, or a registered one",
		    ret);
}

static void op_munmap(struct input *in)
{
	unsigned long addr = gen_addr(in), len = gen_len(in);
	int ret = uffdops_munmap(W.mm, addr, len);

	check_ret("munmap", ret, ERRS(EINVAL, ENOMEM));
	refresh_maps();
	if (!ret && len)
		FUZZ_ASSERT(range_all(addr,
				      addr + ((len + PAGE - 1) & ~(PAGE - 1)),
				      is_unmapped, NULL),
			    "munmap(%#lx, %#lx) left a VMA", addr, len);
}

static void op_mprotect(struct input *in)
{
	unsigned long addr = gen_addr(in), len = gen_len(in);
	uint8_t p = take8(in);
	int prot = p & 0x80 ? (int)take32(in) : p & 7;
	int ret = uffdops_mprotect(W.mm, addr, len, prot);
	unsigned long want = (unsigned long)prot;

	check_ret("mprotect", ret, ERRS(EINVAL, ENOMEM, EACCES));
	refresh_maps();
	if (!ret && prot >= 0 && prot <= 7 && len < WINDOW)
		FUZZ_ASSERT(range_all(addr, addr + len, has_prot, &want),
			    "mprotect(%#lx, %#lx, %d) left other protections",
			    addr, len, prot);
}

static void op_madvise(struct input *in)
{
	static const int advice[] = {
		MADV_DONTNEED,	    MADV_DONTNEED_LOCKED, MADV_FREE,
		MADV_REMOVE,	    MADV_POPULATE_READ,	  MADV_POPULATE_WRITE,
		MADV_GUARD_INSTALL, MADV_GUARD_REMOVE,	  MADV_NORMAL,
		MADV_WIPEONFORK,    MADV_KEEPONFORK,	  MADV_DONTFORK,
		MADV_DOFORK,	    MADV_WILLNEED,	  MADV_COLD,
	};
	unsigned long addr = gen_addr(in), len = gen_len(in);
	uint8_t a = take8(in);
	int adv = a < 0xf0 ? advice[a % ARRAY_SIZE(advice)] : (int)take32(in);
	int ret = uffdops_madvise(W.mm, addr, len, adv);

	check_ret("madvise", ret,
		  ERRS(EINVAL, ENOMEM, EAGAIN, EFAULT, EPERM, EHWPOISON, EACCES,
		       EBADF, EIO, EOPNOTSUPP));
	refresh_maps();
}

static void op_mremap(struct input *in)
{
	static const int kinds[] = {
		0,
		MREMAP_MAYMOVE,
		MREMAP_MAYMOVE | MREMAP_FIXED,
		MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
		MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		MREMAP_FIXED,
		MREMAP_DONTUNMAP,
	};
	unsigned long old_addr = gen_addr(in), old_len = gen_len(in);
	unsigned long new_len = gen_len(in), new_addr = gen_addr(in);
	uint8_t f = take8(in);
	int flags = f < 0xf0 ? kinds[f % ARRAY_SIZE(kinds)] : (int)take32(in);
	long ret;

	if (new_len > MAX_MAP && new_len <= UFFDOPS_TASK_SIZE)
		new_len = MAX_MAP;
	ret = uffdops_mremap(W.mm, old_addr, old_len, new_len, flags, new_addr);
	check_ret("mremap", ret, ERRS(EINVAL, ENOMEM, EFAULT, EAGAIN, EPERM));
	refresh_maps();
	if (ret < 0)
		return;
	FUZZ_ASSERT(!(ret % PAGE), "mremap returned %#lx", ret);
	FUZZ_ASSERT(!(flags & MREMAP_FIXED) || (unsigned long)ret == new_addr,
		    "mremap FIXED to %#lx returned %#lx", new_addr, ret);
	FUZZ_ASSERT(!new_len || vma_at(W.maps, W.nr_maps, (unsigned long)ret),
		    "mremap returned %#lx, where no VMA is", ret);
}

/* The child of a fork has the parent's VMAs, without their uffd state. */
static void op_fork(struct input *in)
{
	const unsigned long dropped = __VM_UFFD_FLAGS | VM_LOCKED |
				      VM_LOCKONFAULT;
	struct uffdops_map *cm = NULL;
	struct uffdops_mm *child = NULL;
	size_t cap = 0, n, i, j;
	int ret;

	(void)in;
	ret = uffdops_fork(W.mm, &child);
	check_ret("fork", ret, ERRS(ENOMEM));
	if (ret)
		return;
	n = maps_read(child, &cm, &cap);
	check_maps(cm, n, false);
	/* dup_mmap(): every VMA but VM_DONTCOPY ones */
	for (i = j = 0; i < W.nr_maps; i++) {
		const struct uffdops_map *p = &W.maps[i];

		if (p->vm_flags & VM_DONTCOPY)
			continue;
		FUZZ_ASSERT(j < n, "child lacks the VMA at %#lx", p->start);
		FUZZ_ASSERT(
			cm[j].start == p->start && cm[j].end == p->end &&
				cm[j].pgoff == p->pgoff &&
				cm[j].inode == p->inode &&
				(cm[j].vm_flags & ~dropped) ==
					(p->vm_flags & ~dropped),
			"child VMA [%#lx, %#lx) %#lx, parent [%#lx, %#lx) %#lx",
			cm[j].start, cm[j].end, cm[j].vm_flags, p->start,
			p->end, p->vm_flags);
		j++;
	}
	FUZZ_ASSERT(j == n, "child has %zu VMAs, parent %zu to copy", n, j);
	for (i = 0; i < n; i++) {
		unsigned char a[64], b[64];
		ssize_t rc, rp;

		rc = uffdops_read_mem(child, cm[i].start, a, sizeof(a),
				      UFFDOPS_ACCESS_NOFAULT);
		if (rc <= 0)
			continue;
		/* what the child has mapped at fork is the parent's data */
		rp = uffdops_read_mem(W.mm, cm[i].start, b, (size_t)rc,
				      UFFDOPS_ACCESS_NOFAULT);
		FUZZ_ASSERT(
			rp == rc && !memcmp(a, b, (size_t)rc),
			"child reads %zd bytes at %#lx, parent %zd, differently",
			rc, cm[i].start, rp);
	}
	free(cm);
	uffdops_mm_destroy(child);
}

/* ------------------------------------------------------------------------ */
/* Contexts.                                                                 */
/* ------------------------------------------------------------------------ */

static void ctx_close(struct ctx_slot *s)
{
	struct uffdops_ctx *ctx = s->ctx;

	pthread_mutex_lock(&W.lock);
	s->ctx = NULL;
	pthread_mutex_unlock(&W.lock);
	FUZZ_ASSERT(uffdops_close(ctx) == 0, "uffdops_close failed");
}

static void op_userfaultfd(struct input *in)
{
	static const int choices[] = {
		O_NONBLOCK,
		O_NONBLOCK | O_CLOEXEC,
		0,
		UFFD_USER_MODE_ONLY | O_NONBLOCK,
		UFFD_USER_MODE_ONLY,
	};
	struct ctx_slot *s = &W.ctxs[take8(in) % NR_CTXS];
	uint8_t f = take8(in);
	int flags = f < 0xf0 ? choices[f % ARRAY_SIZE(choices)] :
			       (int)take32(in);
	struct uffdops_ctx *ctx = NULL;
	unsigned long cmd;
	int ret;

	if (s->ctx)
		ctx_close(s);
	refresh_maps();
	if (f & 0x40) {
		cmd = f & 0x20 ? USERFAULTFD_IOC_NEW : take32(in);
		ret = uffdops_dev_userfaultfd_ioctl(W.mm, cmd,
						    (unsigned long)flags, &ctx);
		check_ret("USERFAULTFD_IOC_NEW", ret, ERRS(EINVAL, ENOMEM));
	} else {
		ret = uffdops_userfaultfd(W.mm, flags, &ctx);
		check_ret("userfaultfd", ret, ERRS(EPERM, EINVAL, ENOMEM));
	}
	if (ret)
		return;
	FUZZ_ASSERT(ctx, "userfaultfd returned 0 and no context");
	pthread_mutex_lock(&W.lock);
	s->ctx = ctx;
	s->api = false;
	pthread_mutex_unlock(&W.lock);
}

static void op_close(struct input *in)
{
	struct ctx_slot *s = gen_slot(in);

	if (s)
		ctx_close(s);
	refresh_maps();
}

/* ------------------------------------------------------------------------ */
/* ioctls.                                                                   */
/* ------------------------------------------------------------------------ */

union uffd_arg {
	struct uffdio_api api;
	struct uffdio_register reg;
	struct uffdio_range range;
	struct uffdio_copy copy;
	struct uffdio_zeropage zeropage;
	struct uffdio_move move;
	struct uffdio_writeprotect wp;
	struct uffdio_continue cont;
	struct uffdio_poison poison;
	int i;
	unsigned char raw[48];
};

static const unsigned long ioctl_cmds[] = {
	UFFDIO_API,	   UFFDIO_REGISTER,
	UFFDIO_UNREGISTER, UFFDIO_WAKE,
	UFFDIO_COPY,	   UFFDIO_ZEROPAGE,
	UFFDIO_MOVE,	   UFFDIO_WRITEPROTECT,
	UFFDIO_CONTINUE,   UFFDIO_POISON,
	UFFDIO_REGISTER,   UFFDIO_COPY,
	FIONBIO,	   FIOCLEX,
	FIONCLEX,	   FIOASYNC,
	FIGETBSZ,	   FIOQSIZE,
};

static unsigned long gen_cmd(struct input *in)
{
	uint8_t sel = take8(in);
	unsigned int dir, size;

	if (sel < 0xf0)
		return ioctl_cmds[sel % ARRAY_SIZE(ioctl_cmds)];
	if (sel < 0xf8) {
		/* a UFFDIO_* number with another size or direction */
		dir = take8(in) & 3;
		size = take8(in) % 64;
		return _IOC(dir, UFFDIO, sel & 7, size);
	}
	return take64(in);
}

static void gen_range(struct input *in, struct uffdio_range *r)
{
	r->start = gen_addr(in);
	r->len = gen_len(in);
}

static void fill_arg(struct input *in, unsigned long cmd, union uffd_arg *a)
{
	size_t i;
	uint8_t b;

	memset(a, 0, sizeof(*a));
	switch (cmd) {
	case UFFDIO_API:
		b = take8(in);
		a->api.api = b & 0x80 ? take64(in) : UFFD_API;
		a->api.features = b & 0x40 ? take64(in) :
					     take32(in) &
						     UFFDOPS_API_FEATURES_6_18;
		a->api.ioctls = SENTINEL;
		break;
	case UFFDIO_REGISTER:
		gen_range(in, &a->reg.range);
		a->reg.mode = gen_mode(in, 7);
		a->reg.ioctls = SENTINEL;
		break;
	case UFFDIO_UNREGISTER:
	case UFFDIO_WAKE:
		gen_range(in, &a->range);
		break;
	case UFFDIO_COPY:
		a->copy.dst = gen_addr(in);
		a->copy.src = gen_addr(in);
		a->copy.len = gen_len(in);
		a->copy.mode = gen_mode(in, 3);
		a->copy.copy = SENTINEL;
		break;
	case UFFDIO_ZEROPAGE:
		gen_range(in, &a->zeropage.range);
		a->zeropage.mode = gen_mode(in, 1);
		a->zeropage.zeropage = SENTINEL;
		break;
	case UFFDIO_MOVE:
		a->move.dst = gen_addr(in);
		a->move.src = gen_addr(in);
		a->move.len = gen_len(in);
		a->move.mode = gen_mode(in, 3);
		a->move.move = SENTINEL;
		break;
	case UFFDIO_WRITEPROTECT:
		gen_range(in, &a->wp.range);
		a->wp.mode = gen_mode(in, 3);
		break;
	case UFFDIO_CONTINUE:
		gen_range(in, &a->cont.range);
		a->cont.mode = gen_mode(in, 3);
		a->cont.mapped = SENTINEL;
		break;
	case UFFDIO_POISON:
		gen_range(in, &a->poison.range);
		a->poison.mode = gen_mode(in, 1);
		a->poison.updated = SENTINEL;
		break;
	case FIONBIO:
	case FIOASYNC:
		b = take8(in);
		a->i = b & 0x80 ? (int)take32(in) : b & 1;
		break;
	default:
		for (i = 0; i < sizeof(a->raw); i++)
			a->raw[i] = take8(in);
		break;
	}
}

/*
 * The bytes each command writes back: [*off, *off + *size). The kernel
 * writes nothing else of the caller's structure.
 */
static void out_field(unsigned long cmd, size_t *off, size_t *size)
{
	*off = 0;
	*size = 8;
	switch (cmd) {
	case UFFDIO_API:
		*size = sizeof(struct uffdio_api);
		break;
	case UFFDIO_REGISTER:
		*off = offsetof(struct uffdio_register, ioctls);
		break;
	case UFFDIO_COPY:
		*off = offsetof(struct uffdio_copy, copy);
		break;
	case UFFDIO_ZEROPAGE:
		*off = offsetof(struct uffdio_zeropage, zeropage);
		break;
	case UFFDIO_MOVE:
		*off = offsetof(struct uffdio_move, move);
		break;
	case UFFDIO_CONTINUE:
		*off = offsetof(struct uffdio_continue, mapped);
		break;
	case UFFDIO_POISON:
		*off = offsetof(struct uffdio_poison, updated);
		break;
	case FIGETBSZ:
		*size = sizeof(int);
		break;
	default:
		*size = 0;
		break;
	}
}

/* The errno values each command can give. */
static const int *ioctl_errs(unsigned long cmd)
{
	switch (cmd) {
	case UFFDIO_API:
		return ERRS(EINVAL, EFAULT, EPERM);
	case UFFDIO_REGISTER:
		return ERRS(EINVAL, EFAULT, ENOMEM, EPERM, EBUSY);
	case UFFDIO_UNREGISTER:
		return ERRS(EINVAL, EFAULT, ENOMEM);
	case UFFDIO_WAKE:
		return ERRS(EINVAL, EFAULT);
	case UFFDIO_WRITEPROTECT:
		return ERRS(EINVAL, EFAULT, EAGAIN, ESRCH, ENOENT, ENOMEM);
	case UFFDIO_COPY:
	case UFFDIO_ZEROPAGE:
	case UFFDIO_CONTINUE:
	case UFFDIO_POISON:
		return ERRS(EINVAL, EFAULT, EAGAIN, ESRCH, ENOENT, ENOMEM,
			    EEXIST, EINTR, EIO, ENOSPC);
	case UFFDIO_MOVE:
		return ERRS(EINVAL, EFAULT, EAGAIN, ESRCH, ENOENT, ENOMEM,
			    EEXIST, EINTR, EBUSY);
	case FIONBIO:
	case FIGETBSZ:
		return ERRS(EFAULT);
	case FIOASYNC:
		return ERRS(EFAULT, ENOTTY);
	case FIOQSIZE:
		return ERRS(ENOTTY);
	default:
		return ERRS(EINVAL);
	}
}

static __s64 *fill_result(unsigned long cmd, union uffd_arg *a, __u64 *len)
{
	switch (cmd) {
	case UFFDIO_COPY:
		*len = a->copy.len;
		return &a->copy.copy;
	case UFFDIO_ZEROPAGE:
		*len = a->zeropage.range.len;
		return &a->zeropage.zeropage;
	case UFFDIO_MOVE:
		*len = a->move.len;
		return &a->move.move;
	case UFFDIO_CONTINUE:
		*len = a->cont.range.len;
		return &a->cont.mapped;
	case UFFDIO_POISON:
		*len = a->poison.range.len;
		return &a->poison.updated;
	default:
		return NULL;
	}
}

static void check_register(const struct ctx_slot *s,
			   const union uffd_arg *before,
			   const union uffd_arg *after, int ret,
			   const struct uffdops_map *old_maps, size_t old_n,
			   bool changed)
{
	const __u64 mode = before->reg.mode;
	const __u64 ioctls = after->reg.ioctls;
	struct reg_expect e = { s->ctx, 0 };

	if (ret) {
		FUZZ_ASSERT(ioctls == (__u64)SENTINEL,
			    "failed REGISTER (%d) wrote ioctls", ret);
		/* split failures (ENOMEM) may leave earlier VMAs done */
		FUZZ_ASSERT(ret == -ENOMEM || changed ||
				    maps_equal(old_maps, old_n, W.maps,
					       W.nr_maps),
			    "failed REGISTER (%d) changed VMAs", ret);
		return;
	}
	/* userfaultfd_register(): the mask follows the requested mode */
	FUZZ_ASSERT(!(ioctls & ~UFFDOPS_API_RANGE_IOCTLS) &&
			    (ioctls & UFFDOPS_IOCTL_BIT(_UFFDIO_COPY)) &&
			    !(ioctls &
			      UFFDOPS_IOCTL_BIT(_UFFDIO_WRITEPROTECT)) ==
				    !(mode & UFFDIO_REGISTER_MODE_WP) &&
			    !(ioctls & UFFDOPS_IOCTL_BIT(_UFFDIO_CONTINUE)) ==
				    !(mode & UFFDIO_REGISTER_MODE_MINOR),
		    "REGISTER mode %#llx answered ioctls %#llx", mode, ioctls);
	if (mode & UFFDIO_REGISTER_MODE_MISSING)
		e.modes |= VM_UFFD_MISSING;
	if (mode & UFFDIO_REGISTER_MODE_WP)
		e.modes |= VM_UFFD_WP;
	if (mode & UFFDIO_REGISTER_MODE_MINOR)
		e.modes |= VM_UFFD_MINOR;
	FUZZ_ASSERT(
		changed || range_all(before->reg.range.start,
				     before->reg.range.start +
					     before->reg.range.len,
				     is_owned, &e),
		"REGISTER [%#llx, +%#llx) mode %#llx left a VMA unregistered",
		before->reg.range.start, before->reg.range.len, mode);
}

/* spec §2.0: the output-field and partial-progress rules. */
static void check_fill(unsigned long cmd, union uffd_arg *after, int ret)
{
	__u64 len;
	__s64 *res = fill_result(cmd, after, &len);

	if (!res)
		return;
	if (!ret)
		FUZZ_ASSERT(*res >= 0 && (__u64)*res == len,
			    "ioctl %#lx returned 0 with %lld of %llu done", cmd,
			    (long long)*res, len);
	else if (ret == -EAGAIN)
		FUZZ_ASSERT(*res == -EAGAIN || (*res > 0 && (__u64)*res < len &&
						!(*res % PAGE)),
			    "ioctl %#lx returned EAGAIN with %lld of %llu", cmd,
			    (long long)*res, len);
	else
		FUZZ_ASSERT(*res == SENTINEL || *res == ret,
			    "ioctl %#lx returned %d with the field %lld", cmd,
			    ret, (long long)*res);
}

/*
 * What a finished ioctl must have left: @before is the argument as passed,
 * @after as written back. @unwritten: the write-back may have failed
 * (through simulated memory, or with no argument), leaving EFAULT.
 * @changed: the resolver changed the mm meanwhile.
 */
static void check_ioctl(struct ctx_slot *s, unsigned long cmd,
			const union uffd_arg *before, union uffd_arg *after,
			int ret, bool unwritten,
			const struct uffdops_map *old_maps, size_t old_n,
			bool changed)
{
	size_t off, size, i;

	/* ioctl(2): the command is an unsigned int */
	cmd = (unsigned int)cmd;
	check_ret("ioctl", ret, ioctl_errs(cmd));
	FUZZ_ASSERT(ret <= 0, "ioctl %#lx returned %d", cmd, ret);
	/* the kernel writes nothing but the output field */
	out_field(cmd, &off, &size);
	for (i = 0; i < sizeof(before->raw); i++)
		FUZZ_ASSERT((i >= off && i < off + size) ||
				    before->raw[i] == after->raw[i],
			    "ioctl %#lx changed byte %zu of its argument", cmd,
			    i);
	if (unwritten && ret == -EFAULT)
		return;
	switch (cmd) {
	case UFFDIO_API:
		if (!ret)
			FUZZ_ASSERT(after->api.api == UFFD_API &&
					    after->api.features ==
						    UFFDOPS_API_FEATURES_6_18 &&
					    after->api.ioctls ==
						    UFFDOPS_API_IOCTLS,
				    "UFFDIO_API answered %#llx %#llx %#llx",
				    after->api.api, after->api.features,
				    after->api.ioctls);
		else
			FUZZ_ASSERT(!after->api.api && !after->api.features &&
					    !after->api.ioctls,
				    "failed UFFDIO_API (%d) left its answer",
				    ret);
		break;
	case UFFDIO_REGISTER:
		check_register(s, before, after, ret, old_maps, old_n, changed);
		break;
	case UFFDIO_UNREGISTER:
		FUZZ_ASSERT(ret || changed ||
				    range_all(before->range.start,
					      before->range.start +
						      before->range.len,
					      is_unregistered, NULL),
			    "UNREGISTER [%#llx, +%#llx) left a VMA registered",
			    before->range.start, before->range.len);
		break;
	case FIGETBSZ:
		FUZZ_ASSERT(ret || after->i == (int)PAGE,
			    "FIGETBSZ answered %d", after->i);
		break;
	default:
		check_fill(cmd, after, ret);
		break;
	}
}

/* Snapshot of the VMAs before an ioctl, for check_ioctl(). */
static struct uffdops_map *old_maps;
static size_t old_cap;

static size_t snapshot_maps(void)
{
	if (old_cap < W.nr_maps) {
		old_cap = W.nr_maps * 2;
		old_maps = realloc(old_maps, old_cap * sizeof(*old_maps));
		FUZZ_ASSERT(old_maps, "out of memory");
	}
	if (W.nr_maps)
		memcpy(old_maps, W.maps, W.nr_maps * sizeof(*old_maps));
	return W.nr_maps;
}

static void note_api(struct ctx_slot *s, unsigned long cmd, int ret)
{
	if ((unsigned int)cmd == UFFDIO_API && !ret)
		s->api = true;
}

static void op_ioctl(struct input *in)
{
	struct ctx_slot *s = gen_slot(in);
	unsigned long cmd = gen_cmd(in);
	bool null_arg = take8(in) == 0xff;
	union uffd_arg before, after;
	unsigned int resolved;
	size_t old_n;
	int ret;

	fill_arg(in, cmd, &before);
	if (!s)
		return;
	after = before;
	old_n = snapshot_maps();
	resolved = atomic_load(&W.resolved);
	ret = uffdops_ioctl(s->ctx, cmd, null_arg ? NULL : &after);
	note_api(s, cmd, ret);
	refresh_maps();
	check_ioctl(s, cmd, &before, &after, ret, null_arg, old_maps, old_n,
		    atomic_load(&W.resolved) != resolved);
}

/* The argument placed in the simulated memory at a fuzzed address. */
static void op_ioctl_uaddr(struct input *in)
{
	struct ctx_slot *s = gen_slot(in);
	unsigned long cmd = gen_cmd(in), uaddr = gen_addr(in);
	/* placed with a forced write (may CoW) or only where mapped */
	unsigned int place = take8(in) & 1 ? UFFDOPS_ACCESS_FORCE :
					     UFFDOPS_ACCESS_NOFAULT;
	union uffd_arg before, after;
	unsigned int resolved;
	size_t old_n;
	ssize_t n;
	int ret;

	fill_arg(in, cmd, &before);
	if (!s)
		return;
	n = uffdops_write_mem(W.mm, uaddr, &before, sizeof(before), place);
	check_ret("write_mem", n, ERRS(EFAULT));
	refresh_maps();
	old_n = snapshot_maps();
	resolved = atomic_load(&W.resolved);
	ret = uffdops_ioctl_uaddr(s->ctx, cmd, uaddr);
	note_api(s, cmd, ret);
	refresh_maps();
	check_ret("ioctl_uaddr", ret, ioctl_errs((unsigned int)cmd));
	/* only an argument wholly written and read back can be compared */
	if (n != (ssize_t)sizeof(before))
		return;
	n = uffdops_read_mem(W.mm, uaddr, &after, sizeof(after),
			     UFFDOPS_ACCESS_NOFAULT | UFFDOPS_ACCESS_FORCE);
	if (n != (ssize_t)sizeof(after))
		return;
	check_ioctl(s, cmd, &before, &after, ret, true, old_maps, old_n,
		    atomic_load(&W.resolved) != resolved);
}

/* ------------------------------------------------------------------------ */
/* Memory, faults, messages.                                                 */
/* ------------------------------------------------------------------------ */

static unsigned int gen_access(struct input *in)
{
	static const unsigned int choices[] = {
		0,
		UFFDOPS_ACCESS_NOFAULT,
		UFFDOPS_ACCESS_FORCE,
		UFFDOPS_ACCESS_KERNEL,
		UFFDOPS_ACCESS_NOFAULT | UFFDOPS_ACCESS_FORCE,
		UFFDOPS_ACCESS_KERNEL | UFFDOPS_ACCESS_NOFAULT,
	};
	uint8_t b = take8(in);

	return b < 0xf8 ? choices[b % ARRAY_SIZE(choices)] : take32(in);
}

static void op_read_mem(struct input *in)
{
	unsigned long addr = gen_addr(in);
	size_t len = take16(in) % (3 * PAGE);
	unsigned int flags = gen_access(in);
	unsigned char *buf = malloc(len + 1);
	ssize_t n;

	FUZZ_ASSERT(buf, "out of memory");
	n = uffdops_read_mem(W.mm, addr, buf, len, flags);
	check_ret("read_mem", n, ERRS(EFAULT));
	FUZZ_ASSERT(n <= (ssize_t)len && (n || !len),
		    "read_mem of %zu bytes returned %zd", len, n);
	refresh_maps();
	free(buf);
}

static void op_write_mem(struct input *in)
{
	unsigned long addr = gen_addr(in);
	size_t len = take16(in) % (3 * PAGE), i;
	unsigned int flags = gen_access(in);
	uint8_t seed = take8(in);
	unsigned char *buf = malloc(len + 1), *back = malloc(len + 1);
	ssize_t n, r;

	FUZZ_ASSERT(buf && back, "out of memory");
	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(seed + i * 7);
	n = uffdops_write_mem(W.mm, addr, buf, len, flags);
	check_ret("write_mem", n, ERRS(EFAULT));
	FUZZ_ASSERT(n <= (ssize_t)len && (n || !len),
		    "write_mem of %zu bytes returned %zd", len, n);
	refresh_maps();
	if (n > 0) {
		/* what was written reads back */
		r = uffdops_read_mem(W.mm, addr, back, (size_t)n,
				     UFFDOPS_ACCESS_FORCE |
					     UFFDOPS_ACCESS_NOFAULT);
		FUZZ_ASSERT(
			r == n && !memcmp(buf, back, (size_t)n),
			"wrote %zd bytes at %#lx (flags %#x), read back %zd", n,
			addr, flags, r);
	}
	free(buf);
	free(back);
}

static void op_fault(struct input *in)
{
	unsigned long addr = gen_addr(in);
	uint8_t b = take8(in);
	unsigned int flags;
	unsigned char c;
	int ret;

	if (b & 0x80)
		flags = take32(in);
	else
		flags = (b & 1 ? FAULT_FLAG_WRITE : 0) |
			(b & 2 ? FAULT_FLAG_USER : 0) |
			(b & 4 ? FAULT_FLAG_INSTRUCTION : 0);
	ret = uffdops_handle_mm_fault(W.mm, addr, flags);
	FUZZ_ASSERT(ret == 0 || ret == (int)VM_FAULT_SIGBUS ||
			    ret == (int)VM_FAULT_SIGSEGV,
		    "handle_mm_fault returned %#x", ret);
	refresh_maps();
	/* a resolved read fault lets the read in without another fault */
	if (!ret && !(flags & FAULT_FLAG_WRITE))
		FUZZ_ASSERT(
			uffdops_read_mem(W.mm, addr, &c, 1,
					 UFFDOPS_ACCESS_NOFAULT) == 1,
			"fault at %#lx (%#x) returned 0, the page is still not readable",
			addr, flags);
}

static void op_pagemap(struct input *in)
{
	unsigned long addr = gen_addr(in);
	struct uffdops_pagemap_entry e;
	int ret;

	memset(&e, 0xa5, sizeof(e));
	ret = uffdops_pagemap(W.mm, addr, &e);
	FUZZ_ASSERT(!ret, "pagemap returned %d", ret);
	if (!vma_at(W.maps, W.nr_maps, addr))
		FUZZ_ASSERT(!e.bits && !e.zero_page && !e.marker,
			    "pagemap of unmapped %#lx: %#llx", addr, e.bits);
	FUZZ_ASSERT(!e.zero_page || (e.bits & UFFDOPS_PM_PRESENT),
		    "zero page at %#lx not present", addr);
	FUZZ_ASSERT(!e.marker || !(e.bits & UFFDOPS_PM_PRESENT),
		    "marker %#x at %#lx on a present page", e.marker, addr);
}

/* read(), poll(), the eventfd, fdinfo, fcntl: nothing can be queued now. */
static void op_messages(struct input *in)
{
	struct ctx_slot *s = gen_slot(in);
	uint8_t b = take8(in);
	struct uffd_msg msgs[3];
	char info[128];
	size_t size;
	int mask, fd, ret;
	ssize_t n;

	if (!s)
		return;
	mask = uffdops_poll(s->ctx, 0);
	FUZZ_ASSERT(mask == 0 || mask == POLLERR,
		    "poll returned %#x with nothing queued", mask);
	FUZZ_ASSERT(s->api || mask == POLLERR,
		    "poll before UFFDIO_API returned %#x", mask);
	switch (b & 3) {
	case 0:
		/* only a read that cannot block: before API or O_NONBLOCK */
		if (s->api && mask)
			break;
		size = take8(in) % sizeof(msgs);
		n = uffdops_read(s->ctx, b & 4 ? NULL : msgs, size);
		FUZZ_ASSERT(n == -EAGAIN || n == -EINVAL,
			    "read with nothing queued returned %zd", n);
		break;
	case 1:
		fd = uffdops_eventfd(s->ctx);
		check_ret("eventfd", fd, ERRS(EMFILE, ENFILE, ENOMEM));
		if (fd >= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			FUZZ_ASSERT(poll(&p, 1, 0) == 0,
				    "eventfd readable with nothing queued");
		}
		break;
	case 2:
		size = take8(in) % sizeof(info);
		ret = uffdops_fdinfo(s->ctx, size ? info : NULL, size);
		FUZZ_ASSERT(ret > 0, "fdinfo returned %d", ret);
		if (size)
			FUZZ_ASSERT(
				strlen(info) == ((size_t)ret < size ?
							 (size_t)ret :
							 size - 1),
				"fdinfo text of %zu bytes, %d needed in %zu",
				strlen(info), ret, size);
		break;
	default:
		ret = uffdops_fcntl_setfl(s->ctx, b & 4 ? O_NONBLOCK :
						  b & 8 ? (int)take32(in) :
							  0);
		FUZZ_ASSERT(!ret, "fcntl_setfl returned %d", ret);
		break;
	}
}

static void op_maps_format(struct input *in)
{
	size_t size = take16(in) % 4096;
	char *buf = malloc(size + 1);
	int ret;

	FUZZ_ASSERT(buf, "out of memory");
	ret = uffdops_maps_format(W.mm, size ? buf : NULL, size);
	FUZZ_ASSERT(ret >= 0, "maps_format returned %d", ret);
	if (size)
		FUZZ_ASSERT(strlen(buf) == ((size_t)ret < size ? (size_t)ret :
								 size - 1),
			    "maps text of %zu bytes, %d needed in %zu",
			    strlen(buf), ret, size);
	free(buf);
}

static void op_file(struct input *in)
{
	unsigned int i = take8(in) % NR_FILES;
	uint8_t b = take8(in);
	struct uffdops_file *nf = NULL;
	unsigned long size;
	int ret, flags;

	if (b & 1) {
		if (b & 2)
			size = take64(in);
		else if (b & 4)
			size = (unsigned long)(take8(in) % 8) * HPAGE;
		else
			size = (unsigned long)take8(in) * PAGE;
		ret = uffdops_file_truncate(W.files[i], size);
		check_ret("truncate", ret, ERRS(EINVAL, EFBIG, EPERM, ENOMEM));
	} else {
		flags = b & 2 ? (int)take32(in) : (b >> 2) & 3;
		ret = uffdops_file_open(W.files[i], flags, &nf);
		check_ret("file_open", ret, ERRS(EINVAL, ENOMEM));
		if (!ret) {
			uffdops_file_close(W.files[i]);
			W.files[i] = nf;
		}
	}
	refresh_maps();
}

static void op_config(struct input *in)
{
	uint8_t k = take8(in), v = take8(in);
	long value = v & 0x80 ? (long)take64(in) : v & 0x7f;
	int ret;

	ret = uffdops_mm_config(W.mm, (enum uffdops_mm_key)(k % 5), value);
	check_ret("mm_config", ret, ERRS(EINVAL));
}

/* ------------------------------------------------------------------------ */
/* The program.                                                              */
/* ------------------------------------------------------------------------ */

typedef void (*op_fn)(struct input *in);

/* Weighted: ioctls and mappings come most often. */
static const op_fn ops[] = {
	op_mmap,	op_mmap,	op_mmap,     op_munmap,
	op_mprotect,	op_madvise,	op_mremap,   op_fork,
	op_userfaultfd, op_userfaultfd, op_close,    op_ioctl,
	op_ioctl,	op_ioctl,	op_ioctl,    op_ioctl,
	op_ioctl,	op_ioctl_uaddr, op_read_mem, op_write_mem,
	op_write_mem,	op_fault,	op_fault,    op_pagemap,
	op_messages,	op_maps_format, op_file,     op_config,
	op_rogue,
};

static void no_waiters(void)
{
	size_t i;
	int n;

	for (i = 0; i < NR_CTXS; i++) {
		if (!W.ctxs[i].ctx)
			continue;
		n = uffdops_waiters(W.ctxs[i].ctx, NULL, 0);
		FUZZ_ASSERT(n == 0,
			    "%d threads wait on ctx %zu after the operation", n,
			    i);
	}
}

static void world_create(uint8_t header)
{
	static const struct {
		const char *type;
		unsigned long size;
	} files[NR_FILES] = {
		{ "shmem", 64 * PAGE },	   { "shmem", 4 * PAGE },
		{ "hugetlb", 4 * HPAGE },  { "hugetlb", HPAGE },
		{ "file", 64 * PAGE },	   { "shmem", 16 * PAGE },
		{ "fz-rogue", 16 * PAGE }, { "fz-rogue-7.1", 16 * PAGE },
	};
	struct uffdops_mm *mm;
	struct uffdops_file *ro;
	size_t i;

	FUZZ_ASSERT(!uffdops_mm_create(&mm), "mm_create failed");
	for (i = 0; i < NR_FILES; i++)
		FUZZ_ASSERT(!uffdops_file_create(files[i].type, files[i].size,
						 &W.files[i]),
			    "file_create(%s) failed", files[i].type);
	/* the second shmem one is opened again read-only (REGISTER's EPERM) */
	FUZZ_ASSERT(!uffdops_file_open(W.files[5], O_RDONLY, &ro),
		    "file_open failed");
	uffdops_file_close(W.files[5]);
	W.files[5] = ro;
	atomic_store(&rogue, 0);
	if ((header & 1) || verbose)
		uffdops_trace_set(mm, check_trace, NULL);
	if (header & 2)
		FUZZ_ASSERT(!uffdops_mm_config(mm, UFFDOPS_MM_NO_ZERO_PAGE, 1),
			    "mm_config failed");
	pthread_mutex_lock(&W.lock);
	W.mm = mm;
	pthread_mutex_unlock(&W.lock);
	W.nr_maps = 0;
}

static void world_destroy(void)
{
	size_t i;

	for (i = 0; i < NR_CTXS; i++)
		if (W.ctxs[i].ctx)
			ctx_close(&W.ctxs[i]);
	pthread_mutex_lock(&W.lock);
	uffdops_mm_destroy(W.mm);
	W.mm = NULL;
	pthread_mutex_unlock(&W.lock);
	for (i = 0; i < NR_FILES; i++) {
		uffdops_file_close(W.files[i]);
		W.files[i] = NULL;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pthread_t t;

	(void)argc;
	(void)argv;
	verbose = getenv("UFFDOPS_FUZZ_VERBOSE");
	rogue_register();
	FUZZ_ASSERT(!pthread_create(&t, NULL, resolver, NULL),
		    "cannot start the resolver");
	pthread_detach(t);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	unsigned int nr;

	world_create(take8(&in));
	for (nr = 0; in.size && nr < MAX_OPS; nr++) {
		unsigned int i = take8(&in) % ARRAY_SIZE(ops);

		if (verbose)
			fprintf(stderr, "step %u: op %u, %zu VMAs\n", nr, i,
				W.nr_maps);
		atomic_fetch_add(&W.op_seq, 1);
		ops[i](&in);
		atomic_fetch_add(&W.op_seq, 1);
		no_waiters();
	}
	world_destroy();
	return 0;
}
