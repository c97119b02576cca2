/*  The demo app: the "pod" nines-sim puts behind each nines-facade.

    A small single-threaded HTTP/1.1 server on 127.0.0.1 that answers every
    request 200 with a short body, or 503 while it is unhealthy.  The
    simulator controls it from outside:
        SIGUSR1   turn unhealthy (every answer 503 from now on)
        SIGUSR2   turn healthy again
        SIGKILL   die (app_down); the simulator starts a new one later
        SIGTERM   exit cleanly
    Keep-alive is supported because the facade's proxy reuses connections;
    request bodies (Content-Length) are read and ignored. */
#include "sim.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEMO_MAX_CONNS 256               /* concurrent connections */
#define DEMO_BUF 8192                    /* request buffer per connection */

static volatile sig_atomic_t s_unhealthy = 0;
static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int sig)
{
    if (sig == SIGUSR1)
        s_unhealthy = 1;
    else
    if (sig == SIGUSR2)
        s_unhealthy = 0;
    else
        s_stop = 1;
}

/*  One client connection. */
typedef struct {
    int fd;                              /* socket, -1 when free */
    char buf [DEMO_BUF];                 /* bytes read, not yet consumed */
    size_t len;                          /* bytes in buf */
    size_t skip;                         /* request body bytes still to discard */
} s_conn_t;

/*  Case-insensitive search for a header's value in the head; returns a
    pointer to its first byte or NULL. */
static const char *
s_header (const char *head, size_t len, const char *name)
{
    size_t nlen = strlen (name);
    for (const char *p = head; p + nlen + 1 < head + len; p++)
        if ((p == head || p [-1] == '\n') && strncasecmp (p, name, nlen) == 0 && p [nlen] == ':') {
            p += nlen + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            return p;
        }
    return NULL;
}

/*  Answer every complete request in c->buf.  Returns false when the
    connection should close. */
static bool
s_serve (s_conn_t *c, const char *name)
{
    while (true) {
        if (c->skip) {
            size_t n = c->skip < c->len ? c->skip : c->len;
            memmove (c->buf, c->buf + n, c->len - n);
            c->len -= n;
            c->skip -= n;
            if (c->skip)
                return true;
        }
        char *end = memmem (c->buf, c->len, "\r\n\r\n", 4);
        if (!end)
            return c->len < sizeof c->buf;       /* head too large: close */
        size_t head_len = (size_t) (end - c->buf) + 4;
        const char *cl = s_header (c->buf, head_len, "Content-Length");
        const char *conn = s_header (c->buf, head_len, "Connection");
        bool close_after = (conn && strncasecmp (conn, "close", 5) == 0)
                        || memmem (c->buf, head_len, "HTTP/1.0", 8) != NULL;
        bool head_only = strncmp (c->buf, "HEAD ", 5) == 0;
        size_t body_len = cl ? strtoul (cl, NULL, 10) : 0;
        memmove (c->buf, c->buf + head_len, c->len - head_len);
        c->len -= head_len;
        c->skip = body_len;

        char body [160];
        int blen = s_unhealthy
            ? snprintf (body, sizeof body, "%s: unhealthy (nines-sim demo app)\n", name)
            : snprintf (body, sizeof body, "%s: ok (nines-sim demo app)\n", name);
        char reply [512];
        int rlen = snprintf (reply, sizeof reply,
            "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
            "Cache-Control: no-store\r\nConnection: %s\r\n\r\n%s",
            s_unhealthy ? "503 Service Unavailable" : "200 OK", blen,
            close_after ? "close" : "keep-alive", head_only ? "" : body);
        if (send (c->fd, reply, (size_t) rlen, MSG_NOSIGNAL) != rlen || close_after)
            return false;
    }
}

int
nines_sim_demoapp_main (int argc, char **argv)
{
    int port = 0;
    const char *name = "demo";
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "--port") == 0 && i + 1 < argc)
            port = atoi (argv [++i]);
        else
        if (strcmp (argv [i], "--name") == 0 && i + 1 < argc)
            name = argv [++i];
        else
        if (strcmp (argv [i], "--unhealthy") == 0)
            s_unhealthy = 1;
        else {
            fprintf (stderr, "usage: nines-sim demoapp --port N [--name NAME] [--unhealthy]\n");
            return 2;
        }
    }
    if (port <= 0 || port > 65535) {
        fprintf (stderr, "nines-sim demoapp: --port: expected 1..65535\n");
        return 2;
    }
    nines_sim_catch (s_on_signal, (const int []) { SIGUSR1, SIGUSR2, SIGTERM, SIGINT, 0 });

    int lfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t) port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (lfd < 0 || bind (lfd, (struct sockaddr *) &addr, sizeof addr) || listen (lfd, 128)) {
        fprintf (stderr, "nines-sim demoapp: 127.0.0.1:%d: %s\n", port, strerror (errno));
        return 1;
    }
    static s_conn_t conns [DEMO_MAX_CONNS];
    struct pollfd pfd [DEMO_MAX_CONNS + 1];
    for (int i = 0; i < DEMO_MAX_CONNS; i++)
        conns [i].fd = -1;
    fprintf (stderr, "nines-sim demoapp %s: listening on 127.0.0.1:%d\n", name, port);

    while (!s_stop) {
        pfd [0] = (struct pollfd) { lfd, POLLIN, 0 };
        for (int i = 0; i < DEMO_MAX_CONNS; i++)
            pfd [i + 1] = (struct pollfd) { conns [i].fd, POLLIN, 0 };
        if (poll (pfd, DEMO_MAX_CONNS + 1, 1000) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd [0].revents & POLLIN) {
            int fd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
            int slot = 0;
            while (slot < DEMO_MAX_CONNS && conns [slot].fd >= 0)
                slot++;
            if (fd >= 0 && slot == DEMO_MAX_CONNS)
                close (fd);
            else
            if (fd >= 0) {
                conns [slot].fd = fd;
                conns [slot].len = 0;
                conns [slot].skip = 0;
            }
        }
        for (int i = 0; i < DEMO_MAX_CONNS; i++) {
            s_conn_t *c = &conns [i];
            if (c->fd < 0 || !(pfd [i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = recv (c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
            if (n > 0)
                c->len += (size_t) n;
            if (n <= 0 || !s_serve (c, name)) {
                close (c->fd);
                c->fd = -1;
            }
        }
    }
    for (int i = 0; i < DEMO_MAX_CONNS; i++)
        if (conns [i].fd >= 0)
            close (conns [i].fd);
    close (lfd);
    return 0;
}
