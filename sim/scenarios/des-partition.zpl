#   des-partition: 30 % of the validators are split from the rest for five
#   minutes (they still reach the pods and each other), 2 % are cut off
#   entirely, and then a quarter of the pods time out together (a network
#   outage across providers), which the correlated-outage rule must flag.
scenario
    name = des-partition
    seed = 23
    duration = 20m
    validators = 1000
    pods = 5000
    providers = 100
network
    latency = 20ms
    jitter = 20ms
    loss = 0.01
fault
    at = 2m
    kind = validator_isolate
    validator = 0
    duration = 5m
    targets = 300
    partition = 1
fault
    at = 3m
    kind = validator_isolate
    validator = 500
    duration = 5m
    targets = 20
fault
    at = 4m
    kind = app_down
    pod = 100
    duration = 3m
    targets = 20
    spread = 2m
fault
    at = 12m
    kind = correlated
    pod = 1000
    duration = 3m
    count = 1250
expect
    false_incidents = 0
