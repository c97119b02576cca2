// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./util/Test.sol";
import {Sha512} from "../src/Sha512.sol";

contract Sha512Test is Test {
    function digest(bytes memory m) internal pure returns (bytes memory) {
        (bytes32 hi, bytes32 lo) = Sha512.hash(m);
        return abi.encodePacked(hi, lo);
    }

    /// FIPS 180-4 examples: "abc" and the two-block 896-bit message.
    function test_fips_examples() public pure {
        assertEq(keccak256(digest("abc")), keccak256(hex"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"), "sha512(abc)");
        assertEq(keccak256(digest("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")),
                 keccak256(hex"8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"), "sha512(896-bit)");
        assertEq(keccak256(digest("")), keccak256(hex"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"), "sha512()");
    }

    /// Every length 0..259 (each padding boundary) and some longer, against hashlib.
    function test_vectors() public view {
        (bytes[] memory msgs, bytes[] memory digests) = hashVectors("test/vectors/sha512.json", 260);
        for (uint256 i = 0; i < msgs.length; i++) {
            assertEq(keccak256(digest(msgs[i])), keccak256(digests[i]),
                     string.concat("sha512 of vector ", vm.toString(i)));
        }
    }

    /// The memory after the digest is left usable (free pointer moved past
    /// the scratch), and `data` is unchanged.
    function test_memory_untouched(bytes memory m) public pure {
        bytes32 before = keccak256(m);
        bytes memory a = digest(m);
        bytes memory b = digest(m);
        assertEq(keccak256(m), before, "input unchanged");
        assertEq(keccak256(a), keccak256(b), "deterministic");
    }
}
