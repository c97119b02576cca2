/*  ninesd's peers (see peer.h): CurveZMQ connections to the registered
    validators (dial, re-dial, handshake monitor), the ZAP handler that
    admits only their keys, and peer frames in and out. */
#include "node/peer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/log.h"
#include "wire/wire.h"

#define ZAP_ENDPOINT    "inproc://zeromq.zap.01"
#define ZAP_DOMAIN      "nines"
#define BATCH           256         /* frames read per socket per service */
#define PEER_HWM        1000        /* queued frames per peer before dropping */
#define PEER_RCVHWM     10000       /* frames queued on the peer ROUTER */
#define MAX_MONITORED   1024        /* peer connections whose handshake is watched */
#define REFUSED_LOG_MS  10000       /* at most one "refused a CurveZMQ peer" line per 10 s */
#define REDIAL_MIN_MS   250         /* first re-dial delay after a refused handshake */
#define REDIAL_MAX_MS   10000       /* cap */

/*  Outgoing connection to one peer.  libzmq never re-dials a CURVE
    connection the server's ZAP handler refused (a peer that did not know
    us yet), so a monitor watches the handshake and a refused connection is
    closed and dialled again after a back-off. */
typedef struct {
    zsock_t *sock;                          /* DEALER, CurveZMQ client; NULL while backing off */
    zsock_t *mon;                           /* PAIR receiving sock's handshake events */
    char endpoint [NINES_ENDPOINT_MAX];     /* connected to */
    uint8_t id [NINES_ID_BYTES];            /* the peer */
    uint64_t retry_at;                      /* no new socket before (ms) */
    uint64_t backoff;                       /* next back-off after a refusal (ms) */
} peer_conn_t;

struct _nines_peers_t {
    uint8_t me [NINES_ID_BYTES];            /* our validator id */
    char endpoint [NINES_ENDPOINT_MAX];     /* where the peer ROUTER binds */
    zcert_t *cert;                          /* our CurveZMQ pair (owned) */
    nines_peers_frame_fn *on_frame;         /* accepted frames go here */
    void *arg;                              /* its argument */
    const nines_registry_t *reg;            /* current registry (borrowed), NULL before the first */
    uint8_t (*curve_allow) [NINES_CURVE_BYTES]; /* registered curve keys, sorted */
    uint32_t *curve_idx;                    /* their validators[] index */
    size_t n_curve;                         /* entries */
    zsock_t *zap;                           /* ZAP handler (REP) */
    zsock_t *peer;                          /* peer ROUTER, NULL until the first registry */
    zhashx_t *conns;                        /* hex id -> peer_conn_t */
    peer_conn_t **mons;                     /* connections of the last pollitems' monitors */
    size_t n_mons;                          /* their count */
    bool polled_peer;                       /* the last pollitems included the peer ROUTER */
    uint32_t mon_seq;                       /* monitor endpoint counter */
    nines_ratelimit_t refused_log;          /* "refused" log lines (anyone can cause them) */
    nines_peers_stats_t st;                 /* counters */
};

static void
s_conn_close (peer_conn_t *c)
{
    if (c->sock)
        zmq_socket_monitor (zsock_resolve (c->sock), NULL, 0);
    zsock_destroy (&c->mon);
    zsock_destroy (&c->sock);
}

/*  zhashx destructor of a peer_conn_t. */
static void
s_conn_destroy (void **item)
{
    peer_conn_t *c = (peer_conn_t *) *item;
    if (c) {
        s_conn_close (c);
        free (c);
    }
    *item = NULL;
}

nines_peers_t *
nines_peers_new (const nines_keypair_t *kp, const char *endpoint,
                 nines_peers_frame_fn *on_frame, void *arg, char *err, size_t err_size)
{
    nines_peers_t *self = (nines_peers_t *) calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    memcpy (self->me, kp->pk, NINES_ID_BYTES);
    snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->on_frame = on_frame;
    self->arg = arg;
    self->refused_log.interval_ms = REFUSED_LOG_MS;
    self->conns = zhashx_new ();
    self->mons = (peer_conn_t **) calloc (MAX_MONITORED, sizeof *self->mons);
    if (!self->conns || !self->mons) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }
    zhashx_set_destructor (self->conns, s_conn_destroy);
    self->cert = nines_keypair_zcert (kp);
    if (!self->cert) {
        snprintf (err, err_size, "node/key: cannot derive the CurveZMQ key pair");
        goto fail;
    }
    /*  The ZAP handler must be bound before any CURVE server accepts. */
    self->zap = zsock_new (ZMQ_REP);
    if (!self->zap) {
        snprintf (err, err_size, "cannot create the ZAP socket");
        goto fail;
    }
    zsock_set_linger (self->zap, 0);
    zsock_set_maxmsgsize (self->zap, -1);
    if (zsock_bind (self->zap, "%s", ZAP_ENDPOINT) < 0) {
        snprintf (err, err_size, "cannot bind the ZAP socket to %s: %s", ZAP_ENDPOINT,
                  zmq_strerror (zmq_errno ()));
        goto fail;
    }
    return self;
fail:
    nines_peers_destroy (&self);
    return NULL;
}

void
nines_peers_destroy (nines_peers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nines_peers_t *self = *self_p;
    zhashx_destroy (&self->conns);
    zsock_destroy (&self->peer);
    zsock_destroy (&self->zap);
    zcert_destroy (&self->cert);
    free (self->mons);
    free (self->curve_allow);
    free (self->curve_idx);
    free (self);
    *self_p = NULL;
}

/*  Dial c->endpoint with a handshake monitor.  0 or -1. */
static int
s_conn_open (nines_peers_t *self, peer_conn_t *c)
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
static void
s_on_monitor (nines_peers_t *self, peer_conn_t *c, uint64_t now)
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
    c->retry_at = now + c->backoff;
    self->st.redials++;
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

/*  Bind the CurveZMQ peer ROUTER.  0 or NINES_EIO with the reason in err. */
static int
s_bind_peer (nines_peers_t *self, char *err, size_t err_size)
{
    self->peer = zsock_new (ZMQ_ROUTER);
    if (!self->peer) {
        snprintf (err, err_size, "cannot create the peer socket");
        return NINES_EIO;
    }
    zsock_set_linger (self->peer, 0);
    zcert_apply (self->cert, self->peer);
    zsock_set_curve_server (self->peer, 1);
    zsock_set_zap_domain (self->peer, ZAP_DOMAIN);
    zsock_set_maxmsgsize (self->peer, NINES_PEER_MSG_MAX);   /* before bind, or ignored */
    zsock_set_rcvhwm (self->peer, PEER_RCVHWM);
    if (zsock_bind (self->peer, "%s", self->endpoint) < 0) {
        snprintf (err, err_size, "cannot bind the peer socket to %s: %s",
                  self->endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&self->peer);
        return NINES_EIO;
    }
    return 0;
}

int
nines_peers_set_registry (nines_peers_t *self, const nines_registry_t *reg, char *err, size_t err_size)
{
    self->reg = reg;
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
            if (nines_id_eq (reg->validators [i].id, self->me))
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
    self->n_mons = 0;               /* the monitors polled may be gone */
    return self->peer ? 0 : s_bind_peer (self, err, err_size);
}

void
nines_peers_send (nines_peers_t *self, const uint8_t id [NINES_ID_BYTES], const uint8_t *data, size_t len,
                  uint64_t now)
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
        if (now < c->retry_at)
            return;                 /* backing off after a refused handshake */
        if (s_conn_open (self, c)) {
            c->retry_at = now + REDIAL_MAX_MS;
            return;
        }
    }
    if (zmq_send (zsock_resolve (c->sock), data, len, ZMQ_DONTWAIT) < 0)
        nines_debug ("peer %.16s: send dropped (%s)", hex, zmq_strerror (zmq_errno ()));
}

/*  ---- ZAP (RFC 27): admit only registered validators' curve keys ---- */

static void
s_on_zap (nines_peers_t *self, uint64_t now)
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
            self->st.refused++;
            uint64_t held;
            if (nines_ratelimit_ok (&self->refused_log, now, &held)) {
                if (held)
                    nines_warn ("refused a CurveZMQ peer from %s: key not registered (and %" PRIu64
                                " more since the last such line; %" PRIu64 " in all, status.peers_refused)",
                                address ? address : "?", held, self->st.refused);
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

static void
s_on_peer (nines_peers_t *self)
{
    zmsg_t *msg = zmsg_recv (self->peer);
    if (!msg)
        return;
    zframe_t *rid = zmsg_first (msg);
    zframe_t *body = zmsg_next (msg);
    if (!rid || !body || zmsg_size (msg) != 2) {
        self->st.bad++;
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
        self->st.bad++;
        nines_debug ("peer %.16s sent a frame of %zu bytes that is not a peer message", user, n);
        zmsg_destroy (&msg);
        return;
    }
    if (user) {
        char from [NINES_ID_HEX];
        nines_hex (from, d + 5, NINES_ID_BYTES);
        if (strcmp (from, user)) {
            self->st.spoofed++;
            nines_warn ("peer %.16s sent a frame claiming to be %.16s: dropped", user, from);
            zmsg_destroy (&msg);
            return;
        }
    }
    self->on_frame (self->arg, d, n);
    zmsg_destroy (&msg);
}

/*  ---- polling ---- */

static void
s_item (zmq_pollitem_t *item, zsock_t *s)
{
    *item = (zmq_pollitem_t) { zsock_resolve (s), 0, ZMQ_POLLIN, 0 };
}

size_t
nines_peers_pollitems (nines_peers_t *self, zmq_pollitem_t *items, size_t max)
{
    size_t n = 0;
    self->n_mons = 0;
    self->polled_peer = false;
    if (max < 2)
        return 0;
    s_item (&items [n++], self->zap);
    if (self->peer) {
        s_item (&items [n++], self->peer);
        self->polled_peer = true;
    }
    for (peer_conn_t *c = (peer_conn_t *) zhashx_first (self->conns); c;
         c = (peer_conn_t *) zhashx_next (self->conns))
        if (c->mon && n < max && self->n_mons < MAX_MONITORED) {
            self->mons [self->n_mons++] = c;
            s_item (&items [n++], c->mon);
        }
    return n;
}

/*  Read up to BATCH messages from a socket that polled readable. */
#define DRAIN(sock, handler) \
    for (int _i = 0; _i < BATCH && (zsock_events (sock) & ZMQ_POLLIN); _i++) handler

void
nines_peers_service (nines_peers_t *self, const zmq_pollitem_t *items, size_t n, uint64_t now)
{
    size_t first_mon = self->polled_peer ? 2 : 1;
    /*  Monitors first: a frame handled below may change the registry,
        which frees connections the items point at. */
    for (size_t i = 0; i < self->n_mons && first_mon + i < n; i++)
        if (items [first_mon + i].revents & ZMQ_POLLIN)
            s_on_monitor (self, self->mons [i], now);
    self->n_mons = 0;
    if (n > 0 && (items [0].revents & ZMQ_POLLIN))
        DRAIN (self->zap, s_on_zap (self, now));
    if (self->polled_peer && n > 1 && (items [1].revents & ZMQ_POLLIN))
        DRAIN (self->peer, s_on_peer (self));
}

void
nines_peers_stats (const nines_peers_t *self, nines_peers_stats_t *st)
{
    *st = self->st;
}
