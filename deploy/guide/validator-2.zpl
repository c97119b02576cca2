#   Validator 2 of the guide's network (deploy/README.md, port plan 742x).
node
    key = validator-2.key
    data = validator-2-data
    map_size = 67108864
    peer = tcp://127.0.0.1:7420    # as registered: ninesctl register-validator --peer
    query = tcp://127.0.0.1:7422   # ninesctl -e
    pub = tcp://127.0.0.1:7423
    metrics = 127.0.0.1:7424
    ledger = tcp://127.0.0.1:7500
    ledger_pub = tcp://127.0.0.1:7501
    registry_refresh = 5s
    log = info
