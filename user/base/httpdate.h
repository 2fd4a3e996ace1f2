/* HTTP dates (RFC 9110 §5.6.7): the Date field of the responses the
 * gateway writes (§6.6.1), its own answers and forwarded responses whose
 * origin sent none; and a date a backend sends (Retry-After), read. */
#ifndef SG_HTTPDATE_H
#define SG_HTTPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* "Sun, 06 Nov 1994 08:49:37 GMT" is IMF-fixdate's length. */
#define SG_HTTP_DATE_LEN 29

/* The current time as an IMF-fixdate, NUL-terminated; the thread's own
 * buffer, formatted again when the second changes. */
const char *sg_http_date(void);

/* t as an IMF-fixdate into out (SG_HTTP_DATE_LEN + 1 bytes). */
void sg_http_date_format(time_t t, char out[static SG_HTTP_DATE_LEN + 1]);

/* Read an HTTP-date from p[0..n): IMF-fixdate ("Sun, 06 Nov 1994
 * 08:49:37 GMT"), or the obsolete RFC 850 ("Sunday, 06-Nov-94 08:49:37
 * GMT", a two-digit year below 70 taken as 20xx) and asctime ("Sun Nov  6
 * 08:49:37 1994") forms, which a recipient must also accept. The whole
 * span must be the date, its weekday the date's. Sets *t (seconds since
 * the epoch, UTC) and returns true, else false. */
bool sg_http_date_parse(const char *p, size_t n, time_t *t);

#endif
