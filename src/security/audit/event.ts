/**
 * Audit events modelled on the DICOM Audit Message Schema (PS3.15 Annex A.5)
 * and IHE ATNA: EventID, EventActionCode, EventTypeCode and
 * EventOutcomeIndicator use the DICOM codes (CID 400/401/403, DCM coding
 * scheme); the active participant is the user with their network access point;
 * participant objects are the studies, the patients and, for a Query, the query.
 * Written as one JSON object per line so that any log pipeline can read it.
 */
import type { PatientRef } from '../policy.js';

export interface CodedValue {
  code: string;
  system: 'DCM';
  meaning: string;
}

const dcm = (code: string, meaning: string): CodedValue => ({ code, system: 'DCM', meaning });

/** EventID (PS3.15 A.5.3, CID 400). */
export const EVENT_IDS = {
  'Application Activity': dcm('110100', 'Application Activity'),
  'Audit Log Used': dcm('110101', 'Audit Log Used'),
  /** Prefetch jobs: the gateway starts moving a patient's instances into its edge cache. */
  'Begin Transferring DICOM Instances': dcm('110102', 'Begin Transferring DICOM Instances'),
  'DICOM Instances Accessed': dcm('110103', 'DICOM Instances Accessed'),
  'DICOM Instances Transferred': dcm('110104', 'DICOM Instances Transferred'),
  /** STOW-RS: DICOM Instances Transferred with EventActionCode C (create), named as a security officer reads it. */
  'Instances Stored': dcm('110104', 'DICOM Instances Transferred'),
  /** Identity links and reconciliation decisions (create, read, update, delete). */
  'Patient Record': dcm('110110', 'Patient Record'),
  Query: dcm('110112', 'Query'),
  'Security Alert': dcm('110113', 'Security Alert'),
  'User Authentication': dcm('110114', 'User Authentication'),
} as const;

export type AuditEventType = keyof typeof EVENT_IDS;

/** EventTypeCode (CID 401 / CID 403). */
export const EVENT_TYPE_CODES = {
  applicationStart: dcm('110120', 'Application Start'),
  applicationStop: dcm('110121', 'Application Stop'),
  login: dcm('110122', 'Login'),
  securityConfiguration: dcm('110129', 'Security Configuration'),
  useOfRestrictedFunction: dcm('110132', 'Use of Restricted Function'),
  authorizationDecision: dcm('110144', 'Authorization Decision'),
  accessControlDecision: dcm('110147', 'Access Control Decision'),
} as const;

/** EventActionCode: Create, Read, Update, Delete, Execute. */
export type EventAction = 'C' | 'R' | 'U' | 'D' | 'E';

/** EventOutcomeIndicator: 0 success, 4 minor failure, 8 serious failure, 12 major failure. */
export type EventOutcome = 0 | 4 | 8 | 12;

export interface AuditUser {
  /** UserID: token subject, API key id, or "anonymous". */
  id: string;
  kind: 'token' | 'apiKey' | 'anonymous' | 'unauthenticated';
  name?: string;
  issuer?: string;
  clientId?: string;
  roles?: string[];
}

export interface AuditEvent {
  /** ISO 8601 UTC (EventDateTime). */
  time: string;
  eventType: AuditEventType;
  eventId: CodedValue;
  eventTypeCode?: CodedValue;
  action: EventAction;
  outcome: EventOutcome;
  /** EventOutcomeDescription: why it failed, in words. */
  outcomeDescription?: string;
  user: AuditUser;
  /** NetworkAccessPointID of the requestor (IP address) and its user agent. */
  client?: { address: string; userAgent?: string };
  /** AuditSourceID: which gateway wrote the event. */
  source: { id: string; host: string; pid: number };
  request?: { id?: string; method: string; path: string; status: number; route?: string };
  /** ParticipantObject Study Instance UIDs (110180). */
  studies?: string[];
  series?: string[];
  instances?: string[];
  /** ParticipantObject Patient (RFC 3881 type 2, Patient Number). */
  patients?: PatientRef[];
  /** ParticipantObjectQuery of a Query event: the QIDO-RS query string, without credentials. */
  query?: string;
  /** Number of instances a STOW-RS request stored or failed to, when known. */
  detail?: Record<string, unknown>;
}

const DESCRIPTIONS: Record<EventOutcome, string> = { 0: 'Success', 4: 'Minor failure', 8: 'Serious failure', 12: 'Major failure' };

export function outcomeMeaning(outcome: EventOutcome): string {
  return DESCRIPTIONS[outcome];
}

/** HTTP status → EventOutcomeIndicator: 2xx/3xx success; 202 (partial STOW) and 4xx minor; 5xx serious. */
export function outcomeOfStatus(status: number): EventOutcome {
  if (status === 202) return 4;
  if (status < 400) return 0;
  if (status < 500) return 4;
  return 8;
}
