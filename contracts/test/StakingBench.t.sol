// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Evidence} from "./util/Evidence.sol";
import {UptimeStaking} from "../src/UptimeStaking.sol";
import {NinesCrypto} from "../src/NinesCrypto.sol";

/// Gas of UptimeStaking's operations (issue 16 item 6; tests/chain/bench.sh
/// prints the `name: N` lines, `claim gas (7 votes)` last), with the real
/// Ed25519 and BLAKE2b (NinesCrypto).  A figure is the execution gas of one
/// external call measured with gasleft() (no 21k base, no calldata); the
/// claim's transaction total adds both.  Goals: claim <= 250k for 7 votes,
/// fraud proof <= 450k, finalize <= 50k.
contract StakingBench is Evidence {
    bytes32 constant POD = keccak256("bench-pod");
    uint64 constant T0 = GENESIS + 1_000_000 * EPOCH;

    /// Calldata gas (EIP-2028: 16 a non-zero byte, 4 a zero byte) of a call.
    function calldataGas(bytes memory data) internal pure returns (uint256 g) {
        for (uint256 i = 0; i < data.length; i++) g += data[i] == 0 ? 4 : 16;
    }

    /// Deploys with `n` validators whose ids are the 10 vector keys, then
    /// synthetic ids; one pod.
    function deploy(uint32 committee, uint256 n) internal {
        NinesCrypto c = new NinesCrypto();
        st = new UptimeStaking(defaults(committee), c, c);
        warpMs(T0 - 2 * EPOCH);
        for (uint256 k = 0; k < n; k++) {
            owner[k] = address(uint160(0x1000 + k));
            vm.deal(owner[k], 1e30);
            bytes32 id = k < 10 ? bytes32(protoHex(string.concat("key.validator", vm.toString(k), ".id"))) : key(k);
            vm.prank(owner[k]);
            st.registerValidator{value: uint256(10000 + 1000 * k) * 1 gwei}(id);
        }
        nValidators = n;
        warpMs(T0);
        addPod(POD, address(0xA1), 0);
    }

    function gasOfClaim(UptimeStaking.Report memory d, UptimeStaking.Report[] memory u)
        internal returns (uint256 used, uint256 txGas, bytes32 id)
    {
        uint32 claimant = d.committee[d.votes[0].member];
        vm.prank(owner[claimant]);
        uint256 g = gasleft();
        id = st.claim{value: uint256(BOND) * 1 gwei}(claimant, d, u);
        used = g - gasleft();
        txGas = 21000 + used + calldataGas(abi.encodeCall(UptimeStaking.claim, (claimant, d, u)));
    }

    function test_bench_staking() public {
        deploy(7, 10);
        // registration (a new validator, a new pod)
        owner[99] = address(0x9999);
        vm.deal(owner[99], 1e30);
        vm.prank(owner[99]);
        uint256 g = gasleft();
        st.registerValidator{value: 20000 gwei}(keccak256("new validator"));
        log("register validator gas:", g - gasleft());
        vm.deal(address(0xB1), 1e30);
        vm.prank(address(0xB1));
        g = gasleft();
        st.registerPod{value: 1e9 gwei}(keccak256("new pod"), keccak256("pins"), 0);
        log("register pod gas:", g - gasleft());

        // a 7-vote DOWN claim, finalized
        UptimeStaking.Report memory d = report(0, POD, T0 + 10000, 7);
        warpMs(T0 + 20000);
        (uint256 claim7, uint256 tx7, bytes32 id) = gasOfClaim(d, none());
        warpMs(st.nowMs() + WINDOW);
        g = gasleft();
        st.finalize(id, d, none());
        log("finalize gas (open DOWN, nothing owed yet):", g - gasleft());

        // its UP a 2 h later: finalize pays the slash
        UptimeStaking.Report memory d2 = report(0, POD, T0 + 10000, 7);
        UptimeStaking.Report[] memory u = one(report(1, POD, T0 + 10000 + 7200000, 7));
        warpMs(T0 + 20000 + 7200000);
        (uint256 claim14, uint256 tx14, bytes32 id2) = gasOfClaim(d2, u);
        log("claim gas (7 + 7 votes, DOWN and UP):", claim14);
        log("claim transaction gas (7 + 7 votes):", tx14);
        warpMs(st.nowMs() + WINDOW);
        g = gasleft();
        st.finalize(id2, d2, u);
        log("finalize gas (closing UP, slash paid):", g - gasleft());

        // fraud proofs on a fresh claim: a forged signature (full Ed25519
        // verification that fails), a non-committee signer (two ranks)
        UptimeStaking.Report memory d3 = report(0, POD, T0 + 9000000, 7);
        warpMs(T0 + 9010000);
        // a canonical S (< L: top byte clear) so the verifier runs in full
        d3.votes[0].s &= bytes32(~uint256(0xff));
        (,, bytes32 id3) = gasOfClaim(d3, none());
        g = gasleft();
        st.challengeSignature(id3, d3, none(), 0, 0);
        log("fraud proof gas (bad signature):", g - gasleft());
        committeeFraud();
        log("claim transaction gas (7 votes):", tx7);
        log("claim gas (7 votes):", claim7);
    }

    function committeeFraud() internal {
        uint64 t = T0 + 9500000;
        UptimeStaking.Report memory d = report(0, POD, t, 7);
        uint32 outsider = 0;
        bool inside = true;
        for (; inside; outsider++) {
            inside = false;
            for (uint256 j = 0; j < d.committee.length; j++) inside = inside || d.committee[j] == outsider;
            if (!inside) break;
        }
        uint32 replaced = d.committee[6];
        d.committee[6] = outsider;
        for (uint256 i = 6; i > 0 && d.committee[i - 1] > d.committee[i]; i--) {
            (d.committee[i - 1], d.committee[i]) = (d.committee[i], d.committee[i - 1]);
        }
        for (uint256 i = 0; i < 7; i++) {
            bytes32 vid = st.validatorId(d.committee[i]);
            d.votes[i] = UptimeStaking.Vote(uint8(i), body(d.roundId, POD, d.epoch, vid, 0, t), bytes32(0), bytes32(0));
        }
        warpMs(t + 10000);
        (,, bytes32 id) = gasOfClaim(d, none());
        uint256 pos = 0;
        while (d.committee[pos] != outsider) pos++;
        uint256 g = gasleft();
        st.challengeCommittee(id, d, none(), 0, pos, replaced);
        log("fraud proof gas (non-committee signer):", g - gasleft());
    }

    function test_bench_staking_32() public {
        deploy(32, 40);
        UptimeStaking.Report memory d = report(0, POD, T0 + 10000, 32);
        warpMs(T0 + 20000);
        (uint256 used, uint256 txGas,) = gasOfClaim(d, none());
        log("claim gas (32 votes):", used);
        log("claim transaction gas (32 votes):", txGas);
    }
}
