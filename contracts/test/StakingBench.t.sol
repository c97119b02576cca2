// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Evidence} from "./util/Evidence.sol";
import {Vm} from "./util/Test.sol";
import {UptimeStaking} from "../src/UptimeStaking.sol";
import {NinesCrypto} from "../src/NinesCrypto.sol";

/// Gas of UptimeStaking's operations (issue 16 item 6; tests/chain/bench.sh
/// prints the `name: N` lines), with the real Ed25519 and BLAKE2b
/// (NinesCrypto).  Each figure is forge's lastCallGas of one call, in one of
/// two runs that bench.sh makes:
///   - warm (NINES_BENCH unset): the execution gas of the call inside the
///     test's one transaction, where the slots earlier steps touched are
///     warm (and written ones dirty): no 21k base, no calldata;
///   - cold (NINES_BENCH=cold, forge test --isolate): every call is its own
///     transaction, as on a chain: the whole transaction's gas, 21k base,
///     calldata and cold storage included.
/// Goals (issue 16): claim <= 250k for 7 votes, fraud proof <= 450k,
/// finalize <= 50k.
contract StakingBench is Evidence {
    bytes32 constant POD = keccak256("bench-pod");
    uint64 constant T0 = GENESIS + 1_000_000 * EPOCH;
    string suffix;

    function measured(string memory what) internal view returns (uint256 g) {
        g = vm.lastCallGas().gasTotalUsed;
        log(string.concat(what, suffix), g);
    }

    /// Deploys with `n` validators whose ids are the 10 vector keys, then
    /// synthetic ids; one pod.
    function deploy(uint32 committee, uint256 n) internal {
        bool cold = keccak256(bytes(vm.envOr("NINES_BENCH", string("warm")))) == keccak256("cold");
        suffix = cold ? " (cold, own transaction):" : " (warm, execution):";
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

    function claimed(UptimeStaking.Report memory d, UptimeStaking.Report[] memory u, string memory what)
        internal returns (bytes32 id)
    {
        uint32 claimant = d.committee[d.votes[0].member];
        vm.prank(owner[claimant]);
        id = st.claim{value: uint256(BOND) * 1 gwei}(claimant, d, u);
        if (bytes(what).length > 0) measured(what);
    }

    function test_bench_staking() public {
        deploy(7, 10);
        // registration (a new validator, a new pod)
        owner[99] = address(0x9999);
        vm.deal(owner[99], 1e30);
        vm.prank(owner[99]);
        st.registerValidator{value: 20000 gwei}(keccak256("new validator"));
        measured("register validator gas");
        vm.deal(address(0xB1), 1e30);
        vm.prank(address(0xB1));
        st.registerPod{value: 1e9 gwei}(keccak256("new pod"), keccak256("pins"), 0);
        measured("register pod gas");

        // a 7-vote DOWN claim, finalized and accounted
        UptimeStaking.Report memory d = report(0, POD, T0 + 10000, 7);
        warpMs(T0 + 20000);
        bytes32 id = claimed(d, none(), "claim gas (7 votes)");
        warpMs(st.nowMs() + WINDOW);
        st.finalize(id);
        measured("finalize gas (open DOWN)");
        UptimeStaking.Summary memory sm = st.summary(d, none());
        st.account(id, sm);
        measured("account gas (open DOWN, nothing owed yet)");

        // its UP 2 h later: the accounting pays the slash
        UptimeStaking.Report memory d2 = report(0, POD, T0 + 10000, 7);
        UptimeStaking.Report[] memory u = one(report(1, POD, T0 + 10000 + 7200000, 7));
        warpMs(T0 + 20000 + 7200000);
        bytes32 id2 = claimed(d2, u, "claim gas (7 + 7 votes, DOWN and UP)");
        warpMs(st.nowMs() + WINDOW);
        st.finalize(id2);
        measured("finalize gas (closing UP)");
        sm = st.summary(d2, u);
        st.account(id2, sm);
        measured("account gas (closing UP, slash paid)");

        // fraud proofs on a fresh claim: a forged signature (full Ed25519
        // verification that fails), a non-committee signer (two ranks)
        UptimeStaking.Report memory d3 = report(0, POD, T0 + 9000000, 7);
        warpMs(T0 + 9010000);
        // a canonical S (< L: top byte clear) so the verifier runs in full
        d3.votes[0].s &= bytes32(~uint256(0xff));
        bytes32 id3 = claimed(d3, none(), "");
        st.challengeSignature(id3, d3, none(), 0, 0);
        measured("fraud proof gas (bad signature)");
        committeeFraud();
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
        bytes32 id = claimed(d, none(), "");
        uint256 pos = 0;
        while (d.committee[pos] != outsider) pos++;
        st.challengeCommittee(id, d, none(), 0, pos, replaced);
        measured("fraud proof gas (non-committee signer)");
    }

    function test_bench_staking_32() public {
        deploy(32, 40);
        UptimeStaking.Report memory d = report(0, POD, T0 + 10000, 32);
        warpMs(T0 + 20000);
        claimed(d, none(), "claim gas (32 votes)");
    }
}
