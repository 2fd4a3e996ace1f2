# `splicegate get binds|listeners|routes|backends` for a standalone config
# (which has no Kubernetes resources to list): the parts of the config in
# force as config_dump has them, as tables, -o json (two-space indents), a
# NAME by key or its last part, kubectl's NotFound for a missing one, and
# -o wide refused for them.
. "$(dirname "$0")/lib.sh"

start_backend sa
cat >"$WORK/cfg.yaml" <<YAML
binds:
- port: 8080
  listeners:
  - name: web
    hostname: a.example
    routes:
    - name: api
      hostnames: [a.example]
      matches: [{path: {pathPrefix: /api}}]
      backends: [{host: 127.0.0.1:$BACKEND_PORT}]
    - backends: [{host: 127.0.0.1:$BACKEND_PORT, weight: 2}, {host: 127.0.0.2:$BACKEND_PORT}]
YAML
start_engine copy -c "$WORK/cfg.yaml" || finish
P=$BACKEND_PORT
check "get binds" "$("$SG_BIN" get binds)" "NAME        ADDRESS        PROTOCOL   LISTENERS
bind/8080   0.0.0.0:8080   http       1"
check "get listeners" "$("$SG_BIN" get listeners)" \
	"NAME            BIND        GATEWAY           HOSTNAME    PROTOCOL   ROUTES
bind/8080/web   bind/8080   default/default   a.example   HTTP       2"
check "get routes: hostnames and backends with their weights" "$("$SG_BIN" get routes | sed "s/:$P/:P/g")" \
	"NAME                   LISTENER        HOSTNAMES       BACKENDS
bind/8080/web/api      bind/8080/web   [\"a.example\"]   127.0.0.1:P
bind/8080/web/route1   bind/8080/web   *               127.0.0.1:P(weight 2),127.0.0.2:P"
check "get backends" "$("$SG_BIN" get backends | sed "s/:$P/:P/g")" \
	"NAME                            KIND   TARGET
bind/8080/web/api/backend0      host   127.0.0.1:P
bind/8080/web/route1/backend0   host   127.0.0.1:P
bind/8080/web/route1/backend1   host   127.0.0.2:P"
check "get route api -o json: its config_dump entry, two-space indents" \
	"$("$SG_BIN" get route api -o json | head -4)" '[
  {
    "key": "bind/8080/web/api",
    "name": "api",'
"$SG_BIN" get route nope >"$WORK/out" 2>&1
check "get route nope: NotFound, exit 1" "$? $(cat "$WORK/out")" \
	'1 Error from server (NotFound): routes "nope" not found'
"$SG_BIN" get routes -o wide >"$WORK/out" 2>&1
check "get routes -o wide: refused, exit 1" "$? $(cat "$WORK/out")" \
	"1 error: routes: a table, -o json or -o yaml (wide and name are for Kubernetes kinds)"
finish
