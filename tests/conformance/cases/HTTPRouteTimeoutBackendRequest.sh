# httproute-timeout-backend-request.go: a rule's timeouts.backendRequest
# (500ms) answers 504 to a request the echo holds 1s, and "0s" is no
# timeout.
timeout_test backendRequest backend-request-timeout backend-timeout
