/* SPDX-License-Identifier: MIT */
/*
 * test_folio.c - folios, page caches, files: allocation, references,
 * locking, cache insert/lookup/remove, file creation and truncation.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "folio.h"
#include "mm.h"

static void folio_alloc_basics(void **state)
{
	struct uffdops_folio *f, *h;
	unsigned char *d;
	size_t i;

	(void)state;
	assert_int_equal(uffdops_folio_alloc(19, &f), -EINVAL);
	assert_int_equal(uffdops_folio_alloc(0, NULL), -EINVAL);
	assert_int_equal(uffdops_folio_alloc(0, &f), 0);
	assert_int_equal(uffdops_folio_order(f), 0);
	assert_int_equal(folio_ref_count(f), 1);
	assert_false(uffdops_folio_test_locked(f));
	d = uffdops_folio_data(f);
	for (i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(d[i], 0);
	memset(d, 0x5a, PAGE_SIZE);
	uffdops_folio_get(f);
	assert_int_equal(folio_ref_count(f), 2);
	uffdops_folio_put(f);
	assert_int_equal(((unsigned char *)uffdops_folio_data(f))[100], 0x5a);
	/* A huge folio: 2 MiB of zeros, frame numbers apart by 512. */
	assert_int_equal(uffdops_folio_alloc(9, &h), 0);
	assert_int_equal(uffdops_folio_order(h), 9);
	assert_int_equal(folio_size(h), PMD_SIZE);
	assert_int_equal(((unsigned char *)uffdops_folio_data(h))[PMD_SIZE - 1],
			 0);
	assert_true(h->pfn != f->pfn);
	uffdops_folio_put(h);
	uffdops_folio_put(f);
	uffdops_folio_put(NULL);
}

/*
 * Freed folio data is kept for reuse and wiped when handed out again. Runs
 * first, on an empty cache: every buffer freed here comes straight back.
 */
#define REUSE_NR 64

static void folio_reuse_is_zeroed(void **state)
{
	static const unsigned int orders[] = { 0, 9 };
	struct uffdops_folio *f[REUSE_NR];
	void *old[REUSE_NR];

	(void)state;
	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		unsigned int order = orders[o];
		unsigned long size = PAGE_SIZE << order;
		int nr = order ? 2 : REUSE_NR;

		for (int i = 0; i < nr; i++) {
			assert_int_equal(uffdops_folio_alloc(order, &f[i]), 0);
			old[i] = uffdops_folio_data(f[i]);
			memset(old[i], 0xa5, size);
		}
		for (int i = 0; i < nr; i++)
			uffdops_folio_put(f[i]);
		for (int i = 0; i < nr; i++) {
			unsigned char *d;
			bool reused = false;

			assert_int_equal(uffdops_folio_alloc(order, &f[i]), 0);
			d = uffdops_folio_data(f[i]);
			for (int j = 0; j < nr; j++)
				reused |= old[j] == d;
			assert_true(reused);
			for (unsigned long b = 0; b < size; b++)
				assert_int_equal(d[b], 0);
		}
		for (int i = 0; i < nr; i++)
			uffdops_folio_put(f[i]);
	}
}

/* Threads allocating and freeing at once always get zeroed data. */
static char churn_failed;

static void *churn_thread(void *arg)
{
	(void)arg;
	for (int round = 0; round < 2000; round++) {
		unsigned int order = round % 3;
		struct uffdops_folio *folio;
		unsigned char *d;

		if (uffdops_folio_alloc(order, &folio))
			return &churn_failed;
		d = uffdops_folio_data(folio);
		for (unsigned long b = 0; b < (PAGE_SIZE << order); b += 512)
			if (d[b])
				return &churn_failed;
		memset(d, 0xff, PAGE_SIZE << order);
		uffdops_folio_put(folio);
	}
	return NULL;
}

static void folio_alloc_concurrent(void **state)
{
	pthread_t t[4];
	void *ret;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(
			pthread_create(&t[i], NULL, churn_thread, NULL), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
}

static void folio_copy(void **state)
{
	struct uffdops_folio *src, *copy;

	(void)state;
	assert_int_equal(uffdops_folio_alloc(1, &src), 0);
	memset((unsigned char *)uffdops_folio_data(src) + PAGE_SIZE, 0x33,
	       PAGE_SIZE);
	copy = folio_copy_new(src, 1, 0);
	assert_non_null(copy);
	assert_true(copy->anon);
	assert_int_equal(((unsigned char *)uffdops_folio_data(copy))[7], 0x33);
	uffdops_folio_put(copy);
	copy = folio_copy_new(NULL, 0, 0);
	assert_int_equal(((unsigned char *)uffdops_folio_data(copy))[7], 0);
	uffdops_folio_put(copy);
	uffdops_folio_put(src);
}

struct locker {
	struct uffdops_folio *folio;
	atomic_int stage;
};

static void *lock_thread(void *arg)
{
	struct locker *l = arg;

	atomic_store(&l->stage, 1);
	uffdops_folio_lock(l->folio); /* sleeps until the main thread unlocks */
	atomic_store(&l->stage, 2);
	uffdops_folio_unlock(l->folio);
	return NULL;
}

static void folio_lock_sleeps(void **state)
{
	struct locker l = { 0 };
	pthread_t t;

	(void)state;
	assert_int_equal(uffdops_folio_alloc(0, &l.folio), 0);
	uffdops_folio_lock(l.folio);
	assert_true(uffdops_folio_test_locked(l.folio));
	assert_false(folio_trylock(l.folio));
	pthread_create(&t, NULL, lock_thread, &l);
	while (atomic_load(&l.stage) < 1)
		usleep(100);
	usleep(20000);
	assert_int_equal(atomic_load(&l.stage), 1);
	uffdops_folio_unlock(l.folio);
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&l.stage), 2);
	assert_false(uffdops_folio_test_locked(l.folio));
	assert_true(folio_trylock(l.folio));
	uffdops_folio_unlock(l.folio);
	uffdops_folio_put(l.folio);
}

static void file_create_errors(void **state)
{
	struct uffdops_file *f;

	(void)state;
	assert_int_equal(uffdops_file_create("no-such-type", PAGE_SIZE, &f),
			 -ENOENT);
	assert_int_equal(uffdops_file_create("anon", PAGE_SIZE, &f), -EINVAL);
	assert_int_equal(uffdops_file_create("hugetlb", PAGE_SIZE, &f),
			 -EINVAL);
	assert_int_equal(uffdops_file_create("shmem", 1UL << 63, &f), -EINVAL);
	assert_int_equal(uffdops_file_create("shmem", PAGE_SIZE, NULL),
			 -EINVAL);
	/* Regular shmem sizes need not be page multiples. */
	assert_int_equal(uffdops_file_create("shmem", 100, &f), 0);
	assert_int_equal(uffdops_inode_size(uffdops_file_inode(f)), 100);
	uffdops_file_close(f);
	assert_int_equal(uffdops_file_create("hugetlb", 2 * PMD_SIZE, &f), 0);
	assert_int_equal(inode_page_size(uffdops_file_inode(f)), PMD_SIZE);
	uffdops_file_close(f);
	assert_int_equal(uffdops_file_create("file", 0, &f), 0);
	uffdops_file_close(f);
	uffdops_file_close(NULL);
}

static void memtype_held_by_inode(void **state)
{
	struct uffdops_memtype_info before, during, after;
	struct uffdops_file *f, *ro;

	(void)state;
	assert_int_equal(uffdops_memtype_lookup("file", &before), 0);
	assert_int_equal(uffdops_file_create("file", PAGE_SIZE, &f), 0);
	assert_int_equal(uffdops_file_open(f, O_RDONLY, &ro), 0);
	uffdops_file_close(f);
	/* The inode lives while a file refers to it, and holds its type. */
	assert_int_equal(uffdops_memtype_lookup("file", &during), 0);
	assert_int_equal(during.users, before.users + 1);
	uffdops_file_close(ro);
	assert_int_equal(uffdops_memtype_lookup("file", &after), 0);
	assert_int_equal(after.users, before.users);
}

static void file_open_modes(void **state)
{
	struct uffdops_file *f, *g;

	(void)state;
	assert_int_equal(uffdops_file_create("shmem", PAGE_SIZE, &f), 0);
	assert_int_equal(uffdops_file_open(f, O_ACCMODE, &g), -EINVAL);
	assert_int_equal(uffdops_file_open(f, O_RDWR | O_CREAT, &g), -EINVAL);
	assert_int_equal(uffdops_file_open(NULL, O_RDWR, &g), -EINVAL);
	assert_int_equal(uffdops_file_open(f, O_RDONLY, &g), 0);
	assert_ptr_equal(uffdops_file_inode(g), uffdops_file_inode(f));
	assert_int_equal(g->f_mode, FMODE_READ);
	/* ftruncate() of a read-only file: EINVAL, as the kernel answers. */
	assert_int_equal(uffdops_file_truncate(g, 0), -EINVAL);
	uffdops_file_close(g);
	assert_int_equal(uffdops_file_open(f, O_WRONLY, &g), 0);
	assert_int_equal(g->f_mode, FMODE_WRITE);
	assert_int_equal(uffdops_file_truncate(g, 3 * PAGE_SIZE), 0);
	assert_int_equal(uffdops_inode_size(uffdops_file_inode(f)),
			 3 * PAGE_SIZE);
	uffdops_file_close(g);
	uffdops_file_close(f);
}

static void filemap_insert_lookup_remove(void **state)
{
	struct uffdops_file *f, *f2;
	struct uffdops_inode *inode;
	struct uffdops_folio *a, *b, *big, *got;

	(void)state;
	assert_int_equal(uffdops_file_create("shmem", 16 * PAGE_SIZE, &f), 0);
	assert_int_equal(uffdops_file_create("shmem", 16 * PAGE_SIZE, &f2), 0);
	inode = uffdops_file_inode(f);
	assert_int_equal(uffdops_filemap_get_folio(inode, 1, &got), -ENOENT);
	assert_int_equal(uffdops_folio_alloc(0, &a), 0);
	assert_int_equal(uffdops_folio_alloc(0, &b), 0);
	assert_int_equal(uffdops_filemap_add_folio(inode, a, 1), 0);
	assert_int_equal(folio_ref_count(a), 2);
	assert_int_equal(inode->nrpages, 1);
	/* The slot is taken; a folio already cached elsewhere is refused. */
	assert_int_equal(uffdops_filemap_add_folio(inode, b, 1), -EEXIST);
	assert_int_equal(uffdops_filemap_add_folio(uffdops_file_inode(f2), a,
						   1),
			 -EINVAL);
	assert_int_equal(uffdops_filemap_get_folio(inode, 1, &got), 0);
	assert_ptr_equal(got, a);
	assert_true(uffdops_folio_test_locked(got));
	assert_int_equal(folio_ref_count(a), 3);
	uffdops_folio_unlock(got);
	uffdops_folio_put(got);
	/* An order-2 folio must sit at a multiple of 4 and covers 4 indexes. */
	assert_int_equal(uffdops_folio_alloc(2, &big), 0);
	assert_int_equal(uffdops_filemap_add_folio(inode, big, 6), -EINVAL);
	assert_int_equal(uffdops_filemap_add_folio(inode, big, 0), -EEXIST);
	assert_int_equal(uffdops_filemap_add_folio(inode, big, 8), 0);
	assert_int_equal(uffdops_filemap_get_folio(inode, 11, &got), 0);
	assert_ptr_equal(got, big);
	uffdops_folio_unlock(got);
	uffdops_folio_put(got);
	assert_int_equal(uffdops_filemap_get_folio(inode, 12, &got), -ENOENT);
	assert_int_equal(uffdops_filemap_add_folio(inode, b, 10), -EEXIST);
	assert_int_equal(inode->nrpages, 5);
	/* Removing drops the cache's reference. */
	uffdops_filemap_remove_folio(a);
	assert_int_equal(folio_ref_count(a), 1);
	assert_null(a->mapping);
	assert_int_equal(uffdops_filemap_get_folio(inode, 1, &got), -ENOENT);
	uffdops_filemap_remove_folio(a); /* not cached: nothing happens */
	assert_int_equal(uffdops_filemap_add_folio(inode, b, 1), 0);
	uffdops_folio_put(a);
	uffdops_folio_put(b);
	uffdops_folio_put(big);
	/* Closing the last file frees the cache with its folios. */
	uffdops_file_close(f);
	uffdops_file_close(f2);
}

static void get_or_create_and_eof(void **state)
{
	struct uffdops_file *f;
	struct uffdops_inode *inode;
	struct uffdops_folio *a, *again;

	(void)state;
	assert_int_equal(uffdops_file_create("shmem", 2 * PAGE_SIZE + 1, &f),
			 0);
	inode = uffdops_file_inode(f);
	/* Index 2 holds the byte past 8 KiB: inside EOF. */
	assert_int_equal(filemap_get_or_create(inode, 2, &a), 0);
	assert_true(uffdops_folio_test_locked(a));
	uffdops_folio_unlock(a);
	assert_int_equal(filemap_get_or_create(inode, 2, &again), 0);
	assert_ptr_equal(again, a);
	uffdops_folio_unlock(again);
	uffdops_folio_put(again);
	uffdops_folio_put(a);
	assert_int_equal(filemap_get_or_create(inode, 3, &a), -EFAULT);
	uffdops_file_close(f);
}

static void truncate_drops_and_zeroes(void **state)
{
	struct uffdops_file *f;
	struct uffdops_inode *inode;
	struct uffdops_folio *folio;
	unsigned char *d;
	pgoff_t i;

	(void)state;
	assert_int_equal(uffdops_file_create("shmem", 4 * PAGE_SIZE, &f), 0);
	inode = uffdops_file_inode(f);
	for (i = 0; i < 4; i++) {
		assert_int_equal(filemap_get_or_create(inode, i, &folio), 0);
		memset(uffdops_folio_data(folio), 0x77, PAGE_SIZE);
		uffdops_folio_unlock(folio);
		uffdops_folio_put(folio);
	}
	/* Shrink to 1.5 pages: pages 2 and 3 go, page 1 keeps its head. */
	assert_int_equal(uffdops_file_truncate(f, PAGE_SIZE + 100), 0);
	assert_int_equal(inode->nrpages, 2);
	assert_int_equal(uffdops_filemap_get_folio(inode, 2, &folio), -ENOENT);
	assert_int_equal(uffdops_filemap_get_folio(inode, 1, &folio), 0);
	d = uffdops_folio_data(folio);
	assert_int_equal(d[99], 0x77);
	assert_int_equal(d[100], 0);
	assert_int_equal(d[PAGE_SIZE - 1], 0);
	uffdops_folio_unlock(folio);
	uffdops_folio_put(folio);
	/* Growing keeps what is cached. */
	assert_int_equal(uffdops_file_truncate(f, 8 * PAGE_SIZE), 0);
	assert_int_equal(inode->nrpages, 2);
	/* Punching a hole drops whole pages. */
	assert_int_equal(inode_punch_hole(inode, 0, PAGE_SIZE), 0);
	assert_int_equal(inode->nrpages, 1);
	assert_int_equal(uffdops_file_truncate(NULL, 0), -EINVAL);
	uffdops_file_close(f);

	/* hugetlbfs_setattr(): only whole huge pages. */
	assert_int_equal(uffdops_file_create("hugetlb", PMD_SIZE, &f), 0);
	assert_int_equal(uffdops_file_truncate(f, PAGE_SIZE), -EINVAL);
	assert_int_equal(uffdops_file_truncate(f, 2 * PMD_SIZE), 0);
	uffdops_file_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(folio_reuse_is_zeroed),
		cmocka_unit_test(folio_alloc_basics),
		cmocka_unit_test(folio_alloc_concurrent),
		cmocka_unit_test(folio_copy),
		cmocka_unit_test(folio_lock_sleeps),
		cmocka_unit_test(file_create_errors),
		cmocka_unit_test(memtype_held_by_inode),
		cmocka_unit_test(file_open_modes),
		cmocka_unit_test(filemap_insert_lookup_remove),
		cmocka_unit_test(get_or_create_and_eof),
		cmocka_unit_test(truncate_drops_and_zeroes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
