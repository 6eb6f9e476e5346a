/* SPDX-License-Identifier: MIT */
/*
 * waiters.c - who is blocked on a context: the faulting threads and event
 * producers in its queues (what the kernel shows through /proc/pid/wchan
 * and the userfaultfd's fdinfo counters).
 */
#include <errno.h>
#include <string.h>

#include "uffd.h"

/* Appends the waiters of @queue to @out, counting them all in *@count. */
static void collect(const struct uffd_wq *queue, bool event, bool read,
		    struct uffdops_waiter *out, size_t n, int *count)
{
	const struct userfaultfd_wait_queue *uwq;

	TAILQ_FOREACH(uwq, queue, link) {
		if ((size_t)*count < n) {
			struct uffdops_waiter *w = &out[*count];

			w->tid = uwq->tid;
			w->event = event;
			w->read = read;
			w->msg = uwq->msg;
			/*
			 * dup_fctx(): an unread FORK event keeps the new context
			 * in the message; read() turns it into arg.fork.ufd
			 */
			if (w->msg.event == UFFD_EVENT_FORK)
				memset(&w->msg.arg, 0, sizeof(w->msg.arg));
		}
		++*count;
	}
}

int uffdops_waiters(struct uffdops_ctx *ctx, struct uffdops_waiter *out,
		    size_t n)
{
	int count = 0;

	if (!ctx || (n && !out))
		return -EINVAL;
	pthread_mutex_lock(&ctx->wqh_lock);
	collect(&ctx->fault_pending_wqh, false, false, out, n, &count);
	collect(&ctx->fault_wqh, false, true, out, n, &count);
	collect(&ctx->event_wqh, true, false, out, n, &count);
	pthread_mutex_unlock(&ctx->wqh_lock);
	return count;
}
