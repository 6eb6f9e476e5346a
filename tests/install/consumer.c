/* SPDX-License-Identifier: MIT */
/*
 * consumer.c - a program built against an installed libuffdops: it only
 * looks up the built-in anonymous memory type and checks what it reports.
 */
#include <stdio.h>
#include <string.h>

#include <uffdops/uffdops.h>

int main(void)
{
	struct uffdops_memtype_info info;
	int ret;

	ret = uffdops_memtype_lookup("anon", &info);
	if (ret) {
		fprintf(stderr, "uffdops_memtype_lookup(\"anon\"): %d\n", ret);
		return 1;
	}
	if (strcmp(info.name, "anon") || !info.builtin ||
	    info.page_size != 4096 || (info.flags & UFFDOPS_MEMTYPE_FILE) ||
	    !(info.modes & VM_UFFD_MISSING)) {
		fprintf(stderr, "unexpected info for \"anon\"\n");
		return 1;
	}
	printf("OK\n");
	return 0;
}
