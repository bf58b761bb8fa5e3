/**
 * Apple's schema as the server checks it: the same JSON the protocol library validates with, read
 * at build time, so the forms offer exactly the keys, types, ranges and defaults the server accepts.
 */
import type { CommandCatalogFile, CommandSpec, KeySpec, PayloadCatalogFile, PayloadSpec } from '@mdm/catalog/types';
import commandsJson from '@mdm/catalog/commands.json';
import payloadsJson from '@mdm/catalog/payloads.json';

export type { CommandSpec, KeySpec, PayloadSpec };

const payloadFile = payloadsJson as unknown as PayloadCatalogFile;
const commandFile = commandsJson as unknown as CommandCatalogFile;

export const PAYLOADS: readonly PayloadSpec[] = [...payloadFile.payloads].sort((a, b) => a.title.localeCompare(b.title));
export const COMMANDS: readonly CommandSpec[] = [...commandFile.commands].sort((a, b) => a.requestType.localeCompare(b.requestType));

export const payloadSpec = (type: string): PayloadSpec | undefined => PAYLOADS.find((p) => p.type === type);
export const commandSpec = (requestType: string): CommandSpec | undefined => COMMANDS.find((c) => c.requestType === requestType);

/** Keys iOS knows (the schema also lists keys of other platforms). */
export const iosKeys = (keys: readonly KeySpec[]): KeySpec[] => keys.filter((k) => k.ios !== false && !k.iosRemoved);
