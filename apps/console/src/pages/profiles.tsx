import { get } from '../api';
import { Badge, Notice } from '../components/badges';
import { type Column, DataTable } from '../components/table';
import { ago } from '../format';
import { useLoad } from '../hooks';
import { Link, navigate } from '../router';
import type { ProfileView } from '@mdm/contracts';

export function ProfilesPage() {
  const list = useLoad(() => get<{ profiles: ProfileView[] }>('/v1/profiles'), []);
  const columns: Array<Column<ProfileView>> = [
    { label: 'Name', render: (p) => <strong>{p.name}</strong> },
    { label: 'Identifier', render: (p) => <code>{p.identifier}</code> },
    { label: 'Payloads', render: (p) => p.payloads.map((x) => x.type).join(', ') },
    { label: 'Version', render: (p) => p.version },
    { label: 'Warnings', render: (p) => (p.warnings.length ? <Badge tone="warn">{p.warnings.length}</Badge> : '—') },
    { label: 'Changed', render: (p) => <span title={p.updatedAt}>{ago(p.updatedAt)}</span> },
  ];
  return (
    <section>
      <h1>Profiles</h1>
      <p>
        <Link to="/profiles/new" className="button primary">
          New profile
        </Link>
      </p>
      <Notice error={list.error} />
      <DataTable label="profiles" testId="profiles-table" columns={columns} rows={list.data?.profiles ?? []} rowKey={(p) => p.id} onOpen={(p) => navigate(`/profiles/${p.id}`)} empty={list.loading ? 'Loading…' : 'No profiles yet.'} />
    </section>
  );
}
