/*  Private to src/facade: nines-facade's shared state and the helpers its
    parts share (facade.c: the server, its loops and main; health.c;
    tls.c; metrics.c).  Not an API: nothing outside src/facade includes it. */
#ifndef NINES_FACADE_PRIVATE_H
#define NINES_FACADE_PRIVATE_H

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
    bool http2;                     /* offer h2 in ALPN */
    uint64_t heartbeat_rate;        /* valid heartbeats/s the replay cache is sized for */
} facade_config_t;


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

/*  A valid heartbeat's request, on its way through the proxy: signs the
    answer when it starts (facade.c).  In req's pool. */
typedef struct {
    h2o_req_prefilter_t super;         /* h2o's per-request filter */
    nines_hb_req_t hb;                 /* the verified heartbeat */
    uint64_t t0_us;                    /* CLOCK_MONOTONIC when admitted */
    bool checked;                      /* path mode: status below from the health path */
    uint16_t app_status;               /* signed app status, 0 = no answer */
    uint32_t latency_us;               /* signed app answer time */
} hb_filter_t;

/*  Path mode: one GET of the app's health path for a heartbeat. */
typedef struct health_job {
    h2o_multithread_message_t super;   /* link for the loop's queue */
    struct health_job *next;           /* pool queue */
    h2o_multithread_receiver_t *reply_to; /* worker loop receiver */
    h2o_req_t *req;                    /* NULL once the client went away */
    struct health_job **slot;          /* in req's pool; points back here */
    hb_filter_t *filter;               /* req's heartbeat filter (in req's pool) */
    h2o_handler_t *handler;            /* the heartbeat handler, to delegate from */
    char url [NINES_URL_MAX + NINES_HTTP_PATH_MAX]; /* what to check */
    long status;                       /* app HTTP status, 0 = no answer */
    uint32_t latency_us;               /* app answer time */
} health_job_t;

/*  State shared by the parts, defined in state.c. */
extern SSL_CTX *facade_ssl_ctx;
extern __thread worker_t *facade_worker;
extern atomic_bool facade_stopping;      /* set once by SIGTERM/SIGINT */
extern atomic_long facade_connections;   /* open client connections */
extern atomic_ulong facade_m_conn_rejected;      /* closed at the connection limit */
extern atomic_ulong facade_replay_slots;         /* replay cache slots (nines_hbcheck_replay_size) */
extern facade_config_t facade_cfg;
extern h2o_hostconf_t *facade_main_hosts [2];    /* the TLS listener's host only */
extern h2o_hostconf_t *facade_metrics_hosts [2]; /* the metrics listener's host only */
extern health_job_t *facade_pool_head, *facade_pool_tail;  /* jobs waiting for a thread */
extern pthread_cond_t facade_pool_cond;
extern pthread_mutex_t facade_pool_lock;
extern size_t facade_pool_pending;                    /* jobs queued, not yet taken */

/*  ---- facade.c ---- */

/*  One connection per wake-up (nginx's multi_accept off): every loop is
    woken by a new connection and the first free one takes it, so a burst
    of connections spreads over the loops. */
void facade_on_accept (h2o_socket_t *listener, const char *err);

/*  ---- health.c ---- */

void *facade_health_worker (void *arg);

void facade_on_health_done (h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);

/*  The request's pool is cleared when the client goes away: forget it. */
void facade_on_req_dispose (void *p);

/*  The signed Nines-Heartbeat response value for hb (PROTOCOL.md 6.2),
    NUL-ended in out (NINES_HB_VALUE_MAX bytes), with the current facade
    key.  0 or the negative code of nines_hb_resp_make. */
int facade_hb_sign (const nines_hb_req_t *hb, uint16_t app_status, uint32_t latency_us,
                    char *out, size_t out_size);

/*  Re-read the facade key file (SIGHUP): answers signed from now on use the
    new key.  A file that does not load is logged and the old key kept. */
void facade_reload_facade_key (void);

/*  ---- tls.c ---- */

void facade_on_tls_reload (h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);

/*  Reload the certificate and key (SIGHUP) without dropping a
    connection: new handshakes use the new pair, live connections keep
    theirs.  A pair that does not load is logged and the old one kept. */
void facade_reload_tls (worker_t *workers);

int facade_setup_tls (void);

/*  ---- metrics.c ---- */

void facade_metrics_hbcheck (int rc);

/*  Every request on the TLS port, once answered: its class, and for
    proxied ones the latency and whether the proxy itself failed. */
void facade_metrics_log (h2o_logger_t *self, h2o_req_t *req);

int facade_on_metrics (h2o_handler_t *self, h2o_req_t *req);

void facade_on_metrics_accept (h2o_socket_t *listener, const char *err);

#endif
