/* Layer 3, the tracking core: the sampling decision of tracked blocks
 * (blocks.c) and mappings (mapping.c): the countdown of bytes to the next
 * sampled allocation, drawn per thread, and the weight and variance a
 * sampled block adds to its site's figures. Inline: with OVC_SAMPLE=1
 * every allocation comes here, and calls into another file cost 1.2% of
 * ubench's instructions. Pure arithmetic on the thread's own state: no
 * lock, no allocation, no system call but the first draw's clock read
 * (sampling.c). Not for other parts. */
#ifndef OVC_PRELOAD_SAMPLING_H
#define OVC_PRELOAD_SAMPLING_H

#include "account.h"
#include "base.h"
#include "blocks.h"

/** Mean bytes between sampled allocations (OVC_SAMPLE): 0, no sampling; 1,
 * every allocation. Set by ovc_blocks_init. */
extern uint64_t ovc_sample_mean OVC_HIDDEN;
/** The first state of a thread's generator (sampling.c). */
uint64_t ovc_sample_seed(uint64_t *s) OVC_HIDDEN;

static inline uint64_t rng_next(uint64_t *s)
{
	if (!*s)
		*s = ovc_sample_seed(s);
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Natural logarithm of X > 0, to 1e-15 relative: X = m * 2^e with m in
 * [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <
 * 0.172, by its series. Ours, not libm's: libovc.so does not load libm
 * into every process for two functions (a library less to map and to
 * search for every symbol of the program). */
static inline double ln(double x)
{
	uint64_t bits;
	memcpy(&bits, &x, sizeof bits);
	int e = (int)((bits >> 52) & 0x7ff) - 1023;
	bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
	double m;
	memcpy(&m, &bits, sizeof m);
	if (m > 1.4142135623730951) {
		m /= 2;
		e++;
	}
	double s = (m - 1) / (m + 1), s2 = s * s, term = s, sum = 0;
	for (int k = 1; k < 40; k += 2) {
		sum += term / k;
		term *= s2;
	}
	return 2 * sum + e * 0.6931471805599453;
}

/* exp(-X) - 1 for X >= 0, to 1e-15 relative: the series where X is small
 * (no cancellation), else exp(-X) = 2^-k exp(-r) with r in [0, ln 2). */
static inline double expm1_neg(double x)
{
	if (x < 0.5) {
		double term = -x, sum = 0;
		for (int k = 2; k < 30 && term != 0; k++) {
			sum += term;
			term *= -x / k;
		}
		return sum;
	}
	if (x > 700)
		return -1;
	int k = (int)(x / 0.6931471805599453);
	double r = x - k * 0.6931471805599453, term = 1, sum = 0;
	for (int i = 1; i < 30 && term != 0; i++) {
		sum += term;
		term *= -r / i;
	}
	for (int i = 0; i < k; i++)
		sum /= 2;
	return sum - 1;
}

/* Bytes to the next sample: exponential with mean ovc_sample_mean, so each
 * byte is equally likely to be the one sampled (as jemalloc and tcmalloc
 * do). */
static inline int64_t ovc_sample_draw(struct ovc_tc *t)
{
	if (ovc_sample_mean == 0)
		return INT64_MAX;
	if (ovc_sample_mean == 1)
		return 0;
	double u = (double)((rng_next(&t->rng) >> 11) + 1) / 9007199254740993.0;
	double v = -ln(u) * (double)ovc_sample_mean;
	return v > 9e18 ? INT64_MAX : (int64_t)v;
}

/* The weight of a tracked block of N bytes: the inverse of the probability
 * that it was sampled (1 for large blocks, which are all tracked). A
 * function of N alone, so blocks need not store it. */
static inline double ovc_sample_weight(uint64_t n)
{
	if (n >= ovc_large_bytes || ovc_sample_mean <= 1)
		return 1;
	double prob = -expm1_neg((double)n / (double)ovc_sample_mean);
	return prob > 0 ? 1 / prob : 1;
}

/* The sampling variance a tracked block of N bytes adds to its site's live
 * bytes: each block is sampled independently (the countdown is
 * exponential, so the sample points are a Poisson process over the bytes),
 * and the Horvitz-Thompson estimator sum(n / p) over the sampled blocks
 * has the unbiased variance estimate sum((1 - p) / p^2 * n^2). 0 for a
 * large block. */
static inline double ovc_sample_variance(uint64_t n)
{
	double w = ovc_sample_weight(n);
	return (w * w - w) * (double)n * (double)n;
}

#endif
