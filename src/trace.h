/* SPDX-License-Identifier: MIT */
/*
 * trace.h - the decision trace: every check the dispatcher makes, its
 * outcome and the kernel function whose check it models, handed to the
 * callback installed on the mm with uffdops_trace_set().
 *
 * trace_check() is called at every check; with no callback installed
 * anywhere it costs one relaxed atomic load.
 */
#ifndef UFFDOPS_TRACE_H
#define UFFDOPS_TRACE_H

#include <stdatomic.h>

#include "internal.h"

/* Number of mms with a callback installed (0: tracing is off everywhere). */
extern atomic_uint trace_nr_installed;

/** trace_emit() - hand one event to @mm's callback, if it has one. */
void trace_emit(struct uffdops_mm *mm, const char *op, const char *check,
		const char *kernel_function, int result, unsigned long addr);

/**
 * trace_check() - report one check to @mm's trace callback.
 * @mm: the address space whose callback receives it.
 * @op: the operation, e.g. "UFFDIO_REGISTER".
 * @check: what was checked, in words.
 * @kernel_function: the kernel function whose check this models.
 * @result: 0 when the check passed, else the negative errno it produced.
 * @addr: the address concerned, or 0.
 *
 * Return: @result, so that a check reads `ret = trace_check(...)`.
 */
static inline int trace_check(struct uffdops_mm *mm, const char *op,
			      const char *check, const char *kernel_function,
			      int result, unsigned long addr)
{
	if (__builtin_expect(atomic_load_explicit(&trace_nr_installed,
						  memory_order_relaxed) != 0,
			     0))
		trace_emit(mm, op, check, kernel_function, result, addr);
	return result;
}

/**
 * trace_mm_forget() - drop @mm's callback; uffdops_mm_destroy() calls it so
 * that a later mm at the same address does not inherit the callback.
 */
void trace_mm_forget(struct uffdops_mm *mm);

#endif /* UFFDOPS_TRACE_H */
