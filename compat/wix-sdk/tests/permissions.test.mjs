// An app installed with only SCOPE.OAUTH_APP.READ may get and query OAuth apps but not change
// them: create/update/delete/generate-secret are 403 PERMISSION_DENIED.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiKeyStrategy, AppStrategy, createClient } from '@wix/sdk';
import { oAuthApps } from '@wix/auth-management';
import { installedApp, startServer } from '../lib/server.mjs';
import { assertIsOAuthApp, rejectsWithSdkError } from '../lib/assertions.mjs';

let server;
let reader;
let existing;

before(async () => {
  server = await startServer();
  const creds = await installedApp(server, 'Read-only reporter', ['SCOPE.OAUTH_APP.READ']);
  // The project owner (API key) creates one app for the reader to look at.
  const owner = createClient({ auth: ApiKeyStrategy({ apiKey: creds.apiKey, siteId: creds.projectId }), modules: { oAuthApps } });
  existing = await owner.oAuthApps.createOAuthApp({ name: 'Owned by the owner' });
  reader = createClient({
    auth: AppStrategy({ appId: creds.appId, appSecret: creds.appSecret, instanceId: creds.instanceId }),
    modules: { oAuthApps },
  });
});
after(async () => { await server?.stop(); });

test('create is 403 PERMISSION_DENIED without SCOPE.OAUTH_APP.MANAGE', async () => {
  const err = await rejectsWithSdkError(reader.oAuthApps.createOAuthApp({ name: 'Not allowed' }), { status: 403, code: 'PERMISSION_DENIED' });
  assert.match(err.details.applicationError.description, /SCOPE\.OAUTH_APP\.MANAGE/);
});

test('get and query work with SCOPE.OAUTH_APP.READ', async () => {
  const got = await reader.oAuthApps.getOAuthApp(existing._id);
  assertIsOAuthApp(got);
  assert.equal(got.name, 'Owned by the owner');
  const page = await reader.oAuthApps.queryOAuthApps().eq('_id', existing._id).find();
  assert.deepEqual(page.items.map((a) => a._id), [existing._id]);
  assert.equal(page.totalCount, 1);
  const all = await reader.oAuthApps.queryOAuthApps().find();
  assert.equal(all.totalCount, 1, 'nothing was created by the refused call');
});

test('update, delete and generate-secret are 403 PERMISSION_DENIED too', async () => {
  await rejectsWithSdkError(reader.oAuthApps.updateOAuthApp(existing._id, { name: 'Renamed' }, ['name']), { status: 403, code: 'PERMISSION_DENIED' });
  await rejectsWithSdkError(reader.oAuthApps.deleteOAuthApp(existing._id), { status: 403, code: 'PERMISSION_DENIED' });
  await rejectsWithSdkError(reader.oAuthApps.generateOAuthAppSecret(existing._id), { status: 403, code: 'PERMISSION_DENIED' });
  assert.equal((await reader.oAuthApps.getOAuthApp(existing._id)).name, 'Owned by the owner');
});
