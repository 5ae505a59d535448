// zod schemas for the HTTP bodies: strict objects, so unknown keys are refused, not dropped.

import { z } from 'zod';
import { PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN, USERNAME_PATTERN } from '../constants.js';

export const usernameSchema = z
  .string()
  .min(USERNAME_MIN, `username must be ${USERNAME_MIN}-${USERNAME_MAX} characters`)
  .max(USERNAME_MAX, `username must be ${USERNAME_MIN}-${USERNAME_MAX} characters`)
  .regex(USERNAME_PATTERN, 'username may contain only A-Z a-z 0-9 _ . -');

/** Length in characters (code points), as a user counts them, not UTF-16 units. */
export const passwordSchema = z
  .string()
  .refine((p) => {
    const n = [...p].length;
    return n >= PASSWORD_MIN && n <= PASSWORD_MAX;
  }, `password must be ${PASSWORD_MIN}-${PASSWORD_MAX} characters`);

export const credentialsSchema = z.strictObject({ username: usernameSchema, password: passwordSchema });
export type Credentials = z.infer<typeof credentialsSchema>;

/** One readable line from a zod failure, naming the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'Invalid request';
  if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
  const field = issue.path.join('.');
  if (issue.code === 'invalid_type') return field === '' ? 'body must be a JSON object' : `${field} is required and must be a ${issue.expected}`;
  return issue.message;
}
