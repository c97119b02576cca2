/*  nines-sim run on a local EVM chain: what the chain says.  Its logs are
    read every half second of the timeline: claims (Claimed; the gas of
    each claim, finalize and account transaction from its receipt),
    proofs (Challenged: a voided claim), and the incidents as the contract
    accounts them (Incident), which stand in for nines-ledger's incident
    stream.  After the timeline, until every claim is accounted or voided
    (at most a challenge window and 20 s more), then podInfo(pod).slashed,
    owed() of every validator, and the reference computation.

    The reference is nines-ledger's own code (src/ledger) run in-process
    on the same reports: ninesd on the chain talks to no nines-ledger, and
    the reports the contract slashed for are exactly the claims' calldata,
    so each claim is decoded (src/evm/calldata.c), turned back into nines
    evidence (src/wire) and submitted to a fresh ledger whose genesis is
    the chain's registry once the registrations are in force, at its
    block's time; the ledger is then ticked a day on (past every
    correlated-outage window) and its `incidents` and `pods` answers give
    the slashes to compare. */
#include "run_chain.h"
#include "base/error.h"
#include "client/ledger_client.h"
#include "client/ops.h"
#include "evm/abi.h"
#include "evm/calldata.h"
#include "evm/staking.h"
#include "evm/views.h"
#include "ledger/ledger.h"
#include <stdlib.h>
#include <string.h>

enum { T_CLAIMED, T_CHALLENGED, T_FINALIZED, T_ACCOUNTED, T_INCIDENT, T_COUNT };

static long
s_pod_index (sim_run_t *run, const uint8_t id [32])
{
    for (uint32_t i = 0; i < run->sc->pods; i++)
        if (memcmp (run->p [i].id, id, 32) == 0)
            return i;
    return -1;
}

static sim_claim_t *
s_claim (sim_chain_t *c, const uint8_t id [32])
{
    for (size_t i = 0; i < c->n_claims; i++)
        if (memcmp (c->claims [i].id, id, 32) == 0)
            return &c->claims [i];
    return NULL;
}

/*  Gas used by transaction hash (0 when its receipt cannot be read). */
static uint64_t
s_gas (sim_chain_t *c, const uint8_t hash [32])
{
    nines_receipt_t r;
    return nines_rpc_receipt (c->rpc, hash, &r) ? 0 : r.gas_used;
}

static uint64_t
s_word (const nines_log_t *l, size_t i)
{
    uint64_t v = 0;
    return nines_abi_get_uint (l->data, l->data_len, i, &v) ? 0 : v;
}

static void
s_on_claimed (sim_run_t *run, const nines_log_t *l)
{
    sim_chain_t *c = run->chain;
    if (s_claim (c, l->topics [1]))
        return;
    sim_claim_t *grown = realloc (c->claims, (c->n_claims + 1) * sizeof *grown);
    if (!grown)
        return;
    c->claims = grown;
    sim_claim_t *cl = &c->claims [c->n_claims++];
    memset (cl, 0, sizeof *cl);
    memcpy (cl->id, l->topics [1], 32);
    memcpy (cl->tx, l->tx_hash, 32);
    cl->block = l->block_number;
    cl->pod = s_pod_index (run, l->topics [2]);
    cl->claimant = (uint32_t) s_word (l, 0);
    cl->t_down = s_word (l, 1);
    cl->t_up = s_word (l, 3) ? s_word (l, 2) : 0;
    cl->gas_claim = s_gas (c, l->tx_hash);
    cl->seen = (uint64_t) zclock_time ();
    run->obs.claims++;
    char when [64] = "";
    if (run->obs.t0)
        snprintf (when, sizeof when, ", DOWN at %.1fs", run_rel (run, cl->t_down));
    if (run->obs.t0 && cl->t_up)
        snprintf (when + strlen (when), sizeof when - strlen (when), ", UP at %.1fs", run_rel (run, cl->t_up));
    run_say (run, "CLAIM by validator %u: pod %ld%s%s (%llu gas)", cl->claimant, cl->pod, when,
             cl->t_up ? "" : ", open", (unsigned long long) cl->gas_claim);
}

static void
s_on_claim_step (sim_run_t *run, const nines_log_t *l, int topic)
{
    sim_chain_t *c = run->chain;
    sim_claim_t *cl = s_claim (c, l->topics [1]);
    if (!cl)
        return;
    if (topic == T_CHALLENGED && !cl->voided) {
        cl->voided = true;
        run->obs.voided++;
        run->obs.gas_challenge += s_gas (c, l->tx_hash);
        run_say (run, "CHALLENGED: validator %u's claim on pod %ld proven forged (fraud kind %llu): voided",
                 cl->claimant, cl->pod, (unsigned long long) s_word (l, 1));
    }
    else
    if (topic == T_FINALIZED && !cl->finalized) {
        cl->finalized = true;
        cl->finalized_seen = (uint64_t) zclock_time ();
        cl->gas_finalize = s_gas (c, l->tx_hash);
        run_say (run, "FINALIZED: claim on pod %ld (%llu gas)", cl->pod, (unsigned long long) cl->gas_finalize);
    }
    else
    if (topic == T_ACCOUNTED && !cl->accounted) {
        cl->accounted = true;
        memcpy (cl->account_tx, l->tx_hash, 32);
        cl->gas_account = s_gas (c, l->tx_hash);
        run_say (run, "ACCOUNTED: claim on pod %ld (%llu gas)", cl->pod, (unsigned long long) cl->gas_account);
    }
}

static void
s_on_incident (sim_run_t *run, const nines_log_t *l)
{
    long pod = s_pod_index (run, l->topics [1]);
    uint64_t t_down = s_word (l, 0);
    bool is_new;
    sim_incident_t *inc = pod >= 0 && t_down ? sim_incident_get (&run->obs, (uint32_t) pod, t_down, &is_new) : NULL;
    if (!inc)
        return;
    uint64_t before = inc->slashed;
    /*  Logged by a settle (no account in its transaction): its gas. */
    bool by_account = false;
    for (size_t i = 0; i < run->chain->n_claims && !by_account; i++)
        by_account = memcmp (run->chain->claims [i].account_tx, l->tx_hash, 32) == 0;
    if (!by_account)
        inc->gas_settle += s_gas (run->chain, l->tx_hash);
    inc->t_up = s_word (l, 1);
    inc->downtime_ms = s_word (l, 2);
    inc->slashed = s_word (l, 4);
    inc->correlated = s_word (l, 5) != 0;
    inc->open = s_word (l, 6) != 0;
    /*  Settled: closed, and its last payment seen (a settle after the
        correlated-outage window pays later than the account). */
    if (!inc->open && (!inc->settled || inc->slashed != before))
        inc->settled = (uint64_t) zclock_time ();
    if (inc->open)
        run_say (run, "INCIDENT pod %ld on the chain: down since %.1fs, slashed %llu so far", pod,
                 run_rel (run, inc->t_down), (unsigned long long) inc->slashed);
    else
        run_say (run, "INCIDENT pod %ld closed on the chain: [%.1fs, %.1fs), downtime %.1fs, slashed %llu%s",
                 pod, run_rel (run, inc->t_down), run_rel (run, inc->t_up), inc->downtime_ms / 1000.0,
                 (unsigned long long) inc->slashed, inc->correlated ? ", correlated" : "");
}

void
run_chain_poll (sim_run_t *run)
{
    sim_chain_t *c = run->chain;
    static const char *const sigs [T_COUNT] = { NINES_EVM_EV_CLAIMED, NINES_EVM_EV_CHALLENGED,
        NINES_EVM_EV_FINALIZED, NINES_EVM_EV_ACCOUNTED,
        "Incident(bytes32,uint64,uint64,uint64,uint64,uint64,bool,bool)" };
    uint8_t topics [T_COUNT][32];
    for (int i = 0; i < T_COUNT; i++)
        nines_evm_topic (topics [i], sigs [i]);
    if (!c->next_block)
        c->next_block = c->start_block;
    uint64_t head = 0;
    nines_log_t *logs = NULL;
    size_t n = 0;
    int rc = nines_rpc_block_number (c->rpc, &head);
    if (!rc && head < c->next_block)
        return;
    if (!rc)
        rc = nines_rpc_get_logs (c->rpc, c->contract, c->next_block, head, topics, T_COUNT, &logs, &n);
    if (rc) {
        run_say (run, "warning: reading the chain's logs: %s (%s)", nines_strerror (rc), nines_rpc_message (c->rpc));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int t = 0;
        while (t < T_COUNT && memcmp (logs [i].topics [0], topics [t], 32))
            t++;
        if (logs [i].removed || logs [i].n_topics < 2)
            continue;
        if (t == T_CLAIMED && logs [i].n_topics >= 3)
            s_on_claimed (run, &logs [i]);
        else
        if (t == T_INCIDENT)
            s_on_incident (run, &logs [i]);
        else
        if (t < T_COUNT)
            s_on_claim_step (run, &logs [i], t);
    }
    nines_rpc_logs_free (logs, n);
    c->next_block = head + 1;
}

/*  Claims not yet accounted nor voided, or whose correlated-outage and
    challenge windows after their DOWN have not both passed at chain time
    head_ms (2 s to spare): the contract pays a slash at the account
    after them, else at the settle ninesd sends then (and only then logs
    the Incident). */
static size_t
s_unsettled (const sim_run_t *run, uint64_t head_ms)
{
    const sim_chain_t *c = run->chain;
    size_t n = 0;
    for (size_t i = 0; i < c->n_claims; i++) {
        const sim_claim_t *cl = &c->claims [i];
        n += !cl->voided && (!cl->accounted
          || head_ms < cl->t_down + c->params.corr_window_ms + run->sc->challenge_window_ms + 2000);
    }
    return n;
}

/*  The latest block's time, ms (0 when unknown). */
static uint64_t
s_head_ms (sim_chain_t *c)
{
    uint64_t head = 0, t = 0;
    uint8_t h [32];
    return nines_rpc_block_number (c->rpc, &head) || nines_rpc_block_hash (c->rpc, head, h, &t) ? 0 : t * 1000;
}

/*  A `rows` reply's rows (NULL when none). */
static const msgpack_object *
s_rows (const msgpack_unpacked *u)
{
    const msgpack_object *rows = nines_map_get (&u->data, "rows");
    return rows && rows->type == MSGPACK_OBJECT_ARRAY ? rows : NULL;
}

/*  Query op of ledger l at now into *u (a `rows` reply).  0 or a code. */
static int
s_query (nines_ledger_t *l, const char *op, uint64_t now, msgpack_unpacked *u, uint8_t **reply)
{
    uint8_t *req = NULL;
    size_t len = 0, rlen = 0, off = 0;
    int rc = nines_ledger_req_simple (op, NULL, &req, &len);
    if (!rc)
        rc = nines_ledger_handle (l, req, len, now, reply, &rlen);
    free (req);
    if (!rc && msgpack_unpack_next (u, (const char *) *reply, rlen, &off) != MSGPACK_UNPACK_SUCCESS)
        rc = NINES_EMALFORMED;
    return rc;
}

/*  Claim cl's evidence, from its calldata, submitted to l.  Its verdict
    ("accepted", "rejected", ...) into verdict; *at its block's time. */
static int
s_ref_submit (sim_run_t *run, nines_ledger_t *l, const sim_claim_t *cl, nines_evidence_t *ev,
              char *verdict, size_t vsize, uint64_t *at)
{
    sim_chain_t *c = run->chain;
    static nines_evm_report_buf_t down, upb;
    const nines_evm_report_t *up = NULL;
    nines_buf_t input = { 0 };
    uint32_t claimant = 0;
    uint8_t h [32];
    uint64_t t = 0;
    int rc = nines_rpc_tx_input (c->rpc, cl->tx, &input, NULL, NULL);
    if (!rc) rc = nines_evm_decode_claim (input.data, input.len, &claimant, &down, &upb, &up);
    memset (ev, 0, sizeof *ev);
    if (!rc) rc = nines_evm_report_wire (&down.report, &ev->down);
    if (!rc && up) rc = nines_evm_report_wire (up, &ev->up);
    if (!rc) rc = nines_rpc_block_hash (c->rpc, cl->block, h, &t);
    uint8_t *req = NULL, *reply = NULL;
    size_t len = 0, rlen = 0;
    if (!rc) {
        memcpy (ev->pod, ev->down.pod, 32);
        ev->has_up = up != NULL;
        /*  The block's second ends after the reports it carries. */
        *at = t * 1000 + 999;
        rc = claimant < run->sc->validators
           ? nines_ledger_req_submit_evidence (ev, run->v [claimant].kp.pk, &req, &len) : NINES_EMALFORMED;
    }
    if (!rc) rc = nines_ledger_handle (l, req, len, *at, &reply, &rlen);
    uint8_t id [32];
    char reason [96] = "";
    if (!rc && nines_ledger_parse_ack (reply, rlen, id, verdict, vsize, reason, sizeof reason))
        snprintf (verdict, vsize, "refused");
    if (!rc && strcmp (verdict, "accepted"))
        run_say (run, "reference nines-ledger: claim on pod %ld %s (%s)", cl->pod, verdict, reason);
    nines_ledger_tick (l, *at);
    free (req);
    free (reply);
    nines_buf_free (&input);
    return rc;
}

/*  nines-ledger's slashes for the claims' reports into obs. */
static void
s_reference (sim_run_t *run)
{
    sim_chain_t *c = run->chain;
    sim_observed_t *obs = &run->obs;
    char dir [SIM_PATH_MAX], err [256] = "";
    snprintf (dir, sizeof dir, "%s/reference-ledger", run->dir);
    nines_keypair_t lk;
    run_key (run, "reference-ledger", 0, &lk);
    nines_ledger_t *l = c->genesis ? nines_ledger_open (dir, c->genesis, &lk, err, sizeof err) : NULL;
    nines_evidence_t *ev = malloc (sizeof *ev);
    if (!l || !ev) {
        run_say (run, "warning: no reference nines-ledger (%s)", err [0] ? err : "no chain registry");
        free (ev);
        nines_ledger_destroy (&l);
        return;
    }
    uint64_t end = 0;
    int rc = 0;
    for (size_t i = 0; i < c->n_claims && !rc; i++) {
        char verdict [32] = "";
        uint64_t at = 0;
        if ((rc = s_ref_submit (run, l, &c->claims [i], ev, verdict, sizeof verdict, &at)))
            run_say (run, "warning: reference nines-ledger: claim %zu: %s", i, nines_strerror (rc));
        end = at > end ? at : end;
    }
    free (ev);
    end += 86400000;
    nines_ledger_tick (l, end);
    msgpack_unpacked u;
    uint8_t *reply = NULL;
    msgpack_unpacked_init (&u);
    if (!rc && !(rc = s_query (l, NINES_LEDGER_OP_INCIDENTS, end, &u, &reply))) {
        const msgpack_object *rows = s_rows (&u);
        for (uint32_t i = 0; rows && i < rows->via.array.size; i++) {
            const msgpack_object *r = &rows->via.array.ptr [i];
            uint8_t pod [32];
            long p = run_get_id (r, "pod", pod) ? s_pod_index (run, pod) : -1;
            uint64_t t_down = run_get_u64 (r, "t_down");
            sim_incident_t *inc = NULL;
            for (size_t k = 0; p >= 0 && k < obs->n_incidents && !inc; k++)
                if (obs->incidents [k].pod == (uint32_t) p && obs->incidents [k].t_down == t_down)
                    inc = &obs->incidents [k];
            if (inc) {
                inc->have_ref = true;
                inc->ref_slashed = run_get_u64 (r, "slashed");
            }
            else
                run_say (run, "reference nines-ledger: incident of pod %ld at %.1fs, slashed %llu, is not "
                         "on the chain", p, run_rel (run, t_down), (unsigned long long) run_get_u64 (r, "slashed"));
        }
    }
    msgpack_unpacked_destroy (&u);
    free (reply);
    reply = NULL;
    msgpack_unpacked_init (&u);
    if (!rc && !(rc = s_query (l, NINES_LEDGER_OP_PODS, end, &u, &reply))) {
        const msgpack_object *rows = s_rows (&u);
        for (uint32_t i = 0; rows && i < rows->via.array.size; i++) {
            uint8_t pod [32];
            long p = run_get_id (&rows->via.array.ptr [i], "pod", pod) ? s_pod_index (run, pod) : -1;
            if (p >= 0)
                obs->ref_slashed [p] = run_get_u64 (&rows->via.array.ptr [i], "slashed");
        }
        obs->have_ref = true;
    }
    msgpack_unpacked_destroy (&u);
    free (reply);
    nines_ledger_destroy (&l);
    nines_keypair_wipe (&lk);
}

void
run_chain_final (sim_run_t *run)
{
    const nines_scenario_t *sc = run->sc;
    sim_chain_t *c = run->chain;
    sim_observed_t *obs = &run->obs;
    run_chain_poll (run);
    uint64_t wait = c->params.corr_window_ms + sc->challenge_window_ms + 20000;
    int64_t until = zclock_mono () + (int64_t) wait;
    size_t left = s_unsettled (run, s_head_ms (c));
    if (left)
        run_say (run, "waiting for %zu claim(s) or incident(s) to settle on the chain (at most %.0fs)", left,
                 wait / 1000.0);
    while (left && !run_interrupted && zclock_mono () < until) {
        zclock_sleep (500);
        run_chain_poll (run);
        left = s_unsettled (run, s_head_ms (c));
    }
    obs->t_end = (uint64_t) zclock_time ();
    obs->pod_slashed = calloc (sc->pods, sizeof *obs->pod_slashed);
    obs->ref_slashed = calloc (sc->pods, sizeof *obs->ref_slashed);
    if (!obs->pod_slashed || !obs->ref_slashed)
        return;
    nines_buf_t out = { 0 };
    for (uint32_t i = 0; i < sc->pods; i++) {
        nines_abi_t a = nines_abi_word (run->p [i].id);
        if (!nines_evm_view (c->rpc, c->contract, "podInfo(bytes32)", &a, 1, &out))
            nines_abi_get_uint (out.data, out.len, 2, &obs->pod_slashed [i]);
    }
    nines_buf_free (&out);
    for (uint32_t i = 0; i < sc->validators; i++) {
        nines_abi_t a = nines_abi_address (c->vkeys [i].address);
        uint64_t wei = 0;
        if (!nines_evm_view_uint (c->rpc, c->contract, "owed(address)", &a, 1, &wei))
            obs->challenge_paid += wei / SIM_WEI_PER_UNIT;
    }
    /*  Each incident's claims: its pod's not voided, from its DOWN on
        (up to its UP when closed). */
    for (size_t i = 0; i < obs->n_incidents; i++) {
        sim_incident_t *inc = &obs->incidents [i];
        for (size_t k = 0; k < c->n_claims; k++) {
            const sim_claim_t *cl = &c->claims [k];
            if (cl->voided || cl->pod != (long) inc->pod || cl->t_down < inc->t_down
            ||  (!inc->open && inc->t_up && cl->t_down >= inc->t_up))
                continue;
            inc->claims++;
            if (cl->seen < inc->first_seen)
                inc->first_seen = cl->seen;
            if (cl->t_up && cl->t_up == inc->t_up)
                inc->finalized = cl->finalized_seen;
            inc->gas_claim += cl->gas_claim;
            inc->gas_finalize += cl->gas_finalize;
            inc->gas_account += cl->gas_account;
        }
        for (size_t k = 0; k < obs->n_ups; k++)
            if (obs->ups [k].pod == inc->pod && obs->ups [k].t_ms == inc->t_up && !inc->up_seen)
                inc->up_seen = obs->ups [k].seen;
    }
    s_reference (run);
}
