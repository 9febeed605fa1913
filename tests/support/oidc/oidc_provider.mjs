// The OpenID providers the SSO tests sign in through, started by tests/support/oidc.rs.
//
//   node oidc_provider.mjs --mode provider --port P --client-id ID --client-secret S --redirect-uri URL
//     A real, certified OpenID provider (panva's oidc-provider) with its own login and consent
//     pages and the test accounts below. A second client, ID-es256, gets ES256-signed ID tokens.
//
//   node oidc_provider.mjs --mode signer ...same flags...
//     An issuer whose ID tokens the test shapes through POST /scenario: another audience, an
//     expired token, a key outside the published set, alg "none", a rotated key. It checks the
//     client's credentials and PKCE like a provider, and sends the browser straight back.
//
// Prints "ready" on stdout once it listens.

import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'provider' },
    port: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
  },
});
const issuer = `http://127.0.0.1:${args.port}`;
const clientId = args['client-id'];
const clientSecret = args['client-secret'];
const redirectUri = args['redirect-uri'];

async function signingKey(alg, kid) {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid, alg, use: 'sig' };
  const { d, p, q, dp, dq, qi, ...publicJwk } = jwk;
  return { alg, kid, privateKey, jwk, publicJwk };
}

// login → claims. Any other login is a verified account without groups.
const ACCOUNTS = {
  'ada@acme.test': { email: 'ada@acme.test', email_verified: true, name: 'Ada Lovelace', groups: ['Convene-Admins', 'Staff'] },
  'grace@acme.test': { email: 'Grace.Hopper@ACME.test', email_verified: true, name: 'Grace Hopper', groups: ['marketing'] },
  'eve@acme.test': { email: 'eve@acme.test', email_verified: false, name: 'Eve Unverified', groups: [] },
  'mallory@elsewhere.test': { email: 'mallory@elsewhere.test', email_verified: true, name: 'Mallory', groups: ['Convene-Admins'] },
};

function accountClaims(login) {
  return ACCOUNTS[login] ?? { email: login, email_verified: true, name: login.split('@')[0], groups: [] };
}

async function startProvider() {
  const rsa = await signingKey('RS256', 'rsa-1');
  const ec = await signingKey('ES256', 'ec-1');
  const client = {
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
  };
  const provider = new Provider(issuer, {
    clients: [
      { ...client, client_id: clientId },
      { ...client, client_id: `${clientId}-es256`, id_token_signed_response_alg: 'ES256' },
    ],
    jwks: { keys: [rsa.jwk, ec.jwk] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    // The ID token carries the granted claims even though the code flow also issues an access
    // token, which is how the identity providers Convene is used with behave.
    conformIdTokenClaims: false,
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, ...accountClaims(id) }),
    }),
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(32).toString('hex')] },
  });
  provider.listen(Number(args.port), '127.0.0.1', () => console.log('ready'));
}

async function startSigner() {
  const keys = {
    rsa: await signingKey('RS256', 'rsa-1'),
    ec: await signingKey('ES256', 'ec-1'),
    rsa2: await signingKey('RS256', 'rsa-2'),
    // Same kid as the published RSA key, different key: a forged signature.
    rogue: await signingKey('RS256', 'rsa-1'),
  };
  let scenario = { key: 'rsa', publish: ['rsa', 'ec'], claims: {} };
  const pending = new Map();

  const send = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  };
  const readBody = (req) =>
    new Promise((resolve) => {
      let data = '';
      req.on('data', (chunk) => (data += chunk));
      req.on('end', () => resolve(data));
    });
  const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

  async function idToken(nonce) {
    const now = Math.floor(Date.now() / 1000);
    const { exp_in: expIn = 300, iat_in: iatIn = 0, ...overrides } = scenario.claims;
    const claims = {
      iss: issuer,
      sub: 'signer-account',
      aud: clientId,
      iat: now + iatIn,
      exp: now + expIn,
      nonce,
      email: 'ada@acme.test',
      email_verified: true,
      name: 'Ada Lovelace',
      groups: ['Convene-Admins'],
      ...overrides,
    };
    if (scenario.key === 'none') {
      return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    }
    const key = keys[scenario.key];
    return new jose.SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, issuer);
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return send(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256', 'ES256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
      });
    }
    if (req.method === 'GET' && url.pathname === '/jwks') {
      return send(res, 200, { keys: scenario.publish.map((name) => keys[name].publicJwk) });
    }
    if (req.method === 'POST' && url.pathname === '/scenario') {
      scenario = { key: 'rsa', publish: ['rsa', 'ec'], claims: {}, ...JSON.parse(await readBody(req)) };
      return send(res, 200, scenario);
    }
    if (req.method === 'GET' && url.pathname === '/authorize') {
      const q = url.searchParams;
      if (q.get('client_id') !== clientId || q.get('redirect_uri') !== redirectUri || q.get('code_challenge_method') !== 'S256') {
        return send(res, 400, { error: 'invalid_request' });
      }
      const code = randomBytes(16).toString('base64url');
      pending.set(code, { nonce: q.get('nonce'), challenge: q.get('code_challenge') });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state'));
      res.writeHead(303, { location: back.toString() });
      return res.end();
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      const form = new URLSearchParams(await readBody(req));
      const expected = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        return send(res, 401, { error: 'invalid_client' });
      }
      const grant = pending.get(form.get('code'));
      pending.delete(form.get('code'));
      const verifier = form.get('code_verifier') ?? '';
      if (!grant || createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
        return send(res, 400, { error: 'invalid_grant' });
      }
      return send(res, 200, {
        access_token: randomBytes(16).toString('base64url'),
        token_type: 'Bearer',
        expires_in: 300,
        id_token: await idToken(grant.nonce),
      });
    }
    return send(res, 404, { error: 'not_found' });
  });
  server.listen(Number(args.port), '127.0.0.1', () => console.log('ready'));
}

await (args.mode === 'signer' ? startSigner() : startProvider());
