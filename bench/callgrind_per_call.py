#!/usr/bin/env python3
"""Instructions per call of a marker function in a callgrind output file.

Usage: callgrind_per_call.py FILE MARKER [MARKER...]
Prints the total instructions (Ir) recorded, the calls of the first marker found (a function
called once per request, e.g. "ngx_http_process_request"), and their ratio; with
--cache-sim=yes, the cache misses per call too (D1mr + D1mw, LLd misses, I1 misses). Callgrind names
functions once and then refers to them by number ("fn=(12) name", later "cfn=(12)"): the
names are resolved as they come.
"""
import re
import sys


def main():
    path, markers = sys.argv[1], sys.argv[2:]
    names = {}
    total = 0
    events = []
    summary = []
    calls = {m: 0 for m in markers}
    pending_target = None
    name_re = re.compile(r"^c?fn=\((\d+)\)(?: (.*))?$")
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith(("fn=", "cfn=")):
                m = name_re.match(line.rstrip("\n"))
                if m:
                    if m.group(2) is not None:
                        names[m.group(1)] = m.group(2)
                    name = names.get(m.group(1), "")
                else:
                    name = line.split("=", 1)[1].strip()
                pending_target = name if line.startswith("cfn=") else None
            elif line.startswith("calls=") and pending_target is not None:
                n = int(line.split("=", 1)[1].split()[0])
                for marker in markers:
                    if pending_target == marker or pending_target.startswith(marker + "("):
                        calls[marker] += n
                pending_target = None
            elif line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("summary:") or line.startswith("totals:"):
                values = [int(v) for v in line.split()[1:]]
                if values[0] >= total:
                    total, summary = values[0], values
    for marker in markers:
        if calls[marker] > 0:
            print(f"{total} instructions, {calls[marker]} calls of {marker}: "
                  f"{total / calls[marker]:.0f} instructions per call")
            counts = dict(zip(events, summary))
            if "D1mr" in counts:
                per = {k: v / calls[marker] for k, v in counts.items()}
                print(f"  per call: D1 misses {per['D1mr'] + per['D1mw']:.1f} "
                      f"(read {per['D1mr']:.1f}, write {per['D1mw']:.1f}), "
                      f"LLd misses {per['DLmr'] + per['DLmw']:.1f}, I1 misses {per['I1mr']:.1f}")
            return
    print(f"{total} instructions, no calls of {' '.join(markers)}", file=sys.stderr)
    sys.exit(1)


main()
