/* SPDX-License-Identifier: MIT */
/*
 * wp_gc.c - write-protect tracking, as a concurrent garbage collector (its
 * remembered set) or a live snapshotter (QEMU's background snapshot, CRIU)
 * runs it: find which pages mutators dirty while the collector works.
 *
 * Run 1, synchronous WP: the heap is registered for WP faults and
 * write-protected. The first write to a page blocks its mutator and queues a
 * WP message; the collector saves the page's old contents (a consistent
 * snapshot), records the page dirty and removes the protection, which wakes
 * the writer.
 * Run 2, UFFD_FEATURE_WP_ASYNC: the fault resolves itself. The kernel clears
 * the page's uffd-wp bit and the write goes on; no message is sent. The
 * collector reads the dirty set from /proc/pid/pagemap bit 57 afterwards
 * (what PAGEMAP_SCAN's PAGE_IS_WRITTEN reports).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uffdops/uffdops.h>

#define PAGE 4096UL
#define NR_PAGES 64
#define NR_MUTATORS 4
#define NR_WRITES 8 /* per mutator; pages may be written by several */

struct heap {
	struct uffdops_mm *mm;
	struct uffdops_ctx *ctx;
	unsigned long base;
};

struct mutator {
	struct heap *h;
	unsigned int m;
	unsigned int pages[NR_WRITES]; /* the plan, fixed before the run */
	long failed;
	pthread_t thread;
};

struct collector {
	struct heap *h;
	atomic_bool stop;
	bool dirty[NR_PAGES];
	unsigned char snapshot[NR_PAGES][PAGE];
	unsigned long msgs, stale, errors;
	pthread_t thread;
};

static struct mutator mutators[NR_MUTATORS];
static bool written[NR_PAGES]; /* the union of the mutators' plans */
static struct collector gc;

/* The heap's contents when tracking starts: page i is filled with 0x40+i. */
static unsigned char initial_byte(unsigned long page)
{
	return (unsigned char)(0x40 + page);
}

/* A mutator: reads its neighbours (never a fault), writes its pages. */
static void *mutator_main(void *arg)
{
	struct mutator *mu = arg;
	unsigned char val = (unsigned char)(0xa0 + mu->m), c;
	unsigned long base = mu->h->base, addr;
	int k;

	for (k = 0; k < NR_WRITES; k++) {
		addr = base + mu->pages[k] * PAGE;
		/* A load from a protected page goes through untouched. */
		if (uffdops_read_mem(mu->h->mm,
				     base + (mu->pages[k] ^ 1) * PAGE, &c, 1,
				     0) != 1)
			mu->failed++;
		/* copy_to_user(): blocks on the WP fault in run 1. */
		if (uffdops_write_mem(mu->h->mm, addr + 16 + mu->m, &val, 1,
				      0) != 1)
			mu->failed++;
	}
	return NULL;
}

/* UFFDIO_WRITEPROTECT (mwriteprotect_range()) of @n pages from @page. */
static int writeprotect(struct heap *h, unsigned long page, unsigned long n,
			bool protect)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = h->base + page * PAGE, .len = n * PAGE },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return uffdops_ioctl(h->ctx, UFFDIO_WRITEPROTECT, &wp);
}

/* The collector of run 1: poll(uffd), read the WP faults, resolve them. */
static void *collector_main(void *arg)
{
	struct collector *c = arg;
	struct uffd_msg msgs[8];
	unsigned long page;
	ssize_t n, i;

	while (!atomic_load(&c->stop)) {
		if (uffdops_poll(c->h->ctx, 10) != POLLIN)
			continue;
		n = uffdops_read(c->h->ctx, msgs, sizeof(msgs));
		for (i = 0; i < n / (ssize_t)sizeof(msgs[0]); i++) {
			const struct uffd_msg *msg = &msgs[i];

			page = (msg->arg.pagefault.address - c->h->base) / PAGE;
			c->msgs++;
			/* handle_userfault(VM_UFFD_WP): a write, flagged WP. */
			if (page >= NR_PAGES ||
			    msg->arg.pagefault.flags !=
				    (UFFD_PAGEFAULT_FLAG_WP |
				     UFFD_PAGEFAULT_FLAG_WRITE)) {
				c->errors++;
				continue;
			}
			if (c->dirty[page]) { /* read in the same batch */
				c->stale++;
				continue;
			}
			/* Still protected: save it as it was, then let go. */
			if (uffdops_read_mem(c->h->mm, c->h->base + page * PAGE,
					     c->snapshot[page], PAGE,
					     0) != (ssize_t)PAGE)
				c->errors++;
			c->dirty[page] = true;
			/* Un-protecting also wakes the blocked writers. */
			if (writeprotect(c->h, page, 1, false))
				c->errors++;
		}
	}
	return NULL;
}

/*
 * mmap() a populated anonymous heap, userfaultfd() + UFFDIO_API(@features),
 * UFFDIO_REGISTER(MODE_WP) and UFFDIO_WRITEPROTECT the whole heap.
 */
static int heap_setup(struct heap *h, __u64 features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	unsigned char page[PAGE];
	unsigned long i;

	if (uffdops_mm_create(&h->mm))
		return -1;
	h->base = uffdops_mmap(h->mm, 0, NR_PAGES * PAGE,
			       PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if ((long)h->base < 0)
		return -1;
	for (i = 0; i < NR_PAGES; i++) {
		memset(page, initial_byte(i), PAGE);
		if (uffdops_write_mem(h->mm, h->base + i * PAGE, page, PAGE,
				      0) != (ssize_t)PAGE)
			return -1;
	}
	reg.range.start = h->base;
	reg.range.len = NR_PAGES * PAGE;
	if (uffdops_userfaultfd(h->mm, O_CLOEXEC | O_NONBLOCK, &h->ctx) ||
	    uffdops_ioctl(h->ctx, UFFDIO_API, &api) ||
	    uffdops_ioctl(h->ctx, UFFDIO_REGISTER, &reg) ||
	    writeprotect(h, 0, NR_PAGES, true))
		return -1;
	return 0;
}

/* /proc/pid/pagemap (pagemap_read()): the pages with uffd-wp (bit 57). */
static int count_wp(struct heap *h, bool wp[NR_PAGES])
{
	struct uffdops_pagemap_entry e;
	int i, n = 0;

	for (i = 0; i < NR_PAGES; i++) {
		uffdops_pagemap(h->mm, h->base + i * PAGE, &e);
		wp[i] = e.bits & UFFDOPS_PM_UFFD_WP;
		n += wp[i];
	}
	return n;
}

static void run_mutators(struct heap *h)
{
	int m;

	for (m = 0; m < NR_MUTATORS; m++) {
		mutators[m].h = h;
		mutators[m].failed = 0;
		if (pthread_create(&mutators[m].thread, NULL, mutator_main,
				   &mutators[m]))
			exit(1);
	}
	for (m = 0; m < NR_MUTATORS; m++)
		pthread_join(mutators[m].thread, NULL);
}

/*
 * Print @dirty and check it: it is the set the mutators wrote, the uffd-wp
 * bit is clear exactly there, and every write landed. Return 0 when so.
 */
static int check(struct heap *h, const bool dirty[NR_PAGES])
{
	bool wp[NR_PAGES];
	int i, m, k, bad = 0, nr = 0;
	unsigned char c;

	count_wp(h, wp);
	printf("  dirty set:");
	for (i = 0; i < NR_PAGES; i++) {
		if (dirty[i]) {
			printf(" %d", i);
			nr++;
		}
		bad += dirty[i] != written[i] || wp[i] == dirty[i];
	}
	for (m = 0; m < NR_MUTATORS; m++) {
		bad += mutators[m].failed;
		for (k = 0; k < NR_WRITES; k++) {
			unsigned long a = h->base + mutators[m].pages[k] * PAGE;

			bad += uffdops_read_mem(h->mm, a + 16 + m, &c, 1, 0) !=
				       1 ||
			       c != 0xa0 + m;
		}
	}
	printf(" (%d pages)\n  %s\n", nr,
	       bad ? "MISMATCH with the mutators' writes or the pagemap" :
		     "= the pages the mutators wrote; uffd-wp clear exactly on them");
	return bad;
}

int main(void)
{
	struct uffd_msg msg;
	struct heap h;
	bool wp[NR_PAGES];
	unsigned int seed = 42;
	int i, k, bad = 0, torn = 0;

	/* The mutators' plan, so the expected dirty set is known. */
	for (i = 0; i < NR_MUTATORS; i++) {
		mutators[i].m = i;
		for (k = 0; k < NR_WRITES; k++) {
			mutators[i].pages[k] = rand_r(&seed) % NR_PAGES;
			written[mutators[i].pages[k]] = true;
		}
	}

	/* Run 1: synchronous WP faults, resolved by the collector. */
	if (heap_setup(&h, 0))
		return 1;
	printf("run 1: UFFDIO_REGISTER_MODE_WP, %d pages, %d write-protected (pagemap bit 57)\n",
	       NR_PAGES, count_wp(&h, wp));
	gc.h = &h;
	atomic_init(&gc.stop, false);
	if (pthread_create(&gc.thread, NULL, collector_main, &gc))
		return 1;
	run_mutators(&h);
	atomic_store(&gc.stop, true);
	pthread_join(gc.thread, NULL);
	printf("  %d mutators wrote %d times; the collector read %lu WP messages (%lu stale)\n",
	       NR_MUTATORS, NR_MUTATORS * NR_WRITES, gc.msgs, gc.stale);
	bad += check(&h, gc.dirty) + (gc.errors != 0);
	/* The snapshot: the saved dirty pages plus the clean ones as they are. */
	for (i = 0; i < NR_PAGES; i++) {
		unsigned char want[PAGE];

		memset(want, initial_byte(i), PAGE);
		if (!gc.dirty[i] &&
		    uffdops_read_mem(h.mm, h.base + i * PAGE, gc.snapshot[i],
				     PAGE, 0) != (ssize_t)PAGE)
			torn++;
		torn += memcmp(gc.snapshot[i], want, PAGE) != 0;
	}
	printf("  snapshot equals the heap at UFFDIO_WRITEPROTECT time: %s\n",
	       torn ? "NO" : "yes");
	bad += torn;
	uffdops_close(h.ctx);
	uffdops_mm_destroy(h.mm);

	/* Run 2: WP_ASYNC. The same writes; the pagemap tells the rest. */
	if (heap_setup(&h, UFFD_FEATURE_WP_ASYNC))
		return 1;
	printf("run 2: UFFD_FEATURE_WP_ASYNC, %d pages, %d write-protected\n",
	       NR_PAGES, count_wp(&h, wp));
	/* do_wp_page(): the fault clears the page's bit itself, then writes. */
	run_mutators(&h);
	/* No message was queued: read() (userfaultfd_read_iter()) is empty. */
	if (uffdops_read(h.ctx, &msg, sizeof(msg)) != -EAGAIN)
		bad++;
	printf("  %d mutators wrote %d times, with no collector; no message queued\n",
	       NR_MUTATORS, NR_MUTATORS * NR_WRITES);
	count_wp(&h, wp);
	for (i = 0; i < NR_PAGES; i++)
		wp[i] = !wp[i]; /* dirty = uffd-wp bit cleared by the fault */
	bad += check(&h, wp);
	/* The next cycle starts by write-protecting the heap again. */
	if (writeprotect(&h, 0, NR_PAGES, true) || count_wp(&h, wp) != NR_PAGES)
		bad++;
	printf("  next cycle: re-protected, %d pages have the bit again\n",
	       count_wp(&h, wp));
	uffdops_close(h.ctx);
	uffdops_mm_destroy(h.mm);
	if (bad)
		fprintf(stderr, "wp_gc: %d check(s) failed\n", bad);
	return bad ? 1 : 0;
}
