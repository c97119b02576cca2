#   The guide's ledger (deploy/README.md).  Paths are relative to the
#   working directory the daemons are started in.
ledger
    data = ledger-data          # LMDB store (one ledger per directory)
    key = ledger.key            # ninesctl keygen ledger.key
    genesis = genesis.zpl       # read once, into an empty store
    api = tcp://127.0.0.1:7500
    pub = tcp://127.0.0.1:7501
    metrics = 127.0.0.1:7502
    log = info
