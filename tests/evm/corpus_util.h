/*  The differential corpus on anvil, for the tests that replay it
    (test_anvil_claim.c, test_chain_link.c): the corpus's lines, its
    validators and pods, one evidence as the contract's reports and as
    src/wire's, and the registration of the corpus's registry. */
#ifndef NINES_TESTS_CORPUS_UTIL_H
#define NINES_TESTS_CORPUS_UTIL_H

#include "testutil.h"
#include "anvil_util.h"
#include "evm/chainreg.h"
#include "evm/evidence.h"
#include "evm/keccak.h"
#include "evm/staking.h"
#include <msgpack.h>

#define MAX_LINES 512

static nines_rpc_t *s_rpc;
static nines_sender_t s_tx;
static uint8_t s_staking [20];
static char *s_line [MAX_LINES];
static int s_nline;
static uint8_t s_ids [16][32], s_pods [8][32];
static uint64_t s_stakes [16], s_pod_stake [8], s_paid [8];
static size_t s_nval, s_npod;

static void
s_hex (uint8_t *out, size_t n, const char *hex)
{
    CHECK (strlen (hex) >= 2 * n);
    char tmp [2 * NINES_VOTE_SIGNED_MAX + 1];
    snprintf (tmp, sizeof tmp, "%.*s", (int) (2 * n), hex);
    CHECK_RC (nines_unhex (out, n, tmp), 0);
}


/*  Mine an empty block at Unix second t: the next estimate sees it. */
static void
s_warp (uint64_t t_ms)
{
    CHECK_RC (t_anvil (s_rpc, "evm_mine", json_pack ("[I]", (json_int_t) (t_ms / 1000))), 0);
}

/*  One corpus evidence: its reports in bufs (votes' bodies owned here). */
typedef struct {
    uint64_t now_ms;
    char verdict [16], reason [32];
    nines_evm_report_buf_t rep [2];
    uint8_t body [2][NINES_REPORT_MAX_VOTES][NINES_VOTE_SIGNED_MAX];
    const nines_evm_report_t *up;
    nines_evidence_t ev;                /* the same as the project's types */
    nines_evm_report_buf_t conv [2];    /* ev as the contract's, from the chain's registry */
    const nines_evm_report_t *cup;
} ev_t;



/*  A corpus report (registry-order committee) as src/wire's report
    (nines_evm_report_wire, which reads each vote's signer). */
static void
s_wire_report (const nines_evm_report_t *r, nines_report_t *out)
{
    CHECK_RC (nines_evm_report_wire (r, out), 0);
}

/*  The nth evidence of the corpus whose ledger reason is reason into e
    (its reports as the contract's, registry-order committees).  0 or -1
    (none). */
static int
s_find_ev (const char *reason, int nth, ev_t *e)
{
    memset (e, 0, sizeof *e);
    int seen = 0;
    for (int i = 0; i < s_nline; i++) {
        unsigned long long now;
        int has_up;
        if (sscanf (s_line [i], "E %llu %15s %31s %d", &now, e->verdict, e->reason, &has_up) != 4
        ||  strcmp (e->reason, reason) != 0 || seen++ != nth)
            continue;
        e->now_ms = now;
        int k = -1;
        for (int j = i + 1; j < s_nline && (s_line [j][0] == 'R' || s_line [j][0] == 'W'); j++) {
            char *f [8] = { 0 }, *save = NULL, *line = strdup (s_line [j]);
            int nf = 0;
            for (char *t = strtok_r (line, " ", &save); t && nf < 8; t = strtok_r (NULL, " ", &save))
                f [nf++] = t;
            if (f [0][0] == 'R' && nf == 7 && ++k < 2) {
                nines_evm_report_t *r = &e->rep [k].report;
                r->kind = (uint8_t) atoi (f [1]);
                memcpy (r->pod, s_pods [atoi (f [2])], 32);
                r->epoch = strtoull (f [3], NULL, 10);
                s_hex (r->round_id, 32, f [4]);
                r->t_ms = strtoull (f [5], NULL, 10);
                size_t n = 0;
                for (char *c = strtok_r (f [6], ",", &save); c && n < NINES_REPORT_MAX_VOTES; c = strtok_r (NULL, ",", &save))
                    e->rep [k].committee [n++] = (uint32_t) atoi (c);
                r->committee = e->rep [k].committee;
                r->n_committee = n;
                r->votes = e->rep [k].votes;
            } else if (f [0][0] == 'W' && nf == 5 && k >= 0 && k < 2) {
                nines_evm_report_t *r = &e->rep [k].report;
                nines_evm_vote_t *v = &e->rep [k].votes [r->n_votes];
                v->member = (uint8_t) atoi (f [1]);
                v->body_len = strlen (f [2]) / 2;
                CHECK (v->body_len <= NINES_VOTE_SIGNED_MAX);
                s_hex (e->body [k][r->n_votes], v->body_len, f [2]);
                v->body = e->body [k][r->n_votes];
                s_hex (v->r, 32, f [3]);
                s_hex (v->s, 32, f [4]);
                r->n_votes++;
            }
            free (line);
        }
        CHECK (k >= 0);
        e->up = k == 1 ? &e->rep [1].report : NULL;
        CHECK_EQ (e->up != NULL, has_up);
        return 0;
    }
    return -1;
}


/*  e's reports (as the contract's) as src/wire's into e->ev, with its pod
    and has_up. */
static inline void
t_wire_ev (ev_t *e)
{
    s_wire_report (&e->rep [0].report, &e->ev.down);
    memcpy (e->ev.pod, e->ev.down.pod, 32);
    e->ev.has_up = e->up != NULL;
    if (e->up)
        s_wire_report (e->up, &e->ev.up);
}

/*  Send calldata to the contract from s_tx with value units (gwei) and
    wait for its receipt (status 1). */
static inline void
t_send_wait (const nines_buf_t *cd, uint64_t units)
{
    uint8_t value [32];
    nines_u256_from_u64 (value, units * 1000000000ull);
    nines_sent_t sent = { 0 };
    nines_receipt_t r;
    CHECK_RC (nines_sender_resync (&s_tx), 0);
    CHECK_RC (nines_sender_send (&s_tx, s_staking, cd->data, cd->len, value, 0, &sent), 0);
    CHECK_RC (nines_sender_wait (&s_tx, sent.hash, 10000, 10, &r), 0);
    nines_sent_free (&sent);
}

/*  Another validator's claim: the corpus's nth NINES_OK evidence claimed
    as contract validator index (its committees from the chain's registry
    read from block first) from s_tx with the 1000-unit bond, mined; its
    claimId into cid [32]. */
static inline void
t_claim_as (uint64_t first, int nth, uint32_t index, uint8_t cid [32])
{
    static ev_t e;
    static nines_evm_report_buf_t od, ou;
    CHECK_RC (s_find_ev ("NINES_OK", nth, &e), 0);
    t_wire_ev (&e);
    nines_registry_t *reg = NULL;
    uint32_t *rindex = NULL;
    CHECK_RC (nines_evm_registry_read (s_rpc, s_staking, first, e.ev.down.epoch, NULL, &reg, &rindex), 0);
    const nines_evm_report_t *up = NULL;
    nines_buf_t cd = { 0 };
    CHECK_RC (nines_evm_evidence_of (&od, &ou, &up, &e.ev, reg, rindex), 0);
    CHECK_RC (nines_evm_calldata_claim (&cd, index, &od.report, up), 0);
    t_send_wait (&cd, 1000);
    nines_evm_claim_id (cid, &od.report, up != NULL);
    nines_buf_free (&cd);
    nines_registry_destroy (&reg);
    free (rindex);
}

static void
s_load (const char *path)
{
    FILE *f = fopen (path, "r");
    CHECK (f != NULL);
    char *line = NULL;
    size_t cap = 0;
    while (f && getline (&line, &cap, f) > 0 && s_nline < MAX_LINES) {
        line [strcspn (line, "\n")] = 0;
        s_line [s_nline++] = strdup (line);
        char id [80];
        unsigned long long a, b, c;
        if (sscanf (line, "V %64s %llu", id, &a) == 2 && s_nval < 16) {
            s_hex (s_ids [s_nval], 32, id);
            s_stakes [s_nval++] = a;
        } else if (sscanf (line, "D %64s %llu %llu %llu", id, &a, &b, &c) == 4 && s_npod < 8) {
            s_hex (s_pods [s_npod], 32, id);
            s_pod_stake [s_npod] = b;
            s_paid [s_npod++] = c;
        }
    }
    free (line);
    if (f)
        fclose (f);
}


/*  The corpus's validators (in reverse id order: contract index 11 - i)
    and pods registered from s_tx, 16 transactions back to back (nonce
    tracking), then their receipts: *first the block before, *last the
    last one's. */
static void
t_register (uint64_t *first_p, uint64_t *last_p)
{
    nines_sent_t sent [24];
    size_t ns = 0;
    uint8_t value [32], pins [32];
    nines_keccak256 (pins, "pins", 4);
    uint64_t first = 0;
    CHECK_RC (nines_rpc_block_number (s_rpc, &first), 0);
    for (size_t i = 0; i < s_nval + s_npod; i++) {
        nines_buf_t data = { 0 };
        if (i < s_nval) {                       /* in reverse: contract index 11 - i */
            nines_evm_calldata_register_validator (&data, s_ids [s_nval - 1 - i]);
            nines_u256_from_u64 (value, s_stakes [s_nval - 1 - i] * 1000000000ull);
        } else {
            size_t p = i - s_nval;
            nines_evm_calldata_register_pod (&data, s_pods [p], pins, s_paid [p]);
            nines_u256_from_u64 (value, s_pod_stake [p] * 1000000000ull);
        }
        memset (&sent [ns], 0, sizeof sent [ns]);
        CHECK_RC (nines_sender_send (&s_tx, s_staking, data.data, data.len, value, 400000, &sent [ns]), 0);
        CHECK_EQ (sent [ns].tx.nonce, i);
        ns++;
        nines_buf_free (&data);
    }
    nines_receipt_t r;
    uint64_t last = 0;
    for (size_t i = 0; i < ns; i++) {
        CHECK_RC (nines_sender_wait (&s_tx, sent [i].hash, 10000, 10, &r), 0);
        last = r.block_number;
        nines_sent_free (&sent [i]);
    }
    *first_p = first;
    *last_p = last;
}

#endif
