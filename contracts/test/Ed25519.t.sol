// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./util/Test.sol";
import {Ed25519} from "../src/Ed25519.sol";

/// An external entry point, so that tests can measure one verification's gas
/// as a transaction would spend it.
contract Ed25519Verifier {
    function verify(bytes32 pk, bytes calldata sig, bytes calldata m) external view returns (bool) {
        return Ed25519.verify(pk, sig, m);
    }
}

contract Ed25519Test is Test {
    Ed25519Verifier internal verifier = new Ed25519Verifier();

    function ok(bytes memory pk, bytes memory sig, bytes memory m) internal view returns (bool) {
        if (pk.length != 32) return false;
        return verifier.verify(bytes32(pk), sig, m);
    }

    /// RFC 8032 section 7.1, TEST 1, 2, 3 and SHA(abc).
    function test_rfc8032() public view {
        assertTrue(ok(hex"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            hex"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ""), "TEST 1");
        assertTrue(ok(hex"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            hex"92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            hex"72"), "TEST 2");
        assertTrue(ok(hex"fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            hex"6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
            hex"af82"), "TEST 3");
        assertTrue(ok(hex"ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
            hex"dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
            hex"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
            "TEST SHA(abc)");
        // TEST 2's signature on TEST 1's empty message, and TEST 1's key on TEST 2.
        assertTrue(!ok(hex"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            hex"92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ""), "TEST 2 signature, other message");
        assertTrue(!ok(hex"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            hex"92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            hex"72"), "TEST 2 signature, other key");
    }

    /// Every case of Project Wycheproof's ed25519_test.json (RFC 8032 known
    /// answers, non-canonical S and R, small-order R and A, truncated and
    /// padded signatures, ...) gives the file's expected result.
    function test_wycheproof() public view {
        string memory json = readRel("test/vectors/wycheproof/ed25519_test.json");
        uint256 total = vm.parseJsonUint(json, ".numberOfTests");
        uint256 seen;
        uint256 valid;
        for (uint256 gi = 0;; gi++) {
            string memory g = string.concat(".testGroups[", vm.toString(gi), "]");
            if (!vm.keyExistsJson(json, g)) break;
            bytes memory pk = vm.parseBytes(string.concat("0x", vm.parseJsonString(json, string.concat(g, ".publicKey.pk"))));
            for (uint256 ti = 0;; ti++) {
                string memory t = string.concat(g, ".tests[", vm.toString(ti), "]");
                if (!vm.keyExistsJson(json, t)) break;
                bool want = wycheproofCase(json, t, pk);
                seen++;
                if (want) valid++;
            }
        }
        assertEq(seen, total, "wycheproof cases run");
        assertTrue(valid > 0 && valid < seen, "both valid and invalid cases");
    }

    /// Runs case `t` (a JSON path) of the Wycheproof file; returns whether it is valid.
    function wycheproofCase(string memory json, string memory t, bytes memory pk) internal view returns (bool want) {
        bytes memory m = vm.parseBytes(string.concat("0x", vm.parseJsonString(json, string.concat(t, ".msg"))));
        bytes memory sig = vm.parseBytes(string.concat("0x", vm.parseJsonString(json, string.concat(t, ".sig"))));
        want = keccak256(bytes(vm.parseJsonString(json, string.concat(t, ".result")))) == keccak256("valid");
        assertEq(ok(pk, sig, m), want,
                 string.concat("wycheproof tcId ", vm.toString(vm.parseJsonUint(json, string.concat(t, ".tcId")))));
    }

    /// libsodium's rules beyond Wycheproof's file (tools/gen_ed25519_edge.py;
    /// expected results from libsodium itself): small-order A and R that
    /// satisfy the cofactorless equation, their non-canonical encodings,
    /// and A of mixed order (accepted when 8 | k, as libsodium 1.0.18 does).
    function test_libsodium_edges() public view {
        string memory json = readRel("test/vectors/ed25519_edge.json");
        uint256 n;
        for (;; n++) {
            string memory c = string.concat(".cases[", vm.toString(n), "]");
            if (!vm.keyExistsJson(json, c)) break;
            bool want = keccak256(bytes(vm.parseJsonString(json, string.concat(c, ".result")))) == keccak256("valid");
            bool got = ok(vm.parseJsonBytes(json, string.concat(c, ".pk")), vm.parseJsonBytes(json, string.concat(c, ".sig")),
                          vm.parseJsonBytes(json, string.concat(c, ".msg")));
            assertEq(got, want, vm.parseJsonString(json, string.concat(c, ".comment")));
        }
        assertTrue(n >= 100, "edge cases read");
    }

    /// The project's signatures (proto/vectors.txt, made by libsodium through
    /// src/crypto): each verifies over its domain || message and fails under
    /// another domain, with one byte of the signature or message changed.
    function test_nines_vectors() public view {
        bytes32 v0 = bytes32(protoHex("key.validator0.id"));
        bytes memory pod = protoHex("pod.id");
        // sign.hello.sig: validator0 over "nines/vote/v1" || "hello"
        checkSigned(v0, protoHex("sign.hello.sig"), "nines/vote/v1", "hello", "sign.hello");
        // votes: the voter id is the signed bytes' fourth field (offset 76)
        bytes memory down = protoHex("vote.down.signed");
        checkSigned(voterOf(down), protoHex("vote.down.sig"), "nines/vote/v1", down, "vote.down");
        bytes memory up = protoHex("vote.up.signed");
        checkSigned(voterOf(up), protoHex("vote.up.sig"), "nines/vote/v1", up, "vote.up");
        // heartbeat request (section 6.1): pod || nonce 00..0f || le64(1700000000000)
        bytes memory nonce = hex"000102030405060708090a0b0c0d0e0f";
        bytes memory req = abi.encodePacked(pod, nonce, le64(1700000000000));
        checkSigned(v0, protoHex("hb.req.sig"), "nines/hb-req/v1", req, "hb.req");
        // heartbeat answer (6.2): || le16(503) || le32(2500), by the facade key
        bytes memory resp = abi.encodePacked(req, hex"f701", hex"c4090000");
        checkSigned(bytes32(protoHex("key.facade.id")), protoHex("hb.resp.sig"), "nines/hb-resp/v1", resp, "hb.resp");
    }

    function voterOf(bytes memory signedVote) internal pure returns (bytes32 id) {
        require(signedVote.length >= 108 && signedVote[74] == 0xc4 && signedVote[75] == 0x20, "vote layout");
        assembly ("memory-safe") { id := mload(add(signedVote, 108)) }
    }

    function le64(uint64 v) internal pure returns (bytes8) {
        uint64 r;
        for (uint256 i = 0; i < 8; i++) r |= ((v >> (8 * i)) & 0xff) << uint64(56 - 8 * i);
        return bytes8(r);
    }

    function checkSigned(bytes32 pk, bytes memory sig, string memory domain, bytes memory m, string memory what)
        internal view
    {
        bytes memory signed = abi.encodePacked(domain, m);
        assertTrue(verifier.verify(pk, sig, signed), string.concat(what, " verifies"));
        assertTrue(!verifier.verify(pk, sig, abi.encodePacked("nines/other/v1", m)), string.concat(what, " other domain"));
        for (uint256 i = 0; i < 64; i += 9) {
            bytes memory bad = bytes.concat(sig);
            bad[i] = bytes1(uint8(bad[i]) ^ 0x01);
            assertTrue(!verifier.verify(pk, bad, signed), string.concat(what, " signature byte changed"));
        }
        bytes memory badm = bytes.concat(signed);
        badm[badm.length - 1] = bytes1(uint8(badm[badm.length - 1]) ^ 0x80);
        assertTrue(!verifier.verify(pk, sig, badm), string.concat(what, " message byte changed"));
    }

    /// S + L (same residue, non-canonical) is refused, as libsodium does.
    function test_noncanonical_s() public view {
        bytes memory pk = hex"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
        bytes memory sig = hex"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
        uint256 sLe;
        for (uint256 i = 0; i < 32; i++) sLe |= uint256(uint8(sig[32 + i])) << (8 * i);
        uint256 s2 = sLe + Ed25519.L;   // < 2^254: no overflow
        bytes memory sig2 = bytes.concat(sig);
        for (uint256 i = 0; i < 32; i++) sig2[32 + i] = bytes1(uint8(s2 >> (8 * i)));
        assertTrue(ok(pk, sig, ""), "canonical S");
        assertTrue(!ok(pk, sig2, ""), "S + L refused");
    }

    /// Random bytes are never a valid signature under a fixed key.
    function test_fuzz_random_signature_fails(bytes32 r, bytes32 s, bytes memory m) public view {
        bytes32 pk = hex"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
        assertTrue(!Ed25519.verify(pk, r, s, m), "random signature refused");
    }
}
