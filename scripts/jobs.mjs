// `npm run jobs [-- --workers N]`: starts N more jobs workers (default 1), each its own process,
// on the same databases as `npm start` (or whatever .env / the environment says), for scale-out.
// Each listens on a free port for /health, /ready and /metrics; Ctrl-C stops them gracefully.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
if (existsSync('.env')) process.loadEnvFile('.env');

const flag = process.argv.indexOf('--workers');
const count = flag >= 0 ? Number(process.argv[flag + 1]) : 1;
if (!Number.isInteger(count) || count < 1 || count > 64) {
  console.error('npm run jobs: --workers takes a whole number from 1 to 64.');
  process.exit(2);
}
if (!existsSync('jobs/dist/main.js')) {
  console.error('npm run jobs: build first (npm run build, or npm start once).');
  process.exit(1);
}

const children = new Set();
for (let i = 0; i < count; i++) {
  // Each in its own process group, so Ctrl-C reaches only this script, which stops them once, gracefully.
  const child = spawn(process.execPath, ['jobs/dist/main.js'], {
    env: { ...process.env, JOBS_PORT: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  children.add(child);
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (code !== 0 && signal !== 'SIGTERM')
      console.error(`npm run jobs: worker ${child.pid} exited (${signal ?? `exit ${code}`}).`);
    if (children.size === 0) process.exit(0);
  });
}
const stop = () => children.forEach((child) => child.kill('SIGTERM'));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
