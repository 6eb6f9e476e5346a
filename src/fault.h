/* SPDX-License-Identifier: MIT */
/*
 * fault.h - the page-fault path (mm/memory.c handle_mm_fault(), mm/hugetlb.c
 * hugetlb_fault()) and CPU-like access to the simulated memory.
 */
#ifndef UFFDOPS_FAULT_H
#define UFFDOPS_FAULT_H

#include "mm.h"

/* vm_fault_t values beyond the public ones (include/linux/mm_types.h). */
#define VM_FAULT_OOM 0x000001U
#define VM_FAULT_HWPOISON_LARGE 0x000020U
#define VM_FAULT_RETRY 0x000400U
#define VM_FAULT_ERROR                                       \
	(VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | \
	 VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE)

typedef unsigned int vm_fault_t;

/*
 * enum fault_flag bits used inside the library beside the public ones
 * (include/linux/mm_types.h): the fault may drop the mmap lock and be
 * retried. The arch fault handler and GUP with FOLL_UNLOCKABLE set it;
 * access_remote_vm() (/proc/pid/mem) does not, so a userfault there is
 * SIGBUS (handle_userfault()).
 */
#define FAULT_FLAG_ALLOW_RETRY (1U << 2)

/**
 * handle_mm_fault() - resolve a fault at @addr in @vma (handle_mm_fault()),
 * with mm->mmap_lock held for reading and the access already checked
 * against the VMA. @flags: FAULT_FLAG_WRITE, FAULT_FLAG_USER,
 * FAULT_FLAG_ALLOW_RETRY. A return of 0 means the entry changed: the caller
 * re-reads it and retries the access, as the CPU would. VM_FAULT_RETRY
 * means the fault went to userfaultfd and the lock was dropped and taken
 * again (handle_userfault()): @vma may be gone, so the caller looks the
 * address up again and retries the whole fault.
 */
vm_fault_t handle_mm_fault(struct uffdops_vma *vma, unsigned long addr,
			   unsigned int flags);

/**
 * populate_range() - fault in [@start, @end) as GUP does for
 * MADV_POPULATE_READ/WRITE (faultin_page_range()) or, with @ignore_errors,
 * for MAP_POPULATE and mlock (__mm_populate()). Holds the mmap lock for
 * reading. Return: 0, -ENOMEM (hole), -EINVAL (protection), -EFAULT
 * (SIGBUS/SIGSEGV), -EHWPOISON (poison).
 */
int populate_range(struct uffdops_mm *mm, unsigned long start,
		   unsigned long end, bool write, bool ignore_errors);

/**
 * copy_from_user_nofault() - copy_from_user() inside pagefault_disable():
 * read only what is mapped now, never fault. The caller holds @mm's mmap
 * lock for reading.
 *
 * Return: the bytes copied before the first page that is not mapped.
 */
size_t copy_from_user_nofault(struct uffdops_mm *mm, unsigned long addr,
			      void *buf, size_t len);

#endif /* UFFDOPS_FAULT_H */
