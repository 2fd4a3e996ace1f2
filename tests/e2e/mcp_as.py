#!/usr/bin/env python3
# A mock OAuth 2.1 authorization server for the mcp-authn scenario, as the
# MCP authorization spec's clients use one: metadata, dynamic client
# registration (RFC 7591), an authorization endpoint that grants at once
# (302 back with a code, as agentgateway's example mock does), a token
# endpoint checking PKCE S256 and minting a real JWT (tests/e2e/jwt_mint.py,
# ES256 with DIR's ec256 key), and the JWKS. Two shapes:
#   spec      RFC 8414 metadata at /.well-known/oauth-authorization-server,
#             /register, /authorize, /token, /.well-known/jwks.json; the
#             token's aud is the RFC 8707 `resource` the client sent
#   keycloak  a realm under /realms/mcp with OIDC discovery only and
#             Keycloak's paths; the token's aud is always mcp_proxy
# Every request is logged to LOG as "METHOD PATH" (and the registration
# bodies as "BODY <json>").
#   mcp_as.py PORT DIR LOG spec|keycloak
import base64
import hashlib
import http.server
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jwt_mint  # noqa: E402

port, keys, log, shape = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
base = "http://localhost:%d" % port
if shape == "keycloak":
    issuer = base + "/realms/mcp"
    paths = {
        "meta": "/realms/mcp/.well-known/openid-configuration",
        "jwks": "/realms/mcp/protocol/openid-connect/certs",
        "register": "/realms/mcp/clients-registrations/openid-connect",
        "authorize": "/realms/mcp/protocol/openid-connect/auth",
        "token": "/realms/mcp/protocol/openid-connect/token",
    }
else:
    issuer = base
    paths = {
        "meta": "/.well-known/oauth-authorization-server",
        "jwks": "/.well-known/jwks.json",
        "register": "/register",
        "authorize": "/authorize",
        "token": "/token",
    }
META = {
    "issuer": issuer,
    "authorization_endpoint": base + paths["authorize"],
    "token_endpoint": base + paths["token"],
    "registration_endpoint": base + paths["register"],
    "jwks_uri": base + paths["jwks"],
    "response_types_supported": ["code"],
    "grant_types_supported": ["authorization_code"],
    "code_challenge_methods_supported": ["S256"],
    "token_endpoint_auth_methods_supported": ["none"],
}
codes = {}
clients = 0


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def note(self, line):
        with open(log, "a") as f:
            f.write(line + "\n")

    def send(self, status, body, ctype="application/json", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        self.note("GET " + u.path)
        if u.path == paths["meta"]:
            return self.send(200, json.dumps(META))
        if u.path == paths["jwks"]:
            with open(os.path.join(keys, "jwks.json")) as f:
                return self.send(200, f.read())
        if u.path == paths["authorize"]:
            q = dict(urllib.parse.parse_qsl(u.query))
            code = b64u(os.urandom(12))
            codes[code] = q
            loc = q["redirect_uri"] + "?" + urllib.parse.urlencode(
                {"code": code, "state": q.get("state", "")})
            return self.send(302, "", None, [("Location", loc)])
        self.send(404, "{}")

    def do_POST(self):
        global clients
        u = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.note("POST " + u.path)
        if u.path == paths["register"]:
            self.note("BODY " + body.decode())
            clients += 1
            meta = json.loads(body or b"{}")
            meta.update({"client_id": "client-%d" % clients, "client_id_issued_at": 1,
                         "token_endpoint_auth_method": "none"})
            return self.send(201, json.dumps(meta))
        if u.path == paths["token"]:
            f = dict(urllib.parse.parse_qsl(body.decode()))
            q = codes.pop(f.get("code", ""), None)
            verifier = f.get("code_verifier", "").encode()
            if not q or b64u(hashlib.sha256(verifier).digest()) != q.get("code_challenge"):
                return self.send(400, json.dumps({"error": "invalid_grant"}))
            aud = "mcp_proxy" if shape == "keycloak" else f.get("resource", "")
            now = int(time.time())
            claims = json.dumps({"iss": issuer, "aud": aud, "sub": "e2e-user",
                                 "iat": now, "exp": now + 3600})
            tok = jwt_mint.token(keys, "ES256", "ec256", claims)
            self.note("TOKEN aud=" + aud)
            return self.send(200, json.dumps({"access_token": tok, "token_type": "Bearer",
                                              "expires_in": 3600}))
        self.send(404, "{}")

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
srv.serve_forever()
