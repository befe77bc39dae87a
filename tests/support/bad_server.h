/* A misbehaving HTTP server for fault tests: a loopback TCP listener on its own thread
 * that reads each request's head and then does the one wrong thing it was started
 * with. It serves any number of connections (also several at once) until stopped. */
#ifndef WX_BAD_SERVER_H
#define WX_BAD_SERVER_H

#include <stddef.h>

typedef enum wxt_bad_mode {
    WXT_BAD_RESET,        /* read the request, then reset the connection (SO_LINGER 0) */
    WXT_BAD_STALL,        /* accept and read, never answer, keep the connection open */
    WXT_BAD_ENDLESS_BODY, /* a 200 head, then an endless chunked body as fast as it goes */
    WXT_BAD_GARBAGE,      /* non-HTTP bytes, then close */
    WXT_BAD_HUGE_HEADERS, /* a 200 status line, then header lines without end */
    WXT_BAD_HUGE_HEADER,  /* a 200 status line, then one header line of 1 MiB */
    WXT_BAD_CLOSE,        /* read the request, close cleanly without a byte */
    WXT_BAD_TRICKLE,      /* a 200 head, then an endless chunked body, 16 bytes per 50 ms */
    WXT_BAD_DROP_REUSED   /* answer a connection's first request (200, "{}", keep-alive);
                             read a second one on it and close without a byte */
} wxt_bad_mode;

typedef struct wxt_bad_server wxt_bad_server;

/* Start listening on 127.0.0.1 (a free port). Fails the test if it cannot. */
wxt_bad_server *wxt_bad_start(wxt_bad_mode mode);
/* "http://127.0.0.1:PORT/" (lives as long as the server). */
const char *wxt_bad_url(const wxt_bad_server *s);
/* Connections accepted so far. */
int wxt_bad_connections(const wxt_bad_server *s);
/* Request heads read so far (arrivals), on all connections. */
int wxt_bad_requests(const wxt_bad_server *s);
/* Bytes written to clients so far (the endless modes count here). */
size_t wxt_bad_bytes_sent(const wxt_bad_server *s);
/* Stop the thread, close every connection, free. Accepts NULL. */
void wxt_bad_stop(wxt_bad_server *s);
/* A name for messages ("reset", "stall", ...). */
const char *wxt_bad_mode_name(wxt_bad_mode mode);

#endif
