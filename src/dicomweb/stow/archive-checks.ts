/**
 * What the gateway asks the archive (QIDO-RS, PS3.18 §10.6) before storing:
 * does the study exist and whose is it (policies), and does the SOP Instance
 * UID already exist (a re-sent instance is answered "already stored" instead
 * of being stored twice; a UID naming an instance of another study or series
 * is refused). Answers are kept for the duration of one STOW-RS request.
 */
import { GatewayError } from '../../http/errors.js';
import type { UpstreamClient } from '../../upstream/client.js';
import { isAbortError } from '../../upstream/errors.js';
import { InstanceFailure } from './outcome.js';
import { patientDifference, type PatientIdentity } from './patient.js';
import type { StowPolicy } from './policy.js';
import { FailureReason, WarningReason } from './reasons.js';
import type { ReasonDetail } from './outcome.js';
import type { InstanceFacts } from './validate.js';

type JsonRow = Record<string, { Value?: unknown[] } | undefined>;

/** UIDs are at most 64 characters: 32 of them keep the query string around 2 KB. */
const MAX_UIDS_PER_QUERY = 32;

function first(row: JsonRow, tag: string): unknown {
  return row[tag]?.Value?.[0];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function patientOf(row: JsonRow): PatientIdentity {
  const pn = first(row, '00100010') as { Alphabetic?: unknown } | undefined;
  const id = text(first(row, '00100020'));
  const name = text(pn?.Alphabetic);
  const birthDate = text(first(row, '00100030'));
  return { ...(id !== undefined && { id }), ...(name !== undefined && { name }), ...(birthDate !== undefined && { birthDate }) };
}

/** An archive that cannot be asked makes the instance fail with "out of resources": retry later. */
export function archiveUnavailable(err: unknown, upstreamName: string): InstanceFailure {
  const detail = err instanceof GatewayError ? err.detail : (err as Error)?.message ?? String(err);
  return new InstanceFailure(FailureReason.OUT_OF_RESOURCES, `The archive "${upstreamName}" is unavailable; nothing was stored, retry later (${detail.slice(0, 160)})`, true);
}

export class ArchiveLookups {
  private readonly studies = new Map<string, Promise<PatientIdentity | null>>();
  /** Patient of the first instance of a study new to the archive, seen in this request. */
  private readonly newStudyPatients = new Map<string, PatientIdentity>();
  private readonly lookups = new Map<string, Promise<JsonRow[]>>();
  private readonly expected = new Set<string>();

  constructor(private readonly upstream: UpstreamClient, private readonly signal: AbortSignal) {}

  private async query(path: string, query: string): Promise<JsonRow[]> {
    try {
      const rows = await this.upstream.getJson(path, query, this.signal);
      return Array.isArray(rows) ? (rows as JsonRow[]) : [];
    } catch (err) {
      if (isAbortError(err)) throw err;
      throw archiveUnavailable(err, this.upstream.name);
    }
  }

  /** The study's patient in the archive, or null when the archive does not hold the study. */
  studyPatient(studyUid: string): Promise<PatientIdentity | null> {
    let pending = this.studies.get(studyUid);
    if (!pending) {
      pending = this.query('/studies', `StudyInstanceUID=${studyUid}&includefield=00100010,00100020,00100030`).then((rows) => (rows[0] ? patientOf(rows[0]) : null));
      pending.catch(() => this.studies.delete(studyUid));
      this.studies.set(studyUid, pending);
    }
    return pending;
  }

  /** Applies requireExistingStudy / requireMatchingPatient; throws InstanceFailure. */
  async checkStudyPolicy(policy: StowPolicy, facts: InstanceFacts, patient: PatientIdentity): Promise<void> {
    if (!policy.requireExistingStudy && !policy.requireMatchingPatient) return;
    const archived = await this.studyPatient(facts.studyUid);
    if (!archived && policy.requireExistingStudy) {
      throw new InstanceFailure(FailureReason.NOT_AUTHORIZED, `Study ${facts.studyUid} does not exist in the archive; policy "${policy.name}" only adds to existing studies`);
    }
    if (!policy.requireMatchingPatient) return;
    let reference = archived;
    if (!reference) {
      reference = this.newStudyPatients.get(facts.studyUid) ?? null;
      if (!reference) this.newStudyPatients.set(facts.studyUid, patient);
    }
    const difference = reference ? patientDifference(patient, reference) : undefined;
    if (difference) throw new InstanceFailure(FailureReason.DATASET_DOES_NOT_MATCH, archived ? difference : difference.replace('of the study in the archive', 'of an earlier instance of this study'));
  }

  /**
   * "Already stored" warning when the archive holds this SOP Instance in the same
   * study and series; throws when the UID names an instance elsewhere.
   */
  async checkDuplicate(facts: InstanceFacts): Promise<ReasonDetail | undefined> {
    const rows = await this.instanceRows(facts.sopInstanceUid);
    if (rows.length === 0) return undefined;
    const same = rows.some((r) => first(r, '0020000D') === facts.studyUid && first(r, '0020000E') === facts.seriesUid);
    if (same) return { code: WarningReason.ALREADY_STORED, comment: 'The archive already holds this instance; it was not stored again' };
    const other = text(first(rows[0]!, '0020000D')) ?? 'another study';
    throw new InstanceFailure(FailureReason.DUPLICATE_SOP_INSTANCE, `SOPInstanceUID ${facts.sopInstanceUid} already names an instance of study ${other} (or another series) in the archive`);
  }

  /** Announces an instance that will be checked soon, so that its lookup can share a query with another one. */
  expect(sopInstanceUid: string): void {
    if (!this.lookups.has(sopInstanceUid)) this.expected.add(sopInstanceUid);
  }

  /**
   * The archive's rows for a SOP Instance UID. One QIDO with a UID list
   * (PS3.18 §8.3.4.1, comma-separated) also answers for the instances expected
   * next: while the archive is busy storing, waiting instances pile up, and
   * their checks cost one query instead of one each.
   */
  private instanceRows(sopInstanceUid: string): Promise<JsonRow[]> {
    const known = this.lookups.get(sopInstanceUid);
    if (known) return known;
    this.expected.delete(sopInstanceUid);
    const batch = [sopInstanceUid, ...[...this.expected].slice(0, MAX_UIDS_PER_QUERY - 1)];
    for (const uid of batch) this.expected.delete(uid);
    const rows = this.query('/instances', `SOPInstanceUID=${batch.join(',')}&includefield=0020000D,0020000E`);
    for (const uid of batch) {
      const mine = rows.then((all) => all.filter((r) => first(r, '00080018') === uid));
      mine.catch(() => undefined); // an expected instance may never ask (request aborted)
      this.lookups.set(uid, mine);
    }
    return this.lookups.get(sopInstanceUid)!;
  }
}
