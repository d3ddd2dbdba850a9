import { CommandContext } from '../context';
import { RequestFailedError } from '../errors';
import { segment } from '../http/api-client';
import { isUuid, KeyType } from '@keymint/contracts';
import { ApplicationKey, ApplicationList, DEVPORTAL, KeyList } from './registry-shapes';

/** `--app` takes an application ID or its name (the caller's own first, as names are unique per owner). */
export async function resolveApplicationId(context: CommandContext, reference: string): Promise<string> {
  if (isUuid(reference)) return reference;
  const answer = await context
    .api()
    .call<ApplicationList>('registry', { method: 'GET', path: `${DEVPORTAL}/applications`, query: { query: reference, limit: 100 } });
  const matches = answer.list.filter((application) => application.name.toLowerCase() === reference.toLowerCase());
  const username = context.options.user ?? context.stored()?.username;
  const own = matches.filter((application) => application.owner === username?.toLowerCase());
  const candidates = own.length > 0 ? own : matches;
  if (candidates.length === 1) return candidates[0].applicationId;
  if (candidates.length === 0) throw new RequestFailedError(`no application named '${reference}'`, 404);
  throw new RequestFailedError(`several applications are named '${reference}' (owners ${candidates.map((a) => a.owner).join(', ')}): use the application ID`);
}

/** The application's key of one type (there is at most one per type). */
export async function findKey(context: CommandContext, applicationId: string, keyType: KeyType): Promise<ApplicationKey> {
  const keys = await context
    .api()
    .call<KeyList>('registry', { method: 'GET', path: `${DEVPORTAL}/applications/${segment(applicationId)}/oauth-keys` });
  const key = keys.list.find((candidate) => candidate.keyType === keyType);
  if (!key) throw new RequestFailedError(`the application has no ${keyType} key: run 'keymint keys generate' first`, 404);
  return key;
}

/** The REST path of one key: `…/applications/{id}/oauth-keys/{keyMappingId}`. */
export function keyPath(applicationId: string, keyMappingId: string): string {
  return `${DEVPORTAL}/applications/${segment(applicationId)}/oauth-keys/${segment(keyMappingId)}`;
}

/** `--app` and `--key-type` to the key and its REST path. */
export async function resolveKey(
  context: CommandContext,
  reference: string,
  keyType: KeyType,
): Promise<{ applicationId: string; key: ApplicationKey; path: string }> {
  const applicationId = await resolveApplicationId(context, reference);
  const key = await findKey(context, applicationId, keyType);
  return { applicationId, key, path: keyPath(applicationId, key.keyMappingId) };
}
