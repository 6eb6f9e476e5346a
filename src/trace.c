/* SPDX-License-Identifier: MIT */
/*
 * trace.c - the decision trace: each check the model makes, with its
 * outcome and the kernel function whose check it models, is handed to the
 * callback installed on the mm, so a user can ask why a call failed.
 */
#include <errno.h>

#include "mm.h"
#include "trace.h"

void trace_hook_init(struct trace_hook *hook)
{
	atomic_init(&hook->fn, NULL);
	hook->data = NULL;
	pthread_rwlock_init(&hook->lock, NULL);
}

void trace_hook_destroy(struct trace_hook *hook)
{
	pthread_rwlock_destroy(&hook->lock);
}

int trace_check(struct uffdops_mm *mm, const char *op, const char *check,
		const char *kernel_function, int result, unsigned long addr)
{
	struct trace_hook *hook = &mm->trace;
	struct uffdops_trace_event ev = {
		.op = op,
		.check = check,
		.kernel_function = kernel_function,
		.result = result,
		.addr = addr,
	};
	uffdops_trace_fn fn;

	if (__builtin_expect(
		    !atomic_load_explicit(&hook->fn, memory_order_relaxed), 1))
		return result;
	pthread_rwlock_rdlock(&hook->lock);
	fn = atomic_load_explicit(&hook->fn, memory_order_relaxed);
	if (fn)
		fn(&ev, hook->data);
	pthread_rwlock_unlock(&hook->lock);
	return result;
}

int uffdops_trace_set(struct uffdops_mm *mm, uffdops_trace_fn fn, void *data)
{
	struct trace_hook *hook;

	if (!mm)
		return -EINVAL;
	hook = &mm->trace;
	pthread_rwlock_wrlock(&hook->lock);
	hook->data = data;
	atomic_store_explicit(&hook->fn, fn, memory_order_relaxed);
	pthread_rwlock_unlock(&hook->lock);
	return 0;
}
