/** What a jsonb column holds: a concrete recursive type, so stores can say what they read and write. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}
