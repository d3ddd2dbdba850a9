/** Times in answers are ISO 8601 in UTC. */
export const iso = (time: number): string => new Date(time).toISOString();

/** Lists of applications: by name (unnamed ones last), then by ID, after whatever ranks them first. */
export function byApplicationName(
  a: { applicationName: string | null; applicationId: string },
  b: { applicationName: string | null; applicationId: string },
): number {
  return compareNullable(a.applicationName, b.applicationName) || a.applicationId.localeCompare(b.applicationId);
}

function compareNullable(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a.localeCompare(b);
}
