/* SPDX-License-Identifier: MIT */
/*
 * suite.c - what the machine offers a conformance suite, its skips and its
 * tally.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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

void live_step_print(const char *name, int i, const char *what, bool ok,
		     int *nbad)
{
	if (!ok && !(*nbad)++)
		printf("%s: disagreement:\n", name);
	printf("    %s step %d: %s%s\n", name, i, what,
	       ok ? "" : "   <-- differs");
}

void live_suite_verdict(struct live_suite *s, const char *name, int nbad,
			int nsteps)
{
	if (!nbad) {
		s->agreed++;
		return;
	}
	fail_msg("%s: the model and the kernel disagree on %d of %d steps",
		 name, nbad, nsteps);
}

int live_suite_main(const char *group, const char *filter_env,
		    const void *cases, size_t n, size_t size, size_t name_off,
		    void (*fn)(void **state), int (*setup)(void **state),
		    int (*teardown)(void **state))
{
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	const char *filter = getenv(filter_env);
	int r;

	if (!tests) {
		fprintf(stderr, "%s: out of memory\n", group);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *c = (const char *)cases + i * size;

		tests[i].name = *(const char *const *)(c + name_off);
		tests[i].test_func = fn;
		tests[i].initial_state = (void *)c;
	}
	if (filter)
		cmocka_set_test_filter(filter);
	r = _cmocka_run_group_tests(group, tests, n, setup, teardown);
	free(tests);
	return r;
}
