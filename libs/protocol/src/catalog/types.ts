/** Shapes of payloads.json and commands.json, derived from Apple's device-management schema by derive.ts. */

export type KeyType = 'string' | 'integer' | 'real' | 'boolean' | 'date' | 'data' | 'array' | 'dictionary' | 'any';
export type Presence = 'required' | 'optional';
/** How a payload, command or key behaves under User Enrollment or on Shared iPad (Apple's `mode`). */
export type ModeRule = 'allowed' | 'required' | 'forbidden' | 'ignored';
export type ScalarDefault = string | number | boolean;

export interface KeySpec {
  key: string;
  title?: string;
  type: KeyType;
  presence: Presence;
  default?: ScalarDefault;
  rangelist?: ScalarDefault[];
  range?: { min?: number; max?: number };
  /** How many items an array holds, set on the array's item spec as Apple does. */
  repetition?: { min?: number; max?: number };
  /** Regular expression Apple gives for the string value. */
  format?: string;
  /** Only when it differs from the enclosing payload, command or key. */
  iosIntroduced?: string;
  iosDeprecated?: string;
  iosRemoved?: string;
  /** false: the key exists on other platforms only; iOS ignores it. */
  ios?: false;
  /** true: iOS honours the key only on supervised devices (the payload itself may not need it). */
  supervised?: true;
  userEnrollment?: ModeRule;
  sharedIpad?: ModeRule;
  /**
   * Dictionary keys, or an array's item spec. Arrays with several specs hold a tagged union
   * (the Settings command), told apart by a required key whose rangelist has one value.
   * A dictionary whose subkeys contain `ANY` accepts any key name with that spec.
   */
  subkeys?: KeySpec[];
  /** The schema is recursive here: reuse the subkeys of the key this many levels up. */
  subkeysOf?: number;
  /** For strings Apple documents as an open list of names (DeviceInformation queries). */
  knownValues?: string[];
}

export interface PayloadSpec {
  type: string;
  title: string;
  iosIntroduced: string;
  iosDeprecated?: string;
  iosRemoved?: string;
  /** Needs a supervised device on iOS. */
  supervised: boolean;
  /** A device may hold more than one payload of this type. */
  multiple: boolean;
  userEnrollment?: ModeRule;
  sharedIpad?: ModeRule;
  keys: KeySpec[];
}

export interface CommandSpec {
  requestType: string;
  title: string;
  iosIntroduced: string;
  iosDeprecated?: string;
  iosRemoved?: string;
  supervised: boolean;
  requiresDep?: true;
  accessRights?: string;
  userEnrollment?: ModeRule;
  sharedIpad?: ModeRule;
  /** The device answers with data beyond the status (Apple lists response keys). */
  returnsData: boolean;
  /** Keys of the Command dictionary besides RequestType. */
  keys: KeySpec[];
}

/** The README's "OS Versions" table of the schema release the catalog came from. */
export type SchemaRelease = Record<string, string>;

export interface PayloadCatalogFile {
  format: number;
  schemaRelease: SchemaRelease;
  payloads: PayloadSpec[];
}

export interface CommandCatalogFile {
  format: number;
  schemaRelease: SchemaRelease;
  commands: CommandSpec[];
}

/** Apple's `combinetype` values (docs/schema.yaml): how a key merges across configurations. */
export type CombineType =
  | 'boolean-or'
  | 'boolean-and'
  | 'number-min'
  | 'number-max'
  | 'enum-first'
  | 'enum-last'
  | 'first'
  | 'array-append'
  | 'set-union'
  | 'set-intersection';

/** The combine rules of one declarative configuration; nested keys are dotted paths (`Deferrals.MajorPeriodInDays`). */
export interface DeclarationCombineRules {
  type: string;
  keys: Array<{ key: string; combine: CombineType }>;
}

export interface CombineCatalogFile {
  format: number;
  schemaRelease: SchemaRelease;
  declarations: DeclarationCombineRules[];
}

/** One DeviceInformation query iOS answers, with the type of its answer (Apple's QueryResponses). */
export interface InventoryQuerySpec {
  query: string;
  type: KeyType;
  iosIntroduced?: string;
  iosDeprecated?: string;
  /** Answered only by supervised devices. */
  supervised?: true;
}

export interface InventoryCatalogFile {
  format: number;
  schemaRelease: SchemaRelease;
  deviceInformation: InventoryQuerySpec[];
}
