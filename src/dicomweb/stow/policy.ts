/**
 * STOW-RS validation policies (config `stow.policies`): which SOP Classes a
 * client or route may store, whether the study must already exist and the
 * patient match it, and a size limit. The first policy whose `match` fits the
 * request applies; an authentication layer (issue 6) can instead name the
 * policy of a client by setting `ctx.state.stowPolicy`.
 */
import type { z } from 'zod';
import type { stowPolicySchema } from '../../config/schema.js';
import { formatBytes } from './errors.js';
import { InstanceFailure } from './outcome.js';
import { FailureReason } from './reasons.js';
import { expandSopClasses } from './sop-classes.js';
import type { InstanceFacts } from './validate.js';

export type StowPolicyConfig = z.infer<typeof stowPolicySchema>;

export interface StowPolicy {
  name: string;
  /** undefined = any storable SOP Class. */
  allowedSopClasses?: ReadonlySet<string>;
  requireExistingStudy: boolean;
  requireMatchingPatient: boolean;
  maxInstanceBytes?: number;
  requiredAttributes: readonly string[];
  match: StowPolicyConfig['match'];
}

/** What policy selection looks at. */
export interface PolicyRequest {
  /** Request path below the DICOMweb root, e.g. "/studies/1.2.3". */
  path: string;
  header(name: string): string | undefined;
  /** Policy named by an authentication layer for this client (wins over matching). */
  policyName?: string;
}

/** Used when no configured policy matches: the built-in checks only. */
export const BUILT_IN_POLICY: StowPolicy = { name: 'built-in', requireExistingStudy: false, requireMatchingPatient: false, requiredAttributes: [], match: {} };

function compile(config: StowPolicyConfig): StowPolicy {
  return {
    name: config.name,
    ...(config.allowedSopClasses && { allowedSopClasses: expandSopClasses(config.allowedSopClasses) }),
    requireExistingStudy: config.requireExistingStudy,
    requireMatchingPatient: config.requireMatchingPatient,
    ...(config.maxInstanceBytes !== undefined && { maxInstanceBytes: config.maxInstanceBytes }),
    requiredAttributes: config.requiredAttributes,
    match: config.match,
  };
}

function matches(policy: StowPolicy, req: PolicyRequest): boolean {
  const { pathPrefix, header } = policy.match;
  if (pathPrefix !== undefined && !req.path.startsWith(pathPrefix)) return false;
  if (header !== undefined && req.header(header.name.toLowerCase()) !== header.value) return false;
  return true;
}

export class PolicySet {
  private readonly policies: StowPolicy[];

  constructor(configs: readonly StowPolicyConfig[]) {
    this.policies = configs.map(compile);
  }

  select(req: PolicyRequest): StowPolicy {
    if (req.policyName !== undefined) {
      const named = this.policies.find((p) => p.name === req.policyName);
      if (named) return named;
    }
    return this.policies.find((p) => matches(p, req)) ?? BUILT_IN_POLICY;
  }
}

/** The checks a policy makes without asking the archive. */
export function checkLocalPolicy(policy: StowPolicy, facts: InstanceFacts): void {
  if (policy.allowedSopClasses && !policy.allowedSopClasses.has(facts.sopClassUid)) {
    throw new InstanceFailure(FailureReason.SOP_CLASS_NOT_SUPPORTED, `SOP Class ${facts.sopClassUid} may not be stored by policy "${policy.name}"`);
  }
  if (policy.maxInstanceBytes !== undefined && facts.size > policy.maxInstanceBytes) {
    throw new InstanceFailure(FailureReason.OUT_OF_RESOURCES, `The instance (${formatBytes(facts.size)}) is larger than policy "${policy.name}" allows (${formatBytes(policy.maxInstanceBytes)})`);
  }
}
