/* SPDX-License-Identifier: MIT */
/*
 * child.c - the forked child that plays a case on the live kernel.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "live.h"

/*
 * What the child reports besides its results, at the start of the shared
 * buffer. @status stays LIVE_NO_REPORT unless the child function returned.
 */
#define LIVE_NO_REPORT (-1)

struct report {
	int status;
	char why[200];
};

/* The results start this far into the buffer. */
#define RES_OFFSET ((sizeof(struct report) + 63) & ~(size_t)63)

void live_child_run(struct live_suite *s, const char *name,
		    unsigned int timeout, live_child_fn *fn, const void *arg,
		    void *res, size_t size)
{
	size_t len = RES_OFFSET + size;
	struct report *rep, got;
	int status = 0;
	pid_t pid;

	/*
	 * A fresh shared buffer per case: a process the child forked that
	 * outlives it writes only into memory nobody reads any more.
	 */
	rep = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(rep != MAP_FAILED);
	rep->status = LIVE_NO_REPORT;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		/* a crash ends the child, never resumes cmocka's test run */
		static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE,
					     SIGSYS };

		for (size_t i = 0; i < ARRAY_SIZE(fatal); i++)
			signal(fatal[i], SIG_DFL);
		alarm(timeout);
		rep->status = fn(arg, (char *)rep + RES_OFFSET, rep->why,
				 sizeof(rep->why));
		_exit(0);
	}
	if (pid > 0 && waitpid(pid, &status, 0) != pid)
		pid = -1;
	memcpy(&got, rep, sizeof(got));
	memcpy(res, (char *)rep + RES_OFFSET, size);
	munmap(rep, len);
	got.why[sizeof(got.why) - 1] = '\0';
	assert_true(pid > 0);

	if (!WIFEXITED(status) || WEXITSTATUS(status) ||
	    got.status == LIVE_NO_REPORT) {
		s->compared++;
		fail_msg("%s: the live run failed (status %#x)", name, status);
	}
	if (got.status == LIVE_FAILED) {
		s->compared++;
		fail_msg("%s: the live run failed: %s", name, got.why);
	}
	if (got.status == LIVE_SKIPPED)
		live_skip(s, name, got.why);
}
