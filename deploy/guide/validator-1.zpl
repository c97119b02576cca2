#   Validator 1 of the guide's network (deploy/README.md, port plan 741x).
node
    key = validator-1.key
    data = validator-1-data
    map_size = 67108864
    peer = tcp://127.0.0.1:7410    # as registered: ninesctl register-validator --peer
    query = tcp://127.0.0.1:7412   # ninesctl -e
    pub = tcp://127.0.0.1:7413
    metrics = 127.0.0.1:7414
    ledger = tcp://127.0.0.1:7500
    ledger_pub = tcp://127.0.0.1:7501
    registry_refresh = 5s
    log = info
