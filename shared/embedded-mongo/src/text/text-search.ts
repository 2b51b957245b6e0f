import { isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import type { TextIndexDefinition } from './text-index';
import { stripDiacritics, textLanguage, textTerms, type TokenOptions } from './text-language';

/** A `$text` operator as the client sent it, validated. */
export interface TextOperator {
  search: string;
  language?: string;
  caseSensitive: boolean;
  diacriticSensitive: boolean;
}

const OPTIONS = new Set(['$search', '$language', '$caseSensitive', '$diacriticSensitive']);

/** Validates the value of a `$text` operator (BadValue / TypeMismatch as mongod answers). */
export function parseTextOperator(value: unknown): TextOperator {
  if (!isPlainObject(value)) fail(ErrorCode.BadValue, '$text expects an object');
  for (const option of Object.keys(value)) {
    if (!OPTIONS.has(option)) fail(ErrorCode.BadValue, `extra fields in $text: ${option}`);
  }
  const search = value.$search;
  if (typeof search !== 'string') fail(ErrorCode.TypeMismatch, '$search requires a string value');
  const language = value.$language;
  if (language !== undefined && typeof language !== 'string')
    fail(ErrorCode.TypeMismatch, '$language requires a string value');
  for (const flag of ['$caseSensitive', '$diacriticSensitive']) {
    if (value[flag] !== undefined && typeof value[flag] !== 'boolean')
      fail(ErrorCode.TypeMismatch, `${flag} requires a boolean value`);
  }
  return {
    search,
    ...(language !== undefined ? { language } : {}),
    caseSensitive: value.$caseSensitive === true,
    diacriticSensitive: value.$diacriticSensitive === true,
  };
}

/**
 * A `$text` search against one text index, parsed as mongod parses it (FTSQueryImpl): words are
 * ORed; `"a phrase"` must occur; `-word` and `-"a phrase"` exclude. Words of positive phrases
 * count as terms too; stop words are dropped and the rest stemmed in the query's language.
 */
export class TextSearch {
  /** The folded, stemmed positive terms: what the index is scanned for and what is scored. */
  readonly terms: readonly string[];
  private readonly sensitiveTerms: ReadonlySet<string>;
  private readonly negatedTerms: ReadonlySet<string>;
  private readonly phrases: readonly string[];
  private readonly negatedPhrases: readonly string[];
  private readonly options: TokenOptions;
  private readonly index: TextIndexDefinition;

  constructor(operator: TextOperator, index: TextIndexDefinition) {
    this.index = index;
    const language =
      operator.language === undefined ? index.defaultLanguage : textLanguage(operator.language);
    if (!language) {
      fail(
        ErrorCode.BadValue,
        `unsupported language: "${operator.language ?? ''}" for text index version 3`,
      );
    }
    this.options = {
      caseSensitive: operator.caseSensitive,
      diacriticSensitive: operator.diacriticSensitive,
    };
    const positive: string[] = [];
    const negative: string[] = [];
    const phrases: string[] = [];
    const negatedPhrases: string[] = [];
    // Tokens: a quote, a dash, or a run of other non-space characters; a negation lasts until
    // the next whitespace, and a dash only negates when whitespace (or the start) precedes it.
    const query = operator.search;
    let inPhrase = false;
    let negated = false;
    let phraseStart = 0;
    let previousSpace = true;
    for (let i = 0; i < query.length; i++) {
      const c = query[i] as string;
      if (/\s/u.test(c)) {
        previousSpace = true;
        if (!inPhrase) negated = false;
        continue;
      }
      if (c === '"') {
        if (inPhrase) {
          (negated ? negatedPhrases : phrases).push(query.slice(phraseStart, i));
          inPhrase = false;
        } else {
          if (negated && previousSpace) negated = false;
          inPhrase = true;
          phraseStart = i + 1;
        }
      } else if (c === '-' && !inPhrase && previousSpace) {
        negated = true;
      } else {
        let end = i;
        while (end < query.length && !/[\s"]/u.test(query[end] as string)) end++;
        const word = query.slice(i, end);
        if (!(inPhrase && negated)) (negated && !inPhrase ? negative : positive).push(word);
        i = end - 1;
      }
      previousSpace = false;
    }
    this.terms = [...new Set(textTerms(positive.join(' '), language))];
    const sensitive = this.options.caseSensitive || this.options.diacriticSensitive;
    this.sensitiveTerms = new Set(
      sensitive ? textTerms(positive.join(' '), language, this.options) : this.terms,
    );
    this.negatedTerms = new Set(textTerms(negative.join(' '), language, this.options));
    this.phrases = phrases;
    this.negatedPhrases = negatedPhrases;
  }

  /** The parsed search, as explain's `parsedTextQuery` shows it. */
  describe(): Document {
    return {
      terms: [...this.terms].sort(),
      negatedTerms: [...this.negatedTerms].sort(),
      phrases: [...this.phrases].sort(),
      negatedPhrases: [...this.negatedPhrases].sort(),
    };
  }

  /** True when a candidate the index found (it holds some term) must also be read in full. */
  get needsDocument(): boolean {
    return (
      this.negatedTerms.size > 0 ||
      this.phrases.length > 0 ||
      this.negatedPhrases.length > 0 ||
      this.options.caseSensitive === true ||
      this.options.diacriticSensitive === true
    );
  }

  /** The matcher's part of `$text` on a document the index found (FTSMatcher::matches). */
  matches(doc: Document): boolean {
    if (!this.needsDocument) return true;
    const strings = this.index.strings(doc).map((s) => s.text);
    const sensitive =
      this.options.caseSensitive === true || this.options.diacriticSensitive === true;
    // Tokenizing is the expensive part: only when terms must be checked beyond the index's.
    if (sensitive || this.negatedTerms.size > 0) {
      const language = this.index.languageOf(doc);
      const docTerms = new Set(strings.flatMap((text) => textTerms(text, language, this.options)));
      if (sensitive && ![...this.sensitiveTerms].some((term) => docTerms.has(term))) return false;
      if ([...this.negatedTerms].some((term) => docTerms.has(term))) return false;
    }
    const contains = (phrase: string): boolean => {
      const wanted = this.normalizePhrase(phrase);
      return strings.some((text) => this.normalizePhrase(text).includes(wanted));
    };
    return this.phrases.every(contains) && !this.negatedPhrases.some(contains);
  }

  private normalizePhrase(text: string): string {
    const cased = this.options.caseSensitive ? text : text.toLowerCase();
    return this.options.diacriticSensitive ? cased : stripDiacritics(cased);
  }
}
