/* SPDX-License-Identifier: MIT */
/*
 * suite.c - what the machine offers a conformance suite, its skips and its
 * tally.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>

#include <cmocka.h>

#include "live.h"

void live_say(const struct live_suite *s, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", s->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int live_suite_setup(struct live_suite *s, unsigned int flags,
		     unsigned long page_size, long wanted, long needed)
{
	if (!(flags & LIVE_NO_UFFD)) {
		int r = live_uffd_probe(flags & LIVE_UFFD_DEV, &s->features,
					&s->skip);

		if (r < 0) {
			live_say(s, "%s", s->skip);
			return -1;
		}
		if (r) {
			live_say(s, "%s: every case will be skipped", s->skip);
			return 0;
		}
	}
	if (!live_disk_dir()) {
		s->file_skip = "no writable directory on a disk filesystem "
			       "(tried $TMPDIR, /var/tmp, ., /tmp)";
		live_say(s, "%s: regular-file %s will be skipped", s->file_skip,
			 s->noun);
	}
	s->hugetlb_skip = live_hugetlb_reserve(page_size, wanted, needed);
	s->hugetlb_held = true;
	if (s->hugetlb_skip)
		live_say(s, "%s: hugetlb %s will be skipped", s->hugetlb_skip,
			 s->noun);
	return 0;
}

void live_suite_teardown(struct live_suite *s)
{
	if (s->hugetlb_held)
		live_hugetlb_release();
	s->hugetlb_held = false;
	live_say(s,
		 "%d %s compared with the live kernel, %d agree (%d skipped)",
		 s->compared, s->noun, s->agreed, s->skipped);
}

void live_skip(struct live_suite *s, const char *name, const char *why)
{
	s->skipped++;
	printf("%s: skipped, %s\n", name, why);
	skip();
}

void live_suite_check(struct live_suite *s, const char *name, bool hugetlb,
		      bool file)
{
	if (s->skip)
		live_skip(s, name, s->skip);
	if (hugetlb && s->hugetlb_skip)
		live_skip(s, name, s->hugetlb_skip);
	if (file && s->file_skip)
		live_skip(s, name, s->file_skip);
}
