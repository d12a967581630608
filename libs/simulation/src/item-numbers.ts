import { s10CheckDigit, type MailClass } from '@app/contracts';

/** S10 service indicators per mail class: E.. is EMS, C.. and V.. parcels, the rest letters and small packets. */
export const SERVICE_INDICATORS: Readonly<Record<MailClass, readonly string[]>> = {
  EXPRESS: ['EA', 'EB', 'ED', 'EM'],
  PARCEL: ['CA', 'CP', 'VA'],
  LETTER: ['LA', 'RA', 'RR', 'UA'],
};

export const MAX_SERIAL = 99_999_999;

/** A UPU S10 item id with a valid check digit, e.g. `itemNumber('EA', 12345678)` is `EA123456785CN`. */
export function itemNumber(indicator: string, serial: number, country = 'CN'): string {
  const digits = String(serial).padStart(8, '0');
  return `${indicator}${digits}${s10CheckDigit(digits)}${country}`;
}

/** The same id with a wrong check digit: what a misread barcode gives. */
export function withWrongCheckDigit(itemId: string): string {
  const check = Number(itemId[10]);
  return `${itemId.slice(0, 10)}${(check + 1) % 10}${itemId.slice(11)}`;
}
