/*  Deterministic fixed-point slashing math (DESIGN.md section 8).

    Every value the ledger computes from these functions is an integer, so
    two machines always agree bit for bit, as a contract must.  Amounts are
    base units (uint64), durations Unix ms, fractions ppm (parts per
    million, 1e6 = 1) or ppb (parts per billion, 1e9 = 1); nines are given
    in micro-nines (3.5 nines = 3500000).

    Method.  The slashing weight is the normalised logistic of DESIGN.md,
        S(d) = (σ((d - d_mid)/s) - σ(-d_mid/s)) / (1 - σ(-d_mid/s)),
        σ(x) = 1 / (1 + e^-x).
    σ is evaluated in unsigned Q62 fixed point (value × 2^62) with 128-bit
    integer products, never a float:
      1. y = |x| = |d - d_mid| × 2^62 / s, exact integer division;
      2. Cody-Waite range reduction (W. J. Cody and W. Waite, "Software
         Manual for the Elementary Functions", 1980, ch. 6; J.-M. Muller,
         "Elementary Functions", ch. 11): y = k ln2 + r, 0 <= r < ln2,
         so e^y = 2^k e^r, with ln2 as a rounded Q62 constant;
      3. e^r by its Taylor series Σ r^n/n!, all terms positive, each term
         t_n = floor(t_{n-1} × r / 2^62 / n), summed until a term is 0
         (at most ~22 terms for r < ln2);
      4. σ(-y) = 2^124 / (2^62 + (e^r << k)) (0 once k >= 64),
         σ(y) = 2^62 - σ(-y);
      5. S in ppb = floor((σ_a - σ_b) × 1e9 / (2^62 - σ_b)).
    Every truncation in steps 1-4 costs at most one Q62 ulp (2^-62 ≈ 2e-19);
    their sum stays below 1e-16, so the result is the floor of the exact S
    to within one ppb (the unit test measures the error against a double
    reference over 0..48 h; proto/slash-vectors.txt records exact results).

    Nines use the binary logarithm by repeated squaring (C. S. Turner, "A
    Fast Binary Logarithm Algorithm", IEEE Signal Processing Magazine,
    2010), 10^-n uses the same exp as σ: 10^-n = e^(-n ln 10). */
#ifndef NINES_PROTO_SLASH_H
#define NINES_PROTO_SLASH_H

#include <stdint.h>
#include "wire/wire.h"

#define NINES_PPM            1000000ULL       /* 1 in parts per million */
#define NINES_PPB            1000000000ULL    /* 1 in parts per billion */
#define NINES_NINES_MAX      20000000ULL      /* cap on nines (micro-nines) when no downtime */
#define NINES_Q62_ONE        (1ULL << 62)     /* 1.0 in Q62 */

/*  The constants of the pseudo-code in proto/LEDGER.md ("Fixed-point
    arithmetic"); proto/slash-vectors.txt repeats them (K lines) and
    test_slash derives them again from series and checks all three agree. */
#define NINES_Q62_BITS       62                        /* fractional bits */
#define NINES_LN2_Q62        3196577161300663915ULL    /* round(ln 2 × 2^62) */
#define NINES_LN10_Q62       10618799479599967255ULL   /* round(ln 10 × 2^62) */
#define NINES_LOG10_2_Q62    1388255822130839283ULL    /* round(log10 2 × 2^62) */
#define NINES_EXP_Y_MAX      64                        /* e^-y taken as 0 for y >= 64 (e^-64 < 2^-92) */
#define NINES_EXP_TERMS_MAX  40                        /* Taylor loop bound n < 40 (never reached) */

/*  One evaluation of e^-y or 1/(1 + e^y) step by step (y >= 0 in Q62), as
    LEDGER.md writes it: y = k ln2 + r, e^r by its Taylor series.  `cut`
    is 1 when y >= NINES_EXP_Y_MAX or k reached its bound (the value is
    then 0 and k, r, e_r, terms are not computed). */
typedef struct {
    unsigned __int128 y;        /* argument, Q62 */
    uint64_t k;                 /* floor (y / LN2_Q62) */
    uint64_t r;                 /* y - k × LN2_Q62, Q62, < LN2_Q62 */
    uint64_t e_r;               /* e^r, Q62 */
    unsigned terms;             /* Taylor terms added after the leading 1 */
    int cut;
    uint64_t value;             /* the function's result, Q62 */
} nines_exp_trace_t;

/*  e^(-num/den) in Q62 (value × 2^62, rounded down), for num/den >= 0.
    den = 0 returns 0 (an infinite argument).  Exact integer method above. */
uint64_t nines_exp_neg_q62 (uint64_t num, uint64_t den);

/*  σ((a - b) / s) in Q62 for durations a, b and scale s in ms (s > 0);
    s = 0 gives the step function (0 below b, 2^62 at or above b, as the
    limit s -> 0 of the logistic would give 1/2 only at a = b). */
uint64_t nines_sigmoid_q62 (uint64_t a_ms, uint64_t b_ms, uint64_t s_ms);

/*  nines_sigmoid_q62 with its steps: *t (not NULL) gets y = |a - b| × 2^62
    / s and the evaluation of σ(-y) = 1/(1 + e^y) (t->value); s = 0 leaves
    t zeroed.  Returns the same value as nines_sigmoid_q62. */
uint64_t nines_sigmoid_q62_trace (uint64_t a_ms, uint64_t b_ms, uint64_t s_ms, nines_exp_trace_t *t);

/*  S(d) of DESIGN.md section 8 in ppb, 0 <= S <= 1e9, non-decreasing in d,
    S(0) = 0.  d_mid, s in ms (defaults 2 h and 30 min).  d_mid = s = 0 is
    the step at 0: S(d) = 1e9 for every d > 0. */
uint32_t nines_slash_weight_ppb (uint64_t d_ms, uint64_t d_mid_ms, uint64_t s_ms);

/*  floor(stake × max_slash_ppm / 1e6 × weight_ppb / 1e9) in base units
    (exact, 128-bit), never above stake. */
uint64_t nines_slash_amount (uint64_t stake, uint32_t max_slash_ppm, uint32_t weight_ppb);

/*  Slash owed for an incident of effective duration d_ms on stake:
    stake × max_slash × S(d) with the params' d_mid, s, max_slash. */
uint64_t nines_slash_for (const nines_params_t *params, uint64_t stake, uint64_t d_ms);

/*  What a closed incident of effective duration d_ms settles for
    (LEDGER.md, settlement): 0 when d_ms < params->grace_ms, else
    nines_slash_for (params, stake, d_ms).  Base units. */
uint64_t nines_slash_settled (const nines_params_t *params, uint64_t stake, uint64_t d_ms);

/*  floor(log2(v) × 2^32) for v >= 1 (0 for v = 0): Turner's algorithm,
    32 fractional bits. */
uint64_t nines_log2_q32 (uint64_t v);

/*  Nines of availability, -log10(down / window), in micro-nines, rounded
    down; NINES_NINES_MAX when down = 0, 0 when down >= window. */
uint64_t nines_nines_micro (uint64_t down_ms, uint64_t window_ms);

/*  Availability 1 - down / window in ppm, the down fraction rounded up (so
    any downtime shows): 10^6 - ceil(down × 10^6 / window); 10^6 when
    window is 0, 0 when down >= window. */
uint64_t nines_availability_ppm (uint64_t down_ms, uint64_t window_ms);

/*  Downtime allowed in window_ms at nines_micro nines: window × 10^(-nines)
    rounded to the nearest ms.  E.g. 30 d at 3 nines -> 2592000 ms (43.2 min). */
uint64_t nines_allowed_downtime_ms (uint64_t window_ms, uint64_t nines_micro);

/*  nines_allowed_downtime_ms with its steps: *t (not NULL) gets y =
    nines × LN10_Q62 / 1e6 and the evaluation of e^-y (t->value). */
uint64_t nines_allowed_downtime_trace (uint64_t window_ms, uint64_t nines_micro, nines_exp_trace_t *t);

/*  Refund owed for downtime beyond a target (seed "Uptime staking
    contract": the pay-out for the downtime beyond X nines over one
    period): excess = max(0, down - allowed(window, nines)), refund =
    nines_slash_for (params, stake, excess).  *excess_ms (may be NULL)
    gets the excess. */
uint64_t nines_refund (const nines_params_t *params, uint64_t stake, uint64_t down_ms,
                       uint64_t window_ms, uint64_t nines_micro, uint64_t *excess_ms);

#endif
