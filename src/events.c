/* SPDX-License-Identifier: MIT */
/*
 * events.c - the non-cooperative userfaultfd events of Linux 6.18
 * (fs/userfaultfd.c): FORK (dup_userfaultfd(), dup_userfaultfd_complete()),
 * REMAP (mremap_userfaultfd_prep(), mremap_userfaultfd_complete()), REMOVE
 * (userfaultfd_remove()) and UNMAP (userfaultfd_unmap_prep(),
 * userfaultfd_unmap_complete()), and the table that numbers the contexts
 * FORK events create, since the model has no file descriptors.
 * Spec: ioctls.md §3.6. The producers are the mm operations of mm.c; the
 * queue, read() and release are uffd.c's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "uffd.h"

/**
 * struct userfaultfd_fork_ctx - a parent context and the child's context
 * created for it by one fork().
 */
struct userfaultfd_fork_ctx {
	struct uffdops_ctx *orig;
	struct uffdops_ctx *new;
	TAILQ_ENTRY(userfaultfd_fork_ctx) list;
};

/** struct userfaultfd_unmap_ctx - one UNMAP event owed to @ctx. */
struct userfaultfd_unmap_ctx {
	struct uffdops_ctx *ctx;
	unsigned long start;
	unsigned long end;
	TAILQ_ENTRY(userfaultfd_unmap_ctx) list;
};

/* msg_init(): every byte the event does not use is zero. */
static void event_msg_init(struct uffd_msg *msg, __u8 event)
{
	memset(msg, 0, sizeof(*msg));
	msg->event = event;
}

static bool ctx_has(struct uffdops_ctx *ctx, unsigned int feature)
{
	return atomic_load(&ctx->features) & feature;
}

/*
 * The prep half of every event: hold the context and raise mmap_changing
 * (down_write(&ctx->map_changing_lock); atomic_inc(&ctx->mmap_changing)).
 * The caller holds ctx->mm's mmap lock for writing, which stands for
 * map_changing_lock (see events.h).
 */
static void userfaultfd_event_prep(struct uffdops_ctx *ctx)
{
	userfaultfd_ctx_get(ctx);
	atomic_fetch_add(&ctx->mmap_changing, 1);
}

/*
 * userfaultfd_reset_ctx(): @vma loses its context and its VM_UFFD_* flags
 * in place, without a split or a merge.
 */
static void userfaultfd_reset_ctx(struct uffdops_vma *vma)
{
	vma->vm_userfaultfd_ctx = NULL;
	vma_set_flags(vma, vma->vm_flags & ~__VM_UFFD_FLAGS);
}

/* ------------------------------------------------------------------------ */
/* The numbered contexts FORK events hand out.                               */
/* ------------------------------------------------------------------------ */

/* RLIMIT_NOFILE's default soft limit: get_unused_fd_flags() -> EMFILE. */
#define FORK_CTX_MAX 1024

/*
 * The model's stand-in for the reader's file table: read() of a FORK event
 * installs the child's context at the lowest free number, as
 * anon_inode_create_getfd() installs the new file at the lowest free fd.
 * @reader remembers the context whose read() installed it.
 */
static struct {
	pthread_mutex_t lock;
	struct uffdops_ctx *ctx[FORK_CTX_MAX];
	struct uffdops_ctx *reader[FORK_CTX_MAX];
} fork_ctxs = { .lock = PTHREAD_MUTEX_INITIALIZER };

int resolve_userfault_fork(struct uffdops_ctx *ctx, struct uffd_msg *msg)
{
	struct uffdops_ctx *new =
		(struct uffdops_ctx *)(uintptr_t)msg->arg.reserved.reserved1;
	unsigned int nr;

	pthread_mutex_lock(&fork_ctxs.lock);
	/* get_unused_fd_flags(): the lowest free number, or EMFILE */
	for (nr = 0; nr < FORK_CTX_MAX && fork_ctxs.ctx[nr]; nr++)
		;
	if (nr < FORK_CTX_MAX) {
		fork_ctxs.ctx[nr] = new;
		fork_ctxs.reader[nr] = ctx;
	}
	pthread_mutex_unlock(&fork_ctxs.lock);
	if (nr == FORK_CTX_MAX)
		return -EMFILE;
	/* resolve_userfault_fork(): the pointer leaves, the number goes in */
	msg->arg.reserved.reserved1 = 0;
	msg->arg.fork.ufd = nr;
	return 0;
}

int uffdops_fork_ctx(struct uffdops_ctx *ctx, const struct uffd_msg *msg,
		     struct uffdops_ctx **newp)
{
	unsigned int nr;
	int ret = -EBADF;

	if (!ctx || !msg || !newp || msg->event != UFFD_EVENT_FORK)
		return -EINVAL;
	nr = msg->arg.fork.ufd;
	pthread_mutex_lock(&fork_ctxs.lock);
	if (nr < FORK_CTX_MAX && fork_ctxs.ctx[nr] &&
	    fork_ctxs.reader[nr] == ctx) {
		*newp = fork_ctxs.ctx[nr];
		fork_ctxs.ctx[nr] = NULL;
		fork_ctxs.reader[nr] = NULL;
		ret = 0;
	}
	pthread_mutex_unlock(&fork_ctxs.lock);
	return ret;
}

void userfaultfd_fork_ctxs_release(struct uffdops_ctx *ctx)
{
	struct uffdops_ctx *untaken[FORK_CTX_MAX];
	unsigned int nr, n = 0;

	pthread_mutex_lock(&fork_ctxs.lock);
	for (nr = 0; nr < FORK_CTX_MAX; nr++) {
		if (!fork_ctxs.ctx[nr] || fork_ctxs.reader[nr] != ctx)
			continue;
		untaken[n++] = fork_ctxs.ctx[nr];
		fork_ctxs.ctx[nr] = NULL;
		fork_ctxs.reader[nr] = NULL;
	}
	pthread_mutex_unlock(&fork_ctxs.lock);
	/* the process's exit would close them: userfaultfd_release() each */
	while (n)
		uffdops_close(untaken[--n]);
}

/* ------------------------------------------------------------------------ */
/* FORK.                                                                     */
/* ------------------------------------------------------------------------ */

int dup_userfaultfd(struct uffdops_vma *vma, struct userfaultfd_fork_list *fcs)
{
	struct uffdops_ctx *octx = vma_uffd_ctx(vma), *ctx = NULL;
	struct userfaultfd_fork_ctx *fctx;

	if (!octx)
		return 0;
	/* dup_userfaultfd(): without EVENT_FORK the child's VMA is unregistered */
	if (!ctx_has(octx, UFFD_FEATURE_EVENT_FORK)) {
		userfaultfd_reset_ctx(vma);
		return 0;
	}
	/* dup_userfaultfd(): one child context per parent context */
	TAILQ_FOREACH(fctx, fcs, list) {
		if (fctx->orig == octx) {
			ctx = fctx->new;
			break;
		}
	}
	if (!ctx) {
		fctx = malloc(sizeof(*fctx));
		if (!fctx)
			return -ENOMEM;
		/* dup_userfaultfd(): the parent's flags, on the child's mm */
		ctx = userfaultfd_ctx_alloc(vma->vm_mm, octx->flags);
		if (!ctx) {
			free(fctx);
			return -ENOMEM;
		}
		/* dup_userfaultfd(): the parent's features: INITIALIZED */
		atomic_store(&ctx->features, atomic_load(&octx->features));
		/* dup_userfaultfd(): the parent context's mmap_changing */
		userfaultfd_event_prep(octx);
		fctx->orig = octx;
		fctx->new = ctx;
		TAILQ_INSERT_TAIL(fcs, fctx, list);
	}
	vma->vm_userfaultfd_ctx = uffd_vm_ctx(ctx);
	return 0;
}

/*
 * userfaultfd_release_new(): an unread FORK event was abandoned: the
 * child's VMAs still point at the child's context; unregister them.
 */
static void userfaultfd_release_new(struct uffdops_ctx *ctx)
{
	struct uffdops_mm *mm = ctx->mm;
	struct uffdops_vma *vma;

	mmap_write_lock(mm);
	for (vma = vma_first(mm); vma; vma = vma_next(vma))
		if (vma_uffd_ctx(vma) == ctx)
			userfaultfd_reset_ctx(vma);
	mmap_write_unlock(mm);
}

void dup_userfaultfd_complete(struct userfaultfd_fork_list *fcs)
{
	struct userfaultfd_fork_ctx *fctx;
	struct uffd_msg msg;

	while ((fctx = TAILQ_FIRST(fcs))) {
		TAILQ_REMOVE(fcs, fctx, list);
		/*
		 * dup_fctx(): the child's context travels in the reserved
		 * field until read() gives it a number.
		 */
		event_msg_init(&msg, UFFD_EVENT_FORK);
		msg.arg.reserved.reserved1 = (uintptr_t)fctx->new;
		/*
		 * userfaultfd_event_wait_completion(): a FORK event abandoned
		 * by the release of the parent context takes the child's
		 * context with it.
		 */
		if (!userfaultfd_event_wait_completion(fctx->orig, &msg)) {
			userfaultfd_release_new(fctx->new);
			userfaultfd_ctx_put(fctx->new);
		}
		free(fctx);
	}
}

void dup_userfaultfd_fail(struct userfaultfd_fork_list *fcs)
{
	struct userfaultfd_fork_ctx *fctx;

	/* dup_userfaultfd_fail(): undo the prep, no event */
	while ((fctx = TAILQ_FIRST(fcs))) {
		TAILQ_REMOVE(fcs, fctx, list);
		atomic_fetch_sub(&fctx->orig->mmap_changing, 1);
		userfaultfd_ctx_put(fctx->orig);
		userfaultfd_ctx_put(fctx->new);
		free(fctx);
	}
}

/* ------------------------------------------------------------------------ */
/* REMAP.                                                                    */
/* ------------------------------------------------------------------------ */

bool vma_has_uffd_without_event_remap(const struct uffdops_vma *vma)
{
	struct uffdops_ctx *ctx = vma_uffd_ctx(vma);

	return ctx && !ctx_has(ctx, UFFD_FEATURE_EVENT_REMAP);
}

void mremap_userfaultfd_prep(struct uffdops_vma *vma,
			     struct vm_userfaultfd_ctx *vm_ctx)
{
	struct uffdops_ctx *ctx = vma_uffd_ctx(vma);

	if (!ctx)
		return;
	/* mremap_userfaultfd_prep(): EVENT_REMAP keeps the moved registration */
	if (ctx_has(ctx, UFFD_FEATURE_EVENT_REMAP)) {
		vm_ctx->ctx = uffd_vm_ctx(ctx);
		userfaultfd_event_prep(ctx);
	} else {
		/* mremap_userfaultfd_prep(): otherwise the moved VMA loses it */
		userfaultfd_reset_ctx(vma);
	}
}

void mremap_userfaultfd_complete(struct vm_userfaultfd_ctx *vm_ctx,
				 unsigned long from, unsigned long to,
				 unsigned long len)
{
	struct uffdops_ctx *ctx = (struct uffdops_ctx *)vm_ctx->ctx;
	struct uffd_msg msg;

	if (!ctx)
		return;
	/* mremap_userfaultfd_complete(): old address, new address, length */
	event_msg_init(&msg, UFFD_EVENT_REMAP);
	msg.arg.remap.from = from;
	msg.arg.remap.to = to;
	msg.arg.remap.len = len;
	vm_ctx->ctx = NULL;
	userfaultfd_event_wait_completion(ctx, &msg);
}

void mremap_userfaultfd_fail(struct vm_userfaultfd_ctx *vm_ctx)
{
	/*
	 * mremap_userfaultfd_fail(): only the reference goes. The kernel
	 * leaves mmap_changing raised here, but it cannot get here with a
	 * context: prep runs only once the move succeeded, and a move of a
	 * registered VMA is always the whole, last step of the mremap.
	 */
	if (vm_ctx->ctx)
		userfaultfd_ctx_put((struct uffdops_ctx *)vm_ctx->ctx);
	vm_ctx->ctx = NULL;
}

/* ------------------------------------------------------------------------ */
/* REMOVE.                                                                   */
/* ------------------------------------------------------------------------ */

bool userfaultfd_remove(struct uffdops_vma *vma, unsigned long start,
			unsigned long end)
{
	struct uffdops_mm *mm = vma->vm_mm;
	struct uffdops_ctx *ctx = vma_uffd_ctx(vma);
	struct uffd_msg msg;

	/* userfaultfd_remove(): no context or no EVENT_REMOVE -> no event */
	if (!ctx || !ctx_has(ctx, UFFD_FEATURE_EVENT_REMOVE))
		return true;
	userfaultfd_ctx_get(ctx);
	/*
	 * userfaultfd_remove() raises mmap_changing under map_changing_lock
	 * and drops the mmap read lock. The model drops the read lock first
	 * and raises it under the write lock, which waits for every fill in
	 * progress as map_changing_lock would (see events.h).
	 */
	mmap_read_unlock(mm);
	mmap_write_lock(mm);
	atomic_fetch_add(&ctx->mmap_changing, 1);
	mmap_write_unlock(mm);
	/* userfaultfd_remove(): the range clipped to this VMA by the caller */
	event_msg_init(&msg, UFFD_EVENT_REMOVE);
	msg.arg.remove.start = start;
	msg.arg.remove.end = end;
	userfaultfd_event_wait_completion(ctx, &msg);
	return false;
}

/* ------------------------------------------------------------------------ */
/* UNMAP.                                                                    */
/* ------------------------------------------------------------------------ */

/* has_unmap_ctx(): this context already has an UNMAP of this range. */
static bool has_unmap_ctx(struct uffdops_ctx *ctx,
			  const struct userfaultfd_unmap_list *uf,
			  unsigned long start, unsigned long end)
{
	const struct userfaultfd_unmap_ctx *u;

	TAILQ_FOREACH(u, uf, list)
		if (u->ctx == ctx && u->start == start && u->end == end)
			return true;
	return false;
}

int userfaultfd_unmap_prep(struct uffdops_vma *vma, unsigned long start,
			   unsigned long end, struct userfaultfd_unmap_list *uf)
{
	struct uffdops_ctx *ctx = vma_uffd_ctx(vma);
	struct userfaultfd_unmap_ctx *u;

	/*
	 * userfaultfd_unmap_prep(): contexts with EVENT_UNMAP, once per
	 * context and range, whatever part of the range the VMA covers.
	 */
	if (!uf || !ctx || !ctx_has(ctx, UFFD_FEATURE_EVENT_UNMAP) ||
	    has_unmap_ctx(ctx, uf, start, end))
		return 0;
	u = malloc(sizeof(*u));
	if (!u)
		return -ENOMEM;
	userfaultfd_event_prep(ctx);
	u->ctx = ctx;
	u->start = start;
	u->end = end;
	TAILQ_INSERT_TAIL(uf, u, list);
	return 0;
}

void userfaultfd_unmap_complete(struct userfaultfd_unmap_list *uf)
{
	struct userfaultfd_unmap_ctx *u;
	struct uffd_msg msg;

	/* userfaultfd_unmap_complete(): in prep order, each until read */
	while ((u = TAILQ_FIRST(uf))) {
		TAILQ_REMOVE(uf, u, list);
		event_msg_init(&msg, UFFD_EVENT_UNMAP);
		msg.arg.remove.start = u->start;
		msg.arg.remove.end = u->end;
		userfaultfd_event_wait_completion(u->ctx, &msg);
		free(u);
	}
}
