# backendtlspolicy-conflict-resolution.go: of two BackendTLSPolicies on the
# same target (a Service, or the same port of it by sectionName) the first
# is accepted and in force, the second Accepted False Conflicted; one with
# a sectionName and one without are different targets, both accepted.
{
	route backendtlspolicy-conflict-resolution same-namespace abc.example.com
	route_rule /backendtlspolicy-conflicted-without-section-name backendtlspolicy-conflicted-without-section-name-test
	route_rule /backendtlspolicy-conflicted-with-section-name backendtlspolicy-conflicted-with-section-name-test
	route_rule /backendtlspolicy-not-conflicted-with-section-name backendtlspolicy-not-conflicted-test
	route_rule /backendtlspolicy-not-conflicted-without-section-name backendtlspolicy-not-conflicted-test 8443
	tls_svc backendtlspolicy-conflicted-without-section-name-test https
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: backendtlspolicy-conflicted-with-section-name-test, namespace: $INFRA}
spec:
  clusterIP: 127.0.0.1
  ports:
  - {name: https-1, port: 443, targetPort: ${PORT[tls-backend]}}
  - {name: https-2, port: 8443, targetPort: ${PORT[tls-backend]}}
---
apiVersion: v1
kind: Service
metadata: {name: backendtlspolicy-not-conflicted-test, namespace: $INFRA}
spec:
  clusterIP: 127.0.0.1
  ports:
  - {name: https-1, port: 443, targetPort: ${PORT[tls-backend]}}
  - {name: https-2, port: 8443, targetPort: ${PORT[tls-backend]}}
YAML
	btls conflicted-without-section-name-1 backendtlspolicy-conflicted-without-section-name-test other.example.com
	btls conflicted-without-section-name-2 backendtlspolicy-conflicted-without-section-name-test abc.example.com
	btls conflicted-with-section-name-1 backendtlspolicy-conflicted-with-section-name-test:https-1 other.example.com
	btls conflicted-with-section-name-2 backendtlspolicy-conflicted-with-section-name-test:https-1 abc.example.com
	btls not-conflicted-with-section-name backendtlspolicy-not-conflicted-test:https-1 other.example.com
	btls not-conflicted-without-section-name backendtlspolicy-not-conflicted-test abc.example.com
} | apply
APPLY_RC=$?
G=$INFRA/same-namespace
accepted() { applied && ancestor BackendTLSPolicy "$INFRA/$1" $G Accepted True Accepted; }
conflicted() { applied && ancestor BackendTLSPolicy "$INFRA/$1" $G Accepted False Conflicted; }
served() { applied && http 8080 abc.example.com "$1" 200 tls-backend; }
A="Conflicting BackendTLSPolicies targeting the same Service without a section name"
B="Conflicting BackendTLSPolicies targeting the same Service with the same section name"
C="BackendTLSPolicies targeting the same Service with and without a section name"
tcase "$A/First BackendTLSPolicy should be accepted" accepted conflicted-without-section-name-1
tcase "$A/Second BackendTLSPolicy should have a false Accepted condition with reason Conflicted " conflicted conflicted-without-section-name-2
tcase "$A/HTTP request sent to Service using the accepted BackendTLSPolicy should succeed" served /backendtlspolicy-conflicted-without-section-name
tcase "$B/First BackendTLSPolicy should be accepted" accepted conflicted-with-section-name-1
tcase "$B/Second BackendTLSPolicy should have a false Accepted condition with reason Conflicted " conflicted conflicted-with-section-name-2
tcase "$B/HTTP request sent to Service using the accepted BackendTLSPolicy should succeed" served /backendtlspolicy-conflicted-with-section-name
tcase "$C/BackendTLSPolicy with section name should be accepted" accepted not-conflicted-with-section-name
tcase "$C/BackendTLSPolicy without section name should be accepted" accepted not-conflicted-without-section-name
tcase "$C/HTTP request sent to Service using the BackendTLSPolicy with section name should succeed" served /backendtlspolicy-not-conflicted-with-section-name
tcase "$C/HTTP request sent to Service using the BackendTLSPolicy without section name should succeed" served /backendtlspolicy-not-conflicted-without-section-name
