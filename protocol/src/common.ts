// Building blocks shared by the wire schemas. Every optional field also accepts `null`: in a PUT body
// (a JSON merge patch) null removes the field, and the Go SDK may send null for unset pointers.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

// Written as `type: [T, "null"]` rather than anyOf, so a validation error names the field plainly.
export const Nullable = <T extends TSchema>(t: T) => {
  if (t.type === undefined) return Type.Optional(Type.Unsafe<Static<T> | null>(t));
  const s: Record<string, unknown> = { ...t, type: [t.type, 'null'] };
  if (Array.isArray(t.enum)) s.enum = [...(t.enum as unknown[]), null];
  return Type.Optional(Type.Unsafe<Static<T> | null>(s));
};

/** A string enum (one `enum` keyword, so errors list the allowed values). */
export const Enum = <const V extends readonly string[]>(values: V) =>
  Type.Unsafe<V[number]>({ type: 'string', enum: [...values] });

export const Str = () => Type.String();
export const Int = () => Type.Integer();
export const NonNegInt = () => Type.Integer({ minimum: 0 });
export const Num = () => Type.Number();
export const Bool = () => Type.Boolean();
export const Any = () => Type.Unknown();
/** Integer percent 0..100 (the SDK decodes it as int). */
export const Percent = () => Type.Integer({ minimum: 0, maximum: 100 });
/** Unix time in milliseconds, an integer. */
export const UtcMs = () => Type.Integer({ minimum: 0 });
/** `^[a-zA-Z0-9_.-]+$`, used for namespaces and label values. */
export const UnixName = () => Type.String({ pattern: '^[a-zA-Z0-9_.-]+$', minLength: 1, maxLength: 256 });
export const StrArray = () => Type.Array(Type.String());
export const IntArray = () => Type.Array(Type.Integer());
/** A map of strings to strings (headers, extra, meta). */
export const StrMap = () =>
  Type.Object({}, { additionalProperties: Type.Union([Type.String(), Type.Null()]) });
/** Layouter labels: unix-name keys and values. */
export const Labels = () =>
  Type.Object(
    {},
    {
      propertyNames: { pattern: '^[a-zA-Z0-9_.-]+$', maxLength: 256 },
      // null removes one label in a merge patch
      additionalProperties: { ...UnixName(), type: ['string', 'null'] },
      maxProperties: 64,
    },
  );
/** An object whose inner structure we keep as sent (round-trips unchanged). */
export const FreeObject = () => Type.Object({}, { additionalProperties: true });
/** An object with typed known fields; unknown fields inside it are kept so that they round-trip. */
export const OpenObject = <P extends Record<string, TSchema>>(props: P) =>
  Type.Object(props, { additionalProperties: true });
/** An object with typed known fields; unknown fields inside it are dropped. */
export const ClosedObject = <P extends Record<string, TSchema>>(props: P) =>
  Type.Object(props, { additionalProperties: false });

/** An absolute http(s) URL. */
export const HttpUrl = () =>
  Type.String({ pattern: '^https?://[^\\s/?#]+([/?#][^\\s]*)?$', maxLength: 2048 });
