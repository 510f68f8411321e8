// CSQLite: SQLite 3 from Debian's libsqlite3-dev. Only includes the header; no shims are needed:
// the Storage module builds SQLITE_TRANSIENT itself (a macro with a cast that does not import).
#include <sqlite3.h>
