// CMicroHTTPD: GNU libmicrohttpd from Debian's libmicrohttpd-dev. microhttpd.h needs these
// system headers first (it uses uint64_t, size_t, struct sockaddr without including them).
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>
