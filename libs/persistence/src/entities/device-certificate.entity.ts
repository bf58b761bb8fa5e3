import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Every device identity the server's CA issued through SCEP; renewals point at what they replace. */
@Entity({ name: 'device_certificates' })
export class DeviceCertificateEntity {
  @PrimaryColumn({ type: 'text' }) fingerprint!: string;
  @Column({ name: 'serial_number', type: 'text' }) serialNumber!: string;
  @Column({ type: 'text' }) subject!: string;
  @Column({ name: 'not_before', type: 'timestamptz' }) notBefore!: Date;
  @Column({ name: 'not_after', type: 'timestamptz' }) notAfter!: Date;
  @Column({ name: 'renewal_of', type: 'text', nullable: true }) renewalOf!: string | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  @Column({ name: 'revocation_reason', type: 'text', nullable: true }) revocationReason!: string | null;
  @Column({ name: 'issued_at', type: 'timestamptz' }) issuedAt!: Date;
}
