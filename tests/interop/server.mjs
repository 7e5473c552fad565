// Test glue: an independent OAuth 2.0 authorization server for PhotoLink's end-to-end tests.
//
// The authorization server is panva's `oidc-provider` (an OpenID Certified implementation this
// project did not write), pinned in package.json / package-lock.json. Everything below is glue:
// its configuration, a mount under a path, and a tiny photo API that follows PhotoLink's list
// format so the window has something to show. None of it is PhotoLink code, and nothing here
// relaxes what the server checks.
//
// | piece                    | what it is                                                         |
// | ------------------------ | ------------------------------------------------------------------ |
// | issuer                   | `http://127.0.0.1:{port}/oidc`: an issuer WITH a path               |
// | client `photolink-desktop` | public native client (`token_endpoint_auth_method: none`), both   |
// |                          | redirect URIs registered: `com.example.photolink:/oauth/callback`  |
// |                          | (and the sign-in plugin's example app's                            |
// |                          | `com.example.signin:/oauth/callback`)                              |
// |                          | and `http://127.0.0.1/oauth/callback` (any port: RFC 8252 §7.3)     |
// | PKCE                     | required for every authorization request (S256 only)              |
// | refresh tokens           | issued with `offline_access` + `prompt=consent`; rotated on use;   |
// |                          | a reused one revokes the grant                                     |
// | revocation (RFC 7009)    | on; revoking the refresh token ends the grant                      |
// | sign-in                  | the library's development login and consent pages ("Sign-in",     |
// |                          | "Continue", "[ Cancel ]"); any login name and password are taken   |
// | `GET /photos`            | `{"photos":[...]}` (PhotoLink's list format) and                   |
// | `GET /photos/{id}/{thumbnail,image}` | small PNGs; all behind a Bearer access token looked    |
// |                          | up through the server's own token store, with `photos:read`        |
// | `--resource-indicators`  | RFC 8707 on: `photos:read` belongs to the resource                 |
// |                          | `http://127.0.0.1:{port}/photos`, and only a token request naming  |
// |                          | that resource gets a token the photo API takes (its audience)      |
// | `--dpop`                 | DPoP (RFC 9449) on, nonces demanded: the library checks proofs at   |
// |                          | its endpoints and binds tokens; the photo API then wants the `DPoP` |
// |                          | scheme and a fresh proof (`htm`, `htu`, `ath`, the bound key, no    |
// |                          | reused `jti`), checked with `jose`, the library's own JOSE crate   |
// | `GET /_test/last-authorization` | the parameters of the last accepted authorization request   |
// | `--large-id-token`       | the ID token also carries the `profile` claims, among them a        |
// |                          | `groups` claim of 200 group ids (about 8 KB of claims), as accounts |
// |                          | of large organisations get from Microsoft Entra ID                  |
// | `--jwt-access-tokens`    | with resource indicators (implied), the photo API's access tokens  |
// |                          | are JWTs (RFC 9068) signed with the server's keys, as Microsoft's  |
// |                          | and Google's are; the photo API verifies them against the server's |
// |                          | JWKS with `jose` (a JWT is not in the server's store, nor revoked) |
//
// Usage: node server.mjs [--port N] [--access-token-ttl SECONDS] [--resource-indicators] [--dpop]
//        [--large-id-token] [--jwt-access-tokens]
// Listens on 127.0.0.1 only (port 0, the default, lets the OS pick) and prints the issuer URL
// on one stdout line once it accepts connections. Stops on SIGTERM or SIGINT.

import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

import { calculateJwkThumbprint, createRemoteJWKSet, EmbeddedJWK, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';

const CLIENT_ID = 'photolink-desktop';
const REDIRECT_URIS = [
  'com.example.photolink:/oauth/callback',
  'com.example.signin:/oauth/callback',
  'http://127.0.0.1/oauth/callback',
];
const ISSUER_PATH = '/oidc';
const PHOTOS_PATH = '/photos';
const PHOTOS_SCOPE = 'photos:read';
// Test glue: the last accepted authorization request's parameters, as JSON.
const TEST_LAST_AUTHORIZATION_PATH = '/_test/last-authorization';

// Three 32×32 single-colour PNGs, enough for the window to show loaded images.
const PHOTOS = [
  ['harbour', 'Harbour at dawn', 'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgAQMAAABJtOi3AAAAA1BMVEU6e9W09Nv6AAAADElEQVQI12NgGNwAAACgAAFhJX1HAAAAAElFTkSuQmCC'],
  ['dunes', 'Dunes', 'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgAQMAAABJtOi3AAAAA1BMVEXgcDrnq00+AAAADElEQVQI12NgGNwAAACgAAFhJX1HAAAAAElFTkSuQmCC'],
  ['meadow', 'Meadow', 'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgAQMAAABJtOi3AAAAA1BMVEVapVqen2b6AAAADElEQVQI12NgGNwAAACgAAFhJX1HAAAAAElFTkSuQmCC'],
].map(([id, title, png]) => ({ id, title, png: Buffer.from(png, 'base64') }));

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'access-token-ttl': { type: 'string', default: '3600' },
    'resource-indicators': { type: 'boolean', default: false },
    dpop: { type: 'boolean', default: false },
    'large-id-token': { type: 'boolean', default: false },
    'jwt-access-tokens': { type: 'boolean', default: false },
  },
});
const jwtAccessTokens = options['jwt-access-tokens'];
// With --large-id-token every account belongs to this many groups, each named by a GUID.
const largeIdToken = options['large-id-token'];
const GROUP_COUNT = 200;
// With --dpop the server offers DPoP (RFC 9449) and demands nonces at its own endpoints.
const dpop = options.dpop;
// The `jti` of every DPoP proof the photo API accepted (bounded: proofs are only fresh for a minute).
const seenProofs = new Set();
const MAX_SEEN_PROOFS = 10000;
const PROOF_MAX_AGE_SECONDS = 60;
const resourceIndicators = options['resource-indicators'] || jwtAccessTokens;
// The photo API's resource indicator (RFC 8707), known once the port is.
let photosResource;
const accessTokenTtl = Number(options['access-token-ttl']);
if (!Number.isInteger(accessTokenTtl) || accessTokenTtl < 1) {
  throw new Error('--access-token-ttl must be a whole number of seconds');
}

let provider;
// The parameters of the last authorization request the server accepted, pushed (RFC 9126) or
// not, so that tests can check what reached the server when the browser only saw a
// `request_uri`. None of them is a secret (the PKCE challenge is a hash).
let lastAuthorization = null;
const server = http.createServer((req, res) => route(req, res).catch((error) => {
  console.error(error);
  if (!res.headersSent) res.writeHead(500);
  res.end();
}));

server.listen(Number(options.port), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}${ISSUER_PATH}`;
  photosResource = `http://127.0.0.1:${port}${PHOTOS_PATH}`;
  provider = new Provider(issuer, configuration());
  // The library's own log of why a request failed, for the test's artifacts.
  for (const event of ['authorization.error', 'grant.error', 'revocation.error', 'server_error']) {
    provider.on(event, (_ctx, error) => console.error(`${event}: ${error.message} ${error.error_description ?? ''}`));
  }
  provider.on('authorization.accepted', (ctx) => {
    lastAuthorization = Object.fromEntries(
      Object.entries(ctx.oidc.params).filter(([, value]) => value !== undefined),
    );
  });
  console.log(issuer);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}

function configuration() {
  return {
    clients: [{
      client_id: CLIENT_ID,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: REDIRECT_URIS,
    }],
    // With resource indicators, `photos:read` is the photo API's scope, not the server's own.
    scopes: ['openid', 'offline_access', 'profile', ...(resourceIndicators ? [] : [PHOTOS_SCOPE])],
    claims: { openid: ['sub'], profile: ['name', ...(largeIdToken ? ['groups'] : [])] },
    // The library's default keeps scope claims out of an ID token issued with an access token;
    // with --large-id-token they go in, so the ID token is as large as the claims.
    conformIdTokenClaims: !largeIdToken,
    pkce: { required: () => true },
    ttl: { AccessToken: accessTokenTtl },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      // Sender-constrained tokens with --dpop: the library checks proofs at its own endpoints
      // and the photo API below checks them for the tokens it serves.
      dPoP: dpop
        ? { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true }
        : { enabled: false },
      resourceIndicators: {
        enabled: resourceIndicators,
        // The library's defaults otherwise: a token request without `resource` gets a token
        // for the server's own userinfo endpoint, not for the photo API.
        async getResourceServerInfo(_ctx, indicator) {
          if (indicator !== photosResource) throw new errors.InvalidTarget();
          return {
            scope: PHOTOS_SCOPE,
            audience: photosResource,
            accessTokenFormat: jwtAccessTokens ? 'jwt' : 'opaque',
          };
        },
      },
    },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    async findAccount(_ctx, sub) {
      const groups = largeIdToken ? accountGroups(sub) : undefined;
      return { accountId: sub, claims: async () => ({ sub, name: sub, groups }) };
    },
  };
}

/** The account's groups with --large-id-token: GUID-shaped ids derived from its name. */
function accountGroups(sub) {
  return Array.from({ length: GROUP_COUNT }, (_, n) => {
    const hex = createHash('sha256').update(`${sub}/${n}`).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  });
}

/** The provider under ISSUER_PATH (as if mounted there), the photo API at PHOTOS_PATH. */
async function route(req, res) {
  const { pathname } = new URL(req.url, 'http://127.0.0.1');
  if (pathname === ISSUER_PATH || pathname.startsWith(`${ISSUER_PATH}/`)) {
    // The library finds its mount path from `originalUrl`, as under Express or Koa mounts.
    req.originalUrl = req.url;
    req.url = req.url.slice(ISSUER_PATH.length) || '/';
    return provider.callback()(req, res);
  }
  if (pathname === PHOTOS_PATH || pathname.startsWith(`${PHOTOS_PATH}/`)) {
    return photos(req, res, pathname);
  }
  if (pathname === TEST_LAST_AUTHORIZATION_PATH && req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify(lastAuthorization));
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found\n');
}

async function photos(req, res, pathname) {
  if (req.method !== 'GET') {
    res.writeHead(405, { Allow: 'GET' });
    return res.end();
  }
  const refusal = await tokenRefusal(req, pathname);
  if (refusal) {
    const scheme = dpop ? 'DPoP algs="ES256"' : 'Bearer';
    res.writeHead(401, { 'WWW-Authenticate': `${scheme} error="${refusal}"`, 'Cache-Control': 'no-store' });
    return res.end();
  }
  if (pathname === PHOTOS_PATH) {
    const origin = `http://${req.headers.host}`;
    const listed = PHOTOS.map(({ id, title }) => ({
      id,
      title,
      url: `${origin}${PHOTOS_PATH}/${id}/image`,
      thumbnail_url: `${origin}${PHOTOS_PATH}/${id}/thumbnail`,
      width: 32,
      height: 32,
    }));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    return res.end(JSON.stringify({ photos: listed, next_page_token: null }));
  }
  const [, id, rendition] = pathname.slice(PHOTOS_PATH.length).split('/');
  const photo = PHOTOS.find((p) => p.id === id);
  if (!photo || !['thumbnail', 'image'].includes(rendition)) {
    res.writeHead(404);
    return res.end();
  }
  res.writeHead(200, { 'Content-Type': 'image/png', 'Cache-Control': 'no-store' });
  return res.end(photo.png);
}

/** Why a request's credentials do not grant `photos:read`, or nothing when they do. */
async function tokenRefusal(req, pathname) {
  const match = /^(Bearer|DPoP) ([!-~]+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return 'invalid_request';
  // The server's own store: unknown, expired, revoked and consumed tokens are not found. A
  // JWT access token is not kept there: its signature, issuer, audience and expiry decide.
  const token = jwtAccessTokens ? await verifiedJwtAccessToken(match[2]) : await provider.AccessToken.find(match[2]);
  if (!token) return 'invalid_token';
  // A DPoP-bound token only with the `DPoP` scheme and a proof of its key (RFC 9449 §7).
  if (token.jkt || match[1].toLowerCase() === 'dpop') {
    if (match[1].toLowerCase() !== 'dpop' || !token.jkt) return 'invalid_token';
    const url = `http://${req.headers.host}${pathname}`;
    if (!(await proofFits(req.headers.dpop, match[2], token.jkt, url))) return 'invalid_dpop_proof';
  }
  if (resourceIndicators && token.aud !== photosResource) return 'invalid_token';
  if (!token.scope?.split(' ').includes(PHOTOS_SCOPE)) return 'insufficient_scope';
  return undefined;
}

// The server's signing keys as its JWKS endpoint publishes them, fetched once they are needed.
let serverKeys;

/** The parts of a JWT access token (RFC 9068) the photo API checks, when the server issued it
 * for the photo API and it has not expired; nothing otherwise. */
async function verifiedJwtAccessToken(value) {
  serverKeys ??= createRemoteJWKSet(new URL(`${provider.issuer}/jwks`));
  try {
    const { payload } = await jwtVerify(value, serverKeys, {
      issuer: provider.issuer,
      audience: photosResource,
      typ: 'at+jwt',
    });
    return { jkt: payload.cnf?.jkt, aud: photosResource, scope: payload.scope };
  } catch {
    return undefined;
  }
}

/** Whether `proof` is a fresh, unused DPoP proof of the key `jkt` for a GET of `url` with `accessToken`. */
async function proofFits(proof, accessToken, jkt, url) {
  if (typeof proof !== 'string') return false;
  let verified;
  try {
    verified = await jwtVerify(proof, EmbeddedJWK, { algorithms: ['ES256'], typ: 'dpop+jwt' });
  } catch {
    return false;
  }
  const { payload, protectedHeader } = verified;
  const fresh = Math.abs(Date.now() / 1000 - payload.iat) <= PROOF_MAX_AGE_SECONDS;
  const fits = payload.htm === 'GET'
    && payload.htu === url
    && payload.ath === createHash('sha256').update(accessToken).digest('base64url')
    && (await calculateJwkThumbprint(protectedHeader.jwk)) === jkt;
  if (!fresh || !fits || typeof payload.jti !== 'string' || seenProofs.has(payload.jti)) return false;
  if (seenProofs.size >= MAX_SEEN_PROOFS) seenProofs.clear();
  seenProofs.add(payload.jti);
  return true;
}
