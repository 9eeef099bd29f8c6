import { describe } from 'vitest';

/** The environment variables that carry the URLs of the services integration tests use. */
export type ServiceVariable = 'PLINTH_PG_URL' | 'PLINTH_REDIS_URL' | 'PLINTH_S3_URL';

/**
 * Integration tests against real services read their URL from the environment. Locally, without
 * it, the suite is skipped with one visible line saying why; under CI (`CI=true`) a missing
 * service is a failure, never a silent skip.
 */
export function serviceUrl(variable: ServiceVariable): string | undefined {
  const url = process.env[variable];
  if (url !== undefined && url !== '') return url;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`${variable} is not set: CI must provide this service (see .ci/run)`);
  }
  process.stderr.write(`[skip] ${variable} is not set: skipping the tests that need it\n`);
  return undefined;
}

/** `describe` that runs only when the service URL is present (see {@link serviceUrl}). */
export function describeWithService(
  variable: ServiceVariable,
  name: string,
  body: (url: string) => void,
): void {
  const url = serviceUrl(variable);
  if (url === undefined) describe.skip(`${name} (${variable} not set)`, () => {});
  else describe(name, () => body(url));
}
