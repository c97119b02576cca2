/*  ninesd's chain link (src/node/chain_link.c, ledger/kind = evm) on
    anvil with the differential corpus's evidence, against a real LMDB
    store laid out as ninesd's (outbox, evidence, claims):

    - the corpus's registry registered as test_anvil_claim does; three
      accepted evidence (pod 0's two, which merge into one incident of
      2 h 10 min, and pod 2's, clipped at its paid_until) put in the outbox
      and submitted;
    - the node unreachable: every poll fails, nines_chain_stats counts the
      errors, the evidence stays in the outbox;
    - automine off: the first link sends the three claims into the pool
      and is destroyed with its store ("killed"); a second link on the
      reopened store sends nothing (the pool's nonce unchanged), and after
      the block is mined sees the three claims mined;
    - another validator's link with the same evidence on its own store
      finds them pending, claims nothing, and acknowledges them as
      duplicate once final;
    - after the 60 s challenge window (evm_mine at a later timestamp) the
      link finalizes and accounts all three in finalize order, and
      acknowledges them: outbox empty, three "accounted" in the evidence
      db;
    - each pod's slashed total on the contract equals nines-ledger's for
      the same reports (the corpus's S lines: 90998 and 2997 units);
    - exactly three Claimed logs: no evidence claimed twice;
    - another validator's claim finalized before ours and accounted by
      nobody: the link accounts it (finalize order is one queue), then
      its own.

    usage: test_chain_link RPC_URL STAKING_ADDRESS CORPUS DIR */
#include "corpus_util.h"
#include "node/chain_link.h"
#include "evm/abi.h"
#include "proto/ids.h"
#include "client/ledger_client.h"
#include "evm/chainreg.h"
#include "ledger/ledger.h"
#include <unistd.h>

static const char *const s_dbs [] = { "outbox", "evidence", NINES_CHAIN_DB, NULL };
static int s_acks, s_dups;

/*  arg: the verdict the link must give (its validator claimed the
    evidence: "accounted", or another did: "duplicate"). */
static void
s_on_ack (void *arg, const uint8_t id [32], const char *verdict)
{
    (void) id;
    CHECK_STR (verdict, (const char *) arg);
    (*(strcmp (verdict, "duplicate") ? &s_acks : &s_dups))++;
}

static uint64_t
s_count (nines_store_t *st, const char *db)
{
    uint64_t n = 0;
    CHECK_RC (nines_store_count (st, db, &n), 0);
    return n;
}

/*  nines-ledger on the same reports: an in-process ledger (LMDB in dir)
    with the chain's registry as genesis, the n evidence submitted at
    their times, ticked a day past the last; slashed [i] the `pods`
    query's slashed total of pods [i]. */
static void
s_ledger_run (const char *dir, const nines_registry_t *reg, uint8_t (*evs) [NINES_EVIDENCE_MAX],
              const size_t *lens, const uint64_t *at, size_t n, const uint8_t (*pods) [32], size_t np,
              uint64_t *slashed)
{
    nines_keypair_t lk;
    uint8_t seed [NINES_SEED_BYTES] = { 7 };
    CHECK_RC (nines_keypair_from_seed (&lk, seed), 0);
    char err [256] = "";
    nines_ledger_t *l = nines_ledger_open (dir, reg, &lk, err, sizeof err);
    CHECK (l != NULL);
    if (!l) {
        fprintf (stderr, "nines_ledger_open: %s\n", err);
        return;
    }
    uint64_t end = 0;
    for (size_t i = 0; i < n; i++) {
        msgpack_sbuffer sb;
        msgpack_packer pk;
        nines_packer_init (&sb, &pk);
        msgpack_pack_map (&pk, 3);
        nines_pack_kv_str (&pk, "op", NINES_LEDGER_OP_SUBMIT_EVIDENCE);
        nines_pack_kv_bin (&pk, "evidence", evs [i], lens [i]);
        nines_pack_kv_bin (&pk, "from", s_ids [0], 32);
        uint8_t *reply = NULL;
        size_t rlen = 0;
        CHECK_RC (nines_ledger_handle (l, (const uint8_t *) sb.data, sb.size, at [i], &reply, &rlen), 0);
        uint8_t id [32];
        char verdict [32] = "", reason [64] = "";
        CHECK_RC (nines_ledger_parse_ack (reply, rlen, id, verdict, sizeof verdict, reason, sizeof reason), 0);
        CHECK_STR (verdict, "accepted");
        free (reply);
        msgpack_sbuffer_destroy (&sb);
        nines_ledger_tick (l, at [i]);
        end = at [i] > end ? at [i] : end;
    }
    end += 86400000;
    nines_ledger_tick (l, end);
    uint8_t *req = NULL, *reply = NULL;
    size_t len = 0, rlen = 0, off = 0;
    CHECK_RC (nines_ledger_req_simple (NINES_LEDGER_OP_PODS, NULL, &req, &len), 0);
    CHECK_RC (nines_ledger_handle (l, req, len, end, &reply, &rlen), 0);
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    CHECK (msgpack_unpack_next (&u, (const char *) reply, rlen, &off) == MSGPACK_UNPACK_SUCCESS);
    const msgpack_object *rows = NULL;
    for (uint32_t k = 0; u.data.type == MSGPACK_OBJECT_MAP && k < u.data.via.map.size; k++)
        if (u.data.via.map.ptr [k].key.via.str.size == 4 && !memcmp (u.data.via.map.ptr [k].key.via.str.ptr, "rows", 4))
            rows = &u.data.via.map.ptr [k].val;
    CHECK (rows && rows->type == MSGPACK_OBJECT_ARRAY);
    for (uint32_t i = 0; rows && i < rows->via.array.size; i++) {
        const msgpack_object *r = &rows->via.array.ptr [i];
        const uint8_t *pod = NULL;
        uint64_t sl = UINT64_MAX;
        for (uint32_t k = 0; r->type == MSGPACK_OBJECT_MAP && k < r->via.map.size; k++) {
            const msgpack_object_kv *kv = &r->via.map.ptr [k];
            if (kv->key.via.str.size == 3 && !memcmp (kv->key.via.str.ptr, "pod", 3) && kv->val.type == MSGPACK_OBJECT_BIN)
                pod = (const uint8_t *) kv->val.via.bin.ptr;
            if (kv->key.via.str.size == 7 && !memcmp (kv->key.via.str.ptr, "slashed", 7))
                sl = kv->val.via.u64;
        }
        for (size_t p = 0; pod && p < np; p++)
            if (!memcmp (pod, pods [p], 32))
                slashed [p] = sl;
    }
    msgpack_unpacked_destroy (&u);
    free (req);
    free (reply);
    nines_ledger_destroy (&l);
}

/*  podInfo(pod).slashed. */
static uint64_t
s_slashed (const uint8_t pod [32])
{
    nines_buf_t data = { 0 }, out = { 0 };
    nines_abi_t a = nines_abi_word (pod);
    CHECK_RC (nines_abi_call (&data, "podInfo(bytes32)", &a, 1), 0);
    nines_rpc_msg_t m = { .to = s_staking, .data = data.data, .data_len = data.len };
    uint64_t v = UINT64_MAX;
    CHECK_RC (nines_rpc_eth_call (s_rpc, &m, "latest", &out), 0);
    CHECK_RC (nines_abi_get_uint (out.data, out.len, 2, &v), 0);
    nines_buf_free (&data);
    nines_buf_free (&out);
    return v;
}

/*  The count of event sig's logs from block from; topic1 [32] (NULL-able)
    gets topic 1 of the nth. */
static size_t
s_event_logs (const char *sig, uint64_t from, size_t nth, uint8_t *topic1)
{
    uint64_t head = 0;
    uint8_t topic [32];
    nines_evm_topic (topic, sig);
    nines_log_t *logs = NULL;
    size_t n = 0;
    CHECK_RC (nines_rpc_block_number (s_rpc, &head), 0);
    CHECK_RC (nines_rpc_get_logs (s_rpc, s_staking, from, head, &topic, 1, &logs, &n), 0);
    if (topic1 && nth < n)
        memcpy (topic1, logs [nth].topics [1], 32);
    nines_rpc_logs_free (logs, n);
    return n;
}

static nines_chain_t *
s_link_as (const nines_chain_config_t *cfg, nines_store_t *st, size_t validator, const char *verdict)
{
    char err [256] = "";
    int code = 0;
    nines_chain_t *c = nines_chain_new (cfg, st, s_ids [validator], NULL, s_on_ack, (void *) verdict,
                                        err, sizeof err, &code);
    if (!c)
        fprintf (stderr, "nines_chain_new: %s\n", err);
    CHECK (c != NULL);
    return c;
}

static nines_chain_t *
s_link (const nines_chain_config_t *cfg, nines_store_t *st)
{
    return s_link_as (cfg, st, 0, "accounted");
}

int
main (int argc, char **argv)
{
    if (argc != 5) {
        fprintf (stderr, "usage: test_chain_link RPC_URL STAKING_ADDRESS CORPUS DIR\n");
        return 2;
    }
    s_load (argv [3]);
    CHECK_EQ (s_nval, 12);
    s_rpc = nines_rpc_new (argv [1], 10000);
    CHECK_RC (nines_evm_parse_address (s_staking, argv [2]), 0);
    nines_chainkey_t key;
    CHECK_RC (t_funded_sender (s_rpc, &key, &s_tx), 0);
    nines_chain_config_t cfg = { .confirmations = 1, .poll_ms = 1000, .rpc_timeout_ms = 10000 };
    snprintf (cfg.rpc, sizeof cfg.rpc, "%s", argv [1]);
    memcpy (cfg.contract, s_staking, 20);
    snprintf (cfg.chain_key, sizeof cfg.chain_key, "%s/chain.key", argv [4]);
    unlink (cfg.chain_key);
    CHECK_RC (nines_chainkey_save (cfg.chain_key, &key), 0);
    char data [600];
    snprintf (data, sizeof data, "%s/data", argv [4]);

    uint64_t first = 0, last = 0;
    t_register (&first, &last);
    cfg.start_block = first;
    /* the registry as genesis for nines-ledger, before anything is slashed */
    nines_registry_t *reg = NULL;
    uint32_t *index = NULL;
    nines_registry_t *defaults = nines_registry_new ();   /* the parameters the chain lacks */
    nines_params_default (&defaults->params);
    CHECK_RC (nines_evm_registry_read (s_rpc, s_staking, first, 170000000, defaults, &reg, &index), 0);
    nines_registry_destroy (&defaults);
    /* The chain holds no facade: any will do (one all-zero key and pin),
       put back through the registry: a pod record's blob is sized to its
       counts (registry.c nines_pod_pack), so the counts are not poked. */
    static nines_pod_info_t info;
    for (size_t p = 0; reg && p < reg->n_pods; p++) {
        nines_pod_expand (&reg->pods [p], &info);
        info.n_facade_keys = info.n_spki_pins = 1;
        CHECK_RC (nines_registry_put_pod (reg, &info), 0);
    }

    /* three accepted evidence in the outbox, as ninesd writes them */
    nines_store_t *st = NULL;
    CHECK_RC (nines_store_open (&st, data, 0, s_dbs), 0);
    static ev_t e;
    static const int nth [3] = { 0, 1, 6 };
    uint8_t ids [3][32], pods [3][32];
    static uint8_t evbuf [3][NINES_EVIDENCE_MAX];
    size_t evlen [3];
    uint64_t evat [3];
    uint64_t latest_ms = 0;
    for (int k = 0; k < 3; k++) {
        CHECK_RC (s_find_ev ("NINES_OK", nth [k], &e), 0);
        s_wire_report (&e.rep [0].report, &e.ev.down);
        memcpy (e.ev.pod, e.ev.down.pod, 32);
        e.ev.has_up = e.up != NULL;
        if (e.up)
            s_wire_report (e.up, &e.ev.up);
        CHECK_RC (nines_evidence_encode (&e.ev, evbuf [k], sizeof evbuf [k], &evlen [k]), 0);
        nines_evidence_id (&e.ev, ids [k]);
        memcpy (pods [k], e.ev.pod, 32);
        evat [k] = e.now_ms;
        CHECK_RC (nines_store_put (st, "outbox", ids [k], 32, evbuf [k], evlen [k]), 0);
        latest_ms = e.now_ms > latest_ms ? e.now_ms : latest_ms;
    }
    CHECK_MEM (pods [0], s_pods [0], 32);
    CHECK_MEM (pods [2], s_pods [2], 32);

    /* the node unreachable: errors counted, evidence kept */
    nines_chain_config_t down = cfg;
    snprintf (down.rpc, sizeof down.rpc, "http://127.0.0.1:9");
    down.rpc_timeout_ms = 500;
    nines_metrics_t *metrics = nines_metrics_new ();
    char err [256] = "";
    int code = 0;
    nines_chain_t *c = nines_chain_new (&down, st, s_ids [0], metrics, s_on_ack, (void *) "accounted",
                                        err, sizeof err, &code);
    CHECK (c != NULL);
    for (int k = 0; k < 3; k++)
        CHECK_RC (nines_chain_submit (c, ids [k]), 0);
    CHECK (nines_chain_poll (c, NULL) != 0);
    CHECK (nines_chain_poll (c, NULL) != 0);
    nines_chain_stats_t s;
    nines_chain_stats (c, &s);
    CHECK (s.rpc_errors == 2 && !s.up && s.claimed == 0);
    size_t mlen = 0;
    char *text = nines_metrics_render (metrics, &mlen);
    CHECK (text && strstr (text, "\nnines_chain_rpc_errors_total 2\n") != NULL);
    free (text);
    nines_metrics_destroy (&metrics);
    CHECK_EQ (s_count (st, "outbox"), 3);
    CHECK_EQ (s_count (st, NINES_CHAIN_DB), 3);
    nines_chain_destroy (&c);

    /* claims sent into the pool; the link and its store "killed" */
    s_warp (latest_ms + 1000);
    CHECK_RC (t_anvil (s_rpc, "evm_setAutomine", json_pack ("[b]", 0)), 0);
    uint64_t pool0 = 0, pool1 = 0, pool2 = 0;
    CHECK_RC (nines_rpc_nonce (s_rpc, key.address, "pending", &pool0), 0);
    c = s_link (&cfg, st);
    CHECK_RC (nines_chain_poll (c, NULL), 0);
    CHECK_RC (nines_rpc_nonce (s_rpc, key.address, "pending", &pool1), 0);
    CHECK_EQ (pool1, pool0 + 3);                        /* three claims in the pool */
    nines_chain_destroy (&c);
    nines_store_destroy (&st);
    CHECK_RC (nines_store_open (&st, data, 0, s_dbs), 0);
    c = s_link (&cfg, st);
    CHECK_RC (nines_chain_poll (c, NULL), 0);
    CHECK_RC (nines_rpc_nonce (s_rpc, key.address, "pending", &pool2), 0);
    CHECK_EQ (pool2, pool1);                            /* restarted: nothing sent again */
    CHECK_RC (t_anvil (s_rpc, "evm_setAutomine", json_pack ("[b]", 1)), 0);
    CHECK_RC (t_anvil (s_rpc, "evm_mine", NULL), 0);
    uint64_t claim_block = 0, t_claim = 0, t_final = 0;
    uint8_t h [32];
    CHECK_RC (nines_rpc_block_number (s_rpc, &claim_block), 0);
    CHECK_RC (nines_rpc_block_hash (s_rpc, claim_block, h, &t_claim), 0);
    CHECK_RC (nines_chain_poll (c, NULL), 0);
    nines_chain_stats (c, &s);
    CHECK_EQ (s.claimed, 3);
    CHECK_EQ (s.finalized, 0);
    CHECK_EQ (s_count (st, "outbox"), 3);               /* not final yet: still queued */
    CHECK_EQ (s_event_logs (NINES_EVM_EV_CLAIMED, first, 0, NULL), 3);

    /* another validator (registry index 1) with the same evidence: it
       finds the claims pending, watches, claims nothing */
    char data2 [610];
    snprintf (data2, sizeof data2, "%s2", data);
    nines_store_t *st2 = NULL;
    CHECK_RC (nines_store_open (&st2, data2, 0, s_dbs), 0);
    nines_chain_t *c2 = s_link_as (&cfg, st2, 1, "duplicate");
    for (int k = 0; k < 3; k++) {
        CHECK_RC (nines_store_put (st2, "outbox", ids [k], 32, evbuf [k], evlen [k]), 0);
        CHECK_RC (nines_chain_submit (c2, ids [k]), 0);
    }
    CHECK_RC (nines_chain_poll (c2, NULL), 0);
    CHECK_EQ (s_count (st2, "outbox"), 3);
    CHECK_EQ (s_count (st2, NINES_CHAIN_DB), 3);
    CHECK_RC (nines_rpc_nonce (s_rpc, key.address, "pending", &pool2), 0);
    CHECK_EQ (pool2, pool1);

    /* after the window: finalize and account, in finalize order */
    s_warp ((t_claim + 61) * 1000);
    CHECK_RC (nines_chain_poll (c, NULL), 0);
    CHECK_RC (nines_chain_poll (c, NULL), 0);
    CHECK_RC (nines_chain_poll (c2, NULL), 0);          /* final: duplicates, acknowledged */
    nines_chain_stats_t s2;
    nines_chain_stats (c2, &s2);
    CHECK_EQ (s2.duplicate, 3);
    CHECK_EQ (s2.claimed, 0);
    CHECK_EQ (s_dups, 3);
    CHECK_EQ (s_count (st2, "outbox"), 0);
    CHECK_EQ (s_count (st2, NINES_CHAIN_DB), 0);
    nines_chain_destroy (&c2);
    nines_store_destroy (&st2);
    nines_chain_stats (c, &s);
    uint64_t head = 0;
    CHECK_RC (nines_rpc_block_number (s_rpc, &head), 0);
    CHECK_RC (nines_rpc_block_hash (s_rpc, head, h, &t_final), 0);
    CHECK_EQ (s.finalized, 3);
    CHECK_EQ (s.accounted, 3);
    CHECK_EQ (s_acks, 3);
    CHECK_EQ (s_count (st, "outbox"), 0);
    CHECK_EQ (s_count (st, "evidence"), 3);
    CHECK_EQ (s_count (st, NINES_CHAIN_DB), 0);
    fprintf (stderr, "gas: claim %llu, finalize %llu, account %llu for 3 evidence (%llu an incident); "
             "claim block to accounted block %llu s of chain time (window 60 s)\n",
             (unsigned long long) s.gas_claim, (unsigned long long) s.gas_finalize,
             (unsigned long long) s.gas_account,
             (unsigned long long) ((s.gas_claim + s.gas_finalize + s.gas_account) / 3),
             (unsigned long long) (t_final - t_claim));

    /* the slashes are nines-ledger's for the same reports */
    char ldir [600];
    snprintf (ldir, sizeof ldir, "%s/ledger", argv [4]);
    uint64_t want [2] = { UINT64_MAX, UINT64_MAX };
    const uint8_t want_pods [2][32];
    memcpy ((uint8_t *) want_pods [0], s_pods [0], 32);
    memcpy ((uint8_t *) want_pods [1], s_pods [2], 32);
    s_ledger_run (ldir, reg, evbuf, evlen, evat, 3, want_pods, 2, want);
    nines_registry_destroy (&reg);
    free (index);
    uint64_t got0 = s_slashed (s_pods [0]), got2 = s_slashed (s_pods [2]);
    fprintf (stderr, "slashed: pod 0 %llu (nines-ledger %llu), pod 2 %llu (nines-ledger %llu)\n",
             (unsigned long long) got0, (unsigned long long) want [0],
             (unsigned long long) got2, (unsigned long long) want [1]);
    CHECK_EQ (got0, want [0]);
    CHECK_EQ (got2, want [1]);
    CHECK (got0 > 0 && got2 > 0);
    nines_chain_destroy (&c);

    /* once more after a restart: nothing left, nothing claimed twice */
    nines_store_destroy (&st);
    CHECK_RC (nines_store_open (&st, data, 0, s_dbs), 0);
    c = s_link (&cfg, st);
    for (int k = 0; k < 3; k++)
        CHECK_RC (nines_chain_submit (c, ids [k]), 0);  /* the engine re-submitting */
    CHECK_RC (nines_chain_poll (c, NULL), 0);
    CHECK_EQ (s_count (st, NINES_CHAIN_DB), 0);
    CHECK_EQ (s_event_logs (NINES_EVM_EV_CLAIMED, first, 0, NULL), 3);

    /* another validator's claim (contract index 10, sent here) finalized
       before ours and accounted by nobody holds ours back in finalize
       order: the link accounts it, then its own */
    uint8_t ocid [32];
    t_claim_as (first, 2, 10, ocid);                    /* pod 1, under grace */
    CHECK_RC (s_find_ev ("NINES_OK", 3, &e), 0);       /* ours: pod 1, open (DOWN only) */
    s_wire_report (&e.rep [0].report, &e.ev.down);
    memcpy (e.ev.pod, e.ev.down.pod, 32);
    e.ev.has_up = 0;
    uint8_t oid [32];
    CHECK_RC (nines_evidence_encode (&e.ev, evbuf [0], sizeof evbuf [0], &evlen [0]), 0);
    nines_evidence_id (&e.ev, oid);
    CHECK_RC (nines_store_put (st, "outbox", oid, 32, evbuf [0], evlen [0]), 0);
    CHECK_RC (nines_chain_submit (c, oid), 0);
    s_warp (e.now_ms + 1000);
    CHECK_RC (nines_chain_poll (c, NULL), 0);           /* claimed */
    CHECK_RC (nines_rpc_block_number (s_rpc, &claim_block), 0);
    CHECK_RC (nines_rpc_block_hash (s_rpc, claim_block, h, &t_claim), 0);
    s_warp ((t_claim + 61) * 1000);
    nines_buf_t cd = { 0 };
    CHECK_RC (nines_evm_calldata_finalize (&cd, ocid), 0);
    t_send_wait (&cd, 0);                               /* seq 4, not accounted */
    nines_buf_free (&cd);
    for (int k = 0; k < 4 && s_count (st, "outbox"); k++)
        CHECK_RC (nines_chain_poll (c, NULL), 0);
    CHECK_EQ (s_count (st, "outbox"), 0);               /* ours (seq 5) accounted after seq 4 */
    CHECK_EQ (s_acks, 4);
    uint8_t fourth [32] = { 0 };
    CHECK_EQ (s_event_logs (NINES_EVM_EV_ACCOUNTED, first, 3, fourth), 5);
    CHECK_MEM (fourth, ocid, 32);                       /* the other's, accounted fourth */
    nines_chain_destroy (&c);
    nines_store_destroy (&st);

    nines_sender_wipe (&s_tx);
    nines_chainkey_wipe (&key);
    nines_rpc_destroy (&s_rpc);
    for (int i = 0; i < s_nline; i++)
        free (s_line [i]);
    return t_done ("test_chain_link");
}
