/* SPDX-License-Identifier: MIT */
/*
 * folio.c - folios with real data, inodes with page caches, open files
 * (mm/filemap.c, mm/truncate.c, mm/shmem.c, fs/open.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "folio.h"
#include "mm.h"
#include "registry.h"

static int folio_cmp(const struct uffdops_folio *a,
		     const struct uffdops_folio *b)
{
	return a->index < b->index ? -1 : a->index > b->index;
}

RB_GENERATE_INTERNAL(folio_tree, uffdops_folio, node, folio_cmp,
		     static __attribute__((unused)))

/* Simulated frame numbers: unique per page, 0 is left for the zero page. */
static atomic_ulong next_pfn = 0x1000;
static atomic_ulong next_ino = 1;

unsigned int folio_order_for_size(unsigned long page_size)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < page_size)
		order++;
	return order;
}

/*
 * Freed folio data kept for reuse, the model's counterpart of the page
 * allocator's free lists. glibc gives freed heap memory back to the kernel
 * (it trims the top of the heap), so without this every new folio's data
 * would take real page faults on first touch, the main cost of a fill.
 * Bounded to FOLIO_CACHE_BYTES in all, newest first per order; what does not
 * fit goes back to free(). Cached buffers stay reachable from here, so leak
 * checkers see no leak, and are poisoned under AddressSanitizer so that a
 * use after folio_put() is still reported.
 */
#define FOLIO_CACHE_BYTES (16UL << 20)

#if defined(__SANITIZE_ADDRESS__)
#define FOLIO_CACHE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FOLIO_CACHE_ASAN 1
#endif
#endif
#ifdef FOLIO_CACHE_ASAN
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

struct folio_cache_order {
	void **bufs; /* room for FOLIO_CACHE_BYTES of this order */
	unsigned long nr;
};

static struct {
	pthread_mutex_t lock;
	unsigned long bytes; /* cached, all orders together */
	struct folio_cache_order order[MAX_FOLIO_ORDER + 1];
} folio_cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* 2^@order zeroed pages: cached data wiped, or new from calloc(). */
static void *folio_data_alloc(unsigned int order)
{
	struct folio_cache_order *c = &folio_cache.order[order];
	unsigned long size = PAGE_SIZE << order;
	void *buf = NULL;

	pthread_mutex_lock(&folio_cache.lock);
	if (c->nr) {
		buf = c->bufs[--c->nr];
		folio_cache.bytes -= size;
	}
	pthread_mutex_unlock(&folio_cache.lock);
	if (!buf)
		return calloc(1, size);
	ASAN_UNPOISON_MEMORY_REGION(buf, size);
	return memset(buf, 0, size);
}

/* Keep @buf, 2^@order pages, for reuse if the cache has room; else free it. */
static void folio_data_free(void *buf, unsigned int order)
{
	struct folio_cache_order *c = &folio_cache.order[order];
	unsigned long size = PAGE_SIZE << order;
	bool kept = false;

	ASAN_POISON_MEMORY_REGION(buf, size);
	pthread_mutex_lock(&folio_cache.lock);
	if (folio_cache.bytes + size <= FOLIO_CACHE_BYTES) {
		if (!c->bufs)
			c->bufs = malloc((FOLIO_CACHE_BYTES / size) *
					 sizeof(void *));
		if (c->bufs) {
			c->bufs[c->nr++] = buf;
			folio_cache.bytes += size;
			kept = true;
		}
	}
	pthread_mutex_unlock(&folio_cache.lock);
	if (!kept) {
		ASAN_UNPOISON_MEMORY_REGION(buf, size);
		free(buf);
	}
}

int uffdops_folio_alloc(unsigned int order, struct uffdops_folio **foliop)
{
	struct uffdops_folio *folio;

	/* folio_alloc(): orders above MAX_PAGE_ORDER cannot be allocated. */
	if (order > MAX_FOLIO_ORDER)
		return -EINVAL;
	if (!foliop)
		return -EINVAL;
	folio = calloc(1, sizeof(*folio));
	if (!folio)
		return -ENOMEM;
	folio->data = folio_data_alloc(order);
	if (!folio->data) {
		free(folio);
		return -ENOMEM;
	}
	atomic_init(&folio->refcount, 1);
	atomic_init(&folio->mapcount, 0);
	folio->order = order;
	pthread_mutex_init(&folio->lock_mutex, NULL);
	pthread_cond_init(&folio->lock_wait, NULL);
	folio->pfn = atomic_fetch_add(&next_pfn, 1UL << order);
	*foliop = folio;
	return 0;
}

struct uffdops_folio *folio_copy_new(const struct uffdops_folio *src,
				     unsigned int src_idx, unsigned int order)
{
	struct uffdops_folio *folio;

	if (uffdops_folio_alloc(order, &folio))
		return NULL;
	if (src)
		memcpy(folio->data, src->data + src_idx * PAGE_SIZE,
		       folio_size(folio));
	folio->anon = true;
	return folio;
}

void uffdops_folio_get(struct uffdops_folio *folio)
{
	atomic_fetch_add_explicit(&folio->refcount, 1, memory_order_relaxed);
}

void uffdops_folio_put(struct uffdops_folio *folio)
{
	if (!folio)
		return;
	if (atomic_fetch_sub_explicit(&folio->refcount, 1,
				      memory_order_acq_rel) != 1)
		return;
	pthread_mutex_destroy(&folio->lock_mutex);
	pthread_cond_destroy(&folio->lock_wait);
	folio_data_free(folio->data, folio->order);
	free(folio);
}

void uffdops_folio_lock(struct uffdops_folio *folio)
{
	pthread_mutex_lock(&folio->lock_mutex);
	while (folio->locked)
		pthread_cond_wait(&folio->lock_wait, &folio->lock_mutex);
	folio->locked = true;
	pthread_mutex_unlock(&folio->lock_mutex);
}

bool folio_trylock(struct uffdops_folio *folio)
{
	bool got;

	pthread_mutex_lock(&folio->lock_mutex);
	got = !folio->locked;
	folio->locked = true;
	pthread_mutex_unlock(&folio->lock_mutex);
	return got;
}

void uffdops_folio_unlock(struct uffdops_folio *folio)
{
	pthread_mutex_lock(&folio->lock_mutex);
	folio->locked = false;
	pthread_cond_broadcast(&folio->lock_wait);
	pthread_mutex_unlock(&folio->lock_mutex);
}

bool uffdops_folio_test_locked(const struct uffdops_folio *folio)
{
	struct uffdops_folio *f = (struct uffdops_folio *)folio;
	bool locked;

	pthread_mutex_lock(&f->lock_mutex);
	locked = f->locked;
	pthread_mutex_unlock(&f->lock_mutex);
	return locked;
}

void *uffdops_folio_data(struct uffdops_folio *folio)
{
	return folio->data;
}

unsigned int uffdops_folio_order(const struct uffdops_folio *folio)
{
	return folio->order;
}

/* ------------------------------------------------------------------------ */
/* Inodes and their page caches.                                             */
/* ------------------------------------------------------------------------ */

struct uffdops_inode *inode_create(struct memtype *mt, unsigned long size)
{
	struct uffdops_inode *inode = calloc(1, sizeof(*inode));

	if (!inode)
		return NULL;
	inode->mt = mt;
	atomic_init(&inode->refcount, 1);
	inode->ino = atomic_fetch_add(&next_ino, 1);
	pthread_mutex_init(&inode->i_rwsem, NULL);
	pthread_mutex_init(&inode->i_pages_lock, NULL);
	pthread_mutex_init(&inode->i_mmap_lock, NULL);
	inode->i_size = size;
	RB_INIT(&inode->i_pages);
	LIST_INIT(&inode->i_mmap);
	return inode;
}

void inode_get(struct uffdops_inode *inode)
{
	atomic_fetch_add_explicit(&inode->refcount, 1, memory_order_relaxed);
}

/* Drops every cached folio; only the last reference holder may do this. */
static void inode_evict(struct uffdops_inode *inode)
{
	struct uffdops_folio *folio, *next;

	RB_FOREACH_SAFE(folio, folio_tree, &inode->i_pages, next) {
		RB_REMOVE(folio_tree, &inode->i_pages, folio);
		folio->mapping = NULL;
		uffdops_folio_put(folio);
	}
}

void inode_put(struct uffdops_inode *inode)
{
	if (atomic_fetch_sub_explicit(&inode->refcount, 1,
				      memory_order_acq_rel) != 1)
		return;
	inode_evict(inode);
	memtype_put(inode->mt);
	pthread_mutex_destroy(&inode->i_rwsem);
	pthread_mutex_destroy(&inode->i_pages_lock);
	pthread_mutex_destroy(&inode->i_mmap_lock);
	free(inode);
}

unsigned long inode_page_size(const struct uffdops_inode *inode)
{
	return inode->mt->desc.page_size;
}

unsigned long i_size_read(struct uffdops_inode *inode)
{
	unsigned long size;

	pthread_mutex_lock(&inode->i_pages_lock);
	size = inode->i_size;
	pthread_mutex_unlock(&inode->i_pages_lock);
	return size;
}

unsigned long uffdops_inode_size(const struct uffdops_inode *inode)
{
	return i_size_read((struct uffdops_inode *)inode);
}

struct uffdops_folio *filemap_find_locked(struct uffdops_inode *inode,
					  pgoff_t index)
{
	struct uffdops_folio key = { .index = index }, *folio;

	folio = RB_NFIND(folio_tree, &inode->i_pages, &key);
	if (folio && folio->index == index)
		return folio;
	folio = folio ? RB_PREV(folio_tree, &inode->i_pages, folio) :
			RB_MAX(folio_tree, &inode->i_pages);
	if (folio && index - folio->index < folio_nr_pages(folio))
		return folio;
	return NULL;
}

struct uffdops_folio *filemap_lookup_locked(struct uffdops_inode *inode,
					    pgoff_t index)
{
	struct uffdops_folio *folio;

	for (;;) {
		pthread_mutex_lock(&inode->i_pages_lock);
		folio = filemap_find_locked(inode, index);
		if (folio)
			uffdops_folio_get(folio);
		pthread_mutex_unlock(&inode->i_pages_lock);
		if (!folio)
			return NULL;
		uffdops_folio_lock(folio);
		/* filemap_get_entry() + folio_lock(): truncated meanwhile? */
		pthread_mutex_lock(&inode->i_pages_lock);
		if (folio->mapping == inode) {
			pthread_mutex_unlock(&inode->i_pages_lock);
			return folio;
		}
		pthread_mutex_unlock(&inode->i_pages_lock);
		uffdops_folio_unlock(folio);
		uffdops_folio_put(folio);
	}
}

int uffdops_filemap_get_folio(struct uffdops_inode *inode, pgoff_t index,
			      struct uffdops_folio **foliop)
{
	struct uffdops_folio *folio;

	if (!inode || !foliop)
		return -EINVAL;
	folio = filemap_lookup_locked(inode, index);
	if (!folio)
		return -ENOENT;
	*foliop = folio;
	return 0;
}

/* __filemap_add_folio() with i_pages_lock held. */
static int filemap_add_locked(struct uffdops_inode *inode,
			      struct uffdops_folio *folio, pgoff_t index)
{
	pgoff_t last = index + folio_nr_pages(folio) - 1;
	struct uffdops_folio key = { .index = index }, *next;

	if (filemap_find_locked(inode, index))
		return -EEXIST;
	next = RB_NFIND(folio_tree, &inode->i_pages, &key);
	if (next && next->index <= last)
		return -EEXIST;
	uffdops_folio_get(folio);
	folio->mapping = inode;
	folio->index = index;
	folio->anon = false;
	RB_INSERT(folio_tree, &inode->i_pages, folio);
	inode->nrpages += folio_nr_pages(folio);
	return 0;
}

int uffdops_filemap_add_folio(struct uffdops_inode *inode,
			      struct uffdops_folio *folio, pgoff_t index)
{
	int ret;

	if (!inode || !folio)
		return -EINVAL;
	/* filemap_add_folio(): the index must be aligned to the folio. */
	if (!IS_ALIGNED(index, folio_nr_pages(folio)))
		return -EINVAL;
	pthread_mutex_lock(&inode->i_pages_lock);
	if (folio->mapping || folio->anon)
		ret = -EINVAL;
	else
		ret = filemap_add_locked(inode, folio, index);
	pthread_mutex_unlock(&inode->i_pages_lock);
	return ret;
}

void uffdops_filemap_remove_folio(struct uffdops_folio *folio)
{
	struct uffdops_inode *inode;

	if (!folio)
		return;
	inode = folio->mapping;
	if (!inode)
		return;
	pthread_mutex_lock(&inode->i_pages_lock);
	if (folio->mapping != inode) {
		pthread_mutex_unlock(&inode->i_pages_lock);
		return;
	}
	RB_REMOVE(folio_tree, &inode->i_pages, folio);
	inode->nrpages -= folio_nr_pages(folio);
	folio->mapping = NULL;
	pthread_mutex_unlock(&inode->i_pages_lock);
	uffdops_folio_put(folio);
}

int filemap_get_or_create(struct uffdops_inode *inode, pgoff_t index,
			  struct uffdops_folio **foliop)
{
	unsigned int order = folio_order_for_size(inode_page_size(inode));
	struct uffdops_folio *folio;
	int ret;

	for (;;) {
		folio = filemap_lookup_locked(inode, index);
		if (folio) {
			/* shmem_get_folio_gfp(): recheck EOF under the lock. */
			if (index >=
			    DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE)) {
				uffdops_folio_unlock(folio);
				uffdops_folio_put(folio);
				return -EFAULT;
			}
			*foliop = folio;
			return 0;
		}
		ret = uffdops_folio_alloc(order, &folio);
		if (ret)
			return ret;
		folio_trylock(folio);
		pthread_mutex_lock(&inode->i_pages_lock);
		if (index >= DIV_ROUND_UP(inode->i_size, PAGE_SIZE))
			ret = -EFAULT;
		else
			ret = filemap_add_locked(
				inode, folio,
				ALIGN_DOWN(index, folio_nr_pages(folio)));
		pthread_mutex_unlock(&inode->i_pages_lock);
		if (!ret) {
			/* The cache holds its reference; ours goes to the caller. */
			*foliop = folio;
			return 0;
		}
		uffdops_folio_unlock(folio);
		uffdops_folio_put(folio);
		if (ret != -EEXIST)
			return ret;
	}
}

void i_mmap_link(struct uffdops_inode *inode, struct uffdops_vma *vma)
{
	pthread_mutex_lock(&inode->i_mmap_lock);
	LIST_INSERT_HEAD(&inode->i_mmap, vma, shared);
	pthread_mutex_unlock(&inode->i_mmap_lock);
}

void i_mmap_unlink(struct uffdops_inode *inode, struct uffdops_vma *vma)
{
	pthread_mutex_lock(&inode->i_mmap_lock);
	LIST_REMOVE(vma, shared);
	pthread_mutex_unlock(&inode->i_mmap_lock);
}

/* ------------------------------------------------------------------------ */
/* Open files.                                                               */
/* ------------------------------------------------------------------------ */

struct uffdops_file *file_alloc(struct uffdops_inode *inode,
				unsigned int f_mode)
{
	struct uffdops_file *file = calloc(1, sizeof(*file));

	if (!file)
		return NULL;
	inode_get(inode);
	file->inode = inode;
	file->f_mode = f_mode;
	atomic_init(&file->refcount, 1);
	return file;
}

void get_file(struct uffdops_file *file)
{
	atomic_fetch_add_explicit(&file->refcount, 1, memory_order_relaxed);
}

void fput(struct uffdops_file *file)
{
	if (atomic_fetch_sub_explicit(&file->refcount, 1,
				      memory_order_acq_rel) != 1)
		return;
	inode_put(file->inode);
	free(file);
}

/* The largest size a file may have (MAX_LFS_FILESIZE on 64-bit). */
#define MAX_LFS_FILESIZE ((unsigned long)LONG_MAX)

/* A size the type accepts: huge types need whole huge pages. */
static bool size_ok(const struct memtype *mt, unsigned long size)
{
	if (size > MAX_LFS_FILESIZE)
		return false;
	/* hugetlbfs_setattr(): the size must be a multiple of the huge page. */
	return mt->desc.page_size <= PAGE_SIZE ||
	       IS_ALIGNED(size, mt->desc.page_size);
}

int uffdops_file_create(const char *memtype, unsigned long size,
			struct uffdops_file **filep)
{
	struct uffdops_inode *inode;
	struct uffdops_file *file;
	struct memtype *mt;

	if (!filep)
		return -EINVAL;
	mt = memtype_get(memtype);
	if (!mt)
		return -ENOENT;
	if (mt->caps.anonymous || !size_ok(mt, size)) {
		memtype_put(mt);
		return -EINVAL;
	}
	inode = inode_create(mt, size);
	if (!inode) {
		memtype_put(mt);
		return -ENOMEM;
	}
	file = file_alloc(inode, FMODE_READ | FMODE_WRITE);
	inode_put(inode);
	if (!file)
		return -ENOMEM;
	*filep = file;
	return 0;
}

int uffdops_file_open(struct uffdops_file *file, int flags,
		      struct uffdops_file **newp)
{
	static const unsigned int modes[] = {
		[O_RDONLY] = FMODE_READ,
		[O_WRONLY] = FMODE_WRITE,
		[O_RDWR] = FMODE_READ | FMODE_WRITE,
	};
	struct uffdops_file *nf;

	if (!file || !newp || (flags & ~O_ACCMODE) ||
	    (flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	nf = file_alloc(file->inode, modes[flags & O_ACCMODE]);
	if (!nf)
		return -ENOMEM;
	*newp = nf;
	return 0;
}

void uffdops_file_close(struct uffdops_file *file)
{
	if (file)
		fput(file);
}

struct uffdops_inode *uffdops_file_inode(const struct uffdops_file *file)
{
	return file ? file->inode : NULL;
}

/*
 * truncate_inode_pages_range() on whole folios of [@lstart, @lend): lock
 * each, unmap it everywhere, drop it from the cache. A folio only partly in
 * the range keeps its pages and has the covered bytes zeroed
 * (truncate_inode_partial_folio()).
 */
static void truncate_cache_range(struct uffdops_inode *inode,
				 unsigned long lstart, unsigned long lend)
{
	pgoff_t index = lstart / PAGE_SIZE;
	struct uffdops_folio *folio;

	while (index * PAGE_SIZE < lend) {
		unsigned long fstart, fend, zs, ze;
		struct uffdops_folio key = { .index = index };

		pthread_mutex_lock(&inode->i_pages_lock);
		folio = filemap_find_locked(inode, index);
		if (!folio)
			folio = RB_NFIND(folio_tree, &inode->i_pages, &key);
		if (folio)
			uffdops_folio_get(folio);
		pthread_mutex_unlock(&inode->i_pages_lock);
		if (!folio)
			return;
		uffdops_folio_lock(folio);
		fstart = folio->index * PAGE_SIZE;
		fend = fstart + folio_size(folio);
		index = folio->index + folio_nr_pages(folio);
		if (folio->mapping == inode && fstart < lend) {
			if (fstart >= lstart && fend <= lend) {
				unmap_mapping_range(inode, folio->index,
						    folio_nr_pages(folio),
						    false);
				uffdops_filemap_remove_folio(folio);
			} else {
				zs = fstart > lstart ? fstart : lstart;
				ze = fend < lend ? fend : lend;
				memset(folio->data + (zs - fstart), 0, ze - zs);
			}
		}
		uffdops_folio_unlock(folio);
		uffdops_folio_put(folio);
	}
}

int uffdops_file_truncate(struct uffdops_file *file, unsigned long size)
{
	struct uffdops_inode *inode;
	unsigned long old;

	if (!file)
		return -EINVAL;
	inode = file->inode;
	/* do_sys_ftruncate(): a file not open for writing -> -EINVAL. */
	if (!(file->f_mode & FMODE_WRITE))
		return -EINVAL;
	if (!size_ok(inode->mt, size))
		return -EINVAL;
	pthread_mutex_lock(&inode->i_rwsem);
	pthread_mutex_lock(&inode->i_pages_lock);
	old = inode->i_size;
	inode->i_size = size;
	pthread_mutex_unlock(&inode->i_pages_lock);
	if (size < old) {
		/*
		 * truncate_pagecache(): unmap the pages past EOF (private CoW
		 * copies included), drop them from the cache, unmap again for
		 * racing faults.
		 */
		pgoff_t first = DIV_ROUND_UP(size, PAGE_SIZE);

		unmap_mapping_range(inode, first, ULONG_MAX - first, true);
		truncate_cache_range(inode, size, ULONG_MAX);
		unmap_mapping_range(inode, first, ULONG_MAX - first, true);
	}
	pthread_mutex_unlock(&inode->i_rwsem);
	return 0;
}

int inode_punch_hole(struct uffdops_inode *inode, unsigned long offset,
		     unsigned long len)
{
	unsigned long end = offset + len, psize = inode_page_size(inode);
	pgoff_t first = ALIGN(offset, psize) / PAGE_SIZE;
	pgoff_t last = ALIGN_DOWN(end, psize) / PAGE_SIZE;

	/* Only shmem, hugetlbfs and filesystems implement ->fallocate. */
	if (strcmp(inode->mt->name, "shmem") &&
	    strcmp(inode->mt->name, "hugetlb") &&
	    strcmp(inode->mt->name, "file"))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&inode->i_rwsem);
	/*
	 * shmem_fallocate(PUNCH_HOLE)/hugetlbfs_punch_hole(): unmap the shared
	 * mappings of the whole pages (huge pages for hugetlbfs; private
	 * copies stay), drop them from the cache, zero what is left partly
	 * covered (hugetlbfs_zero_partial_page()).
	 */
	if (last > first)
		unmap_mapping_range(inode, first, last - first, false);
	truncate_cache_range(inode, offset, end);
	pthread_mutex_unlock(&inode->i_rwsem);
	return 0;
}
