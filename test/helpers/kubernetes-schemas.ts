/**
 * Kubernetes manifests checked against the API's own schemas, as an API server with strict field
 * validation (kubectl's default) would: the devDependency kubernetes-models (4.5.1, generated from the
 * OpenAPI documents of Kubernetes v1.33.0) gives, per apiVersion and kind,
 *   - a validator compiled from the JSON schema (types, formats, required fields, enums), and
 *   - a TypeScript interface, through which the TypeScript compiler reports every field the API does
 *     not know (the schemas allow unknown fields; the API server's strict validation refuses them).
 */
import { join } from 'node:path';

import * as ts from 'typescript';

/** The Kubernetes release the schemas come from (kubernetes-models 4.5.1: "Update schema version to v1.33.0"). */
export const KUBERNETES_SCHEMA_VERSION = 'v1.33.0';

export interface Manifest {
  /** where it came from, for the messages */
  source: string;
  apiVersion: string;
  kind: string;
  [field: string]: unknown;
}

type ModelClass = new (data: unknown) => { validate(): void };

/** `kubernetes-models/apps/v1/Deployment`, `kubernetes-models/v1/ConfigMap` ... */
const modulePath = (m: Manifest) => `kubernetes-models/${m.apiVersion}/${m.kind}`;

/** The JSON schema's verdict on each manifest: the problems, one line each (empty: all valid). */
export function schemaProblems(manifests: Manifest[]): string[] {
  return manifests.flatMap((manifest) => {
    const { source, ...body } = manifest;
    let Model: ModelClass;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Model = (require(modulePath(manifest)) as Record<string, ModelClass>)[manifest.kind];
    } catch {
      return [
        `${source}: ${manifest.apiVersion} ${manifest.kind} is not a kind of Kubernetes ${KUBERNETES_SCHEMA_VERSION}`,
      ];
    }
    try {
      new Model(body).validate();
      return [];
    } catch (error) {
      return [`${source}: ${(error as Error).message}`];
    }
  });
}

/**
 * Fields the API does not know, and values of the wrong shape, found by type-checking each manifest
 * as an object literal of its kind's interface (TypeScript reports excess properties at any depth).
 */
export function unknownFieldProblems(manifests: Manifest[], root: string): string[] {
  const file = join(root, 'test', '__kubernetes_manifests__.ts'); // virtual: never written to disk
  const text = manifests
    .map((m, i) => {
      const { source: _source, ...body } = m;
      return [
        `// ${m.source}`,
        `import type { I${m.kind} as T${i} } from '${modulePath(m)}';`,
        `export const manifest${i}: T${i} = ${JSON.stringify(body, null, 2)};`,
      ].join('\n');
    })
    .join('\n\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, text, language) : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const source = program.getSourceFile(file);
  return ts.getPreEmitDiagnostics(program, source).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return message;
    const line = d.file.getLineAndCharacterOfPosition(d.start).line;
    const owner = text
      .split('\n')
      .slice(0, line + 1)
      .reverse()
      .find((l) => l.startsWith('// '));
    return `${owner?.slice(3) ?? d.file.fileName}: ${message}`;
  });
}
