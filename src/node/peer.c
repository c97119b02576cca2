/*  ninesd's peers: CurveZMQ connections to the registered validators
    (dial, re-dial, handshake monitor), the ZAP handler that admits only
    their keys, and peer frames in and out. */
#include "node/node_private.h"
#include <malloc.h>
#include <string.h>

/*  ---- helpers ---- */

uint64_t
node_now (void)
{
    return (uint64_t) zclock_time ();
}

static void
s_conn_close (peer_conn_t *c)
{
    if (c->sock)
        zmq_socket_monitor (zsock_resolve (c->sock), NULL, 0);
    zsock_destroy (&c->mon);
    zsock_destroy (&c->sock);
}

void
node_conn_destroy (void **item)
{
    peer_conn_t *c = (peer_conn_t *) *item;
    if (c) {
        s_conn_close (c);
        free (c);
    }
    *item = NULL;
}

/*  Dial c->endpoint with a handshake monitor.  0 or -1. */
static int
s_conn_open (nines_node_t *self, peer_conn_t *c)
{
    uint8_t server [NINES_CURVE_BYTES];
    if (nines_id_to_curve (c->id, server))
        return -1;
    c->sock = zsock_new (ZMQ_DEALER);
    if (!c->sock)
        return -1;
    zsock_set_linger (c->sock, 0);
    zsock_set_sndhwm (c->sock, PEER_HWM);
    zsock_set_maxmsgsize (c->sock, NINES_PEER_MSG_MAX);   /* before connect, or ignored */
    zcert_apply (self->cert, c->sock);
    zsock_set_curve_serverkey_bin (c->sock, server);
    char ep [64];
    snprintf (ep, sizeof ep, "inproc://nines-peer-mon-%u", ++self->mon_seq);
    if (zmq_socket_monitor (zsock_resolve (c->sock), ep,
                            ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                          | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_SUCCEEDED) == 0) {
        c->mon = zsock_new (ZMQ_PAIR);
        if (c->mon && zsock_connect (c->mon, "%s", ep) != 0)
            zsock_destroy (&c->mon);
    }
    if (zsock_connect (c->sock, "%s", c->endpoint) != 0) {
        char hex [NINES_ID_HEX];
        nines_warn ("peer %.16s: bad endpoint %s", nines_hex (hex, c->id, NINES_ID_BYTES), c->endpoint);
        s_conn_close (c);
        return -1;
    }
    return 0;
}

/*  A handshake event on c's monitor. */
void
node_on_monitor (nines_node_t *self, peer_conn_t *c)
{
    zmsg_t *ev = zmsg_recv (c->mon);
    zframe_t *f = ev ? zmsg_first (ev) : NULL;
    uint16_t event = 0;
    if (f && zframe_size (f) >= 2)
        memcpy (&event, zframe_data (f), 2);
    zmsg_destroy (&ev);
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        c->backoff = 0;
        return;
    }
    if (!(event & (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                 | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)))
        return;
    c->backoff = c->backoff ? (c->backoff * 2 > REDIAL_MAX_MS ? REDIAL_MAX_MS : c->backoff * 2)
                            : REDIAL_MIN_MS;
    c->retry_at = node_now () + c->backoff;
    self->redials++;
    char hex [NINES_ID_HEX];
    nines_info ("peer %.16s refused our handshake (it may not know us yet): re-dialling in %" PRIu64 " ms",
                nines_hex (hex, c->id, NINES_ID_BYTES), c->backoff);
    s_conn_close (c);
}

static int
s_curve_cmp (const void *a, const void *b)
{
    return memcmp (a, b, NINES_CURVE_BYTES);
}

/*  Bind the CurveZMQ peer ROUTER.  Done once the first registry is in:
    a connection our ZAP handler refused is never re-dialled by libzmq, so
    peers must find the port closed (and retry) until we can admit them. */
static void
s_bind_peer (nines_node_t *self)
{
    self->peer = zsock_new (ZMQ_ROUTER);
    if (!self->peer) {
        snprintf (self->bind_error, sizeof self->bind_error, "cannot create the peer socket");
        return;
    }
    zsock_set_linger (self->peer, 0);
    zcert_apply (self->cert, self->peer);
    zsock_set_curve_server (self->peer, 1);
    zsock_set_zap_domain (self->peer, ZAP_DOMAIN);
    zsock_set_maxmsgsize (self->peer, NINES_PEER_MSG_MAX);   /* before bind, or ignored */
    zsock_set_rcvhwm (self->peer, 10000);
    if (zsock_bind (self->peer, "%s", self->cfg.peer) < 0) {
        snprintf (self->bind_error, sizeof self->bind_error, "cannot bind the peer socket to %s: %s",
                  self->cfg.peer, zmq_strerror (zmq_errno ()));
        zsock_destroy (&self->peer);
        return;
    }
    self->peer_bound = true;
}

/*  Install a new registry: engine, ZAP allow list, per-pod timings, and
    drop connections to peers that left or moved. */
void
node_set_registry (nines_node_t *self, nines_registry_t *reg)
{
    nines_registry_t *old = self->reg;
    self->reg = reg;
    nines_engine_set_registry (self->engine, reg, node_now ());
    nines_registry_destroy (&old);

    free (self->curve_allow);
    free (self->curve_idx);
    self->n_curve = 0;
    self->curve_allow = calloc (reg->n_validators + 1, sizeof *self->curve_allow);
    self->curve_idx = calloc (reg->n_validators + 1, sizeof *self->curve_idx);
    /*  Keys and indices sorted together: sort (key || index) records. */
    uint8_t (*rec) [NINES_CURVE_BYTES + 4] = calloc (reg->n_validators + 1, sizeof *rec);
    if (self->curve_allow && self->curve_idx && rec) {
        size_t n = 0;
        for (size_t i = 0; i < reg->n_validators; i++) {
            if (nines_id_eq (reg->validators [i].id, self->kp.pk))
                continue;
            if (nines_id_to_curve (reg->validators [i].id, rec [n]))
                continue;
            uint32_t idx = (uint32_t) i;
            memcpy (rec [n] + NINES_CURVE_BYTES, &idx, 4);
            n++;
        }
        if (n)
            qsort (rec, n, sizeof *rec, s_curve_cmp);
        for (size_t i = 0; i < n; i++) {
            memcpy (self->curve_allow [i], rec [i], NINES_CURVE_BYTES);
            memcpy (&self->curve_idx [i], rec [i] + NINES_CURVE_BYTES, 4);
        }
        self->n_curve = n;
    }
    free (rec);

    free (self->timings);
    self->timings = calloc (reg->n_pods + 1, sizeof *self->timings);

    /*  Drop connections whose validator left or changed endpoint. */
    zlistx_t *keys = zhashx_keys (self->conns);
    for (const char *k = (const char *) zlistx_first (keys); k; k = (const char *) zlistx_next (keys)) {
        uint8_t id [NINES_ID_BYTES];
        peer_conn_t *c = (peer_conn_t *) zhashx_lookup (self->conns, k);
        const nines_validator_info_t *v = NULL;
        if (nines_unhex (id, sizeof id, k) == 0)
            v = nines_registry_validator (reg, id);
        if (!v || strcmp (v->endpoint, c->endpoint))
            zhashx_delete (self->conns, k);
    }
    zlistx_destroy (&keys);

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
    if (!self->peer_bound && self->zap) {
        s_bind_peer (self);
        if (!self->peer_bound) {
            nines_error ("%s", self->bind_error);
            self->fatal = true;
        }
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
}

void
node_send_peer (nines_node_t *self, const uint8_t id [NINES_ID_BYTES], const uint8_t *data, size_t len)
{
    if (!self->reg)
        return;
    char hex [NINES_ID_HEX];
    nines_hex (hex, id, NINES_ID_BYTES);
    peer_conn_t *c = (peer_conn_t *) zhashx_lookup (self->conns, hex);
    if (!c) {
        const nines_validator_info_t *v = nines_registry_validator (self->reg, id);
        if (!v)
            return;
        c = (peer_conn_t *) calloc (1, sizeof *c);
        if (!c)
            return;
        memcpy (c->id, id, NINES_ID_BYTES);
        snprintf (c->endpoint, sizeof c->endpoint, "%s", v->endpoint);
        zhashx_insert (self->conns, hex, c);
    }
    if (!c->sock) {
        if (node_now () < c->retry_at)
            return;                 /* backing off after a refused handshake */
        if (s_conn_open (self, c)) {
            c->retry_at = node_now () + REDIAL_MAX_MS;
            return;
        }
    }
    if (zmq_send (zsock_resolve (c->sock), data, len, ZMQ_DONTWAIT) < 0)
        nines_debug ("peer %.16s: send dropped (%s)", hex, zmq_strerror (zmq_errno ()));
}

/*  ---- ZAP (RFC 27): admit only registered validators' curve keys ---- */

void
node_on_zap (nines_node_t *self)
{
    zmsg_t *req = zmsg_recv (self->zap);
    if (!req)
        return;
    char *version = zmsg_popstr (req);
    char *request_id = zmsg_popstr (req);
    char *domain = zmsg_popstr (req);
    char *address = zmsg_popstr (req);
    char *identity = zmsg_popstr (req);
    char *mechanism = zmsg_popstr (req);
    zframe_t *cred = zmsg_pop (req);
    const char *status = "400", *text = "refused";
    char user [NINES_ID_HEX] = "";
    if (mechanism && !strcmp (mechanism, "NULL")) {
        status = "200";
        text = "OK";
    }
    else
    if (mechanism && !strcmp (mechanism, "CURVE") && cred && zframe_size (cred) == NINES_CURVE_BYTES) {
        const uint8_t *key = zframe_data (cred);
        const uint8_t (*hit) [NINES_CURVE_BYTES] = self->n_curve
            ? bsearch (key, self->curve_allow, self->n_curve, NINES_CURVE_BYTES, s_curve_cmp) : NULL;
        if (hit) {
            size_t i = (size_t) (hit - self->curve_allow);
            nines_hex (user, self->reg->validators [self->curve_idx [i]].id, NINES_ID_BYTES);
            status = "200";
            text = "OK";
        }
        else {
            self->zap_refused++;
            uint64_t held;
            if (nines_ratelimit_ok (&self->refused_log, node_now (), &held)) {
                if (held)
                    nines_warn ("refused a CurveZMQ peer from %s: key not registered (and %" PRIu64
                                " more since the last such line; %" PRIu64 " in all, status.peers_refused)",
                                address ? address : "?", held, self->zap_refused);
                else
                    nines_warn ("refused a CurveZMQ peer from %s: key not registered", address ? address : "?");
            }
        }
    }
    zmsg_t *rep = zmsg_new ();
    zmsg_addstr (rep, "1.0");
    zmsg_addstr (rep, request_id ? request_id : "");
    zmsg_addstr (rep, status);
    zmsg_addstr (rep, text);
    zmsg_addstr (rep, user);
    zmsg_addmem (rep, "", 0);
    zmsg_send (&rep, self->zap);
    zframe_destroy (&cred);
    free (version);
    free (request_id);
    free (domain);
    free (address);
    free (identity);
    free (mechanism);
    zmsg_destroy (&req);
}

/*  ---- peer frames ---- */

void
node_on_peer (nines_node_t *self)
{
    zmsg_t *msg = zmsg_recv (self->peer);
    if (!msg)
        return;
    zframe_t *rid = zmsg_first (msg);
    zframe_t *body = zmsg_next (msg);
    if (!rid || !body || zmsg_size (msg) != 2) {
        self->peer_bad++;
        zmsg_destroy (&msg);
        return;
    }
    /*  The frame's sender id (bytes 5..36 of [1, type, bin8(32) from, ...])
        must be the validator the ZAP handler admitted on this connection. */
    const uint8_t *d = zframe_data (body);
    size_t n = zframe_size (body);
    const char *user = zframe_meta (body, "User-Id");
    if (user && !(n >= 37 && d [0] == 0x95 && d [3] == 0xc4 && d [4] == NINES_ID_BYTES)) {
        /*  Our encoder always writes [fixarray 5, 1, type, bin8 32 from, ...];
            another layout could hide a different sender from this check. */
        self->peer_bad++;
        nines_debug ("peer %.16s sent a frame of %zu bytes that is not a peer message", user, n);
        zmsg_destroy (&msg);
        return;
    }
    if (user) {
        char from [NINES_ID_HEX];
        nines_hex (from, d + 5, NINES_ID_BYTES);
        if (strcmp (from, user)) {
            self->peer_spoofed++;
            nines_warn ("peer %.16s sent a frame claiming to be %.16s: dropped", user, from);
            zmsg_destroy (&msg);
            return;
        }
    }
    int rc = nines_engine_on_message (self->engine, d, n, node_now ());
    if (rc)
        nines_debug ("peer frame (%zu bytes) rejected: %s", n, nines_strerror (rc));
    node_drain (self);
    zmsg_destroy (&msg);
}
