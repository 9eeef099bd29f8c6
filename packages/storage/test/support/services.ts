import { describe } from 'vitest';

/**
 * Integration tests against real services read their URL from the environment. Locally, without
 * it, the suite is skipped with one visible line saying why; under CI (`CI=true`) a missing
 * service is a failure, never a silent skip.
 */
export function serviceUrl(
  variable: 'PLINTH_PG_URL' | 'PLINTH_REDIS_URL' | 'PLINTH_S3_URL',
): string | undefined {
  const url = process.env[variable];
  if (url !== undefined && url !== '') return url;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`${variable} is not set: CI must provide this service (see .ci/run)`);
  }
  console.warn(`[skip] ${variable} is not set: skipping the tests that need it`);
  return undefined;
}

/** `describe` that runs only when the service URL is present (see {@link serviceUrl}). */
export function describeWithService(
  variable: 'PLINTH_PG_URL' | 'PLINTH_REDIS_URL' | 'PLINTH_S3_URL',
  name: string,
  body: (url: string) => void,
): void {
  const url = serviceUrl(variable);
  if (url === undefined) describe.skip(`${name} (${variable} not set)`, () => {});
  else describe(name, () => body(url));
}
