import { isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import { MISSING, valuesAtPath } from '../query/paths';
import { textLanguage, textTerms, type TextLanguage } from './text-language';

/** The text index version mongod 7.0 builds. */
const TEXT_INDEX_VERSION = 3;
const WILDCARD = '$**';
// mongod's bound on a field weight (MAX_WEIGHT / 10000 in fts_spec.cpp).
const MAX_WORD_WEIGHT = 100000;

/** True for a key pattern holding a text field (as the user writes it or as mongod stores it). */
export function isTextKey(key: Document): boolean {
  return Object.entries(key).some(([field, value]) => value === 'text' || field === '_fts');
}

/** The options of a text index as listIndexes reports them (besides `v`, `key`, `name`). */
export interface TextIndexOptions {
  key: Document;
  weights: Document;
  default_language: string;
  language_override: string;
  textIndexVersion: number;
}

/**
 * A text index definition in mongod's stored form: `{a: 1, title: 'text', body: 'text'}` becomes
 * the key `{a: 1, _fts: 'text', _ftsx: 1}` with `weights: {body: 1, title: 1}` (the text fields
 * must be adjacent; plain fields may come before or after them). Validates as mongod does, with
 * CannotCreateIndex (67) for a malformed definition.
 */
export function normalizeTextIndex(raw: Document, key: Document): TextIndexOptions {
  const cannot = (message: string): never => fail(ErrorCode.CannotCreateIndex, message);
  const normalized: Document = {};
  const weights = new Map<string, number>();
  let seenText = false;
  let textEnded = false;
  for (const [field, value] of Object.entries(key)) {
    if (field === '_fts' || field === '_ftsx') {
      // Already in stored form (a spec read back from listIndexes or the journal).
      if (field === '_fts' && value !== 'text') cannot('expecting _fts:"text"');
      seenText = true;
      normalized[field] = field === '_fts' ? 'text' : 1;
      continue;
    }
    if (value === 'text') {
      if (textEnded) cannot("'text' fields in index must all be adjacent");
      if (!seenText) Object.assign(normalized, { _fts: 'text', _ftsx: 1 });
      seenText = true;
      weights.set(field, 1);
      continue;
    }
    if (seenText) textEnded = true;
    if (value !== 1 && value !== -1) {
      cannot('expected value 1 or -1 for non-text key in compound index');
    }
    normalized[field] = value;
  }
  if (raw.weights !== undefined) {
    if (raw.weights === WILDCARD) weights.set(WILDCARD, 1);
    else if (isPlainObject(raw.weights)) {
      for (const [field, weight] of Object.entries(raw.weights)) {
        if (typeof weight !== 'number') cannot('weight for text index needs numeric type');
        weights.set(field, Math.trunc(weight as number));
      }
    } else cannot("text index option 'weights' must be an object");
  }
  if (weights.size === 0) cannot("text index option 'weights' must specify fields or the wildcard");
  for (const [field, weight] of weights) {
    if (weight <= 0 || weight >= MAX_WORD_WEIGHT) {
      cannot(
        `text index weight must be in the exclusive interval (0,${MAX_WORD_WEIGHT}) but found: ${weight}`,
      );
    }
    if (field !== WILDCARD && field.split('.').some((part) => part === '' || part.startsWith('$')))
      cannot(`weight cannot have an empty or $-prefixed path component: ${field}`);
  }
  const language = raw.default_language ?? 'english';
  if (typeof language !== 'string' || !textLanguage(language)) {
    cannot(`default_language is not valid: ${String(language)}`);
  }
  const override = raw.language_override ?? 'language';
  if (
    typeof override !== 'string' ||
    override === '' ||
    override.startsWith('$') ||
    override.includes('.')
  )
    cannot(`language_override is not valid: ${String(override)}`);
  const sortedWeights: Document = {};
  for (const field of [...weights.keys()].sort()) sortedWeights[field] = weights.get(field);
  return {
    key: normalized,
    weights: sortedWeights,
    default_language: language as string,
    language_override: override as string,
    textIndexVersion: TEXT_INDEX_VERSION,
  };
}

/** How one text index reads documents: fields, weights and languages. */
export class TextIndexDefinition {
  /** Plain key fields before the text fields (a query must pin them by equality). */
  readonly before: readonly string[];
  readonly after: readonly string[];
  readonly defaultLanguage: TextLanguage;
  readonly languageOverride: string;
  private readonly weights: ReadonlyMap<string, number>;
  private readonly wildcard: boolean;

  constructor(spec: Document) {
    const key = spec.key as Document;
    const fields = Object.keys(key);
    const fts = fields.indexOf('_fts');
    this.before = fields.slice(0, fts);
    this.after = fields.slice(fts + 2);
    const weights = new Map<string, number>();
    let wildcard = false;
    for (const [field, weight] of Object.entries((spec.weights ?? {}) as Document)) {
      if (field === WILDCARD) wildcard = true;
      else weights.set(field, Number(weight));
    }
    this.weights = weights;
    this.wildcard = wildcard;
    this.defaultLanguage = textLanguage(String(spec.default_language ?? 'english')) as TextLanguage;
    this.languageOverride = String(spec.language_override ?? 'language');
  }

  /**
   * The language a document is indexed in: its language override field when it has one
   * (17261 when that is not a string, 17262 when it names no known language), else the index's.
   */
  languageOf(doc: Document): TextLanguage {
    const override = doc[this.languageOverride];
    if (override === undefined) return this.defaultLanguage;
    if (typeof override !== 'string')
      fail(17261, 'found language override field in document with non-string type');
    const language = textLanguage(override);
    if (!language) fail(17262, `language override unsupported: ${override}`);
    return language;
  }

  /** Every indexed string of a document with its field's weight. */
  strings(doc: Document): { text: string; weight: number }[] {
    const out: { text: string; weight: number }[] = [];
    const add = (value: unknown, weight: number): void => {
      if (typeof value === 'string') out.push({ text: value, weight });
      else if (Array.isArray(value)) for (const element of value) add(element, weight);
    };
    for (const [path, weight] of this.weights) {
      for (const value of valuesAtPath(doc, path)) if (value !== MISSING) add(value, weight);
    }
    if (this.wildcard) {
      const walk = (value: unknown, path: string): void => {
        if (typeof value === 'string') {
          if (!this.weights.has(path)) out.push({ text: value, weight: 1 });
        } else if (Array.isArray(value)) for (const element of value) walk(element, path);
        else if (isPlainObject(value)) {
          for (const [field, inner] of Object.entries(value)) {
            if (path === '' && field === this.languageOverride) continue;
            walk(inner, path === '' ? field : `${path}.${field}`);
          }
        }
      };
      walk(doc, '');
    }
    return out;
  }

  /**
   * Each term of a document with its score, by mongod's formula (FTSSpec::_scoreStringV2): per
   * indexed string, a term occurring `count` times among `n` terms adds
   * `weight × (1 + 1/2 + … + 1/2^(count-1)) × (0.5 × count / n + 0.5)`, times 1.1 when the term is
   * the whole string.
   */
  termScores(doc: Document): Map<string, number> {
    const scores = new Map<string, number>();
    const strings = this.strings(doc);
    if (strings.length === 0) return scores;
    const language = this.languageOf(doc);
    for (const { text, weight } of strings) {
      const terms = textTerms(text, language);
      const counts = new Map<string, number>();
      for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
      for (const [term, count] of counts) {
        const frequency = 2 - 2 ** (1 - count);
        const coefficient = (0.5 * count) / terms.length + 0.5;
        const whole = text.length === term.length && text.toLowerCase() === term ? 1.1 : 1;
        scores.set(term, (scores.get(term) ?? 0) + weight * frequency * coefficient * whole);
      }
    }
    return scores;
  }
}
