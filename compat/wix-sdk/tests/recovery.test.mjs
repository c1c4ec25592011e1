// Password reset and email verification with the unmodified SDK. The server runs with the
// development outbox (no SMTP server), so the mails are read with `oauthapps mail list --json`.
// - sendPasswordResetEmail(email, redirectUri) → a mail with a link → the hosted page sets a new
//   password → back to redirectUri; the old password and the member's tokens stop working.
// - With --require-email-verification: register() → EMAIL_VERIFICATION_REQUIRED →
//   processVerification({verificationCode}) with the mailed code → SUCCESS → member tokens.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiKeyStrategy, OAuthStrategy, createClient } from '@wix/sdk';
import { oAuthApps } from '@wix/auth-management';
import { members } from '@wix/members';
import { startServer } from '../lib/server.mjs';
import { CookieJar, parseLoginForm, visit } from '../lib/hosted-login.mjs';

const CALLBACK = 'http://localhost:3000/callback';
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';
const realFetch = globalThis.__wixRedirect.realFetch;

let server;
let creds;
let oauthApp;

const newClient = () => createClient({ auth: OAuthStrategy({ clientId: oauthApp._id }), modules: { members } });

/** The newest mail of a template to `to`, from the development outbox (waits for it to be queued). */
async function mailTo(to, template, count = 1) {
  for (let i = 0; i < 100; i++) {
    const mails = (await server.cli('mail', 'list', '--project', creds.projectId)).filter((m) => m.to === to && m.template === template);
    if (mails.length >= count) return mails[0];
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`no ${template} mail to ${to}`);
}

async function signIn(client, result) {
  assert.equal(result.loginState, 'SUCCESS', JSON.stringify(result));
  const oauthData = client.auth.generateOAuthData(CALLBACK);
  const { authUrl } = await client.auth.getAuthUrl(oauthData, { sessionToken: result.data.sessionToken, prompt: 'none' });
  const parsed = client.auth.parseFromUrl((await visit(authUrl)).location);
  client.auth.setTokens(await client.auth.getMemberTokens(parsed.code, parsed.state, oauthData));
  return (await client.members.getCurrentMember()).member;
}

before(async () => {
  server = await startServer();
  creds = await server.cli('demo');
  const owner = createClient({ auth: ApiKeyStrategy({ apiKey: creds.apiKey, siteId: creds.projectId }), modules: { oAuthApps } });
  oauthApp = await owner.oAuthApps.createOAuthApp({ name: 'Recovery site', allowedRedirectUris: [CALLBACK] });
});
after(async () => { await server?.stop(); });

test('sendPasswordResetEmail: the mailed link sets a new password, then returns to redirectUri', async () => {
  const member = newClient();
  const me = await signIn(member, await member.auth.register({ email: 'ria@example.com', password: PASSWORD }));
  const tokensBefore = member.auth.getTokens();

  const site = newClient();
  assert.equal(await site.auth.sendPasswordResetEmail('ria@example.com', CALLBACK), undefined);
  assert.equal(await site.auth.sendPasswordResetEmail('nobody@example.com', CALLBACK), undefined); // the same answer
  const mail = await mailTo('ria@example.com', 'password_reset');
  assert.ok(!mail.text.includes(PASSWORD));
  const [link] = mail.text.match(/http\S+\/oauth2\/reset-password\?\S+/);

  const jar = new CookieJar();
  const page = await visit(link, jar);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  const form = parseLoginForm(page.body);
  const done = await realFetch(new URL(form.action, link), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    body: new URLSearchParams({ ...form.hidden, password: NEW_PASSWORD, password_confirmation: NEW_PASSWORD }),
  });
  assert.equal(done.status, 303);
  assert.equal(done.headers.get('location'), CALLBACK);
  assert.equal((await visit(link)).status, 400); // single use

  const old = await newClient().auth.login({ email: 'ria@example.com', password: PASSWORD });
  assert.equal(old.loginState, 'FAILURE');
  const again = newClient();
  assert.equal((await signIn(again, await again.auth.login({ email: 'ria@example.com', password: NEW_PASSWORD })))._id, me._id);
  const stale = newClient();
  stale.auth.setTokens({ ...tokensBefore, accessToken: { value: tokensBefore.accessToken.value, expiresAt: 0 } });
  await assert.rejects(stale.members.getCurrentMember()); // the refresh token was revoked
});

test('register() → EMAIL_VERIFICATION_REQUIRED → processVerification({verificationCode}) → SUCCESS', async () => {
  const settings = await server.cli('projects', 'update', creds.projectId, '--require-email-verification');
  assert.equal(settings.requireEmailVerification, true);
  const client = newClient();
  const started = await client.auth.register({ email: 'vic@example.com', password: PASSWORD });
  assert.equal(started.loginState, 'EMAIL_VERIFICATION_REQUIRED', JSON.stringify(started));
  assert.match(started.data.stateToken, /^oavs_/);
  const code = (await mailTo('vic@example.com', 'email_verification')).text.match(/^(\d{6})$/m)[1];

  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  await assert.rejects(client.auth.processVerification({ verificationCode: wrong }), (err) => {
    assert.equal(err.details.applicationError.code, 'VERIFICATION_CODE_INVALID');
    return true;
  });
  const done = await client.auth.processVerification({ verificationCode: code });
  const member = await signIn(client, done);
  assert.equal(member.loginEmail, 'vic@example.com');
  assert.equal(member.loginEmailVerified, true);

  // An unverified member's login() asks for a code too; a verified one's does not.
  const later = newClient();
  assert.equal((await later.auth.login({ email: 'vic@example.com', password: PASSWORD })).loginState, 'SUCCESS');
  await server.cli('members', 'create', '--project', creds.projectId, '--email', 'uma@example.com', '--password', PASSWORD);
  const uma = newClient();
  const asked = await uma.auth.login({ email: 'uma@example.com', password: PASSWORD });
  assert.equal(asked.loginState, 'EMAIL_VERIFICATION_REQUIRED');
  const umaCode = (await mailTo('uma@example.com', 'email_verification')).text.match(/^(\d{6})$/m)[1];
  assert.equal((await signIn(uma, await uma.auth.processVerification({ code: umaCode }))).loginEmailVerified, true);
  await server.cli('projects', 'update', creds.projectId, '--no-require-email-verification');
});
