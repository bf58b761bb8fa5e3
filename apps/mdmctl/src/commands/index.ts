import type { Command } from '../command';
import { commandCommands } from './command';
import { deviceCommands } from './devices';
import { enrollmentCommands } from './enrollment';
import { eventCommands } from './events';
import { pushCertCommands } from './push-cert';

/**
 * Every mdmctl command, in the order `mdmctl --help` lists them. A new resource is a file in this folder
 * exporting its `Command[]`, spread in here.
 */
export const COMMANDS: readonly Command[] = [
  ...pushCertCommands,
  ...enrollmentCommands,
  ...deviceCommands,
  ...commandCommands,
  ...eventCommands,
];
