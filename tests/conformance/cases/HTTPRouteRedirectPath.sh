# httproute-redirect-path.go: a RequestRedirect's path, ReplacePrefixMatch
# (the matched prefix replaced, the rest kept) or ReplaceFullPath, alone
# or with a hostname or a statusCode.
# As upstream, same-namespace listens on port 80 here (a redirect that
# names no port keeps the listener's: 80 is left out of Location).
PFX='type: ReplacePrefixMatch, replacePrefixMatch'
FULL='type: ReplaceFullPath, replaceFullPath'
{
	gw_yaml same-namespace 80 Same
	filter_route redirect-path
	filter_rule /original-prefix RequestRedirect "{path: {$PFX: /replacement-prefix}}"
	filter_rule /full RequestRedirect "{path: {$FULL: /full-path-replacement}}"
	filter_rule /path-and-host RequestRedirect "{hostname: example.org, path: {$PFX: /replacement-prefix}}"
	filter_rule /path-and-status RequestRedirect "{path: {$PFX: /replacement-prefix}, statusCode: 301}"
	filter_rule /full-path-and-host RequestRedirect "{hostname: example.org, path: {$FULL: /replacement-full}}"
	filter_rule /full-path-and-status RequestRedirect "{path: {$FULL: /replacement-full}, statusCode: 301}"
} | apply
APPLY_RC=$?
R=$INFRA/redirect-path
N="should receive one of []"
tcase "0 request to '/original-prefix/lemon' $N" routed $R port=80 path=/original-prefix/lemon code=302 \
	to.path=/replacement-prefix/lemon
tcase "1 request to '/full/path/original' $N" routed $R port=80 path=/full/path/original code=302 \
	to.path=/full-path-replacement
tcase "2 request to '/path-and-host' $N" routed $R port=80 path=/path-and-host code=302 to.host=example.org \
	to.path=/replacement-prefix
tcase "3 request to '/path-and-status' $N" routed $R port=80 path=/path-and-status code=301 to.path=/replacement-prefix
tcase "4 request to '/full-path-and-host' $N" routed $R port=80 path=/full-path-and-host code=302 \
	to.host=example.org to.path=/replacement-full
tcase "5 request to '/full-path-and-status' $N" routed $R port=80 path=/full-path-and-status code=301 \
	to.path=/replacement-full
