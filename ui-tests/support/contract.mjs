// Holds the mock API to the contract the real API states: every answer the mock gives to an
// /api request (and /health) must have a status its operation in api-component/openapi.json
// documents, and a JSON body valid against the schema given for that status. The document is
// generated from the component's types, so a mock that drifts from the real API fails here,
// not in a user's browser.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OPENAPI = path.resolve(HERE, '../../api-component/openapi.json');

/** A checker for the served document; `violations` collects what broke it. */
export function createContract() {
  const doc = JSON.parse(fs.readFileSync(OPENAPI, 'utf8'));
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ $id: 'openapi', components: doc.components });
  const validators = new Map();
  const violations = [];

  const operations = Object.entries(doc.paths).flatMap(([pattern, item]) => {
    const regex = new RegExp(`^${pattern.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const params = (pattern.match(/\{/g) ?? []).length;
    return Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), pattern, regex, params, op }));
  });

  /** The operation for a request: the most literal pattern that matches. */
  function operation(method, pathname) {
    const asked = method === 'HEAD' ? 'GET' : method;
    return operations
      .filter((o) => o.method === asked && o.regex.test(pathname))
      .sort((a, b) => a.params - b.params)[0];
  }

  function resolve(value) {
    let v = value;
    while (v && v.$ref) {
      v = v.$ref.slice(2).split('/').reduce((node, key) => node?.[key], doc);
    }
    return v;
  }

  function validator(pointer, schema) {
    if (!validators.has(pointer)) {
      // Inline schemas point into the document's components too.
      const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'));
      validators.set(pointer, ajv.compile(rebased));
    }
    return validators.get(pointer);
  }

  return {
    violations,
    /** Checks one answer; `body` is what the mock sends (an object for JSON). */
    check(method, pathname, status, body) {
      if (!(pathname === '/health' || pathname.startsWith('/api/'))) return;
      const found = operation(method, pathname);
      const where = `${method} ${pathname} → ${status}`;
      if (!found) {
        violations.push(`${where}: no such operation in openapi.json`);
        return;
      }
      const response = resolve(found.op.responses?.[String(status)]);
      if (!response) {
        violations.push(`${where}: status not documented for ${found.method} ${found.pattern}`);
        return;
      }
      const schema = response.content?.['application/json']?.schema;
      if (!schema || body === null || typeof body !== 'object' || Buffer.isBuffer(body)) return;
      const validate = validator(`${found.method} ${found.pattern} ${status}`, schema);
      if (!validate(body)) {
        const errors = validate.errors.slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
        violations.push(`${where}: ${errors}; body ${JSON.stringify(body).slice(0, 300)}`);
      }
    },
  };
}
