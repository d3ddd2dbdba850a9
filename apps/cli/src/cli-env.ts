import { z } from 'zod';
import { loadConfig } from '@keymint/config';

/** The environment the CLI reads (documented in docs/cli.md). */
const blankIsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optionalUrl = z.preprocess(
  blankIsUnset,
  z
    .string()
    .trim()
    .refine((value) => /^https?:\/\/[^/]/.test(value) && URL.canParse(value), 'must be an http:// or https:// URL')
    .optional(),
);

export const cliEnvShape = {
  KEYMINT_REGISTRY_URL: optionalUrl,
  KEYMINT_TOKEN_URL: optionalUrl,
  KEYMINT_ANALYTICS_URL: optionalUrl,
  /** Where credentials.json goes (XDG Base Directory); else $HOME/.config. */
  XDG_CONFIG_HOME: z.string().optional(),
  HOME: z.string().optional(),
};

export type CliEnv = z.infer<z.ZodObject<typeof cliEnvShape>>;

export function loadCliEnv(env: NodeJS.ProcessEnv): CliEnv {
  const parsed = loadConfig(cliEnvShape, env);
  // An exported-but-empty variable means "not set", as shells commonly produce.
  const clean = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value.trim());
  return {
    KEYMINT_REGISTRY_URL: clean(parsed.KEYMINT_REGISTRY_URL),
    KEYMINT_TOKEN_URL: clean(parsed.KEYMINT_TOKEN_URL),
    KEYMINT_ANALYTICS_URL: clean(parsed.KEYMINT_ANALYTICS_URL),
    XDG_CONFIG_HOME: clean(parsed.XDG_CONFIG_HOME),
    HOME: clean(parsed.HOME),
  };
}

/** Defaults: the local cluster's HTTPS ports (README.md, "Ports"). */
export const DEFAULT_URLS = {
  registry: 'https://localhost:9443',
  tokenUrl: 'https://localhost:8243/token',
  analytics: 'https://localhost:9643',
} as const;
