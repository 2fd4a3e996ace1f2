#!/usr/bin/env python3
"""Regenerate tests/schema/fields.jsonl: every field of agentgateway's
standalone schema and of the Gateway API and agentgateway CRDs, each with
a minimal config holding it (issue 68, "no silent acceptance").

    scripts/schema-walk.py AGW_GITDIR GWAPI_GITDIR > tests/schema/fields.jsonl

AGW_GITDIR: an agentgateway git directory (the `fetch` tool's
/work/.mirror/agentgateway+agentgateway/repo); GWAPI_GITDIR: a
kubernetes-sigs/gateway-api one. The commits read are AGW_REV and
GWAPI_REV below; the first line of the output records them.

The first line records the commits, the count, each kind's source file
("sources"), the resources every Kubernetes config starts with
("preamble": Gateways gw and gwls, Service svc) and the templates. Each
further line is one field, a JSON object:
  kind      the resource kind ("" for the standalone file);
  field     its schema path: keys joined by ".", "[]" for a list's item
            and ".*" for a map's value ("binds[].listeners[].name");
  template  the template its config starts from (a standalone file, or
            a resource of the kind);
  edits     [[steps, value]] setting and [steps] deleting what makes the
            template a minimal config holding the field with a sample
            value (steps: keys and list indexes);
  steps     where the field is in that config;
  required  true when the schema requires it;
  alt       another value to try, where the sample is a scalar.
The test (tests/unit/test_schemawalk.c) loads it with the field, without
it and with alt; see its header.

Samples are the schema's own (an enum's first value, a default, a
minimum) or, by key name, SAMPLES; by the end of their path, FILES
(tests/schema/files/) and PATH_SAMPLES; sections the schema leaves
underdetermined (exactly one of, in CEL or prose) are filled from FILL.
A $def's fields are listed once, at the shallowest place that reaches it
(binds: first).
"""
import copy
import json
import subprocess
import sys

import yaml

AGW_REV = "75b4e6ce6"
GWAPI_REV = "4564255ac"

AGW_CRDS = [
    "controller/install/helm/agentgateway-crds/templates/agentgateway.dev_agentgatewaypolicies.yaml",
    "controller/install/helm/agentgateway-crds/templates/agentgateway.dev_agentgatewaybackends.yaml",
    "controller/install/helm/agentgateway-crds/templates/agentgateway.dev_agentgatewayparameters.yaml",
    "controller/install/helm/agentgateway-crds/templates/agentgateway.dev_agentgatewaymodels.yaml",
]
GWAPI_KINDS = [
    "gatewayclasses", "gateways", "httproutes", "grpcroutes", "tcproutes", "tlsroutes",
    "udproutes", "referencegrants", "backendtlspolicies", "listenersets",
]
GWAPI_X = ["xbackendtrafficpolicies", "xmeshes", "xbackends"]

# Sample values by key, where "x" would not do.
SAMPLES = {
    "host": "127.0.0.1:8000",
    "hostname": "example.com",
    "hostnames": ["example.com"],
    "address": "127.0.0.1:9000",
    "adminAddr": "127.0.0.1:15000",
    "statsAddr": "127.0.0.1:15020",
    "readinessAddr": "127.0.0.1:15021",
    "port": 8080,
    "name": "x",
    "namespace": "default",
    "group": "gateway.networking.k8s.io",
    "issuer": "https://issuer.example.com",
    "jwksUri": "https://issuer.example.com/jwks",
    "url": "https://example.com/",
    "uri": "https://example.com/",
    "path": "/p",
    "method": "GET",
    "scheme": "https",
    "statusCode": 302,
    "status": 200,
    "code": 503,
    "codes": [503],
    "full": "/p",
    "prefix": "/p",
    "replaceFullPath": "/p",
    "replacePrefixMatch": "/p",
    "otlpEndpoint": "http://127.0.0.1:4317",
}
# Files by the end of their path (keys joined by "."), where a file must
# exist: tests/schema/files/, read from the tree's top as the test runs.
FILES = {
    "jwks.file": "tests/schema/files/jwks.json",
    "htpasswd.file": "tests/schema/files/htpasswd",
    "key.file": "tests/schema/files/apikey",
    "tls.cert": "tests/schema/files/cert.pem",
    "tls.key": "tests/schema/files/key.pem",
    "tls.root": "tests/schema/files/cert.pem",
    "backendTLS.cert": "tests/schema/files/cert.pem",
    "backendTLS.key": "tests/schema/files/key.pem",
    "backendTLS.root": "tests/schema/files/cert.pem",
    "signingKey.file": "tests/schema/files/key.pem",
    "clientSecret.file": "tests/schema/files/apikey",
    "schema.file": "tests/schema/files/openapi.json",
}
# Sections a minimal config must fill beyond what the schema requires
# (exactly-one-of rules the schema leaves to CEL or to prose), by kind and
# field: the alternatives in order; the first that holds no key EXCLUSIVE
# with the field's own at that level is merged in (the field's value
# stays).
# Keys of which a section takes one: an alternative holding one of them
# is not merged beside another.
EXCLUSIVE_SETS = [{"url", "backendRef"}, {"grpc", "http"}, {"inline", "remote"},
                  {"users", "secretRef"}, {"secretRef", "secretSelector"},
                  {"requests", "tokens"}, {"header", "cookie", "queryParameter", "expression"},
                  {"key", "secretRef", "passthrough", "credentials", "oauthTokenExchange"},
                  # oidc: discovery, or the three endpoints given by hand
                  {"discovery", "authorizationEndpoint"}, {"discovery", "tokenEndpoint"},
                  {"discovery", "jwks"}]


# Template keys a field excludes (a rule the schema leaves to CEL): by kind
# and the field's path prefix, the keys dropped from the config holding it.
EXCLUDES = {
    # Gateway API: caCertificateRefs and wellKnownCACertificates are exclusive
    ("BackendTLSPolicy", "validation.caCertificateRefs"):
        [["validation", "wellKnownCACertificates"]],  # in the spec
}


def exclusive(own, alt):
    return any(own in e and (set(alt) & (e - {own})) for e in EXCLUSIVE_SETS)


JWKS = '{"keys": [{"kty": "EC", "crv": "P-256", "x": "tk9LknqzaOEgy1Iwy0OYRyie2KAceJvT5CXlL3KFjVU", "y": "uyjWVRkaU8qU4-fvQBSXnXbaMCchcxu9X-C5hwvQJ7A", "kid": "walk", "alg": "ES256", "use": "sig"}]}'
FILL = {
    ("", "config.tracing"): [{"otlpEndpoint": "http://127.0.0.1:4317"}],
    ("AgentgatewayPolicy", "traffic.extAuth"): [
        {"backendRef": {"name": "svc", "port": 80}, "grpc": {}},
        {"backendRef": {"name": "svc", "port": 80}}],
    ("AgentgatewayPolicy", "traffic.rateLimit.global"): [
        {"backendRef": {"name": "svc", "port": 80}, "domain": "d",
         "descriptors": [{"entries": [{"name": "k", "expression": "'v'"}]}]}],
    ("AgentgatewayPolicy", "frontend.tracing"): [
        {"backendRef": {"name": "svc", "port": 80}}, {"url": "http://127.0.0.1:4317"}],
    ("HTTPRoute", "rules[].filters[].requestMirror"): [
        {"backendRef": {"name": "svc", "port": 80}}],
    ("HTTPRoute", "rules[].backendRefs[].filters[].requestMirror"): [
        {"backendRef": {"name": "svc", "port": 80}}],
    ("GRPCRoute", "rules[].filters[].requestMirror"): [
        {"backendRef": {"name": "svc", "port": 80}}],
    ("GRPCRoute", "rules[].backendRefs[].filters[].requestMirror"): [
        {"backendRef": {"name": "svc", "port": 80}}],
    ("HTTPRoute", "rules[].sessionPersistence"): [{"absoluteTimeout": "1h"}],
    ("GRPCRoute", "rules[].sessionPersistence"): [{"absoluteTimeout": "1h"}],
    ("GRPCRoute", "rules[].matches[].method"): [{"service": "s", "method": "m"}],
    ("Gateway", "listeners[].tls"): [{"certificateRefs": [{"name": "cert"}]}],
    ("ListenerSet", "listeners[].tls"): [{"certificateRefs": [{"name": "cert"}]}],
    ("AgentgatewayPolicy", "traffic.directResponse"): [{"status": 200}],
    ("AgentgatewayPolicy", "traffic.basicAuthentication"): [
        {"users": ["walk:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="]}, {"secretRef": {"name": "users"}}],
    ("AgentgatewayPolicy", "traffic.apiKeyAuthentication"): [
        {"secretRef": {"name": "keys"}}, {"secretSelector": {"matchLabels": {"a": "b"}}}],
    ("AgentgatewayPolicy", "traffic.rateLimit.local[]"): [{"requests": 10}, {"tokens": 10}],
    ("AgentgatewayPolicy", "traffic.jwtAuthentication"): [
        {"providers": [{"issuer": "https://issuer.example.com", "jwks": {"inline": JWKS}}]}],
    ("AgentgatewayPolicy", "traffic.jwtAuthentication.providers[]"): [
        {"issuer": "https://issuer.example.com"}],
    ("AgentgatewayPolicy", "traffic.jwtAuthentication.providers[].jwks"): [
        {"inline": JWKS}, {"remote": {"url": "https://issuer.example.com/jwks"}}],
    ("AgentgatewayPolicy", "backend.auth"): [{"key": "k"}],
    ("AgentgatewayPolicy", "backend.auth.oauthTokenExchange"): [
        {"url": "http://127.0.0.1:8000/token"}, {"backendRef": {"name": "svc", "port": 80}}],
    ("AgentgatewayPolicy", "backend.auth.oauthTokenExchange.actorToken"): [
        {"source": {"header": {"name": "x-actor"}}}],
    ("AgentgatewayPolicy", "backend.auth.oauthTokenExchange.clientAuth"): [
        {"method": "ClientSecretPost"}, {"secretRef": {"name": "idp"}}],
    ("AgentgatewayPolicy", "backend.auth.credentials[].location"): [
        {"header": {"name": "X-Key"}}, {"queryParameter": {"name": "key"}}],
    ("", "binds[].listeners[].policies.oidc"): [
        {"authorizationEndpoint": "https://issuer.example.com/authorize",
         "tokenEndpoint": "https://issuer.example.com/token",
         "jwks": {"file": "tests/schema/files/jwks.json"}}, {}],
    ("", "binds[].listeners[].routes[].policies.mcpAuthentication"): [
        {"jwks": {"file": "tests/schema/files/jwks.json"}}],
    ("", "binds[].listeners[].tls"): [
        {"cert": "tests/schema/files/cert.pem", "key": "tests/schema/files/key.pem"}],
    ("", "binds[].listeners[].routes[].policies.backendTLS"): [
        {"cert": "tests/schema/files/cert.pem", "key": "tests/schema/files/key.pem"}],
}
# Samples by the end of their path (keys joined by "."), over the rest.
PATH_SAMPLES = {
    "backendRef.group": "",
    "sse.host": "127.0.0.1",
    "mcp.host": "127.0.0.1",
    "openapi.host": "127.0.0.1",
    "routes.matches.headers.value": {"exact": "v"},
    "routes.matches.query.value": {"exact": "v"},
    "matchExpressions.operator": "In",
    "matchExpressions.values": ["a"],
    "credentials.location": {"header": {"name": "X-Key"}},
    "oidc.redirectURI": "https://gateway.example.com/oauth/callback",
    "cache.key": ["'x'"],
    # backendAuth oauthTokenExchange's client credentials
    "backendAuth.oauthTokenExchange.clientAuth.method": "clientSecretBasic",
    # top-level policies: a name, a target that names the template's
    # gateway, listener and route, and one policy of either phase
    "policies.name": {"name": "p", "namespace": "default"},
    "policies.policy": {"cors": {"allowOrigins": ["https://a.example"]}},
    "policies.target.gateway.gatewayName": "default",
    "policies.target.gateway.gatewayNamespace": "default",
    "policies.target.gateway.listenerName": "l",
    "policies.target.route.name": "r",
    # a `service:` reference: the templates' service
    "backends.service.name": "default/svc.example",
    "tracing.service.name": "default/svc.example",
}
DURATION_HINTS = ("timeout", "Timeout", "duration", "Duration", "interval", "Interval",
                  "Deadline", "Age", "idle", "Idle", "lifetime", "backoff", "ttl", "TTL",
                  "time", "Time", "period", "Period")


def git_show(gitdir, rev, path):
    return subprocess.run(["git", "--git-dir", gitdir, "show", f"{rev}:{path}"],
                          check=True, capture_output=True, text=True).stdout


class Walker:
    """Fields of one schema, with minimal instances of the objects on the way."""

    def __init__(self, defs):
        self.defs = defs

    def resolve(self, s):
        while isinstance(s, dict) and "$ref" in s:
            ref = s["$ref"].split("/")[-1]
            extra = {k: v for k, v in s.items() if k not in ("$ref", "description", "default")}
            s = dict(self.defs[ref], **extra) if extra else self.defs[ref]
        return s if isinstance(s, dict) else {}

    def is_cel(self, s):
        if "Expression" in self.refs(s) and "OrderedStringMap_Expression" not in self.refs(s):
            return True
        d = s.get("description", "") if isinstance(s, dict) else ""
        t = self.types(self.resolve(s)) if isinstance(s, dict) else []
        return t == ["string"] and ("CEL" in d)

    def refname(self, s):
        return s["$ref"].split("/")[-1] if isinstance(s, dict) and "$ref" in s else None

    def variants(self, s):
        """The non-null alternatives of s (itself when it has none)."""
        s = self.resolve(s)
        for key in ("anyOf", "oneOf"):
            if key in s:
                out = []
                base = {k: v for k, v in s.items() if k not in ("anyOf", "oneOf")}
                for v in s[key]:
                    r = self.resolve(v)
                    if r.get("type") == "null":
                        continue
                    merged = dict(base)
                    for k, val in r.items():
                        if k == "properties":
                            merged["properties"] = dict(base.get("properties", {}), **val)
                        elif k == "required":
                            merged["required"] = list(base.get("required", [])) + list(val)
                        else:
                            merged[k] = val
                    out.extend(self.variants(merged) if ("anyOf" in r or "oneOf" in r) else [merged])
                return out or [base]
        if "allOf" in s:
            merged = {k: v for k, v in s.items() if k != "allOf"}
            for v in s["allOf"]:
                r = self.resolve(v)
                merged.setdefault("properties", {}).update(r.get("properties", {}))
                merged["required"] = merged.get("required", []) + r.get("required", [])
            return [merged]
        return [s]

    def types(self, s):
        t = s.get("type")
        if isinstance(t, list):
            return [x for x in t if x != "null"]
        if t:
            return [t]
        if "properties" in s or "additionalProperties" in s:
            return ["object"]
        if "enum" in s:
            return ["string"]
        return []

    def sample(self, key, s, depth=0):
        """A minimal value for key with schema s."""
        if key in SAMPLES and not isinstance(SAMPLES[key], dict):
            return copy.deepcopy(SAMPLES[key])
        if self.is_cel(s):
            return "'x'"
        if depth > 8:
            return {}
        vs = self.variants(s)
        s = self.pick(vs)
        if "enum" in s:
            vals = [v for v in s["enum"] if v is not None]
            return vals[0] if vals else None
        if "const" in s:
            return s["const"]
        t = self.types(s)
        if "default" in s and s["default"] not in (None, [], {}) and not t == ["object"]:
            return s["default"]
        if not t and "properties" not in s:
            return "x"
        t = t[0] if t else "object"
        if t == "object":
            out = {}
            for r in s.get("required", []):
                ps = s.get("properties", {}).get(r, {})
                out[r] = self.sample(r, ps, depth + 1)
            return out
        if t == "array":
            n = max(1, s.get("minItems", 1))
            return [self.sample(key, s.get("items", {}), depth + 1) for _ in range(min(n, 1))]
        if t in ("integer", "number"):
            lo = s.get("minimum", 1)
            return max(int(lo), 1) if t == "integer" else 1
        if t == "boolean":
            return True
        if s.get("format") == "duration" or any(h in key for h in DURATION_HINTS):
            return "1s"
        if "pattern" in s and s["pattern"].startswith("^([0-9]{1,5}(h|m|s|ms)){1,4}$"):
            return "1s"
        return "x"

    @staticmethod
    def pick(vs):
        """The alternative a sample takes: the one naming a host (an
        address splicegate routes to), else the first."""
        for v in vs:
            if "host" in v.get("properties", {}) and "host" in v.get("required", []):
                return v
        return vs[0]

    def alt(self, key, s, v):
        """Another value than v for a required scalar, or None."""
        vs = self.variants(s)
        s = vs[0]
        if "enum" in s:
            others = [x for x in s["enum"] if x not in (None, v)]
            return others[0] if others else None
        if isinstance(v, bool):
            return not v
        if isinstance(v, int):
            return v + 1 if s.get("maximum") is None or v + 1 <= s["maximum"] else v - 1
        if isinstance(v, str):
            if v == "1s":
                return "2s"
            if key in SAMPLES:
                return None
            return v + "y"
        return None

    def fields(self, root):
        """(steps, schema, required) of each field under root, breadth
        first: a $def's fields are listed once, at the shallowest place
        that reaches it (the loader reads a def with one parser wherever
        it is); a key whose value is a def seen already is listed at
        each place, and not entered again."""
        seen = set()
        queue = [(root, [])]
        yield from self.walk(queue, seen)

    def walk(self, queue, seen):
        while queue:
            s, steps = queue.pop(0)
            for v in self.variants(s):
                t = self.types(v)
                if "array" in t and "items" in v:  # entered with its list
                    queue.append((v["items"], steps + [("idx",)]))
                if "object" not in t:
                    continue
                req = set(v.get("required", []))
                for k, ps in v.get("properties", {}).items():
                    st = steps + [("key", k)]
                    yield st, ps, k in req
                    if self.enter(ps, seen):
                        queue.append((ps, st))
                ap = v.get("additionalProperties")
                if isinstance(ap, dict) and ap and self.enter(ap, seen):
                    queue.append((ap, steps + [("map",)]))

    def refs(self, s):
        """The $defs that s names, itself or as one of its alternatives."""
        if not isinstance(s, dict):
            return set()
        out = {self.refname(s)} if "$ref" in s else set()
        for key in ("anyOf", "oneOf", "allOf"):
            for v in s.get(key, []):
                out |= self.refs(v)
        if "items" in s:
            out |= self.refs(s["items"])
        return out

    def enter(self, s, seen):
        """Whether to walk s: it names no def already walked (marked now)."""
        names = self.refs(s)
        if names & seen:
            return False
        seen |= names
        return True


def schema_path(steps):
    out = ""
    for st in steps:
        if st[0] == "key":
            out += ("." if out else "") + st[1]
        elif st[0] == "idx":
            out += "[]"
        else:
            out += ".*"
    return out


def place(w, root_schema, doc, steps, value):
    """Set the field at steps in doc (a template), making what is missing
    on the way minimal; returns False where the template's shape differs."""
    cur, s = doc, root_schema
    for i, st in enumerate(steps[:-1]):
        nxt = steps[i + 1]
        vs = w.variants(s)
        if st[0] == "key":
            k = st[1]
            holding = [v for v in vs if k in v.get("properties", {})]
            v = Walker.pick(holding) if holding else None
            if v is None or not isinstance(cur, dict):
                return False
            ps = v["properties"][k]
            for other in [o for o in cur if o not in v.get("properties", {})]:
                del cur[other]  # another alternative's keys (a oneOf)
            for r in v.get("required", []):
                if r not in cur and r != k:
                    cur[r] = w.sample(r, v["properties"].get(r, {}))
            discriminate(v, cur, k)
            if k not in cur or cur[k] is None:
                cur[k] = sub_container(w, ps, nxt, k)
            cur, s = cur[k], ps
        elif st[0] == "idx":
            v = next((v for v in vs if "items" in v), None)
            if v is None or not isinstance(cur, list):
                return False
            if not cur:
                cur.append(sub_container(w, v["items"], nxt, None))
            cur, s = cur[0], v["items"]
        else:
            v = next((v for v in vs if isinstance(v.get("additionalProperties"), dict)), None)
            if v is None or not isinstance(cur, dict):
                return False
            if "x" not in cur:
                cur["x"] = sub_container(w, v["additionalProperties"], nxt, None)
            cur, s = cur["x"], v["additionalProperties"]
    last = steps[-1]
    if last[0] != "key" or not isinstance(cur, dict):
        return False
    # the variant that has the key, with its required siblings
    holding = [v for v in w.variants(s) if last[1] in v.get("properties", {})]
    if not holding:
        return False
    v = Walker.pick(holding)
    for k in [k for k in cur if k not in v.get("properties", {})]:
        del cur[k]  # another variant's keys (a oneOf)
    for r in v.get("required", []):
        if r not in cur and r != last[1]:
            cur[r] = w.sample(r, v["properties"].get(r, {}))
    discriminate(v, cur, last[1])
    cur[last[1]] = value
    if last[1] == "type" and isinstance(value, str):
        member = value[:1].lower() + value[1:]
        ms = v.get("properties", {}).get(member)
        if ms is not None and member not in cur:
            cur[member] = w.sample(member, ms)
    return True


def discriminate(v, cur, key):
    """A union's `type` set to the member key names (Gateway API's
    {type: RequestHeaderModifier, requestHeaderModifier: ...},
    {type: Cookie, cookieConfig: ...})."""
    t = v.get("properties", {}).get("type", {})
    for e in t.get("enum", []) if isinstance(t, dict) else []:
        if isinstance(e, str) and e and key.lower().startswith(e.lower()):
            cur["type"] = e
            return


def sub_container(w, s, nxt, key):
    """A minimal value of schema s, shaped for the next step."""
    vs = w.variants(s)
    if nxt[0] == "idx":
        return []
    if nxt[0] == "key":
        holding = [v for v in vs if nxt[1] in v.get("properties", {})]
        v = Walker.pick(holding) if holding else vs[0]
        out = {}
        for r in v.get("required", []):
            if r != nxt[1]:
                out[r] = w.sample(r, v["properties"].get(r, {}))
        return out
    return {}


def remove(doc, steps):
    cur = doc
    for st in steps[:-1]:
        cur = cur[0] if st[0] == "idx" else cur[st[1] if st[0] == "key" else "x"]
    cur.pop(steps[-1][1], None)


EMITTED = set()


def fill(kind, doc, steps):
    """FILL's sections on the field's way."""
    for i in range(1, len(steps)):
        alts = FILL.get((kind, schema_path(steps[:i])))
        if not alts:
            continue
        here = lookup(doc, real_steps(steps[:i]))
        own = steps[i][1] if steps[i][0] == "key" else None
        alt = next((a for a in alts if not exclusive(own, a)), None)
        if isinstance(here, dict) and alt:
            merge(here, alt)


def merge(into, extra):
    """extra's keys added to into, inside maps too; into's values stay."""
    for k, v in extra.items():
        if any(exclusive(e, {k}) for e in into):
            continue  # into has another of k's one-of
        if k not in into:
            into[k] = copy.deepcopy(v)
        elif isinstance(into[k], dict) and isinstance(v, dict):
            merge(into[k], v)
        elif isinstance(into[k], list) and isinstance(v, list):
            for a, b in zip(into[k], v):
                if isinstance(a, dict) and isinstance(b, dict):
                    merge(a, b)


def put_files(doc, at):
    """FILES' paths where the sample says "x", and PATH_SAMPLES' values."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            dotted = ".".join(at + (k,))
            if v == "x" and any(dotted.endswith(sfx) for sfx in FILES):
                doc[k] = next(f for sfx, f in FILES.items() if dotted.endswith(sfx))
            elif any(dotted.endswith(sfx) for sfx in PATH_SAMPLES) and not (
                    isinstance(v, (dict, list)) and v):  # a field placed inside stays
                doc[k] = copy.deepcopy(next(f for sfx, f in PATH_SAMPLES.items() if dotted.endswith(sfx)))
            else:
                put_files(v, at + (k,))
    elif isinstance(doc, list):
        for v in doc:
            put_files(v, at)


def edits(template, doc, at=()):
    """[[steps, value]] setting, and [steps] deleting, what turns template
    into doc (steps: keys and list indexes)."""
    out = []
    if isinstance(template, dict) and isinstance(doc, dict):
        for k in template:
            if k not in doc:
                out.append([list(at + (k,))])
        for k, v in doc.items():
            if k in template:
                out += edits(template[k], v, at + (k,))
            else:
                out.append([list(at + (k,)), v])
    elif (isinstance(template, list) and isinstance(doc, list) and len(template) == len(doc)
          and all(isinstance(x, dict) for x in template + doc)):
        for i, (t, d) in enumerate(zip(template, doc)):
            out += edits(t, d, at + (i,))
    elif template != doc:
        out.append([list(at), doc])
    return out


def lookup(doc, steps):
    for st in steps:
        if isinstance(st, int):
            doc = doc[st] if isinstance(doc, list) and len(doc) > st else None
        else:
            doc = doc.get(st) if isinstance(doc, dict) else None
        if doc is None:
            return None
    return doc


def real_steps(steps):
    return [st[1] if st[0] == "key" else (0 if st[0] == "idx" else "x") for st in steps]


def emit(out, src, kind, w, root, steps, ps, required, template, tname):
    key = steps[-1][1] if steps[-1][0] == "key" else None
    if key is None:
        return
    value = w.sample(key, ps)
    doc = copy.deepcopy(template)
    there = lookup(template, real_steps(steps))
    if there is not None:
        value = there  # the template's own: it loads
    if not place(w, root, doc, steps, value):
        return
    if (kind, schema_path(steps)) in EMITTED:
        return
    EMITTED.add((kind, schema_path(steps)))
    fill(kind, doc, steps)
    for (k, prefix), drops in EXCLUDES.items():
        if k == kind and schema_path(steps).startswith(prefix):
            for d in drops:
                (lookup(doc, d[:-1]) or {}).pop(d[-1], None)
    put_files(doc, ())
    if "filters[].requestRedirect" in schema_path(steps) and "backendRefs[]" not in schema_path(steps):
        doc.get("rules", [{}])[0].pop("backendRefs", None)  # a redirect has none
    if tname == "http" and ".listeners[].tls" in schema_path(steps):
        doc["binds"][0]["listeners"][0]["protocol"] = "HTTPS"
    if kind in ("Gateway", "ListenerSet") and schema_path(steps).startswith("listeners[].tls"):
        doc["listeners"][0]["protocol"] = "HTTPS"
    line = {"kind": kind, "field": schema_path(steps), "template": tname,
            "edits": edits(template, doc), "steps": real_steps(steps)}
    if required:
        line["required"] = True
    other = w.alt(key, ps, value) if not isinstance(value, (dict, list)) else None
    if other is not None:
        line["alt"] = other
    out.append(line)


# ---- the standalone file ----------------------------------------------------

ROUTE = {"name": "r", "backends": [{"host": "127.0.0.1:8000"}]}
# A service with one workload, for `service:` references to name.
SERVICES = [{"name": "svc", "namespace": "default", "hostname": "svc.example", "vips": [],
             "ports": {"8080": 8000}}]
WORKLOADS = [{"uid": "w", "namespace": "default", "workloadIps": ["127.0.0.1"],
              "services": {"default/svc.example": {}}}]
STANDALONE_HTTP = {"services": SERVICES, "workloads": WORKLOADS, "binds": [{"port": 8080, "listeners": [
    {"name": "l", "protocol": "HTTP", "routes": [ROUTE]}]}]}
STANDALONE_TCP = {"services": SERVICES, "workloads": WORKLOADS, "binds": [{"port": 8080, "listeners": [
    {"name": "l", "protocol": "TCP", "tcpRoutes": [{"name": "t", "backends": [{"host": "127.0.0.1:8000"}]}]}]}]}
GATEWAYS = {"gateways": {"x": {"port": 8080}}, "routes": [dict(ROUTE, gateways=["x"])]}


GATEWAYS_TCP = {"gateways": {"x": {"port": 8080, "protocol": "TCP"}},
                "tcpRoutes": [{"name": "t", "gateways": ["x"],
                               "backends": [{"host": "127.0.0.1:8000"}]}]}
SOURCES = {"": "schema/config.json"}
TEMPLATES = {"http": STANDALONE_HTTP, "tcp": STANDALONE_TCP, "gateways": GATEWAYS,
             "gateways-tcp": GATEWAYS_TCP}


def standalone_template(field):
    if ".tcpRoutes" in field:
        return "tcp"
    if field.startswith("tcpRoutes"):
        return "gateways-tcp"
    if field.startswith(("gateways", "routes")):
        return "gateways"
    return "http"


# The top-level keys in the order they are walked: a def reached from
# several is listed under the first (binds: the loader's own form).
TOP_ORDER = ["binds", "frontendPolicies", "config", "gateways", "routes", "tcpRoutes", "mcp"]


def standalone_fields(w, schema):
    seen = set()
    props = schema["properties"]
    keys = TOP_ORDER + [k for k in props if k not in TOP_ORDER]
    for k in keys:
        yield [("key", k)], props[k], k in schema.get("required", [])
    for k in keys:
        if w.enter(props[k], seen):
            yield from w.walk([(props[k], [("key", k)])], seen)


def walk_standalone(out, text):
    schema = json.loads(text)
    w = Walker(schema.get("$defs", {}))
    for steps, ps, required in standalone_fields(w, schema):
        field = schema_path(steps)
        t = standalone_template(field)
        emit(out, "schema/config.json", "", w, schema, steps, ps, required, TEMPLATES[t], t)


# ---- resources ---------------------------------------------------------------

GW = "gateway.networking.k8s.io"
# The version read where the CRD's stored one is not splicegate's.
API_VERSION = {"TCPRoute": "v1alpha2"}
PREAMBLE = [
    {"apiVersion": f"{GW}/v1", "kind": "Gateway", "metadata": {"name": "gw"},
     "spec": {"gatewayClassName": "agentgateway", "listeners": [
         {"name": "http", "port": 8080, "protocol": "HTTP"},
         {"name": "tcp", "port": 8081, "protocol": "TCP"},
         {"name": "tls", "port": 8443, "protocol": "TLS", "tls": {"mode": "Passthrough"}}]}},
    {"apiVersion": f"{GW}/v1", "kind": "Gateway", "metadata": {"name": "gwls"},
     "spec": {"gatewayClassName": "agentgateway", "allowedListeners": {"namespaces": {"from": "Same"}},
              "listeners": [{"name": "http", "port": 8090, "protocol": "HTTP"}]}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
     "spec": {"clusterIP": "127.0.0.1", "ports": [{"name": "http", "port": 80, "targetPort": 8000}]}},
]
SPECS = {
    "Gateway": {"gatewayClassName": "agentgateway",
                "listeners": [{"name": "h", "port": 9080, "protocol": "HTTP"}]},
    "GatewayClass": {"controllerName": "agentgateway.dev/agentgateway"},
    "HTTPRoute": {"parentRefs": [{"name": "gw", "sectionName": "http"}],
                  "rules": [{"backendRefs": [{"name": "svc", "port": 80}]}]},
    "GRPCRoute": {"parentRefs": [{"name": "gw", "sectionName": "http"}],
                  "rules": [{"backendRefs": [{"name": "svc", "port": 80}]}]},
    "TCPRoute": {"parentRefs": [{"name": "gw", "sectionName": "tcp"}],
                 "rules": [{"backendRefs": [{"name": "svc", "port": 80}]}]},
    "TLSRoute": {"parentRefs": [{"name": "gw", "sectionName": "tls"}], "hostnames": ["example.com"],
                 "rules": [{"backendRefs": [{"name": "svc", "port": 80}]}]},
    "UDPRoute": {"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "svc", "port": 80}]}]},
    "ReferenceGrant": {"from": [{"group": GW, "kind": "HTTPRoute", "namespace": "other"}],
                       "to": [{"group": "", "kind": "Service"}]},
    "BackendTLSPolicy": {"targetRefs": [{"group": "", "kind": "Service", "name": "svc"}],
                         "validation": {"hostname": "example.com",
                                        "wellKnownCACertificates": "System"}},
    "ListenerSet": {"parentRef": {"name": "gwls"},
                    "listeners": [{"name": "h", "port": 9081, "protocol": "HTTP"}]},
    "AgentgatewayPolicy": {"targetRefs": [{"group": GW, "kind": "Gateway", "name": "gw"}],
                           "traffic": {"timeouts": {"request": "9s"}}},
    "AgentgatewayBackend": {"static": {"host": "127.0.0.1", "port": 8000}},
}


def crd_versions(text):
    crd = next(d for d in yaml.safe_load_all(text) if d and d.get("kind") == "CustomResourceDefinition")
    kind = crd["spec"]["names"]["kind"]
    group = crd["spec"]["group"]
    vs = crd["spec"]["versions"]
    v = next((v for v in vs if v["name"] == API_VERSION.get(kind)), None) or \
        next((v for v in vs if v.get("storage")), vs[0])
    return kind, f"{group}/{v['name']}", v["schema"]["openAPIV3Schema"]


def walk_crd(out, src, text):
    kind, api, schema = crd_versions(text)
    spec = schema.get("properties", {}).get("spec")
    if not spec:
        return
    w = Walker({})
    template = {"apiVersion": api, "kind": kind, "metadata": {"name": "t"},
                "spec": SPECS.get(kind, {})}
    TEMPLATES[kind] = template
    SOURCES[kind] = src
    # an AgentgatewayPolicy's backend settings target a Service
    backend = None
    if kind == "AgentgatewayPolicy":
        backend = dict(copy.deepcopy(template), spec={
            "targetRefs": [{"group": "", "kind": "Service", "name": "svc"}],
            "backend": {"tcp": {"connectTimeout": "9s"}}})
        TEMPLATES[kind + "-backend"] = backend
        SOURCES[kind + "-backend"] = src
    for steps, ps, required in w.fields(spec):
        if backend and schema_path(steps).startswith("backend."):
            emit(out, src, kind, w, spec, steps, ps, required, backend["spec"],
                 kind + "-backend")
        else:
            emit(out, src, kind, w, spec, steps, ps, required, template["spec"], kind)
    for line in out:
        if line["kind"] == kind:  # the edits are the spec's: make them the resource's
            line["edits"] = [[["spec"] + e[0]] + e[1:] for e in line["edits"]]
            if line["steps"][:1] != ["spec"]:
                line["steps"] = ["spec"] + line["steps"]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    agw, gwapi = sys.argv[1], sys.argv[2]
    out = []
    walk_standalone(out, git_show(agw, AGW_REV, "schema/config.json"))
    for f in AGW_CRDS:
        walk_crd(out, f, git_show(agw, AGW_REV, f))
    for k in GWAPI_KINDS:
        walk_crd(out, f"config/crd/experimental/{GW}_{k}.yaml",
                 git_show(gwapi, GWAPI_REV, f"config/crd/experimental/{GW}_{k}.yaml"))
    for k in GWAPI_X:
        f = f"config/crd/experimental/gateway.networking.x-k8s.io_{k}.yaml"
        walk_crd(out, f, git_show(gwapi, GWAPI_REV, f))
    print(json.dumps({"agentgateway": AGW_REV, "gateway-api": GWAPI_REV, "fields": len(out),
                      "sources": SOURCES, "preamble": PREAMBLE,
                      "templates": TEMPLATES}, separators=(",", ":")))
    for o in out:
        print(json.dumps(o, separators=(",", ":")))


if __name__ == "__main__":
    main()
