/** Where a push certificate stands against its expiry. */
export interface CertificateStatusView {
  status: 'ok' | 'expiring' | 'expired';
  /** Whole days left, rounded up (a certificate expiring in 23 hours has 1 day left); 0 once expired. */
  daysLeft: number;
  warnings: string[];
}

export interface ApnsCertificateView extends CertificateStatusView {
  topic: string;
  /** False for a test or home-made certificate, which APNs refuses; `warnings` then says so. */
  issuedByApple: boolean;
  notBefore: string;
  notAfter: string;
  fingerprint: string;
}

export interface EnrollmentConfigurationView {
  id: string;
  name: string;
  topic: string | null;
  accessRights: number;
  displayName: string | null;
  createdAt: string;
}
