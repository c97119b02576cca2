/*  An in-loop keep-alive pool for the facade's upstream connections.

    h2o 2.2.5's h2o_socketpool keeps idle upstream connections in one list
    shared by every thread: returning a connection exports it out of the
    event loop (epoll_ctl DEL, fcntl, close of the h2o socket) and taking
    it imports it back (fcntl, epoll_ctl ADD) after a recv(MSG_PEEK)
    liveness probe: about 5 system calls per proxied request that nginx
    does not make (it keeps idle upstream connections in its epoll set).

    This file defines h2o_socketpool_connect and h2o_socketpool_return in
    the executable.  libh2o-evloop calls them through its PLT (they are
    exported, non-protected symbols), so the dynamic linker binds the
    library's proxy (lib/common/http1client.c) to these definitions:
      - return: the socket stays in its loop, on a per-thread idle list,
        reading with a callback that closes it on anything (upstream EOF,
        error, unexpected bytes) and a keep-alive timer (the pool's
        timeout, i.e. h2o_proxy_config_vars_t.keepalive_timeout);
      - connect: the most recently returned idle socket of this pool and
        thread, handed over synchronously like h2o does.  Sockets idle
        for PROBE_AFTER_MS or more are probed with recv(MSG_PEEK) first,
        as h2o does, in case the upstream closed them meanwhile; a miss
        goes to h2o's own h2o_socketpool_connect (new connection).
    The socket's on_close stays the pool's own (h2o keeps its count of
    open connections right).  Nothing here parses HTTP. */
#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <h2o.h>
#include <h2o/socketpool.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

#define PROBE_AFTER_MS 1000         /* idle this long: check before reuse */

typedef struct {
    h2o_linklist_t link;            /* in s_idle, newest first */
    h2o_timeout_entry_t timeout;    /* keep-alive expiry */
    h2o_socket_t *sock;             /* the idle connection */
    h2o_socketpool_t *pool;         /* the pool it belongs to */
    uint64_t since;                 /* h2o_now when returned */
} idle_t;

typedef void (*connect_fn) (h2o_socketpool_connect_request_t **, h2o_socketpool_t *, h2o_loop_t *,
                            h2o_multithread_receiver_t *, h2o_socketpool_connect_cb, void *);

/*  Per thread (each worker thread owns one loop). */
static __thread h2o_linklist_t s_idle;
static __thread h2o_timeout_t s_keepalive;      /* linked to the thread's loop */
static __thread h2o_loop_t *s_loop;             /* NULL until first use */

static connect_fn s_h2o_connect;                /* h2o's own, for new connections */

__attribute__ ((constructor)) static void
s_find_h2o_connect (void)
{
    s_h2o_connect = (connect_fn) dlsym (RTLD_NEXT, "h2o_socketpool_connect");
    assert (s_h2o_connect);
}

static void
s_idle_close (idle_t *idle)
{
    h2o_linklist_unlink (&idle->link);
    if (h2o_timeout_is_linked (&idle->timeout))
        h2o_timeout_unlink (&idle->timeout);
    h2o_socket_t *sock = idle->sock;
    free (idle);
    h2o_socket_read_stop (sock);
    h2o_socket_close (sock);            /* on_close: the pool's counter */
}

/*  Readable while idle: the upstream closed it or sent what we did not
    ask for; either way the connection is unusable. */
static void
s_on_idle_read (h2o_socket_t *sock, const char *err)
{
    s_idle_close ((idle_t *) sock->data);
}

static void
s_on_idle_timeout (h2o_timeout_entry_t *entry)
{
    s_idle_close (H2O_STRUCT_FROM_MEMBER (idle_t, timeout, entry));
}

static void
s_thread_init (h2o_loop_t *loop, h2o_socketpool_t *pool)
{
    s_loop = loop;
    h2o_linklist_init_anchor (&s_idle);
    h2o_timeout_init (loop, &s_keepalive, pool->timeout == UINT64_MAX ? 2000 : pool->timeout);
}

int
h2o_socketpool_return (h2o_socketpool_t *pool, h2o_socket_t *sock)
{
    assert (sock->on_close.data == pool);
    h2o_loop_t *loop = h2o_socket_get_loop (sock);
    idle_t *idle = malloc (sizeof *idle);
    if (!idle || (s_loop && s_loop != loop)) {
        free (idle);
        h2o_socket_close (sock);
        return -1;
    }
    if (!s_loop)
        s_thread_init (loop, pool);
    *idle = (idle_t) { .sock = sock, .pool = pool, .since = h2o_now (loop) };
    idle->timeout.cb = s_on_idle_timeout;
    h2o_linklist_insert (s_idle.next, &idle->link);     /* at the front */
    h2o_timeout_link (loop, &s_keepalive, &idle->timeout);
    sock->data = idle;
    h2o_socket_read_start (sock, s_on_idle_read);
    return 0;
}

/*  true when the idle socket's peer has neither closed nor written. */
static bool
s_alive (h2o_socket_t *sock)
{
    if (sock->input->size)
        return false;
    char byte;
    return recv (h2o_socket_get_fd (sock), &byte, 1, MSG_PEEK) == -1 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void
h2o_socketpool_connect (h2o_socketpool_connect_request_t **req, h2o_socketpool_t *pool, h2o_loop_t *loop,
                        h2o_multithread_receiver_t *getaddr_receiver, h2o_socketpool_connect_cb cb, void *data)
{
    if (req)
        *req = NULL;
    if (s_loop == loop) {
        for (h2o_linklist_t *at = s_idle.next; at != &s_idle; ) {
            idle_t *idle = H2O_STRUCT_FROM_MEMBER (idle_t, link, at);
            at = at->next;
            if (idle->pool != pool)
                continue;
            h2o_socket_t *sock = idle->sock;
            if (h2o_now (loop) - idle->since >= PROBE_AFTER_MS && !s_alive (sock)) {
                s_idle_close (idle);
                continue;
            }
            h2o_linklist_unlink (&idle->link);
            h2o_timeout_unlink (&idle->timeout);
            free (idle);
            h2o_socket_read_stop (sock);
            sock->data = NULL;
            cb (sock, NULL, data);
            return;
        }
    }
    s_h2o_connect (req, pool, loop, getaddr_receiver, cb, data);
}
