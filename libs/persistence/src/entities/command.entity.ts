import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { JsonObject } from '../json';

/** One command as the operator sent it; the same CommandUUID goes to every targeted device. */
@Entity({ name: 'commands' })
export class CommandEntity {
  @PrimaryColumn({ name: 'command_uuid', type: 'uuid' }) commandUuid!: string;
  @Column({ name: 'request_type', type: 'text' }) requestType!: string;
  /** The command dict as JSON, for the API. */
  @Column({ type: 'jsonb' }) payload!: JsonObject;
  /** The exact plist handed to devices, rendered once at enqueue time. */
  @Column({ name: 'command_plist', type: 'text' }) commandPlist!: string;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
