// Driving oauthapps' hosted login page (GET/POST /oauth2/authorize) over plain HTTP, the way a
// browser without JavaScript would: load the page the SDK's authUrl points at, keep its cookies
// (the `oauthapps_csrf` double-submit cookie, then the `oauthapps_session` cookie), copy the
// hidden inputs, add email/password/action, post the form, and read the redirect's Location
// without following it. Requests go straight to the server (the server's own URLs are loopback,
// so the fetch preload leaves them alone).

import assert from 'node:assert/strict';

const realFetch = globalThis.__wixRedirect?.realFetch ?? globalThis.fetch;

/** A minimal cookie jar: name -> value, honouring deletions (Max-Age=0 / past Expires). */
export class CookieJar {
  constructor() { this.cookies = new Map(); }

  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get(name) { return this.cookies.get(name); }

  set(name, value) { this.cookies.set(name, value); }

  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1).replace(/^"(.*)"$/, '$1');
      const expired = attrs.some((a) => /^max-age=0$/i.test(a))
        || attrs.some((a) => /^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now());
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  clone() {
    const jar = new CookieJar();
    for (const [k, v] of this.cookies) jar.set(k, v);
    return jar;
  }
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function unescapeHtml(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ent) => {
    if (ent[0] === '#') {
      const code = ent[1] === 'x' || ent[1] === 'X' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return ENTITIES[ent.toLowerCase()] ?? whole;
  });
}

function attr(tag, name) {
  const m = tag.match(new RegExp(`\\s${name}="([^"]*)"`, 'i'));
  return m ? unescapeHtml(m[1]) : undefined;
}

/** The login form's action and its hidden inputs (name -> value). */
export function parseLoginForm(html) {
  const form = html.match(/<form\b[^>]*>/i);
  assert.ok(form, `no <form> in the page:\n${html.slice(0, 2000)}`);
  const action = attr(form[0], 'action');
  const method = (attr(form[0], 'method') || 'get').toLowerCase();
  const hidden = {};
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    if ((attr(m[0], 'type') || '').toLowerCase() !== 'hidden') continue;
    hidden[attr(m[0], 'name')] = attr(m[0], 'value') ?? '';
  }
  return { action, method, hidden };
}

/** GET `url` with the jar's cookies, without following redirects. */
export async function visit(url, jar = new CookieJar()) {
  const res = await realFetch(url, { redirect: 'manual', headers: jar.header() ? { cookie: jar.header() } : {} });
  jar.store(res);
  const body = await res.text();
  return { status: res.status, location: res.headers.get('location'), body, headers: res.headers };
}

/**
 * Open `authUrl` (the SDK's redirect-session fullUrl), fill in the hosted form and submit it.
 * Returns {status, location, body, page} where `location` is where the browser would go next
 * (the redirect URI with code/state/iss, or with error=...).
 */
export async function submitHostedLogin(authUrl, { email, password, action = 'login', jar = new CookieJar() }) {
  const page = await visit(authUrl, jar);
  assert.equal(page.status, 200, `the hosted login page should render, got ${page.status} ${page.location ?? ''}\n${page.body.slice(0, 500)}`);
  assert.ok(jar.get('oauthapps_csrf'), 'the page sets the double-submit CSRF cookie');
  const form = parseLoginForm(page.body);
  assert.equal(form.method, 'post');
  assert.equal(form.hidden.csrf_token, jar.get('oauthapps_csrf'), 'hidden csrf_token matches the cookie');
  const body = new URLSearchParams({ ...form.hidden, email, password, action });
  if (action === 'register') body.set('mode', 'register');
  const res = await realFetch(new URL(form.action, authUrl), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    body,
  });
  jar.store(res);
  return { status: res.status, location: res.headers.get('location'), body: await res.text(), page, jar };
}

/** submitHostedLogin that must succeed: returns the redirect Location. */
export async function loginThroughHostedPage(authUrl, credentials) {
  const result = await submitHostedLogin(authUrl, credentials);
  assert.equal(result.status, 303, `the login form should redirect (303), got ${result.status}:\n${result.body.slice(0, 800)}`);
  assert.ok(result.location, 'a Location header');
  return result;
}

/**
 * Follow the SDK's logoutUrl as a browser sent there from the site: with a hosted session, the
 * server asks to confirm (a cross-site GET may not end a session), and the page's button posts
 * the form back with its CSRF token. Returns {status, location, body, page} of the post.
 */
export async function confirmLogout(logoutUrl, jar) {
  const page = await visit(logoutUrl, jar);
  assert.equal(page.status, 200, `the logout URL should ask to confirm, got ${page.status} ${page.location ?? ''}`);
  const form = parseLoginForm(page.body);
  assert.equal(form.method, 'post');
  assert.ok(form.hidden.csrf_token, 'the confirmation form carries a CSRF token');
  const res = await realFetch(new URL(form.action, logoutUrl), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    body: new URLSearchParams(form.hidden),
  });
  jar.store(res);
  return { status: res.status, location: res.headers.get('location'), body: await res.text(), page };
}
