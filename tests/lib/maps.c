/* SPDX-License-Identifier: MIT */
/*
 * maps.c - the VMAs meeting a window, from /proc/self/maps or smaps on the
 * live side and from uffdops_maps() on the model's, in one form.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uffdops/uffdops.h>

#include "live.h"

/* Add VMA [@start, @end) to @out when it meets [@lo, @hi). */
static struct live_vma *add_vma(struct live_vma *out, int *n, int max,
				unsigned long start, unsigned long end,
				const char *perm, bool file,
				unsigned long pgoff, unsigned long lo,
				unsigned long hi, unsigned int flags)
{
	struct live_vma *v;

	if (end <= lo || start >= hi)
		return NULL;
	if (*n >= max) {
		(*n)++; /* counted, not stored: shows as a mismatch */
		return NULL;
	}
	if (flags & LIVE_VMA_CLIP) {
		if (start < lo) {
			pgoff += (lo - start) / LIVE_PAGE_SIZE;
			start = lo;
		}
		if (end > hi)
			end = hi;
	}
	v = &out[(*n)++];
	memset(v, 0, sizeof(*v));
	v->start = (long)(start - lo);
	v->end = (long)(end - lo);
	memcpy(v->perm, perm, 4);
	v->perm[4] = '\0';
	if (flags & LIVE_VMA_FILE) {
		v->file = file;
		v->pgoff = file ? pgoff : 0;
	}
	return v;
}

/* The uffd modes of a smaps "VmFlags:" line (show_smap_vma_flags()). */
static unsigned char vmflags_uffd(const char *p)
{
	unsigned char f = 0;

	p += strlen("VmFlags:");
	while (*p && *p != '\n') {
		while (*p == ' ')
			p++;
		if (p[0] == 'u' && p[1] &&
		    (p[2] == ' ' || p[2] == '\n' || !p[2])) {
			if (p[1] == 'm')
				f |= LIVE_UF_M;
			else if (p[1] == 'w')
				f |= LIVE_UF_W;
			else if (p[1] == 'i')
				f |= LIVE_UF_I;
		}
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	return f;
}

static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static char maps_buf[1 << 20];

int live_vmas(unsigned long lo, unsigned long hi, unsigned int flags,
	      struct live_vma *out, int max)
{
	const char *path = flags & LIVE_VMA_UFFD ? "/proc/self/smaps" :
						   "/proc/self/maps";
	struct live_vma *cur = NULL;
	ssize_t len;
	int n = 0;

	pthread_mutex_lock(&maps_lock);
	len = live_read_file(path, maps_buf, sizeof(maps_buf));
	for (const char *p = maps_buf; len >= 0 && *p;) {
		unsigned long start, end, offset, inode;
		char perm[5];

		/* show_map_vma(): "start-end perm offset dev inode path" */
		if (sscanf(p, "%lx-%lx %4c %lx %*s %lu", &start, &end, perm,
			   &offset, &inode) == 5)
			cur = add_vma(out, &n, max, start, end, perm,
				      inode != 0, offset / LIVE_PAGE_SIZE, lo,
				      hi, flags);
		else if (cur && (flags & LIVE_VMA_UFFD) &&
			 !strncmp(p, "VmFlags:", 8))
			cur->uffd = vmflags_uffd(p);
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	pthread_mutex_unlock(&maps_lock);
	return len < 0 ? (int)len : n;
}

int live_model_vmas(struct uffdops_mm *mm, unsigned long lo, unsigned long hi,
		    unsigned int flags, struct live_vma *out, int max)
{
	struct uffdops_map *maps;
	int nr = uffdops_maps(mm, NULL, 0), n = 0;

	if (nr < 0)
		return nr;
	maps = calloc(nr ? (size_t)nr : 1, sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	nr = uffdops_maps(mm, maps, (size_t)nr);
	for (int i = 0; i < nr; i++) {
		const struct uffdops_map *m = &maps[i];
		const char perm[4] = {
			m->vm_flags & VM_READ ? 'r' : '-',
			m->vm_flags & VM_WRITE ? 'w' : '-',
			m->vm_flags & VM_EXEC ? 'x' : '-',
			m->vm_flags & VM_MAYSHARE ? 's' : 'p',
		};
		struct live_vma *v = add_vma(out, &n, max, m->start, m->end,
					     perm, m->inode != NULL, m->pgoff,
					     lo, hi, flags);

		if (v && (flags & LIVE_VMA_UFFD))
			v->uffd = (m->vm_flags & VM_UFFD_MISSING ? LIVE_UF_M :
								   0) |
				  (m->vm_flags & VM_UFFD_WP ? LIVE_UF_W : 0) |
				  (m->vm_flags & VM_UFFD_MINOR ? LIVE_UF_I : 0);
	}
	free(maps);
	return nr < 0 ? nr : n;
}

bool live_vmas_equal(const struct live_vma *a, int na, const struct live_vma *b,
		     int nb, int max)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na && i < max; i++)
		if (a[i].start != b[i].start || a[i].end != b[i].end ||
		    strcmp(a[i].perm, b[i].perm) || a[i].file != b[i].file ||
		    a[i].uffd != b[i].uffd || a[i].pgoff != b[i].pgoff)
			return false;
	return true;
}

void live_vmas_print(const char *side, const struct live_vma *v, int n, int max)
{
	printf("      %s: %d VMA(s)", side, n);
	for (int i = 0; i < n && i < max; i++) {
		printf(" [%#lx-%#lx %s", v[i].start, v[i].end, v[i].perm);
		if (v[i].file)
			printf(" file pgoff %#lx", v[i].pgoff);
		printf("%s%s%s]", v[i].uffd & LIVE_UF_M ? " um" : "",
		       v[i].uffd & LIVE_UF_W ? " uw" : "",
		       v[i].uffd & LIVE_UF_I ? " ui" : "");
	}
	printf("\n");
}
