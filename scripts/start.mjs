// `npm start`: builds what changed, then supervises every service as its own process on embedded
// defaults (or whatever .env / the environment says): restarts one that crashes, and stops them
// all, one SIGTERM each, on Ctrl-C, SIGTERM or SIGHUP.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
if (existsSync('.env')) process.loadEnvFile('.env');

// `--no-build` skips the build for callers that have just built (the start command's own test).
if (!process.argv.includes('--no-build')) {
  const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('npm start: the build failed (see above).');
    process.exit(1);
  }
}

const env = { ...process.env, LEARNHUB_SUPERVISED: '1' };
// Subgraphs answer only requests carrying this, so nothing can reach them around the gateway. It
// is kept in DATA_DIR so that CLIs run beside `npm start` (e.g. `npm run reindex`) read the same.
env.GATEWAY_SECRET ??= await gatewaySecret(resolve(env.DATA_DIR ?? '.data'));
const port = (setting, fallback) => ({ setting, value: Number(env[setting] ?? fallback) });

const services = [
  { name: 'content', script: 'subgraphs/content/dist/main.js', port: port('CONTENT_PORT', 4001) },
  { name: 'media', script: 'subgraphs/media/dist/main.js', port: port('MEDIA_PORT', 4002) },
  { name: 'search', script: 'subgraphs/search/dist/main.js', port: port('SEARCH_PORT', 4003) },
  // Jobs work the tables content and media own; those migrate them as they start.
  { name: 'jobs', script: 'jobs/dist/main.js', port: port('JOBS_PORT', 4010), after: ['content', 'media'] },
  {
    name: 'gateway',
    script: 'gateway/dist/main.js',
    port: port('GATEWAY_PORT', 4000),
    after: ['content', 'media', 'search'],
  },
];
const width = Math.max(...services.map((s) => s.name.length));
const running = new Map();
const restartTimers = new Set();
let stopping = false;
let up = false;

const FIRST_RESTART_MS = 1_000;
const MAX_RESTART_MS = 30_000;
// A child that stayed healthy this long is over whatever made it crash: its next restart is quick again.
const HEALTHY_RESET_MS = 60_000;
// Each child has SHUTDOWN_GRACE_MS to stop on its own; this is how much longer we wait before SIGKILL.
const stopGraceMs = Number(env.SHUTDOWN_GRACE_MS ?? 10_000) + 5_000;

function refuse(problem) {
  console.error(problem);
  process.exit(1);
}

async function gatewaySecret(dataDir) {
  // Imported once built: the rule for the file is the one every service's config applies.
  const { gatewaySecretFile, readGatewaySecretFile } = await import('@learnhub/platform/config');
  const { secret, problem } = readGatewaySecretFile(dataDir);
  if (problem) refuse(`npm start: ${problem}`);
  if (secret) return secret;
  mkdirSync(dataDir, { recursive: true });
  const generated = randomBytes(24).toString('hex');
  writeFileSync(gatewaySecretFile(dataDir), `${generated}\n`, { mode: 0o600, flag: 'wx' });
  return generated;
}

/** Why `port` cannot serve, or undefined: in use, out of range, or refused by fetch (the gateway's and our health checks' client). */
async function portProblem({ setting, value }) {
  const where = `npm start: port ${env[setting] ?? value} (${setting})`;
  if (!Number.isInteger(value) || value < 1 || value > 65535) return `${where} is not a port number from 1 to 65535.`;
  const refused = await fetch(`http://127.0.0.1:${value}/`, { signal: AbortSignal.timeout(2_000) }).then(
    () => false,
    (error) => error.cause?.message === 'bad port',
  );
  if (refused)
    return `${where} is one Node's fetch refuses to call (a "bad port" of the Fetch standard): choose another.`;
  const inUse = await new Promise((done) => {
    const probe = createServer();
    probe.once('error', (error) => done(error.code === 'EADDRINUSE'));
    probe.listen(value, () => probe.close(() => done(false)));
  });
  if (inUse) return `${where} is in use by another process.`;
  return undefined;
}

function start(service, previous) {
  // Its own process group, so a terminal's Ctrl-C reaches only us and each child gets one SIGTERM;
  // stdin is a pipe we hold, so the child stops on its own if we are killed outright.
  const child = spawn(process.execPath, [service.script], { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const record = { child, log: [], ready: false, healthySince: 0, restartMs: previous?.restartMs ?? FIRST_RESTART_MS };
  const relay = (stream, out) => {
    let pending = '';
    stream.on('data', (chunk) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop();
      for (const line of lines) {
        record.log.push(line);
        if (record.log.length > 200) record.log.shift();
        out.write(`${service.name.padEnd(width)} | ${line}\n`);
      }
    });
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  child.stdin.on('error', () => {});
  child.on('exit', (code, signal) => {
    running.delete(service.name);
    if (stopping) return;
    const how = signal ?? `exit ${code}`;
    console.error(
      `\nnpm start: ${service.name} ${record.ready ? 'died' : 'failed to start'} (${how}). Its last lines:`,
    );
    console.error(record.log.slice(-40).join('\n'));
    if (!up) return shutdown(1);
    const stayedHealthy = record.ready && Date.now() - record.healthySince >= HEALTHY_RESET_MS;
    restart(service, stayedHealthy ? FIRST_RESTART_MS : record.restartMs);
  });
  running.set(service.name, record);
  console.log(`npm start: started ${service.name} (pid ${child.pid})`);
  return record;
}

/** Starts `service` again after `delay` once its port is free; each try after that waits twice as long, up to MAX_RESTART_MS. */
function restart(service, delay) {
  console.error(`npm start: restarting ${service.name} in ${delay / 1000} s; the others keep serving.\n`);
  const timer = setTimeout(async () => {
    restartTimers.delete(timer);
    const next = Math.min(delay * 2, MAX_RESTART_MS);
    const problem = await portProblem(service.port);
    if (stopping) return;
    if (problem) {
      console.error(problem);
      return restart(service, next);
    }
    if (await waitHealthy(service, start(service, { restartMs: next })))
      console.log(`npm start: ${service.name} is back.`);
  }, delay);
  restartTimers.add(timer);
}

/**
 * Starts `service` during start-up once its port is still free (something may have taken it while
 * the others started) and resolves true when it answers /health; otherwise stops everything.
 */
async function bringUp(service) {
  const problem = await portProblem(service.port);
  if (stopping) return false;
  if (problem) {
    console.error(problem);
    shutdown(1);
    return false;
  }
  return waitHealthy(service, start(service));
}

/** Resolves true once this very child answers /health; false if it exits or the deadline passes. */
async function waitHealthy(service, record, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  const alive = () => record.child.exitCode === null && record.child.signalCode === null && !stopping;
  while (Date.now() < deadline && alive()) {
    const ok = await fetch(`http://127.0.0.1:${service.port.value}/health`, {
      signal: AbortSignal.timeout(5_000),
    }).then(
      (r) => r.ok,
      () => false,
    );
    // The port was free just before the child started, so an answer is the child's, if it is still alive.
    if (ok && alive()) {
      record.ready = true;
      record.healthySince = Date.now();
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  if (alive()) {
    console.error(
      `npm start: ${service.name} did not answer /health on port ${service.port.value} within ${timeoutMs / 1000} s.`,
    );
    if (!up) shutdown(1);
  }
  return false;
}

function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const timer of restartTimers) clearTimeout(timer);
  for (const { child } of running.values()) child.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const { child } of running.values()) child.kill('SIGKILL');
  }, stopGraceMs);
  const check = setInterval(() => {
    if (running.size === 0) {
      clearInterval(check);
      clearTimeout(force);
      process.exit(code);
    }
  }, 50);
}

// One signal may arrive twice (a terminal's Ctrl-C reaches npm, which passes it on, and us): any
// after the first are ignored; a service stuck in its shutdown is killed when the grace runs out.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => shutdown(0));
// npm runs us through `sh -c`; should that shell or npm die without passing a signal on (SIGKILL),
// we are re-parented: stop the services rather than leave them serving with nobody to stop them.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && shutdown(0), 500).unref();
// The terminal or npm may be gone; writing to a closed stdout must not kill us before the children stop.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

const problems = (await Promise.all(services.map((s) => portProblem(s.port)))).filter(Boolean);
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}

const first = services.filter((s) => !s.after);
await Promise.all(first.map(bringUp));
for (const service of services.filter((s) => s.after)) {
  if (stopping) break;
  await bringUp(service);
}
if (!stopping) {
  up = true;
  const publicUrl = env.PUBLIC_URL ?? `http://localhost:${port('GATEWAY_PORT', 4000).value}`;
  console.log(
    `\nLearnhub is running: ${publicUrl}/ (the web console), ${publicUrl}/graphql (Apollo Sandbox in the browser). Ctrl-C stops everything.\n`,
  );
}
