/*  The heartbeat prober: a libcurl multi handle driven by the caller's
    zmq_poll loop (the curl "multi_socket" API), so ninesd probes thousands
    of pods from one thread next to its ZMQ sockets.

    Each heartbeat is an ordinary HTTPS request (the pod's method and path)
    carrying the Nines-Heartbeat request header (wire/heartbeat.h).  TLS
    trust is the pod's SPKI pins from the registry (CURLOPT_PINNEDPUBLICKEY,
    any of them);
    CA, peer and host verification are off because facades use self-signed
    certificates.  Connections are kept alive and reused per facade.

    Outcome classes (DESIGN.md section 6, PROTOCOL.md 6.3): ok (a valid
    facade signature over a healthy app status; the HTTP status is the
    app's own answer and not looked at), app_unhealthy (signed, app status
    0 or >= 500), timeout, refused, tls (handshake failure, a certificate
    matching none of the pod's pins, or one outside its validity period at
    the request time), http (missing or invalid signature), dns.

    The validity period comes from libcurl's CURLINFO_CERTINFO after each
    handshake and is remembered per pod, since a kept-alive connection
    shows no certificate; a pod whose certificate was out of its period is
    probed on a fresh connection, without session resumption, next time.

    TLS sessions are shared by every transfer (a CURLSH, libcurl's cache of
    8 sessions, keyed by host, port and TLS settings, the pins among them):
    a new connection to a facade seen lately resumes its session, and the
    pins are checked against the certificate the session was made with.
    Idle easy handles are kept only as many as the last TRIM_MS had
    transfers in flight at once (each holds libcurl's 16 KB receive buffer
    and more: a start-up burst of 256 kept 8 MB). */
#ifndef NINES_PROBER_H
#define NINES_PROBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>
#include "wire/wire.h"

typedef struct _nines_prober_t nines_prober_t;

typedef struct {
    uint32_t connections;           /* transfers in flight at once (256) */
    uint32_t per_host;              /* connections per facade (4) */
    uint64_t connect_timeout_ms;    /* TCP + TLS handshake limit (2000) */
    const char *user_agent;         /* User-Agent (copied), NULL = none */
    bool no_resume;                 /* no TLS session resumption (false: sessions are
                                       shared by all transfers, a new connection to a
                                       facade seen lately skips the full handshake) */
    bool no_reuse;                  /* close each connection after its heartbeat
                                       (false; benchmarks measure handshakes with it) */
} nines_prober_config_t;

void nines_prober_config_default (nines_prober_config_t *config);

/*  One finished heartbeat.  Times are microseconds from the start of the
    transfer to the end of each phase (libcurl CURLINFO_*_TIME_T). */
typedef struct {
    uint64_t probe_id;              /* tag given to nines_prober_start */
    uint8_t pod [NINES_ID_BYTES];   /* pod probed */
    int outcome;                    /* nines_outcome_t */
    nines_hb_resp_t resp;           /* facade response (OK, APP_UNHEALTHY) */
    uint8_t nonce [NINES_NONCE_BYTES]; /* request nonce */
    uint64_t req_t_ms;              /* request t_ms */
    long http_status;               /* HTTP status, 0 if none */
    int curl_code;                  /* CURLcode */
    uint64_t dns_us;                /* name lookup done */
    uint64_t connect_us;            /* TCP connected */
    uint64_t tls_us;                /* TLS handshake done */
    uint64_t ttfb_us;               /* first response byte */
    uint64_t total_us;              /* transfer done */
    uint64_t cert_not_before_ms;    /* the pod's leaf certificate notBefore, Unix ms (0: unknown) */
    uint64_t cert_not_after_ms;     /* its notAfter, Unix ms (0: unknown): an expired or
                                       not yet valid certificate is outcome tls */
} nines_probe_result_t;

typedef void (nines_probe_done_fn) (const nines_probe_result_t *result, void *arg);

/*  Create a prober; done is called for every finished heartbeat from
    inside nines_prober_service.  NULL on failure (libcurl init). */
nines_prober_t *nines_prober_new (const nines_prober_config_t *config,
                                  nines_probe_done_fn *done, void *arg);
void nines_prober_destroy (nines_prober_t **self_p);

/*  Start a heartbeat to pod signed by kp, with an overall timeout.
    t_ms is the request time put in the header (Unix ms).
    0, NINES_EINVAL (bad URL, pin or method), NINES_ENOMEM. */
int nines_prober_start (nines_prober_t *self, const nines_keypair_t *kp,
                        const nines_pod_info_t *pod, uint64_t probe_id,
                        uint64_t timeout_ms, uint64_t t_ms);

/*  Write the sockets libcurl wants watched into items (zmq_pollitem_t with
    socket = NULL, fd set) and return how many (at most max). */
size_t nines_prober_pollitems (nines_prober_t *self, zmq_pollitem_t *items, size_t max);

/*  Milliseconds until libcurl needs a timer call (-1: none). */
long nines_prober_timeout_ms (nines_prober_t *self);

/*  After zmq_poll: hand ready sockets (the items written by
    nines_prober_pollitems, with revents) and due timers to libcurl, then
    report finished transfers through the done callback. */
void nines_prober_service (nines_prober_t *self, const zmq_pollitem_t *items, size_t n);

/*  Transfers in flight. */
size_t nines_prober_active (nines_prober_t *self);

/*  TLS handshakes so far: *handshakes = transfers that opened a new
    connection, *resumed = those whose handshake resumed a shared session
    (certificate check and pins as on a full handshake, against the
    certificate the session was made with). */
void nines_prober_tls_stats (nines_prober_t *self, uint64_t *handshakes, uint64_t *resumed);

#endif
