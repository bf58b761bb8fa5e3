import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What a simulated device keeps between runs: its identity and the enrollment profile it installed. */
export interface SimRecord {
  udid: string;
  serialNumber: string;
  certPem: string;
  keyPem: string;
  /** The enrollment profile as downloaded, base64: its URLs, topic and signer. */
  profile: string;
}

function isRecord(value: unknown): value is SimRecord {
  const r = value as Partial<SimRecord> | null;
  return typeof r === 'object' && r !== null && [r.udid, r.serialNumber, r.certPem, r.keyPem, r.profile].every((v) => typeof v === 'string');
}

/** The records in `dir`, oldest enrollment first; files that are not records are skipped with a warning. */
export function loadRecords(dir: string, warn: (text: string) => void): SimRecord[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const records: SimRecord[] = [];
  for (const file of files) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
      if (isRecord(parsed)) records.push(parsed);
      else warn(`${file} is not a simulated device: skipped`);
    } catch (err) {
      warn(`${file} cannot be read (${(err as Error).message}): skipped`);
    }
  }
  return records;
}

/** Files are named by enrollment time, so devices come back in the order they enrolled. */
export function saveRecord(dir: string, record: SimRecord): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(dir, `${Date.now()}-${record.udid}.json`), JSON.stringify(record, null, 2), { mode: 0o600 });
}

export function removeRecord(dir: string, udid: string): void {
  for (const file of readdirSync(dir)) if (file.endsWith(`-${udid}.json`)) rmSync(path.join(dir, file), { force: true });
}
