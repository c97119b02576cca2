#   nines-facade configuration (ZPL, ZeroMQ RFC 4: four-space indents).
#   Every key is shown with its default; only pod, cert, key and facade_key
#   are required.  Any key can be overridden on the command line with
#   `-s facade/KEY=VALUE` (or the shortcuts listed by `nines-facade --help`).
#   Durations take a unit: 250ms, 10s, 5m.  Sizes are bytes.
#   SIGHUP reloads the validators file, the certificate and key and the
#   facade key without dropping connections (new handshakes use the new
#   pair, new answers the new facade key).  To rotate a key without an
#   outage, register the next pin / facade key beside the current one
#   first (PROTOCOL.md section 10.2, README "Rotating").
facade
    #   Where the facade listens (TLS).  HOST:PORT; use 0.0.0.0 or [::]
    #   to listen on every interface.
    listen = 0.0.0.0:8443
    #   Offer HTTP/2 (ALPN h2, h2o's own) beside HTTP/1.1; heartbeats work
    #   the same over both.  false: HTTP/1.1 only.  The app is always
    #   spoken to in HTTP/1.1 (keep-alive).
    http2 = true
    #   GET /metrics (Prometheus text format), plain HTTP on its own
    #   HOST:PORT, never on the TLS port.  Built-in default "" (off).
    metrics = 127.0.0.1:9443
    #   The pod's TLS certificate chain and private key, PEM.  Validators
    #   pin the certificate's SPKI (sha256) from the registry.
    cert = pod.crt
    key = pod.key
    #   The app on localhost; every request that is not a valid heartbeat
    #   is reverse-proxied here (http:// only, keep-alive).
    upstream = http://127.0.0.1:8080/
    #   This pod's id (64 lowercase hex, as registered).
    pod = 0000000000000000000000000000000000000000000000000000000000000000
    #   The facade's nines key file (ninesctl keygen; mode 0600).  It signs
    #   heartbeat answers; its public key is the pod's registered facade key.
    facade_key = facade.key
    #   Validator ids allowed to send heartbeats: one 64-hex id a line,
    #   '#' comments.  Empty or missing key: no heartbeat is recognised and
    #   everything is proxied.
    validators = validators.txt
    #   Or (instead of validators): follow the ledger and allow every
    #   eligible registered validator (stake >= min_validator_stake).  The
    #   registry is fetched at start, on each "registry" message of the
    #   ledger's PUB socket and every 30 s.  Empty = not used.
    ledger =
    ledger_pub = tcp://127.0.0.1:7501
    #   A valid heartbeat is proxied to the app like any request and the
    #   app's own answer (or the 502 users get when it is down) returns
    #   with the signed Nines-Heartbeat header (PROTOCOL.md 6.2).  The app
    #   status signed into it:
    #     forward: that answer's status (0 when the app did not answer);
    #     path:    that of a GET health_path on the app, made first
    #              (health_timeout: no answer by then is status 0).
    #   200-499 counts as up, 0 or >= 500 as down (PROTOCOL.md 6.3).
    #   Kubernetes probes count only 200-399 as success: a health path
    #   answering 4xx is up for the validators but fails a kubelet probe.
    health = forward
    health_path = /healthz
    health_timeout = 2s
    #   Event loops (threads); 0 = one per core.
    workers = 0
    #   Defences.  Worst-case memory over HTTP/1.1 is about 16 MiB +
    #   max_connections x 2 x (request body + the app's answer): h2o
    #   buffers a request body whole before proxying it and an answer whole
    #   for a client that reads slowly, each in a power-of-two buffer;
    #   measured up to 4.1 MiB a connection with 1 MiB bodies echoed
    #   (tests/bench/facade_memory).  Over HTTP/2 each of up to 100 streams
    #   a connection buffers its own body.
    #   The request head limit is fixed at 417792 bytes (400 above it).
    body_limit = 1048576            #   request body, bytes (413 above it)
    request_timeout = 10s           #   the whole request (head and body) must
                                    #   arrive within this (slowloris); also
                                    #   the idle keep-alive timeout
    handshake_timeout = 10s         #   TLS handshake must finish within this
    max_connections = 1024          #   concurrent client connections, all
                                    #   workers; more are closed at accept
    max_connections_per_address = 128   # of those, from one client address
                                    #   (IPv6: one /64), so that one client
                                    #   cannot take the whole table; more are
                                    #   closed at accept (a warning at most
                                    #   every 10 s).  Raise it if many users
                                    #   share one NAT address.
    upstream_timeout = 30s          #   app I/O timeout while proxying (then 502)
    upstream_keepalive = 2s         #   idle keep-alive connections to the app
    heartbeat_rate = 500            #   valid heartbeats/s the replay cache is
                                    #   sized for: 2 x rate x 60 s nonces, 24
                                    #   bytes each (500: 65,536, 1.5 MiB).  A
                                    #   full cache proxies valid heartbeats
                                    #   unsigned (a warning at most every 10 s,
                                    #   heartbeat_checks_total{result="EFULL"})
    #   error, warn, info or debug (-v on the command line = debug).
    log = info
