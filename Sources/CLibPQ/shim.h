// CLibPQ: PostgreSQL's client library from Debian's libpq-dev (pkg-config `libpq` adds
// -I/usr/include/postgresql). Only includes the header: every libpq call we use has a fixed arity
// and imports as is. The one macro we need, PG_DIAG_SQLSTATE ('C'), is a character literal that
// Swift does not import, so the PostgreSQL module spells it as a number (see PostgresError.swift);
// drop that if a future Swift imports character-literal macros.
#include <libpq-fe.h>
