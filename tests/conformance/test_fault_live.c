/* SPDX-License-Identifier: MIT */
/*
 * test_fault_live.c - the userfaultfd fault path on the live kernel against
 * the model, data-driven: one runner plays every case of the table below
 * twice,
 *  - live: in a forked child, with a real userfaultfd and the region mapped
 *    with MAP_FIXED at an address nothing else uses; a faulting thread
 *    touches the region (a load or a store, read(2)/write(2) through a pipe
 *    for kernel-mode accesses, MADV_POPULATE_*, /proc/self/mem) while the
 *    child's main thread plays the handler;
 *  - model: on a fresh uffdops_mm at the same addresses, with a real thread
 *    in uffdops_handle_mm_fault(), uffdops_read_mem() or the like, and the
 *    handler polling the context's eventfd.
 * The handler follows the case's script: for each step it waits for the
 * next message, records it (event, flags, address as an offset into the
 * region, whether a thread id came with it) and answers it with the step's
 * action (UFFDIO_COPY, ZEROPAGE, CONTINUE, un-WRITEPROTECT, WAKE,
 * UNREGISTER, close), recording the ioctl's result and written-back count;
 * an IDLE step instead waits a while and records whether the thread is
 * still blocked. After the script, any further message is recorded
 * unanswered (a thread blocked with nothing left to do is then released by
 * closing the userfaultfd). Both sides then record how the access ended
 * (done, SIGBUS, SIGSEGV, an errno), the byte it read, and for every page
 * of the region its pagemap bits (present 63, swap 62, file 61, guard 58,
 * uffd-wp 57, exclusive 56; never the frame) and first 8 bytes. Everything
 * must agree.
 *
 * The last line is "fault conformance: N cases compared with the live
 * kernel, M agree". FAULT_LIVE_VERBOSE=1 prints both sides of every case,
 * FAULT_LIVE_FILTER=<glob> runs some. Without userfaultfd every case skips;
 * hugetlb cases skip when no huge page can be reserved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <uffdops/uffdops.h>

#include "../lib/live.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

#define P 4096UL
#define H (2UL << 20)

/*
 * Where the cases map: below where mmap() places things top-down, above a
 * PIE program's heap, inside the application memory of ASan and TSan.
 */
#define REGION_BASE 0x40000000UL
#define ALIAS_BASE 0x50000000UL /* a second mapping of the file */
#define SRC_BASE 0x60000000UL /* UFFDIO_COPY's source, 0x5a bytes */
#define SRC_BYTE 0x5a
#define WRITE_BYTE 0x77
#define MAX_PAGES 4
#define MAX_STEPS 8

#define MSG_TIMEOUT_MS 3000 /* a message that must come */
#define IDLE_MS 200 /* how long "still blocked" is watched */
#define LIVE_TIMEOUT 30 /* seconds for one live case */

/* Huge pages the suite wants free while it runs. */
#define HUGE_PAGES_WANTED 16
#define HUGE_PAGES_NEEDED 8

/* ------------------------------------------------------------------------ */
/* The cases.                                                               */
/* ------------------------------------------------------------------------ */

enum mem {
	M_ANON, /* MAP_PRIVATE|MAP_ANONYMOUS */
	M_SHMEM, /* memfd, MAP_SHARED */
	M_SHMEM_PRIV, /* memfd, MAP_PRIVATE */
	M_SHMEM_ANON, /* MAP_SHARED|MAP_ANONYMOUS */
	M_HUGE_ANON, /* MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB */
	M_HUGE, /* hugetlb memfd, MAP_SHARED */
	M_HUGE_PRIV, /* hugetlb memfd, MAP_PRIVATE */
};

enum acc {
	A_READ, /* a load */
	A_WRITE, /* a store of WRITE_BYTE */
	A_KREAD, /* write(2) of the byte into a pipe: copy_from_user() */
	A_KWRITE, /* read(2) of WRITE_BYTE from a pipe: copy_to_user() */
	A_POP_READ, /* MADV_POPULATE_READ */
	A_POP_WRITE, /* MADV_POPULATE_WRITE */
	A_PROCMEM, /* pread(2) of /proc/self/mem */
};

enum act {
	X_END,
	X_COPY,
	X_COPY_WP,
	X_COPY_DONTWAKE,
	X_ZEROPAGE,
	X_CONTINUE,
	X_UNPROTECT, /* UFFDIO_WRITEPROTECT mode 0 */
	X_WAKE,
	X_UNREG, /* UFFDIO_UNREGISTER of the whole region */
	X_CLOSE,
	X_IDLE, /* watch IDLE_MS; the next action then acts at once */
};

static const char *const act_names[] = {
	"end",	      "COPY",	  "COPY_WP",   "COPY_DONTWAKE",
	"ZEROPAGE",   "CONTINUE", "UNPROTECT", "WAKE",
	"UNREGISTER", "close",	  "idle",
};

/**
 * struct fcase - one scenario.
 * @name: its name.
 * @mem: enum mem.
 * @npages: pages (of the memory's page size) in the region.
 * @file_pages: the file's size in pages; 0 means @npages.
 * @features: UFFDIO_API features.
 * @uflags: userfaultfd(2) flags beside O_CLOEXEC|O_NONBLOCK.
 * @mode: UFFDIO_REGISTER mode over the whole region.
 * @cached: pages put in the page cache through a second mapping before
 *	anything else (filled with 0x10 + index).
 * @touched: pages written through the region before registration (0x20 +
 *	index).
 * @guard: pages given guard markers before registration.
 * @wp: pages write-protected after registration.
 * @poison: pages poisoned after registration.
 * @acc: enum acc.
 * @off: where the access is, in bytes into the region.
 * @len: MADV_POPULATE_* length (0: one page).
 * @script: the handler's actions, one per step.
 */
struct fcase {
	const char *name;
	unsigned char mem;
	unsigned char npages;
	unsigned char file_pages;
	__u64 features;
	int uflags;
	__u64 mode;
	unsigned char cached;
	unsigned char touched;
	unsigned char guard;
	unsigned char wp;
	unsigned char poison;
	unsigned char acc;
	unsigned long off;
	unsigned long len;
	unsigned char script[MAX_STEPS];
};

#define UM UFFDIO_REGISTER_MODE_MISSING
#define UW UFFDIO_REGISTER_MODE_WP
#define UI UFFDIO_REGISTER_MODE_MINOR
#define F_EXACT UFFD_FEATURE_EXACT_ADDRESS
#define F_TID UFFD_FEATURE_THREAD_ID
#define F_SIGBUS UFFD_FEATURE_SIGBUS
#define F_WPU UFFD_FEATURE_WP_UNPOPULATED
#define F_ASYNC UFFD_FEATURE_WP_ASYNC
#define UMO UFFD_USER_MODE_ONLY

/* The table reads best as laid out by hand. */
/* clang-format off */
static const struct fcase cases[] = {
	/* Anonymous memory: do_anonymous_page(), do_wp_page(), markers. */
	{ "anon-missing-read", M_ANON, 4, .mode = UM, .acc = A_READ, .off = P + 123, .script = { X_COPY } },
	{ "anon-missing-write", M_ANON, 4, .mode = UM, .acc = A_WRITE, .off = 2 * P, .script = { X_COPY } },
	{ "anon-missing-exact-tid", M_ANON, 4, .features = F_EXACT | F_TID, .mode = UM, .acc = A_READ, .off = P + 77, .script = { X_COPY } },
	{ "anon-missing-tid-write", M_ANON, 2, .features = F_TID, .mode = UM, .acc = A_WRITE, .off = 5, .script = { X_COPY } },
	{ "anon-missing-zeropage", M_ANON, 2, .mode = UM, .acc = A_READ, .script = { X_ZEROPAGE } },
	{ "anon-zeropage-then-write", M_ANON, 2, .mode = UM, .acc = A_WRITE, .script = { X_ZEROPAGE } },
	{ "anon-wake-refaults", M_ANON, 2, .mode = UM, .acc = A_READ, .off = 9, .script = { X_WAKE, X_WAKE, X_COPY } },
	{ "anon-dontwake-then-wake", M_ANON, 2, .mode = UM, .acc = A_WRITE, .off = P, .script = { X_COPY_DONTWAKE, X_IDLE, X_WAKE } },
	{ "anon-close-while-blocked", M_ANON, 2, .mode = UM, .acc = A_READ, .script = { X_CLOSE } },
	{ "anon-close-write-blocked", M_ANON, 2, .mode = UM, .acc = A_WRITE, .off = P, .script = { X_CLOSE } },
	{ "anon-unregister-wakes", M_ANON, 2, .mode = UM, .acc = A_WRITE, .script = { X_UNREG } },
	{ "anon-copy-wp-then-write", M_ANON, 2, .mode = UM | UW, .acc = A_WRITE, .script = { X_COPY_WP, X_UNPROTECT } },
	{ "anon-copy-wp-then-read", M_ANON, 2, .mode = UM | UW, .acc = A_READ, .script = { X_COPY_WP } },
	{ "anon-wp-write", M_ANON, 2, .mode = UM | UW, .touched = 3, .wp = 3, .acc = A_WRITE, .off = P + 1, .script = { X_UNPROTECT } },
	{ "anon-wp-wake-refaults", M_ANON, 2, .mode = UW, .touched = 3, .wp = 3, .acc = A_WRITE, .script = { X_WAKE, X_UNPROTECT } },
	{ "anon-wp-read-passes", M_ANON, 2, .mode = UW, .touched = 3, .wp = 3, .acc = A_READ },
	{ "anon-wp-zeropage-write", M_ANON, 2, .mode = UM | UW, .acc = A_WRITE, .script = { X_ZEROPAGE, X_IDLE } },
	{ "anon-wp-async", M_ANON, 2, .features = F_ASYNC, .mode = UW, .touched = 3, .wp = 3, .acc = A_WRITE },
	{ "anon-wp-async-marker", M_ANON, 2, .features = F_ASYNC, .mode = UW, .wp = 3, .acc = A_WRITE, .off = P },
	{ "anon-wpu-marker-missing", M_ANON, 2, .features = F_WPU, .mode = UM | UW, .wp = 3, .acc = A_READ, .script = { X_COPY } },
	{ "anon-wpu-marker-read", M_ANON, 2, .features = F_WPU, .mode = UW, .wp = 3, .acc = A_READ },
	{ "anon-wpu-marker-write", M_ANON, 2, .features = F_WPU, .mode = UW, .wp = 3, .acc = A_WRITE, .script = { X_UNPROTECT } },
	{ "anon-no-wpu-no-marker", M_ANON, 2, .mode = UW, .wp = 3, .acc = A_WRITE },
	{ "anon-sigbus-missing", M_ANON, 2, .features = F_SIGBUS, .mode = UM, .acc = A_READ },
	{ "anon-sigbus-wp", M_ANON, 2, .features = F_SIGBUS, .mode = UW, .touched = 1, .wp = 1, .acc = A_WRITE },
	{ "anon-poison", M_ANON, 2, .mode = UM, .poison = 1, .acc = A_READ },
	{ "anon-guard", M_ANON, 2, .mode = UM, .guard = 2, .acc = A_WRITE, .off = P },
	{ "anon-kernel-read", M_ANON, 2, .mode = UM, .acc = A_KREAD, .off = 3, .script = { X_COPY } },
	{ "anon-kernel-write", M_ANON, 2, .mode = UM, .acc = A_KWRITE, .off = P, .script = { X_COPY } },
	{ "anon-kernel-write-wp", M_ANON, 2, .mode = UW, .touched = 3, .wp = 3, .acc = A_KWRITE, .script = { X_UNPROTECT } },
	{ "anon-umo-kernel-read", M_ANON, 2, .uflags = UMO, .mode = UM, .acc = A_KREAD },
	{ "anon-umo-kernel-write", M_ANON, 2, .uflags = UMO, .mode = UM, .acc = A_KWRITE },
	{ "anon-umo-user-read", M_ANON, 2, .uflags = UMO, .mode = UM, .acc = A_READ, .script = { X_COPY } },
	{ "anon-umo-populate", M_ANON, 2, .uflags = UMO, .mode = UM, .acc = A_POP_READ },
	{ "anon-populate-read", M_ANON, 2, .mode = UM, .acc = A_POP_READ, .len = 2 * P, .script = { X_COPY, X_COPY } },
	{ "anon-populate-write-wp", M_ANON, 2, .mode = UW, .touched = 1, .wp = 1, .acc = A_POP_WRITE, .script = { X_UNPROTECT } },
	{ "anon-procmem-read", M_ANON, 2, .mode = UM, .acc = A_PROCMEM },
	{ "anon-unreg-wp-only-stays", M_ANON, 2, .mode = UW, .touched = 3, .wp = 3, .acc = A_WRITE, .script = { X_UNREG, X_IDLE, X_WAKE } },
	{ "anon-unreg-wp-in-missing-vma", M_ANON, 2, .mode = UM | UW, .touched = 3, .wp = 3, .acc = A_WRITE, .script = { X_UNREG } },
	{ "anon-close-wp-blocked", M_ANON, 2, .mode = UW, .touched = 3, .wp = 3, .acc = A_WRITE, .script = { X_CLOSE } },

	/* shmem: shmem_get_folio_gfp(), fault-around, markers. */
	{ "shmem-missing-read", M_SHMEM, 4, .mode = UM, .acc = A_READ, .off = P + 8, .script = { X_COPY } },
	{ "shmem-missing-write", M_SHMEM, 4, .mode = UM, .acc = A_WRITE, .script = { X_COPY } },
	{ "shmem-missing-zeropage", M_SHMEM, 2, .mode = UM, .acc = A_READ, .script = { X_ZEROPAGE } },
	{ "shmem-missing-cached-faultaround", M_SHMEM, 4, .mode = UM, .cached = 0xf, .acc = A_READ, .off = P },
	{ "shmem-missing-partly-cached", M_SHMEM, 4, .mode = UM, .cached = 0xd, .acc = A_READ, .off = P, .script = { X_COPY } },
	{ "shmem-minor-read", M_SHMEM, 4, .mode = UI, .cached = 0xf, .acc = A_READ, .off = P + 3, .script = { X_CONTINUE } },
	{ "shmem-minor-write", M_SHMEM, 4, .mode = UI, .cached = 0xf, .acc = A_WRITE, .off = 2 * P, .script = { X_CONTINUE } },
	{ "shmem-minor-exact-tid", M_SHMEM, 2, .features = F_EXACT | F_TID, .mode = UI, .cached = 3, .acc = A_READ, .off = P + 99, .script = { X_CONTINUE } },
	{ "shmem-minor-uncached", M_SHMEM, 4, .mode = UI, .cached = 1, .acc = A_READ, .off = 2 * P },
	{ "shmem-minor-wake-refaults", M_SHMEM, 2, .mode = UI, .cached = 3, .acc = A_READ, .script = { X_WAKE, X_CONTINUE } },
	{ "shmem-missing-minor-both", M_SHMEM, 4, .mode = UM | UI, .cached = 1, .acc = A_READ, .off = P, .script = { X_COPY } },
	{ "shmem-private-minor-write", M_SHMEM_PRIV, 2, .mode = UI, .cached = 3, .acc = A_WRITE, .off = P + 1, .script = { X_CONTINUE } },
	{ "shmem-private-minor-read", M_SHMEM_PRIV, 2, .mode = UI, .cached = 3, .acc = A_READ, .script = { X_CONTINUE } },
	{ "shmem-private-missing-read", M_SHMEM_PRIV, 2, .mode = UM, .acc = A_READ, .script = { X_COPY } },
	{ "shmem-private-missing-write", M_SHMEM_PRIV, 2, .mode = UM, .acc = A_WRITE, .script = { X_COPY } },
	{ "shmem-private-cached-missing-only", M_SHMEM_PRIV, 2, .mode = UM, .cached = 3, .acc = A_WRITE },
	{ "shmem-eof", M_SHMEM, 4, 2, .mode = UM, .acc = A_READ, .off = 3 * P },
	{ "shmem-eof-minor", M_SHMEM, 4, 2, .mode = UI, .cached = 3, .acc = A_WRITE, .off = 2 * P },
	{ "shmem-wp-marker-read", M_SHMEM, 2, .mode = UW, .cached = 1, .wp = 3, .acc = A_READ },
	{ "shmem-wp-marker-write", M_SHMEM, 2, .mode = UW, .cached = 1, .wp = 3, .acc = A_WRITE, .script = { X_UNPROTECT } },
	{ "shmem-wp-marker-uncached-write", M_SHMEM, 2, .mode = UW, .wp = 3, .acc = A_WRITE, .off = P, .script = { X_UNPROTECT } },
	{ "shmem-wp-present-write", M_SHMEM, 2, .mode = UW, .touched = 3, .wp = 3, .acc = A_WRITE, .script = { X_UNPROTECT } },
	{ "shmem-wp-async", M_SHMEM, 2, .features = F_ASYNC, .mode = UW, .touched = 1, .wp = 3, .acc = A_WRITE },
	{ "shmem-minor-over-wp-marker", M_SHMEM, 2, .mode = UI | UW, .cached = 3, .wp = 3, .acc = A_READ, .script = { X_CONTINUE } },
	{ "shmem-anon-missing", M_SHMEM_ANON, 2, .mode = UM, .acc = A_WRITE, .off = P, .script = { X_COPY } },
	{ "shmem-unreg-minor-in-missing-vma", M_SHMEM, 2, .mode = UM | UI, .cached = 1, .acc = A_READ, .script = { X_UNREG } },
	{ "shmem-unreg-minor-only-stays", M_SHMEM, 2, .mode = UI, .cached = 1, .acc = A_READ, .script = { X_UNREG, X_IDLE, X_WAKE } },
	{ "shmem-close-minor", M_SHMEM, 2, .mode = UI, .cached = 3, .acc = A_WRITE, .script = { X_CLOSE } },
	{ "shmem-kernel-read-minor", M_SHMEM, 2, .mode = UI, .cached = 3, .acc = A_KREAD, .off = 7, .script = { X_CONTINUE } },
	{ "shmem-sigbus-minor", M_SHMEM, 2, .features = F_SIGBUS, .mode = UI, .cached = 3, .acc = A_READ },
	{ "shmem-poison", M_SHMEM, 2, .mode = UM, .poison = 1, .acc = A_WRITE },
	{ "shmem-populate-minor", M_SHMEM, 2, .mode = UI, .cached = 3, .acc = A_POP_READ, .len = 2 * P, .script = { X_CONTINUE, X_CONTINUE } },

	/* hugetlb: hugetlb_fault(), hugetlb_no_page(), huge-page addresses. */
	{ "huge-anon-missing-read", M_HUGE_ANON, 2, .mode = UM, .acc = A_READ, .off = H + 5 * P + 7, .script = { X_COPY } },
	{ "huge-anon-missing-exact", M_HUGE_ANON, 2, .features = F_EXACT, .mode = UM, .acc = A_WRITE, .off = H + 9 * P + 1, .script = { X_COPY } },
	{ "huge-anon-wake-refaults", M_HUGE_ANON, 1, .mode = UM, .acc = A_READ, .off = 3 * P, .script = { X_WAKE, X_COPY } },
	{ "huge-anon-close", M_HUGE_ANON, 1, .mode = UM, .acc = A_WRITE, .script = { X_CLOSE } },
	{ "huge-anon-sigbus", M_HUGE_ANON, 1, .features = F_SIGBUS, .mode = UM, .acc = A_READ },
	{ "huge-missing-read", M_HUGE, 2, .mode = UM, .acc = A_READ, .off = H + 8, .script = { X_COPY } },
	{ "huge-minor-read", M_HUGE, 2, .mode = UI, .cached = 3, .acc = A_READ, .off = H + 3 * P, .script = { X_CONTINUE } },
	{ "huge-minor-write", M_HUGE, 2, .mode = UI, .cached = 3, .acc = A_WRITE, .off = 17, .script = { X_CONTINUE } },
	{ "huge-minor-uncached", M_HUGE, 2, .mode = UI, .cached = 1, .acc = A_READ, .off = H },
	{ "huge-private-minor-write", M_HUGE_PRIV, 1, .mode = UI, .cached = 1, .acc = A_WRITE, .script = { X_CONTINUE } },
	{ "huge-private-cached-missing-read", M_HUGE_PRIV, 1, .mode = UM, .cached = 1, .acc = A_READ },
	{ "huge-private-cached-missing-write", M_HUGE_PRIV, 1, .mode = UM, .cached = 1, .acc = A_WRITE },
	{ "huge-private-missing", M_HUGE_PRIV, 1, .mode = UM, .acc = A_WRITE, .script = { X_COPY } },
	{ "huge-wp-write", M_HUGE, 1, .mode = UW, .touched = 1, .wp = 1, .acc = A_WRITE, .off = 7 * P, .script = { X_UNPROTECT } },
	{ "huge-wp-marker-write", M_HUGE, 2, .mode = UW, .touched = 1, .wp = 3, .acc = A_WRITE, .off = H, .script = { X_UNPROTECT } },
	{ "huge-wp-marker-read", M_HUGE, 2, .mode = UW, .cached = 2, .wp = 3, .acc = A_READ, .off = H },
	{ "huge-wp-marker-missing", M_HUGE, 1, .mode = UM | UW, .wp = 1, .acc = A_WRITE, .script = { X_COPY } },
	{ "huge-private-wp-marker-write", M_HUGE_PRIV, 1, .mode = UW, .cached = 1, .wp = 1, .acc = A_WRITE, .script = { X_UNPROTECT } },
	{ "huge-wp-async", M_HUGE, 1, .features = F_ASYNC, .mode = UW, .touched = 1, .wp = 1, .acc = A_WRITE },
	{ "huge-anon-wp-async-marker", M_HUGE_ANON, 1, .features = F_ASYNC, .mode = UW, .wp = 1, .acc = A_WRITE },
	{ "huge-poison", M_HUGE, 1, .mode = UM, .poison = 1, .acc = A_READ },
	{ "huge-kernel-write-minor", M_HUGE, 1, .mode = UI, .cached = 1, .acc = A_KWRITE, .off = P, .script = { X_CONTINUE } },
};
/* clang-format on */

/* ------------------------------------------------------------------------ */
/* Observations.                                                            */
/* ------------------------------------------------------------------------ */

/* How a wait for the handler's next event ended. */
enum what {
	W_NONE,
	W_MSG, /* a message */
	W_DONE, /* the access finished, no message */
	W_BLOCKED, /* neither, within the time allowed */
};

static const char *const what_names[] = { "-", "msg", "done", "blocked" };

struct step_obs {
	int what;
	int act; /* the action taken, X_END when none */
	__u8 event;
	__u64 flags;
	long off; /* message address - REGION_BASE */
	bool ptid;
	long ret; /* the ioctl's 0 or -errno */
	long out; /* its written-back count */
};

/* Access results: 0, a positive signal number, or a negative errno. */
struct obs {
	int nsteps;
	struct step_obs step[2 * MAX_STEPS];
	bool released; /* a thread left blocked was released by close */
	bool finished;
	int result;
	int byte; /* read by the access, -1 when none */
	int byte_after; /* at the access's address afterwards, -1 unmapped */
	uint64_t pm[MAX_PAGES];
	uint64_t data[MAX_PAGES];
};

/* ------------------------------------------------------------------------ */
/* The case's geometry.                                                     */
/* ------------------------------------------------------------------------ */

static bool mem_huge(int mem)
{
	return mem == M_HUGE_ANON || mem == M_HUGE || mem == M_HUGE_PRIV;
}

static bool mem_file(int mem)
{
	return mem == M_SHMEM || mem == M_SHMEM_PRIV || mem == M_HUGE ||
	       mem == M_HUGE_PRIV;
}

static unsigned long psize_of(const struct fcase *c)
{
	return mem_huge(c->mem) ? H : P;
}

static unsigned long region_len(const struct fcase *c)
{
	return c->npages * psize_of(c);
}

static unsigned long file_len(const struct fcase *c)
{
	return (c->file_pages ? c->file_pages : c->npages) * psize_of(c);
}

static int map_flags(const struct fcase *c)
{
	switch (c->mem) {
	case M_ANON:
		return MAP_PRIVATE | MAP_ANONYMOUS;
	case M_SHMEM_ANON:
		return MAP_SHARED | MAP_ANONYMOUS;
	case M_HUGE_ANON:
		return MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB;
	case M_SHMEM_PRIV:
	case M_HUGE_PRIV:
		return MAP_PRIVATE;
	default:
		return MAP_SHARED;
	}
}

/* ------------------------------------------------------------------------ */
/* One side: the live kernel or the model, behind the same few calls.        */
/* ------------------------------------------------------------------------ */

struct side {
	bool live;
	const struct fcase *c;
	/* live */
	int uffd;
	int memfd;
	int pipefd[2];
	int mem_fd; /* /proc/self/mem */
	int pagemap_fd;
	/* model */
	struct uffdops_mm *mm;
	struct uffdops_ctx *ctx;
	struct uffdops_file *file;
	/* both */
	int done_efd; /* the faulting thread's end */
	bool closed;
	pthread_t thread;
	int result;
	int byte;
};

static int side_ioctl(struct side *s, unsigned long cmd, void *arg)
{
	if (s->live)
		return ioctl(s->uffd, cmd, arg) ? -errno : 0;
	return uffdops_ioctl(s->ctx, cmd, arg);
}

static void side_close(struct side *s)
{
	if (s->closed)
		return;
	s->closed = true;
	if (s->live)
		close(s->uffd);
	else
		uffdops_close(s->ctx);
}

/*
 * Waits up to @ms for a message (W_MSG, *@msg filled) or the access's end
 * (W_DONE); W_BLOCKED when neither came. Messages win over the end.
 */
static int side_wait(struct side *s, int ms, struct uffd_msg *msg)
{
	struct pollfd pfd[2] = {
		{ .fd = s->done_efd, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },
	};
	long deadline = live_now_ms() + ms;

	if (!s->closed)
		pfd[1].fd = s->live ? s->uffd : uffdops_eventfd(s->ctx);
	for (;;) {
		long left = deadline - live_now_ms();
		ssize_t n;

		if (!s->closed) {
			n = s->live ? read(s->uffd, msg, sizeof(*msg)) :
				      uffdops_read(s->ctx, msg, sizeof(*msg));
			if (n == (ssize_t)sizeof(*msg))
				return W_MSG;
		}
		if (poll(pfd, 1, 0) == 1)
			return W_DONE;
		if (left <= 0)
			return W_BLOCKED;
		/* Short naps: a queued message may not have woken us. */
		poll(pfd, 2, left < 20 ? (int)left : 20);
	}
}

/* ------------------------------------------------------------------------ */
/* The live side.                                                           */
/* ------------------------------------------------------------------------ */

static int neg_errno(ssize_t r, ssize_t ok)
{
	return r == ok ? 0 : r < 0 ? -errno : -EIO;
}

/* The access of the case; a fault's signal is caught by live_access(). */
static void live_access_do(void *arg)
{
	struct side *s = arg;
	const struct fcase *c = s->c;
	volatile unsigned char *p = (void *)(REGION_BASE + c->off);
	unsigned long page = REGION_BASE + (c->off & ~(psize_of(c) - 1));
	unsigned long len = c->len ? c->len : psize_of(c);
	unsigned char b = WRITE_BYTE;

	switch (c->acc) {
	case A_READ:
		s->byte = *p;
		s->result = 0;
		break;
	case A_WRITE:
		*p = WRITE_BYTE;
		s->result = 0;
		break;
	case A_KREAD:
		s->result = neg_errno(write(s->pipefd[1], (void *)p, 1), 1);
		if (!s->result && read(s->pipefd[0], &b, 1) == 1)
			s->byte = b;
		break;
	case A_KWRITE:
		s->result = neg_errno(read(s->pipefd[0], (void *)p, 1), 1);
		break;
	case A_POP_READ:
	case A_POP_WRITE:
		s->result = madvise((void *)page, len,
				    c->acc == A_POP_READ ?
					    MADV_POPULATE_READ :
					    MADV_POPULATE_WRITE) ?
				    -errno :
				    0;
		break;
	case A_PROCMEM:
		s->result = neg_errno(
			pread(s->mem_fd, &b, 1, (off_t)(uintptr_t)p), 1);
		if (!s->result)
			s->byte = b;
		break;
	}
}

static void *live_access(void *arg)
{
	struct side *s = arg;
	int sig;

	s->byte = -1;
	sig = live_catch(live_access_do, s);
	if (sig)
		s->result = sig;
	eventfd_write(s->done_efd, 1);
	return NULL;
}

static void fill(unsigned long addr, int byte, unsigned long len)
{
	memset((void *)addr, byte, len);
}

/* Maps and prepares the region in this (child) process. */
static int live_setup(struct side *s)
{
	const struct fcase *c = s->c;
	unsigned long ps = psize_of(c), len = region_len(c);
	struct uffdio_api api = { .api = UFFD_API, .features = c->features };
	struct uffdio_register reg = {
		.range = { REGION_BASE, len },
		.mode = c->mode,
	};
	void *a;

	live_catch_setup();
	s->memfd = -1;
	if (mem_file(c->mem)) {
		s->memfd = live_file_create(
			mem_huge(c->mem) ? "hugetlb" : "shmem", file_len(c));
		if (s->memfd < 0)
			return s->memfd;
	}
	a = mmap((void *)SRC_BASE, H, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (a == MAP_FAILED)
		return -errno;
	fill(SRC_BASE, SRC_BYTE, H);
	if (c->cached) {
		a = mmap((void *)ALIAS_BASE, file_len(c),
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 s->memfd, 0);
		if (a == MAP_FAILED)
			return -errno;
		for (int i = 0; i < c->npages; i++)
			if (c->cached & (1 << i))
				fill(ALIAS_BASE + i * ps, 0x10 + i, ps);
		munmap(a, file_len(c));
	}
	a = mmap((void *)REGION_BASE, len, PROT_READ | PROT_WRITE,
		 map_flags(c) | MAP_FIXED, s->memfd, 0);
	if (a == MAP_FAILED)
		return -errno;
	for (int i = 0; i < c->npages; i++) {
		if (c->touched & (1 << i))
			fill(REGION_BASE + i * ps, 0x20 + i, ps);
		if ((c->guard & (1 << i)) &&
		    madvise((void *)(REGION_BASE + i * ps), ps,
			    MADV_GUARD_INSTALL))
			return -errno;
	}
	s->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | c->uflags);
	if (s->uffd < 0)
		return -errno;
	if (ioctl(s->uffd, UFFDIO_API, &api) ||
	    ioctl(s->uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	for (int i = 0; i < c->npages; i++) {
		struct uffdio_writeprotect wp = {
			.range = { REGION_BASE + i * ps, ps },
			.mode = UFFDIO_WRITEPROTECT_MODE_WP,
		};
		struct uffdio_poison poison = {
			.range = { REGION_BASE + i * ps, ps },
		};

		if ((c->wp & (1 << i)) &&
		    ioctl(s->uffd, UFFDIO_WRITEPROTECT, &wp))
			return -errno;
		if ((c->poison & (1 << i)) &&
		    ioctl(s->uffd, UFFDIO_POISON, &poison))
			return -errno;
	}
	if (pipe(s->pipefd))
		return -errno;
	if (c->acc == A_KWRITE &&
	    write(s->pipefd[1], &(char){ WRITE_BYTE }, 1) != 1)
		return -EIO;
	s->mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (s->mem_fd < 0)
		return -errno;
	s->pagemap_fd = live_pagemap_open();
	return s->pagemap_fd < 0 ? s->pagemap_fd : 0;
}

/* pagemap flags and first 8 bytes of the page at @addr. */
static void live_page(struct side *s, unsigned long addr, uint64_t *pm,
		      uint64_t *data)
{
	uint64_t e;

	live_pagemap(s->pagemap_fd, addr, &e, 1);
	*pm = e & LIVE_PM_COMPARED;
	*data = 0;
	if (e & UFFDOPS_PM_PRESENT)
		memcpy(data, (void *)addr, sizeof(*data));
}

/* ------------------------------------------------------------------------ */
/* The model side.                                                          */
/* ------------------------------------------------------------------------ */

/* A CPU access: fault until the access can go, then make it. */
static int model_cpu_access(struct side *s, unsigned long addr, bool write)
{
	unsigned char b = WRITE_BYTE;

	for (;;) {
		int r = uffdops_handle_mm_fault(
			s->mm, addr,
			FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0));

		if (r == VM_FAULT_SIGBUS)
			return SIGBUS;
		if (r)
			return SIGSEGV;
		if (write && uffdops_write_mem(s->mm, addr, &b, 1,
					       UFFDOPS_ACCESS_NOFAULT) == 1)
			return 0;
		if (!write && uffdops_read_mem(s->mm, addr, &b, 1,
					       UFFDOPS_ACCESS_NOFAULT) == 1) {
			s->byte = b;
			return 0;
		}
	}
}

static void *model_access(void *arg)
{
	struct side *s = arg;
	const struct fcase *c = s->c;
	unsigned long addr = REGION_BASE + c->off;
	unsigned long page = REGION_BASE + (c->off & ~(psize_of(c) - 1));
	unsigned long len = c->len ? c->len : psize_of(c);
	unsigned char b = WRITE_BYTE;
	ssize_t r;

	s->byte = -1;
	switch (c->acc) {
	case A_READ:
	case A_WRITE:
		s->result = model_cpu_access(s, addr, c->acc == A_WRITE);
		break;
	case A_KREAD:
		r = uffdops_read_mem(s->mm, addr, &b, 1, UFFDOPS_ACCESS_KERNEL);
		s->result = r == 1 ? 0 : (int)r;
		if (r == 1)
			s->byte = b;
		break;
	case A_KWRITE:
		r = uffdops_write_mem(s->mm, addr, &b, 1,
				      UFFDOPS_ACCESS_KERNEL);
		s->result = r == 1 ? 0 : (int)r;
		break;
	case A_POP_READ:
	case A_POP_WRITE:
		s->result = uffdops_madvise(s->mm, page, len,
					    c->acc == A_POP_READ ?
						    MADV_POPULATE_READ :
						    MADV_POPULATE_WRITE);
		break;
	case A_PROCMEM:
		r = uffdops_read_mem(s->mm, addr, &b, 1, UFFDOPS_ACCESS_FORCE);
		/* mem_rw(): nothing copied by access_remote_vm() -> EIO */
		s->result = r == 1 ? 0 : -EIO;
		if (r == 1)
			s->byte = b;
		break;
	}
	eventfd_write(s->done_efd, 1);
	return NULL;
}

static int model_fill(struct side *s, unsigned long addr, int byte,
		      unsigned long len)
{
	unsigned char *buf = malloc(len);
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	memset(buf, byte, len);
	r = uffdops_write_mem(s->mm, addr, buf, len, 0);
	free(buf);
	return r == (ssize_t)len ? 0 : -EFAULT;
}

static int model_setup(struct side *s)
{
	const struct fcase *c = s->c;
	unsigned long ps = psize_of(c), len = region_len(c);
	struct uffdio_api api = { .api = UFFD_API, .features = c->features };
	struct uffdio_register reg = {
		.range = { REGION_BASE, len },
		.mode = c->mode,
	};
	long a;
	int r;

	if ((r = live_mm_create(&s->mm)))
		return r;
	if (mem_file(c->mem) &&
	    (r = uffdops_file_create(mem_huge(c->mem) ? "hugetlb" : "shmem",
				     file_len(c), &s->file)))
		return r;
	a = uffdops_mmap(s->mm, SRC_BASE, H, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
	if (a < 0 || (r = model_fill(s, SRC_BASE, SRC_BYTE, H)))
		return a < 0 ? (int)a : r;
	if (c->cached) {
		a = uffdops_mmap(s->mm, ALIAS_BASE, file_len(c),
				 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
				 s->file, 0);
		if (a < 0)
			return (int)a;
		for (int i = 0; i < c->npages; i++)
			if ((c->cached & (1 << i)) &&
			    (r = model_fill(s, ALIAS_BASE + i * ps, 0x10 + i,
					    ps)))
				return r;
		uffdops_munmap(s->mm, ALIAS_BASE, file_len(c));
	}
	a = uffdops_mmap(s->mm, REGION_BASE, len, PROT_READ | PROT_WRITE,
			 map_flags(c) | MAP_FIXED, s->file, 0);
	if (a < 0)
		return (int)a;
	for (int i = 0; i < c->npages; i++) {
		if ((c->touched & (1 << i)) &&
		    (r = model_fill(s, REGION_BASE + i * ps, 0x20 + i, ps)))
			return r;
		if ((c->guard & (1 << i)) &&
		    (r = uffdops_madvise(s->mm, REGION_BASE + i * ps, ps,
					 MADV_GUARD_INSTALL)))
			return r;
	}
	if ((r = uffdops_userfaultfd(s->mm, O_CLOEXEC | O_NONBLOCK | c->uflags,
				     &s->ctx)) ||
	    (r = uffdops_ioctl(s->ctx, UFFDIO_API, &api)) ||
	    (r = uffdops_ioctl(s->ctx, UFFDIO_REGISTER, &reg)))
		return r;
	for (int i = 0; i < c->npages; i++) {
		struct uffdio_writeprotect wp = {
			.range = { REGION_BASE + i * ps, ps },
			.mode = UFFDIO_WRITEPROTECT_MODE_WP,
		};
		struct uffdio_poison poison = {
			.range = { REGION_BASE + i * ps, ps },
		};

		if ((c->wp & (1 << i)) &&
		    (r = uffdops_ioctl(s->ctx, UFFDIO_WRITEPROTECT, &wp)))
			return r;
		if ((c->poison & (1 << i)) &&
		    (r = uffdops_ioctl(s->ctx, UFFDIO_POISON, &poison)))
			return r;
	}
	return 0;
}

static void model_page(struct side *s, unsigned long addr, uint64_t *pm,
		       uint64_t *data)
{
	struct uffdops_pagemap_entry e;

	*pm = uffdops_pagemap(s->mm, addr, &e) ? ~0ULL :
						 e.bits & LIVE_PM_COMPARED;
	*data = 0;
	if (*pm & UFFDOPS_PM_PRESENT)
		uffdops_read_mem(s->mm, addr, data, sizeof(*data),
				 UFFDOPS_ACCESS_NOFAULT);
}

static void model_teardown(struct side *s)
{
	if (s->ctx)
		side_close(s);
	uffdops_mm_destroy(s->mm);
	if (s->file)
		uffdops_file_close(s->file);
}

/* ------------------------------------------------------------------------ */
/* The runner, shared by both sides.                                        */
/* ------------------------------------------------------------------------ */

/* The handler's answer to a message at @addr: the ioctl of @act. */
static void act_on(struct side *s, int act, unsigned long addr,
		   struct step_obs *o)
{
	const struct fcase *c = s->c;
	unsigned long ps = psize_of(c), page = addr & ~(ps - 1);
	union {
		struct uffdio_copy copy;
		struct uffdio_zeropage zero;
		struct uffdio_continue cont;
		struct uffdio_writeprotect wp;
		struct uffdio_range range;
	} u;

	memset(&u, 0, sizeof(u));
	o->act = act;
	switch (act) {
	case X_COPY:
	case X_COPY_WP:
	case X_COPY_DONTWAKE:
		u.copy = (struct uffdio_copy){
			.dst = page,
			.src = SRC_BASE,
			.len = ps,
			.mode = act == X_COPY_WP ? UFFDIO_COPY_MODE_WP :
				act == X_COPY_DONTWAKE ?
						   UFFDIO_COPY_MODE_DONTWAKE :
						   0,
		};
		o->ret = side_ioctl(s, UFFDIO_COPY, &u.copy);
		o->out = u.copy.copy;
		break;
	case X_ZEROPAGE:
		u.zero.range = (struct uffdio_range){ page, ps };
		o->ret = side_ioctl(s, UFFDIO_ZEROPAGE, &u.zero);
		o->out = u.zero.zeropage;
		break;
	case X_CONTINUE:
		u.cont.range = (struct uffdio_range){ page, ps };
		o->ret = side_ioctl(s, UFFDIO_CONTINUE, &u.cont);
		o->out = u.cont.mapped;
		break;
	case X_UNPROTECT:
		u.wp.range = (struct uffdio_range){ page, ps };
		o->ret = side_ioctl(s, UFFDIO_WRITEPROTECT, &u.wp);
		break;
	case X_WAKE:
		u.range = (struct uffdio_range){ page, ps };
		o->ret = side_ioctl(s, UFFDIO_WAKE, &u.range);
		break;
	case X_UNREG:
		u.range = (struct uffdio_range){ REGION_BASE, region_len(c) };
		o->ret = side_ioctl(s, UFFDIO_UNREGISTER, &u.range);
		break;
	case X_CLOSE:
		side_close(s);
		break;
	}
}

static void record_msg(struct step_obs *o, const struct uffd_msg *msg)
{
	o->event = msg->event;
	o->flags = msg->arg.pagefault.flags;
	o->off = (long)(msg->arg.pagefault.address - REGION_BASE);
	o->ptid = msg->arg.pagefault.feat.ptid != 0;
}

/*
 * Runs the access in a thread and the script in the calling thread, then
 * observes the region. The side is set up.
 */
static void run_script(struct side *s, struct obs *o)
{
	const struct fcase *c = s->c;
	unsigned long ps = psize_of(c);
	unsigned long last = REGION_BASE + c->off;
	struct uffd_msg msg;
	int i, w;

	memset(o, 0, sizeof(*o));
	o->byte = -1;
	if (pthread_create(&s->thread, NULL,
			   s->live ? live_access : model_access, s)) {
		o->result = -EAGAIN;
		return;
	}
	for (i = 0; i < MAX_STEPS && c->script[i] != X_END; i++) {
		struct step_obs *st = &o->step[o->nsteps++];
		int act = c->script[i];

		/* After an idle step, act at once on the last message. */
		if (i && c->script[i - 1] == X_IDLE) {
			act_on(s, act, last, st);
			continue;
		}
		w = side_wait(s, act == X_IDLE ? IDLE_MS : MSG_TIMEOUT_MS,
			      &msg);
		st->what = w;
		if (w == W_MSG) {
			record_msg(st, &msg);
			last = msg.arg.pagefault.address;
		}
		if (act == X_IDLE) {
			st->act = X_IDLE;
			if (w != W_BLOCKED)
				break;
			continue;
		}
		if (w != W_MSG)
			break;
		act_on(s, act, last, st);
	}
	/* Whatever else comes is recorded unanswered. */
	while (o->nsteps < (int)ARRAY_SIZE(o->step)) {
		w = side_wait(s, IDLE_MS, &msg);
		if (w == W_DONE)
			break;
		o->step[o->nsteps].what = w;
		if (w == W_BLOCKED) {
			/* Nothing resolves it: release it by closing. */
			o->nsteps++;
			o->released = true;
			side_close(s);
			break;
		}
		record_msg(&o->step[o->nsteps++], &msg);
	}
	w = side_wait(s, MSG_TIMEOUT_MS, &msg);
	o->finished = w == W_DONE;
	if (!o->finished)
		return; /* the thread is stuck: the child's exit ends it */
	pthread_join(s->thread, NULL);
	o->result = s->result;
	o->byte = s->byte;
	for (i = 0; i < c->npages; i++) {
		if (s->live)
			live_page(s, REGION_BASE + i * ps, &o->pm[i],
				  &o->data[i]);
		else
			model_page(s, REGION_BASE + i * ps, &o->pm[i],
				   &o->data[i]);
	}
	o->byte_after = -1;
	if (o->pm[c->off / ps] & UFFDOPS_PM_PRESENT) {
		unsigned char b = 0;

		if (s->live)
			b = *(volatile unsigned char *)(REGION_BASE + c->off);
		else
			uffdops_read_mem(s->mm, REGION_BASE + c->off, &b, 1,
					 UFFDOPS_ACCESS_NOFAULT);
		o->byte_after = b;
	}
}

/* ------------------------------------------------------------------------ */
/* Comparison and printing.                                                 */
/* ------------------------------------------------------------------------ */

static void result_str(int r, char *buf, size_t n)
{
	if (r == SIGBUS)
		snprintf(buf, n, "SIGBUS");
	else if (r == SIGSEGV)
		snprintf(buf, n, "SIGSEGV");
	else if (r < 0)
		snprintf(buf, n, "-%s", strerrorname_np(-r) ?: "?");
	else
		snprintf(buf, n, "ok");
}

static void print_obs(const char *who, const struct fcase *c,
		      const struct obs *o)
{
	char r[32];

	for (int i = 0; i < o->nsteps; i++) {
		const struct step_obs *st = &o->step[i];

		printf("    %s step %d: %s", who, i, what_names[st->what]);
		if (st->what == W_MSG)
			printf(" event %#x flags %#llx off %#lx%s", st->event,
			       (unsigned long long)st->flags,
			       (unsigned long)st->off, st->ptid ? " ptid" : "");
		if (st->act != X_END) {
			result_str((int)st->ret, r, sizeof(r));
			printf(" -> %s %s out %ld", act_names[st->act], r,
			       st->out);
		}
		printf("\n");
	}
	result_str(o->result, r, sizeof(r));
	printf("    %s: %s%s, access %s, byte %d, after %d\n", who,
	       o->finished ? "finished" : "STUCK",
	       o->released ? " (released by close)" : "", r, o->byte,
	       o->byte_after);
	for (int i = 0; i < c->npages; i++)
		printf("    %s page %d: pagemap %#" PRIx64 " data %#" PRIx64
		       "\n",
		       who, i, o->pm[i] >> 55, o->data[i]);
}

static int obs_diff(const struct fcase *c, const struct obs *a,
		    const struct obs *b, bool print)
{
	int bad = 0;

#define DIFF(cond, ...)                              \
	do {                                         \
		if (cond) {                          \
			bad++;                       \
			if (print)                   \
				printf(__VA_ARGS__); \
		}                                    \
	} while (0)

	DIFF(a->nsteps != b->nsteps, "  steps: live %d, model %d\n", a->nsteps,
	     b->nsteps);
	for (int i = 0; i < a->nsteps && i < b->nsteps; i++) {
		const struct step_obs *x = &a->step[i], *y = &b->step[i];

		DIFF(x->what != y->what || x->act != y->act ||
			     x->event != y->event || x->flags != y->flags ||
			     x->off != y->off || x->ptid != y->ptid ||
			     x->ret != y->ret || x->out != y->out,
		     "  step %d differs\n", i);
	}
	DIFF(a->released != b->released || a->finished != b->finished,
	     "  end: live %s%s, model %s%s\n",
	     a->finished ? "finished" : "stuck",
	     a->released ? " (released)" : "",
	     b->finished ? "finished" : "stuck",
	     b->released ? " (released)" : "");
	DIFF(a->result != b->result || a->byte != b->byte ||
		     a->byte_after != b->byte_after,
	     "  access: live %d/%d/%d, model %d/%d/%d\n", a->result, a->byte,
	     a->byte_after, b->result, b->byte, b->byte_after);
	for (int i = 0; i < c->npages; i++)
		DIFF(a->pm[i] != b->pm[i] || a->data[i] != b->data[i],
		     "  page %d: live pagemap %#" PRIx64 " data %#" PRIx64
		     ", model pagemap %#" PRIx64 " data %#" PRIx64 "\n",
		     i, a->pm[i] >> 55, a->data[i], b->pm[i] >> 55, b->data[i]);
#undef DIFF
	return bad;
}

/* ------------------------------------------------------------------------ */
/* The suite.                                                               */
/* ------------------------------------------------------------------------ */

static struct obs *live_res;
static bool verbose;
static struct live_suite suite = { .name = "fault conformance",
				   .noun = "cases" };

/* Play case @arg in this freshly forked process; see live_child_fn. */
static int live_child(const void *arg, void *res, char *why, size_t size)
{
	struct side s = { .live = true, .c = arg };
	int r;

	s.done_efd = eventfd(0, EFD_CLOEXEC);
	r = s.done_efd < 0 ? -errno : live_setup(&s);
	if (r) {
		snprintf(why, size, "setting up: %s", strerror(-r));
		return LIVE_FAILED;
	}
	run_script(&s, res);
	/* A thread that never finished ends with the process. */
	return LIVE_RAN;
}

static int model_case(const struct fcase *c, struct obs *o)
{
	struct side s = { .live = false, .c = c };
	int r;

	s.done_efd = eventfd(0, EFD_CLOEXEC);
	if (s.done_efd < 0)
		return -errno;
	r = model_setup(&s);
	if (!r) {
		run_script(&s, o);
		if (!o->finished) {
			/* Never left blocked: release and join. */
			side_close(&s);
			pthread_join(s.thread, NULL);
		}
	}
	model_teardown(&s);
	close(s.done_efd);
	return r;
}

static int suite_setup(void **state)
{
	(void)state;
	verbose = getenv("FAULT_LIVE_VERBOSE") != NULL;
	live_say(&suite, "the kernel %s the zero page on anonymous read faults",
		 live_no_zero_page() ? "does not map (pvm_no_zero_page=1)" :
				       "maps");
	live_res = malloc(sizeof(*live_res));
	if (!live_res)
		return -1;
	return live_suite_setup(&suite, 0, H, HUGE_PAGES_WANTED,
				HUGE_PAGES_NEEDED);
}

static int suite_teardown(void **state)
{
	(void)state;
	free(live_res);
	live_suite_teardown(&suite);
	return 0;
}

static void run_case(void **state)
{
	const struct fcase *c = *state;
	struct obs *model;
	int bad, r;

	live_suite_check(&suite, c->name, mem_huge(c->mem), false);
	if (mem_huge(c->mem)) {
		/* have the pages free again: other processes may take some */
		const char *why = live_hugetlb_reserve(H, HUGE_PAGES_WANTED,
						       HUGE_PAGES_NEEDED);

		live_hugetlb_release();
		if (why)
			live_skip(&suite, c->name, why);
	}
	live_child_run(&suite, c->name, LIVE_TIMEOUT, live_child, c, live_res,
		       sizeof(*live_res));
	suite.compared++;
	model = calloc(1, sizeof(*model));
	assert_non_null(model);
	r = model_case(c, model);
	if (r) {
		free(model);
		fail_msg("%s: setting up the model failed: %s", c->name,
			 strerror(-r));
	}
	if (verbose) {
		printf("  %s\n", c->name);
		print_obs("live ", c, live_res);
		print_obs("model", c, model);
	}
	bad = obs_diff(c, live_res, model, false);
	if (bad) {
		printf("%s: %d difference(s)\n", c->name, bad);
		obs_diff(c, live_res, model, true);
		if (!verbose) {
			print_obs("live ", c, live_res);
			print_obs("model", c, model);
		}
	} else {
		suite.agreed++;
	}
	free(model);
	if (bad)
		fail_msg("%s: the model disagrees with the live kernel",
			 c->name);
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(cases)];
	const char *filter = getenv("FAULT_LIVE_FILTER");
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (filter && fnmatch(filter, cases[i].name, 0))
			continue;
		tests[n] = (struct CMUnitTest){
			.name = cases[i].name,
			.test_func = run_case,
			.initial_state = (void *)&cases[i],
		};
		n++;
	}
	return _cmocka_run_group_tests("fault_live", tests, n, suite_setup,
				       suite_teardown);
}
