// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Slash: the fixed-point slashing and nines arithmetic of nines-ledger
/// @notice A line-by-line port of the normative pseudo-code of
///         proto/LEDGER.md "Fixed-point arithmetic" (reference: src/proto/slash.c),
///         so the contract and nines-ledger agree bit for bit.  Every value is an
///         unsigned integer; Q62 fixed point (ONE = 2^62); durations in ms,
///         fractions in ppm (1e6) or ppb (1e9).  The C works in 128-bit words:
///         every intermediate here is below 2^128 (bounds in LEDGER.md), so
///         uint256 gives the same results; the C's 64-bit stores are
///         reproduced by the explicit uint64 casts.
///         Tested against every line of proto/slash-vectors.txt (test/Slash.t.sol).
library Slash {
    uint256 internal constant Q = 62;
    uint256 internal constant ONE = 1 << 62;
    uint256 internal constant LN2_Q62 = 3196577161300663915;
    uint256 internal constant LN10_Q62 = 10618799479599967255;
    uint256 internal constant LOG10_2_Q62 = 1388255822130839283;
    uint256 internal constant Y_MAX = 64;
    uint256 internal constant TAYLOR_N = 40;
    uint256 internal constant NINES_MAX = 20000000;
    uint256 internal constant PPM = 1000000;
    uint256 internal constant PPB = 1000000000;

    /// One exp step, as the `G`/`X` vector lines show it.
    struct Trace {
        uint256 y;     // argument, Q62
        uint256 k;     // 2^k factor of the reduction
        uint256 r;     // reduced argument, Q62, 0 <= r < ln 2
        uint256 e_r;   // exp_small(r), Q62
        uint256 terms; // Taylor terms added after the leading 1
        bool cut;      // reduce returned CUT (result underflows Q62)
        uint256 value; // the function's result, Q62
    }

    /// e^r in Q62 for 0 <= r < LN2_Q62 (Taylor series; two floors per term).
    function expSmall(uint256 r) internal pure returns (uint256 sum, uint256 terms) {
        unchecked {
            sum = ONE;
            uint256 term = ONE;
            uint256 n;
            for (n = 1; n < TAYLOR_N; n++) {
                term = ((term * r) >> Q) / n;
                if (term == 0) break;
                sum += term;
            }
            terms = n - 1;
        }
    }

    /// Cody-Waite reduction y = k ln 2 + r; t.cut when y >= Y_MAX or k >= kmax.
    function reduce(uint256 y, uint256 kmax, Trace memory t) internal pure returns (bool) {
        t.y = y;
        if (y >= Y_MAX << Q) {
            t.cut = true;
            return false;
        }
        uint256 k = y / LN2_Q62;
        if (k >= kmax) {
            t.cut = true;
            return false;
        }
        t.k = k;
        t.r = y - k * LN2_Q62;
        (t.e_r, t.terms) = expSmall(t.r);
        return true;
    }

    /// 1 / (1 + e^y) in Q62, y >= 0 in Q62.
    function sigmoidNeg(uint256 y, Trace memory t) internal pure returns (uint256) {
        if (reduce(y, 64, t)) t.value = uint64((uint256(1) << 124) / (ONE + (t.e_r << t.k)));
        return t.value;
    }

    /// e^-y in Q62, y >= 0 in Q62.
    function expNeg(uint256 y, Trace memory t) internal pure returns (uint256) {
        if (reduce(y, 63, t)) t.value = uint64(((uint256(1) << 124) / t.e_r) >> t.k);
        return t.value;
    }

    /// sigma((a - b) / s) in Q62 for durations a, b and scale s (ms); the
    /// step at a >= b when s == 0.
    function sigmoidTrace(uint64 a, uint64 b, uint64 s, Trace memory t) internal pure returns (uint256) {
        if (s == 0) return a >= b ? ONE : 0;
        uint256 diff = a >= b ? a - b : b - a;
        uint256 neg = sigmoidNeg((diff << Q) / s, t);
        return a >= b ? ONE - neg : neg;
    }

    function sigmoid(uint64 a, uint64 b, uint64 s) internal pure returns (uint256) {
        Trace memory t;
        return sigmoidTrace(a, b, s, t);
    }

    /// S(d) in ppb: the logistic of DESIGN.md section 8 shifted so S(0) = 0
    /// and scaled so S(inf) = 1; d, dMid, s in ms.
    function weightPpb(uint64 d, uint64 dMid, uint64 s) internal pure returns (uint32) {
        if (d == 0) return 0;
        uint256 sa = sigmoid(d, dMid, s);
        uint256 sb = sigmoid(0, dMid, s);
        uint256 den = ONE - sb;
        if (den == 0) return uint32(PPB);
        if (sa <= sb) return 0;
        uint256 w = ((sa - sb) * PPB) / den;
        return w > PPB ? uint32(PPB) : uint32(w);
    }

    /// min(stake, stake x min(p, 1e6) x min(w, 1e9) / 1e15): one floor at the end.
    function amount(uint64 stake, uint32 maxSlashPpm, uint32 wPpb) internal pure returns (uint64) {
        uint256 p = maxSlashPpm > PPM ? PPM : maxSlashPpm;
        uint256 w = wPpb > PPB ? PPB : wPpb;
        uint256 a = (uint256(stake) * p * w) / (PPM * PPB);
        return a > stake ? stake : uint64(a);
    }

    /// What an incident of effective duration d (ms) owes in total.
    function slashFor(uint64 stake, uint32 maxSlashPpm, uint64 dMid, uint64 s, uint64 d)
        internal pure returns (uint64)
    {
        return amount(stake, maxSlashPpm, weightPpb(d, dMid, s));
    }

    /// floor(log2(v) x 2^32), v >= 1 (0 for v == 0).
    function log2Q32(uint64 v) internal pure returns (uint64) {
        if (v == 0) return 0;
        uint256 ip = 0;
        uint256 x = v;
        while (x > 1) {
            x >>= 1;
            ip++;
        }
        uint256 m = ip >= Q ? uint256(v) >> (ip - Q) : uint256(v) << (Q - ip);
        uint256 frac = 0;
        unchecked {
            for (uint256 bit = 32; bit > 0; bit--) {
                m = (m * m) >> Q;
                if (m >= (2 << Q)) {
                    m >>= 1;
                    frac |= 1 << (bit - 1);
                }
            }
        }
        return uint64((ip << 32) | frac);
    }

    /// floor(-log10(down / window) x 1e6); NINES_MAX for no downtime.
    function ninesMicro(uint64 down, uint64 window) internal pure returns (uint64) {
        if (down >= window) return 0;
        if (down == 0) return uint64(NINES_MAX);
        uint256 l = log2Q32(window) - log2Q32(down);
        uint256 n = (l * LOG10_2_Q62 * PPM) >> (32 + Q);
        return n > NINES_MAX ? uint64(NINES_MAX) : uint64(n);
    }

    /// Allowed downtime (ms, nearest) at a target of n micro-nines over window.
    function allowedTrace(uint64 window, uint64 n, Trace memory t) internal pure returns (uint64) {
        uint256 f = expNeg((uint256(n) * LN10_Q62) / PPM, t);
        return uint64((uint256(window) * f + (uint256(1) << (Q - 1))) >> Q);
    }

    function allowed(uint64 window, uint64 n) internal pure returns (uint64) {
        Trace memory t;
        return allowedTrace(window, n, t);
    }
}
