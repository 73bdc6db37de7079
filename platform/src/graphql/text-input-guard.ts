import {
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLNamedInputType,
} from 'graphql';
import type { MiddlewareFn } from 'type-graphql';
import { badInput, type FieldProblem } from '../errors';

/**
 * Input fields that hold prose, by name in every subgraph: tabs and line breaks belong there. In
 * every other text field (names, tags, phone numbers, ids) they are a mistake and are refused.
 * One list here rather than a marker on each input field: the rule has one owner, a reviewer sees
 * every exception at once, and a new `description` in any subgraph is prose without anyone
 * remembering a decorator.
 */
export const MULTI_LINE_FIELDS: ReadonlySet<string> = new Set([
  'description',
  'introduction',
  'remark',
  'opinion',
  'audience',
]);

// IDs are text too: a control character in one would reach a query as much as in a name.
const TEXT_SCALARS = new Set(['String', 'ID']);
const SUSPECT = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/;
const ALLOWED_IN_PROSE = new Set([0x09, 0x0a, 0x0d]);

const codePoint = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why a text value cannot be stored, or undefined when it can. */
export function textProblem(value: string, multiLine: boolean): string | undefined {
  if (!SUSPECT.test(value)) return undefined;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (code >= 0xd800 && code <= 0xdfff)
      return `contains half of a character (an unpaired surrogate, ${codePoint(code)}): send valid UTF-16 text`;
    if ((code < 0x20 || (code >= 0x7f && code <= 0x9f)) && !(multiLine && ALLOWED_IN_PROSE.has(code))) {
      return `contains a control character (${codePoint(code)}): remove it${ALLOWED_IN_PROSE.has(code) ? ' (only descriptions, introductions, remarks, opinions and audiences may hold tabs and line breaks)' : ''}`;
    }
  }
  return undefined;
}

function collect(
  value: unknown,
  type: GraphQLInputType,
  path: string,
  multiLine: boolean,
  problems: FieldProblem[],
): void {
  if (value === null || value === undefined) return;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const items = Array.isArray(value) ? value : [value];
    items.forEach((item, index) => collect(item, nullable.ofType, `${path}[${index}]`, multiLine, problems));
  } else if (isInputObjectType(nullable)) {
    if (typeof value !== 'object') return;
    const fields = nullable.getFields();
    for (const [name, item] of Object.entries(value)) {
      const field = fields[name];
      if (field) collect(item, field.type, `${path}.${name}`, MULTI_LINE_FIELDS.has(name), problems);
    }
  } else if (isScalarType(nullable) && TEXT_SCALARS.has(nullable.name) && typeof value === 'string') {
    const problem = textProblem(value, multiLine);
    if (problem) problems.push({ field: path, message: problem });
  }
}

/** Whether a value of this type can hold text anywhere inside it (input objects may nest themselves). */
function holdsText(type: GraphQLNamedInputType, seen = new Set<GraphQLNamedInputType>()): boolean {
  if (isScalarType(type)) return TEXT_SCALARS.has(type.name);
  if (!isInputObjectType(type) || seen.has(type)) return false;
  seen.add(type);
  return Object.values(type.getFields()).some((field) => holdsText(getNamedType(field.type), seen));
}

// The guard runs for every resolved field, most of them without arguments: work out once per field which arguments can hold text.
const textArgumentsOf = new WeakMap<readonly GraphQLArgument[], readonly GraphQLArgument[]>();
const NONE: readonly GraphQLArgument[] = [];

function textArguments(definitions: readonly GraphQLArgument[] | undefined): readonly GraphQLArgument[] {
  if (!definitions || definitions.length === 0) return NONE;
  let found = textArgumentsOf.get(definitions);
  if (!found) {
    found = definitions.filter((argument) => holdsText(getNamedType(argument.type)));
    textArgumentsOf.set(definitions, found);
  }
  return found;
}

/**
 * Every resolver's arguments, checked before it runs: text holding NUL, another control character
 * or half a surrogate pair is refused with BAD_USER_INPUT naming each field, so no service stores
 * bytes a database refuses (PostgreSQL and NUL) or alters (a lone surrogate becomes U+FFFD).
 */
export const textInputGuard: MiddlewareFn = ({ args, info }, next) => {
  const definitions = textArguments(info.parentType.getFields()[info.fieldName]?.args);
  if (definitions.length === 0) return next();
  const problems: FieldProblem[] = [];
  for (const argument of definitions)
    collect(args[argument.name], argument.type, argument.name, MULTI_LINE_FIELDS.has(argument.name), problems);
  if (problems.length > 0) {
    throw badInput(`${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`, {
      reason: 'INVALID_TEXT',
      fields: problems,
    });
  }
  return next();
};
