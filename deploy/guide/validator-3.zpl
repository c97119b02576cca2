#   Validator 3 of the guide's network (deploy/README.md, port plan 743x).
node
    key = validator-3.key
    data = validator-3-data
    map_size = 67108864
    peer = tcp://127.0.0.1:7430    # as registered: ninesctl register-validator --peer
    query = tcp://127.0.0.1:7432   # ninesctl -e
    pub = tcp://127.0.0.1:7433
    metrics = 127.0.0.1:7434
    ledger = tcp://127.0.0.1:7500
    ledger_pub = tcp://127.0.0.1:7501
    registry_refresh = 5s
    log = info
