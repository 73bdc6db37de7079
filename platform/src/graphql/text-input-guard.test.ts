import 'reflect-metadata';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { graphql, type GraphQLSchema } from 'graphql';
import {
  Arg,
  Field,
  FieldResolver,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { buildFederatedSchema } from './federated-schema';
import { textProblem } from './text-input-guard';

describe('textProblem', () => {
  test('plain text, emoji (paired surrogates) and CJK pass', () => {
    for (const text of ['Spring Cloud 微服务实战', 'Ünïcødé', '🎓 课程 👩‍🏫', ''])
      assert.equal(textProblem(text, false), undefined, text);
  });

  test('every C0 control, DEL and every C1 control is refused in single-line text', () => {
    for (const code of [...Array(0x20).keys(), 0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i)]) {
      assert.match(
        textProblem(`a${String.fromCharCode(code)}b`, false) ?? '',
        /control character \(U\+00[0-9A-F]{2}\)/,
        `U+${code.toString(16)}`,
      );
    }
  });

  test('tab, CR and LF are allowed only in multi-line text; NUL never', () => {
    for (const text of ['one\ttwo', 'line\nline', 'crlf\r\nline']) {
      assert.equal(textProblem(text, true), undefined);
      assert.match(textProblem(text, false) ?? '', /only descriptions, introductions, remarks, opinions and audiences/);
    }
    assert.match(textProblem('a\u0000b', true) ?? '', /U\+0000/);
    assert.match(textProblem('a\u0085b', true) ?? '', /U\+0085/);
  });

  test('lone surrogates are refused, high or low, at either end', () => {
    for (const text of ['\ud800', 'a\ud83d', '\udc00a', 'x\udfffy', '\ud83d\ud83d\ude00']) {
      assert.match(textProblem(text, true) ?? '', /unpaired surrogate/, JSON.stringify(text));
    }
  });
});

@InputType()
class LessonInput {
  @Field()
  name!: string;

  @Field({ nullable: true })
  description?: string;

  @Field(() => [String], { nullable: true })
  tags?: string[];
}

@InputType()
class PlanInput {
  @Field(() => ID)
  courseId!: string;

  @Field(() => [LessonInput])
  lessons!: LessonInput[];
}

@ObjectType()
class Saved {
  @Field()
  count!: number;
}

@InputType()
class TopicInput {
  @Field()
  title!: string;

  @Field(() => [TopicInput], { nullable: true })
  children?: TopicInput[];
}

const calls: string[] = [];

@Resolver(() => Saved)
class SavedLabel {
  @FieldResolver(() => String)
  label(@Root() saved: Saved, @Arg('prefix') prefix: string): string {
    calls.push('label');
    return `${prefix} ${saved.count}`;
  }
}

@Resolver()
class PlanResolver {
  @Query(() => String)
  echo(@Arg('text') text: string): string {
    calls.push('echo');
    return text;
  }

  @Query(() => Int)
  depth(@Arg('topic', () => TopicInput) topic: TopicInput): number {
    calls.push('depth');
    return topic.children ? 2 : 1;
  }

  @Query(() => Int)
  square(@Arg('n', () => Int) n: number): number {
    calls.push('square');
    return n * n;
  }

  @Query(() => Saved)
  savedPlan(): Saved {
    calls.push('savedPlan');
    return { count: 3 };
  }

  @Mutation(() => Saved)
  savePlan(@Arg('input', () => PlanInput) input: PlanInput): Saved {
    calls.push('savePlan');
    return { count: input.lessons.length };
  }
}

describe('the text-input guard on every resolver of a subgraph schema', () => {
  let schema: GraphQLSchema;
  before(async () => {
    schema = await buildFederatedSchema({ resolvers: [PlanResolver, SavedLabel] });
  });

  const run = async (source: string, variableValues?: Record<string, unknown>) => {
    calls.length = 0;
    return graphql({ schema, source, variableValues });
  };

  test('clean input reaches the resolver; line breaks in a description are kept', async () => {
    const result = await run('mutation($i: PlanInput!) { savePlan(input: $i) { count } }', {
      i: { courseId: '12', lessons: [{ name: '第1章', description: 'one\ntwo\tthree', tags: ['a', 'b'] }] },
    });
    assert.equal(result.errors, undefined);
    assert.deepEqual(calls, ['savePlan']);
  });

  test('a NUL in a nested list item from variables is refused, naming the field, and the resolver never runs', async () => {
    const result = await run('mutation($i: PlanInput!) { savePlan(input: $i) { count } }', {
      i: { courseId: '12', lessons: [{ name: 'ok' }, { name: 'ok', tags: ['fine', 'bad\u0000tag'] }] },
    });
    assert.deepEqual(calls, []);
    const error = result.errors?.[0];
    assert.match(error?.message ?? '', /^input\.lessons\[1\]\.tags\[1\] contains a control character \(U\+0000\)/);
    assert.equal(error?.extensions?.code ?? (error?.originalError as { code?: string })?.code, 'BAD_USER_INPUT');
    assert.deepEqual((error?.originalError as { details?: unknown })?.details, {
      reason: 'INVALID_TEXT',
      fields: [{ field: 'input.lessons[1].tags[1]', message: 'contains a control character (U+0000): remove it' }],
    });
  });

  test('literals are checked as variables are; every bad field is named; ids are text too', async () => {
    // (graphql-js's parser itself refuses a lone surrogate escape in a literal; in variables it is this guard's.)
    const result = await run(
      'mutation { savePlan(input: { courseId: "1\\u0001", lessons: [{ name: "a\\nb", description: "x\\u0085" }] }) { count } }',
    );
    assert.deepEqual(calls, []);
    const fields = (
      result.errors?.[0].originalError as { details?: { fields?: { field: string }[] } }
    )?.details?.fields?.map((f) => f.field);
    assert.deepEqual(fields, ['input.courseId', 'input.lessons[0].name', 'input.lessons[0].description']);
  });

  test('a top-level text argument is checked too', async () => {
    const result = await run('query($t: String!) { echo(text: $t) }', { t: 'a\u007fb' });
    assert.deepEqual(calls, []);
    assert.match(result.errors?.[0].message ?? '', /^text contains a control character \(U\+007F\)/);
  });

  test('an input type that nests itself is followed to any depth; arguments that cannot hold text pass untouched', async () => {
    const deep = await run('query($t: TopicInput!) { depth(topic: $t) }', {
      t: { title: 'a', children: [{ title: 'b', children: [{ title: 'c\u009f' }] }] },
    });
    assert.deepEqual(calls, []);
    assert.match(
      deep.errors?.[0].message ?? '',
      /^topic\.children\[0\]\.children\[0\]\.title contains a control character \(U\+009F\)/,
    );
    const plain = await run('{ square(n: 7) depth(topic: { title: "ok" }) }');
    assert.equal(plain.errors, undefined);
    assert.deepEqual({ ...plain.data }, { square: 49, depth: 1 });
  });

  test('arguments of nested fields are checked where those fields resolve; siblings still answer', async () => {
    const result = await run('query($t: String!) { savedPlan { count label(prefix: "ok") bad: label(prefix: $t) } }', {
      t: 'x\u001by',
    });
    assert.deepEqual(calls, ['savedPlan', 'label']);
    assert.equal(result.errors?.length, 1);
    assert.deepEqual(result.errors?.[0].path, ['savedPlan', 'bad']);
    assert.match(result.errors?.[0].message ?? '', /^prefix contains a control character \(U\+001B\)/);
  });
});
