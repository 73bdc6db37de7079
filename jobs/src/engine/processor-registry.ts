import type { QueueProcessor, ScheduledProcessor } from '@learnhub/platform/tasks';
import type { JobModule } from '@learnhub/platform/tasks';

/** A queue with no processor, or with two, or a processor for no declared queue: the worker must not start. */
export class ProcessorRegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProcessorRegistryError';
  }
}

/**
 * The queues and schedules of every module, checked before any task is claimed: each declared
 * queue has exactly one processor, so no task waits forever for a processor nobody registered
 * and no two processors race for one queue. Schedule names must be unique for the same reason.
 */
export function registerProcessors(
  modules: readonly Pick<JobModule, 'owner' | 'queues' | 'processors' | 'scheduled'>[],
): {
  processors: QueueProcessor[];
  scheduled: ScheduledProcessor[];
} {
  const declared = new Map<string, string>();
  for (const module of modules) {
    for (const queue of module.queues) {
      const other = declared.get(queue.queue);
      if (other)
        throw new ProcessorRegistryError(`Queue ${queue.queue} is declared by both ${other} and ${module.owner}.`);
      declared.set(queue.queue, module.owner);
    }
  }
  const byQueue = new Map<string, QueueProcessor>();
  for (const module of modules) {
    for (const processor of module.processors) {
      const queue = processor.table.definition.queue;
      if (!declared.has(queue))
        throw new ProcessorRegistryError(
          `${module.owner} gives a processor for queue ${queue}, which no module declares.`,
        );
      if (byQueue.has(queue))
        throw new ProcessorRegistryError(`Queue ${queue} has two processors; exactly one must work it.`);
      byQueue.set(queue, processor);
    }
  }
  const unworked = [...declared].filter(([queue]) => !byQueue.has(queue));
  if (unworked.length > 0) {
    throw new ProcessorRegistryError(
      `No processor for ${unworked.map(([queue, owner]) => `queue ${queue} (declared by ${owner})`).join(', ')}; its tasks would never run.`,
    );
  }
  const scheduled = modules.flatMap((module) => module.scheduled);
  const names = new Set<string>();
  for (const schedule of scheduled) {
    if (names.has(schedule.name))
      throw new ProcessorRegistryError(
        `Two scheduled processors are named ${schedule.name}; each runs once per due time by name.`,
      );
    names.add(schedule.name);
  }
  return { processors: [...byQueue.values()], scheduled };
}
