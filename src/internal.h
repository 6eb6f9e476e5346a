/* SPDX-License-Identifier: MIT */
/*
 * internal.h - definitions shared by every part of libuffdops: page geometry,
 * small helpers. Each part's own interface lives in the header beside it
 * (registry.h, mm.h, pgtable.h, folio.h, ...).
 */
#ifndef UFFDOPS_INTERNAL_H
#define UFFDOPS_INTERNAL_H

#include <uffdops/uffdops.h>

/* x86-64 geometry (arch/x86/include/asm/pgtable_64_types.h). */
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PMD_SHIFT 21
#define PMD_SIZE (1UL << PMD_SHIFT)
#define PUD_SHIFT 30
#define PUD_SIZE (1UL << PUD_SHIFT)
#define PGDIR_SHIFT 39

#define BIT_ULL(nr) (1ULL << (nr))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)
#define ALIGN(x, a) (((x) + ((__typeof__(x))(a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))

#endif /* UFFDOPS_INTERNAL_H */
