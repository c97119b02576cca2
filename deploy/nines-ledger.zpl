#   nines-ledger example configuration (ZPL, ZeroMQ RFC 4): every key with its default.
#   Run:  nines-ledger -c nines-ledger.zpl
#   A bad value stops nines-ledger with one line naming file, key and expectation (exit 2).
#   Protocol parameters (epoch, committee, θ, slashing, fees) are not set here: they come
#   from the genesis registry (params section) and then live in the ledger's store.

ledger
    data = /var/lib/nines-ledger        # LMDB environment (registry, incidents, slashes, canaries,
                                        # rewards); required.  Every acknowledged request is on disk.
                                        # One nines-ledger per directory (LOCK holds its pid).
    api = tcp://127.0.0.1:7500          # ROUTER: the API of proto/LEDGER.md (register, maintenance,
                                        # paid_until, submit_evidence, canary_sign, queries)
    pub = tcp://127.0.0.1:7501          # PUB: ["registry", {version}], ["incident", {...}],
                                        # ["canary", {id, period, deadline_ms, sig}]
    key = ledger.key                    # Ed25519 key file that signs canaries (created 0600 when
                                        # missing; its id is in the `registry` reply as "ledger")
    genesis = ""                        # registry snapshot (nines_registry_save ZPL: params,
                                        # validators, pods) copied into the store when it is empty;
                                        # ignored afterwards.  Empty: default params, no entries.
    log = info                          # error | warn | info | debug (-v forces debug)
    metrics = 127.0.0.1:7502            # GET /metrics (Prometheus text format) on HOST:PORT;
                                        # built-in default "" (off)
