/**
 * One STOW-RS request's instances, each through the same stages: index the
 * Part 10 file, validate it, apply the policy, ask the archive (study, patient,
 * duplicate), then store it, several instances per archive request
 * (batcher.ts), or, in a dry run, stop there. Every stage can reject the
 * instance with a reason; none can fail the whole request. Spools are always
 * released.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../config/schema.js';
import type { MetadataCache } from '../../cache/metadata-cache.js';
import { isAbortError } from '../../upstream/errors.js';
import type { ArchiveLookups } from './archive-checks.js';
import type { StoreResult, UpstreamStore } from './forward.js';
import { StoreBatcher } from './batcher.js';
import { indexSpool, spoolHead } from './index-instance.js';
import { Limiter } from './limiter.js';
import { partMediaType } from './media-type.js';
import { InstanceFailure, type InstanceOutcome, type InstanceRef, type ReasonDetail } from './outcome.js';
import { instancePatient, type PatientIdentity } from './patient.js';
import { checkLocalPolicy, type StowPolicy } from './policy.js';
import { FailureReason, WarningReason } from './reasons.js';
import type { SpooledPart } from './ingest.js';
import { spoolDirectory, type SpoolLimits } from './spool.js';
import { failureFromWalk, refFromIndex, validateInstance, type InstanceFacts } from './validate.js';
import { stringValue } from '../../dicom/part10/index.js';
import type { StoreTarget } from '../../security/hooks.js';

export interface RunDeps {
  config: GatewayConfig['stow'];
  log: Logger;
  store: UpstreamStore;
  lookups: ArchiveLookups;
  metadataCache: MetadataCache;
}

export interface RunOptions {
  urlStudy?: string;
  policy: StowPolicy;
  dryRun: boolean;
  signal: AbortSignal;
  /** The security layer's check that this caller may store the instance (src/security/hooks.ts storeAuthorizer); throws InstanceFailure 0x0124. */
  authorize?: (target: StoreTarget) => Promise<void>;
}

interface Checked {
  ref: InstanceRef;
  facts: InstanceFacts;
  warning?: ReasonDetail;
}

interface Ready {
  part: SpooledPart;
  checked: Checked;
}

/** Instances held at once by one request: room for two batches (one in flight while the next fills). */
export function instancesHeld(config: GatewayConfig['stow']): number {
  return Math.max(config.upstreamConcurrency * 2 + 2, config.upstreamBatchInstances * 2);
}

export class StoreRun {
  private readonly outcomes = new Map<number, InstanceOutcome>();
  private readonly limiter: Limiter;
  private readonly batcher: StoreBatcher<Ready, InstanceOutcome>;
  /** Instances between admission and the end of their local checks. */
  private checking = 0;
  private intakeEnded = false;
  private readonly bySopInstance = new Map<string, Promise<InstanceOutcome>>();
  private readonly dir: string;
  private readonly inflateLimits: SpoolLimits;

  constructor(private readonly deps: RunDeps, private readonly options: RunOptions) {
    this.limiter = new Limiter(instancesHeld(deps.config));
    // Instances validated while batches are in flight wait; their duplicate checks then share queries too.
    this.batcher = new StoreBatcher((batch) => this.storeBatch(batch), {
      slots: deps.config.upstreamConcurrency,
      maxInstances: deps.config.upstreamBatchInstances,
      maxBytes: deps.config.upstreamBatchBytes,
    }, () => this.checking === 0 && (this.intakeEnded || this.limiter.saturated));
    this.dir = spoolDirectory(deps.config.spoolDir);
    this.inflateLimits = {
      memoryBytes: deps.config.memoryPartBytes,
      maxBytes: deps.config.maxPartBytes,
      onTooLarge: () => new InstanceFailure(FailureReason.OUT_OF_RESOURCES, `The inflated dataset is larger than stow.maxPartBytes`),
    };
  }

  /** Takes ownership of the part's spool; resolves once its processing has started. */
  admit(part: SpooledPart): Promise<void> {
    return this.limiter.admit(async () => {
      this.outcomes.set(part.index, await this.process(part));
    });
  }

  /** Records an instance that failed before it could be admitted (e.g. metadata that cannot be converted). */
  record(outcome: InstanceOutcome): void {
    this.outcomes.set(outcome.ref.part, outcome);
  }

  /** Every outcome so far, in part order, once all admitted parts are done. */
  async settle(): Promise<InstanceOutcome[]> {
    this.intakeEnded = true; // called once the body is read (or failed): what is queued need not wait for more
    this.batcher.pump();
    await this.limiter.drain();
    return [...this.outcomes.entries()].sort((a, b) => a[0] - b[0]).map(([, o]) => o);
  }

  get storedCount(): number {
    return [...this.outcomes.values()].filter((o) => o.kind === 'stored').length;
  }

  private async process(part: SpooledPart): Promise<InstanceOutcome> {
    let ref: InstanceRef = { part: part.index };
    try {
      this.checking++;
      const checked = await this.check(part).finally(() => this.checking--);
      ref = checked.ref;
      return await this.storeOnce(part, checked);
    } catch (err) {
      if (err instanceof InstanceFailure) return { kind: 'failed', ref: err.ref ?? ref, failure: err.detail };
      if (isAbortError(err) || this.options.signal.aborted) return { kind: 'failed', ref, failure: { code: FailureReason.PROCESSING_FAILURE, comment: 'The request was aborted' } };
      this.deps.log.error({ err, part: part.index }, 'STOW-RS instance processing failed');
      return { kind: 'failed', ref, failure: { code: FailureReason.PROCESSING_FAILURE, comment: 'The gateway failed to process this instance; the incident was logged' } };
    } finally {
      this.batcher.pump(); // a failed check may have been what a partial batch waited for
      await part.spool.release();
    }
  }

  /** Local checks: media type, Part 10 structure, attributes, policy. */
  private async check(part: SpooledPart): Promise<Checked> {
    const media = partMediaType(part.headers['content-type']);
    if (media && media.essence !== 'application/dicom') {
      throw new InstanceFailure(FailureReason.CANNOT_UNDERSTAND, `Part ${part.index} has Content-Type ${media.essence}; this request's parts must be application/dicom`);
    }
    const indexed = await indexSpool(part.spool, this.dir, this.inflateLimits).catch(async (err: unknown) => {
      throw failureFromWalk(err, await spoolHead(part.spool).catch(() => undefined)) ?? err;
    });
    try {
      const ref = refFromIndex(part.index, indexed.index);
      try {
        const { facts, warning } = validateInstance(indexed.index, { urlStudy: this.options.urlStudy, requiredAttributes: this.options.policy.requiredAttributes });
        facts.size = part.spool.size;
        checkLocalPolicy(this.options.policy, facts);
        await this.options.authorize?.({ studyUid: facts.studyUid, patientId: stringValue(indexed.index, 'PatientID'), issuer: stringValue(indexed.index, 'IssuerOfPatientID') });
        const patient: PatientIdentity = this.options.policy.requireMatchingPatient ? await instancePatient(indexed.index, indexed.source) : {};
        await this.deps.lookups.checkStudyPolicy(this.options.policy, facts, patient);
        if (this.deps.config.detectDuplicates) this.deps.lookups.expect(facts.sopInstanceUid);
        return { ref, facts, ...(warning && { warning }) };
      } catch (err) {
        if (err instanceof InstanceFailure) err.ref = ref;
        throw err;
      }
    } finally {
      await indexed.close();
    }
  }

  /** The same SOP Instance twice in one request is stored once. */
  private async storeOnce(part: SpooledPart, checked: Checked): Promise<InstanceOutcome> {
    const uid = checked.facts.sopInstanceUid;
    const earlier = this.bySopInstance.get(uid);
    if (earlier) this.batcher.pump(); // the earlier one may be queued, waiting for this check to end
    if (earlier && (await earlier).kind === 'stored') {
      return { kind: 'stored', ref: checked.ref, warning: { code: WarningReason.ALREADY_STORED, comment: 'The same instance was sent earlier in this request; it was stored once' } };
    }
    const pending = this.store(part, checked).catch((err: unknown): InstanceOutcome => {
      if (err instanceof InstanceFailure) return { kind: 'failed', ref: checked.ref, failure: err.detail };
      throw err;
    });
    this.bySopInstance.set(uid, pending);
    return pending;
  }

  private store(part: SpooledPart, checked: Checked): Promise<InstanceOutcome> {
    return this.batcher.submit({ part, checked }, part.spool.size);
  }

  /** One batch: duplicate checks (one archive query for all), then one store request for those still to store. */
  private async storeBatch(batch: Ready[]): Promise<InstanceOutcome[]> {
    const outcomes = await Promise.all(batch.map((ready) => this.beforeStore(ready.checked)));
    const toSend = batch.flatMap((_, i) => (outcomes[i] === undefined ? [i] : []));
    if (toSend.length > 0) {
      const items = toSend.map((i) => ({ spool: batch[i]!.part.spool, facts: batch[i]!.checked.facts }));
      const results = await this.deps.store.storeBatch(items, this.options.signal);
      toSend.forEach((i, k) => (outcomes[i] = this.afterStore(batch[i]!.checked, results[k]!)));
    }
    return outcomes as InstanceOutcome[];
  }

  /** The outcome of an instance that is not to be sent (already in the archive, UID taken, dry run), else undefined. */
  private async beforeStore(checked: Checked): Promise<InstanceOutcome | undefined> {
    const { ref, facts } = checked;
    try {
      const duplicate = this.deps.config.detectDuplicates ? await this.deps.lookups.checkDuplicate(facts) : undefined;
      if (duplicate) return { kind: 'stored', ref, warning: duplicate };
    } catch (err) {
      if (err instanceof InstanceFailure) return { kind: 'failed', ref, failure: err.detail };
      throw err;
    }
    if (this.options.dryRun) return { kind: 'stored', ref, ...(checked.warning && { warning: checked.warning }) };
    return undefined;
  }

  private afterStore(checked: Checked, result: StoreResult): InstanceOutcome {
    if (!result.stored) return { kind: 'failed', ref: checked.ref, failure: result.failure.detail };
    // PS3.18 §10.5: a viewer must see the new instance at once, not after the cache TTL.
    this.deps.metadataCache.invalidateStudy(checked.facts.studyUid);
    const warning = result.warning ?? checked.warning;
    return { kind: 'stored', ref: checked.ref, ...(warning && { warning }) };
  }
}
