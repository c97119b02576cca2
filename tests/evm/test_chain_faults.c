/*  Faults of ninesd's chain back end (src/node/chain_link.c,
    chain_submit.c; issue 17 item 5) on anvil, with four of the
    differential corpus's evidence in a real LMDB store laid out as
    ninesd's:

    - restart: a claim in the pool (automine off) when anvil is stopped
      (its state dumped, its pool lost); a poll while it is down fails;
      after it is started again from its state the link finds the claim
      gone and sends it again once (fault "lost");
    - reorganisation: a mined, pending claim undone by anvil_reorg: the
      link goes back to its claim transaction, finds it gone and claims
      again once (fault "reorg"); the watcher's log follower rewinds;
    - out of gas: claims with the gas limit at half the sender's
      (cfg.gas_pct 50) are mined with status 0, all gas used; the link
      sends again with the limit doubled, once (fault "out_of_gas");
    - underpriced: a claim in the pool when the base fee jumps above its
      max fee (anvil_setNextBlockBaseFeePerGas): the link replaces it at
      its nonce with higher fees (fault "underpriced");
    - confirmations 3: finalized and accounted; an account transaction
      undone by a reorganisation before it is confirmed is sent again;
      each evidence is acknowledged only once its Accounted log is 3
      blocks deep (checked in the callback);
    - anvil restarted once more: everything acknowledged is still on the
      chain (Accounted logs, slashes), nothing is sent again;
    - another validator's finalized claim that nobody accounts holds ours
      back in finalize order: the link's account of it is in the pool when
      anvil is stopped; after the start it is sent again and ours is
      accounted behind it;
    - exactly one Claimed log per evidence throughout.

    usage: test_chain_faults RPC_URL STAKING_ADDRESS CORPUS DIR ANVIL_FAULTS_SH */
#include "corpus_util.h"
#include "node/chain_link.h"
#include "evm/abi.h"
#include "proto/ids.h"
#include <time.h>
#include <unistd.h>

#define N 4

static const char *const s_dbs [] = { "outbox", "evidence", NINES_CHAIN_DB, NINES_WATCH_DB, NULL };
static uint8_t s_ev_ids [N][32], s_cids [N][32];
static uint64_t s_conf = 1;
static int s_acks;
static const char *s_script, *s_dir;

static long
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static uint64_t
s_count (nines_store_t *st, const char *db)
{
    uint64_t n = 0;
    CHECK_RC (nines_store_count (st, db, &n), 0);
    return n;
}

/*  The logs of event sig whose topic 1 is key: their count; *block the
    last one's block number. */
static size_t
s_logs (const char *sig, const uint8_t key [32], uint64_t *block)
{
    uint64_t head = 0;
    uint8_t topic [32];
    nines_evm_topic (topic, sig);
    nines_log_t *logs = NULL;
    size_t n = 0, k = 0;
    CHECK_RC (nines_rpc_block_number (s_rpc, &head), 0);
    CHECK_RC (nines_rpc_get_logs (s_rpc, s_staking, 0, head, &topic, 1, &logs, &n), 0);
    for (size_t i = 0; i < n; i++)
        if (logs [i].n_topics >= 2 && !memcmp (logs [i].topics [1], key, 32)) {
            k++;
            if (block)
                *block = logs [i].block_number;
        }
    nines_rpc_logs_free (logs, n);
    return k;
}

/*  Acknowledged: "accounted", and its Accounted log s_conf blocks deep. */
static void
s_on_ack (void *arg, const uint8_t id [32], const char *verdict)
{
    (void) arg;
    CHECK_STR (verdict, "accounted");
    s_acks++;
    for (int k = 0; k < N; k++) {
        if (memcmp (id, s_ev_ids [k], 32))
            continue;
        uint64_t block = 0, head = 0;
        CHECK_EQ (s_logs (NINES_EVM_EV_ACCOUNTED, s_cids [k], &block), 1);
        CHECK_RC (nines_rpc_block_number (s_rpc, &head), 0);
        if (head + 1 < block + s_conf)
            fprintf (stderr, "evidence %d acknowledged at head %llu, its account in block %llu: "
                     "not %llu deep\n", k, (unsigned long long) head, (unsigned long long) block,
                     (unsigned long long) s_conf);
        CHECK (head + 1 >= block + s_conf);
    }
}

static nines_chain_t *
s_link (const nines_chain_config_t *cfg, nines_store_t *st, nines_metrics_t *metrics)
{
    char err [256] = "";
    int code = 0;
    nines_chain_t *c = nines_chain_new (cfg, st, s_ids [0], metrics, s_on_ack, NULL, err, sizeof err, &code);
    if (!c)
        fprintf (stderr, "nines_chain_new: %s\n", err);
    CHECK (c != NULL);
    return c;
}

/*  anvil_faults.sh --stop | --start. */
static void
s_anvil (const char *what)
{
    char cmd [1400];
    snprintf (cmd, sizeof cmd, "'%s' %s '%s'", s_script, what, s_dir);
    CHECK_EQ (system (cmd), 0);
}

/*  The metrics' text has line. */
static void
s_metric (nines_metrics_t *m, const char *line)
{
    size_t len = 0;
    char *text = nines_metrics_render (m, &len);
    char want [200];
    snprintf (want, sizeof want, "\n%s\n", line);
    if (!text || !strstr (text, want))
        fprintf (stderr, "metrics lack \"%s\":\n%s\n", line, text ? text : "(none)");
    CHECK (text && strstr (text, want) != NULL);
    free (text);
}

/*  Poll c until its claimed count is want (anvil's automine answers the
    send before the receipt exists): at most 50 polls, 20 ms apart. */
static void
s_poll_claimed (nines_chain_t *c, uint64_t want)
{
    nines_chain_stats_t s;
    for (int k = 0; k < 50; k++) {
        CHECK_RC (nines_chain_poll (c, NULL), 0);
        nines_chain_stats (c, &s);
        if (s.claimed >= want)
            break;
        nanosleep (&(struct timespec) { 0, 20000000 }, NULL);
    }
    CHECK_EQ (s.claimed, want);
}

/*  podInfo(pod).slashed. */
static uint64_t
s_slashed (const uint8_t pod [32])
{
    nines_buf_t cd = { 0 }, out = { 0 };
    nines_abi_t a = nines_abi_word (pod);
    uint64_t v = UINT64_MAX;
    CHECK_RC (nines_abi_call (&cd, "podInfo(bytes32)", &a, 1), 0);
    nines_rpc_msg_t msg = { .to = s_staking, .data = cd.data, .data_len = cd.len };
    CHECK_RC (nines_rpc_eth_call (s_rpc, &msg, "latest", &out), 0);
    CHECK_RC (nines_abi_get_uint (out.data, out.len, 2, &v), 0);
    nines_buf_free (&cd);
    nines_buf_free (&out);
    return v;
}

static uint64_t
s_pool (const nines_chainkey_t *key, const char *tag)
{
    uint64_t n = 0;
    CHECK_RC (nines_rpc_nonce (s_rpc, key->address, tag, &n), 0);
    return n;
}

int
main (int argc, char **argv)
{
    if (argc != 6) {
        fprintf (stderr, "usage: test_chain_faults RPC_URL STAKING_ADDRESS CORPUS DIR ANVIL_FAULTS_SH\n");
        return 2;
    }
    s_dir = argv [4];
    s_script = argv [5];
    s_load (argv [3]);
    CHECK_EQ (s_nval, 12);
    s_rpc = nines_rpc_new (argv [1], 10000);
    CHECK_RC (nines_evm_parse_address (s_staking, argv [2]), 0);
    nines_chainkey_t key;
    CHECK_RC (t_funded_sender (s_rpc, &key, &s_tx), 0);
    nines_chain_config_t cfg = { .confirmations = 1, .poll_ms = 1000, .rpc_timeout_ms = 2000 };
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

    /* four accepted evidence in the outbox, as ninesd writes them */
    nines_store_t *st = NULL;
    CHECK_RC (nines_store_open (&st, data, 0, s_dbs), 0);
    static ev_t e;
    static const int nth [N] = { 0, 1, 6, 3 };
    uint64_t latest_ms = 0;
    for (int k = 0; k < N; k++) {
        uint8_t buf [NINES_EVIDENCE_MAX];
        size_t len = 0;
        CHECK_RC (s_find_ev ("NINES_OK", nth [k], &e), 0);
        t_wire_ev (&e);
        CHECK_RC (nines_evidence_encode (&e.ev, buf, sizeof buf, &len), 0);
        nines_evidence_id (&e.ev, s_ev_ids [k]);
        nines_evm_claim_id (s_cids [k], &e.rep [0].report, e.up != NULL);
        CHECK_RC (nines_store_put (st, "outbox", s_ev_ids [k], 32, buf, len), 0);
        latest_ms = e.now_ms > latest_ms ? e.now_ms : latest_ms;
    }
    s_warp (latest_ms + 1000);
    nines_chain_stats_t s;

    /* 1. restart: the claim in the pool, anvil stopped and started again */
    nines_metrics_t *m1 = nines_metrics_new ();
    nines_chain_t *c = s_link (&cfg, st, m1);
    CHECK_RC (t_anvil (s_rpc, "evm_setAutomine", json_pack ("[b]", 0)), 0);
    uint64_t pool0 = s_pool (&key, "pending");
    CHECK_RC (nines_chain_submit (c, s_ev_ids [0]), 0);
    CHECK_RC (nines_chain_poll (c, NULL), 0);
    CHECK_EQ (s_pool (&key, "pending"), pool0 + 1);     /* the claim in the pool */
    s_anvil ("--stop");
    CHECK (nines_chain_poll (c, NULL) != 0);            /* down: nothing lost */
    nines_chain_stats (c, &s);
    CHECK (!s.up && s.claims_sent == 1);
    s_anvil ("--start");
    long t0 = s_now_ms ();
    CHECK_EQ (s_pool (&key, "pending"), pool0);         /* the pool is gone with it */
    s_poll_claimed (c, 1);
    long recover_ms = s_now_ms () - t0;
    nines_chain_stats (c, &s);
    CHECK_EQ (s.lost, 1);
    CHECK_EQ (s.claims_sent, 2);
    CHECK_EQ (s.claimed, 1);
    CHECK_EQ (s_logs (NINES_EVM_EV_CLAIMED, s_cids [0], NULL), 1);
    CHECK_EQ (s_count (st, "outbox"), N);
    s_metric (m1, "nines_chain_faults_total{fault=\"lost\"} 1");
    s_metric (m1, "nines_chain_resent_total 1");
    fprintf (stderr, "restart: claim lost with the pool, claimed again %ld ms after anvil was back\n",
             recover_ms);

    /* 2. a reorganisation undoes a pending claim */
    CHECK_RC (nines_chain_submit (c, s_ev_ids [1]), 0);
    s_poll_claimed (c, 2);
    uint64_t claim_block = 0, head = 0;
    CHECK_EQ (s_logs (NINES_EVM_EV_CLAIMED, s_cids [1], &claim_block), 1);
    CHECK_RC (t_anvil (s_rpc, "evm_mine", NULL), 0);
    CHECK_RC (nines_chain_poll (c, NULL), 0);           /* the watcher follows past it */
    CHECK_RC (nines_rpc_block_number (s_rpc, &head), 0);
    CHECK_RC (t_anvil (s_rpc, "anvil_reorg", json_pack ("[I,[]]", (json_int_t) (head - claim_block + 1))), 0);
    CHECK_EQ (s_logs (NINES_EVM_EV_CLAIMED, s_cids [1], NULL), 0);    /* undone */
    s_poll_claimed (c, 3);
    nines_chain_stats (c, &s);
    nines_watch_stats_t ws;
    nines_chain_watch_stats (c, &ws, NULL);
    CHECK_EQ (s.reorged, 1);
    CHECK_EQ (s.claims_sent, 4);                       /* 2 for the first evidence, 2 for this one */
    CHECK_EQ (s.claimed, 3);
    CHECK (ws.rewinds >= 1);
    CHECK_EQ (s.rewinds, ws.rewinds);
    CHECK_EQ (s_logs (NINES_EVM_EV_CLAIMED, s_cids [1], NULL), 1);
    s_metric (m1, "nines_chain_faults_total{fault=\"reorg\"} 1");
    fprintf (stderr, "reorganisation of depth %llu: claim undone, claimed again once; the watcher rewound "
             "%llu times\n", (unsigned long long) (head - claim_block + 1), (unsigned long long) ws.rewinds);
    nines_chain_destroy (&c);
    nines_metrics_destroy (&m1);

    /* 3. out of gas: limits at half the sender's */
    nines_chain_config_t lean = cfg;
    lean.gas_pct = 50;
    c = s_link (&lean, st, NULL);
    CHECK_RC (nines_chain_submit (c, s_ev_ids [2]), 0);
    s_poll_claimed (c, 1);
    nines_chain_stats (c, &s);
    CHECK_EQ (s.out_of_gas, 1);
    CHECK_EQ (s.claims_sent, 2);
    CHECK_EQ (s.claimed, 1);
    CHECK_EQ (s_logs (NINES_EVM_EV_CLAIMED, s_cids [2], NULL), 1);
    fprintf (stderr, "out of gas: claim at half the limit mined with status 0, sent again at the limit "
             "doubled; %llu gas for both\n", (unsigned long long) s.gas_claim);
    nines_chain_destroy (&c);

    /* 4. underpriced: the base fee jumps over the claim's max fee */
    nines_metrics_t *m4 = nines_metrics_new ();
    c = s_link (&cfg, st, m4);
    CHECK_RC (t_anvil (s_rpc, "evm_setAutomine", json_pack ("[b]", 0)), 0);
    pool0 = s_pool (&key, "latest");
    CHECK_RC (nines_chain_submit (c, s_ev_ids [3]), 0);
    CHECK_RC (nines_chain_poll (c, NULL), 0);
    CHECK_EQ (s_pool (&key, "pending"), pool0 + 1);
    uint64_t base = 0;
    CHECK_RC (nines_rpc_next_base_fee (s_rpc, &base), 0);
    CHECK_RC (t_anvil (s_rpc, "anvil_setNextBlockBaseFeePerGas", json_pack ("[s]", "0x174876e800")), 0);
    CHECK_RC (nines_chain_poll (c, NULL), 0);           /* 100 gwei next: replaced at its nonce */
    nines_chain_stats (c, &s);
    CHECK_EQ (s.underpriced, 1);
    CHECK_EQ (s.claims_sent, 1);
    CHECK_EQ (s_pool (&key, "pending"), pool0 + 1);
    CHECK_RC (t_anvil (s_rpc, "evm_mine", NULL), 0);
    CHECK_EQ (s_pool (&key, "latest"), pool0 + 1);
    s_poll_claimed (c, 1);
    nines_chain_stats (c, &s);
    CHECK_EQ (s.lost, 0);
    CHECK_EQ (s_logs (NINES_EVM_EV_CLAIMED, s_cids [3], NULL), 1);
    s_metric (m4, "nines_chain_faults_total{fault=\"underpriced\"} 1");
    CHECK_RC (t_anvil (s_rpc, "evm_setAutomine", json_pack ("[b]", 1)), 0);
    fprintf (stderr, "underpriced: base fee %llu -> 100000000000 wei/gas, the claim replaced once at its "
             "nonce and mined\n", (unsigned long long) base);
    nines_chain_destroy (&c);
    nines_metrics_destroy (&m4);

    /* 5. confirmations 3: finalize and account; an account undone before
       it is confirmed is sent again; acknowledged only 3 blocks deep */
    nines_chain_config_t deep = cfg;
    deep.confirmations = s_conf = 3;
    c = s_link (&deep, st, NULL);
    uint8_t h [32];
    uint64_t t_head = 0;
    CHECK_RC (nines_rpc_block_number (s_rpc, &head), 0);
    CHECK_RC (nines_rpc_block_hash (s_rpc, head, h, &t_head), 0);
    s_warp ((t_head + 61) * 1000);
    CHECK_RC (t_anvil (s_rpc, "evm_setAutomine", json_pack ("[b]", 0)), 0);  /* a block a step */
    bool reorged = false;
    uint64_t undone = 0;
    for (int k = 0; k < 40 && s_count (st, "outbox"); k++) {
        CHECK_RC (nines_chain_poll (c, NULL), 0);
        nines_chain_stats (c, &s);
        if (!reorged && s.gas_account == 0) {
            /* an account sent and mined, not yet confirmed: undo it */
            uint64_t acc_block = UINT64_MAX, b = 0;
            for (int j = 0; j < N; j++)
                if (s_logs (NINES_EVM_EV_ACCOUNTED, s_cids [j], &b) == 1) {
                    acc_block = b < acc_block ? b : acc_block;
                    undone++;
                }
            if (undone) {
                CHECK_RC (nines_rpc_block_number (s_rpc, &head), 0);
                CHECK_RC (t_anvil (s_rpc, "anvil_reorg",
                                   json_pack ("[I,[]]", (json_int_t) (head - acc_block + 1))), 0);
                for (int j = 0; j < N; j++)
                    CHECK_EQ (s_logs (NINES_EVM_EV_ACCOUNTED, s_cids [j], NULL), 0);
                reorged = true;
            }
        }
        CHECK_RC (t_anvil (s_rpc, "evm_mine", NULL), 0);
    }
    CHECK_RC (t_anvil (s_rpc, "evm_setAutomine", json_pack ("[b]", 1)), 0);
    nines_chain_stats (c, &s);
    CHECK (reorged);
    CHECK (undone >= 1);
    CHECK (s.lost >= undone);   /* each account undone sent again (and the pool's next: anvil drops it too) */
    CHECK_EQ (s.finalized, N);
    CHECK_EQ (s.accounted, N);
    CHECK_EQ (s_acks, N);
    CHECK_EQ (s_count (st, "outbox"), 0);
    CHECK_EQ (s_count (st, "evidence"), N);
    uint64_t slashed [2] = { s_slashed (s_pods [0]), s_slashed (s_pods [1]) };
    for (int k = 0; k < N; k++)
        CHECK_EQ (s_logs (NINES_EVM_EV_ACCOUNTED, s_cids [k], NULL), 1);
    CHECK (slashed [0] > 0);
    nines_chain_destroy (&c);
    fprintf (stderr, "confirmations 3: %llu accounts undone, %llu transactions sent again; %d acknowledged, each 3 blocks "
             "deep; pod 0 slashed %llu\n", (unsigned long long) undone, (unsigned long long) s.lost, s_acks, (unsigned long long) slashed [0]);

    /* 6. anvil restarted again: what was acknowledged is still there */
    s_anvil ("--stop");
    s_anvil ("--start");
    uint64_t sent_before = s_pool (&key, "pending");
    c = s_link (&cfg, st, NULL);
    for (int k = 0; k < N; k++)
        CHECK_RC (nines_chain_submit (c, s_ev_ids [k]), 0);     /* the engine re-submitting */
    CHECK_RC (nines_chain_poll (c, NULL), 0);
    CHECK_EQ (s_pool (&key, "pending"), sent_before);
    CHECK_EQ (s_count (st, "outbox"), 0);
    CHECK_EQ (s_count (st, "evidence"), N);
    for (int k = 0; k < N; k++) {
        CHECK_EQ (s_logs (NINES_EVM_EV_CLAIMED, s_cids [k], NULL), 1);
        CHECK_EQ (s_logs (NINES_EVM_EV_ACCOUNTED, s_cids [k], NULL), 1);
    }
    CHECK_EQ (s_slashed (s_pods [0]), slashed [0]);
    CHECK_EQ (s_slashed (s_pods [1]), slashed [1]);
    nines_chain_destroy (&c);

    /* 7. another's claim (contract index 10, sent here) finalized before
       ours, accounted by nobody: the link's account of it lost with the
       pool, sent again, then ours */
    uint8_t ocid [32], oid [32];
    t_claim_as (first, 2, 10, ocid);
    CHECK_RC (s_find_ev ("NINES_OK", 7, &e), 0);           /* ours */
    t_wire_ev (&e);
    uint8_t buf [NINES_EVIDENCE_MAX];
    size_t len = 0;
    CHECK_RC (nines_evidence_encode (&e.ev, buf, sizeof buf, &len), 0);
    nines_evidence_id (&e.ev, oid);
    CHECK_RC (nines_store_put (st, "outbox", oid, 32, buf, len), 0);
    nines_metrics_t *m7 = nines_metrics_new ();
    c = s_link (&cfg, st, m7);
    CHECK_RC (nines_chain_submit (c, oid), 0);
    s_poll_claimed (c, 1);
    CHECK_RC (nines_rpc_block_number (s_rpc, &head), 0);
    CHECK_RC (nines_rpc_block_hash (s_rpc, head, h, &t_head), 0);
    s_warp ((t_head + 61) * 1000);
    nines_buf_t cd = { 0 };
    CHECK_RC (nines_evm_calldata_finalize (&cd, ocid), 0);
    t_send_wait (&cd, 0);                                   /* finalized first */
    nines_buf_free (&cd);
    CHECK_RC (t_anvil (s_rpc, "evm_setAutomine", json_pack ("[b]", 0)), 0);
    /* a block a poll: our finalize (after the link's nonce re-read: this
       test sent from its key), then, blocked, its account in the pool */
    for (int k = 0; k < 8; k++) {
        CHECK_RC (nines_chain_poll (c, NULL), 0);
        nines_chain_stats (c, &s);
        if (s.finalized == 1 && s_pool (&key, "pending") == s_pool (&key, "latest") + 1)
            break;
        CHECK_RC (t_anvil (s_rpc, "evm_mine", NULL), 0);
    }
    CHECK_EQ (s.finalized, 1);
    CHECK_EQ (s.lost, 0);
    CHECK_EQ (s_pool (&key, "pending"), s_pool (&key, "latest") + 1);
    CHECK_EQ (s_logs (NINES_EVM_EV_ACCOUNTED, ocid, NULL), 0);
    s_anvil ("--stop");
    s_anvil ("--start");                                    /* automine again */
    for (int k = 0; k < 10 && s_count (st, "outbox"); k++) {
        CHECK_RC (nines_chain_poll (c, NULL), 0);
        nanosleep (&(struct timespec) { 0, 20000000 }, NULL);
    }
    nines_chain_stats (c, &s);
    CHECK_EQ (s.lost, 1);
    CHECK_EQ (s.accounted, 1);
    CHECK_EQ (s_count (st, "outbox"), 0);
    CHECK_EQ (s_logs (NINES_EVM_EV_ACCOUNTED, ocid, NULL), 1);
    s_metric (m7, "nines_chain_faults_total{fault=\"lost\"} 1");
    fprintf (stderr, "blocked queue: our account of another's claim lost with the pool, sent again; "
             "ours accounted behind it\n");
    nines_chain_destroy (&c);
    nines_metrics_destroy (&m7);
    nines_store_destroy (&st);

    nines_sender_wipe (&s_tx);
    nines_chainkey_wipe (&key);
    nines_rpc_destroy (&s_rpc);
    for (int i = 0; i < s_nline; i++)
        free (s_line [i]);
    return t_done ("test_chain_faults");
}
