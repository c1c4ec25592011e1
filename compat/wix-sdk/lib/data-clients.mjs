// Shared set-up of the @wix/data compatibility tests that came after data.test.mjs: a server with
// the demo project, an OAuth app for the site, and the callers of the data API (the owner with
// ApiKeyStrategy, a visitor, and members signed in through the hosted login page).

import assert from 'node:assert/strict';
import { ApiKeyStrategy, OAuthStrategy, createClient } from '@wix/sdk';
import { oAuthApps } from '@wix/auth-management';
import { startServer } from './server.mjs';
import { loginThroughHostedPage } from './hosted-login.mjs';

const CALLBACK = 'http://localhost:3000/callback';

/** Every REST response with its status (the data package drops the status from its errors). */
export const wire = [];
export const tapFetch = async (url, init = {}) => {
  const res = await globalThis.fetch(url, init);
  wire.push({ method: init.method ?? 'GET', url: String(url), status: res.status });
  return res;
};
export const lastStatus = () => wire.at(-1).status;

/**
 * A running server and its callers: `owner(modules)` (ApiKeyStrategy), `visitor(modules)`,
 * `member(modules, {email, password})` (a new member, signed in), and `collection(name, perms)`
 * made with the CLI.
 */
export async function dataWorld() {
  const server = await startServer();
  const creds = await server.cli('demo');
  const admin = createClient({ auth: ApiKeyStrategy({ apiKey: creds.apiKey, siteId: creds.projectId }), modules: { oAuthApps } });
  const oauthApp = await admin.oAuthApps.createOAuthApp({ name: 'Data site', allowedRedirectUris: [CALLBACK] });
  const site = (modules) => createClient({ auth: OAuthStrategy({ clientId: oauthApp._id }), modules, fetch: tapFetch });
  return {
    server,
    creds,
    owner: (modules) => createClient({ auth: ApiKeyStrategy({ apiKey: creds.apiKey, siteId: creds.projectId }), modules, fetch: tapFetch }),
    async visitor(modules) {
      const client = site(modules);
      client.auth.setTokens(await client.auth.generateVisitorTokens());
      return client;
    },
    async member(modules, { email, password }) {
      await server.cli('members', 'create', '--project', creds.projectId, '--email', email, '--password', password);
      const client = site(modules);
      client.auth.setTokens(await client.auth.generateVisitorTokens());
      const oauthData = client.auth.generateOAuthData(CALLBACK);
      const { authUrl } = await client.auth.getAuthUrl(oauthData);
      const { location } = await loginThroughHostedPage(authUrl, { email, password });
      const { code, state } = client.auth.parseFromUrl(location);
      client.auth.setTokens(await client.auth.getMemberTokens(code, state, oauthData));
      assert.equal(client.auth.loggedIn(), true);
      return client;
    },
    collection: (name, { read = 'ANYONE', insert = 'ANYONE', update = 'ANYONE', remove = 'ANYONE' } = {}) => server.cli(
      'data', 'collections', 'create', name, '--project', creds.projectId,
      '--read', read, '--insert', insert, '--update', update, '--remove', remove),
  };
}

/** The data package's error: a plain Error with the server's details; the status read off the wire. */
export async function rejectsWithCode(promise, { code, status }) {
  let error;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  assert.ok(error, `expected ${code}, but the call succeeded`);
  assert.equal(error.details?.applicationError?.code, code, `${error.message} ${JSON.stringify(error.details)}`);
  assert.equal(lastStatus(), status);
  return error;
}
