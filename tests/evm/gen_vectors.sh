#!/usr/bin/env bash
#   tests/evm/gen_vectors.sh: regenerate tests/evm/vectors.txt, the test
#   vectors of src/evm (unit test `evm`), from Foundry's cast
#   (contracts/node_modules/.bin/cast, installed by deploy/bootstrap).
#
#   Each vector is one line "name | command | output": command a shell
#   snippet run with cast on PATH, output what it printed.  test_evm.c
#   builds the same inputs with src/evm and compares its bytes with the
#   output; when cast is present it also re-runs every command and checks
#   that cast still prints the committed output.
#
#   usage: tests/evm/gen_vectors.sh [OUT]      (default tests/evm/vectors.txt)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/vectors.txt}
export PATH=$here/../../contracts/node_modules/.bin:$PATH
command -v cast >/dev/null || { echo "gen_vectors.sh: no cast (run deploy/bootstrap)" >&2; exit 1; }

# n repetitions of the hex byte b
rep() { local s=""; for _ in $(seq "$2"); do s+=$1; done; printf '%s' "$s"; }
# the bytes 00 01 02 ... (n of them, mod 256)
seqhex() { local s=""; for i in $(seq 0 $(($1 - 1))); do s+=$(printf '%02x' $((i % 256))); done; printf '%s' "$s"; }

K0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80   # anvil's account 0
K1=0x0000000000000000000000000000000000000000000000000000000000000001   # the generator G
K2=0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318
KMAX=0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140 # n - 1
TO=0x5FbDB2315678afecb367f032d93F642f64180aa3                           # anvil's first CREATE

# The evidence of the calldata vectors (test_evm.c s_down / s_up build the same):
# pod aa.., round bb.., committee [1,4,7], votes with bodies 00..04 and
# 00..27 (5 and 40 bytes), r 11.. / 33.., s 22.. / 44..
POD=0x$(rep aa 32); ROUND=0x$(rep bb 32); ID=0x$(rep cc 32)
V1="(0,0x$(seqhex 5),0x$(rep 11 32),0x$(rep 22 32))"
V2="(2,0x$(seqhex 40),0x$(rep 33 32),0x$(rep 44 32))"
DOWN="(0,$POD,12,$ROUND,1700000000000,[1,4,7],[$V1,$V2])"
UP="(1,$POD,13,0x$(rep dd 32),1700000090000,[2,4,7,9],[(3,0x$(seqhex 33),0x$(rep 55 32),0x$(rep 66 32))])"
R="(uint8,bytes32,uint64,bytes32,uint64,uint32[],(uint8,bytes,bytes32,bytes32)[])"
S="(bytes32,bytes32,uint64,uint64,bool,bytes32)"
MKTX="cast mktx --chain 31337"
# the Summary of (DOWN, [UP]): reportId(DOWN) and keccak256(abi.encode(DOWN, [UP]))
RID=$(cast keccak "$(cast abi-encode 'f(uint8,bytes32,uint64,bytes32,uint64)' 0 $POD 12 $ROUND 1700000000000)")
EVIDENCE=$(cast keccak "$(cast abi-encode "f($R,$R[])" "$DOWN" "[$UP]")")

vectors=(
  "keccak_empty|cast keccak 0x"
  "keccak_abc|cast keccak 0x616263"
  "keccak_135|cast keccak 0x$(rep 61 135)"
  "keccak_136|cast keccak 0x$(rep 61 136)"
  "keccak_137|cast keccak 0x$(rep 61 137)"
  "keccak_272|cast keccak 0x$(rep 61 272)"
  "keccak_1000|cast keccak 0x$(seqhex 1000)"
  "rlp_empty|cast to-rlp '\"0x\"'"
  "rlp_00|cast to-rlp '\"0x00\"'"
  "rlp_7f|cast to-rlp '\"0x7f\"'"
  "rlp_80|cast to-rlp '\"0x80\"'"
  "rlp_55|cast to-rlp '\"0x$(rep 61 55)\"'"
  "rlp_56|cast to-rlp '\"0x$(rep 61 56)\"'"
  "rlp_1024|cast to-rlp '\"0x$(seqhex 1024)\"'"
  "rlp_list_empty|cast to-rlp '[]'"
  "rlp_list_nested|cast to-rlp '[\"0x01\",\"0x\",[\"0x0102\",[]],[[[\"0x80\"]]]]'"
  "rlp_list_56|cast to-rlp '[\"0x$(rep 61 54)\"]'"
  "rlp_list_long|cast to-rlp '[\"0x$(rep 62 300)\",[\"0x$(rep 63 60)\"],\"0x04\"]'"
  "rlp_uint_0400|cast to-rlp '\"0x0400\"'"
  "abi_f_bytes|cast calldata 'f(bytes,uint64)' 0x1234 7"
  "abi_f_empty|cast calldata 'f(bytes,uint64)' 0x 0"
  "abi_f_33|cast calldata 'f(bytes,uint64)' 0x$(rep ab 33) 18446744073709551615"
  "abi_g_nested|cast calldata 'g(uint256[],bytes[],(uint8,bytes),bool,address)' '[1,2,3]' '[0x01,0x]' '(5,0xdeadbeef)' true 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
  "abi_h_static_tuple|cast calldata 'h((uint64,bytes32),bytes,(uint8,uint8)[])' '(9,$ID)' 0x$(rep 77 64) '[(1,2),(3,4)]'"
  "call_register_validator|cast calldata 'registerValidator(bytes32)' $ID"
  "call_register_pod|cast calldata 'registerPod(bytes32,bytes32,uint64)' $POD $ID 1700000000000"
  "call_claim_down|cast calldata 'claim(uint32,$R,$R[])' 3 '$DOWN' '[]'"
  "call_claim_down_up|cast calldata 'claim(uint32,$R,$R[])' 3 '$DOWN' '[$UP]'"
  "call_challenge_signature|cast calldata 'challengeSignature(bytes32,$R,$R[],uint8,uint256)' $ID '$DOWN' '[$UP]' 1 0"
  "call_challenge_committee|cast calldata 'challengeCommittee(bytes32,$R,$R[],uint8,uint256,uint32)' $ID '$DOWN' '[]' 0 2 11"
  "call_finalize|cast calldata 'finalize(bytes32)' $ID"
  "call_account|cast calldata 'account(bytes32,$S)' $ID '($POD,$RID,1700000000000,1700000090000,true,$EVIDENCE)'"
  "evidence_down_up|cast keccak \$(cast abi-encode 'f($R,$R[])' '$DOWN' '[$UP]')"
  "evidence_down|cast keccak \$(cast abi-encode 'f($R,$R[])' '$DOWN' '[]')"
  "report_id_down|cast keccak \$(cast abi-encode 'f(uint8,bytes32,uint64,bytes32,uint64)' 0 $POD 12 $ROUND 1700000000000)"
  "claim_id_down_up|cast keccak \$(cast abi-encode 'f(bytes32,uint256)' \$(cast keccak \$(cast abi-encode 'f(uint8,bytes32,uint64,bytes32,uint64)' 0 $POD 12 $ROUND 1700000000000)) 1)"
  "topic_claimed|cast keccak 'Claimed(bytes32,bytes32,uint32,uint64,uint64,bool,uint64,bytes32,bytes32)'"
  "address_k0|cast wallet address --private-key $K0"
  "address_k1|cast wallet address --private-key $K1"
  "address_k2|cast wallet address --private-key $K2"
  "address_kmax|cast wallet address --private-key $KMAX"
  "checksum_1|cast to-check-sum-address 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
  "checksum_2|cast to-check-sum-address 0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"
  "checksum_3|cast to-check-sum-address 0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb"
  "checksum_4|cast to-check-sum-address 0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb"
  "checksum_5|cast to-check-sum-address 0x0000000000000000000000000000000000000000"
  "tx_register|$MKTX --private-key $K0 --nonce 5 --gas-limit 210000 --priority-gas-price 1000000000 --gas-price 3000000000 --value 0 $TO 'registerValidator(bytes32)' $ID"
  "tx_nonce0_value|$MKTX --private-key $K2 --nonce 0 --gas-limit 21000 --priority-gas-price 0 --gas-price 875000000 --value 1000000000000 $TO"
  "tx_big_fees|$MKTX --private-key $K1 --nonce 1099511627776 --gas-limit 16777216 --priority-gas-price 18446744073709551615 --gas-price 18446744073709551615 --value 0x0100000000000000000000000000000000 $TO"
  "tx_claim|$MKTX --private-key $K0 --nonce 7 --gas-limit 900000 --priority-gas-price 1000000000 --gas-price 2000000000 --value 1000000000000 $TO 'claim(uint32,$R,$R[])' 3 '$DOWN' '[$UP]'"
  "tx_create|$MKTX --private-key $K0 --nonce 2 --gas-limit 100000 --priority-gas-price 1 --gas-price 2 --value 0 --create 0x6080604052348015600f57600080fd5b50"
)

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
  echo "# src/evm test vectors, generated by tests/evm/gen_vectors.sh with $(cast --version | head -1)"
  echo "# name | command (cast on PATH) | output"
  for v in "${vectors[@]}"; do
    name=${v%%|*}; cmd=${v#*|}
    res=$(bash -c "$cmd") || { echo "gen_vectors.sh: $name failed: $cmd" >&2; exit 1; }
    printf '%s | %s | %s\n' "$name" "$cmd" "$res"
  done
} > "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "gen_vectors.sh: $(grep -vc '^#' "$out") vectors in $out"
