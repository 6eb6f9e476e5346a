/* SPDX-License-Identifier: MIT */
/*
 * catch.c - an access that may raise SIGSEGV or SIGBUS, caught in the
 * thread that makes it.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>

#include "live.h"

static _Thread_local sigjmp_buf catch_jmp;
static _Thread_local volatile sig_atomic_t catch_armed, catch_sig;

static void catch_handler(int sig)
{
	if (!catch_armed) {
		/* not ours: die of it as if there were no handler */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	catch_sig = sig;
	siglongjmp(catch_jmp, 1);
}

void live_catch_setup(void)
{
	struct sigaction sa = { .sa_handler = catch_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

int live_catch(void (*fn)(void *arg), void *arg)
{
	catch_sig = 0;
	if (sigsetjmp(catch_jmp, 1)) {
		catch_armed = 0;
		return catch_sig;
	}
	catch_armed = 1;
	fn(arg);
	catch_armed = 0;
	return 0;
}
