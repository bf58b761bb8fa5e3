import { Badge } from './badges';

/** What these components read of a push certificate from `GET /v1/apns/certificate`. */
interface Issued {
  topic: string;
  issuedByApple?: boolean;
}

/**
 * Above the push certificate list: a warning when a stored certificate did not come from Apple (APNs refuses
 * it, so its devices are never woken), and how an organisation gets the real one, open until it has one.
 */
export function PushCertificateWarning({ certificates }: { certificates: readonly Issued[] }) {
  const notApple = certificates.filter((c) => c.issuedByApple === false);
  const hasApple = certificates.some((c) => c.issuedByApple === true);
  return (
    <>
      {notApple.length ? (
        <div className="notice warn" role="alert" data-testid="push-certificate-not-apple">
          <strong>Not issued by Apple:</strong> {notApple.map((c) => c.topic).join(', ')}. This certificate is fine for tests with the fake APNs, but Apple’s push
          service refuses it, so real devices under this topic are never woken. Replace it with the certificate from Apple’s Push Certificates Portal.
        </div>
      ) : null}
      <details className="how-to" open={!hasApple} data-testid="push-certificate-how-to">
        <summary>How to get the real push certificate from Apple</summary>
        <ol>
          <li>
            <strong>Download a CSR</strong> below (<code>POST /v1/apns/csr</code>): its private key stays on this server.
          </li>
          <li>
            Have it <strong>signed by an MDM vendor certificate</strong> (Apple Developer Enterprise Program, “MDM CSR”): the vendor wraps CSR, signature and its
            certificate chain in a Push Certificate Request. Without vendor status, use a signing service that does this.
          </li>
          <li>
            Sign in at <a href="https://identity.apple.com">identity.apple.com</a> (Apple Push Certificates Portal) with the organisation’s Apple ID,{' '}
            <em>Create a Certificate</em> and upload the signed request.
          </li>
          <li>Download the certificate (.pem, valid one year) and upload it here alone: the server pairs it with its key.</li>
          <li>
            <strong>Renew</strong> every year in the same portal with the <strong>same Apple ID</strong> (<em>Renew</em>, not <em>Create</em>): the topic stays and
            devices notice nothing. Another Apple ID or a new certificate means a new topic, and every device must re-enroll.
          </li>
        </ol>
      </details>
    </>
  );
}

/** In a certificate's row: marks one APNs will refuse. */
export function NotIssuedByAppleBadge({ certificate }: { certificate: Issued }) {
  return certificate.issuedByApple === false ? (
    <Badge tone="warn" title="Not issued by Apple’s push CA: APNs refuses it">
      not from Apple
    </Badge>
  ) : null;
}
