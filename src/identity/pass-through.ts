/**
 * Identity resolution without links: every identity is the archive's own.
 * Used until src/identity's link-backed resolver is installed.
 */
import type { IdentityResolver } from './resolver.js';

export const passThroughIdentity: IdentityResolver = {
  resolve: (identity) => Promise.resolve({ asked: identity, ehr: false, pacs: [identity] }),
  screenStudies: (_resolution, studies) => Promise.resolve({ kept: studies, held: 0 }),
};
