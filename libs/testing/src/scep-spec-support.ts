import { createPublicKey, X509Certificate } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildCertRep,
  issueCertificate,
  parseScepRequest,
  pkcsReqSignerRefusal,
  SCEP_CA_CAPABILITIES,
  ScepRequestError,
  TrustStore,
  type CertificateAndKey,
  type ScepFailInfo,
  type ScepRequest,
} from '@mdm/pki';

/** The public key of a PEM key or certificate, as DER SPKI. */
export const spki = (pem: string) => createPublicKey(pem).export({ format: 'der', type: 'spki' });

/** What a server does with a parsed request: issue for the CSR's key, signed by the CA. */
export async function issueFor(ca: CertificateAndKey, req: ScepRequest): Promise<string> {
  const { certPem } = await issueCertificate({ issuer: ca, subject: req.csr.subject, publicKeyPem: req.csr.publicKeyPem, extendedKeyUsage: ['clientAuth'] });
  return certPem;
}

/** A SCEP endpoint as the gateway has one: parse, apply policy, answer a CertRep (or an HTTP error). */
export async function startScepServer(ca: CertificateAndKey, policy: { challenge: string; caCertBody?: () => { body: Buffer; type: string } }) {
  const methods: string[] = [];
  const trust = TrustStore.fromPem(ca.certPem);
  const handle = async (req: http.IncomingMessage, body: Buffer): Promise<{ status: number; type: string; body: Buffer | string }> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/scep') return { status: 404, type: 'text/plain', body: 'not found' };
    switch (url.searchParams.get('operation')) {
      case 'GetCACaps':
        return { status: 200, type: 'text/plain', body: SCEP_CA_CAPABILITIES.join('\n') };
      case 'GetCACert': {
        const custom = policy.caCertBody?.();
        return custom ? { status: 200, ...custom } : { status: 200, type: 'application/x-x509-ca-cert', body: new X509Certificate(ca.certPem).raw };
      }
      case 'PKIOperation': {
        methods.push(req.method ?? '');
        const message = req.method === 'GET' ? Buffer.from(url.searchParams.get('message') ?? '', 'base64') : body;
        let parsed: ScepRequest;
        try {
          parsed = await parseScepRequest(message, ca);
        } catch (err) {
          const replyTo = err instanceof ScepRequestError ? err.replyTo : undefined;
          if (!replyTo || !(err instanceof ScepRequestError)) return { status: 400, type: 'text/plain', body: String(err) };
          return { status: 200, type: 'application/x-pki-message', body: await buildCertRep({ request: replyTo, ca, result: { status: 'FAILURE', failInfo: err.failInfo } }) };
        }
        const refuse = (failInfo: ScepFailInfo) => buildCertRep({ request: parsed, ca, result: { status: 'FAILURE', failInfo } });
        let answer: Buffer;
        if (parsed.messageType === 'PKCSReq' && (pkcsReqSignerRefusal(parsed) !== undefined || parsed.csr.challengePassword !== policy.challenge)) {
          answer = await refuse('badRequest');
        } else if (parsed.messageType === 'RenewalReq' && !isTrusted(trust, parsed.signer)) {
          answer = await refuse('badRequest');
        } else {
          answer = await buildCertRep({ request: parsed, ca, result: { status: 'SUCCESS', certificatePem: await issueFor(ca, parsed) } });
        }
        return { status: 200, type: 'application/x-pki-message', body: answer };
      }
      case null:
      default:
        return { status: 400, type: 'text/plain', body: 'unknown operation' };
    }
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks)).then(
        (r) => {
          res.writeHead(r.status, { 'Content-Type': r.type });
          res.end(r.body);
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/scep`,
    methods,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

function isTrusted(trust: TrustStore, cert: X509Certificate): boolean {
  try {
    trust.verify(cert);
    return true;
  } catch {
    return false;
  }
}
