/**
 * What a jsonb column holds. A concrete recursive type (rather than Record<string, unknown>) lets
 * TypeORM's partial-update types accept it.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}
