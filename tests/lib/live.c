/* SPDX-License-Identifier: MIT */
/*
 * live.c - files of /proc and /sys, the kernel command line, the model's mm
 * as this machine's kernel behaves, and the files the cases map.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <uffdops/uffdops.h>

#include "live.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

const char *live_errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "?";
}

ssize_t live_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t r = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len < size - 1 && (r = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)r;
	if (r < 0)
		r = -errno;
	else if (len == size - 1 && read(fd, &(char){ 0 }, 1) > 0)
		r = -EFBIG;
	close(fd);
	buf[len] = '\0';
	return r < 0 ? r : (ssize_t)len;
}

long live_read_long(const char *path)
{
	char buf[64];
	char *end;
	long v;

	if (live_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	errno = 0;
	v = strtol(buf, &end, 10);
	return end == buf || errno ? -1 : v;
}

int live_write_long(const char *path, long v)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", v);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t w;
	int r = 0;

	if (fd < 0)
		return -errno;
	w = write(fd, buf, (size_t)len);
	if (w != len)
		r = w < 0 ? -errno : -EIO;
	if (close(fd) && !r)
		r = -errno;
	return r;
}

bool live_cmdline_has(const char *word)
{
	char buf[4096];
	bool found = false;

	if (live_read_file("/proc/cmdline", buf, sizeof(buf)) < 0)
		return false;
	for (char *save, *tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		found |= !strcmp(tok, word);
	return found;
}

bool live_no_zero_page(void)
{
	return live_cmdline_has("pvm_no_zero_page=1");
}

int live_mm_create(struct uffdops_mm **mm)
{
	int r = uffdops_mm_create(mm);

	if (r)
		return r;
	r = uffdops_mm_config(*mm, UFFDOPS_MM_NO_ZERO_PAGE,
			      live_no_zero_page());
	if (r) {
		uffdops_mm_destroy(*mm);
		*mm = NULL;
	}
	return r;
}

long live_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

bool live_region_free(unsigned long base, unsigned long len)
{
	void *probe = mmap((void *)base, len, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE |
				   MAP_NORESERVE,
			   -1, 0);

	if (probe == MAP_FAILED)
		return false;
	munmap(probe, len);
	/* a kernel without MAP_FIXED_NOREPLACE takes it as a hint */
	return probe == (void *)base;
}

static struct {
	pthread_once_t once;
	char path[PATH_MAX];
	bool found;
} disk_dir = { .once = PTHREAD_ONCE_INIT };

/* A file can be made in @dir, and it is a regular file on a disk. */
static bool disk_dir_usable(const char *dir)
{
	char path[PATH_MAX];
	struct statfs sfs;
	int fd;

	if (statfs(dir, &sfs) || sfs.f_type == TMPFS_MAGIC ||
	    sfs.f_type == HUGETLBFS_MAGIC)
		return false;
	if (snprintf(path, sizeof(path), "%s/uffdops-live-XXXXXX", dir) >=
	    (int)sizeof(path))
		return false;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return false;
	unlink(path);
	close(fd);
	return true;
}

static void disk_dir_find(void)
{
	const char *dirs[] = { getenv("TMPDIR"), "/var/tmp", ".", "/tmp" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i] || !disk_dir_usable(dirs[i]) ||
		    snprintf(disk_dir.path, sizeof(disk_dir.path), "%s",
			     dirs[i]) >= (int)sizeof(disk_dir.path))
			continue;
		disk_dir.found = true;
		return;
	}
}

const char *live_disk_dir(void)
{
	pthread_once(&disk_dir.once, disk_dir_find);
	return disk_dir.found ? disk_dir.path : NULL;
}

int live_file_create(const char *type, unsigned long size)
{
	int fd, err;

	if (!strcmp(type, "shmem")) {
		fd = memfd_create("uffdops-live", MFD_CLOEXEC);
	} else if (!strcmp(type, "hugetlb")) {
		fd = memfd_create("uffdops-live-huge",
				  MFD_CLOEXEC | MFD_HUGETLB);
	} else if (!strcmp(type, "sealed")) {
		fd = memfd_create("uffdops-live-sealed",
				  MFD_CLOEXEC | MFD_ALLOW_SEALING);
	} else if (!strcmp(type, "file")) {
		const char *dir = live_disk_dir();
		char path[PATH_MAX + 32];

		if (!dir)
			return -ENOENT;
		snprintf(path, sizeof(path), "%s/uffdops-live-XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
	} else {
		return -EINVAL;
	}
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) ||
	    (!strcmp(type, "sealed") &&
	     fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int live_file_reopen(int fd, int flags)
{
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = open(path, flags | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

bool live_files_use(const struct live_file *f, int n, const char *type)
{
	for (int i = 0; i < n; i++)
		if (f[i].type && !strcmp(f[i].type, type))
			return true;
	return false;
}

int live_files_open(const struct live_file *f, int n, int *fds)
{
	for (int i = 0; i < n; i++)
		fds[i] = -1;
	for (int i = 0; i < n; i++) {
		if (!f[i].type)
			continue;
		fds[i] = strcmp(f[i].type, "ro") ?
				 live_file_create(f[i].type, f[i].size) :
				 live_file_reopen(fds[f[i].ro_of], O_RDONLY);
		if (fds[i] < 0)
			return fds[i];
	}
	return 0;
}

int live_model_files_open(const struct live_file *f, int n,
			  struct uffdops_file **files)
{
	struct uffdops_file *shmem;
	int r = 0;

	for (int i = 0; i < n; i++)
		files[i] = NULL;
	for (int i = 0; !r && i < n; i++) {
		if (!f[i].type)
			continue;
		if (!strcmp(f[i].type, "ro")) {
			r = uffdops_file_open(files[f[i].ro_of], O_RDONLY,
					      &files[i]);
		} else if (!strcmp(f[i].type, "sealed")) {
			/* no seals in the model: a read-only open stands in */
			r = uffdops_file_create("shmem", f[i].size, &shmem);
			if (!r) {
				r = uffdops_file_open(shmem, O_RDONLY,
						      &files[i]);
				uffdops_file_close(shmem);
			}
		} else {
			r = uffdops_file_create(f[i].type, f[i].size,
						&files[i]);
		}
	}
	return r;
}

void live_model_files_close(struct uffdops_file **files, int n)
{
	for (int i = n - 1; i >= 0; i--)
		if (files[i])
			uffdops_file_close(files[i]);
}
