/* SPDX-License-Identifier: MIT */
/*
 * uffd.h - the userfaultfd context (struct userfaultfd_ctx of
 * fs/userfaultfd.c) and the internal interface between its parts:
 * uffd.c (creation, queues, read/poll, release, handle_userfault()),
 * dispatch.c (the ioctl entry, argument copies, range validation,
 * UFFDIO_API, UFFDIO_WAKE) and register.c (UFFDIO_REGISTER,
 * UFFDIO_UNREGISTER, releasing a context's VMAs).
 *
 * Locking: ctx->wqh_lock guards the three queues (the kernel's
 * fault_pending_wqh.lock, event_wqh.lock and fd_wqh.lock in one) and the
 * eventfd. It nests inside mm->mmap_lock (a fault queues its message with
 * the mmap lock held for reading, UNREGISTER wakes with it held for
 * writing) and is never held while taking the mmap lock.
 */
#ifndef UFFDOPS_UFFD_H
#define UFFDOPS_UFFD_H

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/queue.h>

#include "fault.h"
#include "mm.h"

/* fs/userfaultfd.c: set in ctx->features by a successful UFFDIO_API. */
#define UFFD_FEATURE_INITIALIZED (1U << 31)
/* include/linux/userfaultfd_k.h: the creation flags shared with fcntl. */
#define UFFD_SHARED_FCNTL_FLAGS (O_CLOEXEC | O_NONBLOCK)

/**
 * struct userfaultfd_wait_queue - a thread waiting on a context: a faulting
 * thread (fault queues) or an event producer (event queue). It lives on the
 * waiting thread's stack.
 * @link: position in @queue.
 * @queue: the queue holding it, NULL once it was woken (faults) or read
 *	(events).
 * @msg: what read() returns for it.
 * @tid: the waiting thread (uffdops_waiters()).
 * @wait: signalled when @waken is set.
 * @waken: set by a wake covering @msg's address or by release (faults),
 *	by read() or release (events).
 */
struct userfaultfd_wait_queue {
	TAILQ_ENTRY(userfaultfd_wait_queue) link;
	struct uffd_wq *queue;
	struct uffd_msg msg;
	pid_t tid;
	pthread_cond_t wait;
	bool waken;
};
TAILQ_HEAD(uffd_wq, userfaultfd_wait_queue);

/**
 * struct uffdops_ctx - a userfaultfd context (struct userfaultfd_ctx).
 * @refcount: the open file and every thread sleeping in handle_userfault()
 *	or in an event hold one; the last put frees the context.
 * @f_count: references to the "file": the caller's descriptor plus one per
 *	call in progress (fdget()); dropping the last releases the context,
 *	so a close() racing with a blocked read() releases when it returns.
 * @mm: the creator's address space (ctx->mm), fixed for life.
 * @flags: creation flags (O_CLOEXEC, O_NONBLOCK, UFFD_USER_MODE_ONLY).
 * @f_flags: the file's status flags: O_NONBLOCK, O_CLOEXEC (fcntl, FIONBIO,
 *	FIOCLEX change them).
 * @features: 0 until UFFDIO_API, then the features with
 *	UFFD_FEATURE_INITIALIZED.
 * @released: set by userfaultfd_release().
 * @mmap_changing: >0 while a non-cooperative event is in flight.
 * @wqh_lock: guards the queues, @release_done and the eventfd.
 * @fd_wqh: readers and pollers sleep here; signalled when a message is
 *	queued and at release.
 * @fault_pending_wqh: faults not read yet, oldest first.
 * @fault_wqh: faults read but not woken yet.
 * @event_wqh: events not read yet, oldest first.
 * @release_done: release has unregistered every VMA and woken everyone.
 * @eventfd: the eventfd handed out by uffdops_eventfd(), or -1.
 * @eventfd_ready: the eventfd's counter is 1 (a message is queued).
 */
struct uffdops_ctx {
	atomic_int refcount;
	atomic_int f_count;
	struct uffdops_mm *mm;
	int flags;
	atomic_int f_flags;
	atomic_uint features;
	atomic_bool released;
	atomic_int mmap_changing;
	pthread_mutex_t wqh_lock;
	pthread_cond_t fd_wqh;
	struct uffd_wq fault_pending_wqh;
	struct uffd_wq fault_wqh;
	struct uffd_wq event_wqh;
	bool release_done;
	int eventfd;
	bool eventfd_ready;
};

/* vma->vm_userfaultfd_ctx: mm.h keeps it as an opaque struct userfaultfd_ctx. */
static inline struct uffdops_ctx *vma_uffd_ctx(const struct uffdops_vma *vma)
{
	return (struct uffdops_ctx *)vma->vm_userfaultfd_ctx;
}

static inline struct userfaultfd_ctx *uffd_vm_ctx(struct uffdops_ctx *ctx)
{
	return (struct userfaultfd_ctx *)ctx;
}

/* userfaultfd_is_initialized() */
static inline bool userfaultfd_is_initialized(struct uffdops_ctx *ctx)
{
	return atomic_load(&ctx->features) & UFFD_FEATURE_INITIALIZED;
}

/* userfaultfd_wp_async_ctx() */
static inline bool userfaultfd_wp_async_ctx(struct uffdops_ctx *ctx)
{
	return ctx && (atomic_load(&ctx->features) & UFFD_FEATURE_WP_ASYNC);
}

/* ---- uffd.c ------------------------------------------------------------ */

/**
 * wake_userfault() - wake every fault waiting on @ctx (unread or read)
 * whose message address lies in [@start, @start + @len); @len 0 wakes all
 * (__wake_userfault(), userfaultfd_wake_function()). Woken faults leave
 * the queues and retry.
 */
void wake_userfault(struct uffdops_ctx *ctx, unsigned long start,
		    unsigned long len);

/**
 * handle_userfault() - hand a fault to the VMA's context and wait for it to
 * be resolved (fs/userfaultfd.c handle_userfault()).
 * @vma: the faulting VMA; mm->mmap_lock is held for reading.
 * @addr: the exact faulting address (vmf->real_address).
 * @flags: FAULT_FLAG_WRITE, FAULT_FLAG_USER.
 * @reason: exactly one of VM_UFFD_MISSING, VM_UFFD_WP, VM_UFFD_MINOR.
 *
 * Queues a struct uffd_msg, wakes readers, pollers and the eventfd, drops
 * the mmap lock and sleeps until a wake covers the message's address or
 * the context is released; then takes the mmap lock for reading again.
 *
 * Return: VM_FAULT_RETRY (the mmap lock is held again but @vma may be gone:
 * look the address up again and retry the whole fault), or VM_FAULT_SIGBUS
 * without queueing (no context, UFFD_FEATURE_SIGBUS, a kernel access on a
 * UFFD_USER_MODE_ONLY context); the lock is held throughout then.
 */
vm_fault_t handle_userfault(struct uffdops_vma *vma, unsigned long addr,
			    unsigned int flags, unsigned long reason);

/**
 * userfaultfd_event_wait_completion() - queue a non-cooperative event on
 * @ctx and sleep until read() has returned it or the context is released
 * (fs/userfaultfd.c). The caller raised ctx->mmap_changing and holds a
 * context reference (userfaultfd_ctx_get()); both are dropped here. No mmap
 * lock may be held.
 * @ctx: the context.
 * @msg: the event (UFFD_EVENT_FORK, REMAP, REMOVE, UNMAP).
 *
 * Return: true when read() took the event, false when it was abandoned
 * (the context was released first).
 */
bool userfaultfd_event_wait_completion(struct uffdops_ctx *ctx,
				       const struct uffd_msg *msg);

/**
 * userfaultfd_ctx_alloc() - a context of @mm in the CREATED state with
 * creation @flags, holding @mm (mmgrab()), one reference and one file
 * reference (the allocation half of new_userfaultfd()). Return: the
 * context or NULL.
 */
struct uffdops_ctx *userfaultfd_ctx_alloc(struct uffdops_mm *mm, int flags);

/**
 * userfaultfd_fget() - fdget(): a call in progress holds the file, so a
 * concurrent uffdops_close() releases only when the call returns.
 */
void userfaultfd_fget(struct uffdops_ctx *ctx);
/** userfaultfd_fput() - fput(): the last file reference releases @ctx. */
void userfaultfd_fput(struct uffdops_ctx *ctx);

/** userfaultfd_ctx_get() - take a reference on @ctx. */
void userfaultfd_ctx_get(struct uffdops_ctx *ctx);
/** userfaultfd_ctx_put() - drop a reference; the last one frees @ctx. */
void userfaultfd_ctx_put(struct uffdops_ctx *ctx);

/* ---- dispatch.c -------------------------------------------------------- */

struct uffd_ioctl;

/**
 * struct uffd_ioctl_desc - one of the ten UFFDIO_* commands (spec §0).
 * @cmd: the command value; its size field is sizeof the structure.
 * @name: "UFFDIO_COPY", ...
 * @in_size: bytes the kernel copies in (the structure without its output
 *	field).
 * @out_off: offset of the field written back.
 * @out_size: its size; 0 when nothing is written back.
 * @handler: the command's handler, NULL until the release modelling it.
 */
struct uffd_ioctl_desc {
	unsigned int cmd;
	const char *name;
	size_t in_size;
	size_t out_off;
	size_t out_size;
	int (*handler)(struct uffdops_ctx *ctx, const struct uffd_ioctl *io);
};

/**
 * struct uffd_ioctl - one ioctl call in progress: its decoded command and
 * where its argument lives.
 * @desc: the command.
 * @ctx: the context.
 * @op: the command's name, for the trace.
 * @karg: uffdops_ioctl(): the caller's structure (NULL faults).
 * @uaddr: uffdops_ioctl_uaddr(): the argument's address in ctx->mm.
 * @user: the argument is at @uaddr rather than @karg.
 */
struct uffd_ioctl {
	const struct uffd_ioctl_desc *desc;
	struct uffdops_ctx *ctx;
	const char *op;
	void *karg;
	unsigned long uaddr;
	bool user;
};

/**
 * uffd_copy_from_user() - copy_from_user() of @len bytes at offset @off of
 * the argument. Return: 0 or -EFAULT.
 */
int uffd_copy_from_user(const struct uffd_ioctl *io, size_t off, void *dst,
			size_t len);

/**
 * uffd_copy_to_user() - copy_to_user()/put_user() of @len bytes at offset
 * @off of the argument; a partly writable destination keeps what was
 * written before the fault. Return: 0 or -EFAULT.
 */
int uffd_copy_to_user(const struct uffd_ioctl *io, size_t off, const void *src,
		      size_t len);

/**
 * validate_unaligned_range() - fs/userfaultfd.c validate_unaligned_range():
 * validate_range() without the alignment check of @start (COPY's src, C3).
 * Each failed check is traced under @op. Return: 0 or -EINVAL.
 */
int validate_unaligned_range(struct uffdops_mm *mm, const char *op, __u64 start,
			     __u64 len);

/**
 * uffd_mmap_changing() - the first step of COPY, ZEROPAGE, CONTINUE, POISON,
 * MOVE and WRITEPROTECT: while a non-cooperative event is in flight, fail
 * with -EAGAIN, writing -EAGAIN into the result field first when the command
 * has one (-EFAULT if that write faults). Return: 0 when no event is in
 * flight.
 */
int uffd_mmap_changing(struct uffdops_ctx *ctx, const struct uffd_ioctl *io,
		       const char *kfn);

/**
 * uffd_mmget() - mmget_not_zero() of the context's mm for a range ioctl.
 * Return: 0 with a user taken (drop it with mmput()), or -ESRCH when the
 * mm is already torn down.
 */
int uffd_mmget(struct uffdops_ctx *ctx, const struct uffd_ioctl *io,
	       const char *kfn);

/**
 * uffd_range_result() - the end of COPY, ZEROPAGE, CONTINUE, POISON and
 * MOVE (spec §2.0): write @done (bytes, or a negative errno) into the result
 * field, wake [@dst, @dst + @done) unless @dontwake, and turn a short
 * operation into -EAGAIN. A failing write returns -EFAULT and wakes nobody.
 */
int uffd_range_result(struct uffdops_ctx *ctx, const struct uffd_ioctl *io,
		      const char *kfn, __u64 dst, __u64 len, ssize_t done,
		      bool dontwake);

/**
 * validate_range() - fs/userfaultfd.c validate_range(): @start
 * page-aligned, then validate_unaligned_range(). Each failed check is
 * traced under @op. Return: 0 or -EINVAL.
 */
int validate_range(struct uffdops_mm *mm, const char *op, __u64 start,
		   __u64 len);

/* ---- register.c -------------------------------------------------------- */

/** userfaultfd_register() - UFFDIO_REGISTER (spec §2.2, R1-R11). */
int userfaultfd_register(struct uffdops_ctx *ctx, const struct uffd_ioctl *io);

/** userfaultfd_unregister() - UFFDIO_UNREGISTER (spec §2.3, U1-U8). */
int userfaultfd_unregister(struct uffdops_ctx *ctx,
			   const struct uffd_ioctl *io);

/**
 * userfaultfd_release_all() - unregister every VMA of @ctx in its mm,
 * clearing flags, context and uffd-wp state and merging as the kernel does
 * (mm/userfaultfd.c userfaultfd_release_all()). Takes the mmap lock.
 */
void userfaultfd_release_all(struct uffdops_ctx *ctx);

#endif /* UFFDOPS_UFFD_H */
