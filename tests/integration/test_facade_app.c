/*  The app behind the facade in the facade tests and benchmark: a plain
    HTTP/1.1 server on 127.0.0.1 (h2o, one event loop).

    usage: test_facade_app PORT       (0 = ephemeral)
    Prints "listening PORT" on stdout once it accepts connections.

    GET  /                 200, a 612-byte HTML page (the size of nginx's welcome page)
    ANY  /echo...          200, text: "METHOD PATH\n", one "name: value\n" a
                           request header, "\n", then the request body
    ANY  /status/NNN       status NNN, body "status NNN\n"
    GET  /chunked          200 sent in three chunks (no Content-Length)
    GET  /big              200, 100000 bytes
    GET  /healthz          the current health status (initially 200)
    ANY  /_control/health/NNN   sets the health status to NNN
    GET  /_stats           "connections N\n": connections accepted so far
    Every answer carries "X-App: test" and "Server: test-app". */
#include <h2o.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static h2o_globalconf_t s_config;
static h2o_context_t s_ctx;
static h2o_accept_ctx_t s_accept_ctx;
static int s_health = 200;          /* what /healthz answers */
static long s_accepted;             /* connections accepted */
static char s_page [612];           /* GET / body */
static char s_big [100000];         /* GET /big body */

static void
s_headers (h2o_req_t *req, const char *type)
{
    h2o_add_header (&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type, strlen (type));
    h2o_add_header (&req->pool, &req->res.headers, H2O_TOKEN_SERVER, NULL, H2O_STRLIT ("test-app"));
    h2o_add_header_by_str (&req->pool, &req->res.headers, H2O_STRLIT ("x-app"), 0, NULL, H2O_STRLIT ("test"));
}

static bool
s_prefix (h2o_req_t *req, const char *prefix)
{
    size_t n = strlen (prefix);
    return req->path_normalized.len >= n && memcmp (req->path_normalized.base, prefix, n) == 0;
}

static int
s_status_after (h2o_req_t *req, const char *prefix)
{
    size_t n = strlen (prefix);
    char digits [8] = "";
    size_t len = req->path_normalized.len - n;
    if (len == 0 || len >= sizeof digits)
        return 0;
    memcpy (digits, req->path_normalized.base + n, len);
    int status = atoi (digits);
    return status >= 100 && status <= 599 ? status : 0;
}

/*  Chunked answer: three pieces, one per proceed call. */
typedef struct {
    h2o_generator_t super;          /* h2o generator */
    int sent;                       /* pieces sent */
} chunks_t;

static void
s_chunks_proceed (h2o_generator_t *generator, h2o_req_t *req)
{
    chunks_t *self = (chunks_t *) generator;
    static const char *pieces [] = { "first chunk\n", "second chunk\n", "third chunk\n" };
    h2o_iovec_t buf = h2o_iovec_init (pieces [self->sent], strlen (pieces [self->sent]));
    self->sent++;
    h2o_send (req, &buf, 1, self->sent == 3 ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static int
s_on_req (h2o_handler_t *handler, h2o_req_t *req)
{
    int status;
    if (s_prefix (req, "/echo")) {
        size_t size = req->method.len + req->path.len + 4 + req->entity.len;
        for (size_t i = 0; i < req->headers.size; i++)
            size += req->headers.entries [i].name->len + req->headers.entries [i].value.len + 3;
        char *body = h2o_mem_alloc_pool (&req->pool, size), *p = body;
        p += sprintf (p, "%.*s %.*s\n", (int) req->method.len, req->method.base,
                      (int) req->path.len, req->path.base);
        for (size_t i = 0; i < req->headers.size; i++) {
            const h2o_header_t *h = &req->headers.entries [i];
            memcpy (p, h->name->base, h->name->len);
            p += h->name->len;
            *p++ = ':';
            *p++ = ' ';
            memcpy (p, h->value.base, h->value.len);
            p += h->value.len;
            *p++ = '\n';
        }
        *p++ = '\n';
        if (req->entity.len)
            memcpy (p, req->entity.base, req->entity.len);
        p += req->entity.len;
        req->res.status = 200;
        req->res.reason = "OK";
        s_headers (req, "text/plain");
        h2o_send_inline (req, body, (size_t) (p - body));
        return 0;
    }
    if (s_prefix (req, "/status/") && (status = s_status_after (req, "/status/"))) {
        char *body = h2o_mem_alloc_pool (&req->pool, 32);
        int len = snprintf (body, 32, "status %d\n", status);
        req->res.status = status;
        req->res.reason = "Test";
        s_headers (req, "text/plain");
        h2o_send_inline (req, body, (size_t) len);
        return 0;
    }
    if (s_prefix (req, "/_control/health/") && (status = s_status_after (req, "/_control/health/"))) {
        s_health = status;
        req->res.status = 200;
        req->res.reason = "OK";
        s_headers (req, "text/plain");
        h2o_send_inline (req, H2O_STRLIT ("ok\n"));
        return 0;
    }
    if (h2o_memis (req->path_normalized.base, req->path_normalized.len, H2O_STRLIT ("/_stats"))) {
        char *body = h2o_mem_alloc_pool (&req->pool, 64);
        int len = snprintf (body, 64, "connections %ld\n", s_accepted);
        req->res.status = 200;
        req->res.reason = "OK";
        s_headers (req, "text/plain");
        h2o_send_inline (req, body, (size_t) len);
        return 0;
    }
    if (h2o_memis (req->path_normalized.base, req->path_normalized.len, H2O_STRLIT ("/healthz"))) {
        req->res.status = s_health;
        req->res.reason = "Health";
        s_headers (req, "text/plain");
        h2o_send_inline (req, H2O_STRLIT ("health\n"));
        return 0;
    }
    if (h2o_memis (req->path_normalized.base, req->path_normalized.len, H2O_STRLIT ("/chunked"))) {
        chunks_t *chunks = h2o_mem_alloc_pool (&req->pool, sizeof *chunks);
        chunks->super.proceed = s_chunks_proceed;
        chunks->super.stop = NULL;
        chunks->sent = 0;
        req->res.status = 200;
        req->res.reason = "OK";
        s_headers (req, "text/plain");
        h2o_start_response (req, &chunks->super);
        s_chunks_proceed (&chunks->super, req);
        return 0;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    s_headers (req, "text/html");
    if (h2o_memis (req->path_normalized.base, req->path_normalized.len, H2O_STRLIT ("/big")))
        h2o_send_inline (req, s_big, sizeof s_big);
    else
        h2o_send_inline (req, s_page, sizeof s_page);
    return 0;
}

static void
s_on_accept (h2o_socket_t *listener, const char *err)
{
    if (err)
        return;
    h2o_socket_t *sock;
    while ((sock = h2o_evloop_socket_accept (listener)) != NULL)
    {
        s_accepted++;
        h2o_accept (&s_accept_ctx, sock);
    }
}

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: test_facade_app PORT\n");
        return 2;
    }
    signal (SIGPIPE, SIG_IGN);
    memset (s_page, 'a', sizeof s_page);
    memcpy (s_page, "<html>", 6);
    memcpy (s_page + sizeof s_page - 8, "</html>\n", 8);
    memset (s_big, 'b', sizeof s_big);
    h2o_config_init (&s_config);
    s_config.server_name = h2o_iovec_init (H2O_STRLIT (""));
    s_config.max_request_entity_size = 64 << 20;
    h2o_hostconf_t *host = h2o_config_register_host (&s_config, h2o_iovec_init (H2O_STRLIT ("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path (host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler (path, sizeof *handler);
    handler->on_req = s_on_req;

    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) atoi (argv [1])),
                                .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), on = 1;
    socklen_t len = sizeof addr;
    if (fd < 0 || setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on)
    ||  bind (fd, (struct sockaddr *) &addr, sizeof addr) || listen (fd, SOMAXCONN)
    ||  getsockname (fd, (struct sockaddr *) &addr, &len)) {
        perror ("test_facade_app: listen");
        return 1;
    }
    h2o_context_init (&s_ctx, h2o_evloop_create (), &s_config);
    s_accept_ctx.ctx = &s_ctx;
    s_accept_ctx.hosts = s_config.hosts;
    h2o_socket_t *listener = h2o_evloop_socket_create (s_ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    h2o_socket_read_start (listener, s_on_accept);
    printf ("listening %d\n", ntohs (addr.sin_port));
    fflush (stdout);
    for (;;)
        h2o_evloop_run (s_ctx.loop, INT32_MAX);
}
