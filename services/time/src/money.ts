import { BadUserInputError } from '@psa/shared';
import Decimal from 'decimal.js';

/**
 * Money is exact: amounts are decimal strings, computed with decimal.js (never a float), in an
 * ISO 4217 currency, rounded half-even (banker's rounding) to the currency's minor unit.
 */
const Exact = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });

/** An amount in a currency, as the GraphQL layer resolves `Money` (amount as a decimal string). */
export interface MoneyView {
  amount: string;
  currency: string;
}

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** The largest amount accepted for a rate or a budget. */
const MAX_AMOUNT = new Exact('1e12');

/** `raw` as an ISO 4217 code (upper-cased) the runtime knows, else BAD_USER_INPUT naming `field`. */
export function currencyCode(raw: string, field: string): string {
  const code = raw.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code) || !CURRENCIES.has(code)) {
    throw new BadUserInputError('currency must be an ISO 4217 code such as EUR', field);
  }
  return code;
}

/** The number of decimals of `currency`'s minor unit (2 for EUR, 0 for JPY, 3 for KWD). */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits as number;
}

/**
 * `raw` (a decimal string) as an amount of `currency`, from 0 (or above 0 when `positive`) up to
 * 10^12, with at most the minor unit's decimals; written with exactly that many. BAD_USER_INPUT
 * naming `field` otherwise.
 */
export function amountOf(raw: string, currency: string, field: string, positive = false): string {
  const digits = minorUnitDigits(currency);
  const text = raw.trim();
  if (!/^\d{1,13}(\.\d+)?$/.test(text)) {
    throw new BadUserInputError(
      `${field.replace(/^input\./, '')} must be a decimal such as "120.00"`,
      field,
    );
  }
  const value = new Exact(text);
  if (value.decimalPlaces() > digits) {
    throw new BadUserInputError(
      `${field.replace(/^input\./, '')} has at most ${digits} decimals in ${currency}`,
      field,
    );
  }
  if (value.gt(MAX_AMOUNT) || (positive && value.isZero())) {
    throw new BadUserInputError(
      `${field.replace(/^input\./, '')} must be ${positive ? 'above 0' : 'at least 0'} and at most 10^12`,
      field,
    );
  }
  return value.toFixed(digits);
}

/** `minutes` at `hourlyRate` (minutes × rate / 60), rounded half-even to the minor unit. */
export function priceOf(minutes: number, hourlyRate: string, currency: string): string {
  return new Exact(hourlyRate)
    .times(minutes)
    .dividedBy(60)
    .toDecimalPlaces(minorUnitDigits(currency), Exact.ROUND_HALF_EVEN)
    .toFixed(minorUnitDigits(currency));
}

/** The exact sum of `amounts` (each already rounded), written with the minor unit's decimals. */
export function sumOf(amounts: readonly string[], currency: string): string {
  return amounts
    .reduce((total, amount) => total.plus(amount), new Exact(0))
    .toFixed(minorUnitDigits(currency));
}

/** `part` / `whole` × 100, rounded half-even to one decimal (a percentage like percentComplete). */
export function percentOf(part: string | number, whole: string | number): number {
  return new Exact(part).times(100).dividedBy(whole).toDecimalPlaces(1).toNumber();
}
