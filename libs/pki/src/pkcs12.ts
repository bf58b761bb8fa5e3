import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { certificateFromDer, describe } from './certificates';
import { PkiError } from './errors';

export interface Pkcs12Contents {
  /** The certificate that belongs to the key (the leaf), as PEM. */
  certificatePem: string;
  /** The key as unencrypted PKCS#8 PEM. */
  privateKeyPem: string;
  /** Any other certificates in the file (intermediates), as PEM. */
  chainPem: string[];
}

/**
 * Reads a PKCS#12 file (what Keychain Access and `openssl pkcs12 -export` produce) into a certificate and its
 * key. Operators mostly get the password or the file wrong, so those cases get their own codes:
 * `bad-password`, `no-key`, `no-certificate`, `malformed`.
 */
export function parsePkcs12(der: Buffer, password = ''): Pkcs12Contents {
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
  } catch (err) {
    throw new PkiError(`PKCS#12 file is not valid DER: ${describe(err)}`, 'malformed');
  }
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
  } catch (err) {
    const message = describe(err);
    // forge reports a wrong password either at the MAC check or when a decrypted bag is garbage.
    if (/password|MAC|decrypt|Invalid|Too few bytes|Cannot read/i.test(message)) {
      throw new PkiError('PKCS#12 password is wrong (the file could not be decrypted with it)', 'bad-password');
    }
    throw new PkiError(`PKCS#12 file could not be read: ${message}`, 'malformed');
  }

  const keys = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? []),
  ].map(keyOf);
  const certs = (p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? []).map(certOf);
  if (!keys.length) {
    throw new PkiError('PKCS#12 file holds no private key; export the certificate together with its key', 'no-key');
  }
  if (!certs.length) throw new PkiError('PKCS#12 file holds no certificate', 'no-certificate');

  // The leaf is the certificate whose public key is the key's: bag order and localKeyId are not reliable.
  for (const key of keys) {
    const spki = spkiOf(createPublicKey(key));
    const leaf = certs.find((c) => spkiOf(c.publicKey).equals(spki));
    if (leaf) {
      return {
        certificatePem: leaf.toString(),
        privateKeyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
        chainPem: certs.filter((c) => c !== leaf).map((c) => c.toString()),
      };
    }
  }
  throw new PkiError('PKCS#12 file holds no certificate matching its private key', 'key-mismatch');
}

function keyOf(bag: forge.pkcs12.Bag): KeyObject {
  try {
    if (bag.key) return createPrivateKey(forge.pki.privateKeyToPem(bag.key));
    // forge only understands RSA keys; others (EC) come as the raw PrivateKeyInfo.
    if (bag.asn1) return createPrivateKey({ key: asn1ToDer(bag.asn1), format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new PkiError(`PKCS#12 private key could not be read: ${describe(err)}`, 'malformed');
  }
  throw new PkiError('PKCS#12 key bag is empty', 'no-key');
}

function certOf(bag: forge.pkcs12.Bag): X509Certificate {
  if (bag.cert) return certificateFromDer(asn1ToDer(forge.pki.certificateToAsn1(bag.cert)));
  if (bag.asn1) return certificateFromDer(asn1ToDer(bag.asn1));
  throw new PkiError('PKCS#12 certificate bag is empty', 'no-certificate');
}

function asn1ToDer(asn1: forge.asn1.Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

function spkiOf(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}
