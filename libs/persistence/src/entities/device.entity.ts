import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * One row per device UDID: an iPhone/iPad has at most one MDM enrollment, so a re-Authenticate
 * reuses the row and starts a new `enrollmentId`.
 */
@Entity({ name: 'devices' })
export class DeviceEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) udid!: string;
  /** Changes on every Authenticate, so late work for an old enrollment can be told apart. */
  @Column({ name: 'enrollment_id', type: 'uuid' }) enrollmentId!: string;
  @Column({ type: 'boolean', default: false }) enrolled!: boolean;
  @Column({ type: 'text', nullable: true }) topic!: string | null;

  @Column({ name: 'serial_number', type: 'text', nullable: true }) serialNumber!: string | null;
  @Column({ name: 'product_name', type: 'text', nullable: true }) productName!: string | null;
  @Column({ type: 'text', nullable: true }) model!: string | null;
  @Column({ name: 'model_name', type: 'text', nullable: true }) modelName!: string | null;
  @Column({ name: 'device_name', type: 'text', nullable: true }) deviceName!: string | null;
  @Column({ name: 'os_version', type: 'text', nullable: true }) osVersion!: string | null;
  @Column({ name: 'build_version', type: 'text', nullable: true }) buildVersion!: string | null;
  @Column({ name: 'is_supervised', type: 'boolean', nullable: true }) isSupervised!: boolean | null;

  /** SHA-256 of the identity certificate bound at Authenticate; every later request must match. */
  @Column({ name: 'cert_fingerprint', type: 'text', nullable: true }) certFingerprint!: string | null;
  @Column({ name: 'cert_not_after', type: 'timestamptz', nullable: true }) certNotAfter!: Date | null;

  @Column({ name: 'push_token', type: 'text', nullable: true }) pushToken!: string | null;
  @Column({ name: 'push_magic', type: 'text', nullable: true }) pushMagic!: string | null;
  /** Sealed with the server's secret key (see @mdm/pki SecretBox). */
  @Column({ name: 'unlock_token', type: 'text', nullable: true }) unlockToken!: string | null;
  /** Sealed; handed back only to the same enrollment (GetBootstrapToken). */
  @Column({ name: 'bootstrap_token', type: 'text', nullable: true }) bootstrapToken!: string | null;
  @Column({ name: 'bootstrap_token_at', type: 'timestamptz', nullable: true }) bootstrapTokenAt!: Date | null;
  @Column({ name: 'token_update_count', type: 'integer', default: 0 }) tokenUpdateCount!: number;

  @Column({ name: 'authenticated_at', type: 'timestamptz', nullable: true }) authenticatedAt!: Date | null;
  @Column({ name: 'enrolled_at', type: 'timestamptz', nullable: true }) enrolledAt!: Date | null;
  @Column({ name: 'checked_out_at', type: 'timestamptz', nullable: true }) checkedOutAt!: Date | null;
  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true }) lastSeenAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
