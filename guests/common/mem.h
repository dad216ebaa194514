/*
 * mem.h — the four memory functions a freestanding C compiler may call on its
 * own (GCC and Clang emit memset/memcpy for struct copies and zeroing loops
 * even with -ffreestanding). Implemented in mem.c with x86 string
 * instructions, so every guest also exercises REP MOVSB/STOSB (and STD for
 * overlapping moves) under translation.
 */
#ifndef GUEST_MEM_H
#define GUEST_MEM_H

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
