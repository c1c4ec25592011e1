// A strict, standards-only OAuth 2.0 client (oauth4webapi, pinned in package.json) against our
// server: RFC 8414 discovery, authorization code + PKCE through the hosted login page (driven over
// plain HTTP), RFC 9207 iss validation, token, refresh, revocation (RFC 7009), introspection
// (RFC 7662) and client_credentials with the OAuth app's secret. No @wix/sdk here: anything
// this client rejects is a standards bug in the server.
//
// oauth4webapi refuses http:// endpoints unless each call passes its allowInsecureRequests
// option; the tests do that because the server under test listens on plain-http loopback.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { ApiKeyStrategy, createClient } from '@wix/sdk';
import { oAuthApps } from '@wix/auth-management';
import { startServer } from '../lib/server.mjs';
import { loginThroughHostedPage, submitHostedLogin } from '../lib/hosted-login.mjs';

const CALLBACK = 'http://localhost:3000/callback';
const EMAIL = 'strict@example.com';
const PASSWORD = 'a strict password';
const insecure = { [oauth.allowInsecureRequests]: true };

let server;
let as;
let client;
let clientSecret;
let memberId;
let tokens; // from the code exchange, shared by the ordered tests below

const basic = () => oauth.ClientSecretBasic(clientSecret);

async function authorize({ state = oauth.generateRandomState(), codeVerifier = oauth.generateRandomCodeVerifier(), extra = {} } = {}) {
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', CALLBACK);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', 'offline_access');
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  return { url, state, codeVerifier };
}

async function introspect(token, clientAuth = basic()) {
  const response = await oauth.introspectionRequest(as, client, clientAuth, token, insecure);
  return oauth.processIntrospectionResponse(as, client, response);
}

before(async () => {
  server = await startServer();
  const creds = await server.cli('demo');
  const owner = createClient({ auth: ApiKeyStrategy({ apiKey: creds.apiKey, siteId: creds.projectId }), modules: { oAuthApps } });
  const app = await owner.oAuthApps.createOAuthApp({ name: 'Strict client', allowedRedirectUris: [CALLBACK] });
  client = { client_id: app._id };
  clientSecret = app.secret;
  ({ memberId } = await server.cli('members', 'create', '--project', creds.projectId, '--email', EMAIL, '--password', PASSWORD));
});
after(async () => { await server?.stop(); });

test('RFC 8414 discovery (algorithm "oauth2") validates the issuer', async () => {
  const issuer = new URL(server.baseUrl);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure });
  assert.equal(new URL(response.url).pathname, '/.well-known/oauth-authorization-server');
  as = await oauth.processDiscoveryResponse(issuer, response);
  assert.equal(as.issuer, server.baseUrl);
  assert.equal(as.authorization_endpoint, `${server.baseUrl}/oauth2/authorize`);
  assert.equal(as.token_endpoint, `${server.baseUrl}/oauth2/token`);
  assert.ok(as.revocation_endpoint && as.introspection_endpoint && as.jwks_uri);
  assert.ok(as.code_challenge_methods_supported.includes('S256'));
  assert.equal(as.authorization_response_iss_parameter_supported, true);
  assert.ok(as.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
  // Without the opt-in, the strict client refuses our plain-http loopback issuer.
  await assert.rejects(oauth.discoveryRequest(issuer, { algorithm: 'oauth2' }), (err) => err.code === oauth.HTTP_REQUEST_FORBIDDEN);
});

test('authorization code + PKCE through the hosted login; validateAuthResponse checks iss (RFC 9207) and state', async () => {
  const { url, state, codeVerifier } = await authorize();
  const { location } = await loginThroughHostedPage(url.href, { email: EMAIL, password: PASSWORD });
  assert.ok(location.startsWith(`${CALLBACK}?`), `query is the default response mode: ${location}`);
  const callback = new URL(location);
  assert.equal(callback.searchParams.get('iss'), as.issuer);

  // Tampering is caught by the client: a foreign iss, a wrong state.
  const forged = new URL(callback);
  forged.searchParams.set('iss', 'https://attacker.example');
  assert.throws(() => oauth.validateAuthResponse(as, client, forged, state), /unexpected "iss"/);
  assert.throws(() => oauth.validateAuthResponse(as, client, callback, 'other-state'), /unexpected "state"/);

  const params = oauth.validateAuthResponse(as, client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, basic(), params, CALLBACK, codeVerifier, insecure);
  tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  assert.equal(tokens.token_type, 'bearer', 'oauth4webapi lower-cases token_type');
  assert.equal(typeof tokens.access_token, 'string');
  assert.equal(typeof tokens.refresh_token, 'string');
  assert.equal(tokens.expires_in, 14400);
  assert.equal(response.headers.get('cache-control'), 'no-store');

  const info = await introspect(tokens.access_token);
  assert.equal(info.active, true);
  assert.equal(info.sub, memberId);
  assert.equal(info.client_id, client.client_id);
  assert.equal(info.iss, as.issuer);
  assert.equal(info.token_type, 'Bearer');

});

test('a public client (auth method none) exchanges its code with PKCE alone; a replayed code is invalid_grant', async () => {
  const { url, state, codeVerifier } = await authorize();
  const { location } = await loginThroughHostedPage(url.href, { email: EMAIL, password: PASSWORD });
  const callback = oauth.validateAuthResponse(as, client, new URL(location), state);
  const first = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), callback, CALLBACK, codeVerifier, insecure);
  const result = await oauth.processAuthorizationCodeResponse(as, client, first);
  assert.equal(typeof result.access_token, 'string');
  assert.equal((await introspect(result.access_token)).sub, memberId);

  // The same code again: invalid_grant as a standard error body, and what the code produced is
  // revoked (RFC 6749 4.1.2).
  const replay = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), callback, CALLBACK, codeVerifier, insecure);
  await assert.rejects(oauth.processAuthorizationCodeResponse(as, client, replay),
    (err) => err instanceof oauth.ResponseBodyError && err.error === 'invalid_grant' && err.status === 400);
  assert.deepEqual(await introspect(result.access_token), { active: false });

  // A wrong verifier is invalid_grant.
  const next = await authorize();
  const landed = await loginThroughHostedPage(next.url.href, { email: EMAIL, password: PASSWORD });
  const params = oauth.validateAuthResponse(as, client, new URL(landed.location), next.state);
  const bad = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, CALLBACK, oauth.generateRandomCodeVerifier(), insecure);
  await assert.rejects(oauth.processAuthorizationCodeResponse(as, client, bad), (err) => err.error === 'invalid_grant');
});

test('error responses: a cancelled login is an AuthorizationResponseError; a wrong secret a WWW-Authenticate challenge', async () => {
  const { url, state } = await authorize();
  const cancelled = await submitHostedLogin(url.href, { email: '', password: '', action: 'cancel' });
  assert.equal(cancelled.status, 303);
  assert.throws(() => oauth.validateAuthResponse(as, client, new URL(cancelled.location), state),
    (err) => err instanceof oauth.AuthorizationResponseError && err.error === 'access_denied');

  const wrong = await oauth.introspectionRequest(as, client, oauth.ClientSecretBasic('not-the-secret'), tokens.access_token, insecure);
  assert.equal(wrong.status, 401);
  await assert.rejects(oauth.processIntrospectionResponse(as, client, wrong),
    (err) => err instanceof oauth.WWWAuthenticateChallengeError && err.cause[0].scheme === 'basic');
});

test('refreshTokenGrantRequest / processRefreshTokenResponse', async () => {
  const response = await oauth.refreshTokenGrantRequest(as, client, basic(), tokens.refresh_token, insecure);
  const refreshed = await oauth.processRefreshTokenResponse(as, client, response);
  assert.equal(refreshed.token_type, 'bearer');
  assert.notEqual(refreshed.access_token, tokens.access_token);
  assert.equal((await introspect(refreshed.access_token)).sub, memberId);
  const refreshInfo = await introspect(tokens.refresh_token);
  assert.equal(refreshInfo.active, true);
  assert.equal(refreshInfo.token_type, 'refresh_token');
  tokens = { ...tokens, refreshed_access_token: refreshed.access_token };
});

test('revocationRequest (RFC 7009) ends the grant; introspection then says inactive', async () => {
  const response = await oauth.revocationRequest(as, client, basic(), tokens.refresh_token, { ...insecure, additionalParameters: { token_type_hint: 'refresh_token' } });
  assert.equal(await oauth.processRevocationResponse(response), undefined);
  for (const token of [tokens.refresh_token, tokens.access_token, tokens.refreshed_access_token]) {
    assert.deepEqual(await introspect(token), { active: false });
  }
  const again = await oauth.refreshTokenGrantRequest(as, client, basic(), tokens.refresh_token, insecure);
  await assert.rejects(oauth.processRefreshTokenResponse(as, client, again), (err) => err.error === 'invalid_grant');
  // Revoking an unknown token is still 200.
  const unknown = await oauth.revocationRequest(as, client, basic(), 'no-such-token', insecure);
  assert.equal(await oauth.processRevocationResponse(unknown), undefined);
});

test('clientCredentialsGrantRequest with the OAuth app secret: an admin token', async () => {
  const response = await oauth.clientCredentialsGrantRequest(as, client, basic(), new URLSearchParams(), insecure);
  const result = await oauth.processClientCredentialsResponse(as, client, response);
  assert.equal(result.token_type, 'bearer');
  assert.equal(typeof result.access_token, 'string');
  assert.equal(result.refresh_token, undefined);
  const info = await introspect(result.access_token);
  assert.equal(info.active, true);
  assert.equal(info.subject_type, 'APP');
  assert.equal(info.client_id, client.client_id);

  const wrong = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('wrong'), new URLSearchParams(), insecure);
  await assert.rejects(oauth.processClientCredentialsResponse(as, client, wrong), (err) => err instanceof oauth.WWWAuthenticateChallengeError);
});
