import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';

export interface FieldMessage {
  field: string;
  message: string;
}

/** What went wrong, as a person reads it: the API's messages and the fields they are about. */
export interface ReadableError {
  message: string;
  fields: FieldMessage[];
}

const unreachable = '无法连接到服务器，请检查网络后重试。';

function fieldsOf(extensions: Record<string, unknown> | undefined): FieldMessage[] {
  const fields = extensions?.fields;
  if (!Array.isArray(fields)) return [];
  return fields.filter(
    (f): f is FieldMessage =>
      typeof f === 'object' && f !== null && typeof f.field === 'string' && typeof f.message === 'string',
  );
}

/** The errors a GraphQL answer carried, or the reason the request failed. */
export function readableError(error: unknown): ReadableError {
  if (CombinedGraphQLErrors.is(error)) {
    return {
      message: [...new Set(error.errors.map((e) => e.message))].join(' '),
      fields: error.errors.flatMap((e) => fieldsOf(e.extensions)),
    };
  }
  if (ServerError.is(error)) {
    try {
      const body = JSON.parse(error.bodyText) as { errors?: { message?: string }[]; error?: string };
      const message = body.errors?.[0]?.message ?? body.error;
      if (message) return { message, fields: [] };
    } catch {
      // Not JSON: a proxy's page, say; the status is all there is to tell.
    }
    return { message: `服务器返回了错误（HTTP ${error.statusCode}），请稍后重试。`, fields: [] };
  }
  if (error instanceof TypeError) return { message: unreachable, fields: [] };
  return { message: error instanceof Error ? error.message : String(error), fields: [] };
}

/** What the API said of one input field, or undefined: for a message next to that field. */
export function fieldMessage(error: unknown, field: string): string | undefined {
  return error === undefined ? undefined : readableError(error).fields.find((f) => f.field === field)?.message;
}
