import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** The customer's MDM push certificate, one per topic (a tenant may have its own). */
@Entity({ name: 'apns_certificates' })
export class ApnsCertificateEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) topic!: string;
  @Column({ name: 'cert_pem', type: 'text' }) certPem!: string;
  /** PKCS#8 PEM sealed with the server's secret key; never leaves the server in clear. */
  @Column({ name: 'key_sealed', type: 'text' }) keySealed!: string;
  @Column({ type: 'text' }) fingerprint!: string;
  @Column({ name: 'not_before', type: 'timestamptz' }) notBefore!: Date;
  @Column({ name: 'not_after', type: 'timestamptz' }) notAfter!: Date;
  /** The tightest expiry warning (days) already sent for this certificate; null after an upload. */
  @Column({ name: 'expiry_warned_threshold', type: 'integer', nullable: true }) expiryWarnedThreshold!: number | null;
  @Column({ name: 'expired_notified_at', type: 'timestamptz', nullable: true }) expiredNotifiedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
