/* SPDX-License-Identifier: MIT */
/*
 * folio.h - folios, inodes with their page caches, and open files
 * (include/linux/mm_types.h struct folio, struct inode, struct file).
 *
 * Lock order (outermost first):
 *   mm->lock (mmap_lock) -> inode->i_rwsem -> folio lock ->
 *   inode->i_mmap_lock -> mm->ptl -> inode->i_pages_lock
 * i_pages_lock is a leaf: it guards the page cache tree, i_size and
 * folio->mapping/index; it is never held while sleeping on a folio lock.
 */
#ifndef UFFDOPS_FOLIO_H
#define UFFDOPS_FOLIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/queue.h>

#include <bsd/sys/tree.h>

#include "internal.h"

struct memtype;
struct uffdops_vma;

/* FMODE_* bits of struct file (include/linux/fs.h). */
#define FMODE_READ 0x1U
#define FMODE_WRITE 0x2U

/** MAX_FOLIO_ORDER - the largest order uffdops_folio_alloc() accepts (1 GiB). */
#define MAX_FOLIO_ORDER 18

/**
 * struct uffdops_folio - 2^order pages of real data.
 * @refcount: folio_ref_count(); the page cache, each PTE and each temporary
 *	user hold one.
 * @mapcount: how many page-table entries map (any page of) the folio.
 * @order: folio_order().
 * @anon: folio_test_anon(): a private (anonymous or CoW) page, never cached.
 * @locked: PG_locked, guarded by @lock_mutex; waiters sleep on @lock_wait.
 * @mapping: the inode whose cache holds it, or NULL (guarded by the
 *	inode's i_pages_lock; stable while the folio is locked).
 * @index: its first page index in @mapping.
 * @pfn: simulated frame number of its first page (never 0).
 * @node: position in the page cache tree.
 * @data: 4096 << @order bytes.
 */
struct uffdops_folio {
	atomic_long refcount;
	atomic_long mapcount;
	unsigned int order;
	bool anon;
	bool locked;
	pthread_mutex_t lock_mutex;
	pthread_cond_t lock_wait;
	struct uffdops_inode *mapping;
	pgoff_t index;
	unsigned long pfn;
	RB_ENTRY(uffdops_folio) node;
	unsigned char *data;
};

RB_HEAD(folio_tree, uffdops_folio);
LIST_HEAD(vma_list, uffdops_vma);

/**
 * struct uffdops_inode - an inode with its page cache (struct address_space).
 * @mt: the memory type, held with memtype_get().
 * @refcount: open files and internal users (anonymous shared mappings).
 * @ino: inode number shown in /proc/pid/maps.
 * @i_rwsem: serializes size changes (inode_lock()).
 * @i_pages_lock: guards @i_size, @i_pages, @nrpages and folio->mapping.
 * @i_size: size in bytes.
 * @i_pages: cached folios by first index.
 * @nrpages: pages cached (a huge folio counts 2^order).
 * @i_mmap_lock: guards @i_mmap (i_mmap_rwsem).
 * @i_mmap: VMAs mapping the inode (the kernel's i_mmap interval tree).
 * @i_anon: made by mmap() for MAP_SHARED|MAP_ANONYMOUS or MAP_HUGETLB
 *	(shmem_zero_setup(), hugetlb_file_setup()), never opened by name.
 */
struct uffdops_inode {
	struct memtype *mt;
	atomic_long refcount;
	unsigned long ino;
	pthread_mutex_t i_rwsem;
	pthread_mutex_t i_pages_lock;
	unsigned long i_size;
	struct folio_tree i_pages;
	unsigned long nrpages;
	pthread_mutex_t i_mmap_lock;
	struct vma_list i_mmap;
	bool i_anon;
};

/**
 * struct uffdops_file - an open file: an inode and an access mode.
 * @inode: the inode (one reference held).
 * @f_mode: FMODE_READ | FMODE_WRITE.
 * @refcount: the opener's reference and one per VMA mapping it (get_file()).
 */
struct uffdops_file {
	struct uffdops_inode *inode;
	unsigned int f_mode;
	atomic_long refcount;
};

/** folio_nr_pages() - pages in @folio. */
static inline unsigned long folio_nr_pages(const struct uffdops_folio *folio)
{
	return 1UL << folio->order;
}

/** folio_size() - bytes in @folio. */
static inline unsigned long folio_size(const struct uffdops_folio *folio)
{
	return PAGE_SIZE << folio->order;
}

/** folio_trylock() - lock @folio if nobody holds it. */
bool folio_trylock(struct uffdops_folio *folio);

/** folio_mapcount_inc()/folio_mapcount_dec() - one more/less PTE maps it. */
static inline void folio_mapcount_inc(struct uffdops_folio *folio)
{
	atomic_fetch_add_explicit(&folio->mapcount, 1, memory_order_relaxed);
}

static inline void folio_mapcount_dec(struct uffdops_folio *folio)
{
	atomic_fetch_sub_explicit(&folio->mapcount, 1, memory_order_relaxed);
}

static inline long folio_mapcount(const struct uffdops_folio *folio)
{
	return atomic_load_explicit(&folio->mapcount, memory_order_relaxed);
}

static inline long folio_ref_count(const struct uffdops_folio *folio)
{
	return atomic_load_explicit(&folio->refcount, memory_order_acquire);
}

/**
 * folio_copy_new() - a new anonymous folio of 2^@order pages holding a copy
 * of @src's data from its page @src_idx on, or zeros when @src is NULL (the
 * shared zero page). Returns NULL on -ENOMEM.
 */
struct uffdops_folio *folio_copy_new(const struct uffdops_folio *src,
				     unsigned int src_idx, unsigned int order);

/** folio_order_for_size() - the order of a folio of @page_size bytes. */
unsigned int folio_order_for_size(unsigned long page_size);

/* Inodes and files. */

/**
 * inode_create() - a new inode of type @mt (one memtype reference taken
 * over from the caller) and size @size, with one reference.
 */
struct uffdops_inode *inode_create(struct memtype *mt, unsigned long size);

/** inode_get()/inode_put() - take/drop an inode reference. */
void inode_get(struct uffdops_inode *inode);
void inode_put(struct uffdops_inode *inode);

/** inode_page_size() - the page size of the inode's memory type. */
unsigned long inode_page_size(const struct uffdops_inode *inode);

/** i_size_read() - the inode's size under its lock. */
unsigned long i_size_read(struct uffdops_inode *inode);

/**
 * file_alloc() - an open file on @inode (takes its own inode reference)
 * with @f_mode and one reference.
 */
struct uffdops_file *file_alloc(struct uffdops_inode *inode,
				unsigned int f_mode);

/** get_file()/fput() - take/drop a file reference. */
void get_file(struct uffdops_file *file);
void fput(struct uffdops_file *file);

/**
 * filemap_find_locked() - the folio covering @index, or NULL; the caller
 * holds @inode->i_pages_lock and gets no reference (filemap_get_entry()).
 */
struct uffdops_folio *filemap_find_locked(struct uffdops_inode *inode,
					  pgoff_t index);

/**
 * filemap_lookup_locked() - __filemap_get_folio(FGP_LOCK) that also checks
 * the folio is still cached after the lock is taken. Returns the locked
 * folio with a reference, or NULL.
 */
struct uffdops_folio *filemap_lookup_locked(struct uffdops_inode *inode,
					    pgoff_t index);

/**
 * filemap_get_or_create() - the locked, referenced folio cached at @index,
 * allocating a zeroed one of the type's size when none is cached
 * (shmem_get_folio(SGP_CACHE), hugetlbfs_pagecache_get + alloc).
 * Return: 0; -EFAULT when @index is at or beyond EOF; -ENOMEM.
 */
int filemap_get_or_create(struct uffdops_inode *inode, pgoff_t index,
			  struct uffdops_folio **foliop);

/**
 * inode_punch_hole() - fallocate(PUNCH_HOLE | KEEP_SIZE) of [@offset,
 * @offset + @len): unmap and drop the whole pages, zero partial ones.
 * Return: 0, or -EOPNOTSUPP for a type without ->fallocate (user types).
 */
int inode_punch_hole(struct uffdops_inode *inode, unsigned long offset,
		     unsigned long len);

/**
 * i_mmap_link()/i_mmap_unlink() - add/remove @vma on its inode's i_mmap
 * list (vma_link_file(), unlink_file_vma()).
 */
void i_mmap_link(struct uffdops_inode *inode, struct uffdops_vma *vma);
void i_mmap_unlink(struct uffdops_inode *inode, struct uffdops_vma *vma);

#endif /* UFFDOPS_FOLIO_H */
