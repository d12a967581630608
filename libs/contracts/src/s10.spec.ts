import { isValidS10, mailClassOfItem, s10CheckDigit } from './s10';

describe('S10 item ids', () => {
  it.each(['EA123456785CN', 'EB000000014CN', 'CP100000003CN', 'RR876543216CN'])(
    'accepts the valid number %s',
    (itemId) => {
      expect(isValidS10(itemId)).toBe(true);
    },
  );

  it.each([
    ['EA123456784CN', 'a wrong check digit'],
    ['EB000000015CN', 'a wrong check digit'],
    ['CP100000004CN', 'a wrong check digit'],
    ['RR876543210CN', 'a wrong check digit'],
    ['EA12345678CN', 'too few digits'],
    ['EA1234567855CN', 'too many digits'],
    ['ea123456785cn', 'lower-case letters'],
    ['E1123456785CN', 'a digit in the service indicator'],
    ['EA12345A785CN', 'a letter in the serial number'],
    ['EA123456785C1', 'a digit in the country code'],
    ['EA123456785CNX', 'a trailing character'],
    [' EA123456785CN', 'a leading space'],
    ['', 'an empty string'],
    ['EA１２３４５６７８５CN', 'full-width digits'],
  ])('rejects %s (%s)', (itemId) => {
    expect(isValidS10(itemId)).toBe(false);
  });

  it('computes the check digit with weights 8 6 4 2 3 5 9 7', () => {
    expect(s10CheckDigit('12345678')).toBe(5);
    expect(s10CheckDigit('87654321')).toBe(6);
  });

  it('turns a computed 10 into 0 and 11 into 5', () => {
    // 8 x 7 = 56, 56 mod 11 = 1, 11 - 1 = 10 -> 0
    expect(s10CheckDigit('00000008')).toBe(0);
    // sum 0, 11 - 0 = 11 -> 5
    expect(s10CheckDigit('00000000')).toBe(5);
    expect(isValidS10('EE000000080CN')).toBe(true);
    expect(isValidS10('EE000000005CN')).toBe(true);
  });

  it('refuses a serial number that is not 8 digits', () => {
    expect(() => s10CheckDigit('1234567')).toThrow(RangeError);
    expect(() => s10CheckDigit('1234567X')).toThrow(RangeError);
  });

  it('agrees with the check digit for every serial of a sample', () => {
    for (let n = 0; n < 100_000; n += 7) {
      const serial = String(n * 997)
        .padStart(8, '0')
        .slice(-8);
      expect(isValidS10(`RB${serial}${s10CheckDigit(serial)}CN`)).toBe(true);
      expect(isValidS10(`RB${serial}${(s10CheckDigit(serial) + 1) % 10}CN`)).toBe(false);
    }
  });

  it.each([
    ['EA123456785CN', 'EXPRESS'],
    ['EB000000014CN', 'EXPRESS'],
    ['CP100000003CN', 'PARCEL'],
    ['VA000000005CN', 'PARCEL'],
    ['RR876543216CN', 'LETTER'],
    ['LX000000005CN', 'LETTER'],
  ])('classes %s as %s from its service indicator', (itemId, mailClass) => {
    expect(mailClassOfItem(itemId)).toBe(mailClass);
  });
});
