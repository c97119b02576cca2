/*  nines-facade: the HTTPS heartbeat facade beside a pod (DESIGN.md §6).

    One h2o event loop per worker thread, all accepting from one listening
    socket; TLS by OpenSSL with the pod's certificate, HTTP/2 through h2o's
    own (ALPN h2, facade/http2) and HTTP/1.1 (ALPN http/1.1, no h2c
    upgrade).  Every request passes two handlers:
      1. the heartbeat handler: a request whose Nines-Heartbeat header is a
         fresh, valid heartbeat from an allowed validator (hbcheck.c) goes
         on to the app without that header, and the answer, the app's own
         or the proxy's 502, gets the facade-signed response header (a
         per-request prefilter).  Anything else is proxied unchanged, so an
         unknown, forged, stale or replayed heartbeat is user traffic;
      2. h2o's reverse proxy to the app on localhost (HTTP/1.1 keep-alive
         upstream, X-Forwarded-For/-Proto, 502 when the app is down); its
         idle upstream connections stay in their worker's loop (sockpool.c).
    In path mode the signed status is that of the app's health path
    instead: a blocking libcurl request run on a small thread pool, its
    answer posted back to the worker's loop through h2o's multithread
    queue, so no event loop ever blocks on the app.

    The allow-list of validators comes from a file (SIGHUP reloads it, no
    connection is dropped) or from the ledger: a follower thread fetches
    the registry (op `registry`) at start, on every "registry" message of
    the ledger's PUB socket and every 30 s, and allows the eligible
    validators (stake >= min_validator_stake).  The main thread handles
    signals: SIGHUP reloads the file, the certificate and key, and the
    facade key (a key rotation, PROTOCOL.md section 10.2),
    SIGTERM/SIGINT stop the loops, the
    follower and the health threads, and exit 0. */
#include "facade/facade_private.h"
#include "base/args.h"

static nines_hbcheck_t *s_hbcheck;
static nines_conncap_t *s_conncap;  /* connections per client address */
static atomic_ulong s_refused_per_address;  /* connections closed at accept: over the per-address cap */
static pthread_mutex_t s_refused_lock = PTHREAD_MUTEX_INITIALIZER;  /* guards s_refused_log */
static nines_ratelimit_t s_refused_log = { .interval_ms = 10000 };  /* one such warning per 10 s */
static pthread_mutex_t s_full_lock = PTHREAD_MUTEX_INITIALIZER;    /* guards s_full_log */
static nines_ratelimit_t s_full_log = { .interval_ms = 10000 };     /* one "replay cache full" per 10 s */
static h2o_globalconf_t s_globalconf;
static pthread_barrier_t s_ready;   /* workers + main: every loop is listening */
static pthread_barrier_t s_stopped; /* workers + main: every loop has stopped */


static uint64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/*  The upstream URL without its trailing slash: "http://127.0.0.1:8080". */
static int
s_upstream_base_len (void)
{
    size_t blen = strlen (facade_cfg.upstream);
    while (blen && facade_cfg.upstream [blen - 1] == '/')
        blen--;
    return (int) blen;
}

/*  ---- heartbeats: the app's own answer, signed ----

    A valid heartbeat is not answered here: its request goes on to the
    proxy like a user's (without the Nines-Heartbeat header, so the app
    sees what users send), and a prefilter adds the signed header to
    whatever answer comes back, the app's or the proxy's 502
    (PROTOCOL.md section 6.2).  In path mode the app's health path is
    checked first (health.c) and that status is signed instead. */

static uint64_t
s_mono_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/*  True when the proxy itself answered (no answer from the app: refused,
    reset, timeout): h2o's proxy logs an error before its 502. */
static bool
s_proxy_failed (h2o_req_t *req)
{
    for (size_t i = 0; i < req->error_logs.size; i++)
        if (req->error_logs.entries [i].module && strstr (req->error_logs.entries [i].module, "proxy"))
            return true;
    return false;
}

static void
s_hb_setup_ostream (h2o_req_prefilter_t *super, h2o_req_t *req, h2o_ostream_t **slot)
{
    hb_filter_t *self = (hb_filter_t *) super;
    if (!self->checked) {
        self->app_status = s_proxy_failed (req) || req->res.status < 0 || req->res.status > 65535
                         ? 0 : (uint16_t) req->res.status;
        uint64_t us = s_mono_us () - self->t0_us;
        self->latency_us = us > UINT32_MAX ? UINT32_MAX : (uint32_t) us;
    }
    char value [NINES_HB_VALUE_MAX];
    if (facade_hb_sign (&self->hb, self->app_status, self->latency_us, value, sizeof value) == 0) {
        h2o_iovec_t copy = h2o_strdup (&req->pool, value, strlen (value));
        h2o_add_header_by_str (&req->pool, &req->res.headers, H2O_STRLIT ("nines-heartbeat"),
                               0, NULL, copy.base, copy.len);
    }
    h2o_setup_next_prefilter (super, req, slot);
}

/*  A valid heartbeat found the replay cache full: said at most every 10 s,
    since from then on validators see this pod's heartbeats unsigned. */
static void
s_replay_full (void)
{
    uint64_t held = 0, refused = 0;
    size_t slots = 0;
    pthread_mutex_lock (&s_full_lock);
    bool say = nines_ratelimit_ok (&s_full_log, s_now_ms (), &held);
    pthread_mutex_unlock (&s_full_lock);
    if (!say)
        return;
    nines_hbcheck_replay_stats (s_hbcheck, &slots, &refused);
    nines_warn ("replay cache full (%zu nonces, sized for facade/heartbeat_rate = %llu/s over 60 s): "
                "valid heartbeats are proxied unsigned (%llu so far); raise facade/heartbeat_rate",
                slots, (unsigned long long) facade_cfg.heartbeat_rate, (unsigned long long) refused);
}

static int
s_on_heartbeat (h2o_handler_t *self, h2o_req_t *req)
{
    ssize_t at = h2o_find_header_by_str (&req->headers, H2O_STRLIT ("nines-heartbeat"), -1);
    if (at < 0)
        return -1;
    const h2o_iovec_t *value = &req->headers.entries [at].value;
    nines_hb_req_t hb;
    int rc = nines_hbcheck (s_hbcheck, value->base, value->len, s_now_ms (), &hb);
    facade_metrics_hbcheck (rc);
    if (rc == NINES_EFULL)
        s_replay_full ();
    if (rc) {
        nines_debug ("heartbeat header not accepted (%s): proxied as a normal request",
                     nines_strerror (rc));
        return -1;                     /* indistinguishable from user traffic */
    }
    h2o_delete_header (&req->headers, at);
    hb_filter_t *filter = (hb_filter_t *) h2o_add_prefilter (req, sizeof *filter);
    filter->super.on_setup_ostream = s_hb_setup_ostream;
    filter->hb = hb;
    filter->checked = false;
    filter->t0_us = s_mono_us ();
    if (facade_cfg.health_forward)
        return -1;                     /* on to the proxy: the app answers */

    /*  Path mode: check the app's health path first, then proxy. */
    health_job_t *job = calloc (1, sizeof *job);
    if (!job)
        return -1;
    job->req = req;
    job->filter = filter;
    job->handler = self;
    job->reply_to = &facade_worker->health_receiver;
    snprintf (job->url, sizeof job->url, "%.*s%s", s_upstream_base_len (), facade_cfg.upstream,
              facade_cfg.health_path);
    pthread_mutex_lock (&facade_pool_lock);
    if (facade_pool_pending >= HEALTH_QUEUE_MAX) {
        pthread_mutex_unlock (&facade_pool_lock);
        free (job);
        nines_warn ("%d app checks pending: heartbeat signed with the proxied answer's status",
                    HEALTH_QUEUE_MAX);
        return -1;                     /* as in forward mode */
    }
    health_job_t **slot = h2o_mem_alloc_shared (&req->pool, sizeof *slot, facade_on_req_dispose);
    *slot = job;
    job->slot = slot;
    if (facade_pool_tail)
        facade_pool_tail->next = job;
    else
        facade_pool_head = job;
    facade_pool_tail = job;
    facade_pool_pending++;
    pthread_cond_signal (&facade_pool_cond);
    pthread_mutex_unlock (&facade_pool_lock);
    return 0;
}

/*  ---- accepting, with a connection limit ---- */

/*  What an accepted connection holds until it closes. */
typedef struct {
    SSL_CTX *tls;                           /* context it was accepted with (a reference) */
    bool capped;                            /* counted in s_conncap under key */
    uint8_t key [NINES_CONNCAP_KEY_BYTES];  /* its client address key */
} conn_hold_t;

static void
s_on_conn_close (void *data)
{
    conn_hold_t *hold = (conn_hold_t *) data;
    SSL_CTX_free (hold->tls);
    if (hold->capped)
        nines_conncap_release (s_conncap, hold->key);
    free (hold);
    atomic_fetch_sub (&facade_connections, 1);
}

/*  A connection closed at accept for its address's cap: counted, and
    warned about at most once per 10 s (any client can cause it). */
static void
s_note_refused_per_address (void)
{
    uint64_t refused = atomic_fetch_add (&s_refused_per_address, 1) + 1;
    uint64_t held;
    pthread_mutex_lock (&s_refused_lock);
    bool say = nines_ratelimit_ok (&s_refused_log, s_now_ms (), &held);
    pthread_mutex_unlock (&s_refused_lock);
    if (say)
        nines_warn ("connection limit of %llu per address reached: connection closed "
                    "(%llu such closes in all)", (unsigned long long) facade_cfg.max_per_address,
                    (unsigned long long) refused);
}

/*  One connection per wake-up (nginx's multi_accept off): every loop is
    woken by a new connection and the first free one takes it, so a burst
    of connections spreads over the loops. */
void
facade_on_accept (h2o_socket_t *listener, const char *err)
{
    if (err)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept (listener);
    if (!sock)
        return;                         /* another loop took it */
    if (atomic_fetch_add (&facade_connections, 1) >= (long) facade_cfg.max_connections) {
        atomic_fetch_sub (&facade_connections, 1);
        atomic_fetch_add (&facade_m_conn_rejected, 1);
        nines_debug ("connection limit %llu reached: connection closed",
                     (unsigned long long) facade_cfg.max_connections);
        h2o_socket_close (sock);
        return;
    }
    /*  Then the share of one address (facade/max_connections_per_address),
        so that no single client can hold every slot. */
    conn_hold_t *hold = calloc (1, sizeof *hold);
    struct sockaddr_storage peer;
    if (hold && h2o_socket_getpeername (sock, (struct sockaddr *) &peer)
    &&  nines_conncap_key ((struct sockaddr *) &peer, hold->key)) {
        hold->capped = nines_conncap_acquire (s_conncap, hold->key);
        if (!hold->capped) {
            s_note_refused_per_address ();
            free (hold);
            hold = NULL;
        }
    }
    if (!hold) {
        atomic_fetch_sub (&facade_connections, 1);
        h2o_socket_close (sock);
        return;
    }
    /* h2o 2.2.5 creates the connection's SSL (which up-refs the context)
       only when the ClientHello's first bytes arrive, up to
       handshake_timeout later, and meanwhile keeps a bare pointer to the
       context (sock->ssl->ssl_ctx).  A certificate reload must not free
       that context under it: the socket holds a reference until it closes. */
    hold->tls = facade_worker->accept_ctx.ssl_ctx;
    SSL_CTX_up_ref (hold->tls);
    sock->on_close.cb = s_on_conn_close;
    sock->on_close.data = hold;
    h2o_accept (&facade_worker->accept_ctx, sock);
}

/*  A non-blocking listening socket on host:port (port 0: any free
    port).  Returns the fd or -1 with errno set. */
static int
s_listen (const char *host, int port)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res;
    char service [16];
    snprintf (service, sizeof service, "%d", port);
    int gai = getaddrinfo (*host ? host : NULL, service, &hints, &res);
    if (gai) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket (res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), on = 1;
    if (fd < 0
    ||  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on)
    ||  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on)
    ||  bind (fd, res->ai_addr, res->ai_addrlen)
    ||  listen (fd, SOMAXCONN)) {
        int saved = errno;
        if (fd >= 0)
            close (fd);
        freeaddrinfo (res);
        errno = saved;
        return -1;
    }
    freeaddrinfo (res);
    return fd;
}

static void
s_on_stop (h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty (messages))
        h2o_linklist_unlink (messages->next);
}


static void *
s_worker_main (void *arg)
{
    worker_t *w = (worker_t *) arg;
    facade_worker = w;
    h2o_context_init (&w->ctx, h2o_evloop_create (), &s_globalconf);
    w->accept_ctx.ctx = &w->ctx;
    w->accept_ctx.hosts = facade_main_hosts;
    w->metrics_accept_ctx.ctx = &w->ctx;
    w->metrics_accept_ctx.hosts = facade_metrics_hosts;
    w->accept_ctx.ssl_ctx = facade_ssl_ctx;
    h2o_multithread_register_receiver (w->ctx.queue, &w->health_receiver, facade_on_health_done);
    h2o_multithread_register_receiver (w->ctx.queue, &w->stop_receiver, s_on_stop);
    h2o_multithread_register_receiver (w->ctx.queue, &w->tls_receiver, facade_on_tls_reload);
    h2o_socket_t *listener = h2o_evloop_socket_create (w->ctx.loop, w->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    h2o_socket_read_start (listener, facade_on_accept);
    h2o_socket_t *mlistener = NULL;
    if (w->metrics_fd >= 0) {
        mlistener = h2o_evloop_socket_create (w->ctx.loop, w->metrics_fd, H2O_SOCKET_FLAG_DONT_READ);
        h2o_socket_read_start (mlistener, facade_on_metrics_accept);
    }
    pthread_barrier_wait (&s_ready);
    while (!atomic_load (&facade_stopping))
        h2o_evloop_run (w->ctx.loop, INT32_MAX);
    h2o_socket_read_stop (listener);
    h2o_socket_close (listener);
    if (mlistener) {
        h2o_socket_read_stop (mlistener);
        h2o_socket_close (mlistener);
    }
    h2o_evloop_run (w->ctx.loop, 0);     /* let the close complete */
    /* Park instead of exiting: h2o keeps per-thread recycled buffers in
       thread-local storage, which a thread exit would orphan (and
       LeakSanitizer would report).  main exits the process. */
    pthread_barrier_wait (&s_stopped);
    for (;;)
        pause ();
    return NULL;
}

/*  ---- the allow-list from the ledger ---- */

static uint64_t s_ledger_version = UINT64_MAX;  /* registry version in force */

/*  Ask the ledger for the registry and allow its eligible validators.
    0, or a negative code (logged; the previous list stays). */
static int
s_ledger_fetch (zsock_t **dealer)
{
    uint8_t *req = NULL;
    size_t req_len = 0;
    int rc = nines_ledger_req_simple (NINES_LEDGER_OP_REGISTRY, NULL, &req, &req_len);
    if (rc)
        return rc;
    zframe_t *frame = zframe_new (req, req_len);
    free (req);
    if (zframe_send (&frame, *dealer, 0)) {
        zframe_destroy (&frame);
        return NINES_EIO;
    }
    zpoller_t *poller = zpoller_new (*dealer, NULL);
    void *ready = zpoller_wait (poller, LEDGER_REPLY_MS);
    zpoller_destroy (&poller);
    if (!ready) {
        /* A late reply would answer the next request: start afresh. */
        nines_warn ("facade/ledger: %s: no registry reply within %d ms", facade_cfg.ledger, LEDGER_REPLY_MS);
        zsock_destroy (dealer);
        *dealer = zsock_new_dealer (facade_cfg.ledger);
        return NINES_ETIMEOUT;
    }
    zframe_t *reply = zframe_recv (*dealer);
    nines_registry_t *reg = NULL;
    rc = reply ? nines_ledger_parse_registry (zframe_data (reply), zframe_size (reply), &reg, NULL)
               : NINES_EIO;
    zframe_destroy (&reply);
    if (rc) {
        nines_warn ("facade/ledger: %s: bad registry reply: %s", facade_cfg.ledger, nines_strerror (rc));
        return rc;
    }
    if (reg->version != s_ledger_version) {
        rc = nines_hbcheck_set_allowlist (s_hbcheck, (const uint8_t (*) [NINES_ID_BYTES]) reg->eligible_ids,
                                          reg->n_eligible);
        if (rc == 0) {
            s_ledger_version = reg->version;
            nines_info ("validator list from the ledger (registry v%llu): %zu validators allowed",
                        (unsigned long long) reg->version, reg->n_eligible);
        }
    }
    nines_registry_destroy (&reg);
    return rc;
}

static void *
s_ledger_follower (void *arg)
{
    zsock_t *dealer = zsock_new_dealer (facade_cfg.ledger);
    zsock_t *sub = zsock_new_sub (facade_cfg.ledger_pub, NINES_LEDGER_TOPIC_REGISTRY);
    if (!dealer || !sub) {
        nines_error ("facade/ledger: cannot connect to %s / %s", facade_cfg.ledger, facade_cfg.ledger_pub);
        zsock_destroy (&dealer);
        zsock_destroy (&sub);
        return NULL;
    }
    zpoller_t *poller = zpoller_new (sub, NULL);
    int64_t next = 0;                   /* next scheduled fetch, zclock_mono ms */
    while (!atomic_load (&facade_stopping)) {
        if (zclock_mono () >= next && dealer) {
            s_ledger_fetch (&dealer);
            next = zclock_mono () + LEDGER_REFRESH_MS;
        }
        if (zpoller_wait (poller, 500) == sub) {
            zmsg_t *msg = zmsg_recv (sub);   /* [topic, {version}]: any change means re-fetch */
            zmsg_destroy (&msg);
            next = 0;
        }
    }
    zpoller_destroy (&poller);
    zsock_destroy (&sub);
    zsock_destroy (&dealer);
    return NULL;
}

/*  ---- configuration ---- */

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: nines-facade [-c FILE] [-s KEY=VALUE]... [options]\n"
        "\n"
        "The HTTPS heartbeat facade beside a pod (HTTP/2 and HTTP/1.1): reverse-proxies\n"
        "every request to the app and signs the app's answer to validators' heartbeats.\n"
        "Every key is documented in deploy/nines-facade.zpl.\n"
        "\n"
        "  -c, --config FILE         ZPL configuration\n"
        "  -s, --set KEY=VALUE       override any key, e.g. -s facade/body_limit=65536\n"
        "      --listen HOST:PORT    facade/listen       (default 0.0.0.0:8443; port 0 = any)\n"
        "      --metrics HOST:PORT   facade/metrics      GET /metrics, plain HTTP (default off)\n"
        "      --cert FILE           facade/cert         PEM certificate chain\n"
        "      --key FILE            facade/key          PEM private key\n"
        "      --upstream URL        facade/upstream     (default http://127.0.0.1:8080/)\n"
        "      --pod HEX             facade/pod          this pod's id\n"
        "      --facade-key FILE     facade/facade_key   nines key file\n"
        "      --validators FILE     facade/validators   allowed validator ids, one per line\n"
        "      --ledger ENDPOINT     facade/ledger       or: the ledger's eligible validators\n"
        "                            (with facade/ledger_pub for its changes)\n"
        "      --health MODE         facade/health       forward or path\n"
        "      --workers N           facade/workers      event loops (0 = one per core)\n"
        "  -v, --verbose             debug logs (facade/log = debug)\n"
        "      --check-config        validate the configuration (keys, certificate, facade key)\n"
        "                            and exit: 0 valid, 2 not\n"
        "  -h, --help                this text\n"
        "  -V, --version             the version\n"
        "Long options also take --name=VALUE; an unknown section or key is an error.\n"
        "\n"
        "Signals: SIGHUP reloads the validator list, the certificate and key and the facade key\n"
        "(no connection dropped); SIGTERM and SIGINT stop.\n"
        "Exit (README \"Exit codes\"): 0 after SIGTERM/SIGINT, 1 runtime failure, 2 bad\n"
        "command line or configuration.\n");
}

/*  "HOST:PORT" or "[V6]:PORT" into host (without brackets) and port:
    0, or -1 logged with the key. */
static int
s_host_port (const char *key, const char *text, char host_out [256], int *port_out)
{
    const char *colon = strrchr (text, ':');
    uint64_t port = 0;
    const char *host = text;
    size_t host_len = colon ? (size_t) (colon - text) : 0;
    if (host_len >= 2 && host [0] == '[' && host [host_len - 1] == ']') {
        host++;
        host_len -= 2;
    }
    if (!colon || host_len >= 256 || nines_parse_u64 (colon + 1, &port) || port > 65535) {
        nines_error ("%s: expected HOST:PORT, got '%s'", key, text);
        return -1;
    }
    memcpy (host_out, host, host_len);
    host_out [host_len] = 0;
    *port_out = (int) port;
    return 0;
}

static int
s_configure (nines_config_t *cfg)
{
    if (s_host_port ("facade/listen", nines_config_str (cfg, "facade/listen", "0.0.0.0:8443"),
                     facade_cfg.listen_host, &facade_cfg.listen_port))
        return -1;
    const char *metrics = nines_config_str (cfg, "facade/metrics", "");
    facade_cfg.metrics_port = -1;
    if (*metrics && s_host_port ("facade/metrics", metrics, facade_cfg.metrics_host, &facade_cfg.metrics_port))
        return -1;
    facade_cfg.cert = nines_config_str (cfg, "facade/cert", NULL);
    facade_cfg.key = nines_config_str (cfg, "facade/key", NULL);
    facade_cfg.upstream = nines_config_str (cfg, "facade/upstream", "http://127.0.0.1:8080/");
    facade_cfg.validators = nines_config_str (cfg, "facade/validators", NULL);
    if (facade_cfg.validators && !*facade_cfg.validators)
        facade_cfg.validators = NULL;
    facade_cfg.ledger = nines_config_str (cfg, "facade/ledger", NULL);
    if (facade_cfg.ledger && !*facade_cfg.ledger)
        facade_cfg.ledger = NULL;
    facade_cfg.ledger_pub = nines_config_str (cfg, "facade/ledger_pub", "tcp://127.0.0.1:7501");
    if (facade_cfg.ledger && facade_cfg.validators) {
        nines_error ("facade/validators and facade/ledger: set one source of validators, not both");
        return -1;
    }
    if (facade_cfg.ledger && (strncmp (facade_cfg.ledger, "tcp://", 6) || strncmp (facade_cfg.ledger_pub, "tcp://", 6))) {
        nines_error ("facade/ledger, facade/ledger_pub: expected tcp://host:port, got '%s', '%s'",
                     facade_cfg.ledger, facade_cfg.ledger_pub);
        return -1;
    }
    const char *pod = nines_config_str (cfg, "facade/pod", NULL);
    const char *keyfile = nines_config_str (cfg, "facade/facade_key", NULL);
    const char *mode = nines_config_str (cfg, "facade/health", "forward");
    facade_cfg.health_path = nines_config_str (cfg, "facade/health_path", "/healthz");
    if (!facade_cfg.cert || !facade_cfg.key) {
        nines_error ("facade/cert and facade/key: required (PEM files)");
        return -1;
    }
    if (!pod || nines_unhex (facade_cfg.pod, NINES_ID_BYTES, pod)) {
        nines_error ("facade/pod: expected the pod id as 64 hex digits, got '%s'", pod ? pod : "(missing)");
        return -1;
    }
    if (!keyfile) {
        nines_error ("facade/facade_key: required (a nines key file)");
        return -1;
    }
    facade_cfg.facade_key_file = keyfile;
    int rc = nines_keyfile_load (keyfile, &facade_cfg.facade_key);
    if (rc) {
        nines_error ("facade/facade_key: %s: %s", keyfile, nines_strerror (rc));
        return -1;
    }
    if (strcmp (mode, "forward") && strcmp (mode, "path")) {
        nines_error ("facade/health: expected forward or path, got '%s'", mode);
        return -1;
    }
    facade_cfg.health_forward = strcmp (mode, "forward") == 0;
    if (facade_cfg.health_path [0] != '/' || strlen (facade_cfg.health_path) >= NINES_HTTP_PATH_MAX) {
        nines_error ("facade/health_path: expected a path starting with '/' (< %d bytes), got '%s'",
                     NINES_HTTP_PATH_MAX, facade_cfg.health_path);
        return -1;
    }
    if (strncmp (facade_cfg.upstream, "http://", 7) || strlen (facade_cfg.upstream) >= NINES_URL_MAX) {
        nines_error ("facade/upstream: expected an http:// URL of the app (< %d bytes), got '%s'",
                     NINES_URL_MAX, facade_cfg.upstream);
        return -1;
    }
    if (nines_config_duration_ms (cfg, "facade/health_timeout", 2000, 1, 60000, &facade_cfg.health_timeout_ms)
    ||  nines_config_u64 (cfg, "facade/workers", 0, 0, 256, &facade_cfg.workers)
    ||  nines_config_u64 (cfg, "facade/body_limit", 1 << 20, 0, 1ULL << 32, &facade_cfg.body_limit)
    ||  nines_config_duration_ms (cfg, "facade/request_timeout", 10000, 100, 3600000, &facade_cfg.request_timeout_ms)
    ||  nines_config_duration_ms (cfg, "facade/handshake_timeout", 10000, 100, 600000, &facade_cfg.handshake_timeout_ms)
    ||  nines_config_u64 (cfg, "facade/max_connections", 1024, 1, 1000000, &facade_cfg.max_connections)
    ||  nines_config_u64 (cfg, "facade/max_connections_per_address", NINES_CONNCAP_DEFAULT, 1, 1000000,
                          &facade_cfg.max_per_address)
    ||  nines_config_duration_ms (cfg, "facade/upstream_timeout", 30000, 100, 3600000, &facade_cfg.upstream_timeout_ms)
    ||  nines_config_duration_ms (cfg, "facade/upstream_keepalive", 2000, 0, 3600000, &facade_cfg.upstream_keepalive_ms)
    ||  nines_config_bool (cfg, "facade/http2", true, &facade_cfg.http2)
    ||  nines_config_u64 (cfg, "facade/heartbeat_rate", 500, 1, 1000000, &facade_cfg.heartbeat_rate)) {
        nines_error ("%s", nines_config_error (cfg));
        return -1;
    }
    if (facade_cfg.workers == 0) {
        long cores = sysconf (_SC_NPROCESSORS_ONLN);
        facade_cfg.workers = cores > 0 ? (uint64_t) cores : 1;
    }
    return 0;
}

static int
s_reload (void)
{
    if (!facade_cfg.validators)
        return 0;
    char err [512];
    int rc = nines_hbcheck_load_allowlist (s_hbcheck, facade_cfg.validators, err, sizeof err);
    if (rc) {
        nines_error ("facade/validators: %s", err);
        return -1;
    }
    nines_info ("validator list %s: %zu validators allowed", facade_cfg.validators,
                nines_hbcheck_allowed (s_hbcheck));
    return 0;
}

/*  Every section/key path nines-facade reads (nines_config_check_known;
    tests/unit/test_config_keys.py checks it against the getters). */
static const char *const s_known_keys [] = {
    "facade/listen", "facade/metrics", "facade/cert", "facade/key", "facade/upstream",
    "facade/validators", "facade/ledger", "facade/ledger_pub", "facade/pod", "facade/facade_key",
    "facade/health", "facade/health_path", "facade/health_timeout", "facade/workers",
    "facade/body_limit", "facade/request_timeout", "facade/handshake_timeout",
    "facade/max_connections", "facade/max_connections_per_address", "facade/upstream_timeout",
    "facade/upstream_keepalive", "facade/http2", "facade/heartbeat_rate", "facade/log",
    NULL
};

/*  Parse the command line into cfg: the -c file (unknown keys are errors),
    then -s and the option shortcuts over it.  Returns 0 to run, 1 after
    --help or --version, 2 on an error (logged). */
static int
s_parse_args (int argc, char **argv, nines_config_t **cfg_p, bool *check_only)
{
    static const struct { const char *flag, *key; } shortcuts [] = {
        { "--listen", "facade/listen" }, { "--cert", "facade/cert" }, { "--key", "facade/key" },
        { "--metrics", "facade/metrics" },
        { "--upstream", "facade/upstream" }, { "--pod", "facade/pod" },
        { "--facade-key", "facade/facade_key" }, { "--validators", "facade/validators" },
        { "--ledger", "facade/ledger" },
        { "--health", "facade/health" }, { "--workers", "facade/workers" },
    };
    for (int i = 1; i < argc; i++)
        if (nines_arg_flag (argv [i], "-h", "--help")) {
            s_usage (stdout);
            return 1;
        }
        else if (nines_arg_flag (argv [i], "-V", "--version")) {
            nines_print_version (stdout, "nines-facade");
            return 1;
        }
    nines_config_t *over = nines_config_new ("command line");
    int rc = 0;
    const char *value = NULL;
    for (int i = 1; i < argc && !rc; i++) {
        const char *arg = argv [i];
        if (nines_arg_value (argc, argv, &i, "-c", "--config", &value) && value) {
            const char *error = NULL;
            nines_config_destroy (cfg_p);
            *cfg_p = nines_config_load (value, &error);
            if (!*cfg_p) {
                nines_error ("%s", error ? error : "cannot load the configuration");
                rc = 2;
            }
            else
            if (nines_config_check_known (*cfg_p, s_known_keys)) {
                nines_error ("%s", nines_config_error (*cfg_p));
                rc = 2;
            }
            continue;
        }
        if (nines_arg_flag (arg, "-v", "--verbose")) {
            nines_config_set (over, "facade/log", "debug");
            continue;
        }
        if (nines_arg_flag (arg, NULL, "--check-config")) {
            *check_only = true;
            continue;
        }
        if (nines_arg_value (argc, argv, &i, "-s", "--set", &value) && value) {
            if (nines_arg_override (over, value)) {
                nines_error ("%s: expected SECTION/KEY=VALUE, got '%s'", arg, value);
                rc = 2;
            }
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < sizeof shortcuts / sizeof shortcuts [0] && !known; k++)
            if (nines_arg_value (argc, argv, &i, NULL, shortcuts [k].flag, &value) && value) {
                nines_config_set (over, shortcuts [k].key, value);
                known = true;
            }
        if (!known) {
            nines_error ("unknown or incomplete argument '%s' (see --help)", arg);
            rc = 2;
        }
    }
    if (!rc && nines_config_check_known (over, s_known_keys)) {
        nines_error ("%s", nines_config_error (over));
        rc = 2;
    }
    if (!rc && !*cfg_p)
        *cfg_p = nines_config_new ("command line");
    if (!rc)
        nines_config_merge (*cfg_p, over);
    nines_config_destroy (&over);
    return rc;
}

/*  h2o's configuration: one host, the heartbeat handler then the proxy. */
static int
s_setup_h2o (void)
{
    h2o_config_init (&s_globalconf);
    s_globalconf.max_request_entity_size = facade_cfg.body_limit;
    s_globalconf.handshake_timeout = facade_cfg.handshake_timeout_ms;
    s_globalconf.http1.req_timeout = facade_cfg.request_timeout_ms;
    s_globalconf.http1.upgrade_to_http2 = 0;
    s_globalconf.http2.idle_timeout = facade_cfg.request_timeout_ms;
    s_globalconf.proxy.io_timeout = facade_cfg.upstream_timeout_ms;
    s_globalconf.proxy.emit_x_forwarded_headers = 1;
    s_globalconf.proxy.emit_via_header = 0;      /* as nginx: the app need not know */
    s_globalconf.proxy.preserve_server_header = 1;
    s_globalconf.server_name = h2o_iovec_init (H2O_STRLIT (""));   /* the app's, if any */
    h2o_hostconf_t *host = h2o_config_register_host (&s_globalconf, h2o_iovec_init (H2O_STRLIT ("default")), 65535);
    host->http2.push_preload = 0;   /* the app's Link: preload headers are hints, as with nginx */
    h2o_pathconf_t *path = h2o_config_register_path (host, "/", 0);
    /*  Each listener sees only its own host (accept_ctx.hosts), so no Host
        header reaches /metrics through the TLS port. */
    facade_main_hosts [0] = host;
    facade_metrics_hosts [0] = h2o_config_register_host (&s_globalconf, h2o_iovec_init (H2O_STRLIT ("nines-metrics")), 65535);
    h2o_handler_t *mh = h2o_create_handler (h2o_config_register_path (facade_metrics_hosts [0], "/", 0), sizeof *mh);
    mh->on_req = facade_on_metrics;
    h2o_create_logger (path, sizeof (h2o_logger_t))->log_access = facade_metrics_log;
    h2o_handler_t *hb = h2o_create_handler (path, sizeof *hb);
    hb->on_req = s_on_heartbeat;
    h2o_url_t upstream;
    if (h2o_url_parse (facade_cfg.upstream, SIZE_MAX, &upstream) != 0 || upstream.scheme != &H2O_URL_SCHEME_HTTP) {
        nines_error ("facade/upstream: expected an http:// URL of the app, got '%s'", facade_cfg.upstream);
        return -1;
    }
    h2o_proxy_config_vars_t proxy = { 0 };
    proxy.io_timeout = facade_cfg.upstream_timeout_ms;
    proxy.keepalive_timeout = facade_cfg.upstream_keepalive_ms;
    proxy.preserve_host = 1;
    h2o_proxy_register_reverse_proxy (path, &upstream, &proxy);
    return 0;
}

/*  Open the listening socket and give each worker its own descriptor of
    it (dup).  All loops accept from one queue, so the least busy loop
    tends to take the next connection; SO_REUSEPORT would hash keep-alive
    connections to loops once and for all (measured: 43/57 splits), and
    would let another process bind the port too.  0 or -1 (logged). */
static int
s_open_listeners (worker_t *workers)
{
    int fd = s_listen (facade_cfg.listen_host, facade_cfg.listen_port);
    if (fd < 0) {
        nines_error ("facade/listen: cannot listen on %s:%d: %s", facade_cfg.listen_host, facade_cfg.listen_port,
                     strerror (errno));
        return -1;
    }
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    if (getsockname (fd, (struct sockaddr *) &sa, &len) == 0)
        facade_cfg.listen_port = ntohs (sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &sa)->sin6_port
                                                            : ((struct sockaddr_in *) &sa)->sin_port);
    for (size_t i = 0; i < facade_cfg.workers; i++)
        workers [i].metrics_fd = -1;
    if (facade_cfg.metrics_port >= 0) {
        int mfd = s_listen (facade_cfg.metrics_host, facade_cfg.metrics_port);
        if (mfd < 0) {
            nines_error ("facade/metrics: cannot listen on %s:%d: %s", facade_cfg.metrics_host, facade_cfg.metrics_port,
                         strerror (errno));
            return -1;
        }
        len = sizeof sa;
        if (getsockname (mfd, (struct sockaddr *) &sa, &len) == 0)
            facade_cfg.metrics_port = ntohs (sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &sa)->sin6_port
                                                                 : ((struct sockaddr_in *) &sa)->sin_port);
        workers [0].metrics_fd = mfd;
    }
    for (size_t i = 0; i < facade_cfg.workers; i++) {
        workers [i].listen_fd = i ? fcntl (fd, F_DUPFD_CLOEXEC, 0) : fd;
        if (workers [i].listen_fd < 0) {
            nines_error ("facade/listen: %s", strerror (errno));
            return -1;
        }
    }
    return 0;
}

int
main (int argc, char **argv)
{
    nines_log_set_ident ("nines-facade");
    if (nines_crypto_init ())
        return 1;
    nines_config_t *cfg = NULL;
    bool check_only = false;
    int rc = s_parse_args (argc, argv, &cfg, &check_only);
    if (rc) {
        nines_config_destroy (&cfg);
        return rc == 1 ? 0 : 2;
    }
    nines_log_level_t level;
    const char *level_text = nines_config_str (cfg, "facade/log", "info");
    if (nines_log_level_parse (level_text, &level)) {
        nines_error ("facade/log: expected error, warn, info or debug, got '%s'", level_text);
        nines_config_destroy (&cfg);
        return 2;
    }
    nines_log_set_level (level);
    if (s_configure (cfg) || facade_setup_tls () || s_setup_h2o ()) {
        nines_config_destroy (&cfg);
        return 2;
    }
    if (check_only) {
        printf ("configuration valid\n");
        nines_config_destroy (&cfg);
        return 0;
    }
    size_t replay = nines_hbcheck_replay_size (facade_cfg.heartbeat_rate);
    s_hbcheck = nines_hbcheck_new (facade_cfg.pod, replay);
    atomic_store (&facade_replay_slots, replay);
    nines_info ("replay cache: %zu nonces, for up to %llu heartbeats/s (facade/heartbeat_rate)",
                replay, (unsigned long long) facade_cfg.heartbeat_rate);
    s_conncap = nines_conncap_new (facade_cfg.max_connections, facade_cfg.max_per_address);
    worker_t *workers = calloc (facade_cfg.workers, sizeof *workers);
    if (!s_hbcheck || !s_conncap || !workers)
        return 1;
    if (s_reload () || s_open_listeners (workers))
        return 2;
    curl_global_init (CURL_GLOBAL_DEFAULT);

    /* Signals go to the main thread only. */
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGHUP);
    sigaddset (&signals, SIGTERM);
    sigaddset (&signals, SIGINT);
    pthread_sigmask (SIG_BLOCK, &signals, NULL);
    signal (SIGPIPE, SIG_IGN);

    pthread_t follower;
    if (facade_cfg.ledger) {
        zsys_handler_set (NULL);         /* signals are ours (sigwait below) */
        pthread_create (&follower, NULL, s_ledger_follower, NULL);
    }
    /* Path mode's health checks; forward mode needs none. */
    size_t n_health = 0;
    if (!facade_cfg.health_forward)
        n_health = facade_cfg.workers < 2 ? 2 : facade_cfg.workers;
    pthread_t *health = calloc (n_health, sizeof *health);
    for (size_t i = 0; i < n_health; i++)
        pthread_create (&health [i], NULL, facade_health_worker, NULL);
    pthread_barrier_init (&s_ready, NULL, (unsigned) facade_cfg.workers + 1);
    pthread_barrier_init (&s_stopped, NULL, (unsigned) facade_cfg.workers + 1);
    for (size_t i = 0; i < facade_cfg.workers; i++) {
        workers [i].index = (int) i;
        pthread_create (&workers [i].thread, NULL, s_worker_main, &workers [i]);
    }
    pthread_barrier_wait (&s_ready);
    char hex [NINES_ID_HEX];
    nines_info ("pod %s: listening on https://%s:%d/ with %llu workers, proxying to %s",
                nines_hex (hex, facade_cfg.pod, NINES_ID_BYTES), facade_cfg.listen_host, facade_cfg.listen_port,
                (unsigned long long) facade_cfg.workers, facade_cfg.upstream);
    if (facade_cfg.metrics_port >= 0)
        nines_info ("metrics on http://%s:%d/metrics", facade_cfg.metrics_host, facade_cfg.metrics_port);
    for (;;) {
        int sig = 0;
        if (sigwait (&signals, &sig))
            continue;
        if (sig == SIGHUP) {
            s_reload ();
            facade_reload_tls (workers);
            facade_reload_facade_key ();
        }
        else {
            nines_info ("signal %d: stopping", sig);
            break;
        }
    }
    /* Stop: wake every loop and every health thread, then join them. */
    atomic_store (&facade_stopping, true);
    if (facade_cfg.ledger)
        pthread_join (follower, NULL);
    pthread_mutex_lock (&facade_pool_lock);
    pthread_cond_broadcast (&facade_pool_cond);
    pthread_mutex_unlock (&facade_pool_lock);
    for (size_t i = 0; i < n_health; i++)
        pthread_join (health [i], NULL);
    for (size_t i = 0; i < facade_cfg.workers; i++)
        h2o_multithread_send_message (&workers [i].stop_receiver, &workers [i].stop_message);
    pthread_barrier_wait (&s_stopped);
    while (facade_pool_head) {
        health_job_t *job = facade_pool_head;
        facade_pool_head = job->next;
        free (job);
    }
    free (health);
    nines_hbcheck_destroy (&s_hbcheck);
    nines_conncap_destroy (&s_conncap);
    nines_keypair_wipe (&facade_cfg.facade_key);
    curl_global_cleanup ();
    /* workers and the h2o contexts stay reachable until exit: the loops
       are stopped and parked, not disposed (h2o 2.2.5 cannot dispose a
       context with live connections). */
    nines_config_destroy (&cfg);
    return 0;
}
