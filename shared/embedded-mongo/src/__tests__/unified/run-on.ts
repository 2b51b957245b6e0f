/**
 * `runOnRequirements` of the unified test format against what the engine is: a standalone
 * (`single` topology) server of {@link SERVER_VERSION}, without authentication, not Atlas
 * Serverless, without client-side encryption.
 */
import type { Document } from 'mongodb';
import { SERVER_VERSION } from '../../index';

type Version = [number, number, number];

/** A version string ("7.0", "4.2.99", "8.2.0-rc1") as its numeric major, minor and patch. */
function parseVersion(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text
    .split('-')[0]!
    .split('.')
    .map((part) => Number.parseInt(part, 10));
  return [major, minor, patch];
}

function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}

const ENGINE_VERSION = parseVersion(SERVER_VERSION);

/** Why one runOnRequirement is not met by the engine, or undefined when it is. */
function unmetBecause(requirement: Document): string | undefined {
  const { minServerVersion, maxServerVersion, topologies, serverless, auth, csfle } = requirement;
  if (typeof minServerVersion === 'string') {
    if (compareVersions(parseVersion(minServerVersion), ENGINE_VERSION) > 0) {
      return `needs MongoDB ${minServerVersion} or later (the engine is ${SERVER_VERSION})`;
    }
  }
  if (typeof maxServerVersion === 'string') {
    if (compareVersions(parseVersion(maxServerVersion), ENGINE_VERSION) < 0) {
      return `needs MongoDB ${maxServerVersion} or older (the engine is ${SERVER_VERSION})`;
    }
  }
  if (Array.isArray(topologies) && !topologies.includes('single')) {
    return `needs a ${topologies.join(' or ')} topology (the engine is a standalone server)`;
  }
  if (serverless === 'require') return 'needs Atlas Serverless';
  if (auth === true) return 'needs authentication (the engine has none)';
  if (typeof requirement.authMechanism === 'string') return 'needs an authentication mechanism';
  if (requirement.serverParameters !== undefined) return 'needs server parameters';
  if (csfle !== undefined && csfle !== false) return 'needs client-side field level encryption';
  return undefined;
}

/**
 * Why a list of runOnRequirements excludes the engine (none of them is met), or undefined when
 * the list is absent or one of them is met.
 */
export function skipReason(requirements: unknown): string | undefined {
  if (!Array.isArray(requirements) || requirements.length === 0) return undefined;
  const reasons = requirements.map((requirement) => unmetBecause(requirement as Document));
  if (reasons.some((reason) => reason === undefined)) return undefined;
  return [...new Set(reasons)].join('; ');
}

/** Schema versions of the unified format this runner reads (1.0 up to 1.21). */
export function supportsSchemaVersion(version: unknown): boolean {
  if (typeof version !== 'string') return false;
  const [major, minor] = parseVersion(version);
  return major === 1 && minor <= 21;
}
