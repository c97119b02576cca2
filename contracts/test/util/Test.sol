// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The subset of forge's cheatcodes (address 0x7109…DD12D) that the
///         tests use; signatures as in forge 1.7.  (forge-std is not vendored:
///         the tests build offline from this repository alone.)
interface Vm {
    function readFile(string calldata path) external view returns (string memory);
    function projectRoot() external view returns (string memory);
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function parseJsonBytesArray(string calldata json, string calldata key) external pure returns (bytes[] memory);
    function parseJsonString(string calldata json, string calldata key) external pure returns (string memory);
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
    function parseBytes(string calldata s) external pure returns (bytes memory);
    function split(string calldata input, string calldata delimiter) external pure returns (string[] memory);
    function trim(string calldata input) external pure returns (string memory);
    function parseUint(string calldata s) external pure returns (uint256);
    function toString(uint256 v) external pure returns (string memory);
    function toString(bytes calldata v) external pure returns (string memory);
    function expectRevert(bytes calldata revertData) external;
    function expectRevert() external;
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function deal(address who, uint256 amount) external;
    function assume(bool condition) external pure;
    function pauseGasMetering() external;
    function resumeGasMetering() external;
    /// Gas of the last call (with --isolate: its own transaction's).
    struct Gas {
        uint64 gasLimit;
        uint64 gasTotalUsed;
        uint64 gasMemoryUsed;
        int64 gasRefunded;
        uint64 gasRemaining;
    }
    function lastCallGas() external view returns (Gas memory);
    function envOr(string calldata name, string calldata defaultValue) external view returns (string memory);
    /// Marks an account and its storage slots cold.
    function cool(address target) external;
}

/// @notice Base of the forge tests: cheatcodes, console logging and a few
///         assertions whose failure message names the values.
abstract contract Test {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    address private constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    /// forge runs only contracts with this flag set.
    bool public IS_TEST = true;

    /// Prints `label value` in forge's log (shown with -vv).
    function log(string memory label, uint256 value) internal view {
        _console(abi.encodeWithSignature("log(string,uint256)", label, value));
    }

    function log(string memory text) internal view {
        _console(abi.encodeWithSignature("log(string)", text));
    }

    function _console(bytes memory payload) private view {
        // console.log is a staticcall to an address with no code: forge prints it.
        (bool ok,) = CONSOLE.staticcall(payload);
        ok;
    }

    function assertTrue(bool c, string memory what) internal pure {
        if (!c) revert(string.concat("assertion failed: ", what));
    }

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) {
            revert(string.concat(what, ": ", vm.toString(a), " != ", vm.toString(b)));
        }
    }

    function assertEq(bytes32 a, bytes32 b, string memory what) internal pure {
        if (a != b) {
            revert(string.concat(what, ": ", vm.toString(abi.encodePacked(a)), " != ",
                                 vm.toString(abi.encodePacked(b))));
        }
    }

    function assertEq(bool a, bool b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, a ? ": true, expected false" : ": false, expected true"));
    }

    /// The value of line `name = value` of proto/vectors.txt (the protocol's
    /// vectors, written by the C code: tests/unit/test_proto.c --generate);
    /// reverts when the name is absent.
    function protoVector(string memory name) internal view returns (string memory) {
        string[] memory lines = vm.split(readRel("../proto/vectors.txt"), "\n");
        bytes32 want = keccak256(bytes(name));
        for (uint256 i = 0; i < lines.length; i++) {
            string[] memory kv = vm.split(lines[i], " = ");
            if (kv.length == 2 && keccak256(bytes(vm.trim(kv[0]))) == want) return vm.trim(kv[1]);
        }
        revert(string.concat("proto/vectors.txt has no ", name));
    }

    /// protoVector(name) decoded from hex.
    function protoHex(string memory name) internal view returns (bytes memory) {
        return vm.parseBytes(string.concat("0x", protoVector(name)));
    }

    /// The "msgs" and "digests" arrays of a hash vectors file
    /// (tools/gen_hash_vectors.py), checked to be of one length >= minCount.
    function hashVectors(string memory rel, uint256 minCount)
        internal view returns (bytes[] memory msgs, bytes[] memory digests)
    {
        string memory json = readRel(rel);
        msgs = vm.parseJsonBytesArray(json, ".msgs");
        digests = vm.parseJsonBytesArray(json, ".digests");
        assertEq(msgs.length, digests.length, string.concat(rel, ": vector count"));
        assertTrue(msgs.length >= minCount, string.concat(rel, ": vectors read"));
    }

    /// Reads a file under contracts/ (paths relative to foundry.toml's folder;
    /// foundry.toml's fs_permissions must allow it).
    function readRel(string memory rel) internal view returns (string memory) {
        return vm.readFile(string.concat(vm.projectRoot(), "/", rel));
    }
}
