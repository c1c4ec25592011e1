// Preload (node --import ./redirect-fetch.mjs) that sends every *.wixapis.com request to the
// server under test at $WIX_STUB (e.g. http://127.0.0.1:8787), keeping path and query, as
// docs/wire-protocol.md#hosts-and-paths describes. The @wix/sdk code is used unmodified: it looks up the global
// fetch at call time, so its hard-coded https://www.wixapis.com (and edge.wixapis.com) calls,
// token requests included, arrive at our server.
//
// WIX_STUB is read on every request, so a test file may start its server first and then set
// process.env.WIX_STUB. The original host is sent as x-original-host, and every redirected
// request is recorded in globalThis.__wixRedirect.seen ("METHOD host/path?query").

const DEFAULT_TARGET = 'http://127.0.0.1:8787';
const WIX_HOST = /(^|\.)wixapis\.com$/;

if (!globalThis.__wixRedirect) {
  const realFetch = globalThis.fetch;
  const seen = [];
  globalThis.__wixRedirect = { seen, realFetch };
  globalThis.fetch = async (input, init = {}) => {
    const isRequest = typeof Request !== 'undefined' && input instanceof Request;
    const url = typeof input === 'string' || input instanceof URL ? String(input) : input.url;
    const u = new URL(url);
    if (!WIX_HOST.test(u.hostname)) return realFetch(input, init);
    const target = process.env.WIX_STUB || DEFAULT_TARGET;
    const headers = new Headers(init.headers || (isRequest ? input.headers : undefined));
    headers.set('x-original-host', u.host);
    const method = init.method || (isRequest ? input.method : 'GET');
    seen.push(`${method} ${u.host}${u.pathname}${u.search}`);
    const redirected = new URL(u.pathname + u.search, target);
    if (isRequest) {
      // Keep the Request's method and body; init (if any) still overrides.
      const body = input.body ?? undefined;
      return realFetch(redirected, { method, body, ...(body ? { duplex: 'half' } : {}), ...init, headers });
    }
    return realFetch(redirected, { ...init, headers });
  };
}

export const seen = globalThis.__wixRedirect.seen;
