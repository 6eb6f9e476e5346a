/* SPDX-License-Identifier: MIT */
/*
 * trace.h - the decision trace: every check the dispatcher makes, its
 * outcome and the kernel function whose check it models, handed to the
 * callback installed on the mm with uffdops_trace_set().
 */
#ifndef UFFDOPS_TRACE_H
#define UFFDOPS_TRACE_H

#include <pthread.h>
#include <stdatomic.h>

#include "internal.h"

/**
 * struct trace_hook - an mm's trace callback.
 * @fn: the callback, NULL when tracing is off (read without the lock on
 *	the fast path).
 * @data: handed to @fn.
 * @lock: taken for reading around a call, for writing to change @fn/@data,
 *	so that a callback is never called after uffdops_trace_set() removed it.
 */
struct trace_hook {
	_Atomic(uffdops_trace_fn) fn;
	void *data;
	pthread_rwlock_t lock;
};

/** trace_hook_init() - an empty hook. */
void trace_hook_init(struct trace_hook *hook);

/** trace_hook_destroy() - release the hook's lock. */
void trace_hook_destroy(struct trace_hook *hook);

/**
 * trace_check() - report one check to @mm's trace callback.
 * @mm: the address space whose callback receives it.
 * @op: the operation, e.g. "UFFDIO_REGISTER".
 * @check: what was checked, in words.
 * @kernel_function: the kernel function whose check this models.
 * @result: 0 when the check passed, else the negative errno it produced.
 * @addr: the address concerned, or 0.
 *
 * With no callback installed this is one relaxed load.
 *
 * Return: @result, so that a check reads `ret = trace_check(...)`.
 */
int trace_check(struct uffdops_mm *mm, const char *op, const char *check,
		const char *kernel_function, int result, unsigned long addr);

#endif /* UFFDOPS_TRACE_H */
