import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The server's own CAs (the device CA signs device identities; more may come). */
@Entity({ name: 'certificate_authorities' })
export class CertificateAuthorityEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) name!: string;
  @Column({ name: 'cert_pem', type: 'text' }) certPem!: string;
  @Column({ name: 'key_sealed', type: 'text' }) keySealed!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
