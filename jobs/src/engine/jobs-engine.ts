import type { EntityManager } from '@mikro-orm/core';
import type { Registry } from 'prom-client';
import type { Logger } from '@learnhub/platform/logger';
import { RedisLink } from '@learnhub/platform/redis';
import type { RedisSettings } from '@learnhub/platform/redis';
import type { TaskWakeup } from '@learnhub/platform/tasks';
import { DatabaseMembership } from './database-membership';
import { ensureEngineTables } from './engine-tables';
import { createJobMetrics, type JobMetrics } from './job-metrics';
import type { Membership } from './membership';
import type { QueueProcessor, ScheduledProcessor } from '@learnhub/platform/tasks';
import { QueueWorker } from './queue-worker';
import { RedisMembership } from './redis-membership';
import { RedisOrDatabaseMembership } from './redis-or-database-membership';
import { ScheduleRunner } from './schedule-runner';
import { shardOf } from './shard';

export interface EngineSettings {
  /** Unique among live workers; also the lease owner written on tasks. */
  workerId: string;
  /** How often the worker announces itself, re-reads its shard and checks schedules. */
  heartbeatMs: number;
  /** A member silent for this long has left; its shard passes to the others. */
  memberTtlMs: number;
  /** The fallback when no wake-up arrives (MariaDB without Redis, or a missed message). */
  pollMs: number;
  /** Prefixes membership groups, so workers of one queue on different databases form different groups. */
  groupPrefix: string;
  /** Membership in Redis when set (in each queue's database while Redis is unreachable), else in each queue's database. */
  redis?: RedisSettings;
}

/**
 * One worker process's engine: a `QueueWorker` per queue and a `ScheduleRunner` per schedule,
 * kept in step by one heartbeat loop (membership, shards, due schedules) and woken by the
 * queues' wake-ups, with a poll as the fallback.
 */
export class JobsEngine {
  readonly metrics: JobMetrics;
  private readonly workers: QueueWorker[];
  private readonly schedules: ScheduleRunner[];
  /** Each queue's membership in its own database, by group: the only one without Redis, the fallback with it. */
  private readonly databaseMemberships: Map<string, DatabaseMembership>;
  private readonly redisMembership?: RedisOrDatabaseMembership;
  private readonly lastBeat = new Map<QueueWorker, number>();
  private readonly lastBeatError = new Map<QueueWorker, unknown>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unlisten: Array<() => Promise<void>> = [];
  private beating?: Promise<void>;

  constructor(
    private readonly settings: EngineSettings,
    queues: QueueProcessor[],
    scheduled: ScheduledProcessor[],
    private readonly wakeups: TaskWakeup[],
    registry: Registry,
    private readonly log: Logger,
  ) {
    this.metrics = createJobMetrics(registry, () => queues.map((q) => q.table));
    this.workers = queues.map((q) => new QueueWorker(q, settings.workerId, this.metrics, log));
    this.schedules = scheduled.map((s) => new ScheduleRunner(s, settings.workerId, this.metrics, log));
    this.databaseMemberships = new Map(
      this.workers.map((w) => [this.group(w), new DatabaseMembership(w.processor.table.em)]),
    );
    if (settings.redis) {
      const { url, keyPrefix, timeoutMs, retryMs } = settings.redis;
      const link = new RedisLink(url, { use: 'membership', keyPrefix, timeoutMs, retryMs, log });
      this.redisMembership = new RedisOrDatabaseMembership(
        new RedisMembership(link),
        (group) => this.databaseMemberships.get(group)!,
        log,
      );
    }
  }

  private membershipOf(worker: QueueWorker): Membership {
    return this.redisMembership ?? this.databaseMemberships.get(this.group(worker))!;
  }

  /**
   * `/ready`'s check of this worker's membership: where it is kept (Redis, or the database while
   * Redis is unreachable); rejects when no heartbeat has succeeded for a time-to-live, since the
   * worker then holds no shard and claims nothing.
   */
  async membershipState(): Promise<string> {
    const lapsed = this.workers.filter((w) => Date.now() - (this.lastBeat.get(w) ?? 0) > this.settings.memberTtlMs);
    if (lapsed.length > 0) {
      const reasons = lapsed.map((w) => `${w.queue}: ${describeError(this.lastBeatError.get(w))}`).join('; ');
      throw new Error(
        `no heartbeat has succeeded for over ${this.settings.memberTtlMs} ms (${reasons}); this worker claims nothing until one does`,
      );
    }
    return this.redisMembership?.describe() ?? 'in the database';
  }

  private group(worker: QueueWorker): string {
    return `${this.settings.groupPrefix}${worker.queue}`;
  }

  async start(): Promise<void> {
    const databases = new Set<EntityManager>([
      ...this.workers.map((w) => w.processor.table.em),
      ...this.schedules.map((s) => s.em),
    ]);
    for (const em of databases) await ensureEngineTables(em);
    for (const wakeup of this.wakeups) {
      this.unlisten.push(await wakeup.listen((queue) => this.wake(queue)));
    }
    await this.heartbeat();
    this.timers.push(setInterval(() => void this.heartbeat(), this.settings.heartbeatMs));
    this.timers.push(setInterval(() => this.workers.forEach((w) => w.fill()), this.settings.pollMs));
    this.log.info(
      {
        workerId: this.settings.workerId,
        queues: this.workers.map((w) => w.queue),
        schedules: this.schedules.length,
        wakeups: this.wakeups.map((w) => w.transport),
      },
      'jobs engine started',
    );
  }

  private heartbeat(): Promise<void> {
    // One beat at a time: a slow database must not pile up overlapping beats.
    this.beating ??= this.beat().finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async beat(): Promise<void> {
    for (const worker of this.workers) {
      try {
        const members = await this.membershipOf(worker).beat(
          this.group(worker),
          this.settings.workerId,
          this.settings.memberTtlMs,
        );
        this.lastBeat.set(worker, Date.now());
        this.lastBeatError.delete(worker);
        worker.setShard(shardOf(members, this.settings.workerId));
        await worker.processor.table.failAbandoned();
        await worker.processor.table.refreshStatistics();
      } catch (error) {
        this.lastBeatError.set(worker, error);
        this.log.warn({ err: error, queue: worker.queue }, 'heartbeat failed');
        // The others stop counting this worker after the time-to-live; so does it, to keep shards apart.
        if (Date.now() - (this.lastBeat.get(worker) ?? 0) > this.settings.memberTtlMs) worker.setShard(undefined);
      }
    }
    for (const schedule of this.schedules) {
      await schedule.tick().catch((error) => this.log.warn({ err: error }, 'checking a schedule failed'));
    }
  }

  /** Wakes a queue's worker now (on a wake-up message, and for in-process enqueuers). */
  wake(queue: string): void {
    this.workers.find((w) => w.queue === queue)?.fill();
  }

  /**
   * Graceful shutdown within `graceMs`: stop claiming, let running tasks finish for most of it,
   * abort and release the rest, leave the membership.
   */
  async stop(graceMs: number): Promise<void> {
    this.timers.forEach(clearInterval);
    await Promise.all(this.unlisten.map((stop) => stop()));
    await this.beating;
    const [released] = await Promise.all([
      Promise.all(
        this.workers.map(async (w) => ({
          queue: w.queue,
          count: await w.stop(Math.floor(graceMs * 0.7), Math.floor(graceMs * 0.2)),
        })),
      ),
      Promise.all(this.schedules.map((s) => s.stop())),
    ]);
    // Idle workers would otherwise find the released tasks only at their next poll.
    const toWake = released.filter((r) => r.count > 0).map((r) => r.queue);
    await Promise.all(toWake.flatMap((queue) => this.wakeups.map((wakeup) => wakeup.notify(queue))));
    for (const worker of this.workers) {
      await this.membershipOf(worker)
        .leave(this.group(worker), this.settings.workerId)
        .catch((error) => this.log.warn({ err: error }, 'leaving the membership failed; it expires on its own'));
    }
    await Promise.all(
      [...this.databaseMemberships.values(), ...(this.redisMembership ? [this.redisMembership] : [])].map((m) =>
        m.close(),
      ),
    );
    this.log.info({ workerId: this.settings.workerId }, 'jobs engine stopped');
  }
}

const describeError = (error: unknown) =>
  error === undefined ? 'no beat yet' : error instanceof Error ? error.message : String(error);
