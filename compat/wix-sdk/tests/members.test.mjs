// @wix/members write calls and owner approval, with the unmodified SDK: a member signed in with
// OAuthStrategy edits her profile (updateMember) and slug (updateCurrentMemberSlug) and no one
// else's; the owner (ApiKeyStrategy) and an app with SCOPE.MEMBERS.MANAGE (AppStrategy) create,
// query, approve, block and delete members. With owner approval on, register() and login() say
// OWNER_APPROVAL_REQUIRED until the owner approves; blocking cuts the member's tokens off.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiKeyStrategy, AppStrategy, OAuthStrategy, createClient } from '@wix/sdk';
import { oAuthApps } from '@wix/auth-management';
import { members } from '@wix/members';
import { startServer } from '../lib/server.mjs';
import { visit } from '../lib/hosted-login.mjs';
import { rejectsWithSdkError } from '../lib/assertions.mjs';

const CALLBACK = 'http://localhost:3000/callback';
const PASSWORD = 'correct horse battery';

let server;
let creds;
let owner;
let manager;
let oauthApp;

const newClient = () => createClient({ auth: OAuthStrategy({ clientId: oauthApp._id }), modules: { members } });

/** register() (or login()) → sessionToken → getAuthUrl({sessionToken, prompt: 'none'}) → tokens. */
async function signIn(client, result) {
  assert.equal(result.loginState, 'SUCCESS', JSON.stringify(result));
  const oauthData = client.auth.generateOAuthData(CALLBACK);
  const { authUrl } = await client.auth.getAuthUrl(oauthData, { sessionToken: result.data.sessionToken, prompt: 'none' });
  const parsed = client.auth.parseFromUrl((await visit(authUrl)).location);
  client.auth.setTokens(await client.auth.getMemberTokens(parsed.code, parsed.state, oauthData));
  return (await client.members.getCurrentMember()).member;
}

async function newMember(email, nickname) {
  const client = newClient();
  const member = await signIn(client, await client.auth.register({ email, password: PASSWORD, profile: { nickname } }));
  return { client, member };
}

before(async () => {
  server = await startServer();
  creds = await server.cli('demo');
  const ownerAuth = ApiKeyStrategy({ apiKey: creds.apiKey, siteId: creds.projectId });
  owner = createClient({ auth: ownerAuth, modules: { oAuthApps, members } });
  oauthApp = await owner.oAuthApps.createOAuthApp({ name: 'Members site', allowedRedirectUris: [CALLBACK] });
  const { appId, appSecret } = await server.cli('apps', 'create', 'Member manager', '--scope', 'SCOPE.MEMBERS.MANAGE');
  const { instanceId } = await server.cli('apps', 'install', appId, '--project', creds.projectId);
  manager = createClient({ auth: AppStrategy({ appId, appSecret, instanceId }), modules: { members } });
});
after(async () => { await server?.stop(); });

test('updateMember: a member changes her own profile; another member and a visitor cannot', async () => {
  const { client: ada, member } = await newMember('ada@example.com', 'Ada');
  const updated = await ada.members.updateMember(member._id, {
    profile: { nickname: 'Ada L.', photo: { url: 'https://img.example.com/ada.png' } },
    contact: { firstName: 'Ada', lastName: 'Lovelace' },
  });
  assert.equal(updated._id, member._id);
  assert.equal(updated.profile.nickname, 'Ada L.');
  assert.equal(updated.profile.photo.url, 'https://img.example.com/ada.png');
  assert.equal(updated.contact.lastName, 'Lovelace');
  assert.ok(updated._updatedDate instanceof Date);
  assert.equal((await ada.members.getCurrentMember()).member.contact.firstName, 'Ada');

  await rejectsWithSdkError(ada.members.updateMember(member._id, { profile: { photo: { url: 'javascript:alert(1)' } } }),
    { status: 400, validation: true });
  const { client: lin, member: linMember } = await newMember('lin@example.com', 'Lin');
  await rejectsWithSdkError(lin.members.updateMember(member._id, { profile: { nickname: 'Hijacked' } }),
    { status: 403, code: 'MEMBER_TOKEN_REQUIRED' });
  const visitor = newClient();
  visitor.auth.setTokens(await visitor.auth.generateVisitorTokens());
  await rejectsWithSdkError(visitor.members.updateMember(linMember._id, { profile: { nickname: 'x' } }), { status: 403 });
});

test('updateCurrentMemberSlug: her own slug, unique in the project (409 SLUG_ALREADY_EXISTS)', async () => {
  const { client: grace } = await newMember('grace@example.com', 'Grace');
  const { member } = await grace.members.updateCurrentMemberSlug('grace-hopper');
  assert.equal(member.profile.slug, 'grace-hopper');
  const { client: alan } = await newMember('alan@example.com', 'Alan');
  const taken = await rejectsWithSdkError(alan.members.updateCurrentMemberSlug('grace-hopper'), { status: 409, code: 'SLUG_ALREADY_EXISTS' });
  assert.deepEqual(taken.details.applicationError.data, { slug: 'grace-hopper' });
  await rejectsWithSdkError(alan.members.updateCurrentMemberSlug('Not A Slug'), { status: 400, validation: true });
});

test('createMember, queryMembers, blockMember, approveMember, deleteMember as the owner and as an app with SCOPE.MEMBERS.MANAGE', async () => {
  const created = await owner.members.createMember({ member: { loginEmail: 'kay@example.com', profile: { nickname: 'Kay' } } });
  assert.equal(created.loginEmail, 'kay@example.com');
  assert.equal(created.status, 'APPROVED');
  const byApp = await manager.members.createMember({ member: { loginEmail: 'kim@example.com', profile: { nickname: 'Kim' } } });

  const page = await manager.members.queryMembers().startsWith('profile.nickname', 'K').limit(1).find();
  assert.equal(page.items.length, 1);
  assert.equal(page.totalCount, 2);
  assert.equal(page.hasNext(), true);
  const rest = await page.next();
  assert.deepEqual([...page.items, ...rest.items].map((m) => m.loginEmail).sort(), ['kay@example.com', 'kim@example.com']);
  const byEmail = await owner.members.queryMembers().eq('loginEmail', 'kim@example.com').find();
  assert.deepEqual(byEmail.items.map((m) => m._id), [byApp._id]);

  const blocked = await manager.members.blockMember(byApp._id);
  assert.equal(blocked.member.status, 'BLOCKED');
  const blockedOnes = await owner.members.queryMembers().eq('status', 'BLOCKED').find();
  assert.deepEqual(blockedOnes.items.map((m) => m._id), [byApp._id]);
  assert.equal((await owner.members.approveMember(byApp._id)).member.status, 'APPROVED');

  assert.deepEqual(await owner.members.deleteMember(created._id), {});
  await rejectsWithSdkError(owner.members.getMember(created._id), { status: 404, code: 'MEMBER_NOT_FOUND' });

  // A member is not an admin.
  const { client: member } = await newMember('not-admin@example.com', 'Nope');
  await rejectsWithSdkError(member.members.blockMember(byApp._id), { status: 403, code: 'ADMIN_REQUIRED' });
  await rejectsWithSdkError(member.members.queryMembers().find(), { status: 403, code: 'ADMIN_REQUIRED' });
});

test('owner approval: register() and login() → OWNER_APPROVAL_REQUIRED until approved; blockMember cuts tokens off', async () => {
  await server.cli('projects', 'update', creds.projectId, '--require-owner-approval');
  const client = newClient();
  const waiting = await client.auth.register({ email: 'new@example.com', password: PASSWORD });
  assert.deepEqual(waiting, { loginState: 'OWNER_APPROVAL_REQUIRED' });
  assert.deepEqual(await client.auth.login({ email: 'new@example.com', password: PASSWORD }), { loginState: 'OWNER_APPROVAL_REQUIRED' });
  const [pending] = (await owner.members.queryMembers().eq('loginEmail', 'new@example.com').find()).items;
  assert.equal(pending.status, 'PENDING');

  await owner.members.approveMember(pending._id);
  const member = await signIn(client, await client.auth.login({ email: 'new@example.com', password: PASSWORD }));
  assert.equal(member.status, 'APPROVED');

  await owner.members.blockMember(pending._id);
  await assert.rejects(client.members.getCurrentMember());
  const refused = await newClient().auth.login({ email: 'new@example.com', password: PASSWORD });
  assert.equal(refused.loginState, 'FAILURE');
  await server.cli('projects', 'update', creds.projectId, '--no-require-owner-approval');
});
