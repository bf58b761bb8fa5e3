/**
 * A small Kustomize renderer for deploy/kubernetes, so the manifests can be checked where neither
 * `kubectl` nor `kustomize` is installed. It implements only the kustomization fields the tree uses
 * and refuses any other, so it cannot silently render something Kustomize would render differently;
 * where `kubectl` is present, manifests.spec.ts also compares its output with `kubectl kustomize`.
 *
 * Supported: `resources` (files and kustomization directories), `namespace`, `images` (newName,
 * newTag), `replicas`, `patches` with `path` (strategic merge: maps merged, `null` deletes a key,
 * lists of containers, env, volumes and volume mounts of built-in kinds merged by `name` (the patch's
 * entries first, as Kustomize orders them), other lists replaced; a whole-document `$patch: delete` removes the resource). Transformers run in Kustomize's
 * order: patches, namespace, replicas, images.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Manifest extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string } & JsonObject;
}

const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'replicas', 'patches']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass']);
/** API groups whose schemas Kustomize knows (strategic merge); anything else (a CRD) gets JSON merge semantics. */
const BUILTIN_GROUPS = new Set(['', 'apps', 'policy', 'autoscaling', 'batch', 'networking.k8s.io']);
/** List fields of built-in kinds that a strategic merge patch merges element by element, keyed by `name`. */
const MERGE_BY_NAME = new Set(['containers', 'initContainers', 'env', 'volumes', 'volumeMounts']);

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every non-empty YAML document of a file, as plain JSON values. */
export function readYamlDocuments(file: string): Json[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).flatMap((doc) => {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as Json;
    return value === null || value === undefined ? [] : [value];
  });
}

function asManifest(value: Json, where: string): Manifest {
  if (!isObject(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || !isObject(value.metadata) || typeof value.metadata.name !== 'string') {
    throw new Error(`${where}: not a Kubernetes object (apiVersion, kind, metadata.name)`);
  }
  return value as Manifest;
}

function group(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

function sameResource(a: Manifest, b: Manifest): boolean {
  return a.kind === b.kind && group(a.apiVersion) === group(b.apiVersion) && a.metadata.name === b.metadata.name;
}

export function resourceKey(m: Manifest): string {
  return `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
}

function strategicMerge(target: Json, patch: Json, builtin: boolean, where: string): Json {
  if (!isObject(target) || !isObject(patch)) return structuredClone(patch);
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) throw new Error(`${where}: patch directive ${key} is not supported by this renderer`);
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value) && Array.isArray(out[key]) && builtin && MERGE_BY_NAME.has(key)) {
      // Kustomize's order: the patch's entries (merged into their namesakes), then the others as they were.
      const current = out[key] as Json[];
      const named = (item: Json): string => {
        if (!isObject(item) || typeof item.name !== 'string') throw new Error(`${where}: ${key} entries need a name`);
        return item.name;
      };
      const patched = value.map((item) => {
        const existing = current.find((m) => named(m) === named(item));
        return existing === undefined ? structuredClone(item) : strategicMerge(existing, item, builtin, `${where}.${key}[${named(item)}]`);
      });
      out[key] = [...patched, ...current.filter((m) => !value.some((item) => named(item) === named(m)))];
    } else if (isObject(value) && isObject(out[key])) {
      out[key] = strategicMerge(out[key], value, builtin, `${where}.${key}`);
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out;
}

function podSpecs(m: Manifest): JsonObject[] {
  const spec = m.spec;
  if (!isObject(spec)) return [];
  if (m.kind === 'Pod') return [spec];
  const template = spec.template;
  return isObject(template) && isObject(template.spec) ? [template.spec] : [];
}

function setImages(resources: Manifest[], images: Json, where: string): void {
  if (!Array.isArray(images)) throw new Error(`${where}: images must be a list`);
  for (const image of images) {
    if (!isObject(image) || typeof image.name !== 'string') throw new Error(`${where}: an image needs a name`);
    for (const k of Object.keys(image)) if (!['name', 'newName', 'newTag'].includes(k)) throw new Error(`${where}: images.${k} is not supported`);
    for (const m of resources) {
      for (const pod of podSpecs(m)) {
        for (const list of [pod.containers, pod.initContainers]) {
          for (const c of Array.isArray(list) ? list : []) {
            if (!isObject(c) || typeof c.image !== 'string') continue;
            const [, name, tag] = /^(.*?)(?::([^:/]+))?$/.exec(c.image)!;
            if (name !== image.name) continue;
            const newName = typeof image.newName === 'string' ? image.newName : name;
            const newTag = image.newTag !== undefined ? String(image.newTag) : tag;
            c.image = newTag === undefined ? newName : `${newName}:${newTag}`;
          }
        }
      }
    }
  }
}

/** Renders the kustomization in `dir` (a directory holding kustomization.yaml) to its list of objects. */
export function renderKustomization(dir: string): Manifest[] {
  const file = path.join(dir, 'kustomization.yaml');
  const [k, ...more] = readYamlDocuments(file);
  if (!isObject(k) || more.length) throw new Error(`${file}: expected one kustomization document`);
  for (const field of Object.keys(k)) if (!KNOWN_FIELDS.has(field)) throw new Error(`${file}: field '${field}' is not supported by this renderer`);
  if (k.kind !== 'Kustomization') throw new Error(`${file}: kind must be Kustomization`);

  let resources: Manifest[] = [];
  for (const entry of (k.resources ?? []) as Json[]) {
    if (typeof entry !== 'string') throw new Error(`${file}: resources entries are paths`);
    const target = path.resolve(dir, entry);
    if (!existsSync(target)) throw new Error(`${file}: resource ${entry} does not exist`);
    const loaded = statSync(target).isDirectory()
      ? renderKustomization(target)
      : readYamlDocuments(target).map((doc, i) => asManifest(doc, `${target}#${i}`));
    for (const m of loaded) {
      if (resources.some((r) => sameResource(r, m))) throw new Error(`${file}: ${resourceKey(m)} is defined twice`);
      resources.push(m);
    }
  }

  for (const p of (k.patches ?? []) as Json[]) {
    if (!isObject(p) || typeof p.path !== 'string' || Object.keys(p).length !== 1) throw new Error(`${file}: only patches with a path are supported`);
    const patchFile = path.resolve(dir, p.path);
    readYamlDocuments(patchFile).forEach((doc, i) => {
      const where = `${patchFile}#${i}`;
      const { $patch, ...rest } = isObject(doc) ? doc : {};
      const patch = asManifest(rest, where);
      const matches = resources.filter((r) => sameResource(r, patch));
      if (matches.length !== 1) throw new Error(`${where}: patches ${patch.kind} ${patch.metadata.name}, which the resources hold ${matches.length} times`);
      if ($patch === 'delete') {
        resources = resources.filter((r) => r !== matches[0]);
        return;
      }
      if ($patch !== undefined) throw new Error(`${where}: $patch: ${String($patch)} is not supported`);
      const builtin = BUILTIN_GROUPS.has(group(patch.apiVersion));
      resources[resources.indexOf(matches[0]!)] = strategicMerge(matches[0]!, patch, builtin, where) as Manifest;
    });
  }

  if (k.namespace !== undefined) {
    if (typeof k.namespace !== 'string') throw new Error(`${file}: namespace must be a string`);
    for (const m of resources) if (!CLUSTER_SCOPED.has(m.kind)) m.metadata.namespace = k.namespace;
  }

  for (const r of (k.replicas ?? []) as Json[]) {
    if (!isObject(r) || typeof r.name !== 'string' || typeof r.count !== 'number') throw new Error(`${file}: replicas entries are { name, count }`);
    const targets = resources.filter((m) => ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(m.kind) && m.metadata.name === r.name);
    if (targets.length !== 1) throw new Error(`${file}: replicas for ${r.name}, which is not one workload`);
    (targets[0]!.spec as JsonObject).replicas = r.count;
  }

  if (k.images !== undefined) setImages(resources, k.images, file);
  return resources;
}
