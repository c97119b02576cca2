/*  One request/reply over a DEALER socket: see request.h. */
#include "client/request.h"

#include <czmq.h>
#include <string.h>

#include "base/error.h"

int
nines_request (const char *endpoint, const uint8_t *req, size_t len,
               int timeout_ms, uint8_t **reply, size_t *reply_len)
{
    *reply = NULL;
    *reply_len = 0;
    if (!endpoint || !*endpoint || !req || !len)
        return NINES_EINVAL;
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock)
        return NINES_ENOMEM;
    /*  Never linger on exit and never block on send: an unreachable endpoint
        must end in a clear error within timeout_ms, not a hang. */
    zsock_set_linger (sock, 0);
    zsock_set_sndtimeo (sock, timeout_ms);
    zsock_set_rcvtimeo (sock, timeout_ms);
    if (zsock_connect (sock, "%s", endpoint) != 0) {
        zsock_destroy (&sock);
        return NINES_EINVAL;
    }
    int rc = NINES_OK;
    zframe_t *frame = zframe_new (req, len);
    if (!frame || zframe_send (&frame, sock, 0) != 0) {
        zframe_destroy (&frame);
        rc = NINES_EUNAVAIL;
    }
    if (!rc) {
        zmsg_t *msg = zmsg_recv (sock);
        if (!msg)
            rc = NINES_ETIMEOUT;
        else {
            /*  A ROUTER server answers one frame; tolerate a leading empty
                delimiter from REQ-style servers. */
            zframe_t *f = zmsg_last (msg);
            size_t n = f ? zframe_size (f) : 0;
            *reply = (uint8_t *) malloc (n ? n : 1);
            if (!*reply)
                rc = NINES_ENOMEM;
            else {
                if (n)
                    memcpy (*reply, zframe_data (f), n);
                *reply_len = n;
            }
            zmsg_destroy (&msg);
        }
    }
    zsock_destroy (&sock);
    return rc;
}
