/*  src/evm against a real EVM node (anvil, started and given the deployed
    contract by anvil_test.sh): a fresh chain key funded with
    anvil_setBalance sends signed EIP-1559 transactions to UptimeStaking
    (registerValidator, registerPod), waits for their receipts, reads the
    ValidatorRegistered log with eth_getLogs, tracks its nonce across two
    transactions in the pool at once, replaces a pending transaction with
    higher fees, and gets a clear code for an underpriced transaction, a
    used nonce and a reverting call.  A follower (follow.h) reads the
    contract's logs one block a query, resumes from its cursor, and steps
    back over a reorganisation made with evm_snapshot / evm_revert.

    usage: test_anvil RPC_URL STAKING_ADDRESS */
#include "testutil.h"
#include "anvil_util.h"
#include "evm/abi.h"
#include "evm/follow.h"
#include "evm/keccak.h"
#include "evm/send.h"
#include "evm/staking.h"
#include "crypto/crypto.h"
#include "base/error.h"
#include <time.h>

static nines_rpc_t *s_rpc;
static uint8_t s_staking [20];

static double
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*  An anvil_* or evm_* method with params; its result discarded. */

static void
s_gwei (uint8_t wei [32], uint64_t gwei)
{
    nines_u256_from_u64 (wei, gwei * 1000000000ull);
}

static uint64_t
s_view_u64 (const char *signature)
{
    nines_buf_t data = { 0 }, out = { 0 };
    nines_abi_call (&data, signature, NULL, 0);
    nines_rpc_msg_t m = { .to = s_staking, .data = data.data, .data_len = data.len };
    uint64_t v = UINT64_MAX;
    CHECK_RC (nines_rpc_eth_call (s_rpc, &m, "latest", &out), 0);
    CHECK_RC (nines_abi_get_uint (out.data, out.len, 0, &v), 0);
    nines_buf_free (&data);
    nines_buf_free (&out);
    return v;
}

int
main (int argc, char **argv)
{
    if (argc != 3) {
        fprintf (stderr, "usage: test_anvil RPC_URL STAKING_ADDRESS\n");
        return 2;
    }
    s_rpc = nines_rpc_new (argv [1], 5000);
    CHECK (s_rpc != NULL);
    CHECK_RC (nines_evm_parse_address (s_staking, argv [2]), 0);
    uint64_t chain = 0, block0 = 0;
    CHECK_RC (nines_rpc_chain_id (s_rpc, &chain), 0);
    CHECK_EQ (chain, 31337);
    CHECK_RC (nines_rpc_block_number (s_rpc, &block0), 0);

    /* a fresh key, funded with 100 ETH */
    nines_chainkey_t key;
    CHECK_RC (nines_chainkey_generate (&key), 0);
    char addr [NINES_ADDRESS_TEXT];
    nines_evm_checksum (addr, key.address);
    CHECK_RC (t_anvil (s_rpc, "anvil_setBalance", json_pack ("[s,s]", addr, "0x56bc75e2d63100000")), 0);
    uint8_t bal [32], want [32];
    CHECK_RC (nines_rpc_balance (s_rpc, key.address, bal), 0);
    CHECK_RC (nines_unhex (want, 32, "0000000000000000000000000000000000000000000000056bc75e2d63100000"), 0);
    CHECK_MEM (bal, want, 32);

    nines_sender_t s;
    CHECK_RC (nines_sender_init (&s, s_rpc, &key), 0);
    CHECK_EQ (s.chain_id, 31337);
    CHECK_EQ (s.nonce, 0);

    /* registerValidator: 1000 gwei of stake (the minimum), receipt, log */
    uint8_t id [32], pod [32], pins [32], value [32];
    nines_keccak256 (id, "test_anvil validator", 20);
    nines_keccak256 (pod, "test_anvil pod", 14);
    memset (pins, 0x5a, 32);
    nines_buf_t data = { 0 };
    CHECK_RC (nines_evm_calldata_register_validator (&data, id), 0);
    s_gwei (value, 1000);
    nines_sent_t sent = { 0 };
    double t0 = s_now_ms ();
    CHECK_RC (nines_sender_send (&s, s_staking, data.data, data.len, value, 0, &sent), 0);
    nines_receipt_t r;
    CHECK_RC (nines_sender_wait (&s, sent.hash, 10000, 20, &r), 0);
    fprintf (stderr, "registerValidator: mined in block %llu, %llu gas (limit %llu), %.1f ms send to receipt\n",
             (unsigned long long) r.block_number, (unsigned long long) r.gas_used,
             (unsigned long long) sent.tx.gas_limit, s_now_ms () - t0);
    CHECK_MEM (r.tx_hash, sent.hash, 32);
    CHECK (r.gas_used > 21000 && r.gas_used <= sent.tx.gas_limit);
    CHECK (r.effective_gas_price >= sent.tx.max_priority_fee && r.effective_gas_price <= sent.tx.max_fee);
    CHECK_EQ (r.n_logs, 1);
    CHECK_EQ (s.nonce, 1);
    nines_sent_free (&sent);
    nines_buf_free (&data);

    uint8_t topic [32];
    nines_evm_topic (topic, NINES_EVM_EV_VALIDATOR);
    nines_log_t *logs = NULL;
    size_t n = 0;
    CHECK_RC (nines_rpc_get_logs (s_rpc, s_staking, block0, r.block_number, &topic, 1, &logs, &n), 0);
    CHECK_EQ (n, 1);
    if (n == 1) {
        uint64_t index = 1, stake = 0, from = 0;
        uint8_t w [32];
        CHECK_EQ (logs [0].n_topics, 2);
        CHECK_MEM (logs [0].topics [0], topic, 32);
        CHECK_RC (nines_abi_get_uint (logs [0].topics [1], 32, 0, &index), 0);
        CHECK_EQ (index, 0);
        CHECK_RC (nines_abi_get_word (logs [0].data, logs [0].data_len, 0, w), 0);
        CHECK_MEM (w, id, 32);
        CHECK_RC (nines_abi_get_word (logs [0].data, logs [0].data_len, 1, w), 0);
        CHECK_MEM (w + 12, key.address, 20);
        CHECK_RC (nines_abi_get_uint (logs [0].data, logs [0].data_len, 2, &stake), 0);
        CHECK_EQ (stake, 1000);
        CHECK_RC (nines_abi_get_uint (logs [0].data, logs [0].data_len, 3, &from), 0);
        CHECK_MEM (logs [0].tx_hash, r.tx_hash, 32);
        CHECK_EQ (logs [0].block_number, r.block_number);
        CHECK (!logs [0].removed);
    }
    nines_rpc_logs_free (logs, n);
    /* the filter holds: another address, or another topic, has none */
    CHECK_RC (nines_rpc_get_logs (s_rpc, key.address, block0, r.block_number, &topic, 1, &logs, &n), 0);
    CHECK_EQ (n, 0);
    nines_rpc_logs_free (logs, n);
    uint8_t other_topic [32];
    nines_evm_topic (other_topic, NINES_EVM_EV_POD);
    CHECK_RC (nines_rpc_get_logs (s_rpc, s_staking, block0, r.block_number, &other_topic, 1, &logs, &n), 0);
    CHECK_EQ (n, 0);
    nines_rpc_logs_free (logs, n);
    CHECK_EQ (s_view_u64 ("validatorCount()"), 1);

    /* two transactions in the pool at once (mining paused): nonces 1, 2 */
    CHECK_RC (t_anvil (s_rpc, "evm_setAutomine", json_pack ("[b]", 0)), 0);
    nines_sent_t a = { 0 }, b = { 0 };
    CHECK_RC (nines_evm_calldata_register_pod (&data, pod, pins, 0), 0);
    s_gwei (value, 1000000);
    CHECK_RC (nines_sender_send (&s, s_staking, data.data, data.len, value, 0, &a), 0);
    nines_buf_free (&data);
    CHECK_RC (nines_evm_calldata_register_validator (&data, pins), 0);
    s_gwei (value, 2000);
    CHECK_RC (nines_sender_send (&s, s_staking, data.data, data.len, value, 300000, &b), 0);
    nines_buf_free (&data);
    CHECK_EQ (a.tx.nonce, 1);
    CHECK_EQ (b.tx.nonce, 2);
    CHECK_EQ (s.nonce, 3);
    uint64_t pending = 0, latest = 0;
    CHECK_RC (nines_rpc_nonce (s_rpc, key.address, "pending", &pending), 0);
    CHECK_RC (nines_rpc_nonce (s_rpc, key.address, "latest", &latest), 0);
    CHECK_EQ (pending, 3);
    CHECK_EQ (latest, 1);
    CHECK_RC (nines_rpc_receipt (s_rpc, a.hash, &r), NINES_ENOTFOUND);

    /* replace b (pending) with higher fees: the replacement is mined, b is not */
    uint8_t old [32];
    memcpy (old, b.hash, 32);
    uint64_t old_tip = b.tx.max_priority_fee;
    CHECK_RC (nines_sender_bump (&s, &b), 0);
    CHECK (memcmp (old, b.hash, 32) != 0);
    CHECK (b.tx.max_priority_fee > old_tip + old_tip / 10);
    CHECK_EQ (b.tx.nonce, 2);
    CHECK_EQ (s.nonce, 3);
    CHECK_RC (t_anvil (s_rpc, "evm_mine", NULL), 0);
    CHECK_RC (t_anvil (s_rpc, "evm_setAutomine", json_pack ("[b]", 1)), 0);
    CHECK_RC (nines_sender_wait (&s, a.hash, 10000, 20, &r), 0);
    uint64_t block_a = r.block_number;
    CHECK_RC (nines_sender_wait (&s, b.hash, 10000, 20, &r), 0);
    CHECK_EQ (r.block_number, block_a);
    CHECK_RC (nines_rpc_receipt (s_rpc, old, &r), NINES_ENOTFOUND);
    CHECK_RC (nines_rpc_nonce (s_rpc, key.address, "latest", &latest), 0);
    CHECK_EQ (latest, 3);
    CHECK_EQ (s_view_u64 ("validatorCount()"), 2);
    CHECK_EQ (s_view_u64 ("podCount()"), 1);

    /* a bump of a mined transaction: nonce used */
    CHECK_RC (nines_sender_bump (&s, &a), NINES_EREPLAY);
    CHECK (s.stale);
    fprintf (stderr, "bump of a mined transaction: %s (%s)\n", nines_errname (NINES_EREPLAY), nines_rpc_message (s_rpc));
    CHECK_EQ (s.nonce, 3);
    nines_sent_free (&a);
    nines_sent_free (&b);

    /* underpriced: max fee 1 wei per gas, under the base fee */
    nines_tx_t tx;
    CHECK_RC (nines_evm_calldata_register_validator (&data, id), 0);
    s_gwei (value, 1);
    CHECK_RC (nines_sender_prepare (&s, s_staking, data.data, data.len, value, 200000, &tx), 0);
    tx.max_fee = 1;
    tx.max_priority_fee = 1;
    int rc = nines_sender_submit (&s, &tx, NULL);
    CHECK_RC (rc, NINES_EUNDERPRICED);
    fprintf (stderr, "underpriced: %s: %s (JSON-RPC %ld: %s)\n", nines_errname (rc), nines_strerror (rc),
             nines_rpc_code (s_rpc), nines_rpc_message (s_rpc));
    CHECK_EQ (s.nonce, 3);

    /* a used nonce: EREPLAY, and the next prepare re-reads the nonce */
    tx.nonce = 0;
    tx.max_fee = 100000000000ull;
    CHECK_RC (nines_sender_submit (&s, &tx, NULL), NINES_EREPLAY);
    CHECK (strstr (nines_rpc_message (s_rpc), "nonce too low") != NULL);
    s.nonce = 1;                    /* as if another process had sent 2 */
    CHECK_RC (nines_sender_submit (&s, &tx, NULL), NINES_EREPLAY);
    CHECK_RC (nines_sender_prepare (&s, s_staking, data.data, data.len, value, 200000, &tx), 0);
    CHECK_EQ (tx.nonce, 3);
    CHECK_EQ (s.nonce, 3);
    nines_buf_free (&data);
    nines_sender_wipe (&s);

    nines_chainkey_t other;
    nines_sender_t s2;
    CHECK_RC (t_funded_sender (s_rpc, &other, &s2), 0);
    /* a call that would revert: key's validator id from another owner (EPerm) */
    CHECK_RC (nines_evm_calldata_register_validator (&data, id), 0);
    rc = nines_sender_prepare (&s2, s_staking, data.data, data.len, value, 0, &tx);
    CHECK_RC (rc, NINES_EREVERTED);
    uint8_t eperm [4];
    nines_abi_selector (eperm, "EPerm()");
    char sel [11] = "0x";
    nines_hex (sel + 2, eperm, 4);
    CHECK_STR (nines_rpc_errdata (s_rpc), sel);
    fprintf (stderr, "reverting call: %s (%s, data %s = EPerm())\n", nines_errname (rc),
             nines_rpc_message (s_rpc), nines_rpc_errdata (s_rpc));
    CHECK_EQ (s2.nonce, 0);
    nines_buf_free (&data);
    nines_sender_wipe (&s2);

    /* what the contract computes of evidence equals src/evm's: summary
       (reportId, keccak256(abi.encode(down, up))) and claimId, by eth_call */
    static const uint32_t com [3] = { 0, 3, 5 };
    static const uint8_t body [7] = { 0x96, 1, 2, 3, 4, 5, 6 };
    nines_evm_vote_t votes [2] = { { .member = 0, .body = body, .body_len = 7 },
                                   { .member = 2, .body = body, .body_len = 3 } };
    memset (votes [0].r, 0x11, 32);
    memset (votes [1].s, 0x22, 32);
    nines_evm_report_t down = { .kind = 0, .epoch = 77, .t_ms = 1800000000000ull, .committee = com,
                                .n_committee = 3, .votes = votes, .n_votes = 2 }, up = down;
    memcpy (down.pod, pod, 32);
    memset (down.round_id, 0x31, 32);
    up = down;
    up.kind = 1;
    up.t_ms += 60000;
    up.n_votes = 1;
    memset (up.round_id, 0x32, 32);
    for (int has_up = 0; has_up < 2; has_up++) {
        nines_evm_summary_t sm;
        nines_buf_t out = { 0 };
        CHECK_RC (nines_evm_summary (&sm, &down, has_up ? &up : NULL), 0);
        CHECK_RC (nines_evm_calldata_evidence_view (&data, "summary", &down, has_up ? &up : NULL), 0);
        nines_rpc_msg_t m = { .to = s_staking, .data = data.data, .data_len = data.len };
        CHECK_RC (nines_rpc_eth_call (s_rpc, &m, "latest", &out), 0);
        nines_buf_t mine = { 0 };
        nines_abi_t f [6] = { nines_abi_word (sm.pod), nines_abi_word (sm.rid), nines_abi_uint (sm.t_down),
                              nines_abi_uint (sm.t_up), nines_abi_bool (sm.has_up), nines_abi_word (sm.evidence) };
        nines_abi_t t = nines_abi_tuple (f, 6);
        CHECK_RC (nines_abi_encode (&mine, &t), 0);
        CHECK (out.len == 192 && mine.len == 192 && memcmp (out.data, mine.data, 192) == 0);
        nines_buf_free (&data);
        nines_buf_free (&out);
        nines_buf_free (&mine);
        uint8_t cid [32], w [32];
        nines_evm_claim_id (cid, &down, has_up);
        CHECK_RC (nines_evm_calldata_evidence_view (&data, "claimId", &down, has_up ? &up : NULL), 0);
        m.data = data.data;
        m.data_len = data.len;
        CHECK_RC (nines_rpc_eth_call (s_rpc, &m, "latest", &out), 0);
        CHECK_RC (nines_abi_get_word (out.data, out.len, 0, w), 0);
        CHECK_MEM (w, cid, 32);
        nines_buf_free (&data);
        nines_buf_free (&out);
    }

    /* following the contract's events: one block a query, the same logs
       as one query over the whole range; a resumed follower at the head */
    uint64_t head = 0;
    CHECK_RC (nines_rpc_block_number (s_rpc, &head), 0);
    nines_log_t *all = NULL;
    size_t n_all = 0;
    CHECK_RC (nines_rpc_get_logs (s_rpc, s_staking, block0, head, NULL, 0, &all, &n_all), 0);
    CHECK (n_all >= 3);
    nines_follow_t f;
    nines_follow_init (&f, s_rpc, s_staking, block0, 0);
    f.max_range = 1;
    size_t got = 0, polls = 0;
    uint64_t rew = 0;
    while (f.next <= head && polls++ < 1000) {
        CHECK_RC (nines_follow_poll (&f, &logs, &n, &rew), 0);
        CHECK (rew == UINT64_MAX);
        for (size_t i = 0; i < n; i++, got++)
            CHECK (got < n_all && memcmp (logs [i].tx_hash, all [got].tx_hash, 32) == 0
                   && logs [i].log_index == all [got].log_index);
        nines_rpc_logs_free (logs, n);
    }
    CHECK_EQ (got, n_all);
    CHECK_EQ (f.next, head + 1);
    nines_rpc_logs_free (all, n_all);
    uint64_t cur;
    uint8_t cur_hash [32], head_hash [32];
    nines_follow_cursor (&f, &cur, cur_hash);
    CHECK_RC (nines_rpc_block_hash (s_rpc, head, head_hash, NULL), 0);
    CHECK_MEM (cur_hash, head_hash, 32);
    nines_follow_t g;
    nines_follow_init (&g, s_rpc, s_staking, block0, 0);
    nines_follow_resume (&g, cur, cur_hash);
    CHECK_RC (nines_follow_poll (&g, &logs, &n, &rew), 0);
    CHECK (n == 0 && rew == UINT64_MAX);

    /* a reorganisation: pod A's registration mined, read, then undone
       (evm_revert) and replaced by pod B's: the follower steps back to
       the block after its last still-valid mark and reads B, not A again */
    nines_sender_t s3;
    nines_chainkey_t k3;
    CHECK_RC (t_funded_sender (s_rpc, &k3, &s3), 0);
    json_t *snap = NULL;
    CHECK_RC (nines_rpc_call (s_rpc, "evm_snapshot", NULL, &snap), 0);
    uint8_t pod_a [32], pod_b [32];
    memset (pod_a, 0xa1, 32);
    memset (pod_b, 0xb2, 32);
    CHECK_RC (nines_evm_calldata_register_pod (&data, pod_a, pins, 0), 0);
    s_gwei (value, 1000000);
    nines_sent_t pa = { 0 };
    CHECK_RC (nines_sender_send (&s3, s_staking, data.data, data.len, value, 200000, &pa), 0);
    CHECK_RC (nines_sender_wait (&s3, pa.hash, 10000, 10, &r), 0);
    uint64_t block_pa = r.block_number;
    nines_buf_free (&data);
    CHECK_RC (nines_follow_poll (&f, &logs, &n, &rew), 0);
    CHECK (n == 1 && rew == UINT64_MAX && memcmp (logs [0].topics [1], pod_a, 32) == 0);
    nines_rpc_logs_free (logs, n);
    CHECK_RC (t_anvil (s_rpc, "evm_revert", json_pack ("[O]", snap)), 0);
    json_decref (snap);
    CHECK_RC (nines_sender_resync (&s3), 0);
    CHECK_EQ (s3.nonce, 0);
    nines_sent_free (&pa);
    CHECK_RC (nines_evm_calldata_register_pod (&data, pod_b, pins, 0), 0);
    CHECK_RC (nines_sender_send (&s3, s_staking, data.data, data.len, value, 200000, &pa), 0);
    CHECK_RC (nines_sender_wait (&s3, pa.hash, 10000, 10, &r), 0);
    CHECK_EQ (r.block_number, block_pa);                /* the same height, another block */
    nines_buf_free (&data);
    nines_sent_free (&pa);
    CHECK_RC (nines_follow_poll (&f, &logs, &n, &rew), 0);
    CHECK_EQ (n, 0);
    CHECK_EQ (rew, block_pa);
    CHECK_EQ (f.reorgs, 1);
    CHECK_RC (nines_follow_poll (&f, &logs, &n, &rew), 0);
    CHECK (n == 1 && rew == UINT64_MAX && memcmp (logs [0].topics [1], pod_b, 32) == 0);
    nines_rpc_logs_free (logs, n);
    /* the resumed follower (one mark: the old head, still valid) reads B */
    CHECK_RC (nines_follow_poll (&g, &logs, &n, &rew), 0);
    CHECK (n == 1 && rew == UINT64_MAX && memcmp (logs [0].topics [1], pod_b, 32) == 0);
    nines_rpc_logs_free (logs, n);
    nines_sender_wipe (&s3);

    /* unreachable node */
    nines_rpc_t *dead = nines_rpc_new ("http://127.0.0.1:9", 1000);
    uint64_t x;
    CHECK_RC (nines_rpc_chain_id (dead, &x), NINES_EUNAVAIL);
    nines_rpc_destroy (&dead);
    nines_rpc_destroy (&s_rpc);
    return t_done ("test_anvil");
}
