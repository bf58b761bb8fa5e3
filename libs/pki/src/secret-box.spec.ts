import { randomBytes } from 'node:crypto';
import { PkiError } from './errors';
import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  const key = randomBytes(32);
  const box = SecretBox.fromKey(key.toString('base64'));

  it('round-trips strings and bytes, with a fresh IV each time', () => {
    const a = box.seal('push key PEM');
    const b = box.seal('push key PEM');
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(box.openString(a)).toBe('push key PEM');
    const bytes = randomBytes(100);
    expect(box.open(box.seal(bytes)).equals(bytes)).toBe(true);
    expect(box.openString(box.seal(''))).toBe('');
  });

  it('accepts the same key as hex', () => {
    const hexBox = SecretBox.fromKey(key.toString('hex'));
    expect(hexBox.openString(box.seal('x'))).toBe('x');
  });

  it('rejects keys of the wrong size or format, naming the expected format', () => {
    expect(() => SecretBox.fromKey(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
    expect(() => SecretBox.fromKey('not a key')).toThrow(/base64|hex/);
    expect(() => SecretBox.fromKey('')).toThrow(Error);
  });

  it('refuses tampered data, the wrong key and other formats', () => {
    const sealed = box.seal('secret');
    const [v, iv, tag, ct] = sealed.split('.');
    const flip = (s: string) => {
      const buf = Buffer.from(s, 'base64url');
      buf[0] ^= 1;
      return buf.toString('base64url');
    };
    for (const bad of [
      [v, iv, tag, flip(ct)].join('.'),
      [v, iv, flip(tag), ct].join('.'),
      [v, flip(iv), tag, ct].join('.'),
      ['v2', iv, tag, ct].join('.'),
      'garbage',
    ]) {
      expect(() => box.open(bad)).toThrow(PkiError);
    }
    const other = SecretBox.fromKey(randomBytes(32).toString('hex'));
    expect(() => other.open(sealed)).toThrow(expect.objectContaining({ code: 'malformed' }));
  });
});
