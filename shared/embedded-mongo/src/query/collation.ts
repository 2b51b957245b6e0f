/**
 * MongoDB collations (`collation: {locale, strength, ...}`) through ICU as Node.js exposes it
 * (`Intl.Collator`): string comparison for queries, sorts, indexes, distinct and grouping.
 *
 * Intl.Collator offers ICU's sensitivity levels, case ordering, numeric ordering and ignoring
 * punctuation; MongoDB's `backwards` (French secondary order) is done here by comparing accents
 * from the end of the string, and `alternate: "shifted"` with `maxVariable: "space"` ignores
 * whitespace only. Strengths 4 and 5 break ties that the tertiary level leaves by code point.
 */
import { compareValues, isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';

/** A collation document as MongoDB reports it, with every field filled in. */
export interface CollationSpec {
  locale: string;
  caseLevel: boolean;
  caseFirst: 'upper' | 'lower' | 'off';
  strength: 1 | 2 | 3 | 4 | 5;
  numericOrdering: boolean;
  alternate: 'non-ignorable' | 'shifted';
  maxVariable: 'punct' | 'space';
  normalization: boolean;
  backwards: boolean;
  version: string;
}

// mongod's code for an unknown field in a collation document.
const UNKNOWN_FIELD = 40415;

/** The ICU version mongod 7.0 reports in a collation's `version`. */
const ICU_VERSION = '57.1';

function oneOf<T extends string>(
  spec: Document,
  field: string,
  values: readonly T[],
  fallback: T,
): T {
  const value = spec[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !values.includes(value as T)) {
    fail(
      ErrorCode.FailedToParse,
      `Field '${field}' must be one of ${values.map((v) => `'${v}'`).join(', ')}`,
    );
  }
  return value as T;
}

function flag(spec: Document, field: string): boolean {
  const value = spec[field];
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    fail(ErrorCode.TypeMismatch, `Field '${field}' must be of type bool`);
  return value;
}

const FIELDS = new Set([
  'locale',
  'caseLevel',
  'caseFirst',
  'strength',
  'numericOrdering',
  'alternate',
  'maxVariable',
  'normalization',
  'backwards',
  'version',
]);

/** A string compare function for one collation. */
export class Collation {
  readonly spec: CollationSpec;
  private readonly primary: Intl.Collator;
  private readonly accents: Intl.Collator | undefined;
  private readonly ignoreSpaces: boolean;

  constructor(spec: CollationSpec) {
    this.spec = spec;
    const locale = spec.locale.replace(/_/g, '-');
    const caseFirst = spec.caseFirst === 'off' ? 'false' : spec.caseFirst;
    let sensitivity: Intl.CollatorOptions['sensitivity'] =
      spec.strength === 1 ? 'base' : spec.strength === 2 ? 'accent' : 'variant';
    if (spec.caseLevel && sensitivity === 'base') sensitivity = 'case';
    if (spec.caseLevel && sensitivity === 'accent') sensitivity = 'variant';
    const shifted = spec.alternate === 'shifted';
    this.ignoreSpaces = shifted && spec.maxVariable === 'space';
    const options: Intl.CollatorOptions = {
      sensitivity,
      caseFirst,
      numeric: spec.numericOrdering,
      ignorePunctuation: shifted && !this.ignoreSpaces,
      usage: 'sort',
    };
    this.primary = new Intl.Collator(locale, options);
    this.accents =
      spec.backwards && spec.strength >= 2
        ? new Intl.Collator(locale, { ...options, sensitivity: 'base' })
        : undefined;
  }

  /** Compares two strings under this collation (negative, zero or positive). */
  compareStrings(a: string, b: string): number {
    if (a === b) return 0;
    const x = this.ignoreSpaces ? a.replace(/\s+/gu, '') : a;
    const y = this.ignoreSpaces ? b.replace(/\s+/gu, '') : b;
    let order: number;
    if (this.accents) {
      // French order: equal base letters, then accents compared from the end of the string.
      order = this.accents.compare(x, y);
      if (order === 0)
        order = this.primary.compare([...x].reverse().join(''), [...y].reverse().join(''));
    } else {
      order = this.primary.compare(x, y);
    }
    if (order === 0 && this.spec.strength >= 4) order = x < y ? -1 : x > y ? 1 : 0;
    return Math.sign(order);
  }

  /** BSON order with strings (also inside arrays and documents) compared under this collation. */
  compareValues(a: unknown, b: unknown): number {
    if (typeof a === 'string' && typeof b === 'string') return this.compareStrings(a, b);
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const order = this.compareValues(a[i], b[i]);
        if (order !== 0) return order;
      }
      return Math.sign(a.length - b.length);
    }
    if (isPlainObject(a) && isPlainObject(b)) {
      const ka = Object.keys(a);
      const kb = Object.keys(b);
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const typeOrder = compareValues(a[ka[i] as string], b[kb[i] as string]);
        const nameOrder = compareValues(ka[i], kb[i]);
        if (nameOrder !== 0 && typeOrder === 0) return nameOrder;
        const order = this.compareValues(a[ka[i] as string], b[kb[i] as string]);
        if (order !== 0) return order;
        if (nameOrder !== 0) return nameOrder;
      }
      return Math.sign(ka.length - kb.length);
    }
    return compareValues(a, b);
  }

  /** Whether two collations order every string alike (same resolved fields). */
  equals(other: Collation | undefined): boolean {
    return other !== undefined && JSON.stringify(this.spec) === JSON.stringify(other.spec);
  }
}

const cache = new Map<string, Collation>();
const bySpec = new WeakMap<object, Collation>();

/** The collation whose {@link Collation.spec} `spec` is (mingo hands operators the spec only). */
export function collationOfSpec(spec: unknown): Collation | undefined {
  return typeof spec === 'object' && spec !== null ? bySpec.get(spec) : undefined;
}

/**
 * The collation a `collation` option asks for: undefined for none or `{locale: "simple"}` (binary
 * comparison). Throws mongod's errors for a malformed document or an unknown locale.
 */
export function parseCollation(value: unknown): Collation | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value))
    fail(
      ErrorCode.TypeMismatch,
      "BSON field 'collation' is the wrong type, expected type 'object'",
    );
  for (const field of Object.keys(value)) {
    if (!FIELDS.has(field))
      fail(UNKNOWN_FIELD, `BSON field 'collation.${field}' is an unknown field.`);
  }
  const locale = value.locale;
  if (typeof locale !== 'string')
    fail(ErrorCode.FailedToParse, "Required field 'locale' is missing or not a string");
  if (locale === 'simple') {
    if (Object.keys(value).length > 1)
      fail(ErrorCode.BadValue, 'Collation with locale "simple" cannot have other fields');
    return undefined;
  }
  let supported: string[];
  try {
    supported = Intl.Collator.supportedLocalesOf(locale.replace(/_/g, '-'));
  } catch {
    supported = [];
  }
  if (supported.length === 0)
    fail(ErrorCode.BadValue, `Field 'locale' is invalid in: { locale: "${locale}" }`);
  const strength = value.strength ?? 3;
  if (typeof strength !== 'number' || ![1, 2, 3, 4, 5].includes(strength)) {
    fail(ErrorCode.FailedToParse, "Field 'strength' must be an integer 1 through 5");
  }
  const spec: CollationSpec = {
    locale,
    caseLevel: flag(value, 'caseLevel'),
    caseFirst: oneOf(value, 'caseFirst', ['upper', 'lower', 'off'] as const, 'off'),
    strength: strength as CollationSpec['strength'],
    numericOrdering: flag(value, 'numericOrdering'),
    alternate: oneOf(value, 'alternate', ['non-ignorable', 'shifted'] as const, 'non-ignorable'),
    maxVariable: oneOf(value, 'maxVariable', ['punct', 'space'] as const, 'punct'),
    normalization: flag(value, 'normalization'),
    backwards: flag(value, 'backwards'),
    version: ICU_VERSION,
  };
  const key = JSON.stringify(spec);
  let collation = cache.get(key);
  if (!collation) {
    collation = new Collation(spec);
    cache.set(key, collation);
    bySpec.set(collation.spec, collation);
  }
  return collation;
}

/** `a` and `b` compared under `collation`, or in plain BSON order without one. */
export function compareCollated(collation: Collation | undefined, a: unknown, b: unknown): number {
  return collation ? collation.compareValues(a, b) : compareValues(a, b);
}
