import { X509Certificate } from 'node:crypto';
import { certificateFromDer, describe } from './certificates';
import { PkiError } from './errors';

const PEM_BODY = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/;

/**
 * Reads a client certificate passed on by a TLS-terminating proxy. Accepts nginx
 * `$ssl_client_escaped_cert` (URL-escaped PEM), PEM whose newlines a proxy turned into spaces or tabs
 * (nginx `$ssl_client_cert`, header folding), and bare base64 DER (Traefik, Envoy-style); when the value
 * holds a chain, the first certificate is the client's.
 */
export function parseForwardedCertificate(headerValue: string): X509Certificate {
  let value = headerValue.trim();
  if (value.length === 0) throw new PkiError('forwarded client certificate header is empty', 'malformed');
  if (value.includes('%')) {
    try {
      value = decodeURIComponent(value);
    } catch (err) {
      throw new PkiError(`forwarded client certificate is not valid URL escaping: ${describe(err)}`, 'malformed');
    }
  }
  const pem = PEM_BODY.exec(value);
  let base64 = pem ? pem[1] : value.split(',')[0];
  base64 = base64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(base64)) {
    throw new PkiError('forwarded client certificate is neither PEM nor base64 DER', 'malformed');
  }
  return certificateFromDer(Buffer.from(base64, 'base64'));
}
