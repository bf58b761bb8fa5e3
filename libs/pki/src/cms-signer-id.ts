import { childrenOf, definiteLengthOf, objectIdentifierOf, octetStringOf, readTlv, type Tlv } from './ber';
import { PkiError } from './errors';

const SUBJECT_KEY_IDENTIFIER = '2.5.29.14';

/** A SignerInfo's `sid`: does it name this certificate (a SEQUENCE element of the same buffer)? */
export interface SignerIdentifier {
  names(der: Buffer, cert: Tlv): boolean;
}

/** Reads `sid`: IssuerAndSerialNumber (SEQUENCE) or [0] IMPLICIT SubjectKeyIdentifier. */
export function signerIdentifierOf(der: Buffer, sid: Tlv | undefined): SignerIdentifier {
  if (sid?.tag === 0x30) {
    const [issuer, serial] = childrenOf(der, sid, 5);
    if (issuer?.tag !== 0x30 || serial?.tag !== 0x02) throw new PkiError('CMS signer identifier is not an issuer and serial number', 'malformed');
    const issuerBytes = der.subarray(issuer.offset, issuer.next);
    const serialBytes = integerMagnitude(der, serial);
    return {
      names: (buf, cert) => {
        const tbs = tbsFields(buf, cert);
        if (!tbs || !integerMagnitude(buf, tbs.serial).equals(serialBytes)) return false;
        const certIssuer = buf.subarray(tbs.issuer.offset, tbs.issuer.next);
        // Compared as encoded; a BER (indefinite-length) name is compared in its definite form.
        return certIssuer.equals(issuerBytes) || definiteLengthOf(buf, tbs.issuer, 6).equals(definiteLengthOf(der, issuer, 6));
      },
    };
  }
  if (sid?.tag === 0x80 || sid?.tag === 0xa0) {
    const keyId = octetStringOf(der, sid, 5);
    return { names: (buf, cert) => subjectKeyIdentifierOf(buf, cert)?.equals(keyId) ?? false };
  }
  throw new PkiError('CMS signer identifier is missing or of an unknown kind', 'malformed');
}

interface TbsFields {
  serial: Tlv;
  issuer: Tlv;
  /** Fields after subjectPublicKeyInfo: issuerUniqueID, subjectUniqueID, [3] extensions. */
  rest: Tlv[];
}

/** Certificate { tbsCertificate { [0] version, serialNumber, signature, issuer, validity, subject, spki, ... } }; undefined when not shaped so. */
function tbsFields(buf: Buffer, cert: Tlv): TbsFields | undefined {
  const [tbs] = childrenOf(buf, cert, 5);
  if (tbs?.tag !== 0x30) return undefined;
  const fields = childrenOf(buf, tbs, 6);
  const at = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = fields[at];
  const issuer = fields[at + 2];
  if (serial?.tag !== 0x02 || issuer?.tag !== 0x30) return undefined;
  return { serial, issuer, rest: fields.slice(at + 6) };
}

function subjectKeyIdentifierOf(buf: Buffer, cert: Tlv): Buffer | undefined {
  const extensions = tbsFields(buf, cert)?.rest.find((f) => f.tag === 0xa3);
  if (!extensions) return undefined;
  const [list] = childrenOf(buf, extensions, 7);
  if (list?.tag !== 0x30) return undefined;
  for (const extension of childrenOf(buf, list, 8)) {
    const parts = extension.tag === 0x30 ? childrenOf(buf, extension, 9) : [];
    if (parts[0]?.tag !== 0x06 || objectIdentifierOf(buf, parts[0]) !== SUBJECT_KEY_IDENTIFIER) continue;
    const value = parts[parts.length - 1];
    if (value.tag !== 0x04) return undefined;
    // extnValue wraps the DER of the key identifier, itself an OCTET STRING.
    const inner = octetStringOf(buf, value, 10);
    return octetStringOf(inner, readTlv(inner, 0, 10), 10);
  }
  return undefined;
}

/** An INTEGER's contents without leading zero octets, so 0x00 0x8f and 0x8f compare equal. */
function integerMagnitude(buf: Buffer, tlv: Tlv): Buffer {
  let start = tlv.start;
  while (start < tlv.end - 1 && buf[start] === 0) start++;
  return buf.subarray(start, tlv.end);
}
