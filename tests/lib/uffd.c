/* SPDX-License-Identifier: MIT */
/*
 * uffd.c - userfaultfd descriptors on the live kernel.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/userfaultfd.h>

#include "live.h"

#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IOWR(0xAA, 0x00, int)
#endif

int live_uffd_open(int flags, unsigned int how)
{
	int fd, dev, err;

	fd = (int)syscall(__NR_userfaultfd, flags);
	if (fd >= 0 || !(how & LIVE_UFFD_DEV))
		return fd >= 0 ? fd : -errno;
	err = -errno;
	/* userfaultfd_dev_ioctl(): the same context, without the sysctl */
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return err;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
	if (fd < 0)
		fd = -errno;
	close(dev);
	return fd;
}

int live_uffd_api(int fd, __u64 features, __u64 *supported)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };

	if (ioctl(fd, UFFDIO_API, &api))
		return -errno;
	if (supported)
		*supported = api.features;
	return 0;
}

int live_uffd_probe(unsigned int how, __u64 *features, const char **why)
{
	static char buf[256];
	int fd = live_uffd_open(O_CLOEXEC | O_NONBLOCK, how);
	int r;

	if (fd < 0) {
		snprintf(
			buf, sizeof(buf),
			"userfaultfd(2)%s fails with %s (needs CONFIG_USERFAULTFD and CAP_SYS_PTRACE or vm.unprivileged_userfaultfd=1)",
			how & LIVE_UFFD_DEV ? " and /dev/userfaultfd" : "",
			live_errname(-fd));
		*why = buf;
		/* new_userfaultfd(): no such call, no permission */
		return fd == -ENOSYS || fd == -ENOENT || fd == -EPERM ||
				       fd == -EACCES ?
			       1 :
			       fd;
	}
	r = live_uffd_api(fd, 0, features);
	close(fd);
	if (r) {
		snprintf(buf, sizeof(buf), "UFFDIO_API fails with %s",
			 live_errname(-r));
		*why = buf;
	}
	return r;
}
