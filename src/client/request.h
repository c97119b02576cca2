/*  One request/reply with a ZMQ ROUTER server (ninesd's query socket, the
    ledger's API), for ninesctl, nines-sim and the tests. */
#ifndef NINES_CLIENT_REQUEST_H
#define NINES_CLIENT_REQUEST_H

#include <stddef.h>
#include <stdint.h>

/*  Send one msgpack request to a ZMQ ROUTER endpoint (via a DEALER socket)
    and wait up to timeout_ms for the reply.  *reply is malloc'd (caller
    frees).  0, NINES_EUNAVAIL/NINES_ETIMEOUT (no answer in time: the
    caller prints a clear error and exits non-zero), NINES_EINVAL (no
    endpoint or empty request, or an endpoint ZMQ cannot connect to),
    NINES_ENOMEM. */
int nines_request (const char *endpoint, const uint8_t *req, size_t len,
                   int timeout_ms, uint8_t **reply, size_t *reply_len);

#endif
