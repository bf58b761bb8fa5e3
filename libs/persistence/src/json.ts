/** What a jsonb column holds: the same JSON types the API's views use. */
export type { JsonObject, JsonValue } from '@mdm/contracts';
