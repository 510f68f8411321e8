#!/usr/bin/env python3
"""Independent oracle for event-uplift v2 and the flatline rule (Indicators/event-uplift-v2.md).

Writes the vectors Indicators/vectors/event-uplift-v2-*.json: the inputs, the expected figures
computed here (plain Python, no Swift), and the arithmetic in "working". Run from the repository
root: python3 Indicators/oracle/event_uplift_v2.py
"""
import json, math, os
from datetime import date, timedelta

OUT = os.path.join(os.path.dirname(__file__), "..", "vectors")

def D(s): return date.fromisoformat(s)

def easter(y):
    a = y % 19; b = y // 100; c = y % 100; d = b // 4; e = b % 4; f = (b + 8) // 25
    g = (b - f + 1) // 3; h = (19 * a + b - d - g + 15) % 30; i = c // 4; k = c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7; m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31; day = ((h + l - 7 * m + 114) % 31) + 1
    return date(y, month, day)

def holiday(d):
    if (d.month, d.day) in [(1, 1), (5, 1), (7, 21), (8, 15), (11, 1), (11, 11), (12, 25)]: return True
    e = easter(d.year)
    return d in (e + timedelta(1), e + timedelta(39), e + timedelta(50))

def median(v):
    v = sorted(v); n = len(v)
    if n == 0: return None
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2

def day_class(d):
    return {6: "saturday", 7: "sunday"}.get(d.isoweekday(), "weekday")

# ---- data: sensor -> {date: [24 hours]} (valid days only) ----------------------------------

def hours_of(entry):
    h = [0.0] * 24
    if "total" in entry: h[12] = float(entry["total"])
    for k, v in entry.get("hours", {}).items(): h[int(k)] = float(v)
    return h

def load(sensors):
    data = {}
    for s in sensors:
        days = {}
        if "series" in s:
            start = D(s["series"]["from"])
            for i, t in enumerate(s["series"]["totals"]):
                if t is not None: days[start + timedelta(i)] = hours_of({"total": t})
        for e in s.get("days", []): days[D(e["day"])] = hours_of(e)
        data[s["id"]] = days
    return data

def flatline(days, history=8, min_history=3, min_median=24):
    """days: {date: hours}; returns the set of flatline dates (interval counter).
    History: previous valid non-flatline days of the same ISO weekday, public holidays not judged."""
    out, hist = set(), {w: [] for w in range(1, 8)}
    for d in sorted(days):
        if holiday(d): continue
        h = days[d]; total = sum(h); w = d.isoweekday()
        others = [x for i, x in enumerate(h) if i != 2]
        flat = total == 0 or all(x == others[0] for x in others)
        if flat and len(hist[w]) >= min_history and median(hist[w][-history:]) > min_median:
            out.add(d); continue
        hist[w].append(total)
    return out

# ---- the rule ---------------------------------------------------------------------------------

def window_segments(start, sh, end, eh):
    span = (end - start).days
    segs = []
    for off in range(span + 1):
        f = sh if off == 0 else 0; t = eh if off == span else 24
        if t > f: segs.append((off, f, t))
    return segs

class Rule:
    def __init__(self, data, ids, segs):
        self.data, self.ids, self.segs = data, ids, segs
    def total(self, s, a):
        t = 0.0
        for off, f, to in self.segs:
            h = self.data[s].get(a + timedelta(off))
            if h is None: return None
            t += sum(h[f:to])
        return t
    def clean(self, a, excl):
        return all((a + timedelta(off)) not in excl and not holiday(a + timedelta(off)) for off, _, _ in self.segs)
    def ssum(self, kept, a):
        t = 0.0
        for s in kept:
            x = self.total(s, a)
            if x is None: return None
            t += x
        return t
    def expectation(self, a, excl):
        e = {"observed": 0.0, "expected": None, "sensors": [], "baseline": [], "factor": None}
        cand = [a - timedelta(7 * k) for k in range(1, 13) if self.clean(a - timedelta(7 * k), excl)]
        if len(cand) < 4: e["reason"] = "too few clean"; return e
        kept = [s for s in self.ids if self.total(s, a) is not None]
        base = []
        while kept:
            base = [c for c in cand if self.ssum(kept, c) is not None][:8]
            if len(base) >= 4: break
            worst, wc = 0, 10**9
            for j, s in enumerate(kept):
                n = sum(1 for c in cand if self.total(s, c) is not None)
                if n <= wc: worst, wc = j, n
            kept.pop(worst)
        if not kept: e["reason"] = "no sensor"; return e
        e["sensors"], e["baseline"] = kept, base
        e["observed"] = self.ssum(kept, a)
        e["totals"] = [self.ssum(kept, b) for b in base]
        m = median(e["totals"])
        if not m > 0: e["reason"] = "median 0"; return e
        e["median"] = m
        ec = [a - timedelta(d) for d in (371, 364, 357)]
        ec = [d for d in ec if self.clean(d, excl)]
        bc = [b - timedelta(364) for b in base]
        bc = [d for d in bc if self.clean(d, excl)]
        yk = list(kept)
        ey, by = [], []
        while yk:
            ey = [d for d in ec if self.ssum(yk, d) is not None]
            by = [d for d in bc if self.ssum(yk, d) is not None]
            if len(ey) >= 2 and len(by) >= 4: break
            worst, wc = 0, 10**9
            for j, s in enumerate(yk):
                n = sum(1 for c in ec + bc if self.total(s, c) is not None)
                if n <= wc: worst, wc = j, n
            yk.pop(worst)
        y = median([self.ssum(yk, d) for d in ey]) if yk else None
        yb = median([self.ssum(yk, d) for d in by]) if yk else None
        if yk and y is not None and yb is not None and y > 0 and yb > 0:
            e["factor"] = y / yb; e["ey"], e["by"], e["yk"] = ey, by, yk
            e["yTotals"] = [self.ssum(yk, d) for d in ey]; e["ybTotals"] = [self.ssum(yk, d) for d in by]
            e["y"], e["yb"] = y, yb
            e["expected"] = m * y / yb
        else:
            e["expected"] = m
        return e
    def error(self, d, excl):
        if not self.clean(d, excl): return None
        e = self.expectation(d, excl)
        if e["expected"] is None or not e["sensors"]: return None
        return e["observed"] / e["expected"] - 1

def evaluate(sensors, query):
    data = load(sensors)
    flat = {s: flatline(days) for s, days in data.items()}
    for s in data:
        for d in flat[s]: del data[s][d]
    start, end = D(query["start"]), D(query["end"])
    segs = window_segments(start, query["startHour"], end, query["endHour"])
    rule = Rule(data, query["sensors"], segs)
    excl = set(D(x) for x in query.get("excludedDays", [])) | {start + timedelta(off) for off, _, _ in segs}
    e = rule.expectation(start, excl)
    level = query.get("level", 0.9)
    errs = []
    last = segs[-1][0]
    d = start - timedelta(364)
    while d <= start - timedelta(last + 1):
        if day_class(d) == day_class(start):
            x = rule.error(d, excl)
            if x is not None: errs.append(abs(x))
        d += timedelta(1)
    n = len(errs)
    uplift = e["observed"] / e["expected"] - 1 if e["expected"] else None
    res = {"uplift": uplift, "expectedValue": e["expected"], "baselineMedian": e.get("median"),
           "seasonalFactor": e["factor"], "calibrationDays": n, "level": level,
           "sensorsUsed": e["sensors"], "yearEarlierSensors": e.get("yk", []), "baselineDays": [str(b) for b in e["baseline"]],
           "flatlineDays": {s: sorted(str(d) for d in v) for s, v in flat.items() if v}}
    q = None
    if n >= 20:
        k = math.ceil((n + 1) * level - 1e-9)
        if k <= n: q = sorted(errs)[k - 1]
        res["rank"] = k
    res["quantile"] = q
    res["low"] = uplift - q if (q is not None and uplift is not None) else None
    res["high"] = uplift + q if (q is not None and uplift is not None) else None
    res["hasInterval"] = res["low"] is not None
    return res, e, errs

def write(name, title, description, sensors, query, working_extra):
    res, e, errs = evaluate(sensors, query)
    work = [f"window segments (day offset, hours): {window_segments(D(query['start']), query['startHour'], D(query['end']), query['endHour'])}"]
    if e.get("totals") is not None:
        work.append(f"baseline (most recent clean same-weekday placements): {[str(b) for b in e['baseline']]}, totals {e['totals']} -> median {e.get('median')}")
    if e["factor"] is not None:
        work.append(f"a year earlier: event-week placements {[str(d) for d in e['ey']]} totals {e['yTotals']} -> median {e['y']}; baseline-week placements {[str(d) for d in e['by']]} totals {e['ybTotals']} -> median {e['yb']}; factor {e['y']} / {e['yb']} = {e['factor']}")
    else:
        work.append("no year earlier: the plain baseline median is the expected value")
    work.append(f"observed {e['observed']}; expected {e['expected']}; uplift = observed / expected - 1 = {res['uplift']}")
    if errs:
        work.append(f"calibration: {len(errs)} ordinary {day_class(D(query['start']))} placements in the 52 weeks before; rank ceil((n+1)*{res['level']}) = {res.get('rank')}; q = {res['quantile']}; sorted |errors| from rank-2: {sorted(errs)[max(0, res.get('rank', 1) - 3):res.get('rank', 1) + 1]}")
    else:
        work.append("calibration: no ordinary placements with a value -> no interval")
    if res["flatlineDays"]: work.append(f"flatline days (excluded before anything else): {res['flatlineDays']}")
    work += working_extra
    v = {"indicator": "event-uplift", "version": 2, "name": title, "description": description,
         "sensors": sensors, "query": query, "expected": res, "working": work}
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(v, f, indent=1)
        f.write("\n")
    print(name, json.dumps({k: res[k] for k in ("uplift", "low", "high", "calibrationDays", "quantile", "seasonalFactor", "sensorsUsed")}))

# ---- deterministic noise -----------------------------------------------------------------------

class LCG:
    def __init__(self, seed): self.x = seed
    def next(self):
        self.x = (self.x * 6364136223846793005 + 1442695040888963407) % 2**64
        return (self.x >> 11) / 2**53

def seasonal(d):
    # a climb towards December and a summer dip (multiplicative)
    doy = d.timetuple().tm_yday
    return 1 + 0.25 * math.cos(2 * math.pi * (doy - 350) / 365.25)

def series(first, last, level, seed, weekday=(1.0, 1.0, 1.0, 1.05, 1.2, 1.5, 0.6)):
    r = LCG(seed); out = []
    d = first
    while d <= last:
        noise = 1 + 0.16 * (r.next() - 0.5)
        out.append(round(level * weekday[d.isoweekday() - 1] * seasonal(d) * noise))
        d += timedelta(1)
    return {"from": str(first), "totals": out}

def main():
    # 1. Seasonal expected value: a Saturday in late November, the baseline lags the climb.
    sat = {}
    def add(day, total): sat[day] = total
    for day, total in [("2025-09-27", 1000), ("2025-10-04", 1020), ("2025-10-11", 990), ("2025-10-18", 1050),
                       ("2025-10-25", 1080), ("2025-11-01", 400), ("2025-11-08", 1100), ("2025-11-15", 1150),
                       ("2025-11-22", 1200), ("2025-11-29", 1500),
                       ("2024-09-28", 900), ("2024-10-05", 920), ("2024-10-12", 880), ("2024-10-19", 950),
                       ("2024-10-26", 960), ("2024-11-09", 1000), ("2024-11-16", 1040), ("2024-11-23", 1100),
                       ("2024-11-30", 1150), ("2024-12-07", 1300)]:
        add(day, total)
    write("event-uplift-v2-seasonal.json", "seasonal expected value (late November Saturday)",
          "Event on Saturday 2025-11-29 in a zone with sensors A and B (B was installed in 2025). The 8 clean Saturdays before (All Saints' Day 2025-11-01 is a public holiday, skipped) have a median A+B total of 1590; a year earlier only A counted, so the seasonal factor rests on A alone: the event week (2024-11-23, 11-30, 12-07) ran at a median of 1150 against 955 for the same baseline weeks, and the expected value is 1590 x 1150 / 955. Fewer than 20 ordinary Saturdays with a value in the 52 weeks before: no interval.",
          [{"id": "A", "days": [{"day": k, "total": v} for k, v in sorted(sat.items())]},
           {"id": "B", "days": [{"day": k, "total": v} for k, v in [("2025-09-27", 500), ("2025-10-04", 510), ("2025-10-11", 490),
                                                                    ("2025-10-18", 520), ("2025-10-25", 530), ("2025-11-01", 200),
                                                                    ("2025-11-08", 540), ("2025-11-15", 560), ("2025-11-22", 580),
                                                                    ("2025-11-29", 800)]]}],
          {"sensors": ["A", "B"], "start": "2025-11-29", "startHour": 0, "end": "2025-11-29", "endHour": 24, "excludedDays": [], "level": 0.9},
          ["A+B baseline: 11-22 1780, 11-15 1710, 11-08 1640, 10-25 1610, 10-18 1570, 10-11 1480, 10-04 1530, 09-27 1500 -> sorted 1480 1500 1530 1570 1610 1640 1710 1780 -> median (1570 + 1610) / 2 = 1590", "a year earlier B has no data, so B leaves the seasonal factor's sensors (valid on 0 of its 11 candidate placements): A alone, baseline weeks 880 900 920 950 960 1000 1040 1100 -> 955; event week 1100 1150 1300 -> 1150", "expected = 1590 x 1150 / 955 = 1914.66; observed 1500 + 800 = 2300; uplift = 2300 / 1914.66 - 1"])

    # 2. Conformal interval: 16 months of a weekday series with a seasonal climb, one event Wednesday.
    s = series(D("2024-06-01"), D("2025-09-30"), 1000, 7)
    ev = (D("2025-09-24") - D("2024-06-01")).days
    s["totals"][ev] = round(s["totals"][ev] * 1.3)
    write("event-uplift-v2-conformal.json", "split-conformal interval at 0.90 from a year of ordinary weekdays",
          "One sensor, daily totals from 2024-06-01 to 2025-09-30 (generated: weekday pattern x seasonal curve x +-8 % noise; the event day Wednesday 2025-09-24 x 1.3). The interval is the uplift +- q, q the ceil((n+1) x 0.9)-th smallest |observed/expected - 1| of the ordinary weekdays (Mon-Fri, not holidays) of the 52 weeks before, each judged by the same rule (calibration days in 2024 fall back to the plain baseline: no year earlier).",
          [{"id": "A", "series": s}],
          {"sensors": ["A"], "start": "2025-09-24", "startHour": 0, "end": "2025-09-24", "endHour": 24, "excludedDays": [], "level": 0.9},
          ["series totals sit in local hour 12 of their day"])

    # 3. A window crossing midnight: Friday 18:00 to Saturday 02:00.
    fri = ["2025-08-22", "2025-08-29", "2025-09-05", "2025-09-12", "2025-09-19"]
    ev_hours = [({"12": 700, "17": 99, "18": 50, "19": 60, "20": 60, "21": 50, "22": 40, "23": 30}, {"0": 20, "1": 10, "2": 99, "12": 800}),
                ({"12": 650, "18": 55, "19": 55, "20": 55, "21": 55, "22": 45, "23": 35}, {"0": 25, "1": 15, "12": 820}),
                ({"12": 720, "18": 60, "19": 70, "20": 70, "21": 60, "22": 50, "23": 40}, {"0": 30, "1": 20, "12": 760}),
                ({"12": 690, "18": 45, "19": 50, "20": 50, "21": 45, "22": 35, "23": 25}, {"0": 15, "1": 5, "12": 790}),
                ({"12": 500, "18": 150, "19": 200, "20": 200, "21": 180, "22": 150, "23": 120}, {"0": 100, "1": 60, "12": 400})]
    days = []
    for f, (a, b) in zip(fri, ev_hours):
        days.append({"day": f, "hours": a})
        days.append({"day": str(D(f) + timedelta(1)), "hours": b})
    write("event-uplift-v2-midnight.json", "an evening event crossing midnight (Friday 18:00 to Saturday 02:00)",
          "Event from Friday 2025-09-19 18:00 to Saturday 2025-09-20 02:00 local: observed and every baseline placement sum Friday hours 18-23 and Saturday hours 0-1 only (hours 12, 17 and 2 are ignored), not two whole days. Four clean Friday-Saturday placements: exactly the minimum. No year earlier, no calibration: no interval.",
          [{"id": "A", "days": days}],
          {"sensors": ["A"], "start": "2025-09-19", "startHour": 18, "end": "2025-09-20", "endHour": 2, "excludedDays": [], "level": 0.9},
          ["placements: 08-22/23: 290 + 30 = 320; 08-29/30: 300 + 40 = 340; 09-05/06: 350 + 50 = 400; 09-12/13: 250 + 20 = 270; event 09-19/20: 950 + 160 = 1110",
           "median of 270 320 340 400 = (320 + 340) / 2 = 330; uplift = 1110 / 330 - 1"])

    # 4. Too little history: 3 clean Tuesdays (one is a works day).
    write("event-uplift-v2-too-little-history.json", "too little history: no value, no interval",
          "Event on Tuesday 2025-06-17; only 3 Tuesdays before it have data and one of those (06-03) has road works in the zone: the sensor is valid on only 2 clean Tuesdays (4 needed), so it drops out and there is no value and no interval, each with a reason.",
          [{"id": "A", "days": [{"day": "2025-05-27", "total": 800}, {"day": "2025-06-03", "total": 500},
                                 {"day": "2025-06-10", "total": 820}, {"day": "2025-06-17", "total": 1200}]}],
          {"sensors": ["A"], "start": "2025-06-17", "startHour": 0, "end": "2025-06-17", "endHour": 24,
           "excludedDays": ["2025-06-03"], "level": 0.9},
          ["clean candidates: the 12 Tuesdays before minus 06-03 (works) are clean by calendar, but the rule counts clean calendar days first (11 >= 4), then A is valid on only 05-27 and 06-10 -> the sensor drops out -> no value"])

    # 5. The flatline rule: B dies and reports zeros; A is stuck on one value on one Saturday.
    first, last = D("2025-06-01"), D("2025-09-13")
    a = series(first, last, 800, 11)
    b = series(first, last, 300, 13)
    dead = (D("2025-08-18") - first).days
    for i in range(dead, len(b["totals"])): b["totals"][i] = 0
    stuck = D("2025-08-30")
    a["totals"][(stuck - first).days] = None
    write("event-uplift-v2-flatline.json", "the flatline rule: a dead counter's zeros and a stuck value are missing data",
          "Two sensors. B reports zeros every day from 2025-08-18 (a dead counter whose intervals keep arriving); A is stuck on 40 an hour for all of Saturday 2025-08-30. Those days are flatline (the sensor's median over its previous 8 valid same-weekday days is far above 24), so they are invalid: B leaves the like-for-like set (it is invalid on the event day) and A's baseline skips 08-30. Event: Saturday 2025-09-13.",
          [{"id": "A", "series": a, "days": [{"day": str(stuck), "hours": {str(h): 40 for h in range(24)}}]}, {"id": "B", "series": b}],
          {"sensors": ["A", "B"], "start": "2025-09-13", "startHour": 0, "end": "2025-09-13", "endHour": 24, "excludedDays": [], "level": 0.9},
          ["without the rule, B's zeros would be valid days: the event day would pair A+B against baselines where B counted ~300 a day until 08-16"])

if __name__ == "__main__":
    main()
