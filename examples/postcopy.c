/* SPDX-License-Identifier: MIT */
/*
 * postcopy.c - the fault handler of a post-copy live migration, as a VMM
 * (QEMU, Firecracker, Cloud Hypervisor) runs it on the destination host.
 *
 * After switch-over the guest runs on the destination before its memory has
 * arrived: guest RAM is mapped but empty. A vCPU that touches a page still
 * missing blocks in the kernel; the VMM's fault thread reads the fault,
 * fetches the page from the source and installs it atomically with
 * UFFDIO_COPY, which wakes the vCPU. This program plays every part:
 *
 *  1. guest RAM: a shmem file (memfd_create()) mapped MAP_SHARED and
 *     registered for MISSING faults on a userfaultfd with THREAD_ID;
 *  2. the source host: an image in ordinary memory, page i tagged with i;
 *  3. NR_VCPUS vCPU threads touching every page in their own random order,
 *     blocking in handle_userfault() on each page not yet received;
 *  4. the fault thread: an epoll loop over the context's eventfd and a stop
 *     eventfd, serving each message with UFFDIO_COPY;
 *  5. the end: every page compared with the source image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <uffdops/uffdops.h>

#define PAGE 4096UL
#define NR_PAGES 512UL
#define NR_VCPUS 4
#define RAM_SIZE (NR_PAGES * PAGE)

/* The source host's copy of guest RAM: page i starts with the tag i. */
static unsigned char source_image[RAM_SIZE];

struct vcpu {
	struct uffdops_mm *mm;
	unsigned long ram;
	unsigned int index;
	pid_t tid;
	unsigned long bad; /* loads that saw a wrong tag, failed faults */
	pthread_t thread;
};

struct fault_thread {
	struct uffdops_mm *mm;
	struct uffdops_ctx *ctx;
	unsigned long ram, staging;
	int epfd, stop_fd;
	bool received[NR_PAGES]; /* the VMM's "page received" bitmap */
	struct uffd_msg first; /* the first message, to show it */
	unsigned long msgs, writes, copied, rewoken, errors;
	struct {
		__u32 ptid;
		unsigned long faults;
	} by_tid[NR_VCPUS]; /* faults per faulting thread, from feat.ptid */
	pthread_t thread;
};

/* A vCPU: reads every page's tag, one access in four is a store. */
static void *vcpu_main(void *arg)
{
	struct vcpu *v = arg;
	unsigned long order[NR_PAGES], i, j, tmp;
	unsigned int seed = 0x5eed + v->index;
	__u64 tag;

	v->tid = gettid();
	for (i = 0; i < NR_PAGES; i++)
		order[i] = i;
	for (i = NR_PAGES - 1; i > 0; i--) { /* Fisher-Yates shuffle */
		j = (unsigned long)rand_r(&seed) % (i + 1);
		tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < NR_PAGES; i++) {
		unsigned long addr = v->ram + order[i] * PAGE;

		if (i % 4 == 3) {
			/*
			 * A store's fault (handle_mm_fault() with
			 * FAULT_FLAG_WRITE); the data is left as received so
			 * the end check can compare it with the source.
			 */
			if (uffdops_handle_mm_fault(v->mm, addr,
						    FAULT_FLAG_USER |
							    FAULT_FLAG_WRITE))
				v->bad++;
			continue;
		}
		/* A load (copy_from_user()): blocks until the page is in. */
		if (uffdops_read_mem(v->mm, addr, &tag, sizeof(tag), 0) !=
			    sizeof(tag) ||
		    tag != order[i])
			v->bad++;
	}
	return NULL;
}

/* Serve one fault message: fetch the page, UFFDIO_COPY it, count it. */
static void serve(struct fault_thread *ft, const struct uffd_msg *msg)
{
	unsigned long addr = msg->arg.pagefault.address & ~(PAGE - 1);
	unsigned long index = (addr - ft->ram) / PAGE;
	struct uffdio_copy copy = { .dst = addr,
				    .src = ft->staging,
				    .len = PAGE };
	struct uffdio_range range = { .start = addr, .len = PAGE };
	int t;

	if (msg->event != UFFD_EVENT_PAGEFAULT || index >= NR_PAGES) {
		ft->errors++;
		return;
	}
	if (!ft->msgs++)
		ft->first = *msg;
	if (msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE)
		ft->writes++;
	for (t = 0; t < NR_VCPUS; t++) {
		if (!ft->by_tid[t].ptid)
			ft->by_tid[t].ptid = msg->arg.pagefault.feat.ptid;
		if (ft->by_tid[t].ptid == msg->arg.pagefault.feat.ptid) {
			ft->by_tid[t].faults++;
			break;
		}
	}
	if (ft->received[index]) {
		/*
		 * Two vCPUs faulted on the page and both messages were read
		 * in one batch: the first COPY installed it and woke both, so
		 * this one is stale. UFFDIO_WAKE (userfaultfd_wake()) is
		 * harmless; a real VMM does the same on -EEXIST.
		 */
		if (uffdops_ioctl(ft->ctx, UFFDIO_WAKE, &range))
			ft->errors++;
		ft->rewoken++;
		return;
	}
	/*
	 * "Fetch" the page: the migration stream lands in a staging buffer in
	 * the VMM's own memory, the source UFFDIO_COPY reads from.
	 */
	if (uffdops_write_mem(ft->mm, ft->staging, source_image + index * PAGE,
			      PAGE, 0) != (ssize_t)PAGE) {
		ft->errors++;
		return;
	}
	/* UFFDIO_COPY (mfill_atomic_copy()): install the page, wake waiters. */
	if (uffdops_ioctl(ft->ctx, UFFDIO_COPY, &copy) || copy.copy != PAGE) {
		ft->errors++;
		return;
	}
	ft->received[index] = true;
	ft->copied++;
}

/* The fault thread: epoll_wait() on the uffd eventfd and the stop eventfd. */
static void *fault_thread_main(void *arg)
{
	struct fault_thread *ft = arg;
	struct uffd_msg msgs[16];
	struct epoll_event ev[2];
	ssize_t len;
	int n, i, k;

	for (;;) {
		n = epoll_wait(ft->epfd, ev, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ft->errors++;
			return NULL;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.fd == ft->stop_fd)
				return NULL;
			/* read(uffd) (userfaultfd_read_iter()): a batch. */
			len = uffdops_read(ft->ctx, msgs, sizeof(msgs));
			if (len < 0 && len != -EAGAIN)
				ft->errors++;
			for (k = 0; k < len / (ssize_t)sizeof(msgs[0]); k++)
				serve(ft, &msgs[k]);
		}
	}
}

/* Name the bits of the ioctl mask UFFDIO_REGISTER wrote back. */
static void print_ioctls(__u64 ioctls)
{
	static const char *const names[] = {
		[_UFFDIO_WAKE] = "WAKE",
		[_UFFDIO_COPY] = "COPY",
		[_UFFDIO_ZEROPAGE] = "ZEROPAGE",
		[_UFFDIO_MOVE] = "MOVE",
		[_UFFDIO_WRITEPROTECT] = "WRITEPROTECT",
		[_UFFDIO_CONTINUE] = "CONTINUE",
		[_UFFDIO_POISON] = "POISON",
	};
	unsigned int nr;

	for (nr = 0; nr < sizeof(names) / sizeof(names[0]); nr++)
		if (names[nr] && (ioctls & UFFDOPS_IOCTL_BIT(nr)))
			printf(" %s", names[nr]);
	printf("\n");
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(void)
{
	static struct fault_thread ft;
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_THREAD_ID };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct epoll_event ev = { .events = EPOLLIN };
	struct vcpu vcpus[NR_VCPUS];
	const struct uffd_msg *first = &ft.first;
	struct uffdops_file *memfd;
	unsigned long i, bad = 0, bad_vcpu = 0, matched = 0;
	unsigned char page[PAGE];
	__u64 tag;
	double t0, ms;
	int t;

	for (i = 0; i < NR_PAGES; i++) {
		memset(source_image + i * PAGE, (int)(i * 7 + 1), PAGE);
		tag = i;
		memcpy(source_image + i * PAGE, &tag, sizeof(tag));
	}

	/* 1. Guest RAM: memfd_create() + ftruncate(), mmap(MAP_SHARED). */
	if (uffdops_mm_create(&ft.mm) ||
	    uffdops_file_create("shmem", RAM_SIZE, &memfd))
		return 1;
	ft.ram = uffdops_mmap(ft.mm, 0, RAM_SIZE, PROT_READ | PROT_WRITE,
			      MAP_SHARED, memfd, 0);
	ft.staging = uffdops_mmap(ft.mm, 0, PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if ((long)ft.ram < 0 || (long)ft.staging < 0)
		return 1;

	/* userfaultfd(O_NONBLOCK), UFFDIO_API, UFFDIO_REGISTER(MISSING). */
	if (uffdops_userfaultfd(ft.mm, O_CLOEXEC | O_NONBLOCK, &ft.ctx) ||
	    uffdops_ioctl(ft.ctx, UFFDIO_API, &api))
		return 1;
	reg.range.start = ft.ram;
	reg.range.len = RAM_SIZE;
	if (uffdops_ioctl(ft.ctx, UFFDIO_REGISTER, &reg))
		return 1;
	/* As the kernel's, it offers MOVE on shmem, which MOVE then refuses. */
	printf("post-copy: %lu pages of guest RAM (shmem, MAP_SHARED) registered MISSING; ioctls:",
	       NR_PAGES);
	print_ioctls(reg.ioctls);

	/*
	 * epoll_create1(), EPOLL_CTL_ADD the uffd and a stop eventfd. The
	 * model's context is not a file descriptor: uffdops_eventfd() stands
	 * in for it, readable exactly when userfaultfd_poll() says POLLIN.
	 */
	ft.epfd = epoll_create1(EPOLL_CLOEXEC);
	ft.stop_fd = eventfd(0, EFD_CLOEXEC);
	ev.data.fd = uffdops_eventfd(ft.ctx);
	if (ft.epfd < 0 || ft.stop_fd < 0 || ev.data.fd < 0 ||
	    epoll_ctl(ft.epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return 1;
	ev.data.fd = ft.stop_fd;
	if (epoll_ctl(ft.epfd, EPOLL_CTL_ADD, ft.stop_fd, &ev))
		return 1;

	/* 2. Run: the fault thread, then the vCPUs, until they are done. */
	t0 = now_ms();
	if (pthread_create(&ft.thread, NULL, fault_thread_main, &ft))
		return 1;
	for (t = 0; t < NR_VCPUS; t++) {
		vcpus[t] =
			(struct vcpu){ .mm = ft.mm, .ram = ft.ram, .index = t };
		if (pthread_create(&vcpus[t].thread, NULL, vcpu_main,
				   &vcpus[t]))
			return 1;
	}
	for (t = 0; t < NR_VCPUS; t++)
		pthread_join(vcpus[t].thread, NULL);
	ms = now_ms() - t0;
	if (eventfd_write(ft.stop_fd, 1) || pthread_join(ft.thread, NULL))
		return 1;

	/* 3. Account: who faulted (feat.ptid = the vCPU's gettid()). */
	printf("first message: UFFD_EVENT_PAGEFAULT at %#llx (page %lu), flags %#llx (%s), ptid %u\n",
	       (unsigned long long)first->arg.pagefault.address,
	       (unsigned long)(first->arg.pagefault.address - ft.ram) / PAGE,
	       (unsigned long long)first->arg.pagefault.flags,
	       first->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE ?
		       "write" :
		       "read",
	       first->arg.pagefault.feat.ptid);
	for (t = 0; t < NR_VCPUS; t++) {
		unsigned long faults = 0;
		int k;

		for (k = 0; k < NR_VCPUS; k++)
			if (ft.by_tid[k].ptid == (__u32)vcpus[t].tid)
				faults = ft.by_tid[k].faults;
		matched += faults;
		bad_vcpu += vcpus[t].bad;
		printf("  vCPU %d (tid %d): blocked on %lu faults\n", t,
		       (int)vcpus[t].tid, faults);
	}
	printf("fault thread: %lu messages (%lu write, %lu read), %lu pages copied, %lu stale (UFFDIO_WAKE)\n",
	       ft.msgs, ft.writes, ft.msgs - ft.writes, ft.copied, ft.rewoken);

	/* 4. Verify every page against the source, as a checksum pass would. */
	for (i = 0; i < NR_PAGES; i++)
		if (uffdops_read_mem(ft.mm, ft.ram + i * PAGE, page, PAGE,
				     UFFDOPS_ACCESS_NOFAULT) != (ssize_t)PAGE ||
		    memcmp(page, source_image + i * PAGE, PAGE))
			bad++;
	printf("verified %lu/%lu pages against the source image\n",
	       NR_PAGES - bad, NR_PAGES);
	printf("%.2f ms for %lu faults: %.0f faults/s\n", ms, ft.msgs,
	       ft.msgs / (ms / 1e3));

	close(ft.stop_fd);
	close(ft.epfd);
	uffdops_close(ft.ctx);
	uffdops_mm_destroy(ft.mm);
	uffdops_file_close(memfd);
	if (bad || bad_vcpu || ft.errors || ft.copied != NR_PAGES ||
	    matched != ft.msgs) {
		fprintf(stderr,
			"post-copy failed: %lu bad pages, %lu bad vCPU accesses, %lu errors\n",
			bad, bad_vcpu, ft.errors);
		return 1;
	}
	return 0;
}
