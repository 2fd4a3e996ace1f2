#!/usr/bin/env python3
# A mock OAuth token endpoint for the backendAuth oauthTokenExchange
# scenario (agentgateway's examples/traffic-token-exchange mock_token.py,
# made to check what it is sent). Every POST is logged to LOG as one JSON
# line {"path", "authorization", "content_type", "form"} (form: each field
# with its values, in order), then answered by the subject (subject_token
# or assertion):
#   deny       400 {"error": "invalid_grant"}
#   unauth     401 {"error": "invalid_client"}
#   mac        200 with token_type "mac"
#   short      200, expires_in 17 (kept 2 s: 15 s before its expiry)
#   anything else: 200 {"access_token": "xchg-<n>-<subject>", "token_type":
#              "Bearer", "expires_in": 3600}, n counting the answers, and
#              issued_token_type when a requested_token_type was sent.
#   token_endpoint.py PORT LOG
import http.server
import json
import sys
import urllib.parse

port, log = int(sys.argv[1]), sys.argv[2]
count = [0]


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("content-length", 0))
        raw = self.rfile.read(n).decode()
        pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True)
        form = {}
        for k, v in pairs:
            form.setdefault(k, []).append(v)
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "host": self.headers.get("host"),
                                "authorization": self.headers.get("authorization"),
                                "content_type": self.headers.get("content-type"),
                                "form": form}) + "\n")
        subject = (form.get("subject_token") or form.get("assertion") or [""])[0]
        status, body = 200, None
        if subject == "deny":
            status, body = 400, {"error": "invalid_grant"}
        elif subject == "unauth":
            status, body = 401, {"error": "invalid_client"}
        else:
            count[0] += 1
            body = {"access_token": "xchg-%d-%s" % (count[0], subject),
                    "token_type": "mac" if subject == "mac" else "Bearer",
                    "expires_in": 17 if subject == "short" else 3600}
            if subject.startswith("noexp"):  # the gateway's defaultTtl applies
                del body["expires_in"]
            if "requested_token_type" in form:
                body["issued_token_type"] = form["requested_token_type"][0]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
