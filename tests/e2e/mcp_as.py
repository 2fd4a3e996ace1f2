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
#   entra     Entra ID's shape for tenant e2e-tenant over TLS (CERT, KEY):
#             issuer https://127.0.0.1/e2e-tenant/v2.0 (PORT must be 443:
#             Entra's URLs name none), OIDC discovery under it without a
#             registration endpoint or code_challenge_methods_supported,
#             /e2e-tenant/oauth2/v2.0/authorize and .../token, the keys at
#             /e2e-tenant/discovery/v2.0/keys; both endpoints refuse a
#             `resource` parameter (AADSTS9010010), and the token endpoint
#             wants client e2e-client's secret e2e-secret; the token's aud
#             is api://e2e-client
# Every request is logged to LOG as "METHOD PATH" (and the registration
# bodies as "BODY <json>"; entra's token requests as "FORM k=v ...", the
# secret shown as secret=ok or secret=bad).
#   mcp_as.py PORT DIR LOG spec|keycloak|entra [CERT KEY]
import base64
import hashlib
import http.server
import json
import os
import ssl
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jwt_mint  # noqa: E402

port, keys, log, shape = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
base = "http://localhost:%d" % port
if shape == "entra":
    base = "https://127.0.0.1"
    issuer = base + "/e2e-tenant/v2.0"
    paths = {
        "meta": "/e2e-tenant/v2.0/.well-known/openid-configuration",
        "jwks": "/e2e-tenant/discovery/v2.0/keys",
        "register": None,
        "authorize": "/e2e-tenant/oauth2/v2.0/authorize",
        "token": "/e2e-tenant/oauth2/v2.0/token",
    }
elif shape == "keycloak":
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
    "registration_endpoint": base + (paths["register"] or ""),
    "jwks_uri": base + paths["jwks"],
    "response_types_supported": ["code"],
    "grant_types_supported": ["authorization_code"],
    "code_challenge_methods_supported": ["S256"],
    "token_endpoint_auth_methods_supported": ["none"],
}
if shape == "entra":
    del META["registration_endpoint"], META["code_challenge_methods_supported"]
    META["token_endpoint_auth_methods_supported"] = ["client_secret_post"]
codes = {}
clients = 0
AADSTS9010010 = json.dumps({"error": "invalid_target", "error_description":
                            "AADSTS9010010: The resource parameter provided in the request "
                            "doesn't match with the requested scopes."})


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
            if shape == "entra" and "resource" in q:
                return self.send(400, AADSTS9010010)
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
            if shape == "entra":
                self.note("FORM " + " ".join(sorted(
                    k + ("=ok" if f[k] == "e2e-secret" else "=bad") if k == "client_secret"
                    else k for k in f)))
                if "resource" in f:
                    return self.send(400, AADSTS9010010)
                if f.get("client_secret") != "e2e-secret":
                    return self.send(401, json.dumps({"error": "invalid_client"}))
            q = codes.pop(f.get("code", ""), None)
            verifier = f.get("code_verifier", "").encode()
            if not q or b64u(hashlib.sha256(verifier).digest()) != q.get("code_challenge"):
                return self.send(400, json.dumps({"error": "invalid_grant"}))
            aud = {"keycloak": "mcp_proxy", "entra": "api://e2e-client"}.get(
                shape, f.get("resource", ""))
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
if len(sys.argv) > 6:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[5], sys.argv[6])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
