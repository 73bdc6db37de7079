import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '@learnhub/platform/errors';
import { StageState } from './outbox-message.entity';
import { readOutboxStages, writeOutboxStages } from './outbox-stages.type';

test('a message with no stage recorded stores NULL and reads as an empty list', () => {
  assert.equal(writeOutboxStages([]), null);
  assert.deepEqual(readOutboxStages(null), []);
});

test('stages read back as written, in their order', () => {
  const stages = [
    { name: 'page', state: StageState.DONE, result: 'page written for version 3', finishedAtMs: 1_714_552_300_000 },
    { name: 'search', state: StageState.PENDING },
  ];
  assert.deepEqual(readOutboxStages(writeOutboxStages(stages)), stages);
});

test('a column holding anything but a list of { name, state } is refused with a reason', () => {
  for (const stored of ['not json', '{"page":"DONE"}', '[{"name":"page"}]']) {
    assert.throws(
      () => readOutboxStages(stored),
      (error) =>
        isAppError(error) &&
        error.details.reason === 'OUTBOX_STAGES_UNREADABLE' &&
        error.message.includes(JSON.stringify(stored)),
    );
  }
});
