// Validates request bodies against the protocol schemas: no type coercion (a known field of the wrong
// type is a 400 naming it), unknown fields dropped where the schema is closed.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Static, TSchema } from '@sinclair/typebox';
import { ApiError } from '../http/errors.ts';

const ajv = new Ajv({ allErrors: true, removeAdditional: true, coerceTypes: false, strict: false });

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type': {
      const types = ([] as string[]).concat(p.type as string);
      const named = types.filter((t) => t !== 'null').join(' or ');
      return `must be ${named || 'null'}${types.includes('null') ? ' (or null to remove it)' : ''}`;
    }
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).filter((v) => v !== null).join(', ')}`;
    case 'required':
      return `is required`;
    case 'pattern':
      return `has an invalid format`;
    default:
      return e.message ?? 'is invalid';
  }
}

function pointerOf(e: ErrorObject): string {
  if (e.keyword === 'required')
    return `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`;
  return e.instancePath;
}

/** "/inputs/0/url" -> "inputs[0].url" */
export function fieldName(pointer: string, prefix = ''): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const name = parts.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
  return prefix ? (name ? `${prefix}${/^\[/.test(name) ? '' : '.'}${name}` : prefix) : name || 'body';
}

export function validationError(errors: ErrorObject[], prefix = '', pointerPrefix = ''): ApiError {
  const seen = new Set<string>();
  const items = errors
    .filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.keyword !== 'if')
    .map((e) => {
      const pointer = pointerPrefix + pointerOf(e);
      return {
        code: 'invalid_field',
        title: `${fieldName(pointerOf(e), prefix)} ${describe(e)}`,
        source: { pointer },
      };
    })
    .filter((i) => !seen.has(i.title) && seen.add(i.title));
  const [first, ...more] = items.length
    ? items
    : [{ code: 'invalid_field', title: 'body is invalid', source: { pointer: pointerPrefix } }];
  return new ApiError(400, first!.code, first!.title, first!.source, more);
}

export interface Validator<T> {
  /** Validates in place (dropping unknown fields) and returns the value typed, or throws a 400. */
  (value: unknown, prefix?: string, pointerPrefix?: string): T;
}

export function validator<S extends TSchema>(schema: S): Validator<Static<S>> {
  const fn: ValidateFunction = ajv.compile(schema);
  return (value, prefix = '', pointerPrefix = '') => {
    if (!fn(value)) throw validationError(fn.errors ?? [], prefix, pointerPrefix);
    return value as Static<S>;
  };
}
