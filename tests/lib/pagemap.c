/* SPDX-License-Identifier: MIT */
/*
 * pagemap.c - /proc/self/pagemap entries (pagemap_read()).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "live.h"

int live_pagemap_open(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int live_pagemap(int fd, unsigned long addr, uint64_t *out, size_t n)
{
	/* pagemap_read(): one 64-bit entry per page, at vpn * 8 */
	ssize_t r = pread(fd, out, n * sizeof(*out),
			  (off_t)(addr / LIVE_PAGE_SIZE * sizeof(*out)));

	if (r == (ssize_t)(n * sizeof(*out)))
		return 0;
	memset(out, 0xff, n * sizeof(*out));
	return r < 0 ? -errno : -EIO;
}
