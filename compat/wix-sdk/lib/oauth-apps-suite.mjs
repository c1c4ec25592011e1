// The OAuth Apps scenarios, run through the unmodified @wix/auth-management module. The same
// suite runs with AppStrategy (app-strategy.test.mjs) and ApiKeyStrategy (api-key.test.mjs).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertIsOAuthApp, rejectsWithSdkError } from './assertions.mjs';
import { requestMark, requestsSince } from './server.mjs';

const APP_PATH = /^(GET|POST|PATCH|DELETE) www\.wixapis\.com\/oauth-app\/v1\/oauth-apps/;

/** `getClient()` returns a createClient({auth, modules: {oAuthApps}}) client. */
export function oauthAppsSuite(getClient, { label }) {
  const api = () => getClient().oAuthApps;
  const tag = `${label.replace(/\W+/g, '-').toLowerCase()}-${Date.now().toString(36)}`;

  test('createOAuthApp returns _id, _createdDate as a Date, and the secret once', async () => {
    const mark = requestMark();
    const app = await api().createOAuthApp({
      name: `${tag} create`,
      description: 'made by the SDK',
      allowedRedirectUris: ['http://localhost:3000/callback'],
      allowedRedirectDomains: ['example.com'],
    });
    assertIsOAuthApp(app);
    assert.equal(app.name, `${tag} create`);
    assert.equal(app.description, 'made by the SDK');
    assert.deepEqual(app.allowedRedirectUris, ['http://localhost:3000/callback']);
    assert.deepEqual(app.allowedRedirectDomains, ['example.com']);
    assert.equal(typeof app.secret, 'string');
    assert.ok(app.secret.length >= 20, 'a real secret');
    assert.ok(Math.abs(app._createdDate.getTime() - Date.now()) < 5 * 60_000, 'createdDate is now');
    // The production path went to our server (through the preload), not a stubbed client.
    assert.ok(requestsSince(mark).some((r) => r === 'POST www.wixapis.com/oauth-app/v1/oauth-apps'), requestsSince(mark).join('\n'));

    const got = await api().getOAuthApp(app._id);
    assertIsOAuthApp(got);
    assert.equal(got._id, app._id);
    assert.equal(got.name, app.name);
    assert.equal(got._createdDate.getTime(), app._createdDate.getTime());
    assert.equal(got.secret, undefined, 'get never returns the secret');
  });

  test('queryOAuthApps: eq(_id), sort, limit/skip, totalCount, hasNext/next', async () => {
    const names = ['d', 'a', 'e', 'c', 'b'].map((l) => `${tag} q-${l}`);
    const created = [];
    for (const name of names) created.push(await api().createOAuthApp({ name }));

    // .eq('_id', id) is sent as filter {"id": ...}
    const one = await api().queryOAuthApps().eq('_id', created[2]._id).find();
    assert.equal(one.items.length, 1);
    assert.equal(one.items[0]._id, created[2]._id);
    assert.equal(one.items[0].name, names[2]);
    assertIsOAuthApp(one.items[0]);
    assert.equal(one.items[0].secret, undefined, 'query never returns secrets');
    assert.equal(one.totalCount, 1);
    assert.equal(one.hasNext(), false);

    const none = await api().queryOAuthApps().eq('_id', '00000000-0000-4000-8000-000000000000').find();
    assert.equal(none.items.length, 0);
    assert.equal(none.totalCount, 0);

    // Everything in the project, sorted by name: whatever else exists, ours appear in order.
    const all = await api().queryOAuthApps().ascending('name').limit(100).find();
    const total = all.totalCount;
    assert.equal(typeof total, 'number');
    assert.ok(total >= names.length);
    assert.equal(all.items.length, total);
    const allNames = all.items.map((a) => a.name);
    assert.deepEqual(allNames, [...allNames].sort(), 'ascending by name');
    assert.deepEqual(allNames.filter((n) => names.includes(n)), [...names].sort());

    const desc = await api().queryOAuthApps().descending('name').limit(100).find();
    assert.deepEqual(desc.items.map((a) => a.name), [...allNames].reverse(), 'descending by name');

    const byDateDesc = await api().queryOAuthApps().descending('_createdDate').limit(100).find();
    const dates = byDateDesc.items.map((a) => a._createdDate.getTime());
    assert.ok(dates.every((d, i) => i === 0 || dates[i - 1] >= d), 'descending by _createdDate');
    const ours = byDateDesc.items.filter((a) => names.includes(a.name)).map((a) => a.name);
    assert.deepEqual(ours, [...names].reverse(), 'newest first');
    const byDateAsc = await api().queryOAuthApps().ascending('_createdDate').limit(100).find();
    const ascDates = byDateAsc.items.map((a) => a._createdDate.getTime());
    assert.ok(ascDates.every((d, i) => i === 0 || ascDates[i - 1] <= d), 'ascending by _createdDate');

    // limit(n).skip(k) is a slice of the full ordering.
    const slice = await api().queryOAuthApps().ascending('name').limit(2).skip(1).find();
    assert.deepEqual(slice.items.map((a) => a._id), all.items.slice(1, 3).map((a) => a._id));
    assert.equal(slice.totalCount, total);
    assert.equal(slice.pageSize, 2);

    // Paging through with hasNext()/next() visits every item exactly once, in order.
    let page = await api().queryOAuthApps().ascending('name').limit(2).find();
    assert.equal(page.currentPage, 0);
    assert.equal(page.totalPages, Math.ceil(total / 2));
    const seen = [...page.items];
    let pages = 1;
    while (page.hasNext()) {
      page = await page.next();
      pages += 1;
      assert.ok(page.items.length > 0 && page.items.length <= 2);
      seen.push(...page.items);
    }
    assert.equal(pages, Math.ceil(total / 2));
    assert.deepEqual(seen.map((a) => a._id), all.items.map((a) => a._id));
    assert.equal(page.hasNext(), false);
    await assert.rejects(page.next(), /No next page/);

    // The default builder (no modifiers) sends paging {offset:0, limit:50}.
    const defaults = await api().queryOAuthApps().find();
    assert.equal(defaults.pageSize, 50);
    assert.equal(defaults.totalCount, total);
  });

  test('queryOAuthApps({filter, sort, paging}) (typed form) returns oAuthApps and pagingMetadata', async () => {
    const a = await api().createOAuthApp({ name: `${tag} typed-1` });
    const b = await api().createOAuthApp({ name: `${tag} typed-2` });
    const one = await api().queryOAuthApps({ filter: { _id: { $eq: b._id } }, paging: { limit: 5, offset: 0 } });
    assert.deepEqual(one.oAuthApps.map((x) => x._id), [b._id]);
    assertIsOAuthApp(one.oAuthApps[0]);
    assert.equal(one.pagingMetadata.total, 1);
    assert.equal(one.pagingMetadata.count, 1);
    assert.equal(one.pagingMetadata.offset, 0);
    assert.equal(one.pagingMetadata.tooManyToCount, false);
    const sorted = await api().queryOAuthApps({ sort: [{ fieldName: '_createdDate', order: 'DESC' }], paging: { limit: 100 } });
    const ids = sorted.oAuthApps.map((x) => x._id);
    assert.ok(ids.indexOf(b._id) < ids.indexOf(a._id), 'newest first');
  });

  test('updateOAuthApp changes only the masked fields', async () => {
    const app = await api().createOAuthApp({
      name: `${tag} upd`,
      description: 'before',
      allowedRedirectUris: ['http://localhost:3000/callback'],
      allowedRedirectDomains: ['old.example.com'],
    });
    const mark = requestMark();
    const updated = await api().updateOAuthApp(
      app._id,
      { name: `${tag} upd renamed`, description: 'not in the mask', allowedRedirectDomains: ['a.example.com', 'b.example.com'] },
      ['allowedRedirectDomains', 'name'],
    );
    assert.ok(requestsSince(mark).some((r) => r.startsWith(`PATCH www.wixapis.com/oauth-app/v1/oauth-apps/${app._id}`)));
    assertIsOAuthApp(updated);
    assert.equal(updated._id, app._id);
    assert.equal(updated.name, `${tag} upd renamed`);
    assert.deepEqual(updated.allowedRedirectDomains, ['a.example.com', 'b.example.com']);
    assert.equal(updated.description, 'before', 'a field outside the mask is unchanged');
    assert.deepEqual(updated.allowedRedirectUris, ['http://localhost:3000/callback']);
    assert.equal(updated._createdDate.getTime(), app._createdDate.getTime());
    assert.equal(updated.secret, undefined);

    // The sample-flows article's legacy name: allowedDomains updates the same list.
    const viaAlias = await api().updateOAuthApp(app._id, { allowedDomains: ['templates.example.com'] }, ['allowedDomains']);
    assert.deepEqual(viaAlias.allowedRedirectDomains, ['templates.example.com']);
    assert.equal(viaAlias.name, `${tag} upd renamed`);

    // Without a mask (the SDK then sends none), the fields present in the patch change.
    const unmasked = await api().updateOAuthApp(app._id, { description: 'after' });
    assert.equal(unmasked.description, 'after');
    assert.equal(unmasked.name, `${tag} upd renamed`);
    assert.deepEqual(unmasked.allowedRedirectDomains, ['templates.example.com']);

    const got = await api().getOAuthApp(app._id);
    assert.deepEqual(got.allowedRedirectDomains, ['templates.example.com']);
    assert.equal(got.description, 'after');
    assert.deepEqual(got.allowedRedirectUris, ['http://localhost:3000/callback']);
  });

  test('generateOAuthAppSecret works once; a second call is 409 SECRET_ALREADY_GENERATED', async () => {
    const app = await api().createOAuthApp({ name: `${tag} deferred secret`, allowSecretGeneration: true });
    assertIsOAuthApp(app);
    assert.ok(!app.secret, 'allowSecretGeneration:true defers the secret');
    assert.equal(app.allowSecretGeneration, true);

    const generated = await api().generateOAuthAppSecret(app._id);
    assert.equal(typeof generated.oAuthAppSecret, 'string');
    assert.ok(generated.oAuthAppSecret.length >= 20);
    assert.equal((await api().getOAuthApp(app._id)).allowSecretGeneration, false);

    await rejectsWithSdkError(api().generateOAuthAppSecret(app._id), { status: 409, code: 'SECRET_ALREADY_GENERATED' });
    // An app created with its secret up front cannot generate another one either.
    const eager = await api().createOAuthApp({ name: `${tag} eager secret` });
    await rejectsWithSdkError(api().generateOAuthAppSecret(eager._id), { status: 409, code: 'SECRET_ALREADY_GENERATED' });
  });

  test('getOAuthAppSecret is refused: 400 SECRET_NOT_RETRIEVABLE', async () => {
    const app = await api().createOAuthApp({ name: `${tag} secret read` });
    await rejectsWithSdkError(api().getOAuthAppSecret(app._id), { status: 400, code: 'SECRET_NOT_RETRIEVABLE' });
  });

  test('deleteOAuthApp, then getOAuthApp is 404 OAUTH_APP_NOT_FOUND', async () => {
    const app = await api().createOAuthApp({ name: `${tag} doomed` });
    const mark = requestMark();
    const result = await api().deleteOAuthApp(app._id);
    assert.equal(result, undefined);
    assert.ok(requestsSince(mark).some((r) => r.startsWith(`DELETE www.wixapis.com/oauth-app/v1/oauth-apps/${app._id}`)));
    const err = await rejectsWithSdkError(api().getOAuthApp(app._id), { status: 404, code: 'OAUTH_APP_NOT_FOUND' });
    assert.ok(err.requestId, 'x-wix-request-id surfaces as requestId');
    const after = await api().queryOAuthApps().eq('_id', app._id).find();
    assert.equal(after.items.length, 0);
    await rejectsWithSdkError(api().deleteOAuthApp(app._id), { status: 404, code: 'OAUTH_APP_NOT_FOUND' });
    await rejectsWithSdkError(api().updateOAuthApp(app._id, { name: 'gone now' }, ['name']), { status: 404, code: 'OAUTH_APP_NOT_FOUND' });
  });

  test('a validation error (1-character name) is SDKError 400 with details.validationError', async () => {
    const err = await rejectsWithSdkError(api().createOAuthApp({ name: 'x' }), { status: 400, validation: true });
    const violations = err.details.validationError.fieldViolations;
    assert.ok(violations.some((v) => /name/.test(v.field)), JSON.stringify(violations));
    assert.match(err.message, /INVALID_ARGUMENT/);
  });

  test('every OAuth Apps call used the production paths on www.wixapis.com', () => {
    const appCalls = globalThis.__wixRedirect.seen.filter((r) => /oauth-apps/.test(r));
    assert.ok(appCalls.length > 0);
    for (const r of appCalls) assert.match(r, APP_PATH);
  });
}
