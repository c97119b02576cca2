/*  GET /metrics over libmicrohttpd (see metrics_http.h). */
#include "obs/metrics_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/error.h"
#include "base/metrics.h"

#define CONN_LIMIT      32          /* concurrent scrapers */
#define CONN_TIMEOUT_S  10          /* idle connection lifetime */

struct _nines_metrics_http_t {
    struct MHD_Daemon *mhd;                 /* libmicrohttpd daemon (epoll, no thread) */
    nines_metrics_render_fn *render;        /* renders the exposition */
    void *arg;                              /* its argument */
};

int
nines_metrics_listen_parse (const char *listen, struct sockaddr_storage *out, size_t *out_len)
{
    if (!listen)
        return NINES_EINVAL;
    const char *colon = strrchr (listen, ':');
    if (!colon || !colon [1])
        return NINES_EINVAL;
    char *end = NULL;
    unsigned long port = strtoul (colon + 1, &end, 10);
    if (*end || port > 65535)
        return NINES_EINVAL;
    char host [64];
    size_t hlen = (size_t) (colon - listen);
    if (hlen >= sizeof host)
        return NINES_EINVAL;
    memcpy (host, listen, hlen);
    host [hlen] = 0;
    memset (out, 0, sizeof *out);
    if (host [0] == '[') {
        if (hlen < 3 || host [hlen - 1] != ']')
            return NINES_EINVAL;
        host [hlen - 1] = 0;
        struct sockaddr_in6 *a = (struct sockaddr_in6 *) out;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons ((uint16_t) port);
        if (inet_pton (AF_INET6, host + 1, &a->sin6_addr) != 1)
            return NINES_EINVAL;
        *out_len = sizeof *a;
        return 0;
    }
    struct sockaddr_in *a = (struct sockaddr_in *) out;
    a->sin_family = AF_INET;
    a->sin_port = htons ((uint16_t) port);
    if (!host [0])
        a->sin_addr.s_addr = htonl (INADDR_ANY);
    else
    if (inet_pton (AF_INET, host, &a->sin_addr) != 1)
        return NINES_EINVAL;
    *out_len = sizeof *a;
    return 0;
}

static enum MHD_Result
s_answer (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
          const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    nines_metrics_http_t *self = (nines_metrics_http_t *) cls;
    unsigned int status = MHD_HTTP_OK;
    struct MHD_Response *resp = NULL;
    if (strcmp (method, "GET") && strcmp (method, "HEAD")) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        static const char msg [] = "only GET /metrics\n";
        resp = MHD_create_response_from_buffer (sizeof msg - 1, (void *) msg, MHD_RESPMEM_PERSISTENT);
        if (resp)
            MHD_add_response_header (resp, "Allow", "GET, HEAD");
    }
    else
    if (strcmp (url, "/metrics")) {
        status = MHD_HTTP_NOT_FOUND;
        static const char msg [] = "not found: metrics are at /metrics\n";
        resp = MHD_create_response_from_buffer (sizeof msg - 1, (void *) msg, MHD_RESPMEM_PERSISTENT);
    }
    else {
        size_t len = 0;
        char *text = self->render (self->arg, &len);
        if (!text) {
            status = MHD_HTTP_INTERNAL_SERVER_ERROR;
            static const char msg [] = "cannot render metrics\n";
            resp = MHD_create_response_from_buffer (sizeof msg - 1, (void *) msg, MHD_RESPMEM_PERSISTENT);
        }
        else {
            resp = MHD_create_response_from_buffer (len, text, MHD_RESPMEM_MUST_FREE);
            if (!resp)
                free (text);
            else
                MHD_add_response_header (resp, "Content-Type", NINES_METRICS_CONTENT_TYPE);
        }
    }
    if (!resp)
        return MHD_NO;
    enum MHD_Result rc = MHD_queue_response (conn, status, resp);
    MHD_destroy_response (resp);
    return rc;
}

nines_metrics_http_t *
nines_metrics_http_new (const char *listen, nines_metrics_render_fn *render, void *arg,
                        char *err, size_t err_size)
{
    struct sockaddr_storage sa;
    size_t sa_len = 0;
    if (nines_metrics_listen_parse (listen, &sa, &sa_len)) {
        snprintf (err, err_size, "expected HOST:PORT like 127.0.0.1:9402 or [::1]:9402, got '%s'",
                  listen ? listen : "");
        return NULL;
    }
    nines_metrics_http_t *self = (nines_metrics_http_t *) calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->render = render;
    self->arg = arg;
    unsigned int flags = MHD_USE_EPOLL | (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    self->mhd = MHD_start_daemon (flags, 0, NULL, NULL, s_answer, self,
                                  MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned int) CONN_LIMIT,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) CONN_TIMEOUT_S,
                                  MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int) 1,
                                  MHD_OPTION_END);
    if (!self->mhd) {
        snprintf (err, err_size, "cannot listen on %s (address in use or not local?)", listen);
        free (self);
        return NULL;
    }
    return self;
}

void
nines_metrics_http_destroy (nines_metrics_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->mhd)
        MHD_stop_daemon ((*self_p)->mhd);
    free (*self_p);
    *self_p = NULL;
}

int
nines_metrics_http_fd (nines_metrics_http_t *self)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    return info ? info->epoll_fd : -1;
}

uint16_t
nines_metrics_http_port (nines_metrics_http_t *self)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->mhd, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

void
nines_metrics_http_service (nines_metrics_http_t *self)
{
    MHD_run (self->mhd);
}
