import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requiredBackends } from './backends';

test('REQUIRE_BACKENDS=1 requires what CI provides; a list names exactly which', () => {
  assert.deepEqual([...requiredBackends('')], []);
  assert.deepEqual([...requiredBackends('0')], []);
  assert.deepEqual([...requiredBackends('1')], ['postgres', 'mariadb', 'redis', 'browser']);
  assert.deepEqual([...requiredBackends('s3, redis')], ['s3', 'redis']);
  assert.throws(() => requiredBackends('postgres,oracle'), /unknown backends: oracle/);
});
