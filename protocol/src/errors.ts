// The error body of every 4xx/5xx (OD-schemas error_response.yml): `status` and `code` are strings.
import { Type, type Static } from '@sinclair/typebox';

export const ApiErrorItem = Type.Object({
  status: Type.String(),
  code: Type.String(),
  title: Type.String(),
  source: Type.Optional(
    Type.Object({ pointer: Type.Optional(Type.String()), parameter: Type.Optional(Type.String()) }),
  ),
});
export const ErrorResponse = Type.Object({
  errors: Type.Array(ApiErrorItem),
  /** The older single-string form some Flussonic clients still read. */
  error: Type.Optional(Type.String()),
});
export type ErrorResponse = Static<typeof ErrorResponse>;
