// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./Test.sol";
import {UptimeStaking, IEd25519Verifier, INinesHash} from "../../src/UptimeStaking.sol";

/// A stand-in signature scheme for the contract's logic tests: a signature
/// (r, s) by pk over msg is valid when s = keccak256(pk, msg, r).  The real
/// Ed25519 verifier has its own tests; here only "valid or not" matters.
contract FakeEd25519 is IEd25519Verifier {
    function verify(bytes32 pk, bytes memory m, bytes32 r, bytes32 s) external pure returns (bool) {
        return s == keccak256(abi.encodePacked(pk, m, r));
    }
}

/// keccak256 standing in for BLAKE2b-256 in the logic tests (ranks need only
/// be a deterministic function of the same bytes).
contract FakeHash is INinesHash {
    function epochSeed(bytes32 genesisSeed, uint64 epoch) external pure returns (bytes32) {
        return keccak256(abi.encodePacked("nines/epoch/v1", genesisSeed, epoch));
    }

    function rank(bytes32 seedE, bytes32 pod, bytes32 validator) external pure returns (uint64) {
        return uint64(uint256(keccak256(abi.encodePacked(seedE, pod, validator))));
    }
}

/// Builds registries, committees and signed reports for UptimeStaking tests.
abstract contract Evidence is Test {
    UptimeStaking internal st;
    uint64 internal constant EPOCH = 10000;
    uint64 internal constant GENESIS = 1_700_000_000_000;
    uint64 internal constant BOND = 1000;
    uint64 internal constant WINDOW = 3600000;   // challenge window, ms
    uint64 internal constant POD_STAKE = 1_000_000_000;

    uint256 internal nValidators;
    mapping(uint256 => address) internal owner;

    function defaults(uint32 committee) internal pure returns (UptimeStaking.Params memory p) {
        p.genesisSeed = bytes32(0);
        p.genesisMs = GENESIS;
        p.epochMs = EPOCH;
        p.committee = committee;
        p.thetaPpm = 666667;
        p.roundTimeoutMs = 15000;
        p.minValidatorStake = 1000;
        p.dMidMs = 7200000;
        p.sMs = 1800000;
        p.maxSlashPpm = 100000;
        p.graceMs = 60000;
        p.noticeMs = 86400000;
        p.maintBudgetMs = 14400000;
        p.maintPeriodMs = 2592000000;
        p.mergeFactor = 24;
        p.mergeMinMs = 900000;
        p.mergeMaxMs = 604800000;
        p.corrWindowMs = 300000;
        p.feePpm = 1000;
        p.feePeriodMs = 86400000;
        p.canaryWindowMs = 60000;
        p.bond = BOND;
        p.challengeWindowMs = WINDOW;
        p.fraudSlashPpm = 100000;
    }

    function warpMs(uint64 t) internal {
        vm.warp(t / 1000);
    }

    /// Deploys with n validators (stakes 10000 + 1000 k units) registered one
    /// epoch before `t0`, and warps to t0.
    function setUpChain(uint32 committee, uint256 n, uint64 t0, IEd25519Verifier ed, INinesHash b2) internal {
        st = new UptimeStaking(defaults(committee), ed, b2);
        warpMs(t0 - 2 * EPOCH);
        for (uint256 k = 0; k < n; k++) addValidator(k, 10000 + 1000 * uint64(k));
        nValidators = n;
        warpMs(t0);
    }

    function key(uint256 k) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked("validator", k));
    }

    function addValidator(uint256 k, uint64 stake) internal {
        owner[k] = address(uint160(0x1000 + k));
        vm.deal(owner[k], uint256(stake + 10 * BOND) * 1 gwei);
        vm.prank(owner[k]);
        st.registerValidator{value: uint256(stake) * 1 gwei}(key(k));
    }

    function addPod(bytes32 pod, address provider, uint64 paidUntil) internal {
        vm.deal(provider, uint256(POD_STAKE) * 1 gwei);
        vm.prank(provider);
        st.registerPod{value: uint256(POD_STAKE) * 1 gwei}(pod, keccak256("pins"), paidUntil);
    }

    function be(uint64 v) internal pure returns (bytes memory) {
        return abi.encodePacked(uint8(0xcf), v);
    }

    /// A vote body in msgpack (PROTOCOL.md 8.1), no proof, no attempts.
    function body(bytes32 round, bytes32 pod, uint64 epoch, bytes32 validator, uint8 verdict, uint64 t)
        internal pure returns (bytes memory)
    {
        bytes memory head = abi.encodePacked(uint8(0x99), uint8(0xc4), uint8(32), round, uint8(0xc4), uint8(32), pod);
        return abi.encodePacked(head, be(epoch), uint8(0xc4), uint8(32), validator, verdict, uint8(1), be(t),
                                uint8(0xc0), uint8(0x90));
    }

    /// The committee of (pod, epoch): the c best ranks among eligible
    /// validators (ties by id), as eligible indexes ascending.
    function committeeOf(bytes32 pod, uint64 epoch) internal view returns (uint32[] memory out) {
        uint256 n = st.validatorCount();
        uint32[] memory idx = new uint32[](n);
        uint64[] memory rk = new uint64[](n);
        uint256 m = 0;
        uint64 min = st.parameters().minValidatorStake;
        for (uint32 i = 0; i < n; i++) {
            if (st.stakeAt(i, epoch) < min) continue;
            idx[m] = i;
            rk[m] = st.rank(pod, epoch, st.validatorId(i));
            m++;
        }
        // selection by rank
        uint256 c = st.parameters().committee;
        if (c > m) c = m;
        bool[] memory taken = new bool[](m);
        out = new uint32[](c);
        for (uint256 j = 0; j < c; j++) {
            uint256 best = type(uint256).max;
            for (uint256 i = 0; i < m; i++) {
                if (taken[i]) continue;
                if (best == type(uint256).max || rk[i] < rk[best]
                    || (rk[i] == rk[best] && st.validatorId(idx[i]) < st.validatorId(idx[best]))) best = i;
            }
            taken[best] = true;
            out[j] = idx[best];
        }
        // ascending index order
        for (uint256 i = 1; i < c; i++) {
            uint32 x = out[i];
            uint256 j = i;
            for (; j > 0 && out[j - 1] > x; j--) out[j] = out[j - 1];
            out[j] = x;
        }
    }

    function indexOfKey(bytes32 id) internal view returns (uint256) {
        for (uint256 k = 0; k < nValidators; k++) if (key(k) == id) return k;
        revert("no such key");
    }

    /// A report of `kind` about pod at instant t (ms) voted by the first
    /// `nVotes` committee members, every vote observed at t.
    function report(uint8 kind, bytes32 pod, uint64 t, uint256 nVotes) internal view returns (UptimeStaking.Report memory r) {
        r.kind = kind;
        r.pod = pod;
        r.epoch = (t - GENESIS) / EPOCH;
        r.roundId = keccak256(abi.encodePacked(pod, t, kind));
        r.tMs = t;
        r.committee = committeeOf(pod, r.epoch);
        if (nVotes > r.committee.length) nVotes = r.committee.length;
        r.votes = new UptimeStaking.Vote[](nVotes);
        for (uint256 i = 0; i < nVotes; i++) {
            bytes32 id = st.validatorId(r.committee[i]);
            bytes memory b = body(r.roundId, pod, r.epoch, id, kind == 0 ? 0 : 1, t);
            bytes32 sr = keccak256(abi.encodePacked("r", b));
            r.votes[i] = UptimeStaking.Vote(uint8(i), b, sr,
                                            keccak256(abi.encodePacked(id, abi.encodePacked("nines/vote/v1", b), sr)));
        }
    }

    function none() internal pure returns (UptimeStaking.Report[] memory) {
        return new UptimeStaking.Report[](0);
    }

    function one(UptimeStaking.Report memory r) internal pure returns (UptimeStaking.Report[] memory a) {
        a = new UptimeStaking.Report[](1);
        a[0] = r;
    }

    /// Claims as the owner of the first voter.
    function doClaim(UptimeStaking.Report memory down, UptimeStaking.Report[] memory up) internal returns (bytes32) {
        uint32 claimant = down.committee[down.votes[0].member];
        vm.prank(owner[claimant]);
        return st.claim{value: uint256(BOND) * 1 gwei}(claimant, down, up);
    }

    /// Claims evidence [tDown, tUp) (tUp 0: DOWN only), waits the window, finalizes and accounts.
    function outage(bytes32 pod, uint64 tDown, uint64 tUp) internal {
        UptimeStaking.Report memory d = report(0, pod, tDown, 7);
        UptimeStaking.Report[] memory u = tUp == 0 ? none() : one(report(1, pod, tUp, 7));
        uint64 when = (tUp > tDown ? tUp : tDown) + 1000;
        if (when > st.nowMs()) warpMs(when);
        bytes32 id = doClaim(d, u);
        warpMs(st.nowMs() + WINDOW);
        finalizeAndAccount(id, d, u);
    }

    /// Finalizes claim id of (d, u) and runs its accounting.
    function finalizeAndAccount(bytes32 id, UptimeStaking.Report memory d, UptimeStaking.Report[] memory u) internal {
        st.finalize(id);
        st.account(id, st.summary(d, u));
    }

    function slashedOf(bytes32 pod) internal view returns (uint64 s) {
        (,, s,,) = st.podInfo(pod);
    }
}
