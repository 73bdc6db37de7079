import assert from 'node:assert/strict';
import { seededRandom } from '../random/seeded-random';
import { test } from 'node:test';
import { CronSchedule, CronSyntaxError } from './cron';

function nextAfter(expression: string, after: string): string {
  return CronSchedule.parse(expression).next(new Date(after)).toISOString();
}

/** The first `count` firings, each found from the previous one, so the "strictly after" rule is exercised too. */
function firings(expression: string, after: string, count: number): string[] {
  const schedule = CronSchedule.parse(expression);
  const out: string[] = [];
  let at = new Date(after);
  for (let i = 0; i < count; i++) {
    at = schedule.next(at);
    out.push(at.toISOString());
  }
  return out;
}

const iso = (s: string) => `${s}:00.000Z`;

function assertRefused(expression: string, message: RegExp): void {
  assert.throws(
    () => CronSchedule.parse(expression),
    (error: unknown) => {
      assert.ok(error instanceof CronSyntaxError, `expected CronSyntaxError for "${expression}", got ${String(error)}`);
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'CronSyntaxError');
      assert.equal(error.expression, expression);
      assert.match(error.message, message);
      return true;
    },
  );
}

test('* matches every minute, and seconds and milliseconds of the start are dropped', () => {
  assert.equal(nextAfter('* * * * *', '2025-01-01T10:00:59.999Z'), iso('2025-01-01T10:01'));
  assert.equal(nextAfter('* * * * *', '2025-01-01T10:00:00.000Z'), iso('2025-01-01T10:01'));
});

test('plain numbers fix a minute and hour', () => {
  assert.deepEqual(firings('30 14 * * *', '2025-01-01T00:00:00Z', 2), [
    iso('2025-01-01T14:30'),
    iso('2025-01-02T14:30'),
  ]);
  assert.equal(nextAfter('05 07 * * *', '2025-01-01T00:00:00Z'), iso('2025-01-01T07:05'), 'leading zeros are accepted');
});

test('ranges a-b cover both ends', () => {
  assert.deepEqual(firings('0 9-11 * * *', '2025-01-01T00:00:00Z', 4), [
    iso('2025-01-01T09:00'),
    iso('2025-01-01T10:00'),
    iso('2025-01-01T11:00'),
    iso('2025-01-02T09:00'),
  ]);
});

test('lists a,b, including lists mixing ranges and steps', () => {
  assert.deepEqual(firings('5,35 * * * *', '2025-01-01T00:00:00Z', 3), [
    iso('2025-01-01T00:05'),
    iso('2025-01-01T00:35'),
    iso('2025-01-01T01:05'),
  ]);
  assert.deepEqual(firings('1,10-12,50/5 0 * * *', '2025-01-01T00:00:00Z', 7), [
    iso('2025-01-01T00:01'),
    iso('2025-01-01T00:10'),
    iso('2025-01-01T00:11'),
    iso('2025-01-01T00:12'),
    iso('2025-01-01T00:50'),
    iso('2025-01-01T00:55'),
    iso('2025-01-02T00:01'),
  ]);
});

test('steps */n, a-b/n and a/n', () => {
  assert.deepEqual(firings('*/20 0 * * *', '2025-01-01T00:00:00Z', 3), [
    iso('2025-01-01T00:20'),
    iso('2025-01-01T00:40'),
    iso('2025-01-02T00:00'),
  ]);
  assert.deepEqual(firings('10-30/10 0 * * *', '2025-01-01T00:00:00Z', 4), [
    iso('2025-01-01T00:10'),
    iso('2025-01-01T00:20'),
    iso('2025-01-01T00:30'),
    iso('2025-01-02T00:10'),
  ]);
  assert.deepEqual(firings('50/5 0 * * *', '2025-01-01T00:00:00Z', 3), [
    iso('2025-01-01T00:50'),
    iso('2025-01-01T00:55'),
    iso('2025-01-02T00:50'),
  ]);
  assert.deepEqual(firings('0 0 */10 * *', '2025-01-02T00:00:00Z', 4), [
    iso('2025-01-11T00:00'),
    iso('2025-01-21T00:00'),
    iso('2025-01-31T00:00'),
    iso('2025-02-01T00:00'),
  ]);
  assert.deepEqual(
    firings('*/60 */24 * * *', '2025-01-01T00:00:00Z', 2),
    [iso('2025-01-02T00:00'), iso('2025-01-03T00:00')],
    'a step as wide as the field keeps only its start',
  );
});

test('month names, in any case, alone, in lists and in ranges', () => {
  assert.deepEqual(firings('0 0 1 jan,Jul *', '2025-02-01T00:00:00Z', 2), [
    iso('2025-07-01T00:00'),
    iso('2026-01-01T00:00'),
  ]);
  assert.deepEqual(firings('0 0 1 MAR-may *', '2025-01-01T00:00:00Z', 4), [
    iso('2025-03-01T00:00'),
    iso('2025-04-01T00:00'),
    iso('2025-05-01T00:00'),
    iso('2026-03-01T00:00'),
  ]);
  assert.deepEqual(firings('0 0 1 FEB/4 *', '2025-01-01T00:00:00Z', 4), [
    iso('2025-02-01T00:00'),
    iso('2025-06-01T00:00'),
    iso('2025-10-01T00:00'),
    iso('2026-02-01T00:00'),
  ]);
});

test('day names, in any case, and 7 as Sunday', () => {
  // 2025-01-01 is a Wednesday.
  assert.deepEqual(firings('0 0 * * mon-FRI', '2025-01-02T12:00:00Z', 3), [
    iso('2025-01-03T00:00'),
    iso('2025-01-06T00:00'),
    iso('2025-01-07T00:00'),
  ]);
  assert.equal(nextAfter('0 0 * * Sun', '2025-01-01T00:00:00Z'), iso('2025-01-05T00:00'));
  assert.equal(nextAfter('0 0 * * 7', '2025-01-01T00:00:00Z'), iso('2025-01-05T00:00'));
  assert.equal(nextAfter('0 0 * * 0', '2025-01-01T00:00:00Z'), iso('2025-01-05T00:00'));
  assert.deepEqual(firings('0 0 * * 5-7', '2025-01-01T00:00:00Z', 4), [
    iso('2025-01-03T00:00'),
    iso('2025-01-04T00:00'),
    iso('2025-01-05T00:00'),
    iso('2025-01-10T00:00'),
  ]);
  assert.deepEqual(firings('0 0 * * sat,SUN', '2025-01-01T00:00:00Z', 3), [
    iso('2025-01-04T00:00'),
    iso('2025-01-05T00:00'),
    iso('2025-01-11T00:00'),
  ]);
});

test('shortcuts expand to their five-field equivalents, in any case', () => {
  const from = '2025-05-14T10:30:00Z'; // a Wednesday
  const pairs: [string, string][] = [
    ['@hourly', '0 * * * *'],
    ['@daily', '0 0 * * *'],
    ['@midnight', '0 0 * * *'],
    ['@weekly', '0 0 * * 0'],
    ['@monthly', '0 0 1 * *'],
    ['@yearly', '0 0 1 1 *'],
    ['@annually', '0 0 1 1 *'],
    ['@DAILY', '0 0 * * *'],
  ];
  for (const [shortcut, fields] of pairs) {
    assert.deepEqual(firings(shortcut, from, 3), firings(fields, from, 3), shortcut);
  }
  assert.equal(nextAfter('@hourly', from), iso('2025-05-14T11:00'));
  assert.equal(nextAfter('@weekly', from), iso('2025-05-18T00:00'));
  assert.equal(nextAfter('@yearly', from), iso('2026-01-01T00:00'));
});

test('surrounding and repeated whitespace is tolerated and the expression is kept trimmed', () => {
  const schedule = CronSchedule.parse('  0\t0   *  * *\n');
  assert.equal(schedule.expression, '0\t0   *  * *');
  assert.equal(String(schedule), schedule.expression);
  assert.equal(schedule.next(new Date('2025-01-01T00:00:00Z')).toISOString(), iso('2025-01-02T00:00'));
});

test('next() rolls over hour, day, month and year boundaries', () => {
  assert.equal(
    nextAfter('59 * * * *', '2025-01-01T10:59:00Z'),
    iso('2025-01-01T11:59'),
    'strictly after an exact match',
  );
  assert.equal(nextAfter('0 * * * *', '2025-01-01T23:00:00Z'), iso('2025-01-02T00:00'));
  assert.equal(nextAfter('0 0 * * *', '2025-01-31T23:59:59Z'), iso('2025-02-01T00:00'));
  assert.equal(
    nextAfter('30 2 * * *', '2025-02-28T03:00:00Z'),
    iso('2025-03-01T02:30'),
    'non-leap February ends on the 28th',
  );
  assert.equal(nextAfter('30 2 * * *', '2024-02-28T03:00:00Z'), iso('2024-02-29T02:30'));
  assert.equal(nextAfter('0 0 1 * *', '2025-12-15T00:00:00Z'), iso('2026-01-01T00:00'));
  assert.equal(nextAfter('59 23 31 12 *', '2025-12-31T23:59:00Z'), iso('2026-12-31T23:59'));
  assert.equal(nextAfter('0 0 1 1 *', '2099-12-31T23:59:59.999Z'), iso('2100-01-01T00:00'));
  assert.deepEqual(
    firings('0 0 31 * *', '2025-04-01T00:00:00Z', 3),
    [iso('2025-05-31T00:00'), iso('2025-07-31T00:00'), iso('2025-08-31T00:00')],
    'months without a 31st are skipped',
  );
  assert.deepEqual(
    firings('0 0 30 * *', '2025-01-30T00:00:00Z', 2),
    [iso('2025-03-30T00:00'), iso('2025-04-30T00:00')],
    'February has no 30th',
  );
});

test('leap day: Feb 29 is found years ahead, and 2100 is not a leap year', () => {
  assert.equal(nextAfter('0 0 29 2 *', '2025-03-01T00:00:00Z'), iso('2028-02-29T00:00'));
  assert.equal(nextAfter('0 0 29 2 *', '2024-02-29T00:00:00Z'), iso('2028-02-29T00:00'));
  assert.equal(nextAfter('0 0 29 2 *', '2097-03-01T00:00:00Z'), iso('2104-02-29T00:00'));
  assert.equal(nextAfter('0 0 29 2 *', '2399-03-01T00:00:00Z'), iso('2400-02-29T00:00'), '2400 is a leap year');
});

test('day-of-month and day-of-week both restricted: a day matching either fires (Vixie OR rule)', () => {
  // 2025-01-01 is a Wednesday; Fridays are 3, 10, 17, 24, 31 and the 13th is a Monday.
  assert.deepEqual(firings('0 0 13 * 5', '2025-01-01T00:00:00Z', 6), [
    iso('2025-01-03T00:00'),
    iso('2025-01-10T00:00'),
    iso('2025-01-13T00:00'),
    iso('2025-01-17T00:00'),
    iso('2025-01-24T00:00'),
    iso('2025-01-31T00:00'),
  ]);
  // "1-7 * mon" is not "the first Monday": it is days 1-7 plus every Monday.
  const firstWeekOrMonday = firings('0 0 1-7 * mon', '2024-12-31T00:00:00Z', 10).map((s) => s.slice(0, 10));
  assert.deepEqual(firstWeekOrMonday, [
    '2025-01-01',
    '2025-01-02',
    '2025-01-03',
    '2025-01-04',
    '2025-01-05',
    '2025-01-06',
    '2025-01-07',
    '2025-01-13',
    '2025-01-20',
    '2025-01-27',
  ]);
  // A day-of-month that February never has still lets its Sundays fire.
  assert.deepEqual(firings('0 0 31 2 sun', '2025-01-31T00:00:00Z', 2), [
    iso('2025-02-02T00:00'),
    iso('2025-02-09T00:00'),
  ]);
});

test('a day field written with * keeps the other day field as a plain restriction (AND), as in Vixie cron', () => {
  assert.deepEqual(firings('0 0 * * 1', '2025-01-01T00:00:00Z', 2), [iso('2025-01-06T00:00'), iso('2025-01-13T00:00')]);
  assert.deepEqual(firings('0 0 13 * *', '2025-01-01T00:00:00Z', 2), [
    iso('2025-01-13T00:00'),
    iso('2025-02-13T00:00'),
  ]);
  // Mondays in January 2025 are 6, 13, 20, 27: `*/2` on day-of-month starts with `*`, so only the odd ones fire.
  assert.deepEqual(firings('0 0 */2 * 1', '2025-01-01T00:00:00Z', 3), [
    iso('2025-01-13T00:00'),
    iso('2025-01-27T00:00'),
    iso('2025-02-03T00:00'),
  ]);
});

test('*/15 yields quarter hours across an hour, day, month and year boundary', () => {
  assert.deepEqual(firings('*/15 * * * *', '2025-12-31T23:29:30Z', 5), [
    iso('2025-12-31T23:30'),
    iso('2025-12-31T23:45'),
    iso('2026-01-01T00:00'),
    iso('2026-01-01T00:15'),
    iso('2026-01-01T00:30'),
  ]);
  assert.deepEqual(firings('*/15 9 * * *', '2025-06-30T09:46:00Z', 3), [
    iso('2025-07-01T09:00'),
    iso('2025-07-01T09:15'),
    iso('2025-07-01T09:30'),
  ]);
});

test('the wrong number of fields is refused', () => {
  assertRefused('* * * *', /expected 5 fields .* got 4/);
  assertRefused('* * * * * *', /expected 5 fields .* got 6/);
  assertRefused('', /expected 5 fields .* got 0/);
  assertRefused('   ', /expected 5 fields .* got 0/);
});

test('out-of-range values are refused naming the field and the bad part', () => {
  assert.throws(() => CronSchedule.parse('75 * * * *'), {
    name: 'CronSyntaxError',
    message: 'minute field "75": 75 is outside 0-59',
  });
  assertRefused('1,75 * * * *', /^minute field "75": 75 is outside 0-59$/);
  assertRefused('0 24 * * *', /^hour field "24": 24 is outside 0-23$/);
  assertRefused('0 0 0 * *', /^day-of-month field "0": 0 is outside 1-31$/);
  assertRefused('0 0 32 * *', /^day-of-month field "32": 32 is outside 1-31$/);
  assertRefused('0 0 * 13 *', /^month field "13": 13 is outside 1-12$/);
  assertRefused('0 0 * 0 *', /^month field "0": 0 is outside 1-12$/);
  assertRefused('0 0 * * 8', /^day-of-week field "8": 8 is outside 0-7$/);
  assertRefused('0 0-25 * * *', /^hour field "0-25": 25 is outside 0-23$/);
});

test('bad steps are refused', () => {
  assertRefused('*/0 * * * *', /^minute field "\*\/0": step 0 is outside 1-60$/);
  assertRefused('*/x * * * *', /^minute field "\*\/x": step "x" is not a whole number$/);
  assertRefused('*/ * * * *', /step "" is not a whole number/);
  assertRefused('*/-1 * * * *', /step "-1" is not a whole number/);
  assertRefused('*/2/3 * * * *', /step "2\/3" is not a whole number/);
  assertRefused('*/90 * * * *', /^minute field "\*\/90": step 90 is outside 1-60$/);
  assertRefused('0 0 * */13 *', /^month field "\*\/13": step 13 is outside 1-12$/);
});

test('reversed ranges are refused', () => {
  assertRefused('30-10 * * * *', /^minute field "30-10": range 30-10 is reversed/);
  assertRefused('0 0 * DEC-JAN *', /^month field "DEC-JAN": range 12-1 is reversed/);
  assertRefused('0 0 * * FRI-SUN', /^day-of-week field "FRI-SUN": range 5-0 is reversed .*write Sunday as 7/);
});

test('garbage is refused', () => {
  assertRefused('a b c d e', /^minute field "a": "a" is not a number$/);
  assertRefused('1.5 * * * *', /^minute field "1.5": "1.5" is not a number$/);
  assertRefused('-5 * * * *', /^minute field "-5": "" is not a number$/);
  assertRefused('1- * * * *', /^minute field "1-": "" is not a number$/);
  assertRefused('*-5 * * * *', /^minute field "\*-5": "\*" is not a number$/);
  assertRefused('1,,2 * * * *', /^minute field "1,,2": empty item in list$/);
  assertRefused('JAN * * * *', /^minute field "JAN": "JAN" is not a number$/);
  assertRefused('0 0 * * JAN', /^day-of-week field "JAN": "JAN" is not a number or day name \(SUN-SAT\)$/);
  assertRefused('0 0 * MONDAY *', /^month field "MONDAY": "MONDAY" is not a number or month name \(JAN-DEC\)$/);
  assertRefused('0 0 * * MONDAY', /^day-of-week field "MONDAY"/);
  assertRefused('0 0 * * 1/MON', /step "MON" is not a whole number/);
  assertRefused('@reboot', /^unknown shortcut "@reboot"/);
  assertRefused('@daily 5', /^unknown shortcut/);
});

test('schedules that can never fire are refused at parse time', () => {
  assertRefused('0 0 31 2 *', /^day-of-month field "31": none of these days occurs in month field "2"/);
  assertRefused('0 0 30,31 feb *', /^day-of-month field "30,31": .*month field "feb"/);
  assertRefused('0 0 31 4,6,9,11 *', /^day-of-month field "31"/);
  assertRefused('0 0 30-31 2 */2', /^day-of-month field "30-31"/);
  // Possible, if rarely: these must parse.
  assert.doesNotThrow(() => CronSchedule.parse('0 0 29 2 *'));
  assert.doesNotThrow(() => CronSchedule.parse('0 0 31 2,3 *'));
  assert.doesNotThrow(() => CronSchedule.parse('0 0 31 2 mon'));
});

test('next() refuses an invalid Date', () => {
  assert.throws(() => CronSchedule.parse('* * * * *').next(new Date('nonsense')), RangeError);
});

test('next() jumps over decades without walking minutes', () => {
  // Feb 29 on a Sunday (AND rule, since day-of-week starts with *): 2088, then 2128 as 2100 is not a leap year.
  const schedule = CronSchedule.parse('0 0 29 2 */7');
  assert.equal(schedule.next(new Date('2088-03-01T00:00:00Z')).toISOString(), iso('2128-02-29T00:00'));
  const startedAt = performance.now();
  for (let year = 2000; year < 3000; year++) schedule.next(new Date(Date.UTC(year, 2, 1)));
  // Minute-by-minute search would need ~20 million steps per call here; skipping needs about a thousand.
  assert.ok(performance.now() - startedAt < 1000, 'a thousand multi-decade searches should take well under a second');
});

// ---- Cross-check against an independent, naive reading of the same expressions ----

interface Reference {
  dayMatches(date: Date): boolean;
  timeMatches(date: Date): boolean;
}

/** Deliberately simple re-reading of the syntax (no validation), so a parsing bug is not shared with the code under test. */
function referenceMatcher(expression: string): Reference {
  const shortcuts: Record<string, string> = {
    '@hourly': '0 * * * *',
    '@daily': '0 0 * * *',
    '@weekly': '0 0 * * 0',
    '@monthly': '0 0 1 * *',
    '@yearly': '0 0 1 1 *',
  };
  const [mi, ho, dom, mo, dow] = (shortcuts[expression] ?? expression).split(' ') as [
    string,
    string,
    string,
    string,
    string,
  ];
  const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  const days = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
  const values = (text: string, min: number, max: number, names: string[] = [], nameBase = 0): Set<number> => {
    const value = (t: string) =>
      names.includes(t.toUpperCase()) ? names.indexOf(t.toUpperCase()) + nameBase : Number(t);
    const set = new Set<number>();
    for (const item of text.split(',')) {
      const [range, stepText] = item.split('/') as [string, string | undefined];
      const step = stepText === undefined ? 1 : Number(stepText);
      let low = min;
      let high = max;
      if (range.includes('-')) [low, high] = range.split('-').map(value) as [number, number];
      else if (range !== '*') [low, high] = [value(range), stepText === undefined ? value(range) : max];
      for (let v = low; v <= high; v += step) set.add(v);
    }
    return set;
  };
  const minutes = values(mi, 0, 59);
  const hours = values(ho, 0, 23);
  const doms = values(dom, 1, 31);
  const monthSet = values(mo, 1, 12, months, 1);
  const dows = new Set([...values(dow, 0, 6, days, 0)].map((d) => d % 7));
  const either = !dom.startsWith('*') && !dow.startsWith('*');
  return {
    dayMatches: (date) => {
      const domOk = doms.has(date.getUTCDate());
      const dowOk = dows.has(date.getUTCDay());
      return monthSet.has(date.getUTCMonth() + 1) && (either ? domOk || dowOk : domOk && dowOk);
    },
    timeMatches: (date) => minutes.has(date.getUTCMinutes()) && hours.has(date.getUTCHours()),
  };
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Long enough to span the eight-year Feb 29 gap around 2100, so every search in the cross-check finds its answer. */
const NAIVE_LIMIT_DAYS = 9 * 366;

/**
 * Walks day by day and, on a day whose date fields match, minute by minute. Whole days are skipped only by
 * the reference's own day test; without that, sparse schedules would cost millions of steps per search.
 */
function naiveNext(reference: Reference, after: Date): Date | undefined {
  const first = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE;
  const firstDay = Math.floor(first / DAY) * DAY;
  for (let day = firstDay; day < firstDay + NAIVE_LIMIT_DAYS * DAY; day += DAY) {
    if (!reference.dayMatches(new Date(day))) continue;
    for (let t = Math.max(day, first); t < day + DAY; t += MINUTE) {
      const date = new Date(t);
      if (reference.timeMatches(date)) return date;
    }
  }
  return undefined;
}

const CROSS_CHECKED = [
  '* * * * *',
  '*/15 * * * *',
  '5 * * * *',
  '0 */6 * * *',
  '30 9 * * 1-5',
  '0 0 1 * *',
  '0 0 31 * *',
  '0 12 30 * *',
  '23 0-20/2 * * *',
  '5 4 * * sun',
  '0 0,12 1 */2 *',
  '0 4 8-14 * *',
  '0 0 13 * 5',
  '0 0 1,15 * 3',
  '0 0 29 2 *',
  '0 0 29 2 1',
  '0 0 30 2 0',
  '59 23 31 12 *',
  '0 0 * * 7',
  '*/7 */5 */3 */2 */2',
  '1-59/7 * * * *',
  '10/20 3 * * *',
  '0 0 1-7 * mon',
  '0 9-17 * JAN-MAR,oct Mon-Fri',
  '0 0 */10 * */3',
  '45 23 28-31 * *',
  '0 0 28-31 feb *',
  '0 0 31 4,6,9,11,12 *',
  '15,45 1/3 2/5 * 5-7',
  '@hourly',
  '@daily',
  '@weekly',
  '@monthly',
  '@yearly',
];

test(`next() agrees with a naive minute-by-minute search for ${CROSS_CHECKED.length} expressions`, () => {
  const random = seededRandom(20250601);
  const from = Date.UTC(1995, 0, 1);
  const to = Date.UTC(2105, 0, 1);
  const edges = [
    '2099-12-31T23:59:59.999Z',
    '2100-02-28T23:59:00Z',
    '2024-02-29T12:00:00Z',
    '2025-12-31T23:59:00Z',
    '2027-02-28T23:30:30Z',
  ];
  for (const expression of CROSS_CHECKED) {
    const schedule = CronSchedule.parse(expression);
    const reference = referenceMatcher(expression);
    const starts = [
      ...edges.map((s) => new Date(s)),
      ...Array.from({ length: 6 }, () => new Date(from + Math.floor(random() * (to - from)))),
    ];
    for (const start of starts) {
      let after = start;
      // A short chain from each start also checks that a firing instant is itself excluded.
      for (let i = 0; i < 3; i++) {
        const actual = schedule.next(after);
        const context = `"${expression}" after ${after.toISOString()}`;
        assert.ok(actual.getTime() > after.getTime(), context);
        assert.equal(actual.getTime() % MINUTE, 0, context);
        const expected = naiveNext(reference, after);
        assert.ok(expected, `${context}: the naive search found nothing within ${NAIVE_LIMIT_DAYS} days`);
        assert.equal(actual.toISOString(), expected.toISOString(), context);
        after = actual;
      }
    }
  }
});
