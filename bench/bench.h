/* SPDX-License-Identifier: MIT */
/*
 * bench.h - what the benchmarks under bench/ share: the clock, /proc and
 * /sys numbers, and a sysctl raised for one run and restored at exit.
 *
 * Header-only: each .c file of bench/ is built as a program of its own.
 */
#ifndef UFFDOPS_BENCH_H
#define UFFDOPS_BENCH_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* CLOCK_MONOTONIC in seconds. */
static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The number @path starts with, or -1. */
static inline long bench_read_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Write @v and a newline to @path: 0 or -errno. */
static inline int bench_write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int r = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%ld\n", v) < 0)
		r = -EIO;
	if (fclose(f))
		r = -errno;
	return r;
}

/* The number of the "@key:" line of /proc/meminfo (kB for sizes), or -1. */
static inline long bench_meminfo(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* The one sysctl a benchmark raises for its run, and its value before. */
static const char *bench_sysctl_path;
static long bench_sysctl_saved = -1;

/* Puts the sysctl bench_sysctl_raise() raised back; again is harmless. */
static inline void bench_sysctl_restore(void)
{
	if (bench_sysctl_saved >= 0)
		bench_write_long(bench_sysctl_path, bench_sysctl_saved);
	bench_sysctl_saved = -1;
}

/*
 * As root, set the sysctl file @path, which reads @old, to @v for this run;
 * it is restored by bench_sysctl_restore() or at exit. 0 or -errno.
 */
static inline int bench_sysctl_raise(const char *path, long old, long v)
{
	int r;

	if (old < 0 || geteuid() != 0)
		return -EPERM;
	r = bench_write_long(path, v);
	if (r)
		return r;
	if (!bench_sysctl_path)
		atexit(bench_sysctl_restore);
	bench_sysctl_path = path;
	bench_sysctl_saved = old;
	return 0;
}

/* Did bench_sysctl_raise() raise a sysctl that is not restored yet? */
static inline bool bench_sysctl_raised(void)
{
	return bench_sysctl_saved >= 0;
}

#endif /* UFFDOPS_BENCH_H */
