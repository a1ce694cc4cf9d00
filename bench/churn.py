"""The benchmark's Python workload: churns objects the way a data-handling
script does (lists, dicts, strings, JSON), so that the interpreter allocates
and frees a great deal.

Usage: python3 churn.py ROUNDS   (each round builds, encodes, decodes, indexes
                                  and drops 20,000 records)
"""
import json
import sys


def one_round(r, n=20000):
    records = [
        {
            "id": i,
            "name": "item-%d-%d" % (r, i),
            "tags": [str(j) for j in range(i % 7)],
            "score": i * 0.5,
            "nested": {"a": [i, i + 1], "b": {"c": str(i)}},
        }
        for i in range(n)
    ]
    text = json.dumps(records)
    back = json.loads(text)
    index = {rec["name"]: rec for rec in back}
    by_tags = {}
    for rec in index.values():
        by_tags.setdefault(len(rec["tags"]), []).append(rec["id"])
    joined = ",".join(rec["name"] for rec in back[::3])
    return len(text) + sum(len(v) for v in by_tags.values()) + len(joined)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    total = 0
    for r in range(rounds):
        total += one_round(r)
    print(total)


if __name__ == "__main__":
    main()
