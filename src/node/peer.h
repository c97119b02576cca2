/*  ninesd's peers: a class (zyre's zyre_peer.c beside zyre_node.c).  It
    owns the CurveZMQ sockets to and from the other validators: the ZAP
    handler that admits only registered curve keys, the peer ROUTER, one
    DEALER per peer dialled on first send (re-dialled after a refused
    handshake), and the handshake monitors.  The node polls it like the
    prober (nines_peers_pollitems, then nines_peers_service) and gets each
    accepted frame through the callback given to nines_peers_new.  Private
    to src/node. */
#ifndef NINES_NODE_PEER_H
#define NINES_NODE_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "crypto/crypto.h"
#include "proto/registry.h"

typedef struct _nines_peers_t nines_peers_t;

/*  One peer message (data, len bytes, borrowed for the call) whose sender
    field is the validator the ZAP handler admitted on its connection. */
typedef void (nines_peers_frame_fn) (void *arg, const uint8_t *data, size_t len);

/*  Counters, for the status query and /metrics. */
typedef struct {
    uint64_t refused;               /* CURVE clients the ZAP handler refused */
    uint64_t spoofed;               /* frames whose sender field was not their ZAP user */
    uint64_t bad;                   /* frames of the wrong shape or frame count */
    uint64_t redials;               /* refused handshakes re-dialled */
} nines_peers_stats_t;

/*  Create the peers of validator kp (copied) that will listen on endpoint
    (copied; bound at the first nines_peers_set_registry).  Binds the ZAP
    handler (libzmq's one inproc endpoint: one nines_peers_t per process).
    on_frame (arg) receives the accepted frames.  NULL with a message in
    err. */
nines_peers_t *nines_peers_new (const nines_keypair_t *kp, const char *endpoint,
                                nines_peers_frame_fn *on_frame, void *arg,
                                char *err, size_t err_size);

/*  Close every socket and free self; *self_p = NULL.  NULL-safe. */
void nines_peers_destroy (nines_peers_t **self_p);

/*  Admit reg's validators (borrowed: it must outlive self or the next call)
    and drop the connections of those that left or moved.  The first call
    binds the peer ROUTER (a connection our ZAP handler refused is never
    re-dialled by libzmq, so peers find the port closed until we can admit
    them).  0, or NINES_EIO with the reason in err when the bind fails. */
int nines_peers_set_registry (nines_peers_t *self, const nines_registry_t *reg,
                              char *err, size_t err_size);

/*  Send a peer message to validator id, dialling it if needed (no-op for
    an id not in the registry, or while backing off after a refusal); now
    is Unix ms. */
void nines_peers_send (nines_peers_t *self, const uint8_t id [NINES_ID_BYTES],
                       const uint8_t *data, size_t len, uint64_t now);

/*  Fill up to max poll items with the sockets to watch (ZAP, peer ROUTER,
    handshake monitors).  Returns the count. */
size_t nines_peers_pollitems (nines_peers_t *self, zmq_pollitem_t *items, size_t max);

/*  Serve the items of the last nines_peers_pollitems after zmq_poll
    (monitors, ZAP requests, then peer frames, at most a batch per socket);
    now is Unix ms. */
void nines_peers_service (nines_peers_t *self, const zmq_pollitem_t *items, size_t n, uint64_t now);

/*  Copy the counters into *st. */
void nines_peers_stats (const nines_peers_t *self, nines_peers_stats_t *st);

#endif
