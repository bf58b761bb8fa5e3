import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A push certificate key made on the server (`POST /v1/apns/csr`) and waiting for its signed certificate.
 * The upload finds it by the certificate's public key and deletes it once the certificate is stored.
 */
@Entity({ name: 'apns_pending_keys' })
export class ApnsPendingKeyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** Lowercase hex SHA-256 of the SubjectPublicKeyInfo DER. */
  @Column({ name: 'public_key_sha256', type: 'text', unique: true }) publicKeySha256!: string;
  /** PKCS#8 PEM sealed with the server's secret key. */
  @Column({ name: 'key_sealed', type: 'text' }) keySealed!: string;
  @Column({ name: 'csr_pem', type: 'text' }) csrPem!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
