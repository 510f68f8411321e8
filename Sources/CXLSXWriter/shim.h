// CXLSXWriter: libxlsxwriter (1.1.4 on Debian 12) from Debian's libxlsxwriter-dev, to write the
// report tables as XLSX workbooks with real numbers and number formats. Only the header; no shims
// are needed: the calls the Reports module makes (workbook_new, worksheet_write_*, format_set_*,
// workbook_close) are plain C functions with fixed arity.
#include <xlsxwriter.h>
