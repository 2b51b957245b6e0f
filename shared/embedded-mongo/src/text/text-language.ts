import { newStemmer } from 'snowball-stemmers';
import {
  dan,
  deu,
  eng,
  fin,
  fra,
  hun,
  ita,
  nld,
  nob,
  por,
  ron,
  rus,
  spa,
  swe,
  tur,
} from 'stopword';

/** A language of MongoDB's text search: its Snowball stemmer and its stop words. */
export interface TextLanguage {
  /** The name MongoDB reports (`english`, ..., `none`). */
  readonly name: string;
  stem(word: string): string;
  /** True for a stop word; `folded` is lower case without diacritics (see {@link foldWord}). */
  isStopWord(folded: string): boolean;
}

/** Lower case without diacritics: how text index terms are compared by default. */
export function foldWord(word: string): string {
  return stripDiacritics(word.toLowerCase());
}

export function stripDiacritics(word: string): string {
  return word
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .normalize('NFC');
}

// MongoDB 7.0's text search languages (name, ISO 639-1 code) with their stop words.
const LANGUAGES: readonly [name: string, code: string, stopWords: readonly string[]][] = [
  ['danish', 'da', dan],
  ['dutch', 'nl', nld],
  ['english', 'en', eng],
  ['finnish', 'fi', fin],
  ['french', 'fr', fra],
  ['german', 'de', deu],
  ['hungarian', 'hu', hun],
  ['italian', 'it', ita],
  ['norwegian', 'nb', nob],
  ['portuguese', 'pt', por],
  ['romanian', 'ro', ron],
  ['russian', 'ru', rus],
  ['spanish', 'es', spa],
  ['swedish', 'sv', swe],
  ['turkish', 'tr', tur],
];

const NONE: TextLanguage = { name: 'none', stem: (word) => word, isStopWord: () => false };

const cache = new Map<string, TextLanguage>([
  ['none', NONE],
  ['simple', NONE],
]);

function load(name: string, stopWordList: readonly string[]): TextLanguage {
  const stemmer = newStemmer(name);
  const stopWords = new Set(stopWordList.map(foldWord));
  return {
    name,
    stem: (word) => stemmer.stem(word),
    isStopWord: (folded) => stopWords.has(folded),
  };
}

/**
 * The language a text index or `$text` query names, by name or code, case-insensitively
 * (stemmers are built on first use); undefined for a language MongoDB does not know.
 */
export function textLanguage(name: string): TextLanguage | undefined {
  const wanted = name.toLowerCase();
  const cached = cache.get(wanted);
  if (cached) return cached;
  const entry = LANGUAGES.find(([full, code]) => full === wanted || code === wanted);
  if (!entry) return undefined;
  const language = cache.get(entry[0]) ?? load(entry[0], entry[2]);
  cache.set(entry[0], language);
  cache.set(entry[1], language);
  return language;
}

export interface TokenOptions {
  caseSensitive?: boolean;
  diacriticSensitive?: boolean;
}

/**
 * The terms of a string as MongoDB's text index sees them: words split at anything that is not a
 * letter, mark or digit, stop words dropped, the rest stemmed; folded to lower case without
 * diacritics unless the options ask for case or diacritic sensitivity.
 */
export function textTerms(
  text: string,
  language: TextLanguage,
  options: TokenOptions = {},
): string[] {
  const terms: string[] = [];
  for (const word of text.split(/[^\p{L}\p{M}\p{N}]+/u)) {
    if (word === '') continue;
    const folded = foldWord(word);
    if (language.isStopWord(folded)) continue;
    if (!options.caseSensitive && !options.diacriticSensitive) {
      terms.push(language.stem(folded));
      continue;
    }
    let form = options.caseSensitive ? word : word.toLowerCase();
    if (!options.diacriticSensitive) form = stripDiacritics(form);
    terms.push(language.stem(form));
  }
  return terms;
}
