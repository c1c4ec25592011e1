// Headless admin: AppStrategy({appId: <OAuth app id>, appSecret: <its secret>, instanceId: undefined})
// sends client_credentials without instance_id (docs/wire-protocol.md#client-credentials-grant). The token it gets is an
// admin token for the OAuth app's project; deleting the OAuth app stops new tokens.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiKeyStrategy, AppStrategy, createClient } from '@wix/sdk';
import { oAuthApps } from '@wix/auth-management';
import { startServer, requestMark, requestsSince } from '../lib/server.mjs';
import { rejectsWithSdkError } from '../lib/assertions.mjs';

let server;
let owner;
let oauthApp;

const adminClient = (appId, appSecret) => createClient({
  auth: AppStrategy({ appId, appSecret, instanceId: undefined }),
  modules: { oAuthApps },
});

before(async () => {
  server = await startServer();
  const creds = await server.cli('demo');
  owner = createClient({ auth: ApiKeyStrategy({ apiKey: creds.apiKey, siteId: creds.projectId }), modules: { oAuthApps } });
  oauthApp = await owner.oAuthApps.createOAuthApp({ name: 'Headless site', allowedRedirectDomains: ['shop.example.com'] });
  assert.equal(typeof oauthApp.secret, 'string');
});
after(async () => { await server?.stop(); });

test('the OAuth app id + secret obtain a token (client_credentials without instance_id)', async () => {
  const admin = adminClient(oauthApp._id, oauthApp.secret);
  const mark = requestMark();
  const { headers } = await admin.auth.getAuthHeaders();
  assert.deepEqual(requestsSince(mark), ['POST www.wixapis.com/oauth2/token']);
  assert.equal(typeof headers.Authorization, 'string');
  assert.equal(headers.Authorization.split('.').length, 3, 'a JWT');
  // Authenticated but without management scopes: 403, not 401.
  await rejectsWithSdkError(admin.oAuthApps.createOAuthApp({ name: 'From admin' }), { status: 403, code: 'PERMISSION_DENIED' });
});

test('a wrong secret gets no token', async () => {
  const admin = adminClient(oauthApp._id, 'wrong-secret');
  await assert.rejects(admin.auth.getAuthHeaders(), /Failed to exchange instance ID for access token.*\b401\b/);
});

test('after deleteOAuthApp, a fresh admin client gets no token', async () => {
  const before = adminClient(oauthApp._id, oauthApp.secret);
  const { headers } = await before.auth.getAuthHeaders();
  await owner.oAuthApps.deleteOAuthApp(oauthApp._id);
  const fresh = adminClient(oauthApp._id, oauthApp.secret);
  await assert.rejects(fresh.auth.getAuthHeaders(), /Failed to exchange instance ID for access token.*\b401\b/);
  // The token issued before the delete stops working at once (checked at use): 401.
  await rejectsWithSdkError(before.oAuthApps.createOAuthApp({ name: 'Too late' }), { status: 401, code: 'UNAUTHENTICATED' });
  assert.ok(headers.Authorization);
});
