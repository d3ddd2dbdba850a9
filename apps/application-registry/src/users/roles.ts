/** The registry's roles; a user with none is an end user (password grant only). */
export const ROLES = ['admin', 'subscriber'] as const;
export type Role = (typeof ROLES)[number];

/** Letters, digits and `. _ - @`, starting with a letter or digit; no `:` (it would break Basic auth). */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$/;
export const USERNAME_HINT = '3 to 64 characters: letters, digits and . _ - @, starting with a letter or digit';
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/** Usernames are case-insensitive: the lower-case form is the one stored and compared. */
export function canonicalUsername(username: string): string {
  return username.toLowerCase();
}

/** Why a password is refused, or null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    return `'password' must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`;
  }
  if (password.trim().length === 0) return `'password' must not be only whitespace.`;
  return null;
}
