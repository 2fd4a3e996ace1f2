// A real OpenID provider for the oidc scenarios: npm's oidc-provider
// (installed under $SG_NPM by tests/e2e/run.sh, pinned in
// tests/npm-packages.txt), with one confidential client and one user, and
// a login that needs no form, so that a scenario drives the whole
// authorization-code flow with curl through the gateway:
//
//   node oidc_provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI [ISSUER]
//
// Listens on 127.0.0.1:PORT over plain HTTP; the issuer defaults to
// http://127.0.0.1:PORT (no trailing slash). ISSUER changes only the `iss`
// (discovery's issuer, tokens' iss): the endpoints stay at the root of
// whatever Host the request named (/.well-known/openid-configuration, /auth,
// /token, /jwks, /me), so an ISSUER with a path or another host is a way to
// test an issuer mismatch, not to mount the provider elsewhere. Prints exactly one line,
// `ready ISSUER`, on stdout once listening; everything else (oidc-provider's
// notices included) goes to stderr. Ends cleanly on SIGTERM or SIGINT.
//
// The client: client_secret_basic, grant types authorization_code and
// refresh_token, response type code, redirect_uris [REDIRECT_URI]; PKCE
// (S256, the only method oidc-provider knows) is required. The user: GET
// /interaction/UID logs in account "alice" straight away (prompt login) and
// grants what the client asked for (prompt consent); both answer 303 back to
// the authorization endpoint (/auth/UID). A token request must carry
// Basic credentials (oidc-provider itself would take client_secret_post
// too); the id and secret in them are form-urlencoded before base64
// (RFC 6749 2.3.1: a raw "+" in a secret reads as a space). ID tokens are
// RS256 with a key made at startup (kid "sg-e2e-<random>", published at
// /jwks) and carry sub, email, email_verified (scope email), nonce, aud,
// iss, iat, exp.
// OIDC_ID_TOKEN_TTL (seconds, default 3600) sets the id_token's lifetime.
import * as crypto from "node:crypto";
import * as http from "node:http";

// oidc-provider prints its notices with console.info (stdout); keep stdout
// for the ready line alone.
console.info = (...a) => console.error(...a);
console.log = (...a) => console.error(...a);

const [portArg, clientId, clientSecret, redirectUri, issuerArg] = process.argv.slice(2);
if (!portArg || !clientId || !clientSecret || !redirectUri) {
	console.error("usage: node oidc_provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI [ISSUER]");
	process.exit(2);
}
const port = Number(portArg);
const issuer = issuerArg || `http://127.0.0.1:${port}`;
const idTokenTTL = Number(process.env.OIDC_ID_TOKEN_TTL || 3600);

// The same place mcp-client.mjs takes the MCP SDK from.
const npm = process.env.SG_NPM;
if (!npm) {
	console.error("oidc_provider: SG_NPM unset (tests/e2e/run.sh sets it)");
	process.exit(2);
}
const { default: Provider } = await import(`${npm}/node_modules/oidc-provider/lib/index.js`);

const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = {
	...privateKey.export({ format: "jwk" }),
	kid: `sg-e2e-${crypto.randomBytes(6).toString("hex")}`,
	alg: "RS256",
	use: "sig",
};

const ACCOUNTS = {
	alice: { sub: "alice", email: "alice@example.com", email_verified: true },
};

const provider = new Provider(issuer, {
	clients: [
		{
			client_id: clientId,
			client_secret: clientSecret,
			redirect_uris: [redirectUri],
			grant_types: ["authorization_code", "refresh_token"],
			response_types: ["code"],
			token_endpoint_auth_method: "client_secret_basic",
			id_token_signed_response_alg: "RS256",
		},
	],
	jwks: { keys: [jwk] },
	cookies: { keys: [crypto.randomBytes(32).toString("base64url")] },
	pkce: { required: () => true },
	claims: {
		openid: ["sub"],
		email: ["email", "email_verified"],
		profile: ["name"],
	},
	// Scope claims in the id_token too, not only at userinfo.
	conformIdTokenClaims: false,
	features: {
		devInteractions: { enabled: false },
	},
	interactions: {
		url: (ctx, interaction) => `/interaction/${interaction.uid}`,
	},
	async findAccount(ctx, id) {
		return {
			accountId: id,
			async claims() {
				return ACCOUNTS[id] ? { ...ACCOUNTS[id] } : { sub: id };
			},
		};
	},
	clientBasedCORS: () => true,
	ttl: {
		AccessToken: 3600,
		AuthorizationCode: 60,
		IdToken: idTokenTTL,
		RefreshToken: 14 * 24 * 3600,
		Interaction: 3600,
		Session: 14 * 24 * 3600,
		Grant: 14 * 24 * 3600,
	},
	renderError(ctx, out, error) {
		ctx.type = "json";
		ctx.body = out;
	},
});

for (const ev of [
	"server_error",
	"authorization.error",
	"grant.error",
	"userinfo.error",
	"jwks.error",
	"discovery.error",
	"end_session.error",
]) {
	provider.on(ev, (ctx, err) => console.error(`oidc_provider: ${ev}: ${err?.message ?? err}${err?.error_description ? ` (${err.error_description})` : ""}`));
}

async function interaction(req, res) {
	const details = await provider.interactionDetails(req, res);
	const { prompt, params, session, grantId } = details;
	if (prompt.name === "login") {
		return provider.interactionFinished(req, res, { login: { accountId: "alice" } }, { mergeWithLastSubmission: false });
	}
	if (prompt.name === "consent") {
		const grant = grantId
			? await provider.Grant.find(grantId)
			: new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
		const d = prompt.details;
		if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(" "));
		if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
		if (d.missingResourceScopes) {
			for (const [indicator, scope] of Object.entries(d.missingResourceScopes)) {
				grant.addResourceScope(indicator, scope.join(" "));
			}
		}
		const result = { consent: { grantId: await grant.save() } };
		return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
	}
	res.statusCode = 501;
	res.end(`prompt ${prompt.name} not handled\n`);
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
	// oidc-provider takes client_secret_post from any client with a
	// secret; this client is registered client_secret_basic alone, so a
	// token request without Basic credentials is turned away here.
	if (req.method === "POST" && req.url.split("?")[0] === "/token" && !/^basic /i.test(req.headers.authorization || "")) {
		console.error("oidc_provider: token request without client_secret_basic");
		res.statusCode = 401;
		res.setHeader("Content-Type", "application/json");
		res.setHeader("WWW-Authenticate", 'Basic realm="token"');
		res.end('{"error":"invalid_client","error_description":"client_secret_basic required"}\n');
		return;
	}
	if (req.method === "GET" && /^\/interaction\/[^/?]+(\?|$)/.test(req.url)) {
		interaction(req, res).catch((err) => {
			console.error(`oidc_provider: interaction ${req.url}: ${err?.message ?? err}`);
			if (!res.headersSent) {
				res.statusCode = 400;
				res.setHeader("Content-Type", "text/plain");
			}
			res.end(`interaction failed: ${err?.message ?? err}\n`);
		});
		return;
	}
	callback(req, res);
});
server.on("error", (err) => {
	console.error(`oidc_provider: ${err.message}`);
	process.exit(1);
});

function stop() {
	server.close(() => process.exit(0));
	server.closeAllConnections();
	setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

server.listen(port, "127.0.0.1", () => {
	process.stdout.write(`ready ${issuer}\n`);
});
