// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Evidence, FakeEd25519, FakeHash} from "./util/Evidence.sol";
import {UptimeStaking} from "../src/UptimeStaking.sol";
import {Slash} from "../src/Slash.sol";

/// The contract's registry, cheap checks, challenges and accounting, with a
/// stand-in signature scheme and hash (test/util/Evidence.sol).
contract UptimeStakingTest is Evidence {
    bytes32 constant POD = keccak256("pod-a");
    uint64 constant T0 = GENESIS + 1_000_000 * EPOCH;
    uint64 constant H = 3600000;

    function setUp() public {
        setUpChain(7, 12, T0, new FakeEd25519(), new FakeHash());
        addPod(POD, address(0xA1), 0);
    }

    function owes(uint64 d) internal pure returns (uint64) {
        return Slash.slashFor(POD_STAKE, 100000, 7200000, 1800000, d);
    }

    // ---- accounting ----

    /// A 2 h outage (DOWN + UP) slashes stake x 10 % x S(2 h): S(7200000) =
    /// 500000000 - S(0)-shift... the vectors pin S; here the amount is checked exactly.
    function test_outage_slashes_exactly() public {
        outage(POD, T0 + 10000, T0 + 10000 + 2 * H);
        uint64 want = owes(2 * H);
        assertTrue(want > 0, "2 h owes something");
        // the vector S 7200000 7200000 1800000 fixes the weight; the amount follows
        assertEq(want, uint64((uint256(POD_STAKE) * 100000 * Slash.weightPpb(2 * H, 7200000, 1800000)) / 1e15), "amount rule");
        assertEq(slashedOf(POD), want, "slashed");
        (UptimeStaking.Group[] memory g, uint256 n) = st.groups(POD);
        assertEq(n, 1, "one incident");
        assertEq(g[0].duration, 2 * H, "duration");
        assertEq(g[0].open, false, "closed");
    }

    /// Under grace (60 s) nothing is paid.
    function test_grace() public {
        outage(POD, T0 + 10000, T0 + 10000 + 59000);
        assertEq(slashedOf(POD), 0, "under grace");
    }

    /// An open DOWN, then its re-confirmation 10 min later: charged for the
    /// 10 min the reports prove, then the UP closes it; only the increase is paid.
    function test_open_then_closed_incremental() public {
        outage(POD, T0 + 10000, 0);
        assertEq(slashedOf(POD), 0, "a lone open DOWN proves no duration");
        outage(POD, T0 + 10000 + 600000, 0);
        assertEq(slashedOf(POD), owes(600000), "re-confirmation proves 10 min");
        outage(POD, T0 + 10000 + 1200000, T0 + 10000 + H);
        assertEq(slashedOf(POD), owes(H), "closed at 1 h: total is S(1 h), paid incrementally");
    }

    /// Two 10-minute outages 5 minutes apart merge into one of 20 min (the
    /// up time between is not charged); 20 min owes more than 2 x 10 min.
    function test_merge() public {
        outage(POD, T0 + 10000, T0 + 10000 + 600000);
        outage(POD, T0 + 10000 + 900000, T0 + 10000 + 1500000);
        (UptimeStaking.Group[] memory g, uint256 n) = st.groups(POD);
        assertEq(n, 1, "merged");
        assertEq(g[0].duration, 1200000, "sum of pieces");
        assertEq(g[0].pieces, 2, "pieces");
        assertEq(slashedOf(POD), owes(1200000), "merged slash");
        assertTrue(owes(1200000) > 2 * owes(600000), "merging costs more than two");
    }

    /// A second outage after the merge gap is a new incident.
    function test_no_merge_after_gap() public {
        outage(POD, T0 + 10000, T0 + 10000 + 600000);
        // gap clamp(24 x 10 min, 15 min, 7 d) = 4 h
        outage(POD, T0 + 10000 + 600000 + 4 * H, T0 + 10000 + 1200000 + 4 * H);
        (, uint256 n) = st.groups(POD);
        assertEq(n, 2, "two incidents");
        assertEq(slashedOf(POD), 2 * owes(600000), "two slashes");
    }

    /// paid_until clips the charged time.
    function test_paid_until() public {
        bytes32 pod = keccak256("pod-paid");
        addPod(pod, address(0xA2), T0 + 10000 + H);
        outage(pod, T0 + 10000, T0 + 10000 + 2 * H);
        assertEq(slashedOf(pod), owes(H), "clipped at paid_until");
    }

    /// Honoured maintenance is subtracted; the notice and budget are enforced.
    function test_maintenance() public {
        uint64 start = T0 + 2 * 86400000;
        uint64 soon = st.nowMs() + 1000;
        vm.prank(address(0xA1));
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EStale.selector, "maintenance notice"));
        st.announceMaintenance(POD, soon, soon + 1000);
        vm.prank(address(0xA1));
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EFull.selector));
        st.announceMaintenance(POD, start, start + 5 * H);
        vm.prank(address(0xA1));
        st.announceMaintenance(POD, start, start + H);
        vm.prank(address(0xA1));
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EExist.selector));
        st.announceMaintenance(POD, start + 1000, start + 2000);
        vm.prank(address(0xA2));
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EPerm.selector));
        st.announceMaintenance(POD, start + 2 * H, start + 3 * H);
        warpMs(start - 60000);
        outage(POD, start - 30 * 60000, start + 90 * 60000);
        assertEq(slashedOf(POD), owes(H), "2 h down, 1 h of it maintenance");
    }

    /// DOWNs of 3 pods of 3 providers within corr_window are a correlated
    /// outage: nothing is paid, even for the pod whose claim finalizes
    /// first (payment waits corr_window + the challenge window).
    function test_correlated() public {
        bytes32[3] memory ps = [POD, keccak256("pod-b"), keccak256("pod-c")];
        addPod(ps[1], address(0xB1), 0);
        addPod(ps[2], address(0xC1), 0);
        UptimeStaking.Report[3] memory ds;
        bytes32[3] memory ids;
        for (uint256 i = 0; i < 3; i++) {
            ds[i] = report(0, ps[i], T0 + 10000 + 60000 * uint64(i), 7);
            warpMs(T0 + 20000 + 60000 * uint64(i));
            ids[i] = doClaim(ds[i], none());
        }
        for (uint256 i = 0; i < 3; i++) {
            warpMs(T0 + 20000 + 60000 * uint64(i) + WINDOW);
            finalizeAndAccount(ids[i], ds[i], none());
        }
        for (uint256 i = 0; i < 3; i++) outage(ps[i], T0 + 10000 + 60000 * uint64(i), T0 + 10000 + 60000 * uint64(i) + H);
        for (uint256 i = 0; i < 3; i++) st.settle(ps[i]);
        assertEq(slashedOf(ps[0]) + slashedOf(ps[1]) + slashedOf(ps[2]), 0, "correlated: no slash");
        assertEq(st.raw(POD, 0).correlated, true, "first pod flagged");
    }

    /// Two pods of the same provider are not correlated: both pay.
    function test_not_correlated_two_providers() public {
        bytes32 b = keccak256("pod-b2");
        addPod(b, address(0xA1), 0);
        outage(POD, T0 + 10000, T0 + 10000 + H);
        outage(b, T0 + 20000, T0 + 20000 + H);
        assertEq(slashedOf(POD), owes(H), "pod a");
        assertEq(slashedOf(b), owes(H), "pod b");
    }

    // ---- cheap checks ----

    function test_rejects_duplicate_signer() public {
        UptimeStaking.Report memory d = report(0, POD, T0 + 10000, 7);
        d.votes[1] = d.votes[0];
        warpMs(T0 + 20000);
        uint32 claimant = d.committee[0];
        vm.prank(owner[claimant]);
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EDupSigner.selector, 1));
        st.claim{value: uint256(BOND) * 1 gwei}(claimant, d, none());
    }

    /// The vote body parser (calldata, assembly) accepts what the C
    /// decoder accepts (src/wire/msg.c over msgpack-c) and nothing else:
    /// each malformation has its reason; a body whose last integer runs
    /// past its end, bytes after the object, a `down` vote resting on an
    /// `ok` heartbeat, more than 8 attempts, an outcome over 6 are refused;
    /// encodings msgpack-c reads as the same values (array 16, bin 16, a
    /// non-negative int 8) pass.
    function test_vote_body_malformed() public {
        UptimeStaking.Report memory d = report(0, POD, T0 + 10000, 7);
        warpMs(T0 + 20000);
        bytes memory b = d.votes[0].body;                  // ... t_ms (0xcf, 8 bytes at 114), nil, [] (0x90)
        bytes memory bad = bytes.concat(b);
        bad[35] = 0xc5;                                    // pod: bin 16 of length 0x2000...
        refused(d, bad, "vote bin32");
        bad = bytes.concat(b);
        bad[69] = 0xca;                                    // epoch: a float
        refused(d, bad, "vote integer");
        bad = new bytes(118);                              // t_ms cut
        for (uint256 i = 0; i < 118; i++) bad[i] = b[i];
        refused(d, bad, "vote body");
        bad = bytes.concat(b);
        bad[0] = 0x98;                                     // not 9 elements
        refused(d, bad, "vote body");
        refused(d, bytes.concat(b, hex"00"), "vote body");                 // a byte after the object
        bytes memory head = new bytes(b.length - 1);        // b without its attempts
        for (uint256 i = 0; i < head.length; i++) head[i] = b[i];
        refused(d, bytes.concat(head, hex"91920a00"), "vote body");       // [[10, ok]] in a down vote
        refused(d, bytes.concat(head, hex"91920a07"), "vote integer");    // outcome 7
        refused(d, bytes.concat(head, hex"99", hex"920a02920a02920a02920a02920a02920a02920a02920a02920a02"), "vote body");
        head[113] = 0x07;                                  // own outcome 1 -> 7
        refused(d, bytes.concat(head, hex"90"), "vote integer");
        head[113] = 0x01;
        // accepted: [[10, timeout]] x 8, and the same values in other encodings
        bytes memory b1 = d.votes[1].body;
        d.votes[1].body = bytes.concat(slice(b1, 0, b1.length - 1),
                                       hex"98920a02920a02920a02920a02920a02920a02920a02920a02");
        bytes memory b2 = d.votes[2].body;                 // array 16, round as bin 16, verdict as int 8
        d.votes[2].body = bytes.concat(hex"dc0009c50020", slice(b2, 3, 112), hex"d000", slice(b2, 113, b2.length));
        d.votes[0].body = b;
        this.claimAs(d);
    }

    function slice(bytes memory x, uint256 from, uint256 to) internal pure returns (bytes memory y) {
        y = new bytes(to - from);
        for (uint256 i = from; i < to; i++) y[i - from] = x[i];
    }

    function refused(UptimeStaking.Report memory d, bytes memory body_, string memory why) internal {
        bytes memory keep = d.votes[0].body;
        d.votes[0].body = body_;
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EMalformed.selector, why));
        this.claimAs(d);
        d.votes[0].body = keep;
    }

    function claimAs(UptimeStaking.Report memory d) external returns (bytes32) {
        return doClaim(d, none());
    }

    function test_rejects_no_quorum() public {
        UptimeStaking.Report memory d = report(0, POD, T0 + 10000, 4);
        warpMs(T0 + 20000);
        uint32 claimant = d.committee[0];
        vm.prank(owner[claimant]);
        vm.expectRevert();
        st.claim{value: uint256(BOND) * 1 gwei}(claimant, d, none());
        d = report(0, POD, T0 + 10000, 5);
        vm.prank(owner[claimant]);
        st.claim{value: uint256(BOND) * 1 gwei}(claimant, d, none());
    }

    function test_rejects_bad_median_and_future() public {
        UptimeStaking.Report memory d = report(0, POD, T0 + 10000, 7);
        d.tMs += 1;
        warpMs(T0 + 20000);
        uint32 claimant = d.committee[0];
        vm.prank(owner[claimant]);
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EStale.selector, "report t_ms is not the median of its votes"));
        st.claim{value: uint256(BOND) * 1 gwei}(claimant, d, none());
        d = report(0, POD, T0 + 100000, 7);
        vm.prank(owner[claimant]);
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EStale.selector, "report t_ms in the future"));
        st.claim{value: uint256(BOND) * 1 gwei}(claimant, d, none());
    }

    function test_rejects_up_before_down_and_duplicates() public {
        UptimeStaking.Report memory d = report(0, POD, T0 + 20000, 7);
        UptimeStaking.Report[] memory u = one(report(1, POD, T0 + 10000, 7));
        warpMs(T0 + 30000);
        uint32 claimant = d.committee[0];
        vm.prank(owner[claimant]);
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EOrder.selector));
        st.claim{value: uint256(BOND) * 1 gwei}(claimant, d, u);
        doClaim(d, none());
        vm.prank(owner[claimant]);
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EDuplicate.selector));
        st.claim{value: uint256(BOND) * 1 gwei}(claimant, d, none());
    }

    /// A validator registered now joins committees from the next epoch only.
    function test_registry_next_epoch() public {
        uint64 e = st.currentEpoch();
        uint64 before = st.eligibleAt(e);
        addValidator(99, 50000);
        assertEq(st.eligibleAt(e), before, "not in this epoch");
        assertEq(st.eligibleAt(e + 1), before + 1, "from the next");
        assertEq(st.stakeAt(uint32(st.validatorCount() - 1), e), 0, "no stake this epoch");
    }

    /// A stake history of several changes: each epoch sees the stake in
    /// force then (the last checkpoint inline, the earlier ones kept).
    function test_stake_history() public {
        uint64 e = st.currentEpoch();
        addValidator(99, 50000);
        uint32 k = uint32(st.validatorCount() - 1);
        warpMs(st.nowMs() + 3 * EPOCH);
        vm.prank(owner[99]);
        st.registerValidator{value: 7000 gwei}(key(99));          // from e + 4: 57000
        vm.prank(owner[99]);
        st.registerValidator{value: 1000 gwei}(key(99));          // same epoch: 58000
        warpMs(st.nowMs() + 2 * EPOCH);
        vm.prank(owner[99]);
        st.registerValidator{value: 2000 gwei}(key(99));          // from e + 6: 60000
        assertEq(st.stakeAt(k, e), 0, "before");
        assertEq(st.stakeAt(k, e + 1), 50000, "first");
        assertEq(st.stakeAt(k, e + 3), 50000, "first, still");
        assertEq(st.stakeAt(k, e + 4), 58000, "second (two additions in one epoch)");
        assertEq(st.stakeAt(k, e + 5), 58000, "second, still");
        assertEq(st.stakeAt(k, e + 6), 60000, "third");
        assertEq(st.stakeAt(k, e + 100), 60000, "third, later");
    }

    // ---- challenges ----

    function test_bad_signature_voids_and_pays_challenger() public {
        UptimeStaking.Report memory d = report(0, POD, T0 + 10000, 7);
        UptimeStaking.Report[] memory u = one(report(1, POD, T0 + 10000 + 2 * H, 7));
        u[0].votes[3].s ^= bytes32(uint256(1));            // one forged UP vote
        warpMs(T0 + 20000 + 2 * H);
        bytes32 id = doClaim(d, u);
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.ENoFraud.selector));
        st.challengeSignature(id, d, u, 1, 2);
        uint32 claimant = d.committee[0];
        uint64 before = st.stakeAt(claimant, st.currentEpoch() + 1);
        vm.prank(address(0xCC));
        st.challengeSignature(id, d, u, 1, 3);
        assertEq(st.owed(address(0xCC)), (uint256(BOND) + before / 10) * 1 gwei, "bond + 10 % of the claimant's stake");
        assertEq(st.stakeAt(claimant, st.currentEpoch() + 1), before - before / 10, "claimant slashed");
        warpMs(st.nowMs() + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EState.selector, "claim not pending"));
        st.finalize(id);
        assertEq(slashedOf(POD), 0, "voided: no slash");
    }

    /// finalize is O(1) and credits the bond beside the owner; the
    /// accounting runs in finalize order, one claim a call, and only with
    /// the claim's own summary.
    function test_finalize_then_account_in_order() public {
        UptimeStaking.Report memory d1 = report(0, POD, T0 + 10000, 7);
        UptimeStaking.Report[] memory u1 = one(report(1, POD, T0 + 10000 + 2 * H, 7));
        warpMs(T0 + 20000 + 2 * H);
        bytes32 a = doClaim(d1, u1);
        UptimeStaking.Report memory d2 = report(0, POD, T0 + 20 * H, 7);
        warpMs(T0 + 20 * H + 10000);
        bytes32 b = doClaim(d2, none());
        uint32 ca = d1.committee[d1.votes[0].member];
        uint96 before = st.creditOf(ca);
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EState.selector, "challenge window open"));
        st.finalize(b);
        warpMs(st.nowMs() + WINDOW);
        st.finalize(b);
        st.finalize(a);
        assertEq(st.creditOf(ca) - before, BOND * (ca == d2.committee[d2.votes[0].member] ? 2 : 1), "bond credited");
        UptimeStaking.Summary memory sa = st.summary(d1, u1);
        UptimeStaking.Summary memory sb = st.summary(d2, none());
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EState.selector, "an earlier claim is not accounted"));
        st.account(a, sa);
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EMalformed.selector, "not the claimed evidence"));
        st.account(b, sa);
        st.account(b, sb);
        assertEq(slashedOf(POD), 0, "an open DOWN proves nothing yet");
        st.account(a, sa);
        assertEq(slashedOf(POD), owes(2 * H), "2 h paid once accounted");
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EState.selector, "claim not finalized"));
        st.account(a, sa);
        uint256 bal = owner[ca].balance;
        uint96 credit = st.creditOf(ca);
        vm.prank(owner[ca]);
        st.withdrawCredit(ca);
        assertEq(owner[ca].balance - bal, uint256(credit) * 1 gwei, "credit withdrawn");
        assertEq(st.creditOf(ca), 0, "credit spent");
        vm.prank(address(0xCC));
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EPerm.selector));
        st.withdrawCredit(ca);
    }

    function firstOutsider(uint32[] memory com) internal view returns (uint32) {
        for (uint32 i = 0; i < st.validatorCount(); i++) {
            bool inside = false;
            for (uint256 j = 0; j < com.length; j++) inside = inside || com[j] == i;
            if (!inside) return i;
        }
        revert("no outsider");
    }

    /// com with `replaced` swapped for `outsider`, ascending.
    function swapped(uint32[] memory com, uint32 replaced, uint32 outsider) internal pure returns (uint32[] memory out) {
        out = new uint32[](com.length);
        for (uint256 j = 0; j < com.length; j++) out[j] = com[j] == replaced ? outsider : com[j];
        for (uint256 i = 1; i < out.length; i++) {
            uint32 x = out[i];
            uint256 j = i;
            for (; j > 0 && out[j - 1] > x; j--) out[j] = out[j - 1];
            out[j] = x;
        }
    }

    /// Re-signs every vote of r for the committee positions 0..n-1.
    function resign(UptimeStaking.Report memory r) internal view {
        for (uint256 i = 0; i < r.votes.length; i++) {
            bytes32 id = st.validatorId(r.committee[i]);
            bytes memory b = body(r.roundId, r.pod, r.epoch, id, r.kind, r.tMs);
            bytes32 sr = keccak256(abi.encodePacked("r", b));
            r.votes[i] = UptimeStaking.Vote(uint8(i), b, sr, keccak256(abi.encodePacked(id, abi.encodePacked("nines/vote/v1", b), sr)));
        }
    }

    /// A committee with one member replaced by an outsider (the claimant's
    /// friend) is proven wrong with two rank hashes.
    function test_non_committee_signer() public {
        UptimeStaking.Report memory d = report(0, POD, T0 + 10000, 7);
        uint32 outsider = firstOutsider(d.committee);
        uint32 replaced = d.committee[6];
        d.committee = swapped(d.committee, replaced, outsider);
        resign(d);
        warpMs(T0 + 30000);
        bytes32 cid = doClaim(d, none());
        uint256 pos = 0;
        while (d.committee[pos] != outsider) pos++;
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.ENoFraud.selector));
        st.challengeCommittee(cid, d, none(), 0, pos, d.committee[pos == 0 ? 1 : 0]);
        st.challengeCommittee(cid, d, none(), 0, pos, replaced);
        assertTrue(st.claimStatus(cid) == UptimeStaking.Status.Voided, "voided");
    }

    function test_challenge_after_window_refused() public {
        UptimeStaking.Report memory d = report(0, POD, T0 + 10000, 7);
        d.votes[0].s ^= bytes32(uint256(1));
        warpMs(T0 + 20000);
        bytes32 id = doClaim(d, none());
        warpMs(st.nowMs() + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EState.selector, "challenge window over"));
        st.challengeSignature(id, d, none(), 0, 0);
    }

    // ---- canary and validator pay ----

    /// Validators 0 and 2 answer the canary, 1 answers late: the pool of
    /// both pods' fees (0.1 % of stake each) goes to 0 and 2 by stake.
    function test_canary_fees() public {
        bytes32 b = keccak256("pod-fee");
        addPod(b, address(0xB1), 0);
        uint64 day = 86400000;
        uint64 period = st.periodOf(st.nowMs());
        st.openCanary();
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EExist.selector));
        st.openCanary();
        vm.prank(owner[0]);
        st.answerCanary(0);
        vm.prank(owner[2]);
        st.answerCanary(2);
        vm.prank(owner[2]);
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EExist.selector));
        st.answerCanary(2);
        warpMs(st.nowMs() + 61000);
        vm.prank(owner[1]);
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EStale.selector, "no open canary"));
        st.answerCanary(1);
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EState.selector, "period not over"));
        st.settleFees(period);
        warpMs(GENESIS + (period + 1) * day);
        st.settleFees(period);
        uint64 pool = 2 * (POD_STAKE / 1000);
        uint64 s0 = st.stakeAt(0, st.currentEpoch());
        uint64 s2 = st.stakeAt(2, st.currentEpoch());
        assertEq(st.rewards(0), uint256(pool) * s0 / (s0 + s2), "validator 0 share");
        assertEq(st.rewards(2), uint256(pool) * s2 / (s0 + s2), "validator 2 share");
        assertEq(st.rewards(1), 0, "late answer: nothing");
        assertEq(st.podFees(POD), POD_STAKE / 1000, "pod fee");
        assertEq(st.owed(owner[2]), uint256(st.rewards(2)) * 1 gwei, "withdrawable");
        vm.expectRevert(abi.encodeWithSelector(UptimeStaking.EState.selector, "fees already settled"));
        st.settleFees(period);
        // a period nobody answered takes no fee
        warpMs(GENESIS + (period + 2) * day);
        st.settleFees(period + 1);
        assertEq(st.podFees(POD), POD_STAKE / 1000, "no answer, no fee");
    }

    // ---- properties ----

    /// Total slash never exceeds the pod's stake, whatever outages.
    /// forge-config: default.fuzz.runs = 64
    function testFuzz_total_slash_within_stake(uint32[6] memory gaps, uint32[6] memory lens) public {
        uint64 t = T0 + 10000;
        for (uint256 i = 0; i < 6; i++) {
            t += 1000 * (uint64(gaps[i]) % 400000) + 1000;
            uint64 len = 1000 * (uint64(lens[i]) % 200000) + 1000;
            outage(POD, t, t + len);
            t += len;
        }
        (, uint64 stake, uint64 slashed,,) = st.podInfo(POD);
        assertTrue(slashed <= stake, "slash <= stake");
        assertTrue(uint256(slashed) <= uint256(stake) * 6 / 10, "each incident at most max_slash");
    }

    /// Splitting an outage into two reports (UP and DOWN at the same
    /// instant) never lowers its slash.
    function testFuzz_split_never_lowers(uint32 lenS, uint32 cutS) public {
        uint64 len = 1000 * (uint64(lenS) % 30000) + 2000;
        uint64 cut = 1000 * (1 + uint64(cutS) % (len / 1000 - 1));
        uint64 t = T0 + 10000;
        outage(POD, t, t + cut);
        outage(POD, t + cut, t + len);
        uint64 whole = len >= 60000 ? owes(len) : 0;       // the unsplit outage, grace applied
        assertTrue(slashedOf(POD) >= whole, "split >= whole");
        assertEq(slashedOf(POD), whole, "split == whole");
    }

    /// Flips one bit of vote v's body (or signature): positions past the
    /// body are r, then s.
    function flipBit(UptimeStaking.Vote memory x, uint256 p, uint8 bit) internal pure {
        bytes1 flip = bytes1(uint8(1) << (bit % 8));
        uint256 n = x.body.length;
        if (p < n) x.body[p] ^= flip;
        else if (p < n + 32) x.r ^= bytes32(flip) >> (8 * (p - n));
        else x.s ^= bytes32(flip) >> (8 * (p - n - 32));
    }

    /// Any bad signature in a claim that passes the cheap checks can be proven.
    /// forge-config: default.fuzz.runs = 128
    function testFuzz_bad_signature_always_challengeable(uint8 which, uint8 vote, uint16 bytePos, uint8 bit) public {
        UptimeStaking.Report memory d = report(0, POD, T0 + 10000, 7);
        UptimeStaking.Report[] memory u = one(report(1, POD, T0 + 10000 + H, 7));
        UptimeStaking.Report memory r = which % 2 == 0 ? d : u[0];
        uint256 v = vote % r.votes.length;
        flipBit(r.votes[v], bytePos % (r.votes[v].body.length + 64), bit);
        warpMs(T0 + 20000 + H);
        bytes32 id;
        try this.claimAs(d, u) returns (bytes32 got) {
            id = got;
        } catch {
            return;        // the flipped bit broke a cheap check: never accepted at all
        }
        st.challengeSignature(id, d, u, which % 2, v);
        UptimeStaking.Status s = st.claimStatus(id);
        assertTrue(s == UptimeStaking.Status.Voided, "voided");
    }

    function claimAs(UptimeStaking.Report memory d, UptimeStaking.Report[] memory u) external returns (bytes32) {
        return doClaim(d, u);
    }
}
