// panva/oidc-provider as the Node peer of `make bench`: client_credentials only, clients static in
// memory, RFC 9068 JWT access tokens signed ES256 (through resource indicators, the way oidc-provider
// issues JWT access tokens), and N processes through node:cluster so it is comparable to our
// `--workers N`.
//
// Environment: BENCH_PORT (listen port, 127.0.0.1 only), BENCH_WORKERS (processes, default 2),
// BENCH_CLIENTS (JSON list of {client_id, client_secret}), BENCH_TOKEN_SECONDS (default 14400).
import cluster from 'node:cluster';
import crypto from 'node:crypto';
import process from 'node:process';

const port = Number(process.env.BENCH_PORT || 3000);
const workers = Number(process.env.BENCH_WORKERS || 2);
const tokenSeconds = Number(process.env.BENCH_TOKEN_SECONDS || 14400);

if (cluster.isPrimary) {
  // One signing key shared by every worker, like one issuer with one JWKS.
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'ES256', use: 'sig' };
  const env = { BENCH_SIGNING_JWK: JSON.stringify(jwk) };
  for (let i = 0; i < workers; i += 1) cluster.fork(env);
  let exiting = false;
  cluster.on('exit', (worker, code, signal) => {
    if (!exiting) {
      console.error(`oidc-provider worker ${worker.process.pid} died (${signal || code})`);
      exiting = true;
      process.exit(1);
    }
  });
  const stop = () => {
    exiting = true;
    for (const w of Object.values(cluster.workers)) w.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const { default: Provider } = await import('oidc-provider');
  const clients = JSON.parse(process.env.BENCH_CLIENTS || '[]').map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256', // the only key is P-256; no ID tokens are issued here anyway
  }));
  const resource = 'urn:oauthapps:bench';
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients,
    jwks: { keys: [JSON.parse(process.env.BENCH_SIGNING_JWK)] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'read',
          audience: resource,
          accessTokenTTL: tokenSeconds,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  provider.proxy = false;
  provider.listen(port, '127.0.0.1');
}
