# httproute-timeout-request.go: a rule's timeouts.request (500ms) answers
# 504 to a request the echo holds 1s, and "0s" is no timeout.
timeout_test request request-timeout request-timeout
