import { useEffect, useState } from 'react';
import { get } from '../api';
import { useLoad } from '../hooks';
import { Notice } from './badges';

/** What the pickers show of a device (`GET /v1/devices`). */
export interface FoundDevice {
  udid: string;
  deviceName: string | null;
  serialNumber: string | null;
  modelName: string | null;
  productName: string | null;
}
const RESULTS = 20;
const TYPING_PAUSE_MS = 250;

export function deviceLabel(d: FoundDevice): string {
  return [d.deviceName ?? '(unnamed)', d.modelName ?? d.productName, d.serialNumber].filter(Boolean).join(' · ');
}

/**
 * Finds devices by a part of their name, serial number, UDID or model (`GET /v1/devices?search=`), so a
 * fleet of thousands is never one checkbox per device. `picked` are chips that can be taken back.
 */
export function DeviceSearch({ picked, onChange, exclude, label = 'Find devices' }: { picked: FoundDevice[]; onChange: (next: FoundDevice[]) => void; exclude?: ReadonlySet<string>; label?: string }) {
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setQuery(text.trim()), TYPING_PAUSE_MS);
    return () => clearTimeout(t);
  }, [text]);
  const found = useLoad(
    () => (query ? get<{ devices: FoundDevice[]; total: number }>('/v1/devices', { search: query, limit: RESULTS, sort: 'lastSeenAt', order: 'desc' }) : Promise.resolve(undefined)),
    [query],
  );
  const chosen = new Set(picked.map((d) => d.udid));
  const results = (found.data?.devices ?? []).filter((d) => !chosen.has(d.udid) && !exclude?.has(d.udid));
  return (
    <div className="device-search">
      <label>
        {label} <input type="search" value={text} placeholder="name, serial, UDID or model" onChange={(e) => setText(e.target.value)} aria-label={label} />
      </label>
      <Notice error={found.error} />
      {query && found.data ? (
        <ul className="search-results" aria-label="search results">
          {results.map((d) => (
            <li key={d.udid}>
              <button type="button" onClick={() => onChange([...picked, d])} aria-label={`pick ${d.udid}`}>
                Add
              </button>
              {deviceLabel(d)} <code className="muted small">{d.udid}</code>
            </li>
          ))}
          {results.length === 0 ? <li className="muted">No device matches “{query}”.</li> : null}
          {found.data.total > RESULTS ? <li className="muted">{found.data.total - RESULTS} more: narrow the search.</li> : null}
        </ul>
      ) : null}
      {picked.length ? (
        <div className="chips" aria-label="picked devices">
          {picked.map((d) => (
            <span className="chip" key={d.udid}>
              {d.deviceName ?? d.udid}
              <button type="button" className="link" onClick={() => onChange(picked.filter((p) => p.udid !== d.udid))} aria-label={`remove ${d.udid}`}>
                ×
              </button>
            </span>
          ))}
        </div>
      ) : null}
    </div>
  );
}
