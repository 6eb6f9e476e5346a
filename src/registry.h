/* SPDX-License-Identifier: MIT */
/*
 * registry.h - registered memory types and their normalized capabilities.
 *
 * Both generations of ops table are folded into one struct uffd_caps so that
 * the dispatcher has a single code path.
 */
#ifndef UFFDOPS_REGISTRY_H
#define UFFDOPS_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/queue.h>

#include "internal.h"

/**
 * struct uffd_caps - what the kernel's hard-coded tests and the type's ops
 * table together say of a memory type.
 * @generation: which ops table the type carries.
 * @anonymous: vma_is_anonymous(): no file behind it (MOVE, anon fill paths).
 * @hugetlb: is_vm_hugetlb_page(): maps in huge pages at PMD/PUD level.
 * @droppable: VM_DROPPABLE, never registrable.
 * @modes: VM_UFFD_* modes vma_can_userfault() may accept.
 * @ioctls: BIT(_UFFDIO_*) of the range ioctls vma_uffd_ops_supported()
 *	lets through.
 */
struct uffd_caps {
	enum uffdops_ops_generation generation;
	bool anonymous;
	bool hugetlb;
	bool droppable;
	unsigned long modes;
	__u64 ioctls;
};

/**
 * struct memtype - a registered memory type.
 * @link: position in the registry's list.
 * @desc: the descriptor, copied; @desc.name points at @name.
 * @name: the name.
 * @builtin: one of the library's own types (never unregistered).
 * @caps: normalized capabilities.
 * @users: VMAs and inodes using the type.
 */
struct memtype {
	TAILQ_ENTRY(memtype) link;
	struct uffdops_memtype_desc desc;
	char name[UFFDOPS_MEMTYPE_NAME_MAX + 1];
	bool builtin;
	struct uffd_caps caps;
	atomic_ulong users;
};

/**
 * memtype_get() - look a type up by name and take a user reference, so that
 * it cannot be unregistered while a VMA or an inode uses it.
 * @name: the type's name.
 *
 * Return: the type, or NULL if none has that name.
 */
struct memtype *memtype_get(const char *name);

/** memtype_dup() - take another user reference on @mt (a VMA split, fork). */
void memtype_dup(struct memtype *mt);

/** memtype_put() - drop a user reference taken by memtype_get()/memtype_dup(). */
void memtype_put(struct memtype *mt);

/**
 * memtype_can_userfault() - vma_can_userfault() for a VMA of type @mt.
 * @mt: the VMA's memory type.
 * @vma: the VMA (handed to a 7.1 can_userfault() hook; may be a stand-in).
 * @vm_flags: VMA flags of the VMA (VM_SHARED, VM_DROPPABLE are looked at).
 * @modes: requested VM_UFFD_* modes.
 * @wp_async: the context has UFFD_FEATURE_WP_ASYNC.
 *
 * Return: true when the modes may be registered on such a VMA.
 */
bool memtype_can_userfault(const struct memtype *mt, struct uffdops_vma *vma,
			   unsigned long vm_flags, unsigned long modes,
			   bool wp_async);

/**
 * uffd_register_ioctls() - the ioctl mask UFFDIO_REGISTER writes back
 * (userfaultfd_register()).
 * @any_hugetlb: some VMA of the range is hugetlb.
 * @vm_flags: the requested modes as VM_UFFD_* flags.
 */
__u64 uffd_register_ioctls(bool any_hugetlb, unsigned long vm_flags);

/**
 * uffd_register_mode_check() - userfaultfd_register()'s checks of the mode.
 * @mode: UFFDIO_REGISTER_MODE_* bits.
 *
 * Return: 0, or -EINVAL for an empty mode or unknown bits.
 */
int uffd_register_mode_check(__u64 mode);

/** uffd_mode_to_vm_flags() - UFFDIO_REGISTER_MODE_* bits as VM_UFFD_* flags. */
unsigned long uffd_mode_to_vm_flags(__u64 mode);

/* Built-in memory types (src/backends/). */
extern const struct uffdops_memtype_desc anon_memtype;
extern const struct uffdops_memtype_desc shmem_memtype;
extern const struct uffdops_memtype_desc hugetlb_memtype;
extern const struct uffdops_memtype_desc file_memtype;

#endif /* UFFDOPS_REGISTRY_H */
