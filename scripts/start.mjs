// `npm start`: builds what changed, then runs every service as its own process on embedded
// defaults (or whatever .env / the environment says), and stops them all on Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

const env = { ...process.env };
// Subgraphs answer only requests carrying this, so nothing can reach them around the gateway.
env.GATEWAY_SECRET ??= randomBytes(24).toString('hex');
const port = (name, fallback) => Number(env[name] ?? fallback);

const services = [
  { name: 'content', script: 'subgraphs/content/dist/main.js', port: port('CONTENT_PORT', 4001) },
  { name: 'media', script: 'subgraphs/media/dist/main.js', port: port('MEDIA_PORT', 4002) },
  { name: 'search', script: 'subgraphs/search/dist/main.js', port: port('SEARCH_PORT', 4003) },
  { name: 'jobs', script: 'jobs/dist/main.js', port: port('JOBS_PORT', 4010), after: ['media'] },
  { name: 'gateway', script: 'gateway/dist/main.js', port: port('GATEWAY_PORT', 4000), after: ['content', 'media', 'search'] },
];
const width = Math.max(...services.map((s) => s.name.length));
const running = new Map();
let stopping = false;

function start(service) {
  const child = spawn(process.execPath, [service.script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const record = { child, log: [], ready: false };
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
  child.on('exit', (code, signal) => {
    running.delete(service.name);
    if (stopping) return;
    console.error(`\nnpm start: ${service.name} ${record.ready ? 'died' : 'failed to start'} (${signal ?? `exit ${code}`}). Its last lines:`);
    console.error(record.log.slice(-40).join('\n'));
    shutdown(1);
  });
  running.set(service.name, record);
  return record;
}

async function waitHealthy(service, record, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && running.has(service.name)) {
    const ok = await fetch(`http://127.0.0.1:${service.port}/health`).then((r) => r.ok, () => false);
    if (ok) {
      record.ready = true;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  if (running.has(service.name)) {
    console.error(`npm start: ${service.name} did not answer /health on port ${service.port} within ${timeoutMs / 1000} s.`);
    shutdown(1);
  }
}

function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const { child } of running.values()) child.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const { child } of running.values()) child.kill('SIGKILL');
  }, 15_000);
  const check = setInterval(() => {
    if (running.size === 0) {
      clearInterval(check);
      clearTimeout(force);
      process.exit(code);
    }
  }, 50);
}

process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

const first = services.filter((s) => !s.after);
await Promise.all(first.map((s) => waitHealthy(s, start(s))));
for (const service of services.filter((s) => s.after)) {
  if (stopping) break;
  await waitHealthy(service, start(service));
}
if (!stopping) {
  const publicUrl = env.PUBLIC_URL ?? `http://localhost:${port('GATEWAY_PORT', 4000)}`;
  console.log(`\nLearnhub is running: ${publicUrl}/graphql (Apollo Sandbox in the browser). Ctrl-C stops everything.\n`);
}
