import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueProcessor, ScheduledProcessor } from '@learnhub/platform/tasks';
import type { TaskTable, TaskTableDefinition } from '@learnhub/platform/tasks';
import { ProcessorRegistryError, registerProcessors } from './processor-registry';

// The registry reads only the queue names, so tables and processors here are plain objects: no database is involved.
const queue = (name: string): TaskTableDefinition => ({
  queue: name,
  table: `${name}_t`,
  historyTable: `${name}_h`,
  payloadColumns: [],
  label: name,
  payloadOf: () => undefined,
});
const processorFor = (definition: TaskTableDefinition) =>
  ({
    table: { definition } as TaskTable,
    concurrency: 1,
    lease: { leaseMs: 1000, renewEveryMs: 250, backoff: { baseMs: 1, maxMs: 1 } },
    process: async () => {},
  }) as QueueProcessor;
const schedule = (name: string) => ({ name }) as ScheduledProcessor;

test('every declared queue with exactly one processor registers, schedules included', () => {
  const transcode = queue('transcode');
  const publish = queue('course-publish');
  const registered = registerProcessors([
    {
      owner: 'media',
      queues: [transcode],
      processors: [processorFor(transcode)],
      scheduled: [schedule('upload-cleanup')],
    },
    { owner: 'content', queues: [publish], processors: [processorFor(publish)], scheduled: [] },
  ]);
  assert.deepEqual(
    registered.processors.map((p) => p.table.definition.queue),
    ['transcode', 'course-publish'],
  );
  assert.deepEqual(
    registered.scheduled.map((s) => s.name),
    ['upload-cleanup'],
  );
});

test('a declared queue without a processor stops the worker, naming the queue and its owner', () => {
  assert.throws(
    () => registerProcessors([{ owner: 'media', queues: [queue('transcode')], processors: [], scheduled: [] }]),
    (error: unknown) =>
      error instanceof ProcessorRegistryError &&
      /No processor for queue transcode \(declared by media\)/.test(error.message),
  );
});

test('two processors for one queue stop the worker', () => {
  const transcode = queue('transcode');
  assert.throws(
    () =>
      registerProcessors([
        { owner: 'media', queues: [transcode], processors: [processorFor(transcode)], scheduled: [] },
        { owner: 'other', queues: [], processors: [processorFor(transcode)], scheduled: [] },
      ]),
    (error: unknown) =>
      error instanceof ProcessorRegistryError && /Queue transcode has two processors/.test(error.message),
  );
});

test('a processor for a queue nobody declares, a queue declared twice and a repeated schedule name stop the worker', () => {
  const stray = queue('stray');
  assert.throws(
    () => registerProcessors([{ owner: 'media', queues: [], processors: [processorFor(stray)], scheduled: [] }]),
    /which no module declares/,
  );
  assert.throws(
    () =>
      registerProcessors([
        { owner: 'media', queues: [stray], processors: [processorFor(stray)], scheduled: [] },
        { owner: 'content', queues: [stray], processors: [], scheduled: [] },
      ]),
    /declared by both media and content/,
  );
  assert.throws(
    () =>
      registerProcessors([{ owner: 'media', queues: [], processors: [], scheduled: [schedule('x'), schedule('x')] }]),
    /Two scheduled processors are named x/,
  );
});
