// AppStrategy({appId, appSecret, instanceId}): an installed app holding SCOPE.OAUTH_APP.MANAGE
// manages OAuth apps through the unmodified @wix/auth-management module.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AppStrategy, createClient } from '@wix/sdk';
import { oAuthApps } from '@wix/auth-management';
import { startServer, requestMark, requestsSince } from '../lib/server.mjs';
import { oauthAppsSuite } from '../lib/oauth-apps-suite.mjs';

let server;
let creds;
let client;

before(async () => {
  server = await startServer();
  creds = await server.cli('demo');
  client = createClient({
    auth: AppStrategy({ appId: creds.appId, appSecret: creds.appSecret, instanceId: creds.instanceId }),
    modules: { oAuthApps },
  });
});
after(async () => { await server?.stop(); });

test('AppStrategy gets its token with client_credentials + instance_id', async () => {
  const mark = requestMark();
  const { headers } = await client.auth.getAuthHeaders();
  assert.equal(typeof headers.Authorization, 'string');
  assert.equal(headers.Authorization.split('.').length, 3, 'a JWT, sent without "Bearer "');
  assert.deepEqual(requestsSince(mark), ['POST www.wixapis.com/oauth2/token']);
  // Cached for expires_in: the next call makes no token request.
  const again = await client.auth.getAuthHeaders();
  assert.equal(again.headers.Authorization, headers.Authorization);
  assert.deepEqual(requestsSince(mark), ['POST www.wixapis.com/oauth2/token']);
});

test('a wrong app secret makes the token request fail', async () => {
  const bad = createClient({
    auth: AppStrategy({ appId: creds.appId, appSecret: 'wrong-secret', instanceId: creds.instanceId }),
    modules: { oAuthApps },
  });
  await assert.rejects(bad.auth.getAuthHeaders(), /Failed to exchange instance ID for access token.*\b401\b/);
  // Through a module call the SDK rewraps that Error as its generic "System error occurred".
  await assert.rejects(bad.oAuthApps.queryOAuthApps().find(), /System error occurred/);
});

oauthAppsSuite(() => client, { label: 'AppStrategy' });
