/* The Date field of the responses the gateway writes (RFC 9110 §6.6.1):
 * its own answers, and forwarded responses whose origin sent none. */
#ifndef SG_HTTPDATE_H
#define SG_HTTPDATE_H

#include <time.h>

/* "Sun, 06 Nov 1994 08:49:37 GMT" is IMF-fixdate's length. */
#define SG_HTTP_DATE_LEN 29

/* The current time as an IMF-fixdate, NUL-terminated; the thread's own
 * buffer, formatted again when the second changes. */
const char *sg_http_date(void);

/* t as an IMF-fixdate into out (SG_HTTP_DATE_LEN + 1 bytes). */
void sg_http_date_format(time_t t, char out[static SG_HTTP_DATE_LEN + 1]);

#endif
