/* SPDX-License-Identifier: MIT */
/*
 * bench_mm.c - how the simulated address space scales with its VMA count,
 * beside the live kernel, in one run.
 *
 * For 1, 1k and 1M VMAs (one page each, one free page between neighbours so
 * that nothing merges) it measures, on the model and on this process's own
 * address space:
 *  - lookup: mprotect() of one page of a VMA to the protection it
 *    already has; both the kernel (do_mprotect_pkey()) and the model find the
 *    VMA, see that nothing changes and return, so this is a VMA lookup with a
 *    call around it. The table probes 1024 random VMAs; the growth check
 *    also probes a single one, whose tree path stays cached;
 *  - mmap+munmap: map one page into a random gap (a protection its
 *    neighbours do not have, so it stays a VMA of its own) and unmap it;
 *  - bytes per VMA: heap growth (mallinfo2) while the model maps them; the
 *    kernel's unreclaimable slab growth (/proc/meminfo SUnreclaim);
 *  - bytes per populated page: heap growth of the model, RSS plus page-table
 *    growth of the kernel, when min(n, 256k) pages of one VMA are written.
 * Then it checks that the lookup time grows no faster than log n, taking a
 * bare red-black tree's lookup on the same machine as the yardstick for
 * what caches and TLBs add at a million entries.
 *
 * The kernel allows vm.max_map_count (65530) mappings: as root the limit is
 * raised for the 1M case and restored (otherwise that kernel cell is "n/a"),
 * and the model's UFFDOPS_MM_MAX_MAP_COUNT is raised to match.
 * Every timed loop stops after a time budget, so a run takes well under a
 * minute. Not a test: numbers only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bsd/sys/tree.h>

#include <uffdops/uffdops.h>

#include "bench.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define P 4096UL
#define MODEL_BASE 0x100000000000UL

/*
 * Where this process's own test VMAs go (8 GiB for 1M of them): far from
 * what mmap() places top-down, and inside the application memory of a
 * sanitized build (ASan's shadow covers 0x7fff8000-0x10007fff7fff, TSan
 * allows only its own ranges).
 */
#if defined(__SANITIZE_ADDRESS__)
#define KERNEL_BASE 0x500000000000UL
#elif defined(__SANITIZE_THREAD__)
#define KERNEL_BASE 0x7e9000000000UL
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KERNEL_BASE 0x500000000000UL
#elif __has_feature(thread_sanitizer)
#define KERNEL_BASE 0x7e9000000000UL
#endif
#endif
#ifndef KERNEL_BASE
#define KERNEL_BASE 0x300000000000UL
#endif
#define MAX_MAP_COUNT_PATH "/proc/sys/vm/max_map_count"

/* Time budgets, in seconds. */
#define BUILD_BUDGET 15.0 /* creating the VMAs of one size, per side */
#define OP_BUDGET 0.3 /* one timed loop */

#define MAX_POPULATED (256UL * 1024)

static const unsigned long sizes[] = { 1, 1000, 1000000 };
#define NR_SIZES (sizeof(sizes) / sizeof(sizes[0]))

struct result {
	unsigned long built; /* VMAs actually created */
	double lookup_ns; /* over 1024 random VMAs */
	double hot_lookup_ns; /* over one VMA, the middle one */
	double mmap_munmap_ns;
	double bytes_per_vma;
	double bytes_per_page;
	unsigned long pages;
	const char *why; /* set when the side could not run this size */
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned long rnd(unsigned long n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static long rss_pages(void)
{
	long size = 0, resident = -1;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident;
}

/*
 * One side of the comparison: the same five operations on the model or on
 * the kernel. Each returns 0 or a negative errno.
 */
struct side {
	const char *name;
	unsigned long base;
	int (*map)(unsigned long addr, int prot);
	int (*unmap)(unsigned long addr, unsigned long len);
	int (*protect)(unsigned long addr, int prot);
	int (*touch)(unsigned long addr);
	double (*mem)(void); /* bytes the side's VMAs use, by its own measure */
	double (*page_mem)(void); /* bytes the side's pages use */
};

/* --- the model --- */

static struct uffdops_mm *model_mm;

static int model_map(unsigned long addr, int prot)
{
	long r = uffdops_mmap(model_mm, addr, P, prot,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);

	return r < 0 ? (int)r : 0;
}

static int model_unmap(unsigned long addr, unsigned long len)
{
	return uffdops_munmap(model_mm, addr, len);
}

static int model_protect(unsigned long addr, int prot)
{
	return uffdops_mprotect(model_mm, addr, P, prot);
}

static int model_touch(unsigned long addr)
{
	char c = 1;

	return uffdops_write_mem(model_mm, addr, &c, 1, 0) == 1 ? 0 : -EFAULT;
}

static double model_mem(void)
{
	return (double)heap_bytes();
}

static const struct side model_side = {
	.name = "model",
	.base = MODEL_BASE,
	.map = model_map,
	.unmap = model_unmap,
	.protect = model_protect,
	.touch = model_touch,
	.mem = model_mem,
	.page_mem = model_mem,
};

/* --- the kernel: this process's own address space --- */

static int kernel_map(unsigned long addr, int prot)
{
	void *p = mmap((void *)addr, P, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
		       0);

	if (p == MAP_FAILED)
		return -errno;
	return p == (void *)addr ? 0 : -EEXIST;
}

static int kernel_unmap(unsigned long addr, unsigned long len)
{
	return munmap((void *)addr, len) ? -errno : 0;
}

static int kernel_protect(unsigned long addr, int prot)
{
	return mprotect((void *)addr, P, prot) ? -errno : 0;
}

static int kernel_touch(unsigned long addr)
{
	*(volatile char *)addr = 1;
	return 0;
}

static double kernel_mem(void)
{
	return bench_meminfo("SUnreclaim") * 1024.0;
}

static double kernel_page_mem(void)
{
	return rss_pages() * (double)P + bench_meminfo("PageTables") * 1024.0;
}

static const struct side kernel_side = {
	.name = "kernel",
	.base = KERNEL_BASE,
	.map = kernel_map,
	.unmap = kernel_unmap,
	.protect = kernel_protect,
	.touch = kernel_touch,
	.mem = kernel_mem,
	.page_mem = kernel_page_mem,
};

/* VMA i lives at base + 2 i P; the page after it is a gap. */
static unsigned long vma_addr(const struct side *s, unsigned long i)
{
	return s->base + 2 * i * P;
}

/*
 * The VMAs a timed loop picks from: @nr_targets random ones out of n. With
 * 1024 of them the time is what a program touching many mappings pays
 * (cache and TLB misses included); with one, the tree path stays in the L1
 * cache and the time follows the depth of the tree alone.
 */
#define WORKING_SET 1024
static unsigned long targets[WORKING_SET];

static void pick_targets(unsigned long n)
{
	for (int k = 0; k < WORKING_SET; k++)
		targets[k] = rnd(n);
}

/*
 * Run @op on random targets in ROUNDS rounds that share the time budget;
 * return the fastest round's ns per op (the least disturbed by the rest of
 * the machine).
 */
#define ROUNDS 5
static double time_loop(const struct side *s, unsigned long nr_targets,
			int (*op)(const struct side *, unsigned long))
{
	unsigned long dep = 0;
	double best = -1;

	for (int round = 0; round < ROUNDS; round++) {
		unsigned long done = 0;
		double t0 = bench_now(), t;

		do {
			for (int k = 0; k < 256; k++, done++) {
				/*
				 * The next call's argument depends on this
				 * call's result (always 0, which the compiler
				 * cannot see through the empty asm): calls
				 * run one after the other, so the time is a
				 * call's latency, not the throughput of
				 * several overlapping in the CPU.
				 */
				dep = (unsigned long)op(
					s, targets[rnd(nr_targets)] + dep);
				__asm__ volatile("" : "+r"(dep));
				if (dep)
					return -1;
			}
			t = bench_now() - t0;
		} while (t < OP_BUDGET / ROUNDS);
		t = t * 1e9 / done;
		if (best < 0 || t < best)
			best = t;
	}
	return best;
}

static int op_lookup(const struct side *s, unsigned long i)
{
	return s->protect(vma_addr(s, i), PROT_READ);
}

static int op_mmap_munmap(const struct side *s, unsigned long i)
{
	unsigned long gap = vma_addr(s, i) + P;
	int r = s->map(gap, PROT_READ | PROT_WRITE);

	return r ? r : s->unmap(gap, P);
}

static void run_vmas(const struct side *s, unsigned long n, struct result *r)
{
	double mem0 = s->mem(), t0 = bench_now();
	unsigned long i;

	for (i = 0; i < n; i++) {
		int e = s->map(vma_addr(s, i), PROT_READ);

		if (e) {
			r->why = e == -ENOMEM ? "ENOMEM (max_map_count)" :
						"mmap failed";
			break;
		}
		if (!(i & 4095) && bench_now() - t0 > BUILD_BUDGET) {
			r->why = "too slow to build";
			i++;
			break;
		}
	}
	r->built = i;
	if (i == n) {
		r->bytes_per_vma = (s->mem() - mem0) / n;
		pick_targets(n);
		r->lookup_ns = time_loop(s, WORKING_SET, op_lookup);
		r->mmap_munmap_ns = time_loop(s, WORKING_SET, op_mmap_munmap);
		targets[0] = n / 2;
		r->hot_lookup_ns = time_loop(s, 1, op_lookup);
	}
	s->unmap(s->base, 2 * i * P);
}

static void run_pages(const struct side *s, unsigned long pages,
		      struct result *r)
{
	unsigned long addr = s->base;
	double mem0;
	long mapped;

	r->pages = pages;
	if (s == &model_side)
		mapped = uffdops_mmap(model_mm, addr, pages * P,
				      PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				      NULL, 0);
	else
		mapped = (long)mmap(
			(void *)addr, pages * P, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
			0);
	if (mapped != (long)addr) {
		r->bytes_per_page = -1;
		return;
	}
	mem0 = s->page_mem();
	for (unsigned long i = 0; i < pages; i++)
		if (s->touch(addr + i * P)) {
			r->bytes_per_page = -1;
			break;
		}
	if (r->bytes_per_page == 0)
		r->bytes_per_page = (s->page_mem() - mem0) / pages;
	s->unmap(addr, pages * P);
}

static unsigned int bit_length(unsigned long n)
{
	return n ? 64 - __builtin_clzl(n) : 0;
}

/*
 * Every figure is positive when it could be measured; a sanitizer's
 * allocator, for one, leaves mallinfo2() empty.
 */
static void cell(char *buf, size_t size, double v, const struct result *r,
		 unsigned long n, const char *fmt)
{
	if (r->built != n || v <= 0)
		snprintf(buf, size, "n/a");
	else
		snprintf(buf, size, fmt, v);
}

/*
 * The yardstick for the growth check: a bare red-black tree from the same
 * <bsd/sys/tree.h>, one malloc'd node per VMA, about as big as the model's,
 * searched the way find_vma() searches. It is O(log n) by construction, so
 * what its lookup time does from 1k to 1M nodes is what this machine's
 * caches and TLBs do to any such tree.
 */
struct ref_node {
	RB_ENTRY(ref_node) rb;
	unsigned long start;
	unsigned long end;
	char rest[112];
};

static int ref_cmp(struct ref_node *a, struct ref_node *b)
{
	return a->start < b->start ? -1 : a->start > b->start;
}

RB_HEAD(ref_tree, ref_node);
RB_GENERATE_INTERNAL(ref_tree, ref_node, rb, ref_cmp,
		     static __attribute__((unused)))

static __attribute__((noinline)) struct ref_node *ref_find(struct ref_tree *t,
							   unsigned long addr)
{
	struct ref_node *n = RB_ROOT(t), *found = NULL;

	while (n) {
		if (n->end > addr) {
			found = n;
			if (n->start <= addr)
				break;
			n = RB_LEFT(n, rb);
		} else {
			n = RB_RIGHT(n, rb);
		}
	}
	return found;
}

/* ns per lookup of the middle node of an n-node tree, one after another. */
static double ref_hot_lookup_ns(unsigned long n)
{
	struct ref_tree tree = RB_INITIALIZER(&tree);
	struct ref_node *nodes = NULL, *x, *next;
	unsigned long key = vma_addr(&model_side, n / 2), dep = 0, i;
	double best = -1;

	for (i = 0; i < n; i++) {
		x = calloc(1, sizeof(*x));
		if (!x)
			break;
		x->start = vma_addr(&model_side, i);
		x->end = x->start + P;
		RB_INSERT(ref_tree, &tree, x);
	}
	for (int round = 0; i == n && round < ROUNDS; round++) {
		unsigned long done = 0;
		double t0 = bench_now(), t;

		do {
			for (int k = 0; k < 256; k++, done++) {
				x = ref_find(&tree, key + dep);
				dep = x->start - key;
				__asm__ volatile("" : "+r"(dep));
			}
			t = bench_now() - t0;
		} while (t < OP_BUDGET / ROUNDS);
		t = t * 1e9 / done;
		if (best < 0 || t < best)
			best = t;
	}
	RB_FOREACH_SAFE(x, ref_tree, &tree, next) {
		RB_REMOVE(ref_tree, &tree, x);
		x->rb.rbe_left = nodes;
		nodes = x;
	}
	while (nodes) {
		x = nodes;
		nodes = x->rb.rbe_left;
		free(x);
	}
	return best;
}

int main(void)
{
	struct result model[NR_SIZES], kernel[NR_SIZES];
	double ref[NR_SIZES];
	long max_map = bench_read_long(MAX_MAP_COUNT_PATH);
	unsigned long want = sizes[NR_SIZES - 1] + 70000;

	memset(model, 0, sizeof(model));
	memset(kernel, 0, sizeof(kernel));
	if ((unsigned long)max_map < want)
		bench_sysctl_raise(MAX_MAP_COUNT_PATH, max_map, (long)want);
	printf("bench_mm: vm.max_map_count %ld%s\n",
	       bench_read_long(MAX_MAP_COUNT_PATH),
	       bench_sysctl_raised() ? " (raised for this run)" : "");

	for (size_t k = 0; k < NR_SIZES; k++) {
		unsigned long n = sizes[k];
		unsigned long pages = n < MAX_POPULATED ? n : MAX_POPULATED;

		/* The model's vm.max_map_count is raised as the kernel's is. */
		if (uffdops_mm_create(&model_mm) ||
		    uffdops_mm_config(model_mm, UFFDOPS_MM_MAX_MAP_COUNT,
				      (long)want)) {
			fprintf(stderr, "bench_mm: cannot set up the model\n");
			return 1;
		}
		run_vmas(&model_side, n, &model[k]);
		run_pages(&model_side, pages, &model[k]);
		uffdops_mm_destroy(model_mm);
		model_mm = NULL;

		run_vmas(&kernel_side, n, &kernel[k]);
		run_pages(&kernel_side, pages, &kernel[k]);
		ref[k] = ref_hot_lookup_ns(n);
	}
	bench_sysctl_restore();

	printf("\n%9s | %12s | %12s | %13s | %13s | %10s | %10s | %14s | %14s\n",
	       "VMAs", "model lookup", "kernel lookup", "model mmap+un",
	       "kernel mmap+un", "model B/VMA", "kernel B/VMA", "model B/page",
	       "kernel B/page");
	printf("%9s | %12s | %12s | %13s | %13s | %10s | %10s | %14s | %14s\n",
	       "", "ns", "ns", "ns", "ns", "", "(slab)", "", "(RSS+PT)");
	for (size_t k = 0; k < NR_SIZES; k++) {
		unsigned long n = sizes[k];
		char c[8][32], pm[64], pk[64];

		cell(c[0], 32, model[k].lookup_ns, &model[k], n, "%.0f");
		cell(c[1], 32, kernel[k].lookup_ns, &kernel[k], n, "%.0f");
		cell(c[2], 32, model[k].mmap_munmap_ns, &model[k], n, "%.0f");
		cell(c[3], 32, kernel[k].mmap_munmap_ns, &kernel[k], n, "%.0f");
		cell(c[4], 32, model[k].bytes_per_vma, &model[k], n, "%.0f");
		/* One VMA's slab share is lost in the noise. */
		if (n < 1000)
			snprintf(c[5], 32, "-");
		else
			cell(c[5], 32, kernel[k].bytes_per_vma, &kernel[k], n,
			     "%.0f");
		cell(c[6], 32, model[k].bytes_per_page, &model[k], n, "%.0f");
		cell(c[7], 32, kernel[k].bytes_per_page, &kernel[k], n, "%.0f");
		snprintf(pm, sizeof(pm), "%s (%lu p)", c[6], model[k].pages);
		snprintf(pk, sizeof(pk), "%s (%lu p)", c[7], kernel[k].pages);
		printf("%9lu | %12s | %12s | %13s | %13s | %10s | %10s | %14s | %14s\n",
		       n, c[0], c[1], c[2], c[3], c[4], c[5], pm, pk);
		if (model[k].why)
			printf("%9s   model: %s after %lu VMAs\n", "",
			       model[k].why, model[k].built);
		if (kernel[k].why)
			printf("%9s   kernel: %s after %lu VMAs\n", "",
			       kernel[k].why, kernel[k].built);
	}

	/*
	 * Lookup time may grow no faster than log n. A time ratio is not a
	 * comparison count, though: from 1k to 1M entries every level of a
	 * tree also costs more, because the path no longer sits in the
	 * caches and TLBs. So the growth is compared with log n and with a
	 * bare red-black tree's (O(log n) by construction) on this machine;
	 * growing no faster than the larger of the two (with a 25% margin for
	 * noise) is growing as a log n lookup does. "hot" looks up one VMA,
	 * "random" 1024 random ones.
	 */
	printf("\nlookup growth (time ratios; a balanced tree's depth grows as log n = bit length of n):\n");
	for (size_t k = 1; k < NR_SIZES; k++) {
		double depth =
			(double)bit_length(sizes[k]) / bit_length(sizes[k - 1]);
		double tree =
			ref[k - 1] > 0 && ref[k] > 0 ? ref[k] / ref[k - 1] : 0;
		double bound = 1.25 * (tree > depth ? tree : depth);

		printf("  %lu -> %lu: log n x%.2f, bare red-black tree x%.2f\n",
		       sizes[k - 1], sizes[k], depth, tree);
		for (int side = 0; side < 2; side++) {
			const struct result *a = side ? &kernel[k - 1] :
							&model[k - 1];
			const struct result *b = side ? &kernel[k] : &model[k];
			double hot;

			if (a->built != sizes[k - 1] || b->built != sizes[k] ||
			    a->hot_lookup_ns <= 0 || b->hot_lookup_ns <= 0 ||
			    a->lookup_ns <= 0 || b->lookup_ns <= 0) {
				printf("    %-6s n/a\n",
				       side ? "kernel" : "model");
				continue;
			}
			hot = b->hot_lookup_ns / a->hot_lookup_ns;
			printf("    %-6s hot x%.2f, random x%.2f: %s\n",
			       side ? "kernel" : "model", hot,
			       b->lookup_ns / a->lookup_ns,
			       hot <= bound ? "grows as a log n lookup" :
					      "grows FASTER than log n");
		}
	}
	return 0;
}
