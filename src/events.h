/* SPDX-License-Identifier: MIT */
/*
 * events.h - the non-cooperative userfaultfd events (fs/userfaultfd.c,
 * Linux 6.18): what the mm operations of mm.c call where the kernel's do.
 * Spec: ioctls.md §3.6.
 *
 * Every event follows one pattern: a "prep" step, taken with the mmap lock
 * held, raises ctx->mmap_changing (so that the fill, MOVE and WRITEPROTECT
 * ioctls fail with -EAGAIN) and takes a context reference; a "complete" step,
 * taken after the operation dropped the mmap lock, queues the message and
 * blocks the calling thread until read() returned it or the context is
 * released, then drops mmap_changing and the reference. A context without
 * the event's feature bit gets no event and the caller never blocks.
 *
 * mmap_changing is raised with the mmap lock held for writing, which the
 * fill, MOVE and WRITEPROTECT paths hold for reading across their
 * mmap_changing check and their work: the mmap lock serializes them as the
 * kernel's ctx->map_changing_lock does.
 */
#ifndef UFFDOPS_EVENTS_H
#define UFFDOPS_EVENTS_H

#include <stdbool.h>
#include <sys/queue.h>

#include "mm.h"

struct uffdops_ctx;
struct uffd_msg;

/**
 * struct vm_userfaultfd_ctx - the context a moving mremap() reports its
 * REMAP event to (NULL: none).
 */
struct vm_userfaultfd_ctx {
	struct userfaultfd_ctx *ctx;
};

struct userfaultfd_fork_ctx;
struct userfaultfd_unmap_ctx;

/** The FORK events one fork() owes (the kernel's list_head fcs). */
TAILQ_HEAD(userfaultfd_fork_list, userfaultfd_fork_ctx);
/** The UNMAP events one operation owes (the kernel's list_head uf). */
TAILQ_HEAD(userfaultfd_unmap_list, userfaultfd_unmap_ctx);

/* ---- FORK -------------------------------------------------------------- */

/**
 * dup_userfaultfd() - decide the registration of @vma, the child's copy of
 * a parent VMA, during fork (dup_userfaultfd()). Without a context nothing
 * changes; a context without UFFD_FEATURE_EVENT_FORK is dropped from the
 * child VMA with its VM_UFFD_* flags; otherwise the VMA moves to the
 * child's context for that parent context, created on first use (same
 * creation flags and features, INITIALIZED) and remembered in @fcs, and
 * the parent context's mmap_changing is raised. Both mms are write-locked.
 *
 * Return: 0 or -ENOMEM.
 */
int dup_userfaultfd(struct uffdops_vma *vma, struct userfaultfd_fork_list *fcs);

/**
 * dup_userfaultfd_complete() - after fork dropped its locks, deliver one
 * FORK event per entry of @fcs, in order, each blocking until read
 * (dup_userfaultfd_complete()). An event abandoned by the release of its
 * context tears the child's context down (its VMAs are unregistered).
 */
void dup_userfaultfd_complete(struct userfaultfd_fork_list *fcs);

/**
 * dup_userfaultfd_fail() - fork failed: drop what dup_userfaultfd() took,
 * with no event (dup_userfaultfd_fail()). Call it after the child's mm is
 * torn down.
 */
void dup_userfaultfd_fail(struct userfaultfd_fork_list *fcs);

/**
 * resolve_userfault_fork() - read() is returning the FORK event @msg of
 * @ctx: install the child's context in the table of numbered contexts and
 * write its number into msg->arg.fork.ufd (resolve_userfault_fork()).
 * Called with @ctx->wqh_lock held.
 *
 * Return: 0, or -EMFILE when the table is full (the event stays queued).
 */
int resolve_userfault_fork(struct uffdops_ctx *ctx, struct uffd_msg *msg);

/**
 * userfaultfd_fork_ctxs_release() - @ctx is being released: close the child
 * contexts its FORK events installed that nobody took with
 * uffdops_fork_ctx() (the model has no file table to keep them in).
 */
void userfaultfd_fork_ctxs_release(struct uffdops_ctx *ctx);

/* ---- REMAP ------------------------------------------------------------- */

/**
 * vma_has_uffd_without_event_remap() - @vma is registered with a context
 * lacking UFFD_FEATURE_EVENT_REMAP: moving its page tables drops the
 * uffd-wp state (move_ptes()).
 */
bool vma_has_uffd_without_event_remap(const struct uffdops_vma *vma);

/**
 * mremap_userfaultfd_prep() - @vma is the new VMA of a successful move
 * (mremap_userfaultfd_prep()): with EVENT_REMAP its context is kept and
 * recorded in @vm_ctx (mmap_changing raised); otherwise the VMA loses its
 * registration. The mmap lock is held for writing.
 */
void mremap_userfaultfd_prep(struct uffdops_vma *vma,
			     struct vm_userfaultfd_ctx *vm_ctx);

/**
 * mremap_userfaultfd_complete() - deliver the REMAP event recorded in
 * @vm_ctx, if any, and block until it is read
 * (mremap_userfaultfd_complete()).
 * @from: the old address.
 * @to: the new address.
 * @len: the length moved.
 */
void mremap_userfaultfd_complete(struct vm_userfaultfd_ctx *vm_ctx,
				 unsigned long from, unsigned long to,
				 unsigned long len);

/** mremap_userfaultfd_fail() - the mremap failed: no REMAP event. */
void mremap_userfaultfd_fail(struct vm_userfaultfd_ctx *vm_ctx);

/* ---- REMOVE ------------------------------------------------------------ */

/**
 * userfaultfd_remove() - madvise() is about to discard [@start, @end) of
 * @vma (userfaultfd_remove()); the mmap lock is held for reading.
 *
 * Return: true when there is no event (no context, or no EVENT_REMOVE):
 * the lock is still held. false after a REMOVE event was delivered and
 * read (or abandoned): the mmap lock was dropped and is not held; @vma may
 * be gone.
 */
bool userfaultfd_remove(struct uffdops_vma *vma, unsigned long start,
			unsigned long end);

/* ---- UNMAP ------------------------------------------------------------- */

/**
 * userfaultfd_unmap_prep() - @vma is about to be unmapped by an operation
 * on [@start, @end) (userfaultfd_unmap_prep()): queue an UNMAP of the whole
 * range in @uf for its context if that context has EVENT_UNMAP and has none
 * for the same range yet. The mmap lock is held for writing. @uf may be
 * NULL (the caller reports no events).
 *
 * Return: 0 or -ENOMEM.
 */
int userfaultfd_unmap_prep(struct uffdops_vma *vma, unsigned long start,
			   unsigned long end,
			   struct userfaultfd_unmap_list *uf);

/**
 * userfaultfd_unmap_complete() - deliver the UNMAP events of @uf in order,
 * each blocking until read, and empty the list
 * (userfaultfd_unmap_complete()). No mmap lock may be held.
 */
void userfaultfd_unmap_complete(struct userfaultfd_unmap_list *uf);

#endif /* UFFDOPS_EVENTS_H */
