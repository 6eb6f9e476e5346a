/* SPDX-License-Identifier: MIT */
/*
 * uffdops/uffdops.h - libuffdops public API.
 *
 * libuffdops models the Linux userfaultfd dispatch layer over simulated
 * address spaces: the per-memory-type ops table (struct vm_uffd_ops), the
 * ioctl dispatcher and the fault path. Every call is shaped like the kernel
 * call it models, and every function returns 0 (or a value) on success and a
 * negative errno on failure, never -1 with errno set.
 *
 * Layout of this header (each part is declared by the release implementing
 * it): ABI and flags; memory objects handed to handlers; struct vm_uffd_ops
 * in both generations; memory-type descriptors and the registry; the
 * simulated mm (mmap, munmap, ...); files and page caches; access and faults;
 * the userfaultfd context and its ioctls; introspection and the decision trace.
 */
#ifndef UFFDOPS_UFFDOPS_H
#define UFFDOPS_UFFDOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uffdops/uapi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; what is declared here is its API. */
#pragma GCC visibility push(default)

#define UFFDOPS_VERSION_MAJOR 0
#define UFFDOPS_VERSION_MINOR 1

/* ------------------------------------------------------------------------ */
/* VMA userfaultfd flags: include/linux/mm.h values on x86-64 Linux 6.18.    */
/* ------------------------------------------------------------------------ */

/** VM_UFFD_MISSING - the VMA tracks missing pages (MISSING mode). */
#define VM_UFFD_MISSING 0x00000200UL
/** VM_UFFD_WP - the VMA tracks writes to write-protected pages (WP mode). */
#define VM_UFFD_WP 0x00001000UL
/** VM_UFFD_MINOR - the VMA tracks minor faults on cached pages (MINOR mode). */
#define VM_UFFD_MINOR (1UL << 41)
/** __VM_UFFD_FLAGS - every userfaultfd mode a VMA can carry. */
#define __VM_UFFD_FLAGS (VM_UFFD_MISSING | VM_UFFD_WP | VM_UFFD_MINOR)

/* Other VMA flags (include/linux/mm.h, x86-64), as uffdops_vma_flags() reports. */
#define VM_READ 0x00000001UL
#define VM_WRITE 0x00000002UL
#define VM_EXEC 0x00000004UL
#define VM_SHARED 0x00000008UL
#define VM_MAYREAD 0x00000010UL
#define VM_MAYWRITE 0x00000020UL
#define VM_MAYEXEC 0x00000040UL
#define VM_MAYSHARE 0x00000080UL
#define VM_GROWSDOWN 0x00000100UL
#define VM_PFNMAP 0x00000400UL
#define VM_LOCKED 0x00002000UL
#define VM_IO 0x00004000UL
#define VM_DONTCOPY 0x00020000UL
#define VM_DONTEXPAND 0x00040000UL
#define VM_ACCOUNT 0x00100000UL
#define VM_NORESERVE 0x00200000UL
#define VM_HUGETLB 0x00400000UL
#define VM_WIPEONFORK 0x02000000UL
#define VM_DONTDUMP 0x04000000UL
#define VM_MIXEDMAP 0x10000000UL
#define VM_DROPPABLE (1UL << 40)

/** UFFDOPS_IOCTL_BIT - BIT(_UFFDIO_x), the form ioctl masks are kept in. */
#define UFFDOPS_IOCTL_BIT(nr) ((__u64)1 << (nr))

/* ------------------------------------------------------------------------ */
/* Memory objects handed to memory-type handlers (opaque).                   */
/* ------------------------------------------------------------------------ */

/** struct uffdops_mm - a simulated address space (the kernel's mm_struct). */
struct uffdops_mm;
/** struct uffdops_vma - a simulated VMA (the kernel's vm_area_struct). */
struct uffdops_vma;
/** struct uffdops_file - an open file: an inode and an access mode (struct file). */
struct uffdops_file;
/** struct uffdops_inode - an inode with its page cache and size (struct inode). */
struct uffdops_inode;
/** struct uffdops_folio - a folio: 2^order pages of data (struct folio). */
struct uffdops_folio;

/** pgoff_t - a page index into a file, in PAGE_SIZE units. */
typedef unsigned long pgoff_t;

/**
 * enum mfill_atomic_mode - what a fill operation installs (mm/userfaultfd.c).
 * @MFILL_ATOMIC_COPY: UFFDIO_COPY, a page filled from the caller's buffer.
 * @MFILL_ATOMIC_ZEROPAGE: UFFDIO_ZEROPAGE, a zero-filled page.
 * @MFILL_ATOMIC_CONTINUE: UFFDIO_CONTINUE, map the page already cached.
 * @MFILL_ATOMIC_POISON: UFFDIO_POISON, install a poison marker.
 */
enum mfill_atomic_mode {
	MFILL_ATOMIC_COPY,
	MFILL_ATOMIC_ZEROPAGE,
	MFILL_ATOMIC_CONTINUE,
	MFILL_ATOMIC_POISON,
	NR_MFILL_ATOMIC_MODES,
};

/** uffd_flags_t - an mfill_atomic_mode, optionally or-ed with MFILL_ATOMIC_WP. */
typedef unsigned int uffd_flags_t;
/** MFILL_ATOMIC_WP - install the page write-protected (COPY/CONTINUE MODE_WP). */
#define MFILL_ATOMIC_WP (1U << 8)

/* ------------------------------------------------------------------------ */
/* struct vm_uffd_ops - the original proposal (Peter Xu, v1-v3, 2025).       */
/* ------------------------------------------------------------------------ */

/**
 * struct vm_uffd_ops - what userfaultfd may do on a memory type (Peter Xu's
 * "mm: Introduce vm_uffd_ops API", v3, plus v1-v2's uffd_copy).
 *
 * The table is declarative: two masks say which modes and which range ioctls
 * the type serves, and hooks serve the operations the core cannot do alone.
 */
struct vm_uffd_ops {
	/**
	 * @uffd_features: the modes the type supports, a non-zero subset of
	 * VM_UFFD_MISSING | VM_UFFD_WP | VM_UFFD_MINOR (VMA flags, not
	 * UFFD_FEATURE_* bits). vma_can_userfault() accepts a registration only
	 * when the requested modes are a subset of these.
	 */
	unsigned long uffd_features;
	/**
	 * @uffd_ioctls: BIT(_UFFDIO_*) of the range ioctls the type serves
	 * (COPY, ZEROPAGE, WRITEPROTECT, CONTINUE, POISON; MOVE only for
	 * anonymous memory). API, REGISTER, UNREGISTER and WAKE are implied.
	 * vma_uffd_ops_supported() refuses a fill whose bit is missing.
	 */
	unsigned long uffd_ioctls;
	/**
	 * @uffd_get_folio: look up the folio cached at @pgoff of @inode without
	 * allocating, for UFFDIO_CONTINUE (mfill_atomic_pte_continue()).
	 * Return 0 and the folio, locked and with a reference held, in @foliop;
	 * or -ENOENT when nothing is cached; or another negative errno. Required
	 * when @uffd_features has VM_UFFD_MINOR.
	 */
	int (*uffd_get_folio)(struct uffdops_inode *inode, pgoff_t pgoff,
			      struct uffdops_folio **foliop);
	/**
	 * @uffd_copy: resolve UFFDIO_COPY and UFFDIO_ZEROPAGE on a shared
	 * mapping (v1-v2 only; shmem_mfill_atomic_pte() was plugged in here).
	 * Allocate a folio for @dst_addr of @dst_vma, fill it from @src (a page
	 * of the caller's data; NULL for ZEROPAGE, meaning zero-fill), insert it
	 * into the type's page cache and return it in @foliop, locked (from
	 * before its insertion, as shmem_mfill_atomic_pte() holds it) and with
	 * a reference held; the core installs the PTE, then unlocks it. @flags is the mfill mode, possibly
	 * with MFILL_ATOMIC_WP. Return 0, or -EEXIST when a page is already
	 * cached there, -EFAULT beyond end of file, -ENOMEM, ... Required when
	 * @uffd_features has VM_UFFD_MISSING on a file-backed type.
	 */
	int (*uffd_copy)(struct uffdops_vma *dst_vma, unsigned long dst_addr,
			 const void *src, uffd_flags_t flags,
			 struct uffdops_folio **foliop);
};

/* ------------------------------------------------------------------------ */
/* struct vm_uffd_ops_v7_1 - the mainline generation (Linux 7.1, 2026).      */
/* ------------------------------------------------------------------------ */

/**
 * struct vm_uffd_ops_v7_1 - the callback-only ops table merged for Linux 7.1
 * (Mike Rapoport, "mm, kvm: allow uffd support in guest_memfd"), where it is
 * called struct vm_uffd_ops. The core owns page tables, ZEROPAGE, POISON,
 * WRITEPROTECT and MOVE; the type only provides folios.
 */
struct vm_uffd_ops_v7_1 {
	/**
	 * @can_userfault: may @vma be registered for @vm_flags (the requested
	 * modes, masked to __VM_UFFD_FLAGS)? Required; called last by
	 * vma_can_userfault(). Return false to make UFFDIO_REGISTER fail with
	 * -EINVAL. Must not restate generic rules (the WP marker rule is the
	 * core's).
	 */
	bool (*can_userfault)(struct uffdops_vma *vma, unsigned long vm_flags);
	/**
	 * @get_folio_noalloc: return the folio cached at @pgoff of @inode,
	 * locked and with a reference held, or NULL when none is cached. Must
	 * never allocate. Serves UFFDIO_CONTINUE (mfill_atomic_pte_continue())
	 * and decides MINOR versus MISSING in the fault path (__do_userfault()).
	 */
	struct uffdops_folio *(*get_folio_noalloc)(struct uffdops_inode *inode,
						   pgoff_t pgoff);
	/**
	 * @alloc_folio: allocate a new, unlocked folio for @addr of @vma, or
	 * return NULL (the ioctl then fails with -ENOMEM; also used for beyond
	 * end of file). Used by UFFDIO_COPY and shared UFFDIO_ZEROPAGE
	 * (mfill_atomic_pte_copy()); called without a NULL check whenever the
	 * ops table is set.
	 */
	struct uffdops_folio *(*alloc_folio)(struct uffdops_vma *vma,
					     unsigned long addr);
	/**
	 * @filemap_add: lock @folio and insert it into the page cache at the
	 * index of @addr in @vma, after the core filled it and before the PTE is
	 * installed. Return 0 or a negative errno (then leave the folio unlocked
	 * and out of the cache). Optional: NULL for anonymous memory.
	 */
	int (*filemap_add)(struct uffdops_folio *folio, struct uffdops_vma *vma,
			   unsigned long addr);
	/**
	 * @filemap_remove: undo @filemap_add when installing the PTE failed:
	 * remove @folio from the cache and unlock it. Optional, but required
	 * with @filemap_add.
	 */
	void (*filemap_remove)(struct uffdops_folio *folio,
			       struct uffdops_vma *vma);
};

/* ------------------------------------------------------------------------ */
/* Memory types and the registry.                                            */
/* ------------------------------------------------------------------------ */

/** UFFDOPS_MEMTYPE_NAME_MAX - longest memory-type name, without the NUL. */
#define UFFDOPS_MEMTYPE_NAME_MAX 63

/**
 * enum uffdops_memtype_flags - how a memory type maps, as the kernel's
 * vma_is_anonymous()/vma_is_shmem()/is_vm_hugetlb_page() would classify it.
 * @UFFDOPS_MEMTYPE_FILE: backed by an inode with a page cache (shmem,
 *	hugetlbfs, a filesystem, a driver). Without it the type is anonymous.
 * @UFFDOPS_MEMTYPE_DROPPABLE: VM_DROPPABLE; never registrable.
 */
enum uffdops_memtype_flags {
	UFFDOPS_MEMTYPE_FILE = 1 << 0,
	UFFDOPS_MEMTYPE_DROPPABLE = 1 << 1,
};

/**
 * struct uffdops_memtype_desc - a memory type: what a driver's
 * vm_operations_struct with its userfaultfd ops table describes.
 * @name: unique name, 1..UFFDOPS_MEMTYPE_NAME_MAX printable characters.
 * @page_size: the size it maps in: 4096, or a huge size (power of two, the
 *	PMD size 2 MiB or the PUD size 1 GiB) mapped at that level like hugetlb.
 * @flags: enum uffdops_memtype_flags.
 * @uffd_ops: the original-proposal ops table, or NULL.
 * @uffd_ops_v7_1: the mainline 7.1 ops table, or NULL. At most one of the
 *	two may be set; with neither, userfaultfd refuses the type (only a
 *	WP_ASYNC WP-only registration is accepted, as for a regular file).
 * @private: the type's own data, never touched by the library.
 */
struct uffdops_memtype_desc {
	const char *name;
	unsigned long page_size;
	unsigned int flags;
	const struct vm_uffd_ops *uffd_ops;
	const struct vm_uffd_ops_v7_1 *uffd_ops_v7_1;
	void *private;
};

/**
 * enum uffdops_ops_generation - which ops table a registered type carries.
 */
enum uffdops_ops_generation {
	UFFDOPS_OPS_NONE,
	UFFDOPS_OPS_PROPOSAL,
	UFFDOPS_OPS_V7_1,
};

/**
 * struct uffdops_memtype_info - a registered type's normalized capabilities.
 * @name: the type's name.
 * @page_size: its page size.
 * @flags: enum uffdops_memtype_flags.
 * @generation: which ops table it was registered with.
 * @builtin: one of the library's own types.
 * @modes: VM_UFFD_* modes it can be registered for, in the best case
 *	(can_userfault() may still refuse a particular VMA).
 * @ioctls: BIT(_UFFDIO_*) of the range ioctls it can serve.
 * @users: VMAs and files currently using it.
 */
struct uffdops_memtype_info {
	char name[UFFDOPS_MEMTYPE_NAME_MAX + 1];
	unsigned long page_size;
	unsigned int flags;
	enum uffdops_ops_generation generation;
	bool builtin;
	unsigned long modes;
	__u64 ioctls;
	unsigned long users;
};

/** UFFDOPS_EXPLAIN_MAX - room for every rule the registry checks. */
#define UFFDOPS_EXPLAIN_MAX 32
/** UFFDOPS_EXPLAIN_LEN - longest explanation sentence, with its NUL. */
#define UFFDOPS_EXPLAIN_LEN 320

/**
 * struct uffdops_violation - one broken rule of the vm_uffd_ops contract.
 * @rule: a stable identifier of the rule, e.g. "minor-needs-get-folio".
 * @field: the descriptor or ops field at fault, e.g. "uffd_get_folio".
 * @kernel_function: the kernel function that relies on the rule.
 * @message: one sentence naming the field, the rule and the function.
 */
struct uffdops_violation {
	const char *rule;
	const char *field;
	const char *kernel_function;
	char message[UFFDOPS_EXPLAIN_LEN];
};

/**
 * struct uffdops_explain - every violation found by a registration.
 * @nr: how many violations were found (also when more than fit).
 * @violations: the first UFFDOPS_EXPLAIN_MAX of them, in check order.
 */
struct uffdops_explain {
	unsigned int nr;
	struct uffdops_violation violations[UFFDOPS_EXPLAIN_MAX];
};

/**
 * uffdops_memtype_register() - check a memory type against the vm_uffd_ops
 * contract and register it.
 * @desc: the type; copied (the ops tables and @desc->private are kept by
 *	reference and must outlive the registration).
 * @explain: NULL, or filled with every violation found.
 *
 * Return: 0; -EINVAL when the contract is broken (every violation in
 * @explain) or the name is taken; -ENOMEM.
 */
int uffdops_memtype_register(const struct uffdops_memtype_desc *desc,
			     struct uffdops_explain *explain);

/**
 * uffdops_memtype_check() - check a memory type without registering it.
 * @desc: the type.
 * @explain: NULL, or filled with every violation found.
 *
 * Return: 0 when registration would succeed, -EINVAL otherwise.
 */
int uffdops_memtype_check(const struct uffdops_memtype_desc *desc,
			  struct uffdops_explain *explain);

/**
 * uffdops_memtype_unregister() - remove a user memory type.
 * @name: its name.
 *
 * Return: 0; -ENOENT if unknown; -EPERM for a built-in type; -EBUSY while a
 * VMA or a file uses it.
 */
int uffdops_memtype_unregister(const char *name);

/**
 * uffdops_memtype_lookup() - find a memory type by name.
 * @name: its name ("anon", "shmem", "hugetlb" are built in).
 * @info: NULL, or filled with its normalized capabilities.
 *
 * Return: 0 or -ENOENT.
 */
int uffdops_memtype_lookup(const char *name, struct uffdops_memtype_info *info);

/**
 * uffdops_memtype_list() - list the registered memory types, built-ins first
 * then in registration order.
 * @out: room for @n entries (may be NULL when @n is 0).
 * @n: entries available.
 *
 * Return: the number of registered types (which may exceed @n).
 */
int uffdops_memtype_list(struct uffdops_memtype_info *out, size_t n);

/**
 * uffdops_memtype_register_ioctls() - what UFFDIO_REGISTER would answer for a
 * range made of one VMA of this memory type.
 * @name: the memory type.
 * @mode: UFFDIO_REGISTER_MODE_* bits requested.
 * @features: the context's UFFD_FEATURE_* bits (WP_ASYNC matters).
 * @ioctls: set to the mask UFFDIO_REGISTER writes back on success.
 *
 * Models userfaultfd_register()'s mode checks, vma_can_userfault() through
 * the type's ops, and the returned ioctl mask.
 *
 * Return: 0; -EINVAL where the kernel refuses the mode for such a VMA;
 * -ENOENT for an unknown type.
 */
int uffdops_memtype_register_ioctls(const char *name, __u64 mode,
				    __u64 features, __u64 *ioctls);

/* ------------------------------------------------------------------------ */
/* The simulated address space (mm/mmap.c, mm/mremap.c, mm/mprotect.c, ...). */
/* ------------------------------------------------------------------------ */

/** UFFDOPS_TASK_SIZE - the x86-64 user address limit (TASK_SIZE_MAX). */
#define UFFDOPS_TASK_SIZE 0x7ffffffff000UL

/**
 * enum uffdops_mm_key - per-mm settings for uffdops_mm_config().
 * @UFFDOPS_MM_CAP_SYS_PTRACE: the task holds CAP_SYS_PTRACE (default 1).
 * @UFFDOPS_MM_UNPRIVILEGED_USERFAULTFD: vm.unprivileged_userfaultfd (0).
 * @UFFDOPS_MM_NO_ZERO_PAGE: anonymous read faults allocate a real zeroed
 *	page instead of mapping the shared zero page, as a kernel booted with
 *	pvm_no_zero_page=1 does (default 0, the standard kernel).
 * @UFFDOPS_MM_MAX_MAP_COUNT: vm.max_map_count, the most VMAs the mm may
 *	have (default 65530, as the kernel's).
 */
enum uffdops_mm_key {
	UFFDOPS_MM_CAP_SYS_PTRACE,
	UFFDOPS_MM_UNPRIVILEGED_USERFAULTFD,
	UFFDOPS_MM_NO_ZERO_PAGE,
	UFFDOPS_MM_MAX_MAP_COUNT,
};

/**
 * uffdops_mm_create() - create an empty address space (mm_alloc()).
 * @mmp: set to the new mm.
 *
 * Return: 0 or -ENOMEM.
 */
int uffdops_mm_create(struct uffdops_mm **mmp);

/**
 * uffdops_mm_destroy() - unmap everything and free @mm (mmput()). NULL is
 * ignored.
 * @mm: the address space.
 */
void uffdops_mm_destroy(struct uffdops_mm *mm);

/**
 * uffdops_mm_config() - change a per-mm setting.
 * @mm: the address space.
 * @key: what to set.
 * @value: its new value.
 *
 * Return: 0, or -EINVAL for an unknown key or value.
 */
int uffdops_mm_config(struct uffdops_mm *mm, enum uffdops_mm_key key,
		      long value);

/**
 * uffdops_mmap() - map memory (do_mmap()). MAP_FIXED over mapped memory
 * unmaps it first, with the UFFD_EVENT_UNMAP events of uffdops_munmap().
 * @mm: the address space.
 * @addr: hint, or the address with MAP_FIXED / MAP_FIXED_NOREPLACE.
 * @len: length in bytes (rounded up to the page size).
 * @prot: PROT_* bits.
 * @flags: MAP_SHARED, MAP_PRIVATE, MAP_ANONYMOUS, MAP_FIXED,
 *	MAP_FIXED_NOREPLACE, MAP_HUGETLB, MAP_NORESERVE, MAP_POPULATE,
 *	MAP_DROPPABLE (0x08).
 * @file: the file to map, or NULL for anonymous memory.
 * @pgoff: offset into @file in pages.
 *
 * Return: the mapped address, or a negative errno as mmap(2) would set.
 */
long uffdops_mmap(struct uffdops_mm *mm, unsigned long addr, size_t len,
		  int prot, int flags, struct uffdops_file *file,
		  pgoff_t pgoff);

/**
 * uffdops_munmap() - unmap a range (do_vmi_munmap()). Each context with
 * UFFD_FEATURE_EVENT_UNMAP owning a VMA of the range gets one
 * UFFD_EVENT_UNMAP of the whole range; the call blocks until each is read.
 * @mm: the address space.
 * @addr: page-aligned start.
 * @len: length (rounded up to the page size).
 *
 * Return: 0 or -EINVAL.
 */
int uffdops_munmap(struct uffdops_mm *mm, unsigned long addr, size_t len);

/**
 * uffdops_mremap() - resize and/or move a mapping (mremap(2)). A moved VMA
 * registered with a context that has UFFD_FEATURE_EVENT_REMAP stays
 * registered and its context gets a UFFD_EVENT_REMAP; without the feature
 * the moved VMA is unregistered. Unmapped ranges give UFFD_EVENT_UNMAP as
 * uffdops_munmap() does. The call blocks until each event is read.
 * @mm: the address space.
 * @old_addr: start of the mapping.
 * @old_len: its length (0 duplicates a shared mapping).
 * @new_len: the new length.
 * @flags: MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP.
 * @new_addr: the destination with MREMAP_FIXED.
 *
 * Return: the new address, or a negative errno as mremap(2) would set.
 */
long uffdops_mremap(struct uffdops_mm *mm, unsigned long old_addr,
		    size_t old_len, size_t new_len, int flags,
		    unsigned long new_addr);

/**
 * uffdops_mprotect() - change protections (do_mprotect_pkey()).
 * @mm: the address space.
 * @addr: page-aligned start.
 * @len: length.
 * @prot: PROT_* bits.
 *
 * Return: 0 or a negative errno as mprotect(2) would set.
 */
int uffdops_mprotect(struct uffdops_mm *mm, unsigned long addr, size_t len,
		     int prot);

/**
 * uffdops_madvise() - give advice about a range (do_madvise()): at least
 * MADV_DONTNEED, MADV_DONTNEED_LOCKED, MADV_FREE, MADV_REMOVE,
 * MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_GUARD_INSTALL/REMOVE. The
 * four that discard give a context with UFFD_FEATURE_EVENT_REMOVE one
 * UFFD_EVENT_REMOVE per registered VMA, clipped to it, and block until it
 * is read.
 * @mm: the address space.
 * @addr: page-aligned start.
 * @len: length.
 * @advice: MADV_*.
 *
 * Return: 0 or a negative errno as madvise(2) would set.
 */
int uffdops_madvise(struct uffdops_mm *mm, unsigned long addr, size_t len,
		    int advice);

/**
 * uffdops_fork() - duplicate an address space as fork() does (dup_mmap()):
 * private pages become copy-on-write, shared ones stay shared. The child's
 * copies of VMAs registered with a context that has UFFD_FEATURE_EVENT_FORK
 * go to a new context for the child, announced by a UFFD_EVENT_FORK
 * message (see uffdops_fork_ctx()); the call blocks until each such message
 * is read or its context released. Other registered VMAs are copied
 * unregistered.
 * @parent: the address space to copy.
 * @childp: set to the child's address space.
 *
 * Return: 0 or -ENOMEM.
 */
int uffdops_fork(struct uffdops_mm *parent, struct uffdops_mm **childp);

/* ------------------------------------------------------------------------ */
/* Files, inodes, page caches and folios (mm/filemap.c, mm/shmem.c).         */
/* ------------------------------------------------------------------------ */

/**
 * uffdops_file_create() - create an inode of a file-backed memory type, like
 * memfd_create() for "shmem", a hugetlbfs file for "hugetlb", a regular file
 * for "file", or a driver's file for a user type; opened read-write.
 * @memtype: the memory type's name.
 * @size: i_size in bytes (a multiple of the type's page size for huge types).
 * @filep: set to the open file.
 *
 * Return: 0; -ENOENT for an unknown type; -EINVAL for an anonymous type or a
 * bad size; -ENOMEM.
 */
int uffdops_file_create(const char *memtype, unsigned long size,
			struct uffdops_file **filep);

/**
 * uffdops_file_open() - open another file on the same inode.
 * @file: an open file.
 * @flags: O_RDONLY, O_WRONLY or O_RDWR; a read-only file maps shared without
 *	VM_MAYWRITE.
 * @newp: set to the new file.
 *
 * Return: 0, -EINVAL for bad flags, -ENOMEM.
 */
int uffdops_file_open(struct uffdops_file *file, int flags,
		      struct uffdops_file **newp);

/**
 * uffdops_file_close() - drop a file; the inode lives while files or
 * mappings use it (fput()).
 * @file: the file.
 */
void uffdops_file_close(struct uffdops_file *file);

/**
 * uffdops_file_truncate() - change i_size (do_truncate()): shrinking drops
 * the cached pages past the end and unmaps them everywhere.
 * @file: a file opened for writing.
 * @size: the new size.
 *
 * Return: 0, -EINVAL (bad size, not a multiple of a huge page size, or a
 * file not open for writing, as do_sys_ftruncate() answers).
 */
int uffdops_file_truncate(struct uffdops_file *file, unsigned long size);

/**
 * uffdops_file_inode() - the inode of an open file (file_inode()).
 * @file: the file.
 */
struct uffdops_inode *uffdops_file_inode(const struct uffdops_file *file);

/**
 * uffdops_inode_size() - i_size of @inode in bytes (i_size_read()).
 * @inode: the inode.
 */
unsigned long uffdops_inode_size(const struct uffdops_inode *inode);

/**
 * uffdops_folio_alloc() - allocate a zeroed, unlocked folio of 2^@order pages
 * with one reference (folio_alloc()).
 * @order: 0 for a base page, 9 for 2 MiB.
 * @foliop: set to the folio.
 *
 * Return: 0, -EINVAL for an order above 18, -ENOMEM.
 */
int uffdops_folio_alloc(unsigned int order, struct uffdops_folio **foliop);

/** uffdops_folio_get() - take a reference on @folio (folio_get()). */
void uffdops_folio_get(struct uffdops_folio *folio);

/** uffdops_folio_put() - drop a reference; the last one frees (folio_put()). */
void uffdops_folio_put(struct uffdops_folio *folio);

/** uffdops_folio_lock() - lock @folio, sleeping while another holds it. */
void uffdops_folio_lock(struct uffdops_folio *folio);

/** uffdops_folio_unlock() - unlock @folio (folio_unlock()). */
void uffdops_folio_unlock(struct uffdops_folio *folio);

/** uffdops_folio_test_locked() - is @folio locked (folio_test_locked())? */
bool uffdops_folio_test_locked(const struct uffdops_folio *folio);

/** uffdops_folio_data() - the folio's bytes (folio_address()). */
void *uffdops_folio_data(struct uffdops_folio *folio);

/** uffdops_folio_order() - log2 of the folio's page count (folio_order()). */
unsigned int uffdops_folio_order(const struct uffdops_folio *folio);

/**
 * uffdops_filemap_get_folio() - look up the folio cached at @index of
 * @inode, locked and with a reference (__filemap_get_folio(FGP_LOCK)).
 * @inode: the inode.
 * @index: page index (a huge type's folio covers 2^order indexes).
 * @foliop: set to the folio.
 *
 * Return: 0 or -ENOENT.
 */
int uffdops_filemap_get_folio(struct uffdops_inode *inode, pgoff_t index,
			      struct uffdops_folio **foliop);

/**
 * uffdops_filemap_add_folio() - insert @folio into @inode's page cache at
 * @index (filemap_add_folio()); the cache takes its own reference.
 * @inode: the inode.
 * @folio: an uncached folio.
 * @index: page index, aligned to the folio's size.
 *
 * Return: 0, -EEXIST when a folio is cached there, -EINVAL when @index is
 * misaligned or @folio already belongs to a cache.
 */
int uffdops_filemap_add_folio(struct uffdops_inode *inode,
			      struct uffdops_folio *folio, pgoff_t index);

/**
 * uffdops_filemap_remove_folio() - remove @folio from its page cache and
 * drop the cache's reference (filemap_remove_folio()).
 * @folio: a cached folio.
 */
void uffdops_filemap_remove_folio(struct uffdops_folio *folio);

/* VMA accessors for memory-type handlers. */
/** uffdops_vma_start() - first address of @vma (vm_start). */
unsigned long uffdops_vma_start(const struct uffdops_vma *vma);
/** uffdops_vma_end() - first address past @vma (vm_end). */
unsigned long uffdops_vma_end(const struct uffdops_vma *vma);
/** uffdops_vma_flags() - VM_* flags of @vma (vm_flags). */
unsigned long uffdops_vma_flags(const struct uffdops_vma *vma);
/** uffdops_vma_pgoff() - file page offset of vm_start (vm_pgoff). */
pgoff_t uffdops_vma_pgoff(const struct uffdops_vma *vma);
/** uffdops_vma_file() - the mapped file, NULL if anonymous (vm_file). */
struct uffdops_file *uffdops_vma_file(const struct uffdops_vma *vma);
/** uffdops_linear_page_index() - file index of @addr in @vma. */
pgoff_t uffdops_linear_page_index(const struct uffdops_vma *vma,
				  unsigned long addr);

/* ------------------------------------------------------------------------ */
/* Access and faults (mm/memory.c).                                          */
/* ------------------------------------------------------------------------ */

#ifndef FAULT_FLAG_WRITE
/** FAULT_FLAG_WRITE - the access is a write (enum fault_flag). */
#define FAULT_FLAG_WRITE (1U << 0)
/** FAULT_FLAG_USER - the access comes from user mode. */
#define FAULT_FLAG_USER (1U << 6)
/** FAULT_FLAG_INSTRUCTION - the access is an instruction fetch. */
#define FAULT_FLAG_INSTRUCTION (1U << 8)
#endif

/* vm_fault_t values (include/linux/mm_types.h). */
#define VM_FAULT_SIGBUS 0x000002U
#define VM_FAULT_HWPOISON 0x000010U
#define VM_FAULT_SIGSEGV 0x000040U

/**
 * uffdops_handle_mm_fault() - take a fault at @addr as a CPU access would
 * (handle_mm_fault() after the VMA lookup and access check of the arch
 * fault handler).
 * @mm: the address space.
 * @addr: the faulting address.
 * @flags: FAULT_FLAG_WRITE, FAULT_FLAG_USER, FAULT_FLAG_INSTRUCTION.
 *
 * A fault that goes to a userfaultfd (handle_userfault()) queues its message
 * and blocks the calling thread, without the mm lock, until a fill, a wake,
 * UNREGISTER or the context's release; the whole fault is then retried, and
 * may queue a new message. The same holds for the accesses below.
 *
 * Return: 0 when the access can now proceed; VM_FAULT_SIGSEGV (no VMA, wrong
 * protection, guard marker) or VM_FAULT_SIGBUS (beyond end of file, poison,
 * a type that refuses the fault, a userfault on a context with
 * UFFD_FEATURE_SIGBUS, or a kernel-mode one on a UFFD_USER_MODE_ONLY one).
 */
int uffdops_handle_mm_fault(struct uffdops_mm *mm, unsigned long addr,
			    unsigned int flags);

/** UFFDOPS_ACCESS_NOFAULT - touch only what is mapped and accessible. */
#define UFFDOPS_ACCESS_NOFAULT (1U << 0)
/**
 * UFFDOPS_ACCESS_FORCE - ignore protections, as /proc/pid/mem (FOLL_FORCE);
 * a kernel-mode access whose userfaults cannot wait (they fail).
 */
#define UFFDOPS_ACCESS_FORCE (1U << 1)
/** UFFDOPS_ACCESS_KERNEL - a kernel-mode access (no FAULT_FLAG_USER). */
#define UFFDOPS_ACCESS_KERNEL (1U << 2)

/**
 * uffdops_read_mem() - copy from the simulated address space, faulting pages
 * in as needed (copy_from_user(), access_remote_vm()).
 * @mm: the address space.
 * @addr: source address.
 * @buf: destination buffer.
 * @len: bytes.
 * @flags: UFFDOPS_ACCESS_*.
 *
 * Return: @len, the bytes copied before the first failing page, or -EFAULT
 * when the first page fails.
 */
ssize_t uffdops_read_mem(struct uffdops_mm *mm, unsigned long addr, void *buf,
			 size_t len, unsigned int flags);

/**
 * uffdops_write_mem() - copy into the simulated address space, faulting
 * pages in as needed; private file pages are copied on write.
 * @mm: the address space.
 * @addr: destination address.
 * @buf: source buffer.
 * @len: bytes.
 * @flags: UFFDOPS_ACCESS_*.
 *
 * Return: as uffdops_read_mem().
 */
ssize_t uffdops_write_mem(struct uffdops_mm *mm, unsigned long addr,
			  const void *buf, size_t len, unsigned int flags);

/* ------------------------------------------------------------------------ */
/* Introspection (/proc/pid/pagemap, /proc/pid/maps).                         */
/* ------------------------------------------------------------------------ */

/* /proc/pid/pagemap bits (fs/proc/task_mmu.c). */
#define UFFDOPS_PM_PFN_MASK ((1ULL << 55) - 1)
#define UFFDOPS_PM_SOFT_DIRTY (1ULL << 55)
#define UFFDOPS_PM_MMAP_EXCLUSIVE (1ULL << 56)
#define UFFDOPS_PM_UFFD_WP (1ULL << 57)
#define UFFDOPS_PM_GUARD_REGION (1ULL << 58)
#define UFFDOPS_PM_FILE (1ULL << 61)
#define UFFDOPS_PM_SWAP (1ULL << 62)
#define UFFDOPS_PM_PRESENT (1ULL << 63)

/**
 * struct uffdops_pagemap_entry - what /proc/pid/pagemap says of one page.
 * @bits: the 64-bit pagemap word; the PFN field holds a simulated frame
 *	number unique per page (0 for the zero page).
 * @zero_page: the PTE maps the shared zero page.
 * @marker: 0, or which PTE marker is installed: UFFDOPS_MARKER_*.
 */
struct uffdops_pagemap_entry {
	__u64 bits;
	bool zero_page;
	unsigned int marker;
};

#define UFFDOPS_MARKER_UFFD_WP (1U << 0)
#define UFFDOPS_MARKER_POISON (1U << 1)
#define UFFDOPS_MARKER_GUARD (1U << 2)

/**
 * uffdops_pagemap() - the pagemap entry of the page at @addr (pagemap_read()).
 * @mm: the address space.
 * @addr: any address in the page.
 * @entry: filled; all zero for an unmapped or unpopulated page.
 *
 * Return: 0.
 */
int uffdops_pagemap(struct uffdops_mm *mm, unsigned long addr,
		    struct uffdops_pagemap_entry *entry);

/**
 * struct uffdops_map - one VMA as /proc/pid/maps and smaps list it.
 * @start: vm_start.
 * @end: vm_end.
 * @vm_flags: VM_* flags, VM_UFFD_* included.
 * @pgoff: vm_pgoff (in pages).
 * @memtype: the memory type's name.
 * @inode: the mapped inode, NULL for anonymous memory.
 * @uffd_ctx: the userfaultfd context it is registered with, or NULL.
 */
struct uffdops_map {
	unsigned long start;
	unsigned long end;
	unsigned long vm_flags;
	pgoff_t pgoff;
	char memtype[UFFDOPS_MEMTYPE_NAME_MAX + 1];
	const struct uffdops_inode *inode;
	const void *uffd_ctx;
};

/**
 * uffdops_maps() - list the VMAs in address order (show_map_vma()).
 * @mm: the address space.
 * @out: room for @n entries (NULL when @n is 0).
 * @n: entries available.
 *
 * Return: the number of VMAs (which may exceed @n).
 */
int uffdops_maps(struct uffdops_mm *mm, struct uffdops_map *out, size_t n);

/**
 * uffdops_maps_format() - write the VMAs as /proc/pid/maps lines
 * ("start-end rwxp offset 00:00 inode  [name]") into @buf.
 * @mm: the address space.
 * @buf: destination.
 * @size: its size; the text is NUL-terminated and truncated to fit.
 *
 * Return: the length the whole text needs, without the NUL (snprintf()).
 */
int uffdops_maps_format(struct uffdops_mm *mm, char *buf, size_t size);

/* ------------------------------------------------------------------------ */
/* The userfaultfd context and its ioctls (fs/userfaultfd.c).                */
/* ------------------------------------------------------------------------ */

/** struct uffdops_ctx - a userfaultfd context (struct userfaultfd_ctx). */
struct uffdops_ctx;

/**
 * uffdops_userfaultfd() - create a userfaultfd context on @mm, as the
 * userfaultfd(2) system call does (permission check, then flag check).
 * @mm: the creating task's address space; the context holds it.
 * @flags: O_CLOEXEC, O_NONBLOCK, UFFD_USER_MODE_ONLY.
 * @ctxp: set to the new context.
 *
 * Return: 0; -EPERM without UFFD_USER_MODE_ONLY when the mm's task lacks
 * CAP_SYS_PTRACE and vm.unprivileged_userfaultfd is 0; -EINVAL for unknown
 * flags; -ENOMEM.
 */
int uffdops_userfaultfd(struct uffdops_mm *mm, int flags,
			struct uffdops_ctx **ctxp);

/**
 * uffdops_dev_userfaultfd_ioctl() - an ioctl on /dev/userfaultfd
 * (userfaultfd_dev_ioctl()): USERFAULTFD_IOC_NEW creates a context with
 * @flags and no capability check.
 * @mm: the calling task's address space.
 * @cmd: USERFAULTFD_IOC_NEW.
 * @flags: as uffdops_userfaultfd().
 * @ctxp: set to the new context.
 *
 * Return: 0; -EINVAL for another @cmd or unknown flags; -ENOMEM.
 */
int uffdops_dev_userfaultfd_ioctl(struct uffdops_mm *mm, unsigned long cmd,
				  unsigned long flags,
				  struct uffdops_ctx **ctxp);

/**
 * uffdops_ioctl() - an ioctl on the context (userfaultfd_ioctl()): the ten
 * UFFDIO_* commands with the kernel's checks, order, errno and write-back,
 * and the generic FIONBIO/FIOCLEX/FIONCLEX/FIOASYNC/FIGETBSZ/FIOQSIZE.
 * @ctx: the context.
 * @cmd: the command.
 * @arg: the kernel structure of @cmd (struct uffdio_api, uffdio_register,
 *	...), read and written back as the kernel does; for FIONBIO/FIOASYNC a
 *	pointer to an int, for FIGETBSZ a pointer to an int written back.
 *
 * Return: 0 or a negative errno.
 */
int uffdops_ioctl(struct uffdops_ctx *ctx, unsigned long cmd, void *arg);

/**
 * uffdops_ioctl_uaddr() - uffdops_ioctl() with the argument in the context's
 * simulated address space at @uaddr: copied in and out with the kernel's
 * copy_from_user()/copy_to_user() semantics, so an unreadable argument, or a
 * read-only one whose write-back fails after the effect, gives -EFAULT.
 * @ctx: the context.
 * @cmd: the command.
 * @uaddr: address of the argument in the context's mm.
 *
 * Return: 0 or a negative errno.
 */
int uffdops_ioctl_uaddr(struct uffdops_ctx *ctx, unsigned long cmd,
			unsigned long uaddr);

/**
 * uffdops_read() - read messages (userfaultfd_read_iter()): whole struct
 * uffd_msg records, blocking for the first unless the context is
 * O_NONBLOCK.
 * @ctx: the context.
 * @buf: destination.
 * @count: its size in bytes.
 *
 * Return: bytes read (a multiple of 32); -EINVAL before UFFDIO_API or when
 * @count is under 32; -EAGAIN when non-blocking and nothing is queued.
 */
ssize_t uffdops_read(struct uffdops_ctx *ctx, void *buf, size_t count);

/**
 * uffdops_fork_ctx() - take the child's context a UFFD_EVENT_FORK message
 * announces. The kernel installs the child's new userfaultfd in the
 * reader's file table and puts its descriptor in msg.arg.fork.ufd; the
 * model, which has no descriptors, installs the child's context in a
 * per-process table of numbered contexts when uffdops_read() returns the
 * message (lowest free number, as for a descriptor; uffdops_read() fails
 * with -EMFILE and leaves the event queued when all 1024 are in use) and
 * writes that number into msg.arg.fork.ufd. This call hands the context
 * out and frees its number.
 *
 * The context is INITIALIZED with the parent context's features and
 * creation flags, owns the child's copies of the parent's registered VMAs
 * and receives the child's faults; the caller owns it and drops it with
 * uffdops_close(). A context nobody took is closed when @ctx is (the
 * model's stand-in for the process exit that would close the descriptor).
 * @ctx: the context the message was read from.
 * @msg: the FORK message as uffdops_read() returned it.
 * @newp: set to the child's context.
 *
 * Return: 0; -EINVAL for a NULL argument or a message that is not a FORK
 * event; -EBADF when no context with that number was installed by a read
 * on @ctx (never, or already taken).
 */
int uffdops_fork_ctx(struct uffdops_ctx *ctx, const struct uffd_msg *msg,
		     struct uffdops_ctx **newp);

/**
 * uffdops_poll() - wait for the context to become readable
 * (userfaultfd_poll()).
 * @ctx: the context.
 * @timeout_ms: as poll(2): -1 forever, 0 to check.
 *
 * Return: a poll(2) event mask: POLLIN while a message is queued, POLLERR
 * before UFFDIO_API or without O_NONBLOCK, 0 on timeout.
 */
int uffdops_poll(struct uffdops_ctx *ctx, int timeout_ms);

/**
 * uffdops_eventfd() - a real eventfd that is readable exactly while a
 * message is queued, for epoll loops beside real file descriptors.
 * @ctx: the context. The descriptor stays owned by the context.
 *
 * Return: the descriptor, or a negative errno.
 */
int uffdops_eventfd(struct uffdops_ctx *ctx);

/**
 * uffdops_fcntl_setfl() - change the O_NONBLOCK status flag, as
 * fcntl(F_SETFL) does on a userfaultfd.
 * @ctx: the context.
 * @flags: O_NONBLOCK or 0 (other bits ignored as fcntl ignores them).
 *
 * Return: 0.
 */
int uffdops_fcntl_setfl(struct uffdops_ctx *ctx, int flags);

/**
 * uffdops_close() - drop the context (userfaultfd_release()): its VMAs are
 * unregistered and every waiting fault is woken. NULL is ignored.
 * @ctx: the context.
 *
 * Return: 0.
 */
int uffdops_close(struct uffdops_ctx *ctx);

/**
 * uffdops_fdinfo() - what /proc/self/fdinfo shows for the context
 * (userfaultfd_show_fdinfo()): "pending:", "total:" and "API:" lines.
 * @ctx: the context.
 * @buf: destination.
 * @size: its size; the text is NUL-terminated and truncated to fit.
 *
 * Return: the length the whole text needs, without the NUL.
 */
int uffdops_fdinfo(struct uffdops_ctx *ctx, char *buf, size_t size);

/**
 * struct uffdops_waiter - a thread blocked on a context now.
 * @tid: its thread id (gettid()).
 * @event: false for a fault waiting to be resolved, true for a
 *	non-cooperative event waiting to be read.
 * @read: the message was read already (a fault read but not yet woken).
 * @msg: the message read() returns (or returned) for it: the fault's
 *	reason is in msg.arg.pagefault.flags (UFFD_PAGEFAULT_FLAG_WP, _MINOR,
 *	neither for MISSING), the address in msg.arg.pagefault.address.
 */
struct uffdops_waiter {
	pid_t tid;
	bool event;
	bool read;
	struct uffd_msg msg;
};

/**
 * uffdops_waiters() - the threads blocked on @ctx, as /proc/pid/wchan and
 * fdinfo would let a debugger find them: unread faults oldest first, then
 * read faults, then events. A thread is listed from the moment its
 * message is queued, so a test can poll until the thread it expects shows up.
 * @ctx: the context.
 * @out: room for @n entries (NULL when @n is 0).
 * @n: entries available.
 *
 * Return: the number of waiting threads (which may exceed @n).
 */
int uffdops_waiters(struct uffdops_ctx *ctx, struct uffdops_waiter *out,
		    size_t n);

/* ------------------------------------------------------------------------ */
/* The decision trace.                                                       */
/* ------------------------------------------------------------------------ */

/**
 * struct uffdops_trace_event - one check the model made.
 * @op: the operation, e.g. "UFFDIO_REGISTER".
 * @check: what was checked, e.g. "mode has unknown bits".
 * @kernel_function: the kernel function whose check this models.
 * @result: 0 when the check passed, else the errno it produced (negative).
 * @addr: the address the check concerned (a VMA start), or 0.
 */
struct uffdops_trace_event {
	const char *op;
	const char *check;
	const char *kernel_function;
	int result;
	unsigned long addr;
};

/** uffdops_trace_fn - receives each trace event, on the deciding thread. */
typedef void (*uffdops_trace_fn)(const struct uffdops_trace_event *ev,
				 void *data);

/**
 * uffdops_trace_set() - install (or with @fn NULL remove) the decision-trace
 * callback of @mm; every context on @mm reports through it.
 * @mm: the address space.
 * @fn: the callback.
 * @data: handed to @fn.
 *
 * Return: 0, or -EINVAL when @mm is NULL.
 */
int uffdops_trace_set(struct uffdops_mm *mm, uffdops_trace_fn fn, void *data);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* UFFDOPS_UFFDOPS_H */
