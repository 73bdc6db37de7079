import { badInput, type FieldProblem } from '@learnhub/platform/errors';
import { Charge, CourseGrade, TeachingMode } from '@learnhub/contracts/published-course';
import type { MediaSummary } from '@learnhub/media/client';

/**
 * A course as a client sends it, base and marketing fields side by side. Every field is
 * optional so that the rules below, not the caller's types, say what is missing; on update,
 * `undefined` keeps the stored value and `null` clears it.
 */
export interface CourseFields {
  name?: string | null;
  audience?: string | null;
  tags?: string | null;
  mt?: string | null;
  st?: string | null;
  grade?: CourseGrade | null;
  teachingMode?: TeachingMode | null;
  description?: string | null;
  coverMediaId?: string | null;
  charge?: Charge | null;
  price?: string | null;
  originalPrice?: string | null;
  qq?: string | null;
  wechat?: string | null;
  phone?: string | null;
  validDays?: number | null;
}

export interface ValidCourseBase {
  name: string;
  audience: string;
  tags?: string;
  mt: string;
  st: string;
  grade: CourseGrade;
  teachingMode: TeachingMode;
  description?: string;
  coverMediaId?: string;
}

export interface ValidCourseMarket {
  charge: Charge;
  price: string;
  originalPrice?: string;
  qq?: string;
  wechat?: string;
  phone?: string;
  validDays?: number;
}

/** A course that passed every rule, trimmed and normalised, ready to store. */
export interface ValidCourse {
  base: ValidCourseBase;
  market: ValidCourseMarket;
}

export interface CategoryFacts {
  id: string;
  parentId?: string | null;
  isShow: boolean;
}

/** What the rules need to know beyond the input itself. */
export interface CourseFacts {
  organisationId: string;
  /** Every category, to check mt and st against. */
  categories: ReadonlyMap<string, CategoryFacts>;
  /** The media directory's answer for a cover the input newly sets; `unchecked` when the cover is kept or cleared. */
  cover: MediaSummary | 'missing' | 'unchecked';
}

/** The hidden root of the category tree: majors are its children. */
const CATEGORY_ROOT = '1';
const MONEY = /^\d{1,8}(\.\d{1,2})?$/;
const QQ = /^\d{5,12}$/;
const PHONE = /^[\d+\- ]{6,20}$/;

/** Counted in code points, as PostgreSQL and MariaDB count a column's characters. */
const length = (text: string) => [...text].length;

/** Trims text; empty becomes undefined. */
const clean = (text: string | null | undefined) => text?.trim() || undefined;

/** A money amount as an exact two-place decimal string ("199" → "199.00"), or undefined when it is not one. */
function toMoney(text: string): string | undefined {
  const trimmed = text.trim();
  if (!MONEY.test(trimmed)) return undefined;
  const [whole, fraction = ''] = trimmed.split('.');
  return `${whole.replace(/^0+(?=\d)/, '')}.${fraction.padEnd(2, '0')}`;
}

/** Whole cents of a normalised amount: compared as integers, never through floating point. */
const cents = (money: string) => BigInt(money.replace('.', ''));

/** Checks a whole course (create, or stored values merged with an update) and returns it normalised; one error names every problem. */
export function validateCourse(fields: CourseFields, facts: CourseFacts): ValidCourse {
  const problems: FieldProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });

  const text = (
    field: keyof CourseFields & string,
    value: string | null | undefined,
    max: number,
    required: boolean,
  ) => {
    const cleaned = clean(value);
    if (cleaned === undefined) {
      if (required) problem(field, 'is required');
    } else if (length(cleaned) > max) {
      problem(field, `must be at most ${max} characters (it has ${length(cleaned)})`);
    }
    return cleaned;
  };
  const name = text('name', fields.name, 100, true);
  const audience = text('audience', fields.audience, 500, true);
  const tags = text('tags', fields.tags, 200, false);
  const description = text('description', fields.description, 5000, false);

  const mt = clean(fields.mt);
  const st = clean(fields.st);
  const isMajor = (c: CategoryFacts | undefined) => c?.parentId === CATEGORY_ROOT;
  const major = mt === undefined ? undefined : facts.categories.get(mt);
  const majorOnOffer = isMajor(major) && major?.isShow === true;
  if (mt === undefined) problem('mt', 'is required: choose a major category such as 1-3');
  else if (!majorOnOffer) problem('mt', `${mt} is not a major category on offer (see courseCategories)`);
  const minor = st === undefined ? undefined : facts.categories.get(st);
  if (st === undefined) problem('st', 'is required: choose a minor category under mt, such as 1-3-2');
  else if (!minor?.parentId || !isMajor(facts.categories.get(minor.parentId)) || !minor.isShow) {
    problem('st', `${st} is not a minor category on offer (see courseCategories)`);
  } else if (majorOnOffer && minor.parentId !== mt) {
    problem('st', `${st} belongs to major ${minor.parentId}, not to mt ${mt}`);
  }

  const oneOf = <E extends string>(field: string, value: E | null | undefined, allowed: Record<string, E>) => {
    if (value == null) problem(field, `is required: one of ${Object.values(allowed).join(', ')}`);
    else if (!Object.values(allowed).includes(value))
      problem(field, `must be one of ${Object.values(allowed).join(', ')}`);
    return value ?? undefined;
  };
  const grade = oneOf('grade', fields.grade, CourseGrade);
  const teachingMode = oneOf('teachingMode', fields.teachingMode, TeachingMode);
  const charge = oneOf('charge', fields.charge, Charge);

  const money = (field: string, value: string | null | undefined) => {
    if (value == null || value.trim() === '') return undefined;
    const amount = toMoney(value);
    if (amount === undefined)
      problem(field, `must be an amount such as 199 or 19.90 (up to 8 digits and 2 decimals), not "${value}"`);
    return amount;
  };
  let price: string | undefined;
  let originalPrice: string | undefined;
  if (charge === Charge.FREE) {
    // Free means free: whatever price came with it is overruled rather than refused.
    price = '0.00';
  } else if (charge === Charge.PAID) {
    price = money('price', fields.price);
    originalPrice = money('originalPrice', fields.originalPrice);
    if (fields.price == null || fields.price.trim() === '') problem('price', 'is required for a paid course');
    else if (price !== undefined && cents(price) === 0n)
      problem('price', 'must be more than 0 for a paid course (choose FREE for a free one)');
    if (price !== undefined && originalPrice !== undefined && cents(originalPrice) < cents(price)) {
      problem('originalPrice', `must be at least the price ${price}`);
    }
  }

  const qq = clean(fields.qq);
  if (qq !== undefined && !QQ.test(qq)) problem('qq', 'must be 5 to 12 digits');
  const phone = clean(fields.phone);
  if (phone !== undefined && !PHONE.test(phone))
    problem('phone', 'must be 6 to 20 characters of digits, +, - and spaces');
  const wechat = text('wechat', fields.wechat, 64, false);
  const validDays = fields.validDays ?? undefined;
  if (validDays !== undefined && (!Number.isInteger(validDays) || validDays < 1 || validDays > 3650)) {
    problem('validDays', 'must be a whole number of days from 1 to 3650 (leave it empty for no limit)');
  }

  const coverMediaId = clean(fields.coverMediaId);
  const cover = facts.cover;
  if (cover === 'missing') problem('coverMediaId', `${coverMediaId} is not in your media library`);
  else if (cover !== 'unchecked') {
    if (cover.organisationId !== facts.organisationId)
      problem('coverMediaId', `${coverMediaId} belongs to another organisation`);
    else if (cover.type !== 'IMAGE')
      problem('coverMediaId', `must be an image, and ${coverMediaId} is a ${cover.type.toLowerCase()}`);
  }

  if (problems.length > 0) {
    throw badInput(`The course cannot be saved: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`, {
      fields: problems,
    });
  }
  return {
    // Every required value is defined here: each missing one added a problem above.
    base: {
      name: name!,
      audience: audience!,
      tags,
      mt: mt!,
      st: st!,
      grade: grade!,
      teachingMode: teachingMode!,
      description,
      coverMediaId,
    },
    market: { charge: charge!, price: price!, originalPrice, qq, wechat, phone, validDays },
  };
}
