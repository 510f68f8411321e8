// CMiniZip: the unzip half of zlib's minizip, from Debian's libminizip-dev. The node reads XLSX
// workbooks (ZIP archives of XML parts) through it: inflate stays in zlib, never hand-written.
// Only includes the header; no shims are needed (unzOpen64, unzLocateFile, unzReadCurrentFile
// and unzGetCurrentFileInfo64 import as plain C functions).
#include <minizip/unzip.h>
