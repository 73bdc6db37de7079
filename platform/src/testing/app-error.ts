import assert from 'node:assert/strict';
import { AppError, type ErrorCode } from '../errors';

/** For `assert.rejects`/`throws`: passes when the error is an AppError with `code` (and a message matching `message`). */
export const appError =
  (code: ErrorCode, message?: RegExp) =>
  (error: unknown): true => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  };
