/*
 * sse2.c — SSE2 loop (built with -msse2 -mfpmath=sse): packed double
 * multiply, add, divide and square root on two lanes, plus packed 32-bit
 * integer adds and shuffles. Only correctly rounded operations, so every
 * machine must produce the same bits.
 */
#include <emmintrin.h>
#include <string.h>

#include "workload.h"

int main(int argc, char **argv)
{
	unsigned long n = wl_size(argc, argv, 78000000ul);
	__m128d x = _mm_set_pd(1.0, 2.0), y = _mm_set_pd(0.5, 0.25);
	__m128d acc = _mm_setzero_pd();
	const __m128d k = _mm_set1_pd(1.0000001), one = _mm_set1_pd(1.0);
	const __m128d small = _mm_set1_pd(1e-9), limit = _mm_set1_pd(1e6);
	const __m128d shrink = _mm_set1_pd(1e-6);
	__m128i h = _mm_set_epi32(1, 2, 3, 4);
	const __m128i step = _mm_set_epi32(0x9e3779b9, 0x7f4a7c15, 0x85ebca6b, 0xc2b2ae35);
	double t0 = wl_now();
	for (unsigned long i = 0; i < n; i++) {
		x = _mm_add_pd(_mm_mul_pd(x, k), y);
		y = _mm_div_pd(_mm_sqrt_pd(x), _mm_add_pd(one, y));
		acc = _mm_add_pd(acc, _mm_sub_pd(y, _mm_mul_pd(x, small)));
		__m128d big = _mm_cmpgt_pd(x, limit);
		x = _mm_or_pd(_mm_andnot_pd(big, x), _mm_and_pd(big, _mm_mul_pd(x, shrink)));
		h = _mm_shuffle_epi32(_mm_add_epi32(h, step), 0x39);
	}
	double t1 = wl_now();
	double lanes[2];
	_mm_storeu_pd(lanes, acc);
	unsigned long long a, b;
	memcpy(&a, &lanes[0], sizeof(a));
	memcpy(&b, &lanes[1], sizeof(b));
	return wl_report("sse2", t1 - t0, a ^ (b << 1) ^ (unsigned)_mm_cvtsi128_si32(h));
}
