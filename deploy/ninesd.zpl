#   ninesd example configuration (ZPL, ZeroMQ RFC 4): every key with its default.
#   Run:  ninesd -c ninesd.zpl      Durations take a unit: 250ms, 10s, 5m, 2h.
#   A bad value stops ninesd with one line naming file, key and expectation (exit 2).

node
    key = validator.key                 # Ed25519 key file (ninesctl keygen), mode 0600; also
                                        # yields the CurveZMQ key pair of the peer socket
    data = /var/lib/ninesd              # LMDB environment (reports, incidents, outbox, membership);
                                        # one ninesd per directory (LOCK holds its pid)
    map_size = 1073741824               # LMDB map size, bytes (address space, not disk)
    peer = tcp://127.0.0.1:7410         # ROUTER bind, CurveZMQ server; must equal the endpoint
                                        # registered for this validator
    query = tcp://127.0.0.1:7402        # query socket (ROUTER, proto/QUERY.md)
    pub = tcp://127.0.0.1:7403          # PUB: frames ["report", msgpack {kind, pod, epoch, t_ms,
                                        # round_id, signers, report: bin}]
    registry = registry.zpl             # static registry snapshot (nines_registry_save format);
                                        # used when no ledger is set
    ledger = ""                         # ledger API (ROUTER), e.g. tcp://127.0.0.1:7500; when set
                                        # the registry comes from op `registry` and evidence goes there
    ledger_pub = ""                     # ledger PUB, e.g. tcp://127.0.0.1:7501 ("registry" topic)
    registry_refresh = 30s              # re-fetch the registry from the ledger at least this often
    metrics = 127.0.0.1:7404            # GET /metrics (Prometheus text format) on HOST:PORT;
                                        # built-in default "" (off, so several daemons can share a
                                        # host without a port clash); [::1]:7404 for IPv6
    metrics_pods = 1000                 # pods with per-pod series (nines_probe_success{pod},
                                        # nines_probe_http_status_code{pod}); down pods first, the
                                        # rest in pod-id order; nines_pods{state} counts every pod
    fault_hooks = 0                     # 1 enables the query op `fault` {isolate} (nines-sim only)
    behaviour = honest                  # nines-sim adversaries (need fault_hooks = 1): always_down,
                                        # always_up, silent, equivocate
    log = info                          # error | warn | info | debug (-v sets debug)

prober
    connections = 256                   # heartbeats in flight at once (libcurl multi)
    per_host = 4                        # kept-alive connections per facade (connection reuse)
    connect_timeout = 2s                # TCP + TLS handshake limit; the whole heartbeat is limited
                                        # by the registry's probe_timeout
    user_agent = "Mozilla/5.0 (X11; Linux x86_64)"  # heartbeats look like ordinary requests

engine
    swim_period = 1s                    # SWIM protocol period
    swim_ack_timeout = 300ms            # direct ping timeout (stretched by Lifeguard's LHM)
    swim_k = 3                          # indirect probers
    swim_suspect_periods = 5            # periods a suspect has to refute
    lhm_max = 8                         # Lifeguard local health multiplier cap
    gossip_fanout = 0                   # peers a new report is pushed to; 0 = all
    report_scope = all                  # all, or committee: only the pod's committees
                                        # (flat load in large networks; PROTOCOL.md 8.2)
    submit_backoff = 2s                 # first evidence re-submission delay, doubling
    submit_backoff_max = 60s            # back-off cap
    health_window = 16                  # recent own heartbeats kept for self-health (1..64);
                                        # pods reported down do not count
    health_min_pods = 3                 # distinct failing pods before degrading
    health_fail = 0.6                   # failing fraction that means "my network is down"
    max_reports = 1024                  # reports kept in memory (all are in LMDB)
    doppelganger_epochs = 2             # after start, listen this many epochs for votes
                                        # signed with our key by another instance before
                                        # voting (0 = vote at once); one seen at any time
                                        # stops this process voting (status: doppelganger)

ledger
    kind = zmq                          # where evidence settles: zmq (nines-ledger, node/ledger) or
                                        # evm (the uptime staking contract, section evm; the
                                        # endpoints and facades still come from node/registry)

evm                                     # ledger/kind = evm only (proto/CHAIN.md "From C")
    rpc = ""                            # the chain node's JSON-RPC URL, e.g. http://127.0.0.1:8545
    contract = ""                       # UptimeStaking's address, 0x + 40 hex (EIP-55 when mixed case)
    chain_key = chain.key               # secp256k1 key file (nines-secp256k1-v1), mode 0600: pays
                                        # gas and the bond, owns this validator on the contract
    confirmations = 1                   # blocks a receipt needs before the claim moves on
    poll = 1s                           # how often claims are advanced (claim, finalize, account)
    rpc_timeout = 2s                    # each JSON-RPC call's limit
    start_block = 0                     # the contract's deployment block (registry logs start there)
    adversary = none                    # tests and nines-sim only (needs node/fault_hooks = 1):
                                        # forge-claim posts one claim with forged votes (DOWN + UP),
                                        # forge-down (DOWN only), forge-committee (a false committee)
