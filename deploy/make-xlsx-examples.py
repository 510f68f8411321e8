#!/usr/bin/python3
"""Writes the XLSX examples in deploy/data-examples/ (run once by hand; the tests read the
committed files and never run this). Needs Debian's python3-openpyxl.

counts-wide.xlsx: a vendor portal's export, a cover sheet first ("Info") and the counts on
  "Tellingen": a time column (date cells, one time written as text) and one column per sensor of
  deploy/data-examples/sensors.csv; one empty cell is a missing reading.
spending.xlsx: card spending with date-only cells, in a 1904-date-system workbook (old Mac Excel).
"""
import datetime
import os

import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data-examples")

wb = openpyxl.Workbook()
info = wb.active
info.title = "Info"
info["A1"] = "Export TownBench voorbeeld: tellingen per uur"
sheet = wb.create_sheet("Tellingen")
sheet.append(["Tijdstip", "markt-noord", "marktstraat-12"])
rows = [
    (datetime.datetime(2025, 6, 9, 9, 0), 212, 830),
    (datetime.datetime(2025, 6, 9, 10, 0), 245, None),
    ("2025-06-09 11:00", 1204, 905),
]
for when, a, b in rows:
    sheet.append([when, a, b])
for row in sheet.iter_rows(min_row=2, max_col=1):
    for cell in row:
        if isinstance(cell.value, datetime.datetime):
            cell.number_format = "dd/mm/yyyy hh:mm"
wb.save(os.path.join(here, "counts-wide.xlsx"))

wb = openpyxl.Workbook()
wb.epoch = CALENDAR_MAC_1904
sheet = wb.active
sheet.title = "Bancontact"
sheet.append(["zone", "start", "minutes", "sector", "transactions", "buyers", "value_eur"])
sheet.append(["marktstraat", datetime.date(2025, 6, 7), 1440, "retail", 1200, 950, 30118.4])
sheet.append(["markt", datetime.date(2025, 6, 7), 1440, "horeca", 410, 300, 8120.25])
for row in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
    for cell in row:
        cell.number_format = "dd/mm/yyyy"
wb.save(os.path.join(here, "spending.xlsx"))

# counts.xlsx: the long layout as Excel itself writes it (openpyxl writes inline strings; Excel
# writes shared strings, rich-text runs among them, and built-in date format 22 "m/d/yyyy h:mm").
import zipfile

parts = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    "xl/styles.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>',
    "xl/sharedStrings.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="9" uniqueCount="8"><si><t>sensor</t></si><si><t>start</t></si><si><t>minutes</t></si><si><t>measure</t></si><si><t>count</t></si><si><t>markt-noord</t></si><si><r><t>pedes</t></r><r><rPr><b/></rPr><t>trians</t></r></si><si><t>marktstraat-12</t></si></sst>',
    "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>5</v></c><c r="B2" s="1"><v>45815.375</v></c><c r="C2"><v>15</v></c><c r="D2" t="s"><v>6</v></c><c r="E2"><v>212</v></c></row>'
        '<row r="4"><c r="A4" t="s"><v>7</v></c><c r="B4" s="1"><v>45815.291666666664</v></c><c r="C4"><v>60</v></c><c r="D4" t="s"><v>6</v></c><c r="E4"><v>830</v></c></row>'
        '</sheetData></worksheet>',
}
with zipfile.ZipFile(os.path.join(here, "counts.xlsx"), "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in parts.items():
        z.writestr(zipfile.ZipInfo(name, date_time=(2025, 6, 9, 0, 0, 0)), text, zipfile.ZIP_DEFLATED)
