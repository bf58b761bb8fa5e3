import type { Command } from '../command';
import { apiKeyCommands } from './api-keys';
import { assignmentCommands } from './assignments';
import { commandCommands } from './command';
import { deviceGroupCommands } from './device-groups';
import { deviceCommands } from './devices';
import { enrollmentCommands } from './enrollment';
import { eventCommands } from './events';
import { inventoryCommands } from './inventory';
import { profileCommands } from './profiles';
import { pushCertCommands } from './push-cert';
import { simCommands } from './sim';
import { webhookCommands } from './webhooks';

/**
 * Every mdmctl command, in the order `mdmctl --help` lists them. A new resource is a file in this folder
 * exporting its `Command[]`, spread in here.
 */
export const COMMANDS: readonly Command[] = [
  ...pushCertCommands,
  ...enrollmentCommands,
  ...deviceCommands,
  ...inventoryCommands,
  ...commandCommands,
  ...profileCommands,
  ...assignmentCommands,
  ...deviceGroupCommands,
  ...eventCommands,
  ...webhookCommands,
  ...apiKeyCommands,
  ...simCommands,
];
