// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Slash} from "./Slash.sol";
import {UptimeStaking as U} from "./UptimeStaking.sol";

/// @title Accounting: UptimeStaking's incident accounting (proto/LEDGER.md "Accounting")
/// @notice The rules of src/ledger/accounting.c over the contract's storage
///         (U.Book, U.Params): raw incidents, the chain walk, merged
///         incidents, paid_until and maintenance, correlated outages and the
///         incremental slash.  An external library (its public functions run
///         by DELEGATECALL in UptimeStaking's storage), deployed once and
///         linked into UptimeStaking's bytecode, so that each stays under
///         EIP-170's 24,576 bytes (proto/CHAIN.md "Deployment").
library Accounting {
    uint256 internal constant CORR_MIN_PODS = 3;
    uint256 internal constant CORR_POD_PPM = 200000;
    uint256 internal constant CORR_MIN_PROVIDERS = 3;

    /// A DOWN that starts an outage, for the correlated-outage rule.
    struct Start {
        uint64 t;
        bytes32 pod;
        address provider;
    }

    /// Records a finalized claim's raw incident (a DOWN, or the UP closing
    /// it); when that adds something, re-flags correlated outages around
    /// the DOWN and settles the pod.
    function finalize(U.Book storage bk, U.Params storage pa, bytes32 pod, bytes32 rid, uint64 tDown, uint64 tUp,
                      bool hasUp) public
    {
        if (_record(bk, pod, rid, tDown, tUp, hasUp)) {
            _reflag(bk, pa, tDown);
            settle(bk, pa, pod);
        }
    }

    /// The merge gap after a merged incident of `duration` ms (nines_merge_gap_ms).
    function mergeGap(U.Params storage pa, uint64 duration) internal view returns (uint256 gap) {
        gap = uint256(pa.mergeFactor) * duration;
        if (gap < pa.mergeMinMs) gap = pa.mergeMinMs;
        if (gap > pa.mergeMaxMs) gap = pa.mergeMaxMs;
    }

    /// Inserts or closes the raw incident; false when it adds nothing.
    function _record(U.Book storage bk, bytes32 pod, bytes32 rid, uint64 tDown, uint64 tUp, bool hasUp) internal returns (bool) {
        U.Raw[] storage rs = bk.raws[pod];
        uint256 n = rs.length;
        for (uint256 i = 0; i < n; i++) {
            if (rs[i].id == bytes14(rid)) {
                if (!hasUp || rs[i].hasUp) return false;
                rs[i].tUp = tUp;
                rs[i].hasUp = true;
                return true;
            }
        }
        rs.push();
        uint256 j = n;
        for (; j > 0 && rs[j - 1].tDown > tDown; j--) rs[j] = rs[j - 1];
        rs[j] = U.Raw(tDown, tUp, hasUp, false, bytes14(rid));
        return true;
    }


    /// Effective downtime of [a, b): clipped at paid_until, minus maintenance.
    function _effective(U.Pod storage p, uint64 a, uint64 b) internal view returns (uint64) {
        if (p.paidUntilMs != 0 && b > p.paidUntilMs) b = p.paidUntilMs;
        if (b <= a) return 0;
        uint64 d = b - a;
        for (uint256 i = 0; i < p.maint.length; i++) {
            uint64 lo = a > p.maint[i].startMs ? a : p.maint[i].startMs;
            uint64 hi = b < p.maint[i].endMs ? b : p.maint[i].endMs;
            if (hi > lo) d -= hi - lo;
        }
        return d;
    }


    /// One raw incident's place in its pod's chain walk.
    struct Walk {
        uint64 end;                // its UP, else the pod's earliest UP at or after its DOWN, else the latest DOWN
        bool open;                 // no UP closes it
        bool cont;                 // its DOWN falls inside an earlier raw of the pod
        bool corr;                 // effective correlated flag (the chain's first raw's)
    }

    /// The chain walk of src/ledger/accounting.c s_chains over a pod's raws
    /// (sorted by tDown).
    function _chains(U.Raw[] memory rs) internal pure returns (Walk[] memory w) {
        uint256 n = rs.length;
        w = new Walk[](n);
        uint64[] memory ups = new uint64[](n);
        uint256 nUp = 0;
        for (uint256 i = 0; i < n; i++) {
            if (!rs[i].hasUp) continue;
            uint64 x = rs[i].tUp;
            uint256 j = nUp++;
            for (; j > 0 && ups[j - 1] > x; j--) ups[j] = ups[j - 1];
            ups[j] = x;
        }
        uint64 latest = n > 0 ? rs[n - 1].tDown : 0;
        Walk memory chain;         // end, open, cont (= a chain exists), corr of the current chain
        uint256 u = 0;
        for (uint256 i = 0; i < n; i++) {
            U.Raw memory r = rs[i];
            while (u < nUp && ups[u] < r.tDown) u++;
            Walk memory x = w[i];
            x.open = !r.hasUp && u == nUp;
            x.end = r.hasUp ? r.tUp : u < nUp ? ups[u] : latest;
            x.cont = chain.cont && (chain.open || r.tDown < chain.end);
            if (!x.cont) {
                chain.corr = r.correlated;
                chain.end = x.end;
                chain.open = x.open;
            } else {
                if (x.end > chain.end) chain.end = x.end;
                chain.open = chain.open || x.open;
            }
            chain.cont = true;
            x.corr = x.cont ? chain.corr : r.correlated;
        }
    }


    /// The pod's merged incidents (accounting 1 to 3): the union of its
    /// uncorrelated raw incidents, clipped at paid_until, minus maintenance,
    /// merged, each with what its raws have paid (groupPaid of each
    /// distinct tDown); out[0..n).
    function groups(U.Book storage bk, U.Params storage pa, bytes32 pod) public view returns (U.Group[] memory out, uint256 n) {
        U.Raw[] memory rs = bk.raws[pod];
        U.Pod storage p = bk.pods[pod];
        Walk[] memory w = _chains(rs);
        out = new U.Group[](rs.length);
        uint64 cover = 0;      // end of the union so far (pieces)
        uint64 gcover = 0;     // end of the current group's last piece
        uint64 lastT = 0;      // tDown of the current group's last raw
        for (uint256 i = 0; i < rs.length; i++) {
            if (w[i].corr) continue;
            uint64 a = rs[i].tDown > cover ? rs[i].tDown : cover;
            uint64 b = w[i].end > a ? w[i].end : a;
            if (w[i].end > cover) cover = w[i].end;
            bool first = n == 0 || (rs[i].tDown >= gcover && rs[i].tDown - gcover >= mergeGap(pa, out[n - 1].duration));
            if (first) out[n++] = U.Group(rs[i].tDown, 0, 0, 0, false, 0);
            U.Group memory cur = out[n - 1];
            if (first || rs[i].tDown != lastT) cur.paid += bk.groupPaid[pod][rs[i].tDown];
            lastT = rs[i].tDown;
            cur.duration += _effective(p, a, b);
            cur.pieces++;
            if (b > cur.tEnd) cur.tEnd = b;
            cur.open = cur.open || w[i].open;
            if (b > gcover) gcover = b;
        }
    }


    /// Pays what each merged incident of the pod owes beyond what its raws
    /// have paid, slashFor(duration) - Group.paid, never negative (accounting 4 and 6: nothing under grace, never more than the
    /// pod's stake, nothing before corr_window + challengeWindow after its
    /// first DOWN: the ledger waits corr_window for the correlated flag, and
    /// the other pods' DOWNs of that window count only once their claims
    /// are final).

    function settle(U.Book storage bk, U.Params storage pa, bytes32 pod) public {
        U.Pod storage p = bk.pods[pod];
        
        (U.Group[] memory gs, uint256 n) = groups(bk, pa, pod);
        uint64 t = uint64(block.timestamp * 1000);
        for (uint256 i = 0; i < n; i++) {
            U.Group memory g = gs[i];
            if (g.duration < pa.graceMs || t < g.tDown + pa.corrWindowMs + pa.challengeWindowMs) continue;
            uint64 target = Slash.slashFor(p.stake, pa.maxSlashPpm, pa.dMidMs, pa.sMs, g.duration);
            uint64 left = p.stake - p.slashed - p.fees;
            uint64 pay = target > g.paid ? target - g.paid : 0;
            if (pay > left) pay = left;
            if (pay == 0) continue;
            bk.groupPaid[pod][g.tDown] += pay;         // credited to the first raw; g.paid sums them
            p.slashed += pay;
            _paidEvent(pod, g, pay, g.paid + pay);
        }
    }

    function _paidEvent(bytes32 pod, U.Group memory g, uint64 pay, uint64 total) internal {
        emit U.Slashed(pod, g.tDown, pay, total);
        emit U.Incident(pod, g.tDown, g.open ? 0 : g.tEnd, g.duration, g.pieces, total, false, g.open);
    }


    /// Correlated-outage rule (src/proto/incident.c nines_correlate) after
    /// a DOWN at t: the outage-starting DOWNs within 2 corr_window of t
    /// (a DOWN inside an earlier raw of its pod is not a start: the chain
    /// walk's `cont`) are collected in memory; each start within
    /// corr_window of t is re-flagged, and every pod whose flag moved is
    /// settled.
    function _reflag(U.Book storage bk, U.Params storage pa, uint64 t) internal {
        uint64 w = pa.corrWindowMs;
        Start[] memory ss = _starts(bk, t, 2 * w);
        uint256 need = (bk.allPods.length * CORR_POD_PPM + 999999) / 1000000;
        if (need < CORR_MIN_PODS) need = CORR_MIN_PODS;
        for (uint256 i = 0; i < ss.length; i++) {
            Start memory x = ss[i];
            if (x.t + w < t || x.t > t + w) continue;
            bool c = _flagged(ss, i, need, w);
            U.Raw[] storage rs = bk.raws[x.pod];
            for (uint256 k = 0; k < rs.length; k++) {
                if (rs[k].tDown == x.t && rs[k].correlated != c) {
                    rs[k].correlated = c;
                    _flagEvent(x.pod, rs[k]);
                    settle(bk, pa, x.pod);
                }
            }
        }
    }

    function _flagEvent(bytes32 pod, U.Raw storage r) internal {
        emit U.Incident(pod, r.tDown, r.hasUp ? r.tUp : 0, 0, 1, 0, r.correlated, !r.hasUp);
    }

    /// Whether start i lies in a qualifying window [a, a + w] that starts at a DOWN.
    function _flagged(Start[] memory ss, uint256 i, uint256 need, uint64 w) internal pure returns (bool) {
        uint256 m = ss.length;
        uint64 ti = ss[i].t;
        bytes32[] memory ps = new bytes32[](m);
        address[] memory vs = new address[](m);
        for (uint256 s = 0; s < m; s++) {
            uint64 a = ss[s].t;
            if (a > ti || a + w < ti) continue;
            uint256 np = 0;
            uint256 nv = 0;
            for (uint256 j = 0; j < m; j++) {
                Start memory d = ss[j];
                if (d.t < a || d.t > a + w) continue;
                bool have = false;
                for (uint256 k = 0; k < np && !have; k++) have = ps[k] == d.pod;
                if (have) continue;
                ps[np++] = d.pod;
                address prov = d.provider;
                have = false;
                for (uint256 k = 0; k < nv && !have; k++) have = vs[k] == prov;
                if (!have) vs[nv++] = prov;
            }
            if (np >= need && nv >= CORR_MIN_PROVIDERS) return true;
        }
        return false;
    }

    /// The outage-starting DOWNs of every pod within `span` of t.
    function _starts(U.Book storage bk, uint64 t, uint64 span) internal view returns (Start[] memory out) {
        uint256 total = 0;
        for (uint256 q = 0; q < bk.allPods.length; q++) total += bk.raws[bk.allPods[q]].length;
        out = new Start[](total);
        uint256 n = 0;
        for (uint256 q = 0; q < bk.allPods.length; q++) {
            bytes32 pod = bk.allPods[q];
            U.Raw[] memory rs = bk.raws[pod];
            Walk[] memory wk = _chains(rs);
            address prov = bk.pods[pod].provider;
            for (uint256 i = 0; i < rs.length; i++) {
                if (wk[i].cont || rs[i].tDown + span < t || rs[i].tDown > t + span) continue;
                out[n++] = Start(rs[i].tDown, pod, prov);
            }
        }
        assembly ("memory-safe") {
            mstore(out, n)
        }
    }
}
