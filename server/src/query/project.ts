// `select`: keeps only the selected (dotted) paths of an answered object, descending into arrays.
// Reads only own members and writes with defineProperty, so a document holding a `__proto__` key (plain
// data in JSON) is copied as data and can never reach an object's prototype.
import type { FieldPath } from './types.ts';

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

function put(dst: Obj, key: string, value: unknown) {
  Object.defineProperty(dst, key, { value, enumerable: true, writable: true, configurable: true });
}

function own(src: Obj, key: string): unknown {
  return Object.hasOwn(src, key) ? src[key] : undefined;
}

function pick(src: unknown, path: FieldPath, dst: Obj) {
  if (!isObject(src)) return;
  const [head, ...rest] = path as [string, ...string[]];
  const value = own(src, head);
  if (value === undefined) return;
  if (!rest.length) return put(dst, head, value);
  const prev = own(dst, head);
  if (Array.isArray(value)) {
    const list = Array.isArray(prev) ? (prev as Obj[]) : value.map(() => ({}));
    value.forEach((el, i) => pick(el, rest, list[i]!));
    put(dst, head, list);
  } else if (isObject(value)) {
    const inner = isObject(prev) ? prev : {};
    pick(value, rest, inner);
    put(dst, head, inner);
  }
}

/** The selected paths of `item`; the `always` fields are kept whatever is selected. */
export function project(item: Obj, select: readonly FieldPath[] | null, always: readonly string[]): Obj {
  if (!select) return item;
  const out: Obj = {};
  for (const k of always) if (Object.hasOwn(item, k)) put(out, k, item[k]);
  for (const path of select) pick(item, path, out);
  return out;
}
