// ApiKeyStrategy({apiKey, siteId}): the project owner's API key, sent raw in Authorization with
// wix-site-id, runs the same OAuth Apps scenarios.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiKeyStrategy, createClient } from '@wix/sdk';
import { oAuthApps } from '@wix/auth-management';
import { startServer, requestMark, requestsSince } from '../lib/server.mjs';
import { oauthAppsSuite } from '../lib/oauth-apps-suite.mjs';
import { rejectsWithSdkError } from '../lib/assertions.mjs';

let server;
let creds;
let client;

before(async () => {
  server = await startServer();
  creds = await server.cli('demo');
  client = createClient({
    auth: ApiKeyStrategy({ apiKey: creds.apiKey, siteId: creds.projectId }),
    modules: { oAuthApps },
  });
});
after(async () => { await server?.stop(); });

test('ApiKeyStrategy makes no token request', async () => {
  const mark = requestMark();
  await client.oAuthApps.queryOAuthApps().find();
  assert.deepEqual(requestsSince(mark), ['POST www.wixapis.com/oauth-app/v1/oauth-apps/query']);
});

test('a wrong API key or another site id is 401', async () => {
  const wrongKey = createClient({ auth: ApiKeyStrategy({ apiKey: 'not-a-key', siteId: creds.projectId }), modules: { oAuthApps } });
  await rejectsWithSdkError(wrongKey.oAuthApps.queryOAuthApps().find(), { status: 401, code: 'UNAUTHENTICATED' });
  const otherSite = createClient({
    auth: ApiKeyStrategy({ apiKey: creds.apiKey, siteId: '00000000-0000-4000-8000-000000000000' }),
    modules: { oAuthApps },
  });
  await rejectsWithSdkError(otherSite.oAuthApps.createOAuthApp({ name: 'nope' }), { status: 401, code: 'UNAUTHENTICATED' });
});

oauthAppsSuite(() => client, { label: 'ApiKeyStrategy' });
