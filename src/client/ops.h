/*  The op names and PUB topics of nines' two request/reply APIs, in one
    place for their servers (src/ledger/ledger.c's op table, src/node/
    query.c), their clients (ninesctl, ninesd's ledger link, the facade's
    registry follower) and nines-sim.  A request is a msgpack map with an
    "op" str (src/wire/query.c); proto/LEDGER.md and proto/QUERY.md say
    each op's keys and reply. */
#ifndef NINES_CLIENT_OPS_H
#define NINES_CLIENT_OPS_H

/*  ---- the ledger API (nines-ledger's ROUTER, proto/LEDGER.md) ---- */
#define NINES_LEDGER_OP_REGISTRY        "registry"          /* snapshot: version, params, validators, pods, ledger */
#define NINES_LEDGER_OP_REG_VALIDATOR   "register_validator"/* {info, t_ms, sig} */
#define NINES_LEDGER_OP_REG_POD         "register_pod"      /* {info, t_ms, sig} */
#define NINES_LEDGER_OP_MAINTENANCE     "maintenance"       /* {pod, start_ms, end_ms, t_ms, sig} */
#define NINES_LEDGER_OP_PAID_UNTIL      "paid_until"        /* {pod, paid_until_ms, t_ms, sig} */
#define NINES_LEDGER_OP_SUBMIT_EVIDENCE "submit_evidence"   /* {evidence, from} -> {id, verdict, reason} */
#define NINES_LEDGER_OP_CANARY          "canary"            /* current canary {id, period, deadline_ms, sig} */
#define NINES_LEDGER_OP_CANARY_SIGN     "canary_sign"       /* {canary, validator, sig} */
#define NINES_LEDGER_OP_VALIDATORS      "validators"        /* rows */
#define NINES_LEDGER_OP_PODS            "pods"              /* rows */
#define NINES_LEDGER_OP_INCIDENTS       "incidents"         /* rows; optional pod */
#define NINES_LEDGER_OP_SLASHES         "slashes"           /* rows; optional pod */
#define NINES_LEDGER_OP_NINES           "nines"             /* rows; optional nines_ppm (target nines x 1e6) */
#define NINES_LEDGER_OP_REWARDS         "rewards"           /* rows */

/*  ---- the ledger's PUB topics (first frame; second frame is a msgpack map) ---- */
#define NINES_LEDGER_TOPIC_REGISTRY     "registry"  /* {version} */
#define NINES_LEDGER_TOPIC_INCIDENT     "incident"  /* {pod, t_down, t_up, duration_ms, slashed, correlated, open} */
#define NINES_LEDGER_TOPIC_CANARY       "canary"    /* {id, period, deadline_ms, sig} */

/*  ---- ninesd's query socket (ROUTER, proto/QUERY.md) ---- */
#define NINES_NODE_OP_STATUS            "status"            /* counters, epoch, health */
#define NINES_NODE_OP_PEERS             "peers"             /* rows: SWIM members */
#define NINES_NODE_OP_PODS              "pods"              /* rows; optional pod */
#define NINES_NODE_OP_REPORTS           "reports"           /* rows; optional pod, limit */
#define NINES_NODE_OP_INCIDENTS         "incidents"         /* rows; optional pod */
#define NINES_NODE_OP_NINES             "nines"             /* rows; optional pod */
#define NINES_NODE_OP_EVIDENCE          "evidence"          /* rows: the evidence outbox */
#define NINES_NODE_OP_FAULT             "fault"             /* {isolate} (node/fault_hooks = 1) */

/*  ---- ninesd's PUB topic ---- */
#define NINES_NODE_TOPIC_REPORT         "report"    /* {report: QUORUM_REPORT bytes, ...} */

#endif
