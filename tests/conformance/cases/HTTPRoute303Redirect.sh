# httproute-303-redirect.go: a RequestRedirect with statusCode 303
# answers 303, Location the same path.
# As upstream, same-namespace listens on port 80 here (a redirect that
# names no port keeps the listener's: 80 is left out of Location).
{
	gw_yaml same-namespace 80 Same
	filter_route 303-redirect
	filter_rule /see-other RequestRedirect '{statusCode: 303}'
} | apply
APPLY_RC=$?
tcase "0 request to '/see-other' should receive one of []" routed $INFRA/303-redirect port=80 path=/see-other method=POST code=303 to.path=/see-other
