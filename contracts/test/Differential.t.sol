// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Evidence} from "./util/Evidence.sol";
import {UptimeStaking} from "../src/UptimeStaking.sol";
import {NinesCrypto} from "../src/NinesCrypto.sol";

/// Issue 16 item 3: the evidence of test/vectors/ledger-corpus.txt (written
/// by tests/chain/gen_corpus.c with the project's C code: real Ed25519
/// votes, committees from src/proto, verdicts, incidents and slashes from an
/// in-process nines-ledger) replayed into the contract with the real
/// Ed25519 and BLAKE2b: the same verdicts (accepted evidence finalizes,
/// the forged vote is caught by a fraud proof, the non-committee signer,
/// the duplicate and a vote body the C decoder refuses are refused), the same merged incidents and the same
/// slashed amounts.
contract DifferentialTest is Evidence {
    struct Ev {
        uint64 now_;
        string verdict;
        string reason;
        uint256 line;              // index of its E line in `lines`
    }

    string[] lines;

    bytes32[] podIds;
    Ev[] evs;
    uint64[] incT;
    uint64[] incD;
    uint64[] incS;
    uint256[] incPod;
    bool[] incCorr;
    uint64[] wantSlashed;

    function u(string memory s) internal pure returns (uint64) {
        return uint64(vm.parseUint(s));
    }

    function b32(string memory s) internal pure returns (bytes32) {
        return bytes32(vm.parseBytes(string.concat("0x", s)));
    }

    function tag(string memory line) internal pure returns (bytes1) {
        return bytes(line).length == 0 ? bytes1(0) : bytes(line)[0];
    }

    function eq(string memory a, string memory b) internal pure returns (bool) {
        return keccak256(bytes(a)) == keccak256(bytes(b));
    }

    function parseCommittee(string memory s) internal pure returns (uint32[] memory out) {
        string[] memory f = vm.split(s, ",");
        out = new uint32[](f.length);
        for (uint256 i = 0; i < f.length; i++) out[i] = uint32(vm.parseUint(f[i]));
    }

    /// Deploys and registers (3 days before the evidence, so every epoch
    /// of the corpus sees the registry), then keeps the evidence in evs.
    function setUp() public {
        lines = vm.split(readRel("test/vectors/ledger-corpus.txt"), "\n");
        NinesCrypto c = new NinesCrypto();
        uint64 t0 = 1700000000000;
        warpMs(t0 - 3 * 86400000);
        uint256 nv = 0;
        for (uint256 i = 0; i < lines.length; i++) {
            string memory line = lines[i];
            bytes1 t = tag(line);
            if (t == 0 || t == "#") continue;
            string[] memory f = vm.split(line, " ");
            if (t == "P") {
                UptimeStaking.Params memory p = defaults(uint32(u(f[3])));
                p.genesisMs = u(f[1]);
                p.epochMs = u(f[2]);
                p.challengeWindowMs = 60000;
                st = new UptimeStaking(p, c, c);
            } else if (t == "V") {
                owner[nv] = address(uint160(0x1000 + nv));
                vm.deal(owner[nv], 1e30);
                vm.prank(owner[nv]);
                st.registerValidator{value: uint256(u(f[2])) * 1 gwei}(b32(f[1]));
                nv++;
            } else if (t == "D") {
                address prov = address(uint160(0xA0 + u(f[2])));
                vm.deal(prov, 1e30);
                vm.prank(prov);
                st.registerPod{value: uint256(u(f[3])) * 1 gwei}(b32(f[1]), keccak256("pins"), u(f[4]));
                podIds.push(b32(f[1]));
                wantSlashed.push(0);
            } else if (t == "M") {
                bytes32 pod = podIds[u(f[1])];
                (address prov,,,,) = st.podInfo(pod);
                vm.prank(prov);
                st.announceMaintenance(pod, u(f[2]), u(f[3]));
            } else if (t == "E") {
                Ev storage e = evs.push();
                e.now_ = u(f[1]);
                e.verdict = f[2];
                e.reason = f[3];
                e.line = i;
            } else if (t == "R" || t == "W") {
                // built in memory by reports()
            } else if (t == "I") {
                incPod.push(u(f[1]));
                incT.push(u(f[2]));
                incD.push(u(f[3]));
                incS.push(u(f[4]));
                incCorr.push(u(f[5]) == 1);
            } else if (t == "S") {
                wantSlashed[u(f[1])] = u(f[2]);
            } else {
                revert(string.concat("corpus: unknown line ", line));
            }
        }
        nValidators = nv;
        assertTrue(evs.length >= 10 && incT.length >= 5, "corpus read");
    }

    /// The reports of evidence k, from the R and W lines after its E line.
    function reports(uint256 k) internal view returns (UptimeStaking.Report memory d, UptimeStaking.Report[] memory up) {
        uint256 i = evs[k].line + 1;
        bool hasUp = false;
        for (uint256 j = 0; j < 2; j++) {
            string[] memory f = vm.split(lines[i], " ");
            if (tag(lines[i]) != "R") break;
            UptimeStaking.Report memory r;
            r.kind = uint8(u(f[1]));
            r.pod = podIds[u(f[2])];
            r.epoch = u(f[3]);
            r.roundId = b32(f[4]);
            r.tMs = u(f[5]);
            r.committee = parseCommittee(f[6]);
            uint256 nvotes = 0;
            while (i + 1 + nvotes < lines.length && tag(lines[i + 1 + nvotes]) == "W") nvotes++;
            r.votes = new UptimeStaking.Vote[](nvotes);
            for (uint256 v = 0; v < nvotes; v++) {
                string[] memory w = vm.split(lines[i + 1 + v], " ");
                r.votes[v] = UptimeStaking.Vote(uint8(u(w[1])), vm.parseBytes(string.concat("0x", w[2])), b32(w[3]), b32(w[4]));
            }
            i += 1 + nvotes;
            if (r.kind == 0) d = r;
            else {
                up = new UptimeStaking.Report[](1);
                up[0] = r;
                hasUp = true;
            }
        }
        if (!hasUp) up = new UptimeStaking.Report[](0);
    }

    function claimOf(uint256 k) external returns (bytes32) {
        (UptimeStaking.Report memory d, UptimeStaking.Report[] memory up) = reports(k);
        uint256 m = d.votes[0].member == 255 ? d.votes[1].member : d.votes[0].member;
        uint32 claimant = d.committee[m];
        vm.prank(owner[claimant]);
        return st.claim{value: uint256(BOND) * 1 gwei}(claimant, d, up);
    }

    /// Tries a signature fraud proof on every vote; returns (report, vote) of
    /// the one that voided the claim, or (255, 255).
    function proveForgery(bytes32 id, uint256 k) internal returns (uint256, uint256) {
        (UptimeStaking.Report memory d, UptimeStaking.Report[] memory up) = reports(k);
        for (uint8 which = 0; which <= up.length; which++) {
            uint256 n = which == 0 ? d.votes.length : up[0].votes.length;
            for (uint256 v = 0; v < n; v++) {
                try st.challengeSignature(id, d, up, which, v) {
                    return (which, v);
                } catch (bytes memory why) {
                    assertEq(bytes32(bytes4(why)), bytes32(UptimeStaking.ENoFraud.selector), "honest vote: ENoFraud");
                }
            }
        }
        return (255, 255);
    }

    function test_replay_matches_ledger() public {
        // the ledger handled the evidence at its `now`; the chain's clock only
        // moves forward: replay in order of now (the amounts depend on the
        // evidence only), finalizing each claim once its window has passed
        uint256 n = evs.length;
        uint256[] memory order = new uint256[](n);
        for (uint256 i = 0; i < n; i++) order[i] = i;
        for (uint256 i = 1; i < n; i++) {
            for (uint256 j = i; j > 0 && evs[order[j - 1]].now_ > evs[order[j]].now_; j--) {
                (order[j - 1], order[j]) = (order[j], order[j - 1]);
            }
        }
        bytes32[] memory pending = new bytes32[](n);   // claim id, by evidence (0: none)
        uint256 accepted = 0;
        uint256 forged = 0;
        uint256 malformed = 0;
        for (uint256 i = 0; i < n; i++) {
            uint256 k = order[i];
            Ev storage e = evs[k];
            finalizeDue(pending);
            warpMs(e.now_);
            try this.claimOf(k) returns (bytes32 id) {
                if (eq(e.verdict, "accepted")) {
                    pending[k] = id;
                    accepted++;
                } else {
                    assertTrue(eq(e.reason, "NINES_EBADSIG"), string.concat("claimed, ledger said ", e.reason));
                    (uint256 which, uint256 v) = proveForgery(id, k);
                    assertEq(which, 0, "forged vote is in the DOWN report");
                    assertEq(v, 2, "forged vote is vote 2");
                    assertTrue(st.claimStatus(id) == UptimeStaking.Status.Voided, "forgery voids the claim");
                    forged++;
                }
            } catch (bytes memory why) {
                bytes4 sel = bytes4(why);
                if (eq(e.verdict, "duplicate")) {
                    assertEq(bytes32(sel), bytes32(UptimeStaking.EDuplicate.selector), "duplicate refused");
                } else if (eq(e.verdict, "refused")) {
                    // the ledger's decoder refused a validly signed vote body
                    assertTrue(eq(e.reason, "NINES_ETRAILING") || eq(e.reason, "NINES_EMALFORMED")
                               || eq(e.reason, "NINES_ETOOBIG") || eq(e.reason, "NINES_ETRUNC"), "refused: a body fault");
                    assertEq(bytes32(sel), bytes32(UptimeStaking.EMalformed.selector), "malformed vote body refused");
                    malformed++;
                } else {
                    assertTrue(eq(e.reason, "NINES_ENOTCOMMITTEE"), string.concat("refused, ledger said ", e.verdict));
                    assertEq(bytes32(sel), bytes32(UptimeStaking.ENotCommittee.selector), "non-committee signer refused");
                }
            }
        }
        warpMs(st.nowMs() + 86400000);
        finalizeDue(pending);
        for (uint256 p = 0; p < podIds.length; p++) st.settle(podIds[p]);
        assertTrue(accepted >= 10 && forged == 1 && malformed == 1, "verdicts replayed");
        for (uint256 p = 0; p < podIds.length; p++) {
            assertEq(slashedOf(podIds[p]), wantSlashed[p], string.concat("slashed, pod ", vm.toString(p)));
        }
        checkIncidents();
        log("evidence replayed", n);
        log("incidents compared", incT.length);
    }

    function finalizeDue(bytes32[] memory pending) internal {
        for (uint256 k = 0; k < pending.length; k++) {
            if (pending[k] == bytes32(0)) continue;
            (, uint64 deadline,,,) = st.claims(pending[k]);
            if (st.nowMs() < deadline) continue;
            (UptimeStaking.Report memory d, UptimeStaking.Report[] memory up) = reports(k);
            finalizeAndAccount(pending[k], d, up);
            pending[k] = bytes32(0);
        }
    }

    /// Every row of the ledger's incidents query: an uncorrelated merged
    /// incident is one of the contract's groups with the same first DOWN,
    /// duration and amount paid; a correlated raw incident is flagged.
    function checkIncidents() internal view {
        for (uint256 i = 0; i < incT.length; i++) {
            bytes32 pod = podIds[incPod[i]];
            string memory what = string.concat("incident ", vm.toString(i));
            if (incCorr[i]) {
                bool found = false;
                for (uint256 k = 0; k < st.rawCount(pod); k++) {
                    UptimeStaking.Raw memory r = st.raw(pod, k);
                    if (r.tDown == incT[i]) found = r.correlated;
                }
                assertTrue(found, string.concat(what, ": correlated"));
                continue;
            }
            (UptimeStaking.Group[] memory g, uint256 n) = st.groups(pod);
            bool match_ = false;
            for (uint256 k = 0; k < n; k++) {
                if (g[k].tDown != incT[i]) continue;
                assertEq(g[k].duration, incD[i], string.concat(what, ": duration"));
                assertEq(g[k].paid, g[k].duration >= 60000 ? incS[i] : 0, string.concat(what, ": slashed"));
                assertEq(incS[i] == 0 || g[k].duration >= 60000, true, string.concat(what, ": grace"));
                match_ = true;
            }
            assertTrue(match_, string.concat(what, ": found"));
        }
    }
}
