/*  ninesd: the event loop around the engine (see node.h).  This file holds
    the engine driver (actions out, peer frames and probe results in), the
    registry install, the object's life cycle and the loop.  It calls the
    other parts (peer.c, persist.c, ledger_link.c, query.c, metrics.c,
    events.c, config.c); they share node_state.h and never call back. */
#include "node/node_state.h"
#include "client/registry_file.h"
#include <malloc.h>
#include <string.h>

static const char *const s_dbs [] = { DB_REPORTS, DB_INCIDENTS, DB_OUTBOX, DB_EVIDENCE,
                                      DB_MEMBERS, DB_CLAIMS, NINES_WATCH_DB, NULL };

/*  The engine's isolation hook (nines_engine_hooks_t): the fault query's
    switch, so the engine and the prober see the same state. */
static bool
s_hook_isolated (void *arg)
{
    return ((nines_node_t *) arg)->isolated;
}

static void
s_on_report (nines_node_t *self, const nines_action_t *a)
{
    int rc = nines_store_put (self->store, DB_REPORTS, a->key, NINES_HASH_BYTES, a->data, a->len);
    if (rc)
        nines_error ("cannot store report: %s", nines_strerror (rc));
    node_store_incident (self, a);
    if (self->metrics)
        nines_metric_inc (self->m_reports, (const char *[]) { a->kind == NINES_REPORT_DOWN ? "down" : "up" }, 1);
    char pod [NINES_ID_HEX];
    nines_info ("%s report: pod %.16s epoch %" PRIu64 " t_ms %" PRIu64 " signers %u",
                a->kind == NINES_REPORT_DOWN ? "DOWN" : "UP", nines_hex (pod, a->pod, NINES_ID_BYTES),
                a->epoch, a->t_ms, (unsigned) a->signers);
    node_publish_report (self, a);
}

static void
s_on_submit (nines_node_t *self, const nines_action_t *a)
{
    /*  In the outbox first: on disk before the ledger can acknowledge it. */
    node_persist_evidence (self, a);
    int rc;
    if (self->chain) {
        if ((rc = nines_chain_submit (self->chain, a->key)))
            nines_error ("cannot queue evidence for a claim: %s", nines_strerror (rc));
        return;
    }
    if (!self->ledger) {
        nines_debug ("evidence waiting in the outbox: no ledger configured");
        return;
    }
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init_map (&sb, &pk, 3);
    nines_pack_kv_str (&pk, "op", NINES_LEDGER_OP_SUBMIT_EVIDENCE);
    nines_pack_kv_bin (&pk, "evidence", a->data, a->len);
    nines_pack_kv_bin (&pk, "from", self->kp.pk, NINES_ID_BYTES);
    if (zmq_send (zsock_resolve (self->ledger), sb.data, sb.size, ZMQ_DONTWAIT) < 0)
        nines_debug ("ledger send dropped: %s", zmq_strerror (zmq_errno ()));
    msgpack_sbuffer_destroy (&sb);
}

/*  Evidence settled on the chain (chain_link.c has moved it out of the
    outbox): the engine stops re-submitting it. */
static void
s_chain_ack (void *arg, const uint8_t id [32], const char *verdict)
{
    nines_node_t *self = (nines_node_t *) arg;
    nines_engine_on_ack (self->engine, id);
    if (self->metrics)
        nines_metric_inc (self->m_submitted, (const char *[]) { verdict }, 1);
}

/*  Doppelganger protection (core/engine.h): say when the listening after
    start ends, and once, loudly, when another instance with our key shows
    up (the engine then signs no vote and opens no round again). */
static void
s_doppelganger_log (nines_node_t *self)
{
    nines_engine_stats_t st;
    nines_engine_stats (self->engine, &st);
    if (self->dg_listening && !st.listening && !st.doppelganger)
        nines_info ("doppelganger protection: no vote signed with this key by another instance "
                    "in %u epochs: voting", self->cfg.engine.doppelganger_epochs);
    self->dg_listening = st.listening;
    if (st.doppelganger && !self->dg_detected) {
        self->dg_detected = true;
        char hex [NINES_ID_HEX];
        nines_error ("DOPPELGANGER: another instance runs with validator key %s (a vote signed with it "
                     "reached us that this process did not sign): this process votes in no round and "
                     "opens none until restarted; stop one of the two, then restart this one",
                     nines_hex (hex, self->kp.pk, NINES_ID_BYTES));
    }
}

/*  Start a heartbeat now; one that cannot start is a failed heartbeat
    to the engine (whose actions the caller drains). */
static void
s_probe_start (nines_node_t *self, uint64_t probe_id, const uint8_t pod_id [NINES_ID_BYTES],
               uint64_t timeout_ms)
{
    uint64_t now = node_now ();
    const nines_pod_t *rec = self->reg ? nines_registry_pod_rec (self->reg, pod_id) : NULL;
    int rc = NINES_EUNKNOWN;
    nines_pod_info_t pod;                 /* the full record for this heartbeat only */
    if (rec && !self->isolated) {
        nines_pod_expand (rec, &pod);
        rc = nines_prober_start (self->prober, &self->kp, &pod, probe_id,
                                 timeout_ms ? timeout_ms : self->reg->params.probe_timeout_ms, now);
    }
    if (rc) {
        if (!self->isolated) {
            char hex [NINES_ID_HEX];
            nines_warn ("pod %.16s: cannot probe: %s", nines_hex (hex, pod_id, NINES_ID_BYTES),
                        nines_strerror (rc));
        }
        nines_engine_on_probe_done (self->engine, probe_id,
                                    self->isolated ? NINES_OUTCOME_TIMEOUT : NINES_OUTCOME_HTTP,
                                    NULL, NULL, 0, now);
    }
}

/*  A heartbeat the engine asks for: started at once while fewer than
    cfg.prober.connections are in flight, else queued (56 bytes) behind
    the others, so a burst costs the prober no more than its connections. */
static void
s_probe (nines_node_t *self, uint64_t probe_id, const uint8_t pod [NINES_ID_BYTES], uint64_t timeout_ms)
{
    if (!self->wait_n && nines_prober_active (self->prober) < self->cfg.prober.connections) {
        s_probe_start (self, probe_id, pod, timeout_ms);
        return;
    }
    if (self->wait_n == self->wait_cap) {
        size_t cap = self->wait_cap ? 2 * self->wait_cap : 64;
        probe_wait_t *grown = (probe_wait_t *) malloc (cap * sizeof *grown);
        if (!grown) {
            s_probe_start (self, probe_id, pod, timeout_ms);
            return;
        }
        for (size_t i = 0; i < self->wait_n; i++)
            grown [i] = self->waiting [(self->wait_head + i) % self->wait_cap];
        free (self->waiting);
        self->waiting = grown;
        self->wait_cap = cap;
        self->wait_head = 0;
    }
    probe_wait_t *w = &self->waiting [(self->wait_head + self->wait_n++) % self->wait_cap];
    w->probe_id = probe_id;
    w->timeout_ms = timeout_ms;
    memcpy (w->pod, pod, NINES_ID_BYTES);
}

/*  Start queued heartbeats while the prober has room; true if any started
    (or failed to: the engine may have actions). */
static bool
s_probe_waiting (nines_node_t *self)
{
    bool any = false;
    nines_pace_item_t due;
    uint64_t now = node_now ();
    while (nines_pace_pop_due (&self->pace, now, &due)) {
        s_probe (self, due.probe_id, due.pod, due.timeout_ms);
        any = true;
    }
    while (self->wait_n && nines_prober_active (self->prober) < self->cfg.prober.connections) {
        probe_wait_t w = self->waiting [self->wait_head];
        self->wait_head = (self->wait_head + 1) % self->wait_cap;
        self->wait_n--;
        s_probe_start (self, w.probe_id, w.pod, w.timeout_ms);
        any = true;
    }
    if (!self->wait_n && self->wait_cap > 64) {
        free (self->waiting);       /* a burst's queue goes with it */
        self->waiting = NULL;
        self->wait_cap = self->wait_head = 0;
    }
    return any;
}

/*  Carry out every pending engine action. */
static void
s_drain (nines_node_t *self)
{
    nines_action_t a;
    while (nines_engine_next_action (self->engine, &a) || (s_probe_waiting (self)
           && nines_engine_next_action (self->engine, &a))) {
        switch (a.type) {
            case NINES_ACT_SEND:
                nines_peers_send (self->peers, a.peer, a.data, a.len, node_now ());
                break;
            case NINES_ACT_PROBE: {
                /* Handed over ahead of its instant: held until a.at. */
                nines_pace_item_t item = { .at = a.at, .probe_id = a.probe_id, .timeout_ms = a.timeout_ms };
                memcpy (item.pod, a.pod, NINES_ID_BYTES);
                if (a.at <= node_now () || nines_pace_push (&self->pace, &item))
                    s_probe (self, a.probe_id, a.pod, a.timeout_ms);
                break;
            }
            case NINES_ACT_REPORT:
                s_on_report (self, &a);
                break;
            case NINES_ACT_SUBMIT:
                s_on_submit (self, &a);
                break;
            case NINES_ACT_PERSIST:
                node_persist_evidence (self, &a);
                break;
            case NINES_ACT_MISBEHAVIOUR:
                nines_warn ("equivocation detected: a validator signed conflicting votes");
                break;
        }
        nines_action_clear (&a);
    }
    s_doppelganger_log (self);
}

/*  A peer frame the peers admitted: to the engine. */
static void
s_on_peer_frame (void *arg, const uint8_t *data, size_t len)
{
    nines_node_t *self = (nines_node_t *) arg;
    int rc = nines_engine_on_message (self->engine, data, len, node_now ());
    if (rc)
        nines_debug ("peer frame (%zu bytes) rejected: %s", len, nines_strerror (rc));
    s_drain (self);
}

/*  Install a new registry (owned): engine, peers, per-pod timings; restore
    the stored state at the first.  0, or NINES_EIO when the peer socket
    cannot bind (self->bind_error says why; the loop stops). */
static int
s_set_registry (nines_node_t *self, nines_registry_t *reg)
{
    nines_registry_t *old = self->reg;
    self->reg = reg;
    nines_engine_set_registry (self->engine, reg, node_now ());
    int rc = nines_peers_set_registry (self->peers, reg, self->bind_error, sizeof self->bind_error);
    nines_registry_destroy (&old);

    free (self->timings);
    self->timings = calloc (reg->n_pods + 1, sizeof *self->timings);

    const nines_validator_info_t *me = nines_registry_validator (reg, self->kp.pk);
    if (!me)
        nines_warn ("this validator is not in the registry (version %" PRIu64 "): it will not "
                    "be in any committee", reg->version);
    else
    if (strcmp (me->endpoint, self->cfg.peer))
        nines_warn ("registered endpoint %s differs from node/peer %s: peers will not reach us",
                    me->endpoint, self->cfg.peer);
    nines_info ("registry version %" PRIu64 ": %zu validators, %zu pods",
                reg->version, reg->n_validators, reg->n_pods);
    if (rc) {
        nines_error ("%s", self->bind_error);
        self->fatal = true;
    }
    /*  Parsing a large snapshot leaves freed heap behind (zconfig trees,
        msgpack zones): give it back so RSS tracks what is really held. */
    malloc_trim (0);
    /*  Stored reports rebuild incident state, which needs the pods: restore
        once the first registry is in (from the file, or from the ledger). */
    if (!self->restored) {
        self->restored = true;
        node_restore (self);
    }
    return rc;
}

static void
s_probe_done (const nines_probe_result_t *r, void *arg)
{
    nines_node_t *self = (nines_node_t *) arg;
    if (r->outcome == NINES_OUTCOME_OK)
        self->probe_ok++;
    node_metrics_probe (self, r);
    if (self->reg && self->timings) {
        long at = nines_registry_pod_index (self->reg, r->pod);
        if (at >= 0) {
            pod_timing_t *t = &self->timings [at];
            t->connect_us = (uint32_t) r->connect_us;
            t->tls_us = (uint32_t) r->tls_us;
            t->ttfb_us = (uint32_t) r->ttfb_us;
            t->total_us = (uint32_t) r->total_us;
            if (r->cert_not_after_ms)
                t->cert_not_after_ms = r->cert_not_after_ms;
            t->http_status = (uint16_t) r->http_status;
        }
    }
    if (r->outcome != NINES_OUTCOME_OK) {
        char hex [NINES_ID_HEX];
        nines_debug ("pod %.16s: heartbeat %s (curl %d, http %ld, %" PRIu64 " us)",
                     nines_hex (hex, r->pod, NINES_ID_BYTES), nines_outcome_name (r->outcome),
                     r->curl_code, r->http_status, r->total_us);
    }
    bool signed_resp = r->outcome == NINES_OUTCOME_OK || r->outcome == NINES_OUTCOME_APP_UNHEALTHY;
    nines_engine_on_probe_done (self->engine, r->probe_id, r->outcome,
                                signed_resp ? &r->resp : NULL, signed_resp ? r->nonce : NULL,
                                signed_resp ? r->req_t_ms : 0, node_now ());
}

/*  ---- life cycle ---- */

/*  A socket of type bound to endpoint, taking messages of at most max_msg
    bytes (-1: no bound, for inproc only).  libzmq reads ZMQ_MAXMSGSIZE
    when a connection is set up, so it is set before bind: set after, it
    is silently ignored (a 256 MiB query request once raised ninesd to
    558 MB).  NULL with a message in err. */
static zsock_t *
s_bind (int type, const char *endpoint, int64_t max_msg, char *err, size_t err_size, const char *what)
{
    zsock_t *s = zsock_new (type);
    if (!s) {
        snprintf (err, err_size, "cannot create the %s socket", what);
        return NULL;
    }
    zsock_set_linger (s, 0);
    zsock_set_maxmsgsize (s, (int) max_msg);
    if (zsock_bind (s, "%s", endpoint) < 0) {
        snprintf (err, err_size, "cannot bind the %s socket to %s: %s", what, endpoint,
                  zmq_strerror (zmq_errno ()));
        zsock_destroy (&s);
    }
    return s;
}

nines_node_t *
nines_node_new (const nines_node_config_t *config, char *err, size_t err_size, int *exit_code)
{
    *exit_code = 1;
    nines_node_t *self = (nines_node_t *) calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->cfg = *config;
    self->cfg.prober.user_agent = self->cfg.user_agent;
    self->started_ms = node_now ();
    self->ledger_was_up = -1;
    self->scratch = (nines_report_t *) calloc (1, sizeof *self->scratch);
    self->ev_scratch = (nines_evidence_t *) calloc (1, sizeof *self->ev_scratch);
    if (!self->scratch || !self->ev_scratch) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }

    int rc = nines_keyfile_load (self->cfg.key, &self->kp);
    if (rc) {
        snprintf (err, err_size, "node/key: %s: %s", self->cfg.key, nines_strerror (rc));
        *exit_code = 2;
        goto fail;
    }

    nines_registry_t *reg = NULL;
    if (!self->cfg.ledger [0]) {
        char rerr [512];
        reg = nines_registry_load (self->cfg.registry, rerr, sizeof rerr);
        if (!reg) {
            snprintf (err, err_size, "node/registry: %s", rerr);
            *exit_code = 2;
            goto fail;
        }
    }

    rc = nines_store_open (&self->store, self->cfg.data, self->cfg.map_size, s_dbs);
    if (rc == NINES_ELOCKED) {
        /*  Another ninesd runs on this directory: refuse, as a bad config. */
        snprintf (err, err_size, "node/data: %s is in use by process %ld (another ninesd?): refusing to start",
                  self->cfg.data, nines_store_lock_holder (self->cfg.data));
        *exit_code = 2;
        nines_registry_destroy (&reg);
        goto fail;
    }
    if (rc) {
        snprintf (err, err_size, "node/data: %s: cannot open the LMDB environment: %s",
                  self->cfg.data, nines_strerror (rc));
        nines_registry_destroy (&reg);
        goto fail;
    }

    uint8_t seed [32];
    nines_random (seed, sizeof seed);
    self->cfg.engine.hooks.arg = self;
    self->cfg.engine.hooks.isolated = s_hook_isolated;     /* `ninesctl fault --isolate` */
    self->cfg.engine.hooks.adversary = nines_adversary_of (self->cfg.behaviour);
    self->engine = nines_engine_new (&self->kp, seed, &self->cfg.engine);
    self->prober = nines_prober_new (&self->cfg.prober, s_probe_done, self);
    if (!self->engine || !self->prober) {
        snprintf (err, err_size, "cannot create the engine or the prober");
        nines_registry_destroy (&reg);
        goto fail;
    }

    /*  The ZAP handler (bound here) before any CURVE server accepts. */
    self->peers = nines_peers_new (&self->kp, self->cfg.peer, s_on_peer_frame, self, err, err_size);
    if (!self->peers) {
        nines_registry_destroy (&reg);
        goto fail;
    }
    if (reg && s_set_registry (self, reg)) {
        snprintf (err, err_size, "%s", self->bind_error);
        goto fail;
    }
    self->query = s_bind (ZMQ_ROUTER, self->cfg.query, NINES_QUERY_MAX, err, err_size, "query");
    if (!self->query)
        goto fail;
    self->pub = s_bind (ZMQ_PUB, self->cfg.pub, NINES_SUB_MSG_MAX, err, err_size, "pub");
    if (!self->pub)
        goto fail;
    if (self->cfg.metrics [0]) {
        char merr [256] = "";
        if (node_metrics_init (self)
         || !(self->metrics_http = nines_metrics_http_new (self->cfg.metrics, node_metrics_render, self,
                                                           merr, sizeof merr))) {
            snprintf (err, err_size, "node/metrics: %s", merr [0] ? merr : "cannot set up the metrics");
            *exit_code = 2;
            goto fail;
        }
    }
    if (self->cfg.evm.adversary) {
        self->cfg.evm.adversary_key = &self->kp;
        nines_warn ("evm/adversary = %s: this node will post a FORGED claim on the chain (tests and "
                    "nines-sim only; never on a real network)", nines_adversary_name (self->cfg.evm.adversary));
    }
    if (self->cfg.ledger_kind == NINES_LEDGER_EVM
    &&  !(self->chain = nines_chain_new (&self->cfg.evm, self->store, self->kp.pk, self->metrics,
                                         s_chain_ack, self, err, err_size, exit_code)))
        goto fail;
    if (self->cfg.ledger [0]) {
        self->ledger = zsock_new (ZMQ_DEALER);
        if (!self->ledger || zsock_connect (self->ledger, "%s", self->cfg.ledger) != 0) {
            snprintf (err, err_size, "node/ledger: cannot connect to %s", self->cfg.ledger);
            *exit_code = 2;
            goto fail;
        }
        zsock_set_linger (self->ledger, 0);
        node_ask_registry (self);
    }
    if (self->cfg.ledger_pub [0]) {
        self->ledger_sub = zsock_new (ZMQ_SUB);
        if (!self->ledger_sub || zsock_connect (self->ledger_sub, "%s", self->cfg.ledger_pub) != 0) {
            snprintf (err, err_size, "node/ledger_pub: cannot connect to %s", self->cfg.ledger_pub);
            *exit_code = 2;
            goto fail;
        }
        zsock_set_linger (self->ledger_sub, 0);
        zsock_set_subscribe (self->ledger_sub, NINES_LEDGER_TOPIC_REGISTRY);
        zsock_set_subscribe (self->ledger_sub, NINES_LEDGER_TOPIC_CANARY);
    }
    self->next_members_ms = node_now () + MEMBERS_EVERY_MS;
    char hex [NINES_ID_HEX];
    nines_info ("validator %s: peer %s, query %s, pub %s, registry from %s",
                nines_hex (hex, self->kp.pk, NINES_ID_BYTES), self->cfg.peer, self->cfg.query,
                self->cfg.pub, self->cfg.ledger [0] ? self->cfg.ledger : self->cfg.registry);
    self->dg_listening = self->cfg.engine.doppelganger_epochs > 0;
    if (self->dg_listening)
        nines_info ("doppelganger protection: listening %u epochs after the first registry for votes "
                    "signed with this key by another instance before voting",
                    self->cfg.engine.doppelganger_epochs);
    return self;
fail:
    if (!err [0])
        snprintf (err, err_size, "startup failed");
    nines_node_destroy (&self);
    return NULL;
}

void
nines_node_destroy (nines_node_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nines_node_t *self = *self_p;
    if (self->engine && self->store)
        node_save_members (self);
    zhashx_destroy (&self->member_states);
    nines_metrics_http_destroy (&self->metrics_http);
    nines_metrics_destroy (&self->metrics);
    zsock_destroy (&self->ledger_sub);
    zsock_destroy (&self->ledger);
    zsock_destroy (&self->pub);
    zsock_destroy (&self->query);
    nines_peers_destroy (&self->peers);
    nines_prober_destroy (&self->prober);
    free (self->waiting);
    nines_pace_free (&self->pace);
    nines_engine_destroy (&self->engine);
    nines_registry_destroy (&self->reg);
    nines_chain_destroy (&self->chain);
    nines_store_destroy (&self->store);
    nines_keypair_wipe (&self->kp);
    free (self->timings);
    free (self->scratch);
    free (self->ev_scratch);
    free (self);
    *self_p = NULL;
}

/*  Read up to BATCH messages from a socket that polled readable. */
#define DRAIN(sock, handler) \
    for (int _i = 0; _i < BATCH && (zsock_events (sock) & ZMQ_POLLIN); _i++) handler

static void
s_on_ledger_sub (nines_node_t *self)
{
    zmsg_t *msg = zmsg_recv (self->ledger_sub);
    if (!msg)
        return;
    char *topic = zmsg_popstr (msg);
    if (topic && !strcmp (topic, NINES_LEDGER_TOPIC_REGISTRY) && self->ledger)
        node_ask_registry (self);
    else
    if (topic && !strcmp (topic, NINES_LEDGER_TOPIC_CANARY)) {
        zframe_t *body = zmsg_first (msg);
        if (body)
            node_on_canary (self, zframe_data (body), zframe_size (body));
    }
    free (topic);
    zmsg_destroy (&msg);
}

static void
s_on_ledger (nines_node_t *self)
{
    zmsg_t *msg = zmsg_recv (self->ledger);
    if (!msg)
        return;
    zframe_t *f = zmsg_last (msg);
    nines_registry_t *reg = f ? node_on_ledger_reply (self, zframe_data (f), zframe_size (f)) : NULL;
    zmsg_destroy (&msg);
    if (reg)
        s_set_registry (self, reg);
    s_drain (self);
}

int
nines_node_run (nines_node_t *self, volatile sig_atomic_t *stop)
{
    zmq_pollitem_t *items = (zmq_pollitem_t *) calloc (MAX_POLL, sizeof *items);
    if (!items)
        return NINES_ENOMEM;
    while (!*stop) {
        size_t n = 0;
        zsock_t *socks [4] = { self->query, self->ledger, self->ledger_sub, NULL };
        size_t nsocks = 0;
        for (size_t i = 0; i < 3; i++)
            if (socks [i]) {
                items [n].socket = zsock_resolve (socks [i]);
                items [n].fd = 0;
                items [n].events = ZMQ_POLLIN;
                items [n].revents = 0;
                socks [nsocks++] = socks [i];
                n++;
            }
        /*  The peers' sockets: ZAP, peer ROUTER, handshake monitors. */
        size_t nmon = nines_peers_pollitems (self->peers, items + n, MAX_POLL / 2 - n);
        size_t nhttp = 0;
        if (self->metrics_http) {
            items [n + nmon] = (zmq_pollitem_t) { NULL, nines_metrics_http_fd (self->metrics_http), ZMQ_POLLIN, 0 };
            nhttp = 1;
        }
        size_t ncurl = nines_prober_pollitems (self->prober, items + n + nmon + nhttp,
                                               MAX_POLL - n - nmon - nhttp);
        uint64_t now = node_now ();
        uint64_t wake = nines_engine_next_wakeup (self->engine);
        long timeout = 1000;
        if (wake != UINT64_MAX)
            timeout = wake <= now ? 0 : (wake - now < 1000 ? (long) (wake - now) : 1000);
        uint64_t paced = nines_pace_next (&self->pace);
        if (paced != UINT64_MAX && (long) (paced > now ? paced - now : 0) < timeout)
            timeout = (long) (paced > now ? paced - now : 0);
        long ct = nines_prober_timeout_ms (self->prober);
        if (ct >= 0 && ct < timeout)
            timeout = ct;
        int rc = zmq_poll (items, (int) (n + nmon + nhttp + ncurl), timeout);
        if (rc < 0 && zmq_errno () != EINTR) {
            nines_error ("zmq_poll: %s", zmq_strerror (zmq_errno ()));
            break;
        }
        if (rc > 0)
            nines_peers_service (self->peers, items + n, nmon, node_now ());
        for (size_t i = 0; rc > 0 && i < nsocks; i++) {
            if (!(items [i].revents & ZMQ_POLLIN))
                continue;
            zsock_t *s = socks [i];
            if (s == self->query)
                DRAIN (s, node_on_query (self));
            else if (s == self->ledger)
                DRAIN (s, s_on_ledger (self));
            else if (s == self->ledger_sub)
                DRAIN (s, s_on_ledger_sub (self));
        }
        if (self->metrics_http)
            nines_metrics_http_service (self->metrics_http);
        nines_prober_service (self->prober, items + n + nmon + nhttp, ncurl);
        if (self->fatal)
            break;
        now = node_now ();
        if (nines_engine_next_wakeup (self->engine) <= now)
            nines_engine_on_tick (self->engine, now);
        s_drain (self);
        if (now >= self->next_watch_ms) {
            node_watch (self, now);
            self->next_watch_ms = now + 1000;
        }
        if (now >= self->next_members_ms) {
            node_save_members (self);
            self->next_members_ms = now + MEMBERS_EVERY_MS;
        }
        if (self->chain && now >= self->next_chain_ms) {
            nines_chain_poll (self->chain, self->reg);
            self->next_chain_ms = node_now () + self->cfg.evm.poll_ms;
        }
        if (self->ledger && now - self->registry_asked_ms >= self->cfg.registry_refresh_ms)
            node_ask_registry (self);
    }
    free (items);
    nines_info ("shutting down");
    return self->fatal ? 1 : 0;
}
