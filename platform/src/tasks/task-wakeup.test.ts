import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Logger } from '../logger';
import { backendUrl } from '../testing/backends';
import { TcpProxy } from '../testing/tcp-proxy';
import { waitUntil } from '../testing/wait-until';
import { sqliteWakeupDirectory, TaskWakeup } from './task-wakeup';

/** Generous: a wake-up normally arrives within milliseconds; this only bounds a failing test. */
const DEADLINE_MS = 10_000;
const compiledModule = require.resolve('./task-wakeup');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A logger that remembers its warnings, to check that failures are reported rather than thrown. */
function recordingLogger() {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  const log = {
    warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }),
    info: () => {},
    debug: () => {},
    child: () => log,
  } as unknown as Logger;
  return { log, warnings };
}

/** Runs `notify` for each queue, in order, in a separate Node process on the compiled module. */
function notifyFromAnotherProcess(url: string, queues: string[]): Promise<void> {
  const script = `
    const [modulePath, url, ...queues] = process.argv.slice(1);
    const { TaskWakeup } = require(modulePath);
    const wakeup = TaskWakeup.for(url, undefined);
    (async () => { for (const queue of queues) await wakeup.notify(queue); await wakeup.close(); })();
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, compiledModule, url, ...queues], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`notifier exited with ${code}: ${stderr}`)),
    );
  });
}

describe('TaskWakeup transport', () => {
  test('PostgreSQL uses NOTIFY, with or without Redis', () => {
    assert.equal(TaskWakeup.for('postgresql://u@host/db', undefined).transport, 'postgresql');
    assert.equal(TaskWakeup.for('postgres://u@host/db', { url: 'redis://r:6379' }).transport, 'postgresql');
  });

  test('a SQLite file uses the file system, with or without Redis', () => {
    assert.equal(TaskWakeup.for('sqlite:/var/lib/learnhub/media.sqlite', undefined).transport, 'file');
    assert.equal(TaskWakeup.for('sqlite:data/media.sqlite', { url: 'redis://r:6379' }).transport, 'file');
    assert.equal(
      sqliteWakeupDirectory('sqlite:/var/lib/learnhub/media.sqlite'),
      '/var/lib/learnhub/media.sqlite.wakeup',
    );
  });

  test('an in-memory SQLite database polls, with or without Redis', () => {
    assert.equal(TaskWakeup.for('sqlite::memory:', undefined).transport, 'poll');
    assert.equal(TaskWakeup.for('sqlite::memory:', { url: 'redis://r:6379' }).transport, 'poll');
    assert.equal(sqliteWakeupDirectory('sqlite::memory:'), undefined);
  });

  test('MariaDB uses Redis when configured, else polls', () => {
    assert.equal(TaskWakeup.for('mysql://root@host/db', { url: 'redis://r:6379' }).transport, 'redis');
    assert.equal(TaskWakeup.for('mariadb://root@host/db', undefined).transport, 'poll');
  });

  test('only wake-ups through Redis add a readiness check: the others need nothing besides the database', () => {
    assert.deepEqual(
      TaskWakeup.for('mysql://root@host/db', { url: 'redis://r:6379' })
        .readiness()
        .map((check) => check.name),
      ['redis'],
    );
    for (const url of [
      'postgresql://u@host/db',
      'sqlite:data/media.sqlite',
      'sqlite::memory:',
      'mariadb://root@host/db',
    ]) {
      assert.deepEqual(
        TaskWakeup.for(url, url.startsWith('mariadb') ? undefined : { url: 'redis://r:6379' }).readiness(),
        [],
        url,
      );
    }
  });

  test('pollOnly sends and hears nothing', async () => {
    const wakeup = TaskWakeup.pollOnly();
    assert.equal(wakeup.transport, 'poll');
    await wakeup.notify('transcode');
    const stop = await wakeup.listen(() => assert.fail('a poll-only listener was woken'));
    await stop();
    await wakeup.close();
  });
});

describe('TaskWakeup through files', () => {
  let dir: string;
  let n = 0;
  /** A fresh database URL per test, so no test sees another's wake-ups. */
  const freshUrl = () => `sqlite:${join(dir, `db-${++n}`, 'test.sqlite')}`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lh-wakeup-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a listener hears a queue notified by another process', { timeout: 30_000 }, async () => {
    const url = freshUrl();
    const heard: string[] = [];
    const stop = await TaskWakeup.for(url, undefined).listen((queue) => heard.push(queue));
    try {
      assert.ok(existsSync(sqliteWakeupDirectory(url)!), 'listen creates the wake-up directory');
      await notifyFromAnotherProcess(url, ['transcode']);
      await waitUntil('the wake-up from the other process', () => heard.includes('transcode'), DEADLINE_MS);
      assert.deepEqual([...new Set(heard)], ['transcode']);
    } finally {
      await stop();
    }
  });

  test('quick notifies for two queues each arrive', { timeout: 30_000 }, async () => {
    const url = freshUrl();
    const heard: string[] = [];
    const stop = await TaskWakeup.for(url, undefined).listen((queue) => heard.push(queue));
    try {
      await notifyFromAnotherProcess(url, [
        'transcode',
        'course-publish',
        'transcode',
        'course-publish',
        'transcode',
        'course-publish',
      ]);
      await waitUntil(
        'both queues',
        () => heard.includes('transcode') && heard.includes('course-publish'),
        DEADLINE_MS,
      );
      assert.deepEqual([...new Set(heard)].sort(), ['course-publish', 'transcode']);
    } finally {
      await stop();
    }
  });

  test('a stopped listener hears nothing more', { timeout: 30_000 }, async () => {
    const url = freshUrl();
    const stoppedHeard: string[] = [];
    const stillHeard: string[] = [];
    const notifier = TaskWakeup.for(url, undefined);
    const stopFirst = await TaskWakeup.for(url, undefined).listen((queue) => stoppedHeard.push(queue));
    const stopSecond = await TaskWakeup.for(url, undefined).listen((queue) => stillHeard.push(queue));
    try {
      await notifier.notify('transcode');
      await waitUntil(
        'both listeners to hear the first wake-up',
        () => stoppedHeard.length > 0 && stillHeard.length > 0,
        DEADLINE_MS,
      );
      await stopFirst();
      const before = stoppedHeard.length;
      stillHeard.length = 0;
      await notifier.notify('course-publish');
      // The listener still running shows the wake-up was delivered; the stopped one heard the same events.
      await waitUntil(
        'the running listener to hear the second wake-up',
        () => stillHeard.includes('course-publish'),
        DEADLINE_MS,
      );
      // Time for the stopped listener to hear it too, were it still subscribed: proving it does not.
      await sleep(50);
      assert.equal(stoppedHeard.length, before);
    } finally {
      await stopSecond();
      await notifier.close();
    }
  });

  test('notify creates the directory when no listener has yet', async () => {
    const url = freshUrl();
    const { log, warnings } = recordingLogger();
    await TaskWakeup.for(url, undefined, log).notify('transcode');
    assert.deepEqual(warnings, []);
    assert.deepEqual(await readdir(sqliteWakeupDirectory(url)!), ['transcode']);
  });

  test('a queue name that is not a plain file name is refused with a warning, and nothing is written', async () => {
    const url = freshUrl();
    const directory = sqliteWakeupDirectory(url)!;
    await mkdir(directory, { recursive: true });
    const { log, warnings } = recordingLogger();
    const wakeup = TaskWakeup.for(url, undefined, log);
    for (const queue of ['../escape', 'a/b', '.', '..', '', '.hidden']) await wakeup.notify(queue);
    assert.equal(warnings.length, 6);
    assert.deepEqual(await readdir(directory), []);
    assert.equal(existsSync(join(directory, '..', 'escape')), false);
  });

  test('notify where the directory cannot be written logs and resolves', async () => {
    // A regular file where the database's directory should be: unwritable even for root.
    const blocker = join(dir, `blocker-${++n}`);
    await writeFile(blocker, '');
    const url = `sqlite:${join(blocker, 'test.sqlite')}`;
    const { log, warnings } = recordingLogger();
    await TaskWakeup.for(url, undefined, log).notify('transcode');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.message, /wake-up/);
    assert.equal(warnings[0]!.fields.queue, 'transcode');
  });

  test('a listener that cannot watch logs, resolves, and stops cleanly', async () => {
    const blocker = join(dir, `blocker-${++n}`);
    await writeFile(blocker, '');
    const { log, warnings } = recordingLogger();
    const stop = await TaskWakeup.for(`sqlite:${join(blocker, 'test.sqlite')}`, undefined, log).listen(() =>
      assert.fail('woken'),
    );
    assert.equal(warnings.length, 1);
    await stop();
  });
});

const redisUrl = backendUrl('redis', 'TaskWakeup through Redis');
if (redisUrl) {
  describe('TaskWakeup through Redis (a MariaDB queue)', () => {
    /** Resolves with the call's value, or fails saying what did not finish: a wake-up must never hold its caller. */
    const settles = async <T>(what: string, call: Promise<T>): Promise<T> => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${DEADLINE_MS} ms`)), DEADLINE_MS)),
      );
      try {
        return await Promise.race([call, late]);
      } finally {
        clearTimeout(timer);
      }
    };

    test('installs sharing one Redis under different REDIS_KEY_PREFIX values wake only their own workers', {
      timeout: 60_000,
    }, async () => {
      const settings = (keyPrefix: string) => ({ url: redisUrl, keyPrefix, timeoutMs: 2_000, retryMs: 500 });
      const ours = TaskWakeup.for('mysql://root@127.0.0.1/a', settings(`ours-${process.pid}:`));
      const theirs = TaskWakeup.for('mysql://root@127.0.0.1/b', settings(`theirs-${process.pid}:`));
      const heard: Record<'ours' | 'theirs', string[]> = { ours: [], theirs: [] };
      const stops = [
        await ours.listen((queue) => heard.ours.push(queue)),
        await theirs.listen((queue) => heard.theirs.push(queue)),
      ];
      try {
        // Listening subscribes in the background: each asks until it hears itself, so both are subscribed.
        const until = (wakeup: TaskWakeup, queue: string, hears: string[]) =>
          waitUntil(
            `a wake-up on ${queue} to be heard`,
            async () => {
              if (hears.includes(queue)) return true;
              await wakeup.notify(queue);
              return false;
            },
            DEADLINE_MS,
          );
        await until(ours, 'transcode', heard.ours);
        await until(theirs, 'course-publish', heard.theirs);
        await until(ours, 'transcode-again', heard.ours);
        await until(theirs, 'course-publish-again', heard.theirs);
        assert.deepEqual(
          new Set(heard.theirs),
          new Set(['course-publish', 'course-publish-again']),
          'the other install heard none of ours',
        );
        assert.deepEqual(new Set(heard.ours), new Set(['transcode', 'transcode-again']), 'and ours none of theirs');
      } finally {
        for (const stop of stops) await stop();
        await ours.close();
        await theirs.close();
      }
    });

    for (const fault of ['refuse', 'blackhole'] as const) {
      test(`while Redis ${fault === 'refuse' ? 'refuses connections' : 'is silent'}, notify and listen return at once and workers poll; once it answers, listeners hear wake-ups again`, {
        timeout: 60_000,
      }, async () => {
        const proxy = await TcpProxy.start(redisUrl);
        const { log, warnings } = recordingLogger();
        const queue = `outage-${process.pid}-${fault}`;
        const wakeup = TaskWakeup.for(
          'mysql://root@127.0.0.1/outage',
          { url: proxy.url(), timeoutMs: 200, retryMs: 200 },
          log,
        );
        let stop: (() => Promise<void>) | undefined;
        const heard: string[] = [];
        try {
          assert.equal(wakeup.transport, 'redis');
          const [ready] = wakeup.readiness();
          assert.equal(ready?.name, 'redis', 'a service whose wake-ups go through Redis reports Redis in /ready');
          await ready.check();
          await proxy[fault]();
          await assert.rejects(settles('the readiness check while Redis is down', ready.check()));
          stop = await settles(
            'listen while Redis is down',
            wakeup.listen((name) => heard.push(name)),
          );
          for (let i = 0; i < 5; i++) await settles('notify while Redis is down', wakeup.notify(queue));
          assert.equal(heard.length, 0);
          assert.ok(
            warnings.some((w) => /wake-up/.test(w.message)),
            'the lost wake-ups are logged',
          );

          await proxy.restore();
          // Every notify until the listener is subscribed again is lost; the workers' poll covers those.
          await waitUntil(
            'a wake-up to be heard once Redis answers again',
            async () => {
              if (heard.includes(queue)) return true;
              await settles('notify once Redis is back', wakeup.notify(queue));
              return false;
            },
            DEADLINE_MS,
          );
          await ready.check();
        } finally {
          await stop?.();
          await wakeup.close();
          await proxy.close();
        }
      });
    }
  });
}
