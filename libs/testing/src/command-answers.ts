import { commandApplicability, commandSpec, plistToJson, validateCommand, type PlistDict } from '@mdm/protocol';
import { ACTION_HANDLERS } from './action-answers';
import { acknowledged, failed, formatError, type AnsweringDevice, type CommandOutcome } from './command-outcome';
import { invalidRequestTypeChain } from './mdm-errors';
import { QUERY_HANDLERS } from './query-answers';

/**
 * Commands iOS runs even while locked: Apple's MDM protocol reference lists them as "guaranteed to execute
 * in iOS, and never return NotNow". Every other command is deferred with NotNow while the device is busy.
 */
export const COMMANDS_NEVER_NOT_NOW: ReadonlySet<string> = new Set([
  'DeviceInformation',
  'ProfileList',
  'DeviceLock',
  'EraseDevice',
  'ClearPasscode',
  'CertificateList',
  'ProvisioningProfileList',
  'InstalledApplicationList',
  'Restrictions',
]);

/**
 * Decides a command's outcome in the order iOS does: a RequestType it cannot run (unknown, newer than its
 * OS, Shared iPad only, supervised-only while unsupervised: the protocol catalog says which) is an Error;
 * then a busy device defers with NotNow; a command that breaks Apple's schema is a CommandFormatError;
 * anything else runs, answered with real data or a state change, or acknowledged when it has neither.
 */
export async function answerCommand(requestType: string, command: PlistDict, device: AnsweringDevice): Promise<CommandOutcome> {
  const { state } = device;
  const spec = commandSpec(requestType);
  if (!spec || spec.sharedIpad === 'required') return failed(invalidRequestTypeChain(requestType));
  if (!commandApplicability(requestType, { supervised: state.supervised, osVersion: state.osVersion }).ok) {
    return failed(invalidRequestTypeChain(requestType));
  }
  if (state.busy && !COMMANDS_NEVER_NOT_NOW.has(requestType)) return { status: 'NotNow' };
  if (breaksSchema(requestType, command)) return formatError;
  const handler = QUERY_HANDLERS[requestType] ?? ACTION_HANDLERS[requestType];
  return handler ? handler(command, device) : acknowledged();
}

function breaksSchema(requestType: string, command: PlistDict): boolean {
  const json = plistToJson({ ...command, RequestType: requestType });
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return true;
  const { errors } = validateCommand({ ...json, RequestType: requestType });
  // Settings items are judged one by one (an unknown item fails alone), as iOS reports them.
  return errors.some((e) => !(requestType === 'Settings' && e.path.startsWith('command.Settings[')));
}
