/* SPDX-License-Identifier: MIT */
/*
 * uffdops/uapi.h - the kernel's userfaultfd ABI as Linux 6.18 defines it.
 *
 * The structures and constants come from the system's <linux/userfaultfd.h>.
 * Older system headers (Debian 12 ships Linux 6.1's) lack what later kernels
 * added; this file supplies exactly those pieces with the kernel's values,
 * each guarded so that a newer system header wins.
 *
 * The composite masks (UFFD_API_FEATURES, UFFD_API_RANGE_IOCTLS, ...) exist
 * in old headers with old values, so the 6.18 values are offered under
 * UFFDOPS_* names instead of redefining the system's macros.
 */
#ifndef UFFDOPS_UAPI_H
#define UFFDOPS_UAPI_H

#include <linux/types.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>

/* Linux 6.3: write-protect unpopulated anonymous PTEs with markers. */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
/* Linux 6.6: UFFDIO_POISON. */
#ifndef UFFD_FEATURE_POISON
#define UFFD_FEATURE_POISON (1 << 14)
#endif
/* Linux 6.7: asynchronous write-protect faults resolved in the kernel. */
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
/* Linux 6.8: UFFDIO_MOVE. */
#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE (1 << 16)
#endif

#ifndef _UFFDIO_MOVE
#define _UFFDIO_MOVE (0x05)
#endif
#ifndef _UFFDIO_POISON
#define _UFFDIO_POISON (0x08)
#endif

/* Linux 6.3: map a CONTINUE'd page write-protected. */
#ifndef UFFDIO_CONTINUE_MODE_WP
#define UFFDIO_CONTINUE_MODE_WP ((__u64)1 << 1)
#endif

#ifndef UFFDIO_POISON
struct uffdio_poison {
	struct uffdio_range range;
#define UFFDIO_POISON_MODE_DONTWAKE ((__u64)1 << 0)
	__u64 mode;
	/* Bytes poisoned, or a negative errno; written back by the kernel. */
	__s64 updated;
};
#define UFFDIO_POISON _IOWR(UFFDIO, _UFFDIO_POISON, struct uffdio_poison)
#endif

#ifndef UFFDIO_MOVE
struct uffdio_move {
	__u64 dst;
	__u64 src;
	__u64 len;
#define UFFDIO_MOVE_MODE_DONTWAKE ((__u64)1 << 0)
#define UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES ((__u64)1 << 1)
	__u64 mode;
	/* Bytes moved, or a negative errno; written back by the kernel. */
	__s64 move;
};
#define UFFDIO_MOVE _IOWR(UFFDIO, _UFFDIO_MOVE, struct uffdio_move)
#endif

/* The feature bits a 6.18 kernel with every config option offers (0x1ffff). */
#define UFFDOPS_API_FEATURES_6_18 ((__u64)0x1ffff)
/* UFFDIO_API's ioctls answer: API, REGISTER, UNREGISTER. */
#define UFFDOPS_API_IOCTLS                                               \
	((__u64)1 << _UFFDIO_REGISTER | (__u64)1 << _UFFDIO_UNREGISTER | \
	 (__u64)1 << _UFFDIO_API)
/* UFFD_API_RANGE_IOCTLS as of 6.18: WAKE COPY ZEROPAGE MOVE WP CONTINUE POISON. */
#define UFFDOPS_API_RANGE_IOCTLS                                           \
	((__u64)1 << _UFFDIO_WAKE | (__u64)1 << _UFFDIO_COPY |             \
	 (__u64)1 << _UFFDIO_ZEROPAGE | (__u64)1 << _UFFDIO_MOVE |         \
	 (__u64)1 << _UFFDIO_WRITEPROTECT | (__u64)1 << _UFFDIO_CONTINUE | \
	 (__u64)1 << _UFFDIO_POISON)
/* UFFD_API_RANGE_IOCTLS_BASIC as of 6.18 (hugetlb): no ZEROPAGE, no MOVE. */
#define UFFDOPS_API_RANGE_IOCTLS_BASIC                                     \
	((__u64)1 << _UFFDIO_WAKE | (__u64)1 << _UFFDIO_COPY |             \
	 (__u64)1 << _UFFDIO_WRITEPROTECT | (__u64)1 << _UFFDIO_CONTINUE | \
	 (__u64)1 << _UFFDIO_POISON)

#endif /* UFFDOPS_UAPI_H */
