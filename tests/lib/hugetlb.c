/* SPDX-License-Identifier: MIT */
/*
 * hugetlb.c - huge pages for the suites, reserved through vm.nr_hugepages
 * and given back by the last test process that needed them.
 *
 * Several suites may run at once (ctest -j across build directories, a
 * suite started by hand). Each raises vm.nr_hugepages by what it lacks, so
 * the value to restore is the one before the first of them raised it, and
 * only the last one out may restore it. Two files under /tmp coordinate:
 *  - LOCK_PATH: flock(LOCK_EX) around every read-modify-write of the
 *    setting and every join or departure;
 *  - USERS_PATH: every process using the pool holds flock(LOCK_SH) on it for
 *    as long as it does, so one that gets LOCK_EX (under LOCK_PATH) is the
 *    only user; it holds the value to restore as text. A process that dies
 *    drops its lock with its descriptors; one that dies before restoring
 *    leaves the value for the next first user, who adopts it.
 * Only root can change the setting: other processes use what is free.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "live.h"

#define NR_HUGEPAGES_PATH "/proc/sys/vm/nr_hugepages"
#define LOCK_PATH "/tmp/uffdops-nr_hugepages.lock"
#define USERS_PATH "/tmp/uffdops-nr_hugepages.users"

static struct {
	pthread_mutex_t lock;
	int nested; /* reservations not yet released in this process */
	int users_fd; /* USERS_PATH, locked LOCK_SH; -1: not a user */
	char why[200];
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.users_fd = -1,
};

/* The number after "@key:" in /proc/meminfo, or -1 (pool.lock held). */
static long meminfo(const char *key)
{
	static char buf[16384];
	size_t klen = strlen(key);
	const char *p = buf;

	if (live_read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return -1;
	while (p) {
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return strtol(p + klen + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

unsigned long live_hugetlb_page_size(void)
{
	long kb;

	pthread_mutex_lock(&pool.lock);
	kb = meminfo("Hugepagesize");
	pthread_mutex_unlock(&pool.lock);
	return kb > 0 ? (unsigned long)kb * 1024 : 0;
}

static int flock_retry(int fd, int op)
{
	while (flock(fd, op))
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* LOCK_PATH taken: a descriptor to close, or -errno. */
static int pool_lock(void)
{
	int fd = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	int r;

	if (fd < 0)
		return -errno;
	r = flock_retry(fd, LOCK_EX);
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

static void pool_unlock(int fd)
{
	flock(fd, LOCK_UN);
	close(fd);
}

/* The value to restore kept in USERS_PATH, -1 when there is none. */
static long saved_read(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long v;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	return end == buf || v < 0 ? -1 : v;
}

static int saved_write(int fd, long v)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", v);

	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)len, 0) != len)
		return -errno;
	return fsync(fd) ? -errno : 0;
}

/* Become a user of the pool (LOCK_PATH held); the first saves the setting. */
static int pool_join(void)
{
	int fd = open(USERS_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	long saved;
	int r;

	if (fd < 0)
		return -errno;
	if (!flock(fd, LOCK_EX | LOCK_NB)) {
		/* the only user: keep what to restore, unless a dead one did */
		saved = saved_read(fd);
		if (saved < 0) {
			saved = live_read_long(NR_HUGEPAGES_PATH);
			r = saved < 0 ? -EIO : saved_write(fd, saved);
			if (r) {
				close(fd);
				return r;
			}
		}
	}
	r = flock_retry(fd, LOCK_SH);
	if (r) {
		close(fd);
		return r;
	}
	pool.users_fd = fd;
	return 0;
}

/* Raise vm.nr_hugepages so that @wanted pages are free; never lower it. */
static int pool_raise(long wanted)
{
	long nr, free_pages;
	int lock = pool_lock(), r = 0;

	if (lock < 0)
		return lock;
	if (pool.users_fd < 0)
		r = pool_join();
	free_pages = meminfo("HugePages_Free");
	nr = live_read_long(NR_HUGEPAGES_PATH);
	if (!r && free_pages >= 0 && free_pages < wanted)
		r = nr < 0 ? -EIO :
			     live_write_long(NR_HUGEPAGES_PATH,
					     nr + wanted - free_pages);
	pool_unlock(lock);
	return r;
}

/* The last user of the pool puts the setting back. */
static void pool_leave(void)
{
	int lock = pool_lock(), r;
	long saved;

	if (lock < 0) {
		fprintf(stderr,
			"hugetlb: cannot lock %s (%s): %s left as it is\n",
			LOCK_PATH, strerror(-lock), NR_HUGEPAGES_PATH);
	} else if (!flock(pool.users_fd, LOCK_EX | LOCK_NB)) {
		saved = saved_read(pool.users_fd);
		r = saved < 0 ? -ENODATA :
				live_write_long(NR_HUGEPAGES_PATH, saved);
		if (r)
			fprintf(stderr, "hugetlb: restoring %s to %ld: %s\n",
				NR_HUGEPAGES_PATH, saved, strerror(-r));
		else if (ftruncate(pool.users_fd, 0))
			fprintf(stderr, "hugetlb: emptying %s: %s\n",
				USERS_PATH, strerror(errno));
	}
	/* closing drops this process's lock: one user fewer */
	close(pool.users_fd);
	pool.users_fd = -1;
	if (lock >= 0)
		pool_unlock(lock);
}

const char *live_hugetlb_reserve(unsigned long page_size, long wanted,
				 long needed)
{
	const char *why = NULL;
	long kb, free_pages;
	int r = 0;

	pthread_mutex_lock(&pool.lock);
	pool.nested++;
	kb = meminfo("Hugepagesize");
	free_pages = meminfo("HugePages_Free");
	if (kb <= 0 || free_pages < 0) {
		why = "hugetlb is not configured in this kernel";
		goto out;
	}
	if (page_size && (unsigned long)kb * 1024 != page_size) {
		snprintf(pool.why, sizeof(pool.why),
			 "the default huge page size is %ld kB, not %lu kB", kb,
			 page_size / 1024);
		why = pool.why;
		goto out;
	}
	/* every root user joins, so that no other restores under it */
	if (geteuid() == 0) {
		r = pool_raise(wanted);
		free_pages = meminfo("HugePages_Free");
	}
	if (free_pages < needed) {
		char detail[100];

		snprintf(detail, sizeof(detail), "%s%s%s",
			 geteuid() ? "not root" : "could not reserve",
			 r ? ": " : "", r ? strerror(-r) : "");
		snprintf(pool.why, sizeof(pool.why),
			 "only %ld free %ld kB huge pages (need %ld, %s)",
			 free_pages, kb, needed, detail);
		why = pool.why;
	}
out:
	pthread_mutex_unlock(&pool.lock);
	return why;
}

void live_hugetlb_release(void)
{
	pthread_mutex_lock(&pool.lock);
	if (pool.nested > 0 && !--pool.nested && pool.users_fd >= 0)
		pool_leave();
	pthread_mutex_unlock(&pool.lock);
}
