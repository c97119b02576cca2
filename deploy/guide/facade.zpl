#   The guide's facade in front of the app on 127.0.0.1:8080 (deploy/README.md).
#   The pod id is per deployment: given with -s facade/pod=HEX.
facade
    listen = 127.0.0.1:8443     # registered as the pod's facade URL
    metrics = 127.0.0.1:9443
    cert = pod.crt              # its SPKI pin is registered: ninesctl pin pod.crt
    key = pod.key
    facade_key = facade.key     # its id is registered: ninesctl id facade.key
    upstream = http://127.0.0.1:8080/
    ledger = tcp://127.0.0.1:7500       # allow the ledger's eligible validators
    ledger_pub = tcp://127.0.0.1:7501
    health = forward
    workers = 1
    log = info
