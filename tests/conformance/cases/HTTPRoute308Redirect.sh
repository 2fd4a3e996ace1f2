# httproute-308-redirect.go: a RequestRedirect with statusCode 308
# answers 308, Location the same path.
# As upstream, same-namespace listens on port 80 here (a redirect that
# names no port keeps the listener's: 80 is left out of Location).
{
	gw_yaml same-namespace 80 Same
	filter_route 308-redirect
	filter_rule /permanent RequestRedirect '{statusCode: 308}'
} | apply
APPLY_RC=$?
tcase "0 request to '/permanent' should receive one of []" routed $INFRA/308-redirect port=80 path=/permanent code=308 to.path=/permanent
