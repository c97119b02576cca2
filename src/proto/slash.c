/*  Fixed-point slashing math: see slash.h for the method and its sources;
    proto/LEDGER.md ("Fixed-point arithmetic") is the normative pseudo-code
    this file follows line by line. */
#include "proto/slash.h"
#include <stdbool.h>

typedef unsigned __int128 u128;

#define Q           NINES_Q62_BITS
#define LN2_Q62     NINES_LN2_Q62
#define LN10_Q62    NINES_LN10_Q62
#define LOG10_2_Q62 NINES_LOG10_2_Q62
#define Y_MAX       ((u128) NINES_EXP_Y_MAX << Q)   /* e^-64 < 2^-92: below Q62 resolution */

/*  e^r in Q62 for 0 <= r < ln 2 (Q62): Taylor series, exact truncations;
    *terms gets the number of terms added after the leading 1. */
static uint64_t
s_exp_small (uint64_t r, unsigned *terms)
{
    u128 sum = NINES_Q62_ONE, term = NINES_Q62_ONE;
    unsigned n;
    for (n = 1; n < NINES_EXP_TERMS_MAX; n++) {
        term = ((term * r) >> Q) / n;
        if (term == 0)
            break;
        sum += term;
    }
    *terms = n - 1;
    return (uint64_t) sum;           /* < 2 × 2^62 */
}

/*  Cody-Waite reduction y = k ln2 + r (y in Q62) and e^r into *t; false
    (t->cut) when y is past Y_MAX or k >= kmax (the result then underflows
    Q62). */
static bool
s_reduce (u128 y, uint64_t kmax, nines_exp_trace_t *t)
{
    *t = (nines_exp_trace_t) { .y = y };
    if (y >= Y_MAX) {
        t->cut = 1;
        return false;
    }
    t->k = (uint64_t) (y / LN2_Q62);
    if (t->k >= kmax) {
        t->k = 0;
        t->cut = 1;
        return false;
    }
    t->r = (uint64_t) (y - (u128) t->k * LN2_Q62);
    t->e_r = s_exp_small (t->r, &t->terms);
    return true;
}

/*  1 / (1 + e^y) in Q62 for y >= 0 given in Q62 (128-bit). */
static uint64_t
s_sigmoid_neg (u128 y, nines_exp_trace_t *t)
{
    if (s_reduce (y, 64, t))
        t->value = (uint64_t) (((u128) 1 << (2 * Q)) / ((u128) NINES_Q62_ONE + ((u128) t->e_r << t->k)));
    return t->value;
}

/*  e^-y in Q62 for y >= 0 in Q62 (128-bit): 2^-k / e^r. */
static uint64_t
s_exp_neg (u128 y, nines_exp_trace_t *t)
{
    if (s_reduce (y, 63, t))
        t->value = (uint64_t) ((((u128) 1 << (2 * Q)) / t->e_r) >> t->k);
    return t->value;
}

uint64_t
nines_exp_neg_q62 (uint64_t num, uint64_t den)
{
    if (den == 0)
        return 0;
    nines_exp_trace_t t;
    return s_exp_neg (((u128) num << Q) / den, &t);
}

uint64_t
nines_sigmoid_q62_trace (uint64_t a_ms, uint64_t b_ms, uint64_t s_ms, nines_exp_trace_t *t)
{
    if (s_ms == 0) {
        *t = (nines_exp_trace_t) { 0 };
        return a_ms >= b_ms ? NINES_Q62_ONE : 0;
    }
    uint64_t diff = a_ms >= b_ms ? a_ms - b_ms : b_ms - a_ms;
    uint64_t neg = s_sigmoid_neg (((u128) diff << Q) / s_ms, t);
    return a_ms >= b_ms ? NINES_Q62_ONE - neg : neg;
}

uint64_t
nines_sigmoid_q62 (uint64_t a_ms, uint64_t b_ms, uint64_t s_ms)
{
    nines_exp_trace_t t;
    return nines_sigmoid_q62_trace (a_ms, b_ms, s_ms, &t);
}

uint32_t
nines_slash_weight_ppb (uint64_t d_ms, uint64_t d_mid_ms, uint64_t s_ms)
{
    if (d_ms == 0)
        return 0;
    uint64_t sa = nines_sigmoid_q62 (d_ms, d_mid_ms, s_ms);
    uint64_t sb = nines_sigmoid_q62 (0, d_mid_ms, s_ms);
    uint64_t den = NINES_Q62_ONE - sb;
    if (den == 0)                    /* d_mid = 0 with s = 0: a pure step at 0 */
        return (uint32_t) NINES_PPB;
    if (sa <= sb)
        return 0;
    u128 w = ((u128) (sa - sb) * NINES_PPB) / den;
    return w > NINES_PPB ? (uint32_t) NINES_PPB : (uint32_t) w;
}

uint64_t
nines_slash_amount (uint64_t stake, uint32_t max_slash_ppm, uint32_t weight_ppb)
{
    u128 a = (u128) stake * (max_slash_ppm > NINES_PPM ? NINES_PPM : max_slash_ppm)
           * (weight_ppb > NINES_PPB ? NINES_PPB : weight_ppb);
    a /= (u128) NINES_PPM * NINES_PPB;
    return a > stake ? stake : (uint64_t) a;
}

uint64_t
nines_slash_for (const nines_params_t *params, uint64_t stake, uint64_t d_ms)
{
    return nines_slash_amount (stake, params->max_slash_ppm,
                               nines_slash_weight_ppb (d_ms, params->d_mid_ms, params->s_ms));
}

uint64_t
nines_slash_settled (const nines_params_t *params, uint64_t stake, uint64_t d_ms)
{
    return d_ms < params->grace_ms ? 0 : nines_slash_for (params, stake, d_ms);
}

uint64_t
nines_log2_q32 (uint64_t v)
{
    if (v == 0)
        return 0;
    int ip = 63 - __builtin_clzll (v);
    /* mantissa m = v / 2^ip in [1, 2), Q62 */
    u128 m = ip >= Q ? (u128) v >> (ip - Q) : (u128) v << (Q - ip);
    uint64_t frac = 0;
    for (int bit = 31; bit >= 0; bit--) {
        m = (m * m) >> Q;
        if (m >= ((u128) 2 << Q)) {
            m >>= 1;
            frac |= 1ULL << bit;
        }
    }
    return ((uint64_t) ip << 32) | frac;
}

uint64_t
nines_nines_micro (uint64_t down_ms, uint64_t window_ms)
{
    if (down_ms >= window_ms)
        return 0;
    if (down_ms == 0)
        return NINES_NINES_MAX;
    uint64_t l = nines_log2_q32 (window_ms) - nines_log2_q32 (down_ms);   /* log2 ratio, Q32 */
    u128 n = ((u128) l * LOG10_2_Q62 * NINES_PPM) >> (32 + Q);
    return n > NINES_NINES_MAX ? NINES_NINES_MAX : (uint64_t) n;
}

uint64_t
nines_availability_ppm (uint64_t down_ms, uint64_t window_ms)
{
    if (!window_ms)
        return NINES_PPM;
    if (down_ms >= window_ms)
        return 0;
    return NINES_PPM - (uint64_t) (((u128) down_ms * NINES_PPM + window_ms - 1) / window_ms);
}

uint64_t
nines_allowed_downtime_trace (uint64_t window_ms, uint64_t nines_micro, nines_exp_trace_t *t)
{
    /* 10^-n = e^(-n ln 10), n ln 10 in Q62 */
    uint64_t f = s_exp_neg ((u128) nines_micro * LN10_Q62 / NINES_PPM, t);
    return (uint64_t) (((u128) window_ms * f + ((u128) 1 << (Q - 1))) >> Q);   /* nearest ms */
}

uint64_t
nines_allowed_downtime_ms (uint64_t window_ms, uint64_t nines_micro)
{
    nines_exp_trace_t t;
    return nines_allowed_downtime_trace (window_ms, nines_micro, &t);
}

uint64_t
nines_refund (const nines_params_t *params, uint64_t stake, uint64_t down_ms,
              uint64_t window_ms, uint64_t nines_micro, uint64_t *excess_ms)
{
    uint64_t allowed = nines_allowed_downtime_ms (window_ms, nines_micro);
    uint64_t excess = down_ms > allowed ? down_ms - allowed : 0;
    if (excess_ms)
        *excess_ms = excess;
    return nines_slash_for (params, stake, excess);
}
