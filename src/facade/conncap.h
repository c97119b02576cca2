/*  Per-address connection cap of the facade.

    The facade's connection table (facade/max_connections) is shared by
    every client, so without a cap per address one address can hold every
    slot and lock all others out.  nines_conncap_t counts open connections
    per client address, IPv4 by the full address, IPv6 by its /64 prefix
    (what one host or one subscriber line is usually given, RFC 6177; an
    IPv4-mapped IPv6 address counts as its IPv4 address), and refuses a
    connection over the cap, as nginx's limit_conn on $binary_remote_addr.

    A fixed table of 2 x max_connections entries (linear probing,
    backward-shift deletion), allocated once: each open connection holds at
    most one entry, so it never fills.  Thread-safe (one mutex: one
    acquire and one release per connection). */
#ifndef NINES_CONNCAP_H
#define NINES_CONNCAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define NINES_CONNCAP_DEFAULT  128      /* default connections per address */

typedef struct _nines_conncap_t nines_conncap_t;

/*  Bytes of an address key (an IPv4 address or an IPv6 /64, tagged). */
#define NINES_CONNCAP_KEY_BYTES 9

/*  A cap of per_address connections for each address, for a server that
    holds at most max_connections at once.  NULL on bad arguments (0) or
    out of memory. */
nines_conncap_t *nines_conncap_new (uint64_t max_connections, uint64_t per_address);
void nines_conncap_destroy (nines_conncap_t **self_p);

/*  The key of a peer address (AF_INET or AF_INET6) into key; false for
    another family (such a connection is not capped). */
bool nines_conncap_key (const struct sockaddr *sa, uint8_t key [NINES_CONNCAP_KEY_BYTES]);

/*  Count one more connection from key: true if it is within the cap
    (then release it once when it closes), false if key already holds
    per_address connections (nothing counted). */
bool nines_conncap_acquire (nines_conncap_t *self, const uint8_t key [NINES_CONNCAP_KEY_BYTES]);
/*  One connection from key closed. */
void nines_conncap_release (nines_conncap_t *self, const uint8_t key [NINES_CONNCAP_KEY_BYTES]);

/*  Connections counted for key now (tests). */
uint64_t nines_conncap_count (nines_conncap_t *self, const uint8_t key [NINES_CONNCAP_KEY_BYTES]);

#endif
