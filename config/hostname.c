/* Host name and address syntax for backend hosts (hostname.h). Pure
 * functions: no lookups. */
#include "config/hostname.h"

#include <arpa/inet.h>
#include <string.h>

#define HOSTNAME_MAX 253
#define LABEL_MAX 63

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* One label, s[0..len): 1..63 letters, digits, '-', no '-' at either end.
 * *digits says whether it was digits only. */
static bool label_valid(const char *s, size_t len, bool *digits)
{
	*digits = true;
	if (len == 0 || len > LABEL_MAX || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
		*digits &= s[i] >= '0' && s[i] <= '9';
	}
	return true;
}

static bool ipv4_valid(const char *s, size_t len)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, &a) == 1;
}

bool sg_hostname_valid(const char *s, size_t len)
{
	bool digits = false;
	size_t start = 0;

	if (ipv4_valid(s, len))
		return true;
	if (len > 0 && s[len - 1] == '.')
		len--; /* the root: "example.com." */
	if (len == 0 || len > HOSTNAME_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!label_valid(s + start, i - start, &digits))
			return false;
		start = i + 1;
	}
	return !digits;
}

/* "fe80::1%eth0": a zone is an interface name or number. */
static bool zone_valid(const char *s, size_t len)
{
	if (len == 0 || len > 15)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

bool sg_host_addr_valid(const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a;
	const char *zone;
	size_t alen;

	if (len == 0 || s[0] != '[')
		return sg_hostname_valid(s, len);
	if (len < 3 || s[len - 1] != ']')
		return false;
	s++;
	len -= 2;
	zone = memchr(s, '%', len);
	alen = zone ? (size_t)(zone - s) : len;
	if (zone && !zone_valid(zone + 1, len - alen - 1))
		return false;
	if (alen >= sizeof(buf))
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

bool sg_sni_name_valid(const char *s, size_t len)
{
	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	}
	if (len == 0 || s[len - 1] == '.' || ipv4_valid(s, len))
		return false;
	return sg_hostname_valid(s, len);
}

size_t sg_authority_host_len(const char *a, size_t n)
{
	const char *e;

	if (n && a[0] == '[') {
		e = memchr(a, ']', n);
		return e ? (size_t)(e - a) + 1 : n;
	}
	e = memchr(a, ':', n);
	return e ? (size_t)(e - a) : n;
}
