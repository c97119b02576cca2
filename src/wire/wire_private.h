/*  nines wire codec internals, shared by the codec's parts (as
    engine_state.h is the engine's).  wire.h is the public interface.

    codec.c   the common msgpack plumbing: the structural precheck, unpack,
              typed field access, the field-table walkers, wire_finish
    msg.c     peer messages: the envelope, membership, CONFIRM_REQ, VOTE,
              QUORUM_REPORT, misbehaviour, EVIDENCE; outcome/verdict names
    entry.c   registry entries: validator, pod, params (with the params
              descriptor table and its defaults)
    query.c   query and reply maps: parse, typed getters, pack helpers

    msg.c, entry.c and query.c call codec.c; entry.c calls query.c's pack
    helpers; nothing calls back up (tests/unit/test_calls.py). */
#ifndef NINES_WIRE_PRIVATE_H
#define NINES_WIRE_PRIVATE_H

#include "wire/wire.h"
#include <msgpack.h>
#include <stddef.h>

#define NINES_WIRE_MAX_DEPTH 16         /* deepest container nesting a decoder accepts */

/*  Field tables for flat records: each row says where a field lives in the
    struct, its msgpack type and its limits.  One encoder and one decoder
    walk any table. */
typedef enum { F_UINT, F_BIN, F_STR } wire_kind_t;

typedef struct {
    wire_kind_t kind;           /* msgpack type */
    size_t offset;              /* offsetof in the record */
    size_t size;                /* F_UINT: 1/2/4/8 bytes; F_BIN: exact bytes; F_STR: capacity */
    uint64_t max;               /* F_UINT: largest accepted value */
} wire_field_t;

#define UINT_F(type, field, maxv) { F_UINT, offsetof (type, field), sizeof (((type *) 0)->field), maxv }
#define BIN_F(type, field)  { F_BIN, offsetof (type, field), sizeof (((type *) 0)->field), 0 }
#define STR_F(type, field)  { F_STR, offsetof (type, field), sizeof (((type *) 0)->field), 0 }
#define COUNT(a) (sizeof (a) / sizeof ((a) [0]))

/*  Precheck buf (exactly one msgpack object of at most limit bytes,
    containers no larger than the bytes left, nesting under
    NINES_WIRE_MAX_DEPTH, no ext types), then unpack it into *u, which the
    caller destroys in every case.  0, NINES_ETRUNC, NINES_ETRAILING,
    NINES_ETOOBIG, NINES_EMALFORMED or NINES_ENOMEM. */
int wire_unpack (const uint8_t *buf, size_t len, size_t limit, msgpack_unpacked *u);

/*  o as an array of exactly n items (*items points into o).  0 or
    NINES_EMALFORMED. */
int wire_array (const msgpack_object *o, uint32_t n, const msgpack_object **items);

/*  o as an unsigned integer of at most max.  0 or NINES_EMALFORMED. */
int wire_uint (const msgpack_object *o, uint64_t max, uint64_t *v);

/*  o as a bin of exactly n bytes, copied to out.  0 or NINES_EMALFORMED. */
int wire_bin (const msgpack_object *o, uint8_t *out, size_t n);

/*  o as a str without NUL bytes, copied NUL-terminated into out (cap
    bytes).  0, NINES_EMALFORMED, or NINES_ETOOBIG when it does not fit. */
int wire_str (const msgpack_object *o, char *out, size_t cap);

/*  Read / write an unsigned integer of size 1, 2, 4 or 8 bytes at p. */
uint64_t wire_get_uint (const void *p, size_t size);
void wire_set_uint (void *p, size_t size, uint64_t v);

/*  Pack the n fields of rec that the table describes, in table order
    (the caller packs the enclosing array header). */
void wire_encode_fields (msgpack_packer *pk, const wire_field_t *fields, size_t n, const void *rec);

/*  Decode items [0..n) into rec's fields, checking each type, size and
    range.  0 or the first field's NINES_E* code. */
int wire_decode_fields (const msgpack_object *items, const wire_field_t *fields, size_t n, void *rec);

/*  Copy a finished sbuffer into the caller's buffer (cap bytes) and
    destroy the sbuffer.  0 or NINES_ETOOBIG. */
int wire_finish (msgpack_sbuffer *sb, uint8_t *buf, size_t cap, size_t *len);

#endif
