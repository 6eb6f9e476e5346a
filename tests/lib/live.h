/* SPDX-License-Identifier: MIT */
/*
 * live.h - what the conformance tests share to compare the model with the
 * live kernel: /proc and /sys files, the kernel command line, userfaultfd
 * descriptors, huge pages reserved through vm.nr_hugepages (safe with several
 * test processes at once), pagemap entries, the VMAs of /proc/self/maps and
 * smaps next to the model's, SIGSEGV/SIGBUS caught around an access, files
 * of the memory types the cases map, the fork-per-case child that plays a
 * case on the live kernel, and the tally every suite ends with.
 *
 * Built from the sources of tests/lib into the uffdops_testlib static
 * library, which every test executable links. A test keeps its own case
 * tables and its own comparison; only the plumbing lives here.
 */
#ifndef UFFDOPS_TESTS_LIVE_H
#define UFFDOPS_TESTS_LIVE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/types.h>

#include <linux/types.h>

struct uffdops_file;
struct uffdops_mm;

/* The base page size the model and the cases use. */
#define LIVE_PAGE_SIZE 4096UL

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* Flags the cases use that older C library headers lack (uapi values). */
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103
#endif

/* ------------------------------------------------------------------------ */
/* Files, the command line, the model's mm (live.c).                        */
/* ------------------------------------------------------------------------ */

/* The value of a system call wrapper: @r, or -errno when it is -1. */
static inline long live_ret(long r)
{
	return r == -1 ? -errno : r;
}

/* "ENOENT" for ENOENT; "?" for a number without a name. */
const char *live_errname(int err);

/*
 * The whole of @path in @buf, NUL-terminated; its length, or -errno
 * (-EFBIG when it does not fit in @size - 1 bytes).
 */
ssize_t live_read_file(const char *path, char *buf, size_t size);
/* The number @path starts with, or -1. */
long live_read_long(const char *path);
/* Write @v and a newline to @path: 0 or -errno. */
int live_write_long(const char *path, long v);

/* Is @word one of the words of /proc/cmdline? */
bool live_cmdline_has(const char *word);
/* Does the kernel map no zero page (pvm_no_zero_page=1 on its command line)? */
bool live_no_zero_page(void);

/*
 * A fresh model mm set up as this machine's kernel behaves: without the
 * zero page when live_no_zero_page(). 0 or a negative errno.
 */
int live_mm_create(struct uffdops_mm **mm);

/* CLOCK_MONOTONIC in milliseconds. */
long live_now_ms(void);

/* Is [@base, @base + @len) free in this process (nothing mapped there)? */
bool live_region_free(unsigned long base, unsigned long len);

/*
 * A writable directory on a disk filesystem (not tmpfs or hugetlbfs, where
 * a file would be shmem or hugetlb): the first of $TMPDIR, /var/tmp, the
 * current directory and /tmp where a file can be made. NULL when none.
 */
const char *live_disk_dir(void);

/*
 * A new file of @type, @size bytes long: "shmem" (a memfd), "hugetlb" (a
 * memfd with MFD_HUGETLB), "file" (a regular file in live_disk_dir(),
 * already unlinked) or "sealed" (a memfd with F_SEAL_FUTURE_WRITE).
 * Close-on-exec; a descriptor or -errno.
 */
int live_file_create(const char *type, unsigned long size);
/* @fd opened again through /proc/self/fd with @flags: a descriptor or -errno. */
int live_file_reopen(int fd, int flags);

/**
 * struct live_file - a file a case creates before its first step.
 * @type: NULL for none; a type of live_file_create(); or "ro": file @ro_of
 *	opened again O_RDONLY. The model has no seals: for "sealed" it maps a
 *	shmem file opened O_RDONLY, which like the sealed memfd maps shared
 *	without VM_MAYWRITE (what UFFDIO_REGISTER looks at).
 * @size: its size.
 * @ro_of: for "ro", the index of the earlier file it opens again.
 */
struct live_file {
	const char *type;
	unsigned long size;
	int ro_of;
};

/* Does a file of @f[0..@n) have @type? */
bool live_files_use(const struct live_file *f, int n, const char *type);
/* Make the files of @f[0..@n) in this process: @fds gets them, -1 for none. */
int live_files_open(const struct live_file *f, int n, int *fds);
/* The same in the model: @files gets them, NULL for none. */
int live_model_files_open(const struct live_file *f, int n,
			  struct uffdops_file **files);
/* Close what live_model_files_open() made, the reopened ones first. */
void live_model_files_close(struct uffdops_file **files, int n);

/* ------------------------------------------------------------------------ */
/* userfaultfd (uffd.c).                                                    */
/* ------------------------------------------------------------------------ */

/* live_uffd_open() @how: fall back on /dev/userfaultfd. */
#define LIVE_UFFD_DEV 1

/*
 * A new userfaultfd with @flags (O_CLOEXEC, O_NONBLOCK, UFFD_USER_MODE_ONLY)
 * from userfaultfd(2), or when that fails and @how has LIVE_UFFD_DEV, from
 * USERFAULTFD_IOC_NEW on /dev/userfaultfd. A descriptor or -errno (the
 * system call's when both fail).
 */
int live_uffd_open(int flags, unsigned int how);

/* UFFDIO_API on @fd asking for @features; *@supported gets the answer. */
int live_uffd_api(int fd, __u64 features, __u64 *supported);

/*
 * Can this process use userfaultfd? Opens one as live_uffd_open(@how) with
 * O_CLOEXEC | O_NONBLOCK and makes the UFFDIO_API handshake without
 * features; *@features (when not NULL) gets the features the kernel offers.
 * Returns 0 when it can; 1 when userfaultfd is missing or not permitted
 * here (ENOSYS, ENOENT, EPERM, EACCES: the cases are to be skipped); a
 * negative errno for any other failure. *@why then says what failed.
 */
int live_uffd_probe(unsigned int how, __u64 *features, const char **why);

/* ------------------------------------------------------------------------ */
/* Huge pages (hugetlb.c).                                                  */
/* ------------------------------------------------------------------------ */

/* The default huge page size (the pool vm.nr_hugepages sizes), 0 if none. */
unsigned long live_hugetlb_page_size(void);

/*
 * live_hugetlb_reserve() - have @wanted huge pages free for a while.
 * @page_size: the default huge page size the caller needs, 0 for any.
 * @wanted: how many free pages to aim for.
 * @needed: how many must be free for the caller to use hugetlb at all.
 *
 * As root, raises vm.nr_hugepages by what is missing. Several processes may
 * do so at once: the read-modify-write is done under an flock() of
 * /tmp/uffdops-nr_hugepages.lock, every reserving process holds a shared
 * lock on /tmp/uffdops-nr_hugepages.users (which also keeps the value to
 * restore), users only ever raise the setting and the last one out restores
 * it. A process that died while reserving leaves its saved value behind for
 * the next first user to restore. Calls nest within a process; every call
 * is paired with one live_hugetlb_release().
 *
 * Return: NULL when at least @needed pages are free, else why not.
 */
const char *live_hugetlb_reserve(unsigned long page_size, long wanted,
				 long needed);
/* Ends one live_hugetlb_reserve(); the last user restores the setting. */
void live_hugetlb_release(void);

/* ------------------------------------------------------------------------ */
/* /proc/self/pagemap (pagemap.c).                                          */
/* ------------------------------------------------------------------------ */

/* pagemap bits (fs/proc/task_mmu.c: pagemap_pte_range() and friends). */
#define LIVE_PM_PFN ((1ULL << 55) - 1)
#define LIVE_PM_EXCLUSIVE (1ULL << 56)
#define LIVE_PM_UFFD_WP (1ULL << 57)
#define LIVE_PM_GUARD (1ULL << 58)
#define LIVE_PM_FILE (1ULL << 61)
#define LIVE_PM_SWAP (1ULL << 62)
#define LIVE_PM_PRESENT (1ULL << 63)
/* What the suites compare of an entry: every flag above, never the frame. */
#define LIVE_PM_COMPARED                                                 \
	(LIVE_PM_PRESENT | LIVE_PM_SWAP | LIVE_PM_FILE | LIVE_PM_GUARD | \
	 LIVE_PM_UFFD_WP | LIVE_PM_EXCLUSIVE)
/* An entry that could not be read (no real entry has every bit set). */
#define LIVE_PM_UNREADABLE (~0ULL)

/* /proc/self/pagemap, close-on-exec: a descriptor or -errno. */
int live_pagemap_open(void);
/*
 * The entries of the @n pages from @addr, through @fd; when they cannot be
 * read, every one is LIVE_PM_UNREADABLE. 0 or -errno.
 */
int live_pagemap(int fd, unsigned long addr, uint64_t *out, size_t n);

/* ------------------------------------------------------------------------ */
/* VMAs: /proc/self/maps and smaps, and the model's (maps.c).               */
/* ------------------------------------------------------------------------ */

/* The uffd modes of a VMA: smaps VmFlags um/uw/ui, VM_UFFD_* in the model. */
#define LIVE_UF_M 1
#define LIVE_UF_W 2
#define LIVE_UF_I 4

/* What live_vmas() records besides bounds and permissions. */
#define LIVE_VMA_FILE 1 /* whether a file is mapped, and its pgoff */
#define LIVE_VMA_UFFD 2 /* the uffd modes (reads smaps instead of maps) */
#define LIVE_VMA_CLIP 4 /* clip each VMA to the window (pgoff follows) */

/**
 * struct live_vma - a VMA meeting an observed window, as both sides see it.
 * @start: vm_start, relative to the window's start.
 * @end: vm_end, relative to the window's start.
 * @perm: "rwxp" or "rwxs" as /proc/pid/maps prints them.
 * @file: it maps a file (LIVE_VMA_FILE; maps shows an inode).
 * @uffd: LIVE_UF_* (LIVE_VMA_UFFD).
 * @pgoff: vm_pgoff of a file mapping (LIVE_VMA_FILE), else 0.
 *
 * What the flags leave out is 0 on both sides, so comparing every field
 * compares what the suite asked for.
 */
struct live_vma {
	long start;
	long end;
	char perm[5];
	bool file;
	unsigned char uffd;
	unsigned long pgoff;
};

/*
 * The VMAs of this process meeting [@lo, @hi), in address order, the first
 * @max of them in @out. Returns how many meet the window (those past @max
 * counted, not stored: a count that differs shows), or -errno when
 * /proc/self/maps (smaps) cannot be read.
 */
int live_vmas(unsigned long lo, unsigned long hi, unsigned int flags,
	      struct live_vma *out, int max);
/* The same of the model's @mm, from uffdops_maps(). */
int live_model_vmas(struct uffdops_mm *mm, unsigned long lo, unsigned long hi,
		    unsigned int flags, struct live_vma *out, int max);
/*
 * Do two lists from live_vmas()/live_model_vmas() (@max entries of room)
 * agree field by field?
 */
bool live_vmas_equal(const struct live_vma *a, int na, const struct live_vma *b,
		     int nb, int max);
/* "      @side: N VMA(s) [start-end perm ...]..." on one line. */
void live_vmas_print(const char *side, const struct live_vma *v, int n,
		     int max);

/* ------------------------------------------------------------------------ */
/* An access that may fault (catch.c).                                      */
/* ------------------------------------------------------------------------ */

/* Installs the SIGSEGV and SIGBUS handler live_catch() needs; once. */
void live_catch_setup(void);
/*
 * Runs @fn(@arg) in the calling thread; returns 0, or the SIGSEGV or SIGBUS
 * it raised (and @fn was left there). A fault outside live_catch() still
 * kills the process.
 */
int live_catch(void (*fn)(void *arg), void *arg);

/* ------------------------------------------------------------------------ */
/* The suite: what the machine offers, and the tally (suite.c).             */
/* ------------------------------------------------------------------------ */

/**
 * struct live_suite - a conformance suite's view of the machine, and its
 * count of cases.
 * @name: how its lines start ("mfill conformance").
 * @noun: what it counts ("cases", "sequences").
 * @compared: cases whose live run was compared with the model (or failed).
 * @agreed: those where the two agreed.
 * @skipped: cases not compared.
 * @skip: why no case can run here (no userfaultfd), or NULL.
 * @hugetlb_skip: why no hugetlb case can, or NULL.
 * @file_skip: why no case with a regular file can, or NULL.
 * @features: the userfaultfd features the kernel offers.
 * @hugetlb_held: a reservation live_suite_teardown() gives back.
 */
struct live_suite {
	const char *name;
	const char *noun;
	int compared;
	int agreed;
	int skipped;
	const char *skip;
	const char *hugetlb_skip;
	const char *file_skip;
	__u64 features;
	bool hugetlb_held;
};

/* live_suite_setup() @flags, besides LIVE_UFFD_DEV: */
#define LIVE_NO_UFFD 2 /* the suite does not use userfaultfd */

/*
 * live_suite_setup() - what the machine offers suite @s: userfaultfd (as
 * live_uffd_probe(@flags & LIVE_UFFD_DEV), unless LIVE_NO_UFFD), and when
 * it does, a directory on a disk filesystem and @wanted huge pages of
 * @page_size (0: any) reserved, at least @needed of them. Says what will be
 * skipped. Returns 0, or -1 when userfaultfd fails otherwise than by being
 * missing (the group setup fails).
 */
int live_suite_setup(struct live_suite *s, unsigned int flags,
		     unsigned long page_size, long wanted, long needed);
/* Gives the huge pages back and prints the tally as the last line. */
void live_suite_teardown(struct live_suite *s);

/* printf() to stdout after "@s->name: ", with a newline. */
void live_say(const struct live_suite *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Count case @name as skipped, print why, and skip the running cmocka test. */
void live_skip(struct live_suite *s, const char *name, const char *why);
/*
 * Skip case @name when the machine cannot run it: always without
 * userfaultfd, when it maps hugetlb memory (@hugetlb) without huge pages,
 * when it maps a regular file (@file) without a disk directory.
 */
void live_suite_check(struct live_suite *s, const char *name, bool hugetlb,
		      bool file);

/*
 * live_step_print() - print step @i of case @name, described by @what, that
 * agrees (@ok) or not; the first that does not (*@nbad counts them) comes
 * after a "@name: disagreement:" line. The caller then prints both sides.
 */
void live_step_print(const char *name, int i, const char *what, bool ok,
		     int *nbad);
/*
 * live_suite_verdict() - the end of case @name: counts it as agreeing when
 * none of its @nsteps steps differed (@nbad), else fails the running cmocka
 * test.
 */
void live_suite_verdict(struct live_suite *s, const char *name, int nbad,
			int nsteps);

/*
 * live_suite_main() - run cmocka group @group with one test per case: @n
 * cases of @size bytes each from @cases, named by the string at @name_off,
 * each run by @fn with the case as its state, between @setup and
 * @teardown; only the tests the glob in $@filter_env matches, when set.
 * Returns what the group returns (the number of failed tests).
 */
int live_suite_main(const char *group, const char *filter_env,
		    const void *cases, size_t n, size_t size, size_t name_off,
		    void (*fn)(void **state), int (*setup)(void **state),
		    int (*teardown)(void **state));
/* live_suite_main() of array @cases, whose elements have a @name member. */
#define LIVE_SUITE_MAIN(group, filter_env, cases, fn, setup, teardown)     \
	live_suite_main(group, filter_env, cases, ARRAY_SIZE(cases),       \
			sizeof((cases)[0]),                                \
			offsetof(__typeof__((cases)[0]), name), fn, setup, \
			teardown)

/* ------------------------------------------------------------------------ */
/* The live child (child.c).                                                */
/* ------------------------------------------------------------------------ */

/* What a live child function returns. */
enum live_status {
	LIVE_RAN, /* the case ran: its results are in @res */
	LIVE_SKIPPED, /* this process cannot run it (@why): skip the case */
	LIVE_FAILED, /* setting up or running it failed (@why) */
};

/**
 * typedef live_child_fn - plays one case in the forked child.
 * @arg: the case, as given to live_child_run().
 * @res: where its results go: a zeroed buffer shared with the parent (and
 *	with the processes the child forks in turn).
 * @why: room for the reason of LIVE_SKIPPED or LIVE_FAILED.
 * @size: its size.
 *
 * Return: enum live_status. Processes it forks must _exit() on their own.
 */
typedef int live_child_fn(const void *arg, void *res, char *why, size_t size);

/*
 * live_child_run() - play case @name in a forked child and collect its
 * results: @fn runs there under alarm(@timeout), writing @size bytes of
 * results, which are copied to @res. Returns when the case ran. A case the
 * child skipped is skipped (and counted); a child that failed, crashed or
 * ran out of time fails the test (the case counts as compared).
 */
void live_child_run(struct live_suite *s, const char *name,
		    unsigned int timeout, live_child_fn *fn, const void *arg,
		    void *res, size_t size);

#endif /* UFFDOPS_TESTS_LIVE_H */
