/*  Watching (issue 17 item 2, src/node/chain_watch.c) on anvil: ninesd's
    chain links, one of them the forging adversary (evm/adversary,
    src/node/chain_forge.c), two honest watchers.

    Five validators (the adversary's 16,000,000 units, weight 4000; the
    others 1,000,000, weight 1000), committee 3, theta 2/3: with the
    adversary in a committee its own vote (4000 of 6000) misses quorum by
    one vote, so its claim carries exactly one forged vote.

    1. forge-down: the adversary claims a DOWN with its own vote and one
       forged.  Automine off: watcher 1 finds the bad signature and sends
       challengeSignature into the pool; watcher 2 finds it too, re-reads
       the claim at the pending block and backs off without a
       transaction (its nonce unchanged).  Mined: the claim is Voided,
       watcher 1's owed() rose by exactly bond + 10 % of the adversary's
       stake (1,000 + 1,600,000 units), watcher 2's is 0, the Challenged
       log names watcher 1 and fraud kind 1, the pod's slashed amount is
       0, and after the challenge window the claim cannot be finalized.
    2. forge-committee: the adversary, outside the true committee of a
       pod, claims with itself in place of the last-ranked member;
       watcher 2 proves it with challengeCommittee (fraud kind 2) and is
       owed bond + 10 % of the adversary's reduced stake (1,000 +
       1,440,000); watcher 1, which sees the claim voided, sends nothing.
    3. with ANVIL_FAULTS_SH (anvil_faults.sh watch): forge-down again,
       watcher 1's challenge in the pool when anvil is stopped; started
       again from its state, the claim still pending, watcher 1 finds its
       challenge gone and sends it again: the claim is Voided.  (Before,
       the challenge counted as never mined once the window passed and
       the forged claim could be finalized.)

    usage: test_chain_watch RPC_URL STAKING_ADDRESS DIR [ANVIL_FAULTS_SH] */
#include "testutil.h"
#include "anvil_util.h"
#include "node/chain_link.h"
#include "evm/abi.h"
#include "evm/staking.h"
#include "crypto/crypto.h"
#include <time.h>
#include <unistd.h>

#define UNIT 1000000000ull              /* wei per base unit */
#define BOND 1000ull
#define N_VAL 5

static nines_rpc_t *s_rpc;
static const char *s_url;
static uint8_t s_staking [20];
static const char *const s_dbs [] = { "outbox", "evidence", NINES_CHAIN_DB, NINES_WATCH_DB, NULL };

/*  Send and wait for the receipt; value in base units. */
static void
s_tx (nines_sender_t *s, const nines_buf_t *data, uint64_t units)
{
    uint8_t value [32];
    nines_u256_from_u64 (value, units * UNIT);
    nines_sent_t sent = { 0 };
    nines_receipt_t r;
    int rc = nines_sender_send (s, s_staking, data->data, data->len, value, 0, &sent);
    if (!rc)
        rc = nines_sender_wait (s, sent.hash, 10000, 10, &r);
    if (rc)
        fprintf (stderr, "tx: %s (%s %s)\n", nines_errname (rc), nines_rpc_message (s_rpc), nines_rpc_errdata (s_rpc));
    CHECK_RC (rc, 0);
    nines_sent_free (&sent);
}

/*  Word `word` of view sig(arg) as an integer. */
static uint64_t
s_view_u64 (const char *sig, nines_abi_t arg, size_t word)
{
    nines_buf_t data = { 0 }, out = { 0 };
    CHECK_RC (nines_abi_call (&data, sig, &arg, 1), 0);
    nines_rpc_msg_t m = { .to = s_staking, .data = data.data, .data_len = data.len };
    uint64_t v = UINT64_MAX;
    CHECK_RC (nines_rpc_eth_call (s_rpc, &m, "latest", &out), 0);
    CHECK_RC (nines_abi_get_uint (out.data, out.len, word, &v), 0);
    nines_buf_free (&data);
    nines_buf_free (&out);
    return v;
}

#define s_status(claim) s_view_u64 ("claimStatus(bytes32)", nines_abi_word (claim), 0)
#define s_owed(address) s_view_u64 ("owed(address)", nines_abi_address (address), 0)
#define s_slashed(pod) s_view_u64 ("podInfo(bytes32)", nines_abi_word (pod), 2)   /* .slashed */

static uint64_t
s_nonce (const uint8_t address [20])
{
    uint64_t n = 0;
    CHECK_RC (nines_rpc_nonce (s_rpc, address, "pending", &n), 0);
    return n;
}

/*  Chain time: the latest block's, ms. */
static uint64_t
s_chain_ms (void)
{
    uint64_t head = 0, t = 0;
    uint8_t h [32];
    CHECK_RC (nines_rpc_block_number (s_rpc, &head), 0);
    CHECK_RC (nines_rpc_block_hash (s_rpc, head, h, &t), 0);
    return t * 1000;
}

static void
s_mine_at (uint64_t t_ms)
{
    CHECK_RC (t_anvil (s_rpc, "evm_mine", json_pack ("[I]", (json_int_t) (t_ms / 1000))), 0);
}

typedef struct {
    nines_chainkey_t key;
    nines_sender_t tx;
    nines_keypair_t kp;
    nines_store_t *store;
    nines_chain_t *link;
    char dir [400];
} node_t;

/*  A node: a funded chain key saved under dir/name.key, an Ed25519 key from
    seed byte, a store under dir/name. */
static void
s_node (node_t *n, const char *dir, const char *name, uint8_t seed)
{
    memset (n, 0, sizeof *n);
    CHECK_RC (t_funded_sender (s_rpc, &n->key, &n->tx), 0);
    uint8_t sd [NINES_SEED_BYTES];
    memset (sd, seed, sizeof sd);
    CHECK_RC (nines_keypair_from_seed (&n->kp, sd), 0);
    snprintf (n->dir, sizeof n->dir, "%s/%s", dir, name);
}

static void
s_link (node_t *n, int adversary)
{
    nines_chain_config_t cfg = { .confirmations = 1, .poll_ms = 1000, .rpc_timeout_ms = 10000,
                                 .adversary = adversary, .adversary_key = adversary ? &n->kp : NULL };
    snprintf (cfg.rpc, sizeof cfg.rpc, "%s", s_url);
    memcpy (cfg.contract, s_staking, 20);
    snprintf (cfg.chain_key, sizeof cfg.chain_key, "%s.key", n->dir);
    unlink (cfg.chain_key);
    CHECK_RC (nines_chainkey_save (cfg.chain_key, &n->key), 0);
    if (!n->store)
        CHECK_RC (nines_store_open (&n->store, n->dir, 0, s_dbs), 0);
    char err [256] = "";
    int code = 0;
    n->link = nines_chain_new (&cfg, n->store, n->kp.pk, NULL, NULL, NULL, err, sizeof err, &code);
    if (!n->link)
        fprintf (stderr, "nines_chain_new: %s\n", err);
    CHECK (n->link != NULL);
}

static void
s_watch_stats (const node_t *n, nines_watch_stats_t *w, nines_forge_t *f)
{
    nines_chain_watch_stats (n->link, w, f);
}

/*  Poll the adversary, one epoch later each time, until its claim is
    sent (a pod whose committee fits).  Returns the claim's forge state. */
static void
s_forge (node_t *adv, nines_forge_t *f)
{
    nines_watch_stats_t w;
    for (int i = 0; i < 30; i++) {
        CHECK_RC (nines_chain_poll (adv->link, NULL), 0);
        s_watch_stats (adv, &w, f);
        if (f->sent) {
            nines_receipt_t r;              /* mined (automine answers before it is) */
            CHECK_RC (nines_sender_wait (&adv->tx, f->tx, 10000, 10, &r), 0);
            return;
        }
        if (f->done)
            return;
        s_mine_at (s_chain_ms () + 10000);
    }
}

/*  The Challenged log of claim: *fraud, the challenger's address [20]. */
static void
s_challenged (const uint8_t claim [32], uint64_t *fraud, uint8_t challenger [20], uint64_t *cut)
{
    uint8_t topic [32];
    nines_evm_topic (topic, NINES_EVM_EV_CHALLENGED);
    uint64_t head = 0;
    CHECK_RC (nines_rpc_block_number (s_rpc, &head), 0);
    nines_log_t *logs = NULL;
    size_t n = 0, found = 0;
    CHECK_RC (nines_rpc_get_logs (s_rpc, s_staking, 0, head, &topic, 1, &logs, &n), 0);
    for (size_t i = 0; i < n; i++) {
        if (memcmp (logs [i].topics [1], claim, 32))
            continue;
        found++;
        uint8_t w [32];
        CHECK_RC (nines_abi_get_word (logs [i].data, logs [i].data_len, 0, w), 0);
        memcpy (challenger, w + 12, 20);
        CHECK_RC (nines_abi_get_uint (logs [i].data, logs [i].data_len, 1, fraud), 0);
        CHECK_RC (nines_abi_get_uint (logs [i].data, logs [i].data_len, 3, cut), 0);
    }
    CHECK_EQ (found, 1);
    nines_rpc_logs_free (logs, n);
}

int
main (int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf (stderr, "usage: test_chain_watch RPC_URL STAKING_ADDRESS DIR [ANVIL_FAULTS_SH]\n");
        return 2;
    }
    s_url = argv [1];
    s_rpc = nines_rpc_new (argv [1], 10000);
    CHECK_RC (nines_evm_parse_address (s_staking, argv [2]), 0);
    nines_chainkey_t tkey;
    nines_sender_t ttx;
    CHECK_RC (t_funded_sender (s_rpc, &tkey, &ttx), 0);

    /* five validators: the adversary and the watchers own theirs */
    static node_t adv, w1, w2;
    s_node (&adv, argv [3], "adversary", 1);
    s_node (&w1, argv [3], "watcher1", 2);
    s_node (&w2, argv [3], "watcher2", 3);
    nines_keypair_t others [2];
    static const uint64_t stake [N_VAL] = { 16000000, 1000000, 1000000, 1000000, 1000000 };
    nines_buf_t data = { 0 };
    for (int i = 0; i < N_VAL; i++) {
        nines_keypair_t *kp = i == 0 ? &adv.kp : i == 1 ? &w1.kp : i == 2 ? &w2.kp : &others [i - 3];
        if (i >= 3) {
            uint8_t sd [NINES_SEED_BYTES];
            memset (sd, 10 + i, sizeof sd);
            CHECK_RC (nines_keypair_from_seed (kp, sd), 0);
        }
        CHECK_RC (nines_evm_calldata_register_validator (&data, kp->pk), 0);
        s_tx (i == 0 ? &adv.tx : i == 1 ? &w1.tx : i == 2 ? &w2.tx : &ttx, &data, stake [i]);
        nines_buf_free (&data);
    }
    /* three pods, up: nobody probes them */
    uint8_t pods [3][32], pins [32] = { 0 };
    for (int p = 0; p < 3; p++) {
        memset (pods [p], 0xa0 + p, 32);
        CHECK_RC (nines_evm_calldata_register_pod (&data, pods [p], pins, 0), 0);
        s_tx (&ttx, &data, 1000000);
        nines_buf_free (&data);
    }
    s_mine_at (s_chain_ms () + 20000);      /* the registrations in force (next epoch) */

    s_link (&adv, NINES_ADVERSARY_FORGE_DOWN);
    s_link (&w1, 0);
    s_link (&w2, 0);
    CHECK_RC (nines_chain_poll (w1.link, NULL), 0);     /* nothing yet */
    CHECK_RC (nines_chain_poll (w2.link, NULL), 0);

    /* 1. one forged vote */
    nines_forge_t f;
    nines_watch_stats_t s1, s2;
    uint64_t owed1 = s_owed (w1.key.address), owed2 = s_owed (w2.key.address);
    CHECK_EQ (owed1, 0);
    s_forge (&adv, &f);
    CHECK_EQ (f.sent, 1);
    CHECK_EQ (f.forged_votes, 1);
    struct timespec c0, c1;
    clock_gettime (CLOCK_MONOTONIC, &c0);
    CHECK_EQ (s_status (f.claim), 1);                   /* pending: the cheap checks passed */
    CHECK_RC (t_anvil (s_rpc, "evm_setAutomine", json_pack ("[b]", 0)), 0);
    uint64_t n2 = s_nonce (w2.key.address);
    CHECK_RC (nines_chain_poll (w1.link, NULL), 0);
    s_watch_stats (&w1, &s1, NULL);
    CHECK_EQ (s1.watched, 1);
    CHECK_EQ (s1.sent, 1);
    CHECK_RC (nines_chain_poll (w2.link, NULL), 0);    /* sees watcher 1's proof in the pool */
    s_watch_stats (&w2, &s2, NULL);
    CHECK_EQ (s2.watched, 1);
    CHECK_EQ (s2.sent, 0);
    CHECK_EQ (s2.backed_off, 1);
    CHECK_EQ (s_nonce (w2.key.address), n2);           /* no transaction */
    CHECK_RC (t_anvil (s_rpc, "evm_setAutomine", json_pack ("[b]", 1)), 0);
    CHECK_RC (t_anvil (s_rpc, "evm_mine", NULL), 0);
    CHECK_RC (nines_chain_poll (w1.link, NULL), 0);
    clock_gettime (CLOCK_MONOTONIC, &c1);
    s_watch_stats (&w1, &s1, NULL);
    CHECK_EQ (s1.won, 1);
    CHECK_EQ (s1.failed, 0);
    CHECK_EQ (s_status (f.claim), 3);                   /* Voided */
    CHECK_EQ (s_owed (w1.key.address) - owed1, (BOND + stake [0] / 10) * UNIT);
    CHECK_EQ (s_owed (w2.key.address) - owed2, 0);
    uint64_t fraud = 0, cut = 0;
    uint8_t who [20] = { 0 };
    s_challenged (f.claim, &fraud, who, &cut);
    CHECK_EQ (fraud, 1);
    CHECK_EQ (cut, stake [0] / 10);
    CHECK_MEM (who, w1.key.address, 20);
    CHECK_EQ (s_slashed (f.pod), 0);
    fprintf (stderr, "forge-down: claim voided by watcher 1's challengeSignature (%llu gas), %.1f ms from "
             "the claim to Voided (two polls); watcher 2 backed off\n",
             (unsigned long long) s1.gas_challenge,
             (double) (c1.tv_sec - c0.tv_sec) * 1e3 + (double) (c1.tv_nsec - c0.tv_nsec) / 1e6);
    /* after the window: nothing to finalize, nothing slashed */
    s_mine_at (s_chain_ms () + 61000);
    CHECK_RC (nines_evm_calldata_finalize (&data, f.claim), 0);
    nines_rpc_msg_t m = { .from = tkey.address, .to = s_staking, .data = data.data, .data_len = data.len };
    uint64_t gas = 0;
    CHECK_RC (nines_rpc_estimate_gas (s_rpc, &m, &gas), NINES_EREVERTED);
    nines_buf_free (&data);
    CHECK_RC (nines_chain_poll (w1.link, NULL), 0);
    CHECK_RC (nines_chain_poll (w2.link, NULL), 0);
    CHECK_EQ (s_slashed (f.pod), 0);
    s_watch_stats (&w2, &s2, NULL);
    CHECK_EQ (s2.failed, 0);

    /* 2. a signer outside the committee */
    nines_chain_destroy (&adv.link);
    s_link (&adv, NINES_ADVERSARY_FORGE_COMMITTEE);
    owed1 = s_owed (w1.key.address);
    owed2 = s_owed (w2.key.address);
    uint64_t n1 = s_nonce (w1.key.address);
    s_forge (&adv, &f);
    CHECK_EQ (f.sent, 1);
    CHECK_EQ (f.forged_votes, 1);
    CHECK_EQ (s_status (f.claim), 1);
    CHECK_RC (nines_chain_poll (w2.link, NULL), 0);
    CHECK_RC (nines_chain_poll (w1.link, NULL), 0);
    s_watch_stats (&w2, &s2, NULL);
    s_watch_stats (&w1, &s1, NULL);
    CHECK_EQ (s2.won, 1);
    CHECK_EQ (s2.failed, 0);
    CHECK_EQ (s1.sent, 1);                              /* case 1's only */
    CHECK_EQ (s_nonce (w1.key.address), n1);
    CHECK_EQ (s_status (f.claim), 3);
    s_challenged (f.claim, &fraud, who, &cut);
    CHECK_EQ (fraud, 2);
    CHECK_EQ (cut, (stake [0] - stake [0] / 10) / 10);
    CHECK_MEM (who, w2.key.address, 20);
    CHECK_EQ (s_owed (w2.key.address) - owed2, (BOND + (stake [0] - stake [0] / 10) / 10) * UNIT);
    CHECK_EQ (s_owed (w1.key.address) - owed1, 0);
    CHECK_EQ (s_slashed (f.pod), 0);
    fprintf (stderr, "forge-committee: claim voided by watcher 2's challengeCommittee (%llu gas)\n",
             (unsigned long long) s2.gas_challenge);

    /* 3. watcher 1's challenge lost with anvil's pool */
    if (argc == 5) {
        char cmd [1400];
        nines_chain_destroy (&adv.link);
        s_link (&adv, NINES_ADVERSARY_FORGE_DOWN);
        s_forge (&adv, &f);
        CHECK_EQ (f.sent, 1);
        CHECK_EQ (s_status (f.claim), 1);
        s_watch_stats (&w1, &s1, NULL);
        uint64_t sent1 = s1.sent, won1 = s1.won;
        CHECK_RC (t_anvil (s_rpc, "evm_setAutomine", json_pack ("[b]", 0)), 0);
        CHECK_RC (nines_chain_poll (w1.link, NULL), 0);
        s_watch_stats (&w1, &s1, NULL);
        CHECK_EQ (s1.sent, sent1 + 1);                  /* in the pool */
        snprintf (cmd, sizeof cmd, "'%s' --stop '%s' && '%s' --start '%s'", argv [4], argv [3], argv [4], argv [3]);
        CHECK_EQ (system (cmd), 0);
        CHECK_EQ (s_status (f.claim), 1);               /* still pending: the proof was lost */
        clock_gettime (CLOCK_MONOTONIC, &c0);
        for (int k = 0; k < 50 && s1.won == won1; k++) {
            CHECK_RC (nines_chain_poll (w1.link, NULL), 0);
            s_watch_stats (&w1, &s1, NULL);
            nanosleep (&(struct timespec) { 0, 20000000 }, NULL);
        }
        clock_gettime (CLOCK_MONOTONIC, &c1);
        nines_chain_stats_t cs;
        nines_chain_stats (w1.link, &cs);
        CHECK_EQ (s1.resent, 1);
        CHECK_EQ (s1.won, won1 + 1);
        CHECK_EQ (s1.failed, 0);
        CHECK_EQ (cs.lost, 1);
        CHECK_EQ (cs.resent, 1);
        CHECK_EQ (s_status (f.claim), 3);               /* Voided */
        if (s1.won == won1 + 1)         /* the figure only when it happened */
            fprintf (stderr, "restart: watcher 1's challenge lost with the pool, sent again, the claim voided "
                     "%.1f ms after anvil was back\n",
                     (double) (c1.tv_sec - c0.tv_sec) * 1e3 + (double) (c1.tv_nsec - c0.tv_nsec) / 1e6);
    }

    node_t *all [3] = { &adv, &w1, &w2 };
    for (int i = 0; i < 3; i++) {
        nines_chain_destroy (&all [i]->link);
        nines_store_destroy (&all [i]->store);
        nines_sender_wipe (&all [i]->tx);
    }
    nines_sender_wipe (&ttx);
    nines_rpc_destroy (&s_rpc);
    return t_done ("test_chain_watch");
}
