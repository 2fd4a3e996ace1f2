# httproute-307-redirect.go: a RequestRedirect with statusCode 307
# answers 307, Location the same path.
# As upstream, same-namespace listens on port 80 here (a redirect that
# names no port keeps the listener's: 80 is left out of Location).
{
	gw_yaml same-namespace 80 Same
	filter_route 307-redirect
	filter_rule /temporary RequestRedirect '{statusCode: 307}'
} | apply
APPLY_RC=$?
tcase "0 request to '/temporary' should receive one of []" routed $INFRA/307-redirect port=80 path=/temporary code=307 to.path=/temporary
