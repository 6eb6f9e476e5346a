/* SPDX-License-Identifier: MIT */
/*
 * registry.c - memory types: registration, lookup, unregistration.
 *
 * A memory type is registered only if its descriptor and ops table keep the
 * vm_uffd_ops contract (contract.c). Both ops generations are then folded
 * into one struct uffd_caps. The built-in types are registered through the
 * same checks the first time the registry is used.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "registry.h"

static TAILQ_HEAD(memtype_list,
		  memtype) registry = TAILQ_HEAD_INITIALIZER(registry);
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static struct memtype *find_locked(const char *name)
{
	struct memtype *mt;

	if (!name)
		return NULL;
	TAILQ_FOREACH(mt, &registry, link)
		if (!strcmp(mt->name, name))
			return mt;
	return NULL;
}

/* Folds either ops generation into the capability record the core uses. */
static void caps_normalize(const struct uffdops_memtype_desc *desc,
			   struct uffd_caps *caps)
{
	const struct vm_uffd_ops_v7_1 *v71 = desc->uffd_ops_v7_1;
	const struct vm_uffd_ops *ops = desc->uffd_ops;

	memset(caps, 0, sizeof(*caps));
	/* vma_is_anonymous(): no vm_file behind the VMA. */
	caps->anonymous = !(desc->flags & UFFDOPS_MEMTYPE_FILE);
	/* is_vm_hugetlb_page(): mapped in huge pages at PMD/PUD level. */
	caps->hugetlb = desc->page_size > PAGE_SIZE;
	caps->droppable = desc->flags & UFFDOPS_MEMTYPE_DROPPABLE;

	if (ops) {
		/* Peter Xu's table states modes and ioctls outright. */
		caps->generation = UFFDOPS_OPS_PROPOSAL;
		caps->modes = ops->uffd_features & __VM_UFFD_FLAGS;
		caps->ioctls = (ops->uffd_ioctls & UFFDOPS_API_RANGE_IOCTLS) |
			       UFFDOPS_IOCTL_BIT(_UFFDIO_WAKE);
	} else if (v71) {
		/*
		 * The 7.1 table has no masks: can_userfault() decides per VMA,
		 * CONTINUE needs get_folio_noalloc(), MOVE anonymous memory.
		 */
		caps->generation = UFFDOPS_OPS_V7_1;
		caps->modes = VM_UFFD_MISSING | VM_UFFD_WP;
		caps->ioctls = UFFDOPS_IOCTL_BIT(_UFFDIO_WAKE) |
			       UFFDOPS_IOCTL_BIT(_UFFDIO_COPY) |
			       UFFDOPS_IOCTL_BIT(_UFFDIO_ZEROPAGE) |
			       UFFDOPS_IOCTL_BIT(_UFFDIO_WRITEPROTECT) |
			       UFFDOPS_IOCTL_BIT(_UFFDIO_POISON);
		if (v71->get_folio_noalloc) {
			caps->modes |= VM_UFFD_MINOR;
			caps->ioctls |= UFFDOPS_IOCTL_BIT(_UFFDIO_CONTINUE);
		}
		if (caps->anonymous)
			caps->ioctls |= UFFDOPS_IOCTL_BIT(_UFFDIO_MOVE);
	} else {
		caps->generation = UFFDOPS_OPS_NONE;
	}
}

static int register_locked(const struct uffdops_memtype_desc *desc,
			   bool builtin, struct uffdops_explain *explain)
{
	struct memtype *mt;

	if (contract_check(desc, find_locked(desc ? desc->name : NULL) != NULL,
			   explain))
		return -EINVAL;

	mt = calloc(1, sizeof(*mt));
	if (!mt)
		return -ENOMEM;
	mt->desc = *desc;
	strcpy(mt->name, desc->name);
	mt->desc.name = mt->name;
	mt->builtin = builtin;
	caps_normalize(desc, &mt->caps);
	TAILQ_INSERT_TAIL(&registry, mt, link);
	return 0;
}

static void registry_init(void)
{
	static const struct uffdops_memtype_desc *const builtins[] = {
		&anon_memtype,
		&shmem_memtype,
		&hugetlb_memtype,
		&file_memtype,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(builtins); i++)
		if (register_locked(builtins[i], true, NULL))
			abort(); /* a built-in table breaking the contract is a library bug */
}

static void registry_enter(void)
{
	pthread_once(&registry_once, registry_init);
	pthread_mutex_lock(&registry_lock);
}

static void registry_leave(void)
{
	pthread_mutex_unlock(&registry_lock);
}

int uffdops_memtype_register(const struct uffdops_memtype_desc *desc,
			     struct uffdops_explain *explain)
{
	int ret;

	registry_enter();
	ret = register_locked(desc, false, explain);
	registry_leave();
	return ret;
}

int uffdops_memtype_check(const struct uffdops_memtype_desc *desc,
			  struct uffdops_explain *explain)
{
	int ret;

	registry_enter();
	ret = contract_check(desc,
			     find_locked(desc ? desc->name : NULL) != NULL,
			     explain) ?
		      -EINVAL :
		      0;
	registry_leave();
	return ret;
}

int uffdops_memtype_unregister(const char *name)
{
	struct memtype *mt;
	int ret = 0;

	registry_enter();
	mt = find_locked(name);
	if (!mt)
		ret = -ENOENT;
	else if (mt->builtin)
		ret = -EPERM;
	else if (atomic_load_explicit(&mt->users, memory_order_acquire))
		ret = -EBUSY;
	else
		TAILQ_REMOVE(&registry, mt, link);
	registry_leave();
	if (!ret)
		free(mt);
	return ret;
}

static void fill_info(const struct memtype *mt,
		      struct uffdops_memtype_info *info)
{
	memset(info, 0, sizeof(*info));
	strcpy(info->name, mt->name);
	info->page_size = mt->desc.page_size;
	info->flags = mt->desc.flags;
	info->generation = mt->caps.generation;
	info->builtin = mt->builtin;
	info->modes = mt->caps.modes;
	info->ioctls = mt->caps.ioctls;
	info->users = atomic_load_explicit(&mt->users, memory_order_relaxed);
}

int uffdops_memtype_lookup(const char *name, struct uffdops_memtype_info *info)
{
	struct memtype *mt;

	registry_enter();
	mt = find_locked(name);
	if (mt && info)
		fill_info(mt, info);
	registry_leave();
	return mt ? 0 : -ENOENT;
}

int uffdops_memtype_list(struct uffdops_memtype_info *out, size_t n)
{
	struct memtype *mt;
	int count = 0;

	registry_enter();
	TAILQ_FOREACH(mt, &registry, link) {
		if (out && (size_t)count < n)
			fill_info(mt, &out[count]);
		count++;
	}
	registry_leave();
	return count;
}

struct memtype *memtype_get(const char *name)
{
	struct memtype *mt;

	registry_enter();
	mt = find_locked(name);
	if (mt)
		memtype_dup(mt);
	registry_leave();
	return mt;
}

/*
 * A duplicate is only taken by a holder, so the count cannot reach zero under
 * uffdops_memtype_unregister()'s check while one is in flight: no lock needed.
 */
void memtype_dup(struct memtype *mt)
{
	atomic_fetch_add_explicit(&mt->users, 1, memory_order_relaxed);
}

void memtype_put(struct memtype *mt)
{
	atomic_fetch_sub_explicit(&mt->users, 1, memory_order_release);
}
