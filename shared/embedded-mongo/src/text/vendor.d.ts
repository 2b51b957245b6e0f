// Neither package ships type declarations; these describe the parts the engine uses.

declare module 'snowball-stemmers' {
  interface Stemmer {
    stem(word: string): string;
  }
  /** Names of the Snowball algorithms in this build ('english', 'french', ...). */
  export function algorithms(): string[];
  export function newStemmer(algorithm: string): Stemmer;
}

declare module 'stopword' {
  // Stop word lists by ISO 639-3 code: the languages of MongoDB's text search.
  export const dan: readonly string[];
  export const deu: readonly string[];
  export const eng: readonly string[];
  export const fin: readonly string[];
  export const fra: readonly string[];
  export const hun: readonly string[];
  export const ita: readonly string[];
  export const nld: readonly string[];
  export const nob: readonly string[];
  export const por: readonly string[];
  export const ron: readonly string[];
  export const rus: readonly string[];
  export const spa: readonly string[];
  export const swe: readonly string[];
  export const tur: readonly string[];
}
