// CMicroHTTPD: GNU libmicrohttpd from Debian's libmicrohttpd-dev. microhttpd.h needs these
// system headers first (it uses uint64_t, size_t, struct sockaddr without including them).
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

// The functions below exist only because Swift cannot call C variadic functions
// (`MHD_start_daemon`, `MHD_get_daemon_info`, `MHD_get_connection_info` take `...`).
// Each is a fixed-arity forwarder, so the compiler checks every argument's type and width,
// which `withVaList` cannot (a wrong width there fails silently). Drop them if libmicrohttpd
// ever gains non-variadic equivalents (its 1.x API does). Used only by Sources/HTTPServer.

/// Unescape callback that leaves URL and query bytes exactly as received. HTTPServer decodes
/// path segments and query parameters itself, so that `%2F` inside a path parameter cannot
/// turn into a segment separator and `+` in a query value means a space.
static size_t CMicroHTTPD_keep_escaped(void *cls, struct MHD_Connection *connection, char *s) {
    (void)cls;
    (void)connection;
    return strlen(s);
}

/// `MHD_OPTION_URI_LOG_CALLBACK`'s type (microhttpd.h spells it only inside a cast): called
/// when a request line has arrived, before its header fields; its result becomes `*con_cls`.
typedef void *(*CMicroHTTPD_URILogCallback)(void *cls, const char *uri, struct MHD_Connection *connection);

/// `MHD_start_daemon` with the options HTTPServer uses, in a fixed order. `address` is an
/// IPv4 or IPv6 socket address (port 0 = ephemeral); pass `MHD_USE_IPv6` in `flags` for IPv6.
/// A `thread_pool_size` of 0 or 1 means no pool (one internal polling thread).
/// `accept_policy`, `notify_connection` and `uri_log` (all given `watch_cls`) let HTTPServer
/// limit connections per address and close clients that send their request head too slowly,
/// which libmicrohttpd 0.9.75 cannot do itself (its timeout restarts with every byte).
static inline struct MHD_Daemon *CMicroHTTPD_start_daemon(
    unsigned int flags, const struct sockaddr *address,
    MHD_AccessHandlerCallback handler, void *handler_cls,
    MHD_RequestCompletedCallback completed, void *completed_cls,
    unsigned int thread_pool_size, unsigned int connection_limit,
    unsigned int connection_timeout_seconds, size_t connection_memory_limit,
    MHD_AcceptPolicyCallback accept_policy, MHD_NotifyConnectionCallback notify_connection,
    CMicroHTTPD_URILogCallback uri_log, void *watch_cls) {
    return MHD_start_daemon(flags, 0, accept_policy, watch_cls, handler, handler_cls,
                            MHD_OPTION_SOCK_ADDR, address,
                            MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory_limit,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                            MHD_OPTION_UNESCAPE_CALLBACK, CMicroHTTPD_keep_escaped, (void *)NULL,
                            MHD_OPTION_NOTIFY_CONNECTION, notify_connection, watch_cls,
                            MHD_OPTION_URI_LOG_CALLBACK, uri_log, watch_cls,
                            MHD_OPTION_END);
}

/// `CMicroHTTPD_start_daemon` with TLS terminated by libmicrohttpd itself (GnuTLS in Debian's
/// build): `MHD_USE_TLS` must be in `flags`; `key_pem` and `cert_pem` are PEM texts (the
/// certificate may be a chain). The caller keeps both strings alive while the daemon runs.
static inline struct MHD_Daemon *CMicroHTTPD_start_tls_daemon(
    unsigned int flags, const struct sockaddr *address,
    MHD_AccessHandlerCallback handler, void *handler_cls,
    MHD_RequestCompletedCallback completed, void *completed_cls,
    unsigned int thread_pool_size, unsigned int connection_limit,
    unsigned int connection_timeout_seconds, size_t connection_memory_limit,
    MHD_AcceptPolicyCallback accept_policy, MHD_NotifyConnectionCallback notify_connection,
    CMicroHTTPD_URILogCallback uri_log, void *watch_cls,
    const char *key_pem, const char *cert_pem) {
    return MHD_start_daemon(flags, 0, accept_policy, watch_cls, handler, handler_cls,
                            MHD_OPTION_SOCK_ADDR, address,
                            MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory_limit,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                            MHD_OPTION_UNESCAPE_CALLBACK, CMicroHTTPD_keep_escaped, (void *)NULL,
                            MHD_OPTION_NOTIFY_CONNECTION, notify_connection, watch_cls,
                            MHD_OPTION_URI_LOG_CALLBACK, uri_log, watch_cls,
                            MHD_OPTION_HTTPS_MEM_KEY, key_pem,
                            MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
                            MHD_OPTION_END);
}

/// The port the daemon is bound to (`MHD_DAEMON_INFO_BIND_PORT`), or 0 if unknown.
static inline uint16_t CMicroHTTPD_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/// The peer's socket address (`MHD_CONNECTION_INFO_CLIENT_ADDRESS`), or NULL.
static inline const struct sockaddr *CMicroHTTPD_client_address(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}

/// The connection's socket (`MHD_CONNECTION_INFO_CONNECTION_FD`), or -1.
static inline int CMicroHTTPD_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : info->connect_fd;
}
