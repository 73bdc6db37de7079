/** Raised by CronSchedule.parse; the message names the field and the part of it that is wrong. */
export class CronSyntaxError extends Error {
  constructor(
    message: string,
    readonly expression: string,
  ) {
    super(message);
    this.name = 'CronSyntaxError';
  }
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Upper end of `*` and `a/n`; differs from max only for day-of-week, where 7 is merely another spelling of Sunday. */
  readonly openEnd: number;
  readonly names?: readonly string[];
  readonly nameBase?: number;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59, openEnd: 59 },
  { name: 'hour', min: 0, max: 23, openEnd: 23 },
  { name: 'day-of-month', min: 1, max: 31, openEnd: 31 },
  { name: 'month', min: 1, max: 12, openEnd: 12, names: MONTH_NAMES, nameBase: 1 },
  { name: 'day-of-week', min: 0, max: 7, openEnd: 6, names: DAY_NAMES, nameBase: 0 },
];

const SHORTCUTS: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

/** February counts 29 here because the question is whether a day can *ever* occur in that month. */
const MAX_DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The Gregorian calendar repeats every 400 years, so a schedule with no match in that span has none at all.
 * parse() already refuses such schedules; this only turns a bug into an error instead of a hang.
 */
const SEARCH_YEARS = 401;

/** A parsed 5-field cron expression: minute hour day-of-month month day-of-week, evaluated in UTC. */
export class CronSchedule {
  private constructor(
    readonly expression: string,
    private readonly minutes: Uint8Array,
    private readonly hours: Uint8Array,
    private readonly daysOfMonth: Uint8Array,
    private readonly months: Uint8Array,
    private readonly daysOfWeek: Uint8Array,
    /** Vixie cron ORs the two day fields only when neither was written starting with `*`; otherwise both must hold. */
    private readonly eitherDayMatches: boolean,
  ) {}

  static parse(expression: string): CronSchedule {
    const text = expression.trim();
    let fieldsText = text;
    if (text.startsWith('@')) {
      const expanded = SHORTCUTS[text.toLowerCase()];
      if (expanded === undefined) {
        throw new CronSyntaxError(
          `unknown shortcut "${text}": expected one of ${Object.keys(SHORTCUTS).join(', ')}`,
          expression,
        );
      }
      fieldsText = expanded;
    }
    const parts = fieldsText === '' ? [] : fieldsText.split(/\s+/);
    if (parts.length !== FIELDS.length) {
      throw new CronSyntaxError(
        `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length} in "${text}"`,
        expression,
      );
    }
    const [minutes, hours, daysOfMonth, months, daysOfWeek] = FIELDS.map((spec, i) =>
      parseField(spec, parts[i]!, expression),
    );
    const domText = parts[2]!;
    const dowText = parts[4]!;
    const eitherDayMatches = !domText.startsWith('*') && !dowText.startsWith('*');

    // Every month holds every weekday, so only a day-of-month that never fits any chosen month can make a
    // schedule impossible — and then only when the day-of-week cannot rescue it through the OR rule.
    // (With the AND rule any real date eventually falls on any weekday within the 400-year cycle.)
    if (!eitherDayMatches && !someDayFitsSomeMonth(daysOfMonth!, months!)) {
      throw new CronSyntaxError(
        `day-of-month field "${domText}": none of these days occurs in month field "${parts[3]}", so the schedule never fires`,
        expression,
      );
    }
    return new CronSchedule(text, minutes!, hours!, daysOfMonth!, months!, daysOfWeek!, eitherDayMatches);
  }

  /** The first minute strictly after `after` (seconds and ms zero) that matches. */
  next(after: Date): Date {
    const ms = after.getTime();
    if (!Number.isFinite(ms)) throw new RangeError('CronSchedule.next: `after` is an invalid Date');
    const start = new Date(Math.floor(ms / 60_000) * 60_000 + 60_000);
    let year = start.getUTCFullYear();
    let month = start.getUTCMonth() + 1;
    let day = start.getUTCDate();
    let hour = start.getUTCHours();
    let minute = start.getUTCMinutes();
    const lastYear = year + SEARCH_YEARS;

    const toNextDay = (): void => {
      hour = 0;
      minute = 0;
      if (++day > daysInMonth(year, month)) {
        day = 1;
        if (++month > 12) {
          month = 1;
          year++;
        }
      }
    };

    // Each step either accepts the current unit or jumps to the start of the next candidate unit, so the
    // work is bounded by the months and days visited, never by minutes.
    while (year <= lastYear) {
      if (!this.months[month]) {
        const nextMonth = firstSetFrom(this.months, month + 1, 12);
        if (nextMonth === undefined) {
          year++;
          month = firstSetFrom(this.months, 1, 12)!;
        } else {
          month = nextMonth;
        }
        day = 1;
        hour = 0;
        minute = 0;
        continue;
      }
      if (!this.dayMatches(year, month, day)) {
        toNextDay();
        continue;
      }
      const nextHour = firstSetFrom(this.hours, hour, 23);
      if (nextHour === undefined) {
        toNextDay();
        continue;
      }
      if (nextHour !== hour) {
        hour = nextHour;
        minute = 0;
      }
      const nextMinute = firstSetFrom(this.minutes, minute, 59);
      if (nextMinute === undefined) {
        if (hour === 23) {
          toNextDay();
        } else {
          hour++;
          minute = 0;
        }
        continue;
      }
      return utcDate(year, month, day, hour, nextMinute);
    }
    throw new Error(`CronSchedule "${this.expression}" found no match within ${SEARCH_YEARS} years`);
  }

  toString(): string {
    return this.expression;
  }

  private dayMatches(year: number, month: number, day: number): boolean {
    const domOk = this.daysOfMonth[day] === 1;
    const dowOk = this.daysOfWeek[weekday(year, month, day)] === 1;
    return this.eitherDayMatches ? domOk || dowOk : domOk && dowOk;
  }
}

function parseField(spec: FieldSpec, text: string, expression: string): Uint8Array {
  const fail = (part: string, reason: string): never => {
    throw new CronSyntaxError(`${spec.name} field "${part}": ${reason}`, expression);
  };
  const set = new Uint8Array(spec.max + 1);
  for (const part of text.split(',')) {
    if (part === '') fail(text, 'empty item in list');
    const slash = part.indexOf('/');
    const base = slash === -1 ? part : part.slice(0, slash);
    let step = 1;
    if (slash !== -1) {
      const stepText = part.slice(slash + 1);
      if (!/^\d+$/.test(stepText)) fail(part, `step "${stepText}" is not a whole number`);
      step = Number(stepText);
      // A step at least as wide as the field yields only its start, which is almost always a misreading
      // such as `*/90` for "every 90 minutes"; refusing it is kinder than silently running hourly.
      const width = spec.openEnd - spec.min + 1;
      if (step < 1 || step > width) fail(part, `step ${step} is outside 1-${width}`);
    }

    let low: number;
    let high: number;
    if (base === '*') {
      low = spec.min;
      high = spec.openEnd;
    } else {
      const dash = base.indexOf('-');
      if (dash === -1) {
        low = parseValue(spec, base, part, fail);
        high = slash === -1 ? low : spec.openEnd;
        // `7/2` on day-of-week would otherwise be an empty range, since open ranges stop at Saturday.
        if (high < low) high = low;
      } else {
        low = parseValue(spec, base.slice(0, dash), part, fail);
        high = parseValue(spec, base.slice(dash + 1), part, fail);
        if (low > high) {
          const hint = spec.name === 'day-of-week' && high === 0 ? '; write Sunday as 7 to end a range on it' : '';
          fail(part, `range ${low}-${high} is reversed (start is after end)${hint}`);
        }
      }
    }
    for (let v = low; v <= high; v += step) set[v] = 1;
  }
  if (spec.name === 'day-of-week' && set[7]) {
    set[0] = 1;
    set[7] = 0;
  }
  return set;
}

function parseValue(
  spec: FieldSpec,
  token: string,
  part: string,
  fail: (part: string, reason: string) => never,
): number {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < spec.min || value > spec.max) fail(part, `${value} is outside ${spec.min}-${spec.max}`);
    return value;
  }
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index === -1) {
    const what = spec.names
      ? `a number or ${spec.name === 'month' ? 'month name (JAN-DEC)' : 'day name (SUN-SAT)'}`
      : 'a number';
    return fail(part, `"${token}" is not ${what}`);
  }
  return index + spec.nameBase!;
}

function someDayFitsSomeMonth(daysOfMonth: Uint8Array, months: Uint8Array): boolean {
  for (let month = 1; month <= 12; month++) {
    if (!months[month]) continue;
    for (let day = 1; day <= MAX_DAYS_IN_MONTH[month - 1]!; day++) if (daysOfMonth[day]) return true;
  }
  return false;
}

function firstSetFrom(set: Uint8Array, from: number, to: number): number | undefined {
  for (let v = from; v <= to; v++) if (set[v]) return v;
  return undefined;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 && !isLeapYear(year) ? 28 : MAX_DAYS_IN_MONTH[month - 1]!;
}

/** Sakamoto's method; avoids a Date allocation per candidate day and Date.UTC's remapping of years 0-99. */
function weekday(year: number, month: number, day: number): number {
  const offsets = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
  const y = month < 3 ? year - 1 : year;
  const n = y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + offsets[month - 1]! + day;
  return ((n % 7) + 7) % 7;
}

function utcDate(year: number, month: number, day: number, hour: number, minute: number): Date {
  // setUTCFullYear rather than Date.UTC, which would read years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, 0, 0);
  if (Number.isNaN(date.getTime()))
    throw new RangeError('CronSchedule.next: the next match lies beyond the range of Date');
  return date;
}
