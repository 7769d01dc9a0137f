# The jq-transform trace's input (tools/malloc-tracer/record-traces.sh): 30 000 JSON records with
# strings, arrays, a float and a nested object, from a fixed seed (the same bytes on every run).
import json
import random
import sys

random.seed(1)
records = [
    {
        "id": i,
        "name": "n%d" % i,
        "tags": ["t%d" % (i % 7), "u%d" % (i % 13)],
        "score": random.random(),
        "nested": {"a": [1, 2, 3], "b": str(i) * 3},
    }
    for i in range(30000)
]
json.dump(records, sys.stdout)
