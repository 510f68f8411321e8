#!/usr/bin/env python3
"""Independent oracle for event-uplift v2's whole-day forms at the coordinator: the town's own
uplift and the peer-adjusted one, each with its split-conformal interval
(Indicators/event-uplift-v2.md, "Peer-adjusted form (coordinator)").

Writes Indicators/vectors/event-uplift-v2-peer-*.json: the towns' daily totals, the event, the
figures computed here (plain Python, no Swift) and the arithmetic in "working". The rule (the
expected value of one placement) is event_uplift_v2.Rule with whole-day segments. Run from the
repository root: python3 Indicators/oracle/event_uplift_v2_peers.py
"""
import json, math, os, sys
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(__file__))
from event_uplift_v2 import D, LCG, Rule, day_class, holiday, load, median  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "vectors")
MIN_PEERS, MIN_CALIBRATION, POWER = 3, 20, 0.8


def rank(level, count):
    return max(1, math.ceil(level * count - 1e-9))


def town_rule(town, length):
    data = load(town["sensors"])
    return Rule(data, [s["id"] for s in town["sensors"]], [(k, 0, 24) for k in range(length)])


def ratio(rule, x, excl, length):
    """observed / expected of a placement without an excluded day (public holidays kept)."""
    if any(x + timedelta(k) in excl for k in range(length)): return None
    e = rule.expectation(x, excl)
    if e["expected"] is None or not e["sensors"]: return None
    return e["observed"] / e["expected"]


def interval(value, errors, level):
    n = len(errors)
    out = {"value": value, "calibrationDays": n, "quantile": None, "low": None, "high": None, "minimumDetectableUplift": None}
    if n >= MIN_CALIBRATION:
        k = rank(level, n + 1)
        if k <= n:
            q = sorted(abs(e) for e in errors)[k - 1]
            out["quantile"] = q
            needed = sorted((1 + q) / (1 + e) - 1 for e in errors)
            out["minimumDetectableUplift"] = needed[rank(POWER, n) - 1]
            out["rank"] = k
            if value is not None: out["low"], out["high"] = value - q, value + q
    return out


def evaluate(towns, event):
    length, level = event["length"], event.get("level", 0.9)
    start = D(event["start"])
    rules = {t["id"]: town_rule(t, length) for t in towns}
    excl = {t["id"]: set(D(x) for x in t.get("excludedDays", [])) for t in towns}
    me = event["town"]
    peers = [t["id"] for t in towns if t["id"] != me]
    # The event's own placement: no cleanliness asked of it (it is the event).
    e = rules[me].expectation(start, excl[me] | {start + timedelta(k) for k in range(length)})
    event_ratio = e["observed"] / e["expected"] if e["expected"] else None

    def peer_median(x):
        rs = [r for p in peers if (r := ratio(rules[p], x, excl[p], length)) is not None]
        return (median(rs) if rs else None), len(rs), rs

    own, adjusted, rows = [], [], []
    c = start - timedelta(364)
    while c <= start - timedelta(length):
        if day_class(c) == day_class(start) and not any(holiday(c + timedelta(k)) for k in range(length)):
            r = ratio(rules[me], c, excl[me], length)
            if r is not None:
                own.append(r - 1)
                m, n, _ = peer_median(c)
                if n >= MIN_PEERS and m > 0:
                    adjusted.append(r / m - 1)
                    rows.append((str(c), r, m, n))
        c += timedelta(1)
    m, n, rs = peer_median(start)
    value, reason = None, None
    if event_ratio is None: reason = "no own ratio"
    elif n < MIN_PEERS: reason = "too few peers"
    elif m > 0: value = event_ratio / m - 1
    figures = {"eventRatio": event_ratio, "peers": n, "peerMedian": m,
               "own": interval(event_ratio - 1 if event_ratio is not None else None, own, level),
               "peerAdjusted": interval(value, adjusted, level)}
    if reason: figures["peerAdjusted"]["reason"] = reason
    return figures, e, rs, rows, own, adjusted


def write(name, title, description, towns, event, extra):
    f, e, rs, rows, own, adjusted = evaluate(towns, event)
    work = [f"event placement of {event['town']}: sensors {e['sensors']}, baseline {[str(b) for b in e['baseline']]} totals {e.get('totals')} -> median {e.get('median')}; "
            + (f"seasonal factor {e['factor']}" if e["factor"] is not None else "no year earlier (factor 1)")
            + f"; observed {e['observed']}; ratio {f['eventRatio']}",
            f"peers' ratios on {event['start']} (towns without an excluded day then): {sorted(rs)} -> {f['peers']} peers, median {f['peerMedian']}",
            f"own uplift = ratio - 1 = {f['own']['value']}; peer-adjusted = {f['eventRatio']} / {f['peerMedian']} - 1 = {f['peerAdjusted']['value']}"]
    for label, errs, fig in (("own", own, f["own"]), ("peer-adjusted", adjusted, f["peerAdjusted"])):
        if fig["quantile"] is not None:
            k = fig["rank"]
            work.append(f"{label} calibration: n = {len(errs)} ordinary {day_class(D(event['start']))} placements; k = ceil((n + 1) x {event.get('level', 0.9)}) = {k}; sorted |errors| k-2..k+1: {sorted(abs(x) for x in errs)[max(0, k - 3):k + 1]} -> q = {fig['quantile']}; minimum detectable uplift = the ceil(0.8 n) = {rank(POWER, len(errs))}-th smallest (1 + q) / (1 + error) - 1 = {fig['minimumDetectableUplift']}")
        else:
            work.append(f"{label} calibration: n = {len(errs)} -> no interval")
    work.append("first peer-adjusted calibration placements (day, town ratio, peers' median, peers): " + "; ".join(f"{d} {r:.6f} / {m:.6f} ({n})" for d, r, m, n in rows[:5]))
    work += extra
    v = {"indicator": "event-uplift", "version": 2, "name": title, "description": description,
         "towns": towns, "event": event, "figures": f, "working": work}
    with open(os.path.join(OUT, name), "w") as out:
        json.dump(v, out, indent=1)
        out.write("\n")
    print(name, json.dumps({k: f[k] for k in ("eventRatio", "peers", "peerMedian")}),
          json.dumps({k: f["own"][k] for k in ("value", "low", "high", "calibrationDays")}),
          json.dumps({k: f["peerAdjusted"][k] for k in ("value", "low", "high", "calibrationDays")}))


def network(first, last, event_day, effect, shock, towns_spec, seed=3):
    """Daily totals per town: level x weekday pattern x a day factor shared by every town
    ("weather", +-10 %) x the town's own +-4 % noise; on the event day every town x shock and the
    event town x effect as well."""
    weekday = (1.0, 0.95, 1.0, 1.05, 1.2, 1.6, 0.5)
    shared = LCG(seed)
    days = (last - first).days + 1
    weather = [1 + 0.2 * (shared.next() - 0.5) for _ in range(days)]
    towns = []
    for t, (tid, sensors, excluded) in enumerate(towns_spec):
        out = []
        for s, (sid, level) in enumerate(sensors):
            r = LCG(1000 * (t + 1) + s)
            totals = []
            for i in range(days):
                d = first + timedelta(i)
                x = level * weekday[d.isoweekday() - 1] * weather[i] * (1 + 0.08 * (r.next() - 0.5))
                if d == event_day:
                    x *= shock * (effect if t == 0 else 1)
                totals.append(round(x))
            out.append({"id": sid, "series": {"from": str(first), "totals": totals}})
        towns.append({"id": tid, "sensors": out, "excludedDays": excluded})
    return towns


def main():
    first, last, ev = D("2025-01-06"), D("2025-06-20"), D("2025-06-18")
    spec = [("T", [("A", 1200), ("B", 600)], ["2025-03-12", "2025-06-18"]),
            ("P1", [("A", 900)], []), ("P2", [("A", 2000)], ["2025-05-14"]), ("P3", [("A", 500)], []), ("P4", [("A", 1500)], [])]
    write("event-uplift-v2-peer-adjusted.json", "peer-adjusted uplift with its calibrated interval (a shared rainy day)",
          "Town T (sensors A, B) holds an event on Wednesday 2025-06-18 (x 1.5) on a day when rain cut every town's footfall (x 0.8). Four peer towns. Daily totals 2025-01-06 to 2025-06-20: level x weekday x a day factor shared by all towns (+-10 %) x each town's own +-4 % noise. T's own ratio (observed / expected by the v2 rule, no year earlier) is ~1.2, so its own uplift is ~+20 %; divided by the peers' median ratio (~0.8) the peer-adjusted uplift is ~+50 %, and because the shared day factor cancels, its interval (from the same quantity on T's ordinary weekdays of the 52 weeks before) is narrower. Public holidays (Easter Monday, 1 May, Ascension, Whit Monday) and T's earlier event (03-12) and P2's campaign (05-14) are not calibration or peer placements.",
          network(first, last, ev, 1.5, 0.8, spec), {"town": "T", "start": str(ev), "length": 1, "level": 0.9},
          ["calibration placements are the weekdays (Mon-Fri, the event's class) from 2024-06-19 to 2025-06-17 with a ratio: the first ones with 4 clean same-weekday baseline days are in February 2025"])

    spec2 = [("T", [("A", 1200), ("B", 600)], ["2025-03-12", "2025-06-18"]),
             ("P1", [("A", 900)], []), ("P2", [("A", 2000)], ["2025-05-14"]), ("P3", [("A", 500)], ["2025-06-18"])]
    write("event-uplift-v2-peer-too-few.json", "too few peers on the event day: no peer-adjusted value, the own one stands",
          "As event-uplift-v2-peer-adjusted but with three peer towns, one of which (P3) has its own event on 2025-06-18: it is no control that day, 2 peers remain (3 needed), so the peer-adjusted uplift is missing with a reason. The peer-adjusted calibration still exists (3 peers on ordinary days) and the town's own uplift and interval are unchanged by the peers.",
          network(first, last, ev, 1.5, 0.8, spec2), {"town": "T", "start": str(ev), "length": 1, "level": 0.9},
          ["P3's ratio on 2025-06-18 is not computed: the day is one of its excluded days"])


if __name__ == "__main__":
    main()
