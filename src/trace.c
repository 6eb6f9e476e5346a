/* SPDX-License-Identifier: MIT */
/*
 * trace.c - the decision trace. Callbacks are kept per mm in a small table
 * beside the mm (struct uffdops_mm has no field for them); the fast path in
 * trace.h only reads the count of installed callbacks.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "trace.h"

struct trace_slot {
	struct uffdops_mm *mm;
	uffdops_trace_fn fn;
	void *data;
};

atomic_uint trace_nr_installed;

static pthread_rwlock_t trace_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct trace_slot *trace_slots;
static size_t trace_nr_slots;

/* The slot of @mm, or NULL. Caller holds trace_lock. */
static struct trace_slot *trace_find(const struct uffdops_mm *mm)
{
	size_t i;

	for (i = 0; i < trace_nr_slots; i++)
		if (trace_slots[i].mm == mm)
			return &trace_slots[i];
	return NULL;
}

/* Remove @slot from the table. Caller holds trace_lock for writing. */
static void trace_remove(struct trace_slot *slot)
{
	*slot = trace_slots[--trace_nr_slots];
	atomic_store(&trace_nr_installed, (unsigned int)trace_nr_slots);
}

int uffdops_trace_set(struct uffdops_mm *mm, uffdops_trace_fn fn, void *data)
{
	struct trace_slot *slot;
	int ret = 0;

	if (!mm)
		return -EINVAL;
	pthread_rwlock_wrlock(&trace_lock);
	slot = trace_find(mm);
	if (!fn) {
		if (slot)
			trace_remove(slot);
		goto out;
	}
	if (!slot) {
		struct trace_slot *grown;

		grown = realloc(trace_slots,
				(trace_nr_slots + 1) * sizeof(*trace_slots));
		if (!grown) {
			ret = -ENOMEM;
			goto out;
		}
		trace_slots = grown;
		slot = &trace_slots[trace_nr_slots++];
		slot->mm = mm;
		atomic_store(&trace_nr_installed, (unsigned int)trace_nr_slots);
	}
	slot->fn = fn;
	slot->data = data;
out:
	pthread_rwlock_unlock(&trace_lock);
	return ret;
}

void trace_mm_forget(struct uffdops_mm *mm)
{
	struct trace_slot *slot;

	if (!atomic_load(&trace_nr_installed))
		return;
	pthread_rwlock_wrlock(&trace_lock);
	slot = trace_find(mm);
	if (slot)
		trace_remove(slot);
	pthread_rwlock_unlock(&trace_lock);
}

void trace_emit(struct uffdops_mm *mm, const char *op, const char *check,
		const char *kernel_function, int result, unsigned long addr)
{
	struct uffdops_trace_event ev = {
		.op = op,
		.check = check,
		.kernel_function = kernel_function,
		.result = result,
		.addr = addr,
	};
	struct trace_slot *slot;
	uffdops_trace_fn fn = NULL;
	void *data = NULL;

	pthread_rwlock_rdlock(&trace_lock);
	slot = trace_find(mm);
	if (slot) {
		fn = slot->fn;
		data = slot->data;
	}
	pthread_rwlock_unlock(&trace_lock);
	/* Called unlocked: the callback may install or remove callbacks. */
	if (fn)
		fn(&ev, data);
}
