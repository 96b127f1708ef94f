// Live checks of a schema document as text: JSON syntax, the JSON Schema meta-schema (2020-12), and
// the x-xrm rules the host enforces, each placed on the text it is about.
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { JsonSchema } from '../api/types';
import { validateSchemaDocument } from '../schema/evalFree';
import { modelProblems, schemaToModel } from './typeModel';

export interface SchemaDiagnostic {
  from: number;
  to: number;
  message: string;
}

const DRAFT_2020 = 'https://json-schema.org/draft/2020-12/schema';
const KNOWN_DRAFTS = [DRAFT_2020, 'https://json-schema.org/draft/2019-09/schema', 'http://json-schema.org/draft-07/schema#'];
const XRM_KEYS = ['name', 'display_name', 'plural_name', 'title_field', 'indexed', 'unique', 'search', 'lookups', 'state_machine'];

function pointerPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** The text span of the deepest node that exists along the path (a missing key marks its parent). */
function span(root: Node, path: (string | number)[]): { from: number; to: number } {
  for (let length = path.length; length >= 0; length--) {
    const node = findNodeAtLocation(root, path.slice(0, length));
    if (node) {
      const target = node.parent?.type === 'property' && length > 0 ? node.parent.children![0] : node;
      return { from: target.offset, to: target.offset + Math.min(target.length, 200) };
    }
  }
  return { from: 0, to: 1 };
}

function xrmDiagnostics(schema: JsonSchema): { path: (string | number)[]; message: string }[] {
  const found: { path: (string | number)[]; message: string }[] = [];
  const xrm = schema['x-xrm'];
  if (!xrm || typeof xrm !== 'object') return [{ path: [], message: 'the document needs an x-xrm object (name, display_name, title_field)' }];
  for (const key of Object.keys(xrm)) {
    if (!XRM_KEYS.includes(key)) found.push({ path: ['x-xrm', key], message: `unknown x-xrm key '${key}'; known keys are ${XRM_KEYS.join(', ')}` });
  }
  const properties = schema.properties ?? {};
  if (schema.type !== 'object') found.push({ path: ['type'], message: 'the root must be an object schema ("type": "object")' });
  const fieldProblems = modelProblems(schemaToModel(schema));
  for (const [field, messages] of fieldProblems) {
    for (const message of messages) {
      if (field === '') {
        const where = message.includes('title field') ? ['x-xrm', 'title_field'] : message.includes('type name') ? ['x-xrm', 'name'] : message.includes('state machine') ? ['x-xrm', 'state_machine'] : ['x-xrm'];
        found.push({ path: where, message });
      } else {
        found.push({ path: ['properties', field], message: `${field}: ${message}` });
      }
    }
  }
  for (const [index, path] of (xrm.indexed ?? []).entries()) {
    const [head] = path.split('/');
    if (!properties[head]) found.push({ path: ['x-xrm', 'indexed', index], message: `x-xrm.indexed '${path}' is not a property of the schema` });
  }
  for (const [name, lookup] of Object.entries(xrm.lookups ?? {})) {
    if (!properties[name]) found.push({ path: ['x-xrm', 'lookups', name], message: `x-xrm.lookups '${name}' is not a property of the schema` });
    if (!lookup?.target) found.push({ path: ['x-xrm', 'lookups', name], message: `x-xrm.lookups '${name}' needs a target` });
  }
  return found;
}

export function checkSchemaText(text: string): SchemaDiagnostic[] {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length || !root) {
    return errors.map((e) => ({ from: e.offset, to: e.offset + Math.max(e.length, 1), message: `JSON: ${printParseErrorCode(e.error).replace(/([A-Z])/g, ' $1').trim().toLowerCase()}` }));
  }
  const schema = JSON.parse(text) as JsonSchema;
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return [{ from: 0, to: text.length, message: 'the document must be a JSON object' }];
  const diagnostics: SchemaDiagnostic[] = [];
  const draft = schema.$schema as string | undefined;
  if (draft !== undefined && !KNOWN_DRAFTS.includes(draft)) {
    diagnostics.push({ ...span(root, ['$schema']), message: `unsupported $schema "${draft}"; use draft 2020-12 (the default), 2019-09 or draft-07` });
  }
  if (draft === undefined || draft === DRAFT_2020) {
    const { $schema: _ignored, ...withoutDraft } = schema;
    for (const error of validateSchemaDocument(withoutDraft)) {
      diagnostics.push({ ...span(root, pointerPath(error.instancePath)), message: `not a valid JSON Schema: ${error.instancePath || '/'} ${error.message}` });
    }
  }
  for (const problem of xrmDiagnostics(schema)) diagnostics.push({ ...span(root, problem.path), message: problem.message });
  return diagnostics;
}
