// Test harness: a fresh oauthapps server per test file, and the CLI for credentials.
//
// startServer() spawns `oauthapps serve` on a free loopback port with a new SQLite database and
// OAUTHAPPS_DATA_DIR in a temporary directory, waits until GET /openapi.json answers, and points
// the fetch preload (redirect-fetch.mjs) at it through process.env.WIX_STUB. Call stop() from an
// after() hook.
//
// The server runs under a small sh watchdog, in its own process group, whose stdin is a pipe from
// this node process: when the pipe closes (stop(), a normal exit, a crash, even SIGKILL of this
// process or of the test runner) the watchdog sends the server SIGTERM. stop() also SIGKILLs the
// whole group if it has not gone within 10 s, so no server outlives a run, failed or not.

import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';

const execFileP = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
// compat/wix-sdk/lib -> repo root; override with OAUTHAPPS_BIN to test another install.
export const OAUTHAPPS_BIN = process.env.OAUTHAPPS_BIN || resolve(HERE, '..', '..', '..', '.venv', 'bin', 'oauthapps');
const START_TIMEOUT_MS = 60_000;
// `make compat` runs the suite once per database: COMPAT_DATABASE=sqlite (the default) or postgresql
// (a fresh database per server on the PostgreSQL that OAUTHAPPS_TEST_PG names, dropped on stop).
const DATABASE_KIND = process.env.COMPAT_DATABASE ?? 'sqlite';
const PG_ADMIN_URL = process.env.OAUTHAPPS_TEST_PG ?? 'postgresql://root@127.0.0.1:5432/test';
// On PostgreSQL the server seals its signing keys with a key from the environment (docs/security.md);
// one random key for this test process.
const KEY_ENCRYPTION_KEY = randomBytes(32).toString('base64');

async function pgAdmin(sql) {
  await execFileP('psql', [PG_ADMIN_URL, '-v', 'ON_ERROR_STOP=1', '-qc', sql]);
}

/** A fresh database for one server, and how to drop it. */
async function freshDatabase(dir) {
  if (DATABASE_KIND === 'sqlite') return { url: `sqlite:///${join(dir, 'db.sqlite')}`, drop: async () => {} };
  if (DATABASE_KIND !== 'postgresql') throw new Error(`COMPAT_DATABASE must be sqlite or postgresql, not ${DATABASE_KIND}`);
  const name = `compat_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await pgAdmin(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => pgAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {}) };
}

if (!globalThis.__wixRedirect) {
  throw new Error(
    'redirect-fetch.mjs is not preloaded: run `node --import ./redirect-fetch.mjs --test ...` ' +
      '(or NODE_OPTIONS=--import=<abs path>/redirect-fetch.mjs), so the SDK talks to the server under test',
  );
}
const realFetch = globalThis.__wixRedirect.realFetch;

function freePort() {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const running = new Set();

// $0 is the oauthapps executable, "$@" its arguments. The server's stdin is /dev/null; the
// watcher reads the pipe (fd 3) and stops the server at EOF. sh exits only once the server has.
const WATCHDOG = `
exec 3<&0 0</dev/null
"$0" "$@" 3<&- &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT HUP
{ read -r _ <&3; kill -TERM "$pid" 2>/dev/null; } &
exec 3<&-
wait "$pid"; status=$?
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; status=$?; done
exit "$status"
`;

const exited = (child) => child.pid === undefined || child.exitCode !== null || child.signalCode !== null;

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal); // the watchdog, the server and anything it forked
  } catch { /* the group is gone */ }
}

// A synchronous last resort for any server still registered when this process exits.
process.on('exit', () => {
  for (const s of running) {
    killGroup(s.child, 'SIGKILL');
    if (!process.env.KEEP_TMP) rmSync(s.dir, { recursive: true, force: true });
  }
});

export async function startServer({ attempts = 3 } = {}) {
  if (!existsSync(OAUTHAPPS_BIN)) {
    throw new Error(`${OAUTHAPPS_BIN} not found: run \`make setup\` in the repository root first`);
  }
  let lastError;
  for (let i = 0; i < attempts; i += 1) {
    try {
      return await startOnce();
    } catch (err) {
      lastError = err; // most likely the free port was taken in between; try another one
    }
  }
  throw lastError;
}

async function startOnce() {
  const dir = mkdtempSync(join(tmpdir(), 'oauthapps-wix-sdk-'));
  const port = await freePort();
  const database = await freshDatabase(dir);
  const databaseUrl = database.url;
  const env = { ...process.env, OAUTHAPPS_DATA_DIR: join(dir, 'data') };
  if (DATABASE_KIND === 'postgresql') env.OAUTHAPPS_KEY_ENCRYPTION_KEY ??= KEY_ENCRYPTION_KEY;
  delete env.NODE_OPTIONS;
  const logPath = join(dir, 'server.log');
  const logFd = openSync(logPath, 'a');
  const child = spawn('/bin/sh', ['-c', WATCHDOG, OAUTHAPPS_BIN, 'serve', '--port', String(port), '--database', databaseUrl], {
    env, detached: true, stdio: ['pipe', logFd, logFd],
  });
  closeSync(logFd);
  child.stdin.on('error', () => {}); // EPIPE if the watchdog is already gone
  child.unref(); // a forgotten server must not keep the test process alive (the pipe stops it)
  child.stdin.unref?.();
  const baseUrl = `http://127.0.0.1:${port}`;
  const log = () => { try { return readFileSync(logPath, 'utf8'); } catch { return ''; } };
  let stopped;
  const server = {
    baseUrl, databaseUrl, dir, env, child, log,
    /** Run the oauthapps CLI against this server's database; returns parsed --json output. */
    cli: (...args) => cliJson(args, databaseUrl, env),
    async stop() {
      stopped ??= (async () => {
        child.stdin.end(); // the watchdog sends the server SIGTERM and exits once it has stopped
        const deadline = Date.now() + 10_000;
        while (!exited(child) && Date.now() < deadline) await sleep(50);
        killGroup(child, 'SIGKILL'); // whatever is left, always
        const hard = Date.now() + 10_000;
        while (!exited(child) && Date.now() < hard) await sleep(20);
        running.delete(server);
        await database.drop();
        if (!process.env.KEEP_TMP) rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  running.add(server);
  let spawnError;
  child.on('error', (err) => { spawnError = err; });
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      if (spawnError) throw spawnError;
      if (exited(child)) {
        throw new Error(`oauthapps serve exited (${child.exitCode ?? child.signalCode}):\n${log()}`);
      }
      try {
        const res = await realFetch(`${baseUrl}/openapi.json`, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) { await res.arrayBuffer(); break; }
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`oauthapps serve did not answer within ${START_TIMEOUT_MS} ms:\n${log()}`);
      await sleep(100);
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  process.env.WIX_STUB = baseUrl; // read by redirect-fetch.mjs on every request
  return server;
}

async function cliJson(args, databaseUrl, env) {
  const argv = [...args, '--json', '--database', databaseUrl];
  try {
    const { stdout } = await execFileP(OAUTHAPPS_BIN, argv, { env, timeout: 60_000 });
    return JSON.parse(stdout);
  } catch (err) {
    throw new Error(`oauthapps ${argv.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** A project with an app that holds only `scopes`, installed on it. */
export async function installedApp(server, name, scopes) {
  const { projectId, apiKey } = await server.cli('projects', 'create', `${name} project`);
  const scopeArgs = scopes.flatMap((s) => ['--scope', s]);
  const { appId, appSecret } = await server.cli('apps', 'create', name, ...scopeArgs);
  const { instanceId } = await server.cli('apps', 'install', appId, '--project', projectId);
  return { projectId, apiKey, appId, appSecret, instanceId };
}

/** Requests the SDK sent (through the preload) since `mark`, as "METHOD host/path?query". */
export function requestsSince(mark) {
  return globalThis.__wixRedirect.seen.slice(mark);
}
export function requestMark() {
  return globalThis.__wixRedirect.seen.length;
}
