import { z } from 'zod';
import { ProtocolError } from './errors';
import { parsePlistDict } from './plist';
import { describeKind } from './plist-value';
import { plistBoolean, plistData, plistDict, plistString, toProtocolError } from './validation';

export const CHECKIN_MESSAGE_TYPES = [
  'Authenticate',
  'TokenUpdate',
  'CheckOut',
  'UserAuthenticate',
  'SetBootstrapToken',
  'GetBootstrapToken',
  'DeclarativeManagement',
  'GetToken',
] as const;

export type CheckinMessageType = (typeof CHECKIN_MESSAGE_TYPES)[number];

// Schemas follow apple-device-management/mdm/checkin/*.yaml, relaxed where the YAML marks a key
// "required" that iOS never sends (DeviceName/Model/ModelName on Authenticate, NotOnConsole and
// UserLongName on TokenUpdate are macOS-only). Objects are loose: unknown keys pass through
// untouched so a newer OS adding a key never gets its check-in refused.

/**
 * UDID for device enrollments, EnrollmentID for user enrollments (iOS 13+); both optional in the
 * schema and checked together after parsing, because which one is required depends on the
 * enrollment type, which the message does not state.
 */
const identity = {
  UDID: plistString().optional(),
  EnrollmentID: plistString().optional(),
};

/** Present on user-channel messages (macOS users, Shared iPad users); absent on the device channel. */
const userChannel = {
  UserID: plistString().optional(),
  UserShortName: plistString().optional(),
  UserLongName: plistString().optional(),
  EnrollmentUserID: plistString().optional(),
};

const AuthenticateSchema = plistDict({
  MessageType: z.literal('Authenticate'),
  Topic: plistString(),
  ...identity,
  SerialNumber: plistString().optional(),
  ProductName: plistString().optional(),
  OSVersion: plistString().optional(),
  BuildVersion: plistString().optional(),
  IMEI: plistString().optional(),
  MEID: plistString().optional(),
  DeviceName: plistString().optional(),
  Model: plistString().optional(),
  ModelName: plistString().optional(),
});

const TokenUpdateSchema = plistDict({
  MessageType: z.literal('TokenUpdate'),
  Topic: plistString(),
  ...identity,
  ...userChannel,
  /** APNs device token; send it to APNs as hex (see tokenHex). */
  Token: plistData(),
  PushMagic: plistString(),
  UnlockToken: plistData().optional(),
  AwaitingConfiguration: plistBoolean().optional(),
  NotOnConsole: plistBoolean().optional(),
});

const CheckOutSchema = plistDict({
  MessageType: z.literal('CheckOut'),
  Topic: plistString(),
  ...identity,
  ...userChannel,
});

// UserAuthenticate and the bootstrap token messages are macOS-only and never come from a user
// enrollment, so the UDID is required outright. The YAML lists no UDID for the bootstrap
// messages, but devices send it like every other check-in and we could not route them without it.
const UserAuthenticateSchema = plistDict({
  MessageType: z.literal('UserAuthenticate'),
  UDID: plistString(),
  EnrollmentID: plistString().optional(),
  UserID: plistString(),
  /** Absent on the first request, which asks for a DigestChallenge. */
  DigestResponse: plistString().optional(),
  UserShortName: plistString().optional(),
  UserLongName: plistString().optional(),
});

const SetBootstrapTokenSchema = plistDict({
  MessageType: z.literal('SetBootstrapToken'),
  UDID: plistString(),
  EnrollmentID: plistString().optional(),
  /** Missing or empty means "remove the stored bootstrap token". */
  BootstrapToken: plistData().optional(),
  AwaitingConfiguration: plistBoolean().optional(),
});

const GetBootstrapTokenSchema = plistDict({
  MessageType: z.literal('GetBootstrapToken'),
  UDID: plistString(),
  EnrollmentID: plistString().optional(),
  AwaitingConfiguration: plistBoolean().optional(),
});

const DeclarativeManagementSchema = plistDict({
  MessageType: z.literal('DeclarativeManagement'),
  ...identity,
  ...userChannel,
  /** 'tokens', 'declaration-items', 'status' or 'declaration/<type>/<identifier>'. */
  Endpoint: plistString(),
  /** JSON (status report or synchronization tokens), carried as plist data. */
  Data: plistData().optional(),
});

const GetTokenSchema = plistDict({
  MessageType: z.literal('GetToken'),
  ...identity,
  ...userChannel,
  /** 'com.apple.maid' or 'com.apple.watch.pairing' today; not restricted, so new services still parse. */
  TokenServiceType: plistString(),
  TokenParameters: plistDict({
    SecurityToken: plistString().optional(),
    PhoneUDID: plistString().optional(),
    WatchUDID: plistString().optional(),
  }).optional(),
});

export type AuthenticateMessage = z.infer<typeof AuthenticateSchema>;
export type TokenUpdateMessage = z.infer<typeof TokenUpdateSchema>;
export type CheckOutMessage = z.infer<typeof CheckOutSchema>;
export type UserAuthenticateMessage = z.infer<typeof UserAuthenticateSchema>;
export type SetBootstrapTokenMessage = z.infer<typeof SetBootstrapTokenSchema>;
export type GetBootstrapTokenMessage = z.infer<typeof GetBootstrapTokenSchema>;
export type DeclarativeManagementMessage = z.infer<typeof DeclarativeManagementSchema>;
export type GetTokenMessage = z.infer<typeof GetTokenSchema>;

export type CheckinMessage =
  | AuthenticateMessage
  | TokenUpdateMessage
  | CheckOutMessage
  | UserAuthenticateMessage
  | SetBootstrapTokenMessage
  | GetBootstrapTokenMessage
  | DeclarativeManagementMessage
  | GetTokenMessage;

/** The message type for one MessageType value, for handlers: `CheckinMessageOf<'TokenUpdate'>`. */
export type CheckinMessageOf<T extends CheckinMessageType> = Extract<CheckinMessage, { MessageType: T }>;

function schemaFor(type: CheckinMessageType) {
  switch (type) {
    case 'Authenticate':
      return AuthenticateSchema;
    case 'TokenUpdate':
      return TokenUpdateSchema;
    case 'CheckOut':
      return CheckOutSchema;
    case 'UserAuthenticate':
      return UserAuthenticateSchema;
    case 'SetBootstrapToken':
      return SetBootstrapTokenSchema;
    case 'GetBootstrapToken':
      return GetBootstrapTokenSchema;
    case 'DeclarativeManagement':
      return DeclarativeManagementSchema;
    case 'GetToken':
      return GetTokenSchema;
    default: {
      const unreachable: never = type;
      throw new ProtocolError(`unknown check-in MessageType "${String(unreachable)}"`, 'MessageType');
    }
  }
}

function isCheckinMessageType(value: string): value is CheckinMessageType {
  return (CHECKIN_MESSAGE_TYPES as readonly string[]).includes(value);
}

/**
 * Parses and validates a check-in body (PUT to CheckInURL). Throws ProtocolError naming the key
 * that is missing or of the wrong type, or the unknown MessageType.
 */
export function parseCheckin(body: Buffer | string): CheckinMessage {
  const dict = parsePlistDict(body);
  const type = dict.MessageType;
  if (type === undefined) {
    throw new ProtocolError('check-in: missing required key "MessageType"', 'MessageType');
  }
  if (typeof type !== 'string') {
    throw new ProtocolError(`check-in: key "MessageType" must be a string, got ${describeKind(type)}`, 'MessageType');
  }
  if (!isCheckinMessageType(type)) {
    throw new ProtocolError(`unknown check-in MessageType "${type}"`, 'MessageType');
  }
  const result = schemaFor(type).safeParse(dict);
  if (!result.success) {
    throw toProtocolError(type, result.error, dict);
  }
  const message: CheckinMessage = result.data;
  if (message.UDID === undefined && message.EnrollmentID === undefined) {
    throw new ProtocolError(`${type}: missing required key "UDID" (or "EnrollmentID" for a user enrollment)`, 'UDID');
  }
  return message;
}

/** The identity a check-in is about: the UDID, or the EnrollmentID of a user enrollment. */
export function deviceIdOf(msg: Pick<CheckinMessage, 'UDID' | 'EnrollmentID'>): string {
  const id = msg.UDID ?? msg.EnrollmentID;
  if (id === undefined) {
    // parseCheckin never returns such a message; this guards hand-built ones.
    throw new ProtocolError('check-in message has neither UDID nor EnrollmentID', 'UDID');
  }
  return id;
}
