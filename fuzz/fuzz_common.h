/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.h - what the libFuzzer harnesses share: a reader that turns
 * the fuzzer's bytes into numbers (zeros once the input is used up), and an
 * assertion that reports a broken library invariant and aborts, so that
 * libFuzzer keeps the input as a crash.
 */
#ifndef UFFDOPS_FUZZ_COMMON_H
#define UFFDOPS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/**
 * struct input - the unread part of a fuzzer input.
 * @data: next byte.
 * @size: bytes left.
 */
struct input {
	const uint8_t *data;
	size_t size;
};

/* take() - the next @bytes bytes as a little-endian number, 0-padded. */
static inline uint64_t take(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes && in->size; i++, in->data++, in->size--)
		v |= (uint64_t)in->data[0] << (8 * i);
	return v;
}

static inline uint8_t take8(struct input *in)
{
	return (uint8_t)take(in, 1);
}

static inline uint16_t take16(struct input *in)
{
	return (uint16_t)take(in, 2);
}

static inline uint32_t take32(struct input *in)
{
	return (uint32_t)take(in, 4);
}

static inline uint64_t take64(struct input *in)
{
	return take(in, 8);
}

/* FUZZ_ASSERT() - a library invariant; a violation is a finding. */
#define FUZZ_ASSERT(cond, ...)                                             \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: invariant broken: %s\n  ", \
				__FILE__, __LINE__, #cond);                \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			abort();                                           \
		}                                                          \
	} while (0)

#endif /* UFFDOPS_FUZZ_COMMON_H */
