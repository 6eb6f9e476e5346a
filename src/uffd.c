/* SPDX-License-Identifier: MIT */
/*
 * uffd.c - the userfaultfd context (fs/userfaultfd.c, Linux 6.18): creation
 * through userfaultfd(2) and /dev/userfaultfd, the fault and event queues,
 * handle_userfault(), read(), poll(), the eventfd, fdinfo and release.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "trace.h"
#include "uffd.h"

/* ------------------------------------------------------------------------ */
/* References.                                                               */
/* ------------------------------------------------------------------------ */

void userfaultfd_ctx_get(struct uffdops_ctx *ctx)
{
	atomic_fetch_add(&ctx->refcount, 1);
}

void userfaultfd_ctx_put(struct uffdops_ctx *ctx)
{
	if (atomic_fetch_sub(&ctx->refcount, 1) != 1)
		return;
	pthread_cond_destroy(&ctx->fd_wqh);
	pthread_mutex_destroy(&ctx->wqh_lock);
	/* userfaultfd_ctx_put(): the context's hold on its mm goes last */
	mmdrop(ctx->mm);
	free(ctx);
}

static void userfaultfd_release(struct uffdops_ctx *ctx);

void userfaultfd_fget(struct uffdops_ctx *ctx)
{
	atomic_fetch_add(&ctx->f_count, 1);
}

void userfaultfd_fput(struct uffdops_ctx *ctx)
{
	if (atomic_fetch_sub(&ctx->f_count, 1) == 1)
		userfaultfd_release(ctx);
}

/* ------------------------------------------------------------------------ */
/* Queues. Everything below runs with ctx->wqh_lock held.                    */
/* ------------------------------------------------------------------------ */

/*
 * The eventfd is readable exactly while poll() would report POLLIN: an
 * unread fault or an unread event is queued. Its counter is 0 or 1.
 */
static void uffd_eventfd_sync(struct uffdops_ctx *ctx)
{
	bool ready = !TAILQ_EMPTY(&ctx->fault_pending_wqh) ||
		     !TAILQ_EMPTY(&ctx->event_wqh);
	uint64_t val = 1;
	ssize_t n;

	if (ctx->eventfd < 0 || ready == ctx->eventfd_ready)
		return;
	if (ready)
		n = write(ctx->eventfd, &val, sizeof(val));
	else
		n = read(ctx->eventfd, &val,
			 sizeof(val)); /* EAGAIN if drained */
	(void)n;
	ctx->eventfd_ready = ready;
}

static void uwq_enqueue(struct uffd_wq *q, struct userfaultfd_wait_queue *uwq)
{
	TAILQ_INSERT_TAIL(q, uwq, link);
	uwq->queue = q;
}

static void uwq_dequeue(struct userfaultfd_wait_queue *uwq)
{
	if (!uwq->queue)
		return;
	TAILQ_REMOVE(uwq->queue, uwq, link);
	uwq->queue = NULL;
}

/* userfaultfd_wake_function(): wake, and leave the queue (autoremove). */
static void uwq_wake(struct userfaultfd_wait_queue *uwq)
{
	uwq_dequeue(uwq);
	uwq->waken = true;
	pthread_cond_signal(&uwq->wait);
}

/* __wake_userfault() over one queue. */
static void wake_queue(struct uffd_wq *q, unsigned long start,
		       unsigned long len)
{
	struct userfaultfd_wait_queue *uwq, *next;

	for (uwq = TAILQ_FIRST(q); uwq; uwq = next) {
		unsigned long addr = uwq->msg.arg.pagefault.address;

		next = TAILQ_NEXT(uwq, link);
		/* userfaultfd_wake_function(): len 0 wakes all */
		if (len && (addr < start || addr - start >= len))
			continue;
		uwq_wake(uwq);
	}
}

void wake_userfault(struct uffdops_ctx *ctx, unsigned long start,
		    unsigned long len)
{
	pthread_mutex_lock(&ctx->wqh_lock);
	wake_queue(&ctx->fault_pending_wqh, start, len);
	wake_queue(&ctx->fault_wqh, start, len);
	uffd_eventfd_sync(ctx);
	pthread_mutex_unlock(&ctx->wqh_lock);
}

/* ------------------------------------------------------------------------ */
/* The fault path's entry.                                                   */
/* ------------------------------------------------------------------------ */

/* userfault_msg(): a page-fault message, every unused byte zero. */
static void userfault_msg(struct uffd_msg *msg, unsigned long address,
			  unsigned long real_address, unsigned int flags,
			  unsigned long reason, unsigned int features)
{
	memset(msg, 0, sizeof(*msg));
	msg->event = UFFD_EVENT_PAGEFAULT;
	msg->arg.pagefault.address =
		features & UFFD_FEATURE_EXACT_ADDRESS ? real_address : address;
	if (flags & FAULT_FLAG_WRITE)
		msg->arg.pagefault.flags |= UFFD_PAGEFAULT_FLAG_WRITE;
	if (reason & VM_UFFD_WP)
		msg->arg.pagefault.flags |= UFFD_PAGEFAULT_FLAG_WP;
	if (reason & VM_UFFD_MINOR)
		msg->arg.pagefault.flags |= UFFD_PAGEFAULT_FLAG_MINOR;
	/* task_pid_vnr(current), taken by the faulting thread itself */
	if (features & UFFD_FEATURE_THREAD_ID)
		msg->arg.pagefault.feat.ptid = (__u32)gettid();
}

/*
 * userfaultfd_must_wait(), userfaultfd_huge_must_wait(): after queueing,
 * is the fault still unresolved? A none entry or a marker for any reason,
 * a non-writable entry for a WP fault.
 */
static bool userfaultfd_must_wait(struct uffdops_vma *vma,
				  unsigned long address, unsigned long reason)
{
	struct uffdops_mm *mm = vma->vm_mm;
	struct pte pte;

	pt_lock(mm);
	pte = pgtable_get(&mm->pgt, address, vma_pt_level(vma));
	pt_unlock(mm);
	if (pte_none(pte) || is_pte_marker(pte))
		return true;
	return (reason & VM_UFFD_WP) && !pte_write(pte);
}

vm_fault_t handle_userfault(struct uffdops_vma *vma, unsigned long addr,
			    unsigned int flags, unsigned long reason)
{
	static const char op[] = "handle_userfault";
	struct uffdops_mm *mm = vma->vm_mm;
	struct uffdops_ctx *ctx = vma_uffd_ctx(vma);
	struct userfaultfd_wait_queue uwq;
	unsigned long address;
	unsigned int features;
	bool must_wait;

	/* handle_userfault(): no context on the VMA -> SIGBUS */
	if (trace_check(mm, op, "VMA has a userfaultfd context (else SIGBUS)",
			"handle_userfault", ctx ? 0 : -EFAULT, addr))
		return VM_FAULT_SIGBUS;
	features = atomic_load(&ctx->features);
	/* handle_userfault(): UFFD_FEATURE_SIGBUS -> SIGBUS, nothing queued */
	if (trace_check(mm, op, "context has UFFD_FEATURE_SIGBUS (SIGBUS)",
			"handle_userfault",
			features & UFFD_FEATURE_SIGBUS ? -EFAULT : 0, addr))
		return VM_FAULT_SIGBUS;
	/* handle_userfault(): kernel access on UFFD_USER_MODE_ONLY -> SIGBUS */
	if (trace_check(
		    mm, op,
		    "kernel-mode access on a UFFD_USER_MODE_ONLY context (SIGBUS)",
		    "handle_userfault",
		    !(flags & FAULT_FLAG_USER) &&
				    (ctx->flags & UFFD_USER_MODE_ONLY) ?
			    -EFAULT :
			    0,
		    addr))
		return VM_FAULT_SIGBUS;

	/* handle_userfault(): the context's reference, before dropping the lock */
	userfaultfd_ctx_get(ctx);
	if (atomic_load(&ctx->released)) {
		/*
		 * handle_userfault(): a context being released -> drop the
		 * lock and retry; the retry finds the VMA unregistered once
		 * userfaultfd_release_all() (waiting for the mmap write lock
		 * now) is done.
		 */
		trace_check(mm, op, "context is being released (retry)",
			    "handle_userfault", 0, addr);
		mmap_read_unlock(mm);
		pthread_mutex_lock(&ctx->wqh_lock);
		while (!ctx->release_done)
			pthread_cond_wait(&ctx->fd_wqh, &ctx->wqh_lock);
		pthread_mutex_unlock(&ctx->wqh_lock);
		userfaultfd_ctx_put(ctx);
		mmap_read_lock(mm);
		return VM_FAULT_RETRY;
	}

	/* vmf->address: the fault rounded down to the VMA's page size */
	address = ALIGN_DOWN(addr, vma_page_size(vma));
	userfault_msg(&uwq.msg, address, addr, flags, reason, features);
	uwq.tid = gettid();
	uwq.waken = false;
	pthread_cond_init(&uwq.wait, NULL);

	/* handle_userfault(): visible to read()/poll() from here on */
	pthread_mutex_lock(&ctx->wqh_lock);
	uwq_enqueue(&ctx->fault_pending_wqh, &uwq);
	pthread_mutex_unlock(&ctx->wqh_lock);

	must_wait = userfaultfd_must_wait(vma, address, reason);
	mmap_read_unlock(mm);

	pthread_mutex_lock(&ctx->wqh_lock);
	if (must_wait && !atomic_load(&ctx->released)) {
		/*
		 * handle_userfault(): readers, pollers (and the eventfd) are
		 * woken once the fault is known to wait, right before it
		 * sleeps (wake_up_poll() before schedule()): a handler woken
		 * by the message finds its thread past the must-wait check.
		 */
		uffd_eventfd_sync(ctx);
		pthread_cond_broadcast(&ctx->fd_wqh);
		while (!uwq.waken)
			pthread_cond_wait(&uwq.wait, &ctx->wqh_lock);
	}
	/* handle_userfault(): not woken (resolved meanwhile) -> leave the queue */
	uwq_dequeue(&uwq);
	uffd_eventfd_sync(ctx);
	pthread_mutex_unlock(&ctx->wqh_lock);
	pthread_cond_destroy(&uwq.wait);

	userfaultfd_ctx_put(ctx);
	mmap_read_lock(mm);
	return VM_FAULT_RETRY;
}

bool userfaultfd_event_wait_completion(struct uffdops_ctx *ctx,
				       const struct uffd_msg *msg)
{
	struct userfaultfd_wait_queue ewq;
	bool read;

	ewq.msg = *msg;
	ewq.tid = gettid();
	ewq.waken = false;
	pthread_cond_init(&ewq.wait, NULL);
	pthread_mutex_lock(&ctx->wqh_lock);
	/* userfaultfd_event_wait_completion(): nothing to wait for once released */
	if (!atomic_load(&ctx->released)) {
		uwq_enqueue(&ctx->event_wqh, &ewq);
		uffd_eventfd_sync(ctx);
		pthread_cond_broadcast(&ctx->fd_wqh);
		while (!ewq.waken)
			pthread_cond_wait(&ewq.wait, &ctx->wqh_lock);
	}
	/* userfaultfd_event_complete() cleared the event: read() took it */
	read = !ewq.msg.event;
	pthread_mutex_unlock(&ctx->wqh_lock);
	pthread_cond_destroy(&ewq.wait);
	atomic_fetch_sub(&ctx->mmap_changing, 1);
	userfaultfd_ctx_put(ctx);
	return read;
}

/* ------------------------------------------------------------------------ */
/* Creation.                                                                 */
/* ------------------------------------------------------------------------ */

struct uffdops_ctx *userfaultfd_ctx_alloc(struct uffdops_mm *mm, int flags)
{
	struct uffdops_ctx *ctx;
	pthread_condattr_t attr;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	atomic_init(&ctx->refcount, 1);
	atomic_init(&ctx->f_count, 1);
	/* new_userfaultfd(): the context holds its mm (mmgrab()) */
	mmgrab(mm);
	ctx->mm = mm;
	ctx->flags = flags;
	atomic_init(&ctx->f_flags, flags & UFFD_SHARED_FCNTL_FLAGS);
	pthread_mutex_init(&ctx->wqh_lock, NULL);
	/* poll() timeouts are measured on CLOCK_MONOTONIC */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ctx->fd_wqh, &attr);
	pthread_condattr_destroy(&attr);
	TAILQ_INIT(&ctx->fault_pending_wqh);
	TAILQ_INIT(&ctx->fault_wqh);
	TAILQ_INIT(&ctx->event_wqh);
	ctx->eventfd = -1;
	return ctx;
}

static int new_userfaultfd(struct uffdops_mm *mm, const char *op, int flags,
			   struct uffdops_ctx **ctxp)
{
	struct uffdops_ctx *ctx;

	/* new_userfaultfd(): only O_CLOEXEC, O_NONBLOCK, UFFD_USER_MODE_ONLY */
	if (trace_check(
		    mm, op,
		    "flags other than O_CLOEXEC|O_NONBLOCK|UFFD_USER_MODE_ONLY",
		    "new_userfaultfd",
		    flags & ~(UFFD_SHARED_FCNTL_FLAGS | UFFD_USER_MODE_ONLY) ?
			    -EINVAL :
			    0,
		    0))
		return -EINVAL;
	ctx = userfaultfd_ctx_alloc(mm, flags);
	if (!ctx)
		return -ENOMEM;
	*ctxp = ctx;
	return 0;
}

int uffdops_userfaultfd(struct uffdops_mm *mm, int flags,
			struct uffdops_ctx **ctxp)
{
	static const char op[] = "userfaultfd";
	bool allowed;

	if (!mm || !ctxp)
		return -EINVAL;
	/*
	 * userfaultfd_syscall_allowed(): UFFD_USER_MODE_ONLY always; otherwise
	 * CAP_SYS_PTRACE or vm.unprivileged_userfaultfd=1.
	 */
	allowed = (flags & UFFD_USER_MODE_ONLY) ||
		  atomic_load(&mm->cap_sys_ptrace) ||
		  atomic_load(&mm->unprivileged_userfaultfd);
	if (trace_check(mm, op,
			"kernel faults need UFFD_USER_MODE_ONLY, CAP_SYS_PTRACE "
			"or vm.unprivileged_userfaultfd=1",
			"userfaultfd_syscall_allowed", allowed ? 0 : -EPERM, 0))
		return -EPERM;
	return new_userfaultfd(mm, op, flags, ctxp);
}

int uffdops_dev_userfaultfd_ioctl(struct uffdops_mm *mm, unsigned long cmd,
				  unsigned long flags,
				  struct uffdops_ctx **ctxp)
{
	static const char op[] = "USERFAULTFD_IOC_NEW";

	if (!mm || !ctxp)
		return -EINVAL;
	/* ioctl(2): the command is an unsigned int */
	/* userfaultfd_dev_ioctl(): only USERFAULTFD_IOC_NEW, no capability check */
	if (trace_check(mm, op, "command is USERFAULTFD_IOC_NEW",
			"userfaultfd_dev_ioctl",
			(unsigned int)cmd != USERFAULTFD_IOC_NEW ? -EINVAL : 0,
			0))
		return -EINVAL;
	/* userfaultfd_dev_ioctl(): new_userfaultfd() takes the flags as an int */
	return new_userfaultfd(mm, op, (int)flags, ctxp);
}

/* ------------------------------------------------------------------------ */
/* read(), poll(), the eventfd, fcntl, fdinfo.                               */
/* ------------------------------------------------------------------------ */

/*
 * userfaultfd_ctx_read(): one message, faults before events, oldest first.
 * A fault moves to fault_wqh (read, not woken); an event is completed.
 * Blocks for a message unless @no_wait. Caller holds ctx->wqh_lock.
 */
static int userfaultfd_ctx_read(struct uffdops_ctx *ctx, bool no_wait,
				struct uffd_msg *msg)
{
	struct userfaultfd_wait_queue *uwq;

	for (;;) {
		uwq = TAILQ_FIRST(&ctx->fault_pending_wqh);
		if (uwq) {
			*msg = uwq->msg;
			uwq_dequeue(uwq);
			uwq_enqueue(&ctx->fault_wqh, uwq);
			break;
		}
		uwq = TAILQ_FIRST(&ctx->event_wqh);
		if (uwq) {
			*msg = uwq->msg;
			/*
			 * userfaultfd_ctx_read(): a FORK event completes only
			 * once the child's context has its number; if it
			 * cannot get one the event stays queued.
			 */
			if (msg->event == UFFD_EVENT_FORK) {
				int err = resolve_userfault_fork(ctx, msg);

				if (err)
					return err;
			}
			/* userfaultfd_event_complete(): the producer resumes */
			uwq->msg.event = 0;
			uwq_wake(uwq);
			break;
		}
		if (no_wait)
			return -EAGAIN;
		pthread_cond_wait(&ctx->fd_wqh, &ctx->wqh_lock);
	}
	uffd_eventfd_sync(ctx);
	return 0;
}

ssize_t uffdops_read(struct uffdops_ctx *ctx, void *buf, size_t count)
{
	struct uffd_msg msg;
	ssize_t ret = 0;
	bool no_wait;
	int err;

	if (!ctx)
		return -EBADF;
	/* userfaultfd_read_iter(): before UFFDIO_API -> EINVAL */
	if (!userfaultfd_is_initialized(ctx))
		return -EINVAL;
	userfaultfd_fget(ctx);
	no_wait = atomic_load(&ctx->f_flags) & O_NONBLOCK;
	pthread_mutex_lock(&ctx->wqh_lock);
	for (;;) {
		/* userfaultfd_read_iter(): room for a whole message, or EINVAL */
		if (count - (size_t)ret < sizeof(msg)) {
			if (!ret)
				ret = -EINVAL;
			break;
		}
		err = userfaultfd_ctx_read(ctx, no_wait, &msg);
		if (err) {
			if (!ret)
				ret = err;
			break;
		}
		/* copy_to_iter_full(): a failed copy loses the message */
		if (!buf) {
			if (!ret)
				ret = -EFAULT;
			break;
		}
		memcpy((char *)buf + ret, &msg, sizeof(msg));
		ret += sizeof(msg);
		/* userfaultfd_read_iter(): block only for the first message */
		no_wait = true;
	}
	pthread_mutex_unlock(&ctx->wqh_lock);
	userfaultfd_fput(ctx);
	return ret;
}

/* userfaultfd_poll(): the event mask. Caller holds ctx->wqh_lock. */
static int userfaultfd_poll_mask(struct uffdops_ctx *ctx)
{
	if (!userfaultfd_is_initialized(ctx))
		return POLLERR;
	/* userfaultfd_poll(): poll never promises a read will not block */
	if (!(atomic_load(&ctx->f_flags) & O_NONBLOCK))
		return POLLERR;
	if (!TAILQ_EMPTY(&ctx->fault_pending_wqh) ||
	    !TAILQ_EMPTY(&ctx->event_wqh))
		return POLLIN;
	return 0;
}

int uffdops_poll(struct uffdops_ctx *ctx, int timeout_ms)
{
	struct timespec deadline;
	int mask;

	if (!ctx)
		return -EBADF;
	userfaultfd_fget(ctx);
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&ctx->wqh_lock);
	for (;;) {
		mask = userfaultfd_poll_mask(ctx);
		if (mask || !timeout_ms)
			break;
		if (timeout_ms < 0)
			pthread_cond_wait(&ctx->fd_wqh, &ctx->wqh_lock);
		else if (pthread_cond_timedwait(&ctx->fd_wqh, &ctx->wqh_lock,
						&deadline) == ETIMEDOUT) {
			mask = userfaultfd_poll_mask(ctx);
			break;
		}
	}
	pthread_mutex_unlock(&ctx->wqh_lock);
	userfaultfd_fput(ctx);
	return mask;
}

int uffdops_eventfd(struct uffdops_ctx *ctx)
{
	int fd;

	if (!ctx)
		return -EBADF;
	pthread_mutex_lock(&ctx->wqh_lock);
	if (ctx->eventfd < 0) {
		ctx->eventfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (ctx->eventfd < 0) {
			fd = -errno;
			goto out;
		}
		ctx->eventfd_ready = false;
		uffd_eventfd_sync(ctx);
	}
	fd = ctx->eventfd;
out:
	pthread_mutex_unlock(&ctx->wqh_lock);
	return fd;
}

int uffdops_fcntl_setfl(struct uffdops_ctx *ctx, int flags)
{
	int old, new;

	if (!ctx)
		return -EBADF;
	/* setfl(): only O_NONBLOCK of the bits we model can change */
	old = atomic_load(&ctx->f_flags);
	do
		new = (old & ~O_NONBLOCK) | (flags & O_NONBLOCK);
	while (!atomic_compare_exchange_weak(&ctx->f_flags, &old, new));
	return 0;
}

int uffdops_fdinfo(struct uffdops_ctx *ctx, char *buf, size_t size)
{
	struct userfaultfd_wait_queue *uwq;
	unsigned long pending = 0, total = 0;

	if (!ctx || (!buf && size))
		return -EINVAL;
	pthread_mutex_lock(&ctx->wqh_lock);
	/* userfaultfd_show_fdinfo(): pending = unread; total = unread + read */
	TAILQ_FOREACH(uwq, &ctx->fault_pending_wqh, link)
		pending++;
	TAILQ_FOREACH(uwq, &ctx->fault_wqh, link)
		total++;
	pthread_mutex_unlock(&ctx->wqh_lock);
	total += pending;
	return snprintf(buf, size,
			"pending:\t%lu\ntotal:\t%lu\nAPI:\t%llx:%x:%llx\n",
			pending, total, (unsigned long long)UFFD_API,
			atomic_load(&ctx->features),
			(unsigned long long)(UFFDOPS_API_IOCTLS |
					     UFFDOPS_API_RANGE_IOCTLS));
}

/* ------------------------------------------------------------------------ */
/* Release.                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * userfaultfd_release(): no new fault may wait from now on; unregister
 * every VMA, then wake every fault (read or not) and every event producer.
 */
static void userfaultfd_release(struct uffdops_ctx *ctx)
{
	struct userfaultfd_wait_queue *uwq;

	atomic_store(&ctx->released, true);
	userfaultfd_release_all(ctx);

	pthread_mutex_lock(&ctx->wqh_lock);
	wake_queue(&ctx->fault_pending_wqh, 0, 0);
	wake_queue(&ctx->fault_wqh, 0, 0);
	/* userfaultfd_release(): pending events are abandoned, producers resume */
	while ((uwq = TAILQ_FIRST(&ctx->event_wqh)))
		uwq_wake(uwq);
	ctx->release_done = true;
	pthread_cond_broadcast(&ctx->fd_wqh);
	if (ctx->eventfd >= 0) {
		close(ctx->eventfd);
		ctx->eventfd = -1;
	}
	pthread_mutex_unlock(&ctx->wqh_lock);
	userfaultfd_fork_ctxs_release(ctx);
	userfaultfd_ctx_put(ctx);
}

int uffdops_close(struct uffdops_ctx *ctx)
{
	if (ctx)
		userfaultfd_fput(ctx);
	return 0;
}
