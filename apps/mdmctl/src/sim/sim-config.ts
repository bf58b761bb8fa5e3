import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { findLocalEnv } from '../config';

/** Where `mdmctl sim` keeps its devices and where it learns of their pushes. */
export interface SimPaths {
  /** One file per simulated device (identity and enrollment profile), so they survive a restart. */
  dir: string;
  /** What `npm run trial` writes while it runs: the fake APNs control URL. */
  trialFile: string;
}

/** `--dir`, else MDM_SIM_DIR, else `sim/` beside the nearest `.mdm/local.env` (or `./.mdm/sim`). */
export function simPaths(dirFlag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): SimPaths {
  const local = findLocalEnv(cwd);
  const mdmDir = local ? path.dirname(local) : path.join(cwd, '.mdm');
  const dir = dirFlag ?? env['MDM_SIM_DIR'];
  const trialDir = env['MDM_TRIAL_DIR'];
  return {
    dir: dir ? path.resolve(cwd, dir) : path.join(mdmDir, 'sim'),
    trialFile: path.join(trialDir ? path.resolve(cwd, trialDir) : path.join(mdmDir, 'trial'), 'trial.json'),
  };
}

/** The fake APNs control URL of the running trial, or undefined when no trial runs. */
export function trialPushesUrl(trialFile: string): string | undefined {
  if (!existsSync(trialFile)) return undefined;
  try {
    const state = JSON.parse(readFileSync(trialFile, 'utf8')) as { apnsControlUrl?: unknown };
    return typeof state.apnsControlUrl === 'string' ? state.apnsControlUrl : undefined;
  } catch {
    return undefined;
  }
}
