/* SPDX-License-Identifier: MIT */
/*
 * move.h - UFFDIO_MOVE (fs/userfaultfd.c userfaultfd_move(),
 * mm/userfaultfd.c move_pages()). Spec: ioctls.md §2.10.
 */
#ifndef UFFDOPS_MOVE_H
#define UFFDOPS_MOVE_H

#include "uffd.h"

/** userfaultfd_move() - UFFDIO_MOVE (spec §2.10, V1-V7, X1-X13, Y1-Y9). */
int userfaultfd_move(struct uffdops_ctx *ctx, const struct uffd_ioctl *io);

/**
 * uffd_set_current_mm() - make the calling thread issue its ioctls as a
 * task of @mm (current->mm), or with NULL as a task of the context's own
 * mm, the default. Only UFFDIO_MOVE looks at it (V3: another mm, e.g. a
 * forked child holding the inherited descriptor, gets -EINVAL); every
 * other ioctl acts on ctx->mm whoever calls.
 * @mm: the caller's address space, or NULL.
 *
 * Return: the previous setting.
 */
struct uffdops_mm *uffd_set_current_mm(struct uffdops_mm *mm);

#endif /* UFFDOPS_MOVE_H */
