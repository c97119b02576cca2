/*  nines-facade: the HTTPS heartbeat facade beside a pod (DESIGN.md §6).

    One h2o event loop per worker thread, all accepting from one listening
    socket; TLS by OpenSSL with the pod's certificate, HTTP/1.1 only
    (ALPN http/1.1, no h2c upgrade).  Every request passes two handlers:
      1. the heartbeat handler: a request whose Nines-Heartbeat header is a
         fresh, valid heartbeat from an allowed validator (hbcheck.c) is
         answered here, after an app health check, with 200 and the
         facade-signed response header.  Anything else declines, so an
         unknown, forged, stale or replayed heartbeat is proxied exactly
         like user traffic;
      2. h2o's reverse proxy to the app on localhost (keep-alive upstream,
         X-Forwarded-For/-Proto, 502 when the app is down); its idle
         upstream connections stay in their worker's loop (sockpool.c).
    The health check is a blocking libcurl request run on a small thread
    pool, its answer posted back to the worker's loop through h2o's
    multithread queue, so no event loop ever blocks on the app.

    The allow-list of validators comes from a file (SIGHUP reloads it, no
    connection is dropped) or from the ledger: a follower thread fetches
    the registry (op `registry`) at start, on every "registry" message of
    the ledger's PUB socket and every 30 s, and allows the eligible
    validators (stake >= min_validator_stake).  The main thread handles
    signals: SIGHUP reloads the file, the certificate and key, and the
    facade key (a key rotation, PROTOCOL.md section 10.2),
    SIGTERM/SIGINT stop the loops, the
    follower and the health threads, and exit 0. */
#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/error.h"
#include "crypto/crypto.h"
#include "facade/conncap.h"
#include "facade/hbcheck.h"
#include "client/ledger_client.h"
#include "wire/wire.h"
#include <arpa/inet.h>
#include <czmq.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <h2o.h>
#include <h2o/multithread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEALTH_QUEUE_MAX   1024     /* pending app checks before heartbeats are proxied */
#define REPLAY_CAP         65536    /* nonces remembered (60 s window) */
#define LEDGER_REFRESH_MS  30000    /* re-fetch the registry at least this often */
#define LEDGER_REPLY_MS    5000     /* wait this long for a registry reply */

typedef struct {
    char listen_host [256];         /* bind address, without brackets */
    int listen_port;                /* bind port; 0 = ephemeral (tests) */
    char metrics_host [256];        /* GET /metrics bind address ("" with port -1: off) */
    int metrics_port;               /* its port, -1 off */
    const char *cert;               /* PEM certificate chain */
    const char *key;                /* PEM private key */
    const char *upstream;           /* app URL, http://127.0.0.1:8080/ */
    uint8_t pod [NINES_ID_BYTES];   /* our pod id */
    nines_keypair_t facade_key;     /* signs heartbeat answers (under s_key_lock) */
    const char *facade_key_file;    /* its key file, re-read on SIGHUP */
    const char *validators;         /* allow-list file, NULL = none */
    const char *ledger;             /* ledger API endpoint, NULL = none */
    const char *ledger_pub;         /* ledger PUB endpoint */
    bool health_forward;            /* forward mode (else path mode) */
    const char *health_path;        /* path mode: the app's health path */
    uint64_t health_timeout_ms;     /* app check timeout */
    uint64_t workers;               /* event loops */
    uint64_t body_limit;            /* request body limit, bytes */
    uint64_t request_timeout_ms;    /* idle / request-read timeout */
    uint64_t handshake_timeout_ms;  /* TLS handshake timeout */
    uint64_t max_connections;       /* concurrent connections, all workers */
    uint64_t max_per_address;       /* of which from one address (IPv6: one /64) */
    uint64_t upstream_timeout_ms;   /* proxy I/O timeout */
    uint64_t upstream_keepalive_ms; /* idle upstream connection lifetime */
    uint64_t padding;               /* heartbeat answer body, bytes */
    uint64_t padding_jitter;        /* plus uniform 0..jitter bytes */
} facade_config_t;

static facade_config_t s_cfg;
static nines_hbcheck_t *s_hbcheck;
static nines_conncap_t *s_conncap;  /* connections per client address */
static atomic_ulong s_refused_per_address;  /* connections closed at accept: over the per-address cap */
static pthread_mutex_t s_refused_lock = PTHREAD_MUTEX_INITIALIZER;  /* guards s_refused_log */
static nines_ratelimit_t s_refused_log = { .interval_ms = 10000 };  /* one such warning per 10 s */
static h2o_globalconf_t s_globalconf;
static SSL_CTX *s_ssl_ctx;
static atomic_long s_connections;   /* open client connections */
static atomic_bool s_stopping;      /* set once by SIGTERM/SIGINT */
static char *s_padding;             /* padding + jitter bytes of filler */
static pthread_barrier_t s_ready;   /* workers + main: every loop is listening */
static pthread_barrier_t s_stopped; /* workers + main: every loop has stopped */

/*  ---- GET /metrics on its own listener (issue 12) ----

    The worker loops count into atomics; a scrape (served by worker 0's
    loop on facade/metrics, plain HTTP, a separate h2o host so the TLS port
    never answers it) builds a registry from them and renders it. */

#define HB_RESULTS (1 - NINES_ELAST)    /* 0 = ok, i = NINES_E* code -i */
static const double s_latency_bounds [] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                            0.25, 0.5, 1, 2.5, 5, 10 };
#define LATENCY_BUCKETS (sizeof s_latency_bounds / sizeof s_latency_bounds [0])

static atomic_ulong s_m_requests [3];       /* proxied, heartbeat, rejected */
static atomic_ulong s_m_upstream_errors;    /* proxy answered 502 Gateway Error */
static atomic_ulong s_m_hbcheck [HB_RESULTS]; /* heartbeat header checks by result */
static atomic_ulong s_m_conn_rejected;      /* closed at the connection limit */
static atomic_ulong s_m_latency [LATENCY_BUCKETS + 1]; /* proxied latency, per bucket */
static atomic_ulong s_m_latency_us;         /* sum, microseconds */
static h2o_hostconf_t *s_main_hosts [2];    /* the TLS listener's host only */
static h2o_hostconf_t *s_metrics_hosts [2]; /* the metrics listener's host only */

static void
s_metrics_hbcheck (int rc)
{
    int i = rc <= 0 && rc >= NINES_ELAST ? -rc : -NINES_EINVAL;
    atomic_fetch_add (&s_m_hbcheck [i], 1);
}


/*  ---- the app health check, on a thread pool ---- */

typedef struct health_job {
    h2o_multithread_message_t super;   /* link for the loop's queue */
    struct health_job *next;           /* pool queue */
    h2o_multithread_receiver_t *reply_to; /* worker loop receiver */
    h2o_req_t *req;                    /* NULL once the client went away */
    struct health_job **slot;          /* in req's pool; points back here */
    nines_hb_req_t hb;                 /* the verified heartbeat */
    char url [NINES_URL_MAX + NINES_HTTP_PATH_MAX]; /* what to check */
    char method [16];                  /* the request method to use */
    char host [256];                   /* Host header to send, "" = from url */
    long status;                       /* app HTTP status, 0 = no answer */
    uint32_t latency_us;               /* app answer time */
} health_job_t;

static pthread_mutex_t s_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_pool_cond = PTHREAD_COND_INITIALIZER;
static health_job_t *s_pool_head, *s_pool_tail;  /* jobs waiting for a thread */
static size_t s_pool_pending;                    /* jobs queued, not yet taken */

static size_t
s_discard (char *ptr, size_t size, size_t nmemb, void *arg)
{
    return size * nmemb;
}

/*  One app request for job: fills status (0 when the app did not answer
    within health_timeout) and latency_us. */
static void
s_health_check (CURL *curl, health_job_t *job)
{
    curl_easy_reset (curl);
    curl_easy_setopt (curl, CURLOPT_URL, job->url);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) s_cfg.health_timeout_ms);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_discard);
    if (strcmp (job->method, "HEAD") == 0)
        curl_easy_setopt (curl, CURLOPT_NOBODY, 1L);
    else
    if (strcmp (job->method, "GET") != 0)
        curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, job->method);
    struct curl_slist *headers = NULL;
    char host [sizeof job->host + 8];
    if (*job->host) {
        snprintf (host, sizeof host, "Host: %s", job->host);
        headers = curl_slist_append (NULL, host);
        curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    }
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    CURLcode rc = curl_easy_perform (curl);
    clock_gettime (CLOCK_MONOTONIC, &t1);
    curl_slist_free_all (headers);
    job->status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &job->status);
    int64_t us = (int64_t) (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
    job->latency_us = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t) us;
}

static void *
s_health_worker (void *arg)
{
    CURL *curl = curl_easy_init ();
    for (;;) {
        pthread_mutex_lock (&s_pool_lock);
        while (!s_pool_head && !atomic_load (&s_stopping))
            pthread_cond_wait (&s_pool_cond, &s_pool_lock);
        if (atomic_load (&s_stopping)) {
            pthread_mutex_unlock (&s_pool_lock);
            break;
        }
        health_job_t *job = s_pool_head;
        s_pool_head = job->next;
        if (!s_pool_head)
            s_pool_tail = NULL;
        s_pool_pending--;
        pthread_mutex_unlock (&s_pool_lock);
        if (curl)
            s_health_check (curl, job);
        h2o_multithread_send_message (job->reply_to, &job->super);
    }
    if (curl)
        curl_easy_cleanup (curl);
    return NULL;
}

/*  The request's pool is cleared when the client goes away: forget it. */
static void
s_on_req_dispose (void *p)
{
    health_job_t **slot = (health_job_t **) p;
    if (*slot)
        (*slot)->req = NULL;
}

/*  Body size of a heartbeat answer: padding plus uniform 0..jitter. */
static size_t
s_padding_size (void)
{
    if (!s_cfg.padding_jitter)
        return s_cfg.padding;
    uint32_t r;
    nines_random (&r, sizeof r);
    return s_cfg.padding + r % (s_cfg.padding_jitter + 1);
}

/*  The facade key: read by every worker, replaced by the main thread on
    SIGHUP, so workers sign with a copy taken under the lock. */
static pthread_mutex_t s_key_lock = PTHREAD_MUTEX_INITIALIZER;

static void
s_facade_key_get (nines_keypair_t *out)
{
    pthread_mutex_lock (&s_key_lock);
    *out = s_cfg.facade_key;
    pthread_mutex_unlock (&s_key_lock);
}

/*  Re-read the facade key file (SIGHUP): answers signed from now on use the
    new key.  A file that does not load is logged and the old key kept. */
static void
s_reload_facade_key (void)
{
    nines_keypair_t kp;
    int rc = nines_keyfile_load (s_cfg.facade_key_file, &kp);
    if (rc) {
        nines_error ("facade/facade_key: %s: %s; keeping the previous key", s_cfg.facade_key_file,
                     nines_strerror (rc));
        return;
    }
    pthread_mutex_lock (&s_key_lock);
    bool same = memcmp (kp.pk, s_cfg.facade_key.pk, NINES_ID_BYTES) == 0;
    nines_keypair_wipe (&s_cfg.facade_key);
    s_cfg.facade_key = kp;
    pthread_mutex_unlock (&s_key_lock);
    char hex [NINES_ID_HEX];
    nines_info ("facade key %s %s", nines_hex (hex, kp.pk, NINES_ID_BYTES), same ? "unchanged" : "loaded");
    nines_keypair_wipe (&kp);
}

static void
s_on_health_done (h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty (messages)) {
        health_job_t *job = H2O_STRUCT_FROM_MEMBER (health_job_t, super.link, messages->next);
        h2o_linklist_unlink (&job->super.link);
        h2o_req_t *req = job->req;
        if (req) {
            /* Detach first: sending may dispose the request (and the slot
               with its pool) synchronously. */
            *job->slot = NULL;
            char value [NINES_HB_VALUE_MAX];
            uint16_t status = job->status < 0 || job->status > 65535 ? 0 : (uint16_t) job->status;
            nines_keypair_t key;
            s_facade_key_get (&key);
            int signed_rc = nines_hb_resp_make (&key, &job->hb, status, job->latency_us,
                                                NULL, value, sizeof value);
            nines_keypair_wipe (&key);
            if (signed_rc == 0) {
                req->res.status = 200;
                req->res.reason = "OK";
                h2o_add_header (&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                                H2O_STRLIT ("text/html; charset=utf-8"));
                h2o_iovec_t copy = h2o_strdup (&req->pool, value, strlen (value));
                h2o_add_header_by_str (&req->pool, &req->res.headers, H2O_STRLIT ("nines-heartbeat"),
                                       0, NULL, copy.base, copy.len);
                h2o_send_inline (req, s_padding, s_padding_size ());
            }
            else
                h2o_send_error_500 (req, "Internal Server Error", "internal error", 0);
        }
        free (job);
    }
}

/*  Per worker state. */
typedef struct {
    h2o_context_t ctx;              /* h2o context (owns the loop) */
    h2o_accept_ctx_t accept_ctx;    /* for h2o_accept */
    h2o_multithread_receiver_t health_receiver; /* health answers */
    h2o_multithread_receiver_t stop_receiver;   /* wakes the loop to stop */
    h2o_multithread_message_t stop_message;     /* sent once by main */
    h2o_multithread_receiver_t tls_receiver;    /* certificate reloads */
    h2o_multithread_message_t tls_message;      /* sent by main on SIGHUP */
    int listen_fd;                  /* this worker's descriptor of the listener */
    h2o_accept_ctx_t metrics_accept_ctx; /* the metrics listener's (plain HTTP) */
    int metrics_fd;                 /* its descriptor (worker 0 only), -1 none */
    int index;                      /* worker number */
    pthread_t thread;               /* running s_worker_main */
} worker_t;

static __thread worker_t *s_worker;

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
    size_t blen = strlen (s_cfg.upstream);
    while (blen && s_cfg.upstream [blen - 1] == '/')
        blen--;
    return (int) blen;
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
    s_metrics_hbcheck (rc);
    if (rc) {
        nines_debug ("heartbeat header not accepted (%s): proxied as a normal request",
                     nines_strerror (rc));
        return -1;                     /* indistinguishable from user traffic */
    }
    health_job_t *job = calloc (1, sizeof *job);
    if (!job)
        return -1;
    job->req = req;
    job->hb = hb;
    job->reply_to = &s_worker->health_receiver;
    int blen = s_upstream_base_len ();
    if (s_cfg.health_forward) {
        /* The heartbeat request itself, as the app would see it. */
        snprintf (job->url, sizeof job->url, "%.*s%.*s", blen, s_cfg.upstream,
                  (int) (req->path.len < NINES_HTTP_PATH_MAX * 2 ? req->path.len : NINES_HTTP_PATH_MAX * 2),
                  req->path.base);
        snprintf (job->method, sizeof job->method, "%.*s",
                  (int) (req->method.len < 15 ? req->method.len : 15), req->method.base);
        if (req->authority.len && req->authority.len < sizeof job->host
        &&  !memchr (req->authority.base, '\r', req->authority.len)
        &&  !memchr (req->authority.base, '\n', req->authority.len))
            snprintf (job->host, sizeof job->host, "%.*s", (int) req->authority.len, req->authority.base);
    }
    else {
        snprintf (job->url, sizeof job->url, "%.*s%s", blen, s_cfg.upstream, s_cfg.health_path);
        strcpy (job->method, "GET");
    }
    pthread_mutex_lock (&s_pool_lock);
    if (s_pool_pending >= HEALTH_QUEUE_MAX) {
        pthread_mutex_unlock (&s_pool_lock);
        free (job);
        nines_warn ("%d app checks pending: heartbeat proxied as a normal request", HEALTH_QUEUE_MAX);
        return -1;
    }
    health_job_t **slot = h2o_mem_alloc_shared (&req->pool, sizeof *slot, s_on_req_dispose);
    *slot = job;
    job->slot = slot;
    if (s_pool_tail)
        s_pool_tail->next = job;
    else
        s_pool_head = job;
    s_pool_tail = job;
    s_pool_pending++;
    pthread_cond_signal (&s_pool_cond);
    pthread_mutex_unlock (&s_pool_lock);
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
    atomic_fetch_sub (&s_connections, 1);
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
                    "(%llu such closes in all)", (unsigned long long) s_cfg.max_per_address,
                    (unsigned long long) refused);
}

/*  One connection per wake-up (nginx's multi_accept off): every loop is
    woken by a new connection and the first free one takes it, so a burst
    of connections spreads over the loops. */
static void
s_on_accept (h2o_socket_t *listener, const char *err)
{
    if (err)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept (listener);
    if (!sock)
        return;                         /* another loop took it */
    if (atomic_fetch_add (&s_connections, 1) >= (long) s_cfg.max_connections) {
        atomic_fetch_sub (&s_connections, 1);
        atomic_fetch_add (&s_m_conn_rejected, 1);
        nines_debug ("connection limit %llu reached: connection closed",
                     (unsigned long long) s_cfg.max_connections);
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
        atomic_fetch_sub (&s_connections, 1);
        h2o_socket_close (sock);
        return;
    }
    /* h2o 2.2.5 creates the connection's SSL (which up-refs the context)
       only when the ClientHello's first bytes arrive, up to
       handshake_timeout later, and meanwhile keeps a bare pointer to the
       context (sock->ssl->ssl_ctx).  A certificate reload must not free
       that context under it: the socket holds a reference until it closes. */
    hold->tls = s_worker->accept_ctx.ssl_ctx;
    SSL_CTX_up_ref (hold->tls);
    sock->on_close.cb = s_on_conn_close;
    sock->on_close.data = hold;
    h2o_accept (&s_worker->accept_ctx, sock);
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

/*  Certificate reload: main publishes the new context in s_tls_next and
    waits until every loop has taken it (s_tls_taken), then drops its own
    reference to the old one; every connection accepted with the old one
    holds a reference until it closes (s_on_accept), so the old context
    lives on until its last connection, handshaken or not, is gone. */
static pthread_mutex_t s_tls_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_tls_cond = PTHREAD_COND_INITIALIZER;
static SSL_CTX *s_tls_next;         /* context being rolled out */
static size_t s_tls_taken;          /* loops that switched to it */

static void
s_on_tls_reload (h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty (messages))
        h2o_linklist_unlink (messages->next);
    pthread_mutex_lock (&s_tls_lock);
    s_worker->accept_ctx.ssl_ctx = s_tls_next;
    s_tls_taken++;
    pthread_cond_broadcast (&s_tls_cond);
    pthread_mutex_unlock (&s_tls_lock);
}

/*  Every request on the TLS port, once answered: its class, and for
    proxied ones the latency and whether the proxy itself failed. */
static void
s_metrics_log (h2o_logger_t *self, h2o_req_t *req)
{
    bool asked = h2o_find_header_by_str (&req->headers, H2O_STRLIT ("nines-heartbeat"), -1) >= 0;
    bool answered = h2o_find_header_by_str (&req->res.headers, H2O_STRLIT ("nines-heartbeat"), -1) >= 0;
    int cls = answered ? 1 : asked ? 2 : 0;
    atomic_fetch_add (&s_m_requests [cls], 1);
    if (answered)
        return;
    if (req->res.status == 502 && req->res.reason && !strcmp (req->res.reason, "Gateway Error"))
        atomic_fetch_add (&s_m_upstream_errors, 1);
    int64_t us = 0;
    if (h2o_time_compute_duration (req, &us) && us >= 0) {
        size_t b = 0;
        while (b < LATENCY_BUCKETS && (double) us / 1e6 > s_latency_bounds [b])
            b++;
        atomic_fetch_add (&s_m_latency [b], 1);
        atomic_fetch_add (&s_m_latency_us, (unsigned long) us);
    }
}

/*  notAfter of ctx's certificate, seconds since the epoch; 0 if unknown. */
static double
s_cert_not_after (SSL_CTX *ctx)
{
    X509 *x = ctx ? SSL_CTX_get0_certificate (ctx) : NULL;
    struct tm tm;
    if (!x || !ASN1_TIME_to_tm (X509_get0_notAfter (x), &tm))
        return 0;
    return (double) timegm (&tm);
}

static char *
s_metrics_text (size_t *len)
{
    nines_metrics_t *r = nines_metrics_new ();
    if (!r)
        return NULL;
    nines_metric_t *req = nines_metrics_add (r, NINES_METRIC_COUNTER, "nines_facade_requests_total",
        "Requests on the TLS port by class: proxied to the app, heartbeat (answered here), rejected "
        "(a Nines-Heartbeat header that failed its check: proxied like user traffic).", "class", 3, NULL, 0);
    nines_metric_t *lat = nines_metrics_add (r, NINES_METRIC_HISTOGRAM, "nines_facade_proxy_duration_seconds",
        "Time from request start to response end of proxied requests, seconds.", NULL, 1,
        s_latency_bounds, LATENCY_BUCKETS);
    nines_metric_t *up = nines_metrics_add (r, NINES_METRIC_COUNTER, "nines_facade_upstream_errors_total",
        "Proxied requests the app did not answer (502 Gateway Error from the proxy: refused, reset, timeout).",
        NULL, 1, NULL, 0);
    nines_metric_t *conn = nines_metrics_add (r, NINES_METRIC_GAUGE, "nines_facade_connections",
        "Open client connections on the TLS port.", NULL, 1, NULL, 0);
    nines_metric_t *rej = nines_metrics_add (r, NINES_METRIC_COUNTER, "nines_facade_connections_rejected_total",
        "Connections closed at accept because facade/max_connections were open.", NULL, 1, NULL, 0);
    nines_metric_t *hb = nines_metrics_add (r, NINES_METRIC_COUNTER, "nines_facade_heartbeat_checks_total",
        "Nines-Heartbeat headers checked, by result (ok or the NINES_E* reason).", "result", HB_RESULTS, NULL, 0);
    nines_metric_t *cert = nines_metrics_add (r, NINES_METRIC_GAUGE, "nines_facade_cert_expiry_seconds",
        "notAfter of the certificate the TLS port serves, seconds since the epoch.", NULL, 1, NULL, 0);
    static const char *const cls [3] = { "proxied", "heartbeat", "rejected" };
    for (int i = 0; i < 3; i++)
        nines_metric_set (req, (const char *[]) { cls [i] }, (double) atomic_load (&s_m_requests [i]));
    uint64_t counts [LATENCY_BUCKETS + 1];
    for (size_t b = 0; b <= LATENCY_BUCKETS; b++)
        counts [b] = atomic_load (&s_m_latency [b]);
    nines_metric_set_histogram (lat, NULL, counts, (double) atomic_load (&s_m_latency_us) / 1e6);
    nines_metric_set (up, NULL, (double) atomic_load (&s_m_upstream_errors));
    nines_metric_set (conn, NULL, (double) atomic_load (&s_connections));
    nines_metric_set (rej, NULL, (double) atomic_load (&s_m_conn_rejected));
    for (int i = 0; i < HB_RESULTS; i++) {
        unsigned long n = atomic_load (&s_m_hbcheck [i]);
        if (n || i == 0)
            nines_metric_set (hb, (const char *[]) { i ? nines_errname (-i) : "ok" }, (double) n);
    }
    double na = s_cert_not_after (s_worker ? s_worker->accept_ctx.ssl_ctx : NULL);
    if (na > 0)
        nines_metric_set (cert, NULL, na);
    nines_metrics_process (r);
    char *text = nines_metrics_render (r, len);
    nines_metrics_destroy (&r);
    return text;
}

static int
s_on_metrics (h2o_handler_t *self, h2o_req_t *req)
{
    if (!h2o_memis (req->path_normalized.base, req->path_normalized.len, H2O_STRLIT ("/metrics"))) {
        h2o_send_error_generic (req, 404, "Not Found", "not found: metrics are at /metrics\n", 0);
        return 0;
    }
    size_t len = 0;
    char *text = s_metrics_text (&len);
    if (!text) {
        h2o_send_error_500 (req, "Internal Server Error", "cannot render metrics\n", 0);
        return 0;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header (&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                    H2O_STRLIT (NINES_METRICS_CONTENT_TYPE));
    h2o_send_inline (req, text, len);
    free (text);
    return 0;
}

static void
s_on_metrics_accept (h2o_socket_t *listener, const char *err)
{
    if (err)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept (listener);
    if (sock)
        h2o_accept (&s_worker->metrics_accept_ctx, sock);
}

static void *
s_worker_main (void *arg)
{
    worker_t *w = (worker_t *) arg;
    s_worker = w;
    h2o_context_init (&w->ctx, h2o_evloop_create (), &s_globalconf);
    w->accept_ctx.ctx = &w->ctx;
    w->accept_ctx.hosts = s_main_hosts;
    w->metrics_accept_ctx.ctx = &w->ctx;
    w->metrics_accept_ctx.hosts = s_metrics_hosts;
    w->accept_ctx.ssl_ctx = s_ssl_ctx;
    h2o_multithread_register_receiver (w->ctx.queue, &w->health_receiver, s_on_health_done);
    h2o_multithread_register_receiver (w->ctx.queue, &w->stop_receiver, s_on_stop);
    h2o_multithread_register_receiver (w->ctx.queue, &w->tls_receiver, s_on_tls_reload);
    h2o_socket_t *listener = h2o_evloop_socket_create (w->ctx.loop, w->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    h2o_socket_read_start (listener, s_on_accept);
    h2o_socket_t *mlistener = NULL;
    if (w->metrics_fd >= 0) {
        mlistener = h2o_evloop_socket_create (w->ctx.loop, w->metrics_fd, H2O_SOCKET_FLAG_DONT_READ);
        h2o_socket_read_start (mlistener, s_on_metrics_accept);
    }
    pthread_barrier_wait (&s_ready);
    while (!atomic_load (&s_stopping))
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
        nines_warn ("facade/ledger: %s: no registry reply within %d ms", s_cfg.ledger, LEDGER_REPLY_MS);
        zsock_destroy (dealer);
        *dealer = zsock_new_dealer (s_cfg.ledger);
        return NINES_ETIMEOUT;
    }
    zframe_t *reply = zframe_recv (*dealer);
    nines_registry_t *reg = NULL;
    rc = reply ? nines_ledger_parse_registry (zframe_data (reply), zframe_size (reply), &reg, NULL)
               : NINES_EIO;
    zframe_destroy (&reply);
    if (rc) {
        nines_warn ("facade/ledger: %s: bad registry reply: %s", s_cfg.ledger, nines_strerror (rc));
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
    zsock_t *dealer = zsock_new_dealer (s_cfg.ledger);
    zsock_t *sub = zsock_new_sub (s_cfg.ledger_pub, NINES_LEDGER_TOPIC_REGISTRY);
    if (!dealer || !sub) {
        nines_error ("facade/ledger: cannot connect to %s / %s", s_cfg.ledger, s_cfg.ledger_pub);
        zsock_destroy (&dealer);
        zsock_destroy (&sub);
        return NULL;
    }
    zpoller_t *poller = zpoller_new (sub, NULL);
    int64_t next = 0;                   /* next scheduled fetch, zclock_mono ms */
    while (!atomic_load (&s_stopping)) {
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
        "The HTTPS heartbeat facade beside a pod: answers validators' heartbeats after\n"
        "checking the app, and reverse-proxies every other request to the app.\n"
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
        "  -v, --verbose             debug logs (facade/log_level = debug)\n"
        "  -h, --help                this text\n"
        "\n"
        "Signals: SIGHUP reloads the validator list, the certificate and key and the facade key\n"
        "(no connection dropped); SIGTERM and SIGINT stop.\n"
        "Exit status: 0 after a signal, 2 on a bad configuration.\n");
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
                     s_cfg.listen_host, &s_cfg.listen_port))
        return -1;
    const char *metrics = nines_config_str (cfg, "facade/metrics", "");
    s_cfg.metrics_port = -1;
    if (*metrics && s_host_port ("facade/metrics", metrics, s_cfg.metrics_host, &s_cfg.metrics_port))
        return -1;
    s_cfg.cert = nines_config_str (cfg, "facade/cert", NULL);
    s_cfg.key = nines_config_str (cfg, "facade/key", NULL);
    s_cfg.upstream = nines_config_str (cfg, "facade/upstream", "http://127.0.0.1:8080/");
    s_cfg.validators = nines_config_str (cfg, "facade/validators", NULL);
    if (s_cfg.validators && !*s_cfg.validators)
        s_cfg.validators = NULL;
    s_cfg.ledger = nines_config_str (cfg, "facade/ledger", NULL);
    if (s_cfg.ledger && !*s_cfg.ledger)
        s_cfg.ledger = NULL;
    s_cfg.ledger_pub = nines_config_str (cfg, "facade/ledger_pub", "tcp://127.0.0.1:7501");
    if (s_cfg.ledger && s_cfg.validators) {
        nines_error ("facade/validators and facade/ledger: set one source of validators, not both");
        return -1;
    }
    if (s_cfg.ledger && (strncmp (s_cfg.ledger, "tcp://", 6) || strncmp (s_cfg.ledger_pub, "tcp://", 6))) {
        nines_error ("facade/ledger, facade/ledger_pub: expected tcp://host:port, got '%s', '%s'",
                     s_cfg.ledger, s_cfg.ledger_pub);
        return -1;
    }
    const char *pod = nines_config_str (cfg, "facade/pod", NULL);
    const char *keyfile = nines_config_str (cfg, "facade/facade_key", NULL);
    const char *mode = nines_config_str (cfg, "facade/health", "forward");
    s_cfg.health_path = nines_config_str (cfg, "facade/health_path", "/healthz");
    if (!s_cfg.cert || !s_cfg.key) {
        nines_error ("facade/cert and facade/key: required (PEM files)");
        return -1;
    }
    if (!pod || nines_unhex (s_cfg.pod, NINES_ID_BYTES, pod)) {
        nines_error ("facade/pod: expected the pod id as 64 hex digits, got '%s'", pod ? pod : "(missing)");
        return -1;
    }
    if (!keyfile) {
        nines_error ("facade/facade_key: required (a nines key file)");
        return -1;
    }
    s_cfg.facade_key_file = keyfile;
    int rc = nines_keyfile_load (keyfile, &s_cfg.facade_key);
    if (rc) {
        nines_error ("facade/facade_key: %s: %s", keyfile, nines_strerror (rc));
        return -1;
    }
    if (strcmp (mode, "forward") && strcmp (mode, "path")) {
        nines_error ("facade/health: expected forward or path, got '%s'", mode);
        return -1;
    }
    s_cfg.health_forward = strcmp (mode, "forward") == 0;
    if (s_cfg.health_path [0] != '/' || strlen (s_cfg.health_path) >= NINES_HTTP_PATH_MAX) {
        nines_error ("facade/health_path: expected a path starting with '/' (< %d bytes), got '%s'",
                     NINES_HTTP_PATH_MAX, s_cfg.health_path);
        return -1;
    }
    if (strncmp (s_cfg.upstream, "http://", 7) || strlen (s_cfg.upstream) >= NINES_URL_MAX) {
        nines_error ("facade/upstream: expected an http:// URL of the app (< %d bytes), got '%s'",
                     NINES_URL_MAX, s_cfg.upstream);
        return -1;
    }
    if (nines_config_duration_ms (cfg, "facade/health_timeout", 2000, 1, 60000, &s_cfg.health_timeout_ms)
    ||  nines_config_u64 (cfg, "facade/workers", 0, 0, 256, &s_cfg.workers)
    ||  nines_config_u64 (cfg, "facade/body_limit", 1 << 20, 0, 1ULL << 32, &s_cfg.body_limit)
    ||  nines_config_duration_ms (cfg, "facade/request_timeout", 10000, 100, 3600000, &s_cfg.request_timeout_ms)
    ||  nines_config_duration_ms (cfg, "facade/handshake_timeout", 10000, 100, 600000, &s_cfg.handshake_timeout_ms)
    ||  nines_config_u64 (cfg, "facade/max_connections", 1024, 1, 1000000, &s_cfg.max_connections)
    ||  nines_config_u64 (cfg, "facade/max_connections_per_address", NINES_CONNCAP_DEFAULT, 1, 1000000,
                          &s_cfg.max_per_address)
    ||  nines_config_duration_ms (cfg, "facade/upstream_timeout", 30000, 100, 3600000, &s_cfg.upstream_timeout_ms)
    ||  nines_config_duration_ms (cfg, "facade/upstream_keepalive", 2000, 0, 3600000, &s_cfg.upstream_keepalive_ms)
    ||  nines_config_u64 (cfg, "facade/padding", 512, 0, 1 << 20, &s_cfg.padding)
    ||  nines_config_u64 (cfg, "facade/padding_jitter", 256, 0, 1 << 20, &s_cfg.padding_jitter)) {
        nines_error ("%s", nines_config_error (cfg));
        return -1;
    }
    if (s_cfg.workers == 0) {
        long cores = sysconf (_SC_NPROCESSORS_ONLN);
        s_cfg.workers = cores > 0 ? (uint64_t) cores : 1;
    }
    return 0;
}

/*  A TLS context with the configured certificate chain and key; NULL
    (logged) when they cannot be loaded or do not match. */
static SSL_CTX *
s_tls_ctx_new (void)
{
    SSL_CTX *ctx = SSL_CTX_new (TLS_server_method ());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
    SSL_CTX_set_options (ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
                            | SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* AEADs only; AES-128-GCM first: as strong in practice and cheaper
       per byte than AES-256 on the user's request path. */
    SSL_CTX_set_ciphersuites (ctx, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384");
    SSL_CTX_set_cipher_list (ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
    if (SSL_CTX_use_certificate_chain_file (ctx, s_cfg.cert) != 1) {
        nines_error ("facade/cert: cannot load %s: %s", s_cfg.cert,
                     ERR_reason_error_string (ERR_get_error ()));
        SSL_CTX_free (ctx);
        ERR_clear_error ();
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file (ctx, s_cfg.key, SSL_FILETYPE_PEM) != 1
    ||  SSL_CTX_check_private_key (ctx) != 1) {
        nines_error ("facade/key: cannot load %s or it does not match the certificate: %s",
                     s_cfg.key, ERR_reason_error_string (ERR_get_error ()));
        SSL_CTX_free (ctx);
        ERR_clear_error ();
        return NULL;
    }
    /* HTTP/1.1 only: Debian's h2o 2.2.5 lacks later HTTP/2 fixes. */
    static const h2o_iovec_t alpn [] = { { H2O_STRLIT ("http/1.1") }, { NULL } };
    h2o_ssl_register_alpn_protocols (ctx, alpn);
    return ctx;
}

static int
s_setup_tls (void)
{
    s_ssl_ctx = s_tls_ctx_new ();
    return s_ssl_ctx ? 0 : -1;
}

/*  Reload the certificate and key (SIGHUP) without dropping a
    connection: new handshakes use the new pair, live connections keep
    theirs.  A pair that does not load is logged and the old one kept. */
static void
s_reload_tls (worker_t *workers)
{
    SSL_CTX *ctx = s_tls_ctx_new ();
    if (!ctx) {
        nines_error ("certificate not reloaded, keeping the previous one");
        return;
    }
    pthread_mutex_lock (&s_tls_lock);
    s_tls_next = ctx;
    s_tls_taken = 0;
    pthread_mutex_unlock (&s_tls_lock);
    for (size_t i = 0; i < s_cfg.workers; i++)
        h2o_multithread_send_message (&workers [i].tls_receiver, &workers [i].tls_message);
    pthread_mutex_lock (&s_tls_lock);
    while (s_tls_taken < s_cfg.workers)
        pthread_cond_wait (&s_tls_cond, &s_tls_lock);
    pthread_mutex_unlock (&s_tls_lock);
    SSL_CTX_free (s_ssl_ctx);
    s_ssl_ctx = ctx;
    nines_info ("certificate %s reloaded", s_cfg.cert);
}

/*  Load the validator list; 0 or -1 (logged, previous list kept). */
static int
s_reload (void)
{
    if (!s_cfg.validators)
        return 0;
    char err [512];
    int rc = nines_hbcheck_load_allowlist (s_hbcheck, s_cfg.validators, err, sizeof err);
    if (rc) {
        nines_error ("facade/validators: %s", err);
        return -1;
    }
    nines_info ("validator list %s: %zu validators allowed", s_cfg.validators,
                nines_hbcheck_allowed (s_hbcheck));
    return 0;
}

/*  Parse the command line into cfg (loading -c first so flags override
    it).  Returns 0 to run, 1 after --help, 2 on an error (logged). */
static int
s_parse_args (int argc, char **argv, nines_config_t **cfg_p)
{
    static const struct { const char *flag, *key; } shortcuts [] = {
        { "--listen", "facade/listen" }, { "--cert", "facade/cert" }, { "--key", "facade/key" },
        { "--metrics", "facade/metrics" },
        { "--upstream", "facade/upstream" }, { "--pod", "facade/pod" },
        { "--facade-key", "facade/facade_key" }, { "--validators", "facade/validators" },
        { "--health", "facade/health" }, { "--workers", "facade/workers" },
    };
    for (int i = 1; i < argc; i++)
        if (!strcmp (argv [i], "-h") || !strcmp (argv [i], "--help")) {
            s_usage (stdout);
            return 1;
        }
    for (int i = 1; i < argc; i++)
        if ((!strcmp (argv [i], "-c") || !strcmp (argv [i], "--config")) && i + 1 < argc) {
            const char *error = NULL;
            nines_config_destroy (cfg_p);
            *cfg_p = nines_config_load (argv [++i], &error);
            if (!*cfg_p) {
                nines_error ("%s", error ? error : "cannot load the configuration");
                return 2;
            }
        }
    if (!*cfg_p)
        *cfg_p = nines_config_new ("command line");
    for (int i = 1; i < argc; i++) {
        const char *arg = argv [i];
        if ((!strcmp (arg, "-c") || !strcmp (arg, "--config")) && i + 1 < argc) {
            i++;
            continue;
        }
        if (!strcmp (arg, "-v") || !strcmp (arg, "--verbose")) {
            nines_config_set (*cfg_p, "facade/log_level", "debug");
            continue;
        }
        if ((!strcmp (arg, "-s") || !strcmp (arg, "--set")) && i + 1 < argc) {
            const char *kv = argv [++i], *eq = strchr (kv, '=');
            if (!eq || eq == kv) {
                nines_error ("%s: expected KEY=VALUE, got '%s'", arg, kv);
                return 2;
            }
            char key [128];
            snprintf (key, sizeof key, "%.*s", (int) (eq - kv), kv);
            nines_config_set (*cfg_p, key, eq + 1);
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < sizeof shortcuts / sizeof shortcuts [0] && !known; k++)
            if (!strcmp (arg, shortcuts [k].flag) && i + 1 < argc) {
                nines_config_set (*cfg_p, shortcuts [k].key, argv [++i]);
                known = true;
            }
        if (!known) {
            nines_error ("unknown or incomplete argument '%s' (see --help)", arg);
            return 2;
        }
    }
    return 0;
}

/*  h2o's configuration: one host, the heartbeat handler then the proxy. */
static int
s_setup_h2o (void)
{
    h2o_config_init (&s_globalconf);
    s_globalconf.max_request_entity_size = s_cfg.body_limit;
    s_globalconf.handshake_timeout = s_cfg.handshake_timeout_ms;
    s_globalconf.http1.req_timeout = s_cfg.request_timeout_ms;
    s_globalconf.http1.upgrade_to_http2 = 0;
    s_globalconf.proxy.io_timeout = s_cfg.upstream_timeout_ms;
    s_globalconf.proxy.emit_x_forwarded_headers = 1;
    s_globalconf.proxy.emit_via_header = 0;      /* as nginx: the app need not know */
    s_globalconf.proxy.preserve_server_header = 1;
    s_globalconf.server_name = h2o_iovec_init (H2O_STRLIT (""));   /* the app's, if any */
    h2o_hostconf_t *host = h2o_config_register_host (&s_globalconf, h2o_iovec_init (H2O_STRLIT ("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path (host, "/", 0);
    /*  Each listener sees only its own host (accept_ctx.hosts), so no Host
        header reaches /metrics through the TLS port. */
    s_main_hosts [0] = host;
    s_metrics_hosts [0] = h2o_config_register_host (&s_globalconf, h2o_iovec_init (H2O_STRLIT ("nines-metrics")), 65535);
    h2o_handler_t *mh = h2o_create_handler (h2o_config_register_path (s_metrics_hosts [0], "/", 0), sizeof *mh);
    mh->on_req = s_on_metrics;
    h2o_create_logger (path, sizeof (h2o_logger_t))->log_access = s_metrics_log;
    h2o_handler_t *hb = h2o_create_handler (path, sizeof *hb);
    hb->on_req = s_on_heartbeat;
    h2o_url_t upstream;
    if (h2o_url_parse (s_cfg.upstream, SIZE_MAX, &upstream) != 0 || upstream.scheme != &H2O_URL_SCHEME_HTTP) {
        nines_error ("facade/upstream: expected an http:// URL of the app, got '%s'", s_cfg.upstream);
        return -1;
    }
    h2o_proxy_config_vars_t proxy = { 0 };
    proxy.io_timeout = s_cfg.upstream_timeout_ms;
    proxy.keepalive_timeout = s_cfg.upstream_keepalive_ms;
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
    int fd = s_listen (s_cfg.listen_host, s_cfg.listen_port);
    if (fd < 0) {
        nines_error ("facade/listen: cannot listen on %s:%d: %s", s_cfg.listen_host, s_cfg.listen_port,
                     strerror (errno));
        return -1;
    }
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    if (getsockname (fd, (struct sockaddr *) &sa, &len) == 0)
        s_cfg.listen_port = ntohs (sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &sa)->sin6_port
                                                            : ((struct sockaddr_in *) &sa)->sin_port);
    for (size_t i = 0; i < s_cfg.workers; i++)
        workers [i].metrics_fd = -1;
    if (s_cfg.metrics_port >= 0) {
        int mfd = s_listen (s_cfg.metrics_host, s_cfg.metrics_port);
        if (mfd < 0) {
            nines_error ("facade/metrics: cannot listen on %s:%d: %s", s_cfg.metrics_host, s_cfg.metrics_port,
                         strerror (errno));
            return -1;
        }
        len = sizeof sa;
        if (getsockname (mfd, (struct sockaddr *) &sa, &len) == 0)
            s_cfg.metrics_port = ntohs (sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &sa)->sin6_port
                                                                 : ((struct sockaddr_in *) &sa)->sin_port);
        workers [0].metrics_fd = mfd;
    }
    for (size_t i = 0; i < s_cfg.workers; i++) {
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
    int rc = s_parse_args (argc, argv, &cfg);
    if (rc) {
        nines_config_destroy (&cfg);
        return rc == 1 ? 0 : 2;
    }
    nines_log_level_t level;
    const char *level_text = nines_config_str (cfg, "facade/log_level", "info");
    if (nines_log_level_parse (level_text, &level)) {
        nines_error ("facade/log_level: expected error, warn, info or debug, got '%s'", level_text);
        nines_config_destroy (&cfg);
        return 2;
    }
    nines_log_set_level (level);
    if (s_configure (cfg) || s_setup_tls () || s_setup_h2o ()) {
        nines_config_destroy (&cfg);
        return 2;
    }
    s_hbcheck = nines_hbcheck_new (s_cfg.pod, REPLAY_CAP);
    s_conncap = nines_conncap_new (s_cfg.max_connections, s_cfg.max_per_address);
    worker_t *workers = calloc (s_cfg.workers, sizeof *workers);
    s_padding = malloc (s_cfg.padding + s_cfg.padding_jitter + 1);
    if (!s_hbcheck || !s_conncap || !workers || !s_padding)
        return 1;
    memset (s_padding, ' ', s_cfg.padding + s_cfg.padding_jitter);
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
    if (s_cfg.ledger) {
        zsys_handler_set (NULL);         /* signals are ours (sigwait below) */
        pthread_create (&follower, NULL, s_ledger_follower, NULL);
    }
    size_t n_health = s_cfg.workers < 2 ? 2 : s_cfg.workers;
    pthread_t *health = calloc (n_health, sizeof *health);
    for (size_t i = 0; i < n_health; i++)
        pthread_create (&health [i], NULL, s_health_worker, NULL);
    pthread_barrier_init (&s_ready, NULL, (unsigned) s_cfg.workers + 1);
    pthread_barrier_init (&s_stopped, NULL, (unsigned) s_cfg.workers + 1);
    for (size_t i = 0; i < s_cfg.workers; i++) {
        workers [i].index = (int) i;
        pthread_create (&workers [i].thread, NULL, s_worker_main, &workers [i]);
    }
    pthread_barrier_wait (&s_ready);
    char hex [NINES_ID_HEX];
    nines_info ("pod %s: listening on https://%s:%d/ with %llu workers, proxying to %s",
                nines_hex (hex, s_cfg.pod, NINES_ID_BYTES), s_cfg.listen_host, s_cfg.listen_port,
                (unsigned long long) s_cfg.workers, s_cfg.upstream);
    if (s_cfg.metrics_port >= 0)
        nines_info ("metrics on http://%s:%d/metrics", s_cfg.metrics_host, s_cfg.metrics_port);
    for (;;) {
        int sig = 0;
        if (sigwait (&signals, &sig))
            continue;
        if (sig == SIGHUP) {
            s_reload ();
            s_reload_tls (workers);
            s_reload_facade_key ();
        }
        else {
            nines_info ("signal %d: stopping", sig);
            break;
        }
    }
    /* Stop: wake every loop and every health thread, then join them. */
    atomic_store (&s_stopping, true);
    if (s_cfg.ledger)
        pthread_join (follower, NULL);
    pthread_mutex_lock (&s_pool_lock);
    pthread_cond_broadcast (&s_pool_cond);
    pthread_mutex_unlock (&s_pool_lock);
    for (size_t i = 0; i < n_health; i++)
        pthread_join (health [i], NULL);
    for (size_t i = 0; i < s_cfg.workers; i++)
        h2o_multithread_send_message (&workers [i].stop_receiver, &workers [i].stop_message);
    pthread_barrier_wait (&s_stopped);
    while (s_pool_head) {
        health_job_t *job = s_pool_head;
        s_pool_head = job->next;
        free (job);
    }
    free (health);
    free (s_padding);
    nines_hbcheck_destroy (&s_hbcheck);
    nines_conncap_destroy (&s_conncap);
    nines_keypair_wipe (&s_cfg.facade_key);
    curl_global_cleanup ();
    /* workers and the h2o contexts stay reachable until exit: the loops
       are stopped and parked, not disposed (h2o 2.2.5 cannot dispose a
       context with live connections). */
    nines_config_destroy (&cfg);
    return 0;
}
