// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./util/Test.sol";
import {Slash} from "../src/Slash.sol";

/// Slash.sol against every line of proto/slash-vectors.txt (the C's output,
/// read as text here: no generated copy to drift), and fuzzed properties of
/// S(d) and the amount rule.
contract SlashTest is Test {
    /// Splits one line into its space-separated fields (first is the tag).
    function fields(bytes memory text, uint256 from, uint256 to) internal pure returns (string[] memory out) {
        uint256 n = 1;
        for (uint256 i = from; i < to; i++) if (text[i] == " ") n++;
        out = new string[](n);
        uint256 k = 0;
        uint256 start = from;
        for (uint256 i = from; i <= to; i++) {
            if (i == to || text[i] == " ") {
                bytes memory f = new bytes(i - start);
                for (uint256 j = 0; j < f.length; j++) f[j] = text[start + j];
                out[k++] = string(f);
                start = i + 1;
            }
        }
    }

    function u(string memory s) internal pure returns (uint256) {
        return vm.parseUint(s);
    }

    function eqStr(string memory a, string memory b) internal pure returns (bool) {
        return keccak256(bytes(a)) == keccak256(bytes(b));
    }

    function checkTrace(Slash.Trace memory t, string[] memory f, uint256 at0, string memory what) internal pure {
        assertEq(t.y, u(f[at0]), string.concat(what, " y"));
        assertEq(t.k, u(f[at0 + 1]), string.concat(what, " k"));
        assertEq(t.r, u(f[at0 + 2]), string.concat(what, " r"));
        assertEq(t.e_r, u(f[at0 + 3]), string.concat(what, " e_r"));
        assertEq(t.terms, u(f[at0 + 4]), string.concat(what, " terms"));
        assertEq(t.cut ? 1 : 0, u(f[at0 + 5]), string.concat(what, " cut"));
        assertEq(t.value, u(f[at0 + 6]), string.concat(what, " value"));
    }

    function checkConst(string memory name, uint256 v) internal pure {
        uint256 want = 0;
        if (eqStr(name, "Q")) want = Slash.Q;
        else if (eqStr(name, "LN2_Q62")) want = Slash.LN2_Q62;
        else if (eqStr(name, "LN10_Q62")) want = Slash.LN10_Q62;
        else if (eqStr(name, "LOG10_2_Q62")) want = Slash.LOG10_2_Q62;
        else if (eqStr(name, "Y_MAX")) want = Slash.Y_MAX;
        else if (eqStr(name, "TAYLOR_N")) want = Slash.TAYLOR_N;
        else if (eqStr(name, "NINES_MAX")) want = Slash.NINES_MAX;
        else if (eqStr(name, "PPM")) want = Slash.PPM;
        else if (eqStr(name, "PPB")) want = Slash.PPB;
        else revert(string.concat("unknown constant ", name));
        assertEq(want, v, string.concat("K ", name));
    }

    /// One line: its tag decides the function and the fields checked.
    function checkLine(string[] memory f, uint256 lineNo) internal pure returns (bytes1 tag) {
        tag = bytes(f[0])[0];
        string memory what = string.concat("line ", vm.toString(lineNo), " ", f[0]);
        if (tag == "K") {
            checkConst(f[1], u(f[2]));
        } else if (tag == "S") {
            uint32 w = Slash.weightPpb(uint64(u(f[1])), uint64(u(f[2])), uint64(u(f[3])));
            assertEq(w, u(f[4]), what);
        } else if (tag == "A") {
            uint64 a = Slash.amount(uint64(u(f[1])), uint32(u(f[2])), uint32(u(f[3])));
            assertEq(a, u(f[4]), what);
        } else if (tag == "N") {
            assertEq(Slash.ninesMicro(uint64(u(f[1])), uint64(u(f[2]))), u(f[3]), what);
        } else if (tag == "D") {
            assertEq(Slash.allowed(uint64(u(f[1])), uint64(u(f[2]))), u(f[3]), what);
        } else if (tag == "L") {
            assertEq(Slash.log2Q32(uint64(u(f[1]))), u(f[2]), what);
        } else if (tag == "G") {
            Slash.Trace memory t;
            uint256 sigma = Slash.sigmoidTrace(uint64(u(f[1])), uint64(u(f[2])), uint64(u(f[3])), t);
            checkTrace(t, f, 4, what);
            assertEq(sigma, u(f[11]), string.concat(what, " sigma"));
        } else if (tag == "X") {
            Slash.Trace memory t;
            uint64 a = Slash.allowedTrace(uint64(u(f[1])), uint64(u(f[2])), t);
            checkTrace(t, f, 3, what);
            assertEq(t.value, u(f[9]), string.concat(what, " f"));
            assertEq(a, u(f[10]), string.concat(what, " allowed"));
        } else {
            revert(string.concat("unknown line type: ", what));
        }
    }

    function test_vectors() public view {
        bytes memory text = bytes(readRel("../proto/slash-vectors.txt"));
        uint256 start = 0;
        uint256 lineNo = 0;
        uint256 checked = 0;
        uint256[8] memory byTag; // K S A N D L G X
        for (uint256 i = 0; i <= text.length; i++) {
            if (i < text.length && text[i] != "\n") continue;
            lineNo++;
            if (i > start && text[start] != "#") {
                bytes1 tag = checkLine(fields(text, start, i), lineNo);
                checked++;
                bytes8 tags = "KSANDLGX";
                for (uint256 k = 0; k < 8; k++) if (tags[k] == tag) byTag[k]++;
            }
            start = i + 1;
        }
        // Every line type is present, so a truncated file cannot pass.
        for (uint256 k = 0; k < 8; k++) assertTrue(byTag[k] > 0, "every line type checked");
        assertTrue(checked >= 150, "vector lines checked");
        log("slash vector lines checked", checked);
    }

    // ---- properties ----

    uint64 constant D_MID = 7200000;
    uint64 constant S = 1800000;

    /// S is monotone in d for any d_mid and s, and within [0, 1e9].
    function testFuzz_weight_monotone(uint64 a, uint64 b, uint32 dMid, uint32 s) public pure {
        (uint64 lo, uint64 hi) = a <= b ? (a, b) : (b, a);
        uint32 wl = Slash.weightPpb(lo, dMid, s);
        uint32 wh = Slash.weightPpb(hi, dMid, s);
        assertTrue(wl <= wh, "S(d) monotone");
        assertTrue(wh <= Slash.PPB, "S(d) <= 1");
    }

    /// The amount never exceeds stake x max_slash (nor the stake).
    function testFuzz_amount_capped(uint64 stake, uint32 p, uint64 d) public pure {
        uint64 a = Slash.slashFor(stake, p, D_MID, S, d);
        uint256 pp = p > Slash.PPM ? Slash.PPM : p;
        assertTrue(uint256(a) * Slash.PPM <= uint256(stake) * pp, "amount <= stake x max_slash");
        assertTrue(a <= stake, "amount <= stake");
    }

    /// Monotone in the duration for a fixed stake, too (the floor at the end
    /// keeps the order).
    function testFuzz_amount_monotone(uint64 stake, uint32 p, uint64 d1, uint64 d2) public pure {
        (uint64 lo, uint64 hi) = d1 <= d2 ? (d1, d2) : (d2, d1);
        assertTrue(Slash.slashFor(stake, p, D_MID, S, lo) <= Slash.slashFor(stake, p, D_MID, S, hi),
                   "amount monotone in d");
    }

    /// Fewer nines for more downtime.
    function testFuzz_nines_monotone(uint64 d1, uint64 d2, uint64 window) public pure {
        (uint64 lo, uint64 hi) = d1 <= d2 ? (d1, d2) : (d2, d1);
        assertTrue(Slash.ninesMicro(lo, window) >= Slash.ninesMicro(hi, window), "nines monotone");
    }
}
