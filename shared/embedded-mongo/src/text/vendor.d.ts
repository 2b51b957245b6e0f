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
  /** Stop word lists by ISO 639-3 code (`eng`, `fra`, ...). */
  const lists: Record<string, readonly string[] | undefined>;
  export = lists;
}
