import type { MailClass } from './scan-event';

/*
 * UPU S10 item identifiers: 2 letters (service indicator), 8 serial digits, 1 check digit,
 * 2-letter country code, e.g. EA123456785CN. Called once per scan event, so written with
 * char codes and no regex or allocation.
 */

const CODE_0 = 48;
const CODE_9 = 57;
const CODE_A = 65;
const CODE_Z = 90;
const CODE_E = 69;
const CODE_C = 67;
const CODE_V = 86;
const S10_LENGTH = 13;
const WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7];

function isDigit(code: number): boolean {
  return code >= CODE_0 && code <= CODE_9;
}

function isUpperLetter(code: number): boolean {
  return code >= CODE_A && code <= CODE_Z;
}

/** Weighted sum with weights 8 6 4 2 3 5 9 7 over the 8 digits starting at `offset`; -1 if one is not a digit. */
function weightedSum(text: string, offset: number): number {
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const digit = text.charCodeAt(offset + i) - CODE_0;
    if (digit < 0 || digit > 9) return -1;
    sum += digit * WEIGHTS[i];
  }
  return sum;
}

function checkDigitOfSum(sum: number): number {
  const c = 11 - (sum % 11);
  return c === 10 ? 0 : c === 11 ? 5 : c;
}

/** The S10 check digit of an 8-digit serial number. Throws a RangeError if it is not 8 digits. */
export function s10CheckDigit(serial8: string): number {
  const sum = serial8.length === 8 ? weightedSum(serial8, 0) : -1;
  if (sum < 0) throw new RangeError('an S10 serial number is exactly 8 digits');
  return checkDigitOfSum(sum);
}

/** Whether `itemId` is a well-formed S10 identifier whose check digit is right. Never throws. */
export function isValidS10(itemId: string): boolean {
  if (typeof itemId !== 'string' || itemId.length !== S10_LENGTH) return false;
  if (!isUpperLetter(itemId.charCodeAt(0)) || !isUpperLetter(itemId.charCodeAt(1))) return false;
  if (!isUpperLetter(itemId.charCodeAt(11)) || !isUpperLetter(itemId.charCodeAt(12))) return false;
  const check = itemId.charCodeAt(10);
  if (!isDigit(check)) return false;
  const sum = weightedSum(itemId, 2);
  return sum >= 0 && checkDigitOfSum(sum) === check - CODE_0;
}

/** The mail class implied by the service indicator: E.. express (EMS), C.. and V.. parcels, the rest letters. */
export function mailClassOfItem(itemId: string): MailClass {
  const first = itemId.charCodeAt(0);
  if (first === CODE_E) return 'EXPRESS';
  if (first === CODE_C || first === CODE_V) return 'PARCEL';
  return 'LETTER';
}
