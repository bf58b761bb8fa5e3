import type { DeviceGroupRule } from '@mdm/contracts';

/** The rule as the form edits it: text fields, '' for "any". */
export interface RuleDraft {
  supervised: '' | 'true' | 'false';
  minOsVersion: string;
  maxOsVersion: string;
  productName: string;
}

export const EMPTY_RULE: RuleDraft = { supervised: '', minOsVersion: '', maxOsVersion: '', productName: '' };

export function ruleDraft(rule: DeviceGroupRule | null): RuleDraft {
  if (!rule) return EMPTY_RULE;
  return {
    supervised: rule.supervised === undefined ? '' : rule.supervised ? 'true' : 'false',
    minOsVersion: rule.minOsVersion ?? '',
    maxOsVersion: rule.maxOsVersion ?? '',
    productName: rule.productName ?? '',
  };
}

/** The conditions filled in; the server refuses an empty rule, naming it. */
export function ruleOf(d: RuleDraft): DeviceGroupRule {
  return {
    ...(d.supervised ? { supervised: d.supervised === 'true' } : {}),
    ...(d.minOsVersion.trim() ? { minOsVersion: d.minOsVersion.trim() } : {}),
    ...(d.maxOsVersion.trim() ? { maxOsVersion: d.maxOsVersion.trim() } : {}),
    ...(d.productName.trim() ? { productName: d.productName.trim() } : {}),
  };
}

/** "supervised, iOS ≥ 17, iPad…" for the list. */
export function describeRule(rule: DeviceGroupRule | null): string {
  if (!rule) return 'listed devices';
  const parts: string[] = [];
  if (rule.supervised !== undefined) parts.push(rule.supervised ? 'supervised' : 'not supervised');
  if (rule.minOsVersion) parts.push(`iOS ≥ ${rule.minOsVersion}`);
  if (rule.maxOsVersion) parts.push(`iOS ≤ ${rule.maxOsVersion}`);
  if (rule.productName) parts.push(`${rule.productName}…`);
  return parts.join(', ');
}

export function RuleFields({ draft, onChange }: { draft: RuleDraft; onChange: (d: RuleDraft) => void }) {
  return (
    <fieldset>
      <legend>Rule: devices matching every condition given</legend>
      <label>
        Supervised{' '}
        <select data-testid="rule-supervised" value={draft.supervised} onChange={(e) => onChange({ ...draft, supervised: e.target.value as RuleDraft['supervised'] })}>
          <option value="">any</option>
          <option value="true">yes</option>
          <option value="false">no</option>
        </select>
      </label>
      <label>
        iOS from <input value={draft.minOsVersion} placeholder="17" size={8} onChange={(e) => onChange({ ...draft, minOsVersion: e.target.value })} />
      </label>
      <label>
        iOS up to <input value={draft.maxOsVersion} placeholder="18.2" size={8} onChange={(e) => onChange({ ...draft, maxOsVersion: e.target.value })} />
      </label>
      <label>
        Product name starts with <input value={draft.productName} placeholder="iPad or iPhone15," onChange={(e) => onChange({ ...draft, productName: e.target.value })} />
      </label>
    </fieldset>
  );
}
