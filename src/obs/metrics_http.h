/*  GET /metrics over HTTP for a single-threaded event loop, on GNU
    libmicrohttpd in its external-select epoll mode: no thread of its own,
    one file descriptor for the caller's zmq_poll, and the render callback
    runs inside nines_metrics_http_service on the caller's thread, so it
    may read the daemon's state without locks.

    Routes: GET or HEAD /metrics -> 200 text/plain; version=0.0.4 (what the
    callback rendered); any other path -> 404; other methods -> 405. */
#ifndef NINES_METRICS_HTTP_H
#define NINES_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct _nines_metrics_http_t nines_metrics_http_t;

/*  Render the exposition into a malloc'd buffer (freed by the server),
    its length in *len; NULL answers 500. */
typedef char *(nines_metrics_render_fn) (void *arg, size_t *len);

/*  Listen on listen = "HOST:PORT" (IPv4 literal, "[IPv6]:PORT", or
    ":PORT" for every address; PORT 0 picks a free one, see _port) and
    serve render's output.  NULL with a one-line reason in err (bad
    address, port in use). */
nines_metrics_http_t *nines_metrics_http_new (const char *listen, nines_metrics_render_fn *render,
                                              void *arg, char *err, size_t err_size);
void nines_metrics_http_destroy (nines_metrics_http_t **self_p);

/*  The descriptor to poll for reading (ZMQ_POLLIN on a raw fd). */
int nines_metrics_http_fd (nines_metrics_http_t *self);

/*  The bound TCP port. */
uint16_t nines_metrics_http_port (nines_metrics_http_t *self);

/*  Accept, read and answer what is ready; never blocks.  Call when the fd
    polled readable, and at least every second (idle connections time
    out after 10 s). */
void nines_metrics_http_service (nines_metrics_http_t *self);

/*  Parse "HOST:PORT" / "[V6]:PORT" / ":PORT" into a socket address:
    0, or NINES_EINVAL.  Shared with the facade's metrics listener. */
struct sockaddr_storage;
int nines_metrics_listen_parse (const char *listen, struct sockaddr_storage *out, size_t *out_len);

#endif
