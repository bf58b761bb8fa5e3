import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A named recipe for enrollment profiles (an operator may keep one per team, tenant or device kind). */
@Entity({ name: 'enrollment_configurations' })
export class EnrollmentConfigurationEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) name!: string;
  /** Push topic (tenant); null means the newest push certificate's. */
  @Column({ type: 'text', nullable: true }) topic!: string | null;
  @Column({ name: 'access_rights', type: 'integer' }) accessRights!: number;
  @Column({ name: 'display_name', type: 'text', nullable: true }) displayName!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
