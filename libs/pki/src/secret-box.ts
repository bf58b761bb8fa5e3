import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { PkiError } from './errors';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Authenticated encryption for secrets stored in the database (push key, CA key, tokens), so a database
 * dump alone does not give them away. Format `v1.<iv>.<tag>.<ciphertext>` (base64url) leaves room for a
 * later algorithm or key rotation without guessing what old rows hold.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** `key`: 32 bytes as base64 (44 chars) or hex (64 chars), e.g. from `openssl rand -base64 32`. */
  static fromKey(key: string): SecretBox {
    const trimmed = key.trim();
    let bytes: Buffer | undefined;
    if (/^[0-9a-fA-F]{64}$/.test(trimmed)) bytes = Buffer.from(trimmed, 'hex');
    else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) bytes = Buffer.from(trimmed, 'base64');
    if (!bytes || bytes.length !== 32) {
      throw new Error('secret key must be 32 bytes, given as base64 (openssl rand -base64 32) or 64 hex characters');
    }
    return new SecretBox(bytes);
  }

  seal(plain: Buffer | string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string): Buffer {
    const parts = sealed.trim().split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw new PkiError(`sealed secret is not in the ${VERSION}.<iv>.<tag>.<ciphertext> format`, 'malformed');
    }
    const [, iv, tag, ciphertext] = parts.map((p) => Buffer.from(p, 'base64url'));
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new PkiError('sealed secret has a bad IV or tag length', 'malformed');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw new PkiError('sealed secret could not be opened: wrong key or tampered data', 'malformed');
    }
  }

  openString(sealed: string): string {
    return this.open(sealed).toString('utf8');
  }
}
