/**
 * The conformance suite's fixed dataset: three patients, four studies, made with
 * generateStudy. Every UID is derived from fixed numbers, so the same instances
 * are produced on every run and can be loaded into any target more than once.
 * Patient IDs all start with `CONF-` so that cases can scope each query to this
 * data even when the target archive holds other studies.
 */
import { generateStudy, type GeneratedInstance, type StudySpec } from '../scripts/fixtures/generate.js';
import { uidFromBytes } from '../scripts/fixtures/uid.js';

/** 2.25.<UUID from 16 fixed bytes>; sub-components below it name studies and series. */
export const UID_ROOT = uidFromBytes(Uint8Array.from([0xc0, 0x4f, 0x0b, 0x3a, 0x51, 0x8e, 0x47, 0x21, 0x9d, 0x06, 0x2e, 0x7c, 0x13, 0xa5, 0x60, 0xf1]), 4);

/** A syntactically valid UID that no fixture (and, in practice, no archive) uses. */
export const UNKNOWN_STUDY_UID = `${UID_ROOT}.9.9.9`;

export const PATIENT_ID_PREFIX = 'CONF-';

export interface FixtureSeries {
  uid: string;
  modality: 'CT' | 'MR';
  number: number;
  description: string;
  instances: number;
  /** Frames per instance; absent for single-frame instances. */
  frames?: number;
}

export interface FixtureStudy {
  uid: string;
  date: string;
  time: string;
  accession: string;
  description: string;
  referringPhysician: string;
  series: FixtureSeries[];
}

export interface FixturePatient {
  id: string;
  name: string;
  birthDate: string;
  sex: 'M' | 'F';
  studies: FixtureStudy[];
}

const REFERRER = 'REFERRER^CONFORMANCE';

function series(p: number, s: number, n: number, modality: 'CT' | 'MR', description: string, instances: number, frames?: number): FixtureSeries {
  const x: FixtureSeries = { uid: `${UID_ROOT}.2.${p}.${s}.${n}`, modality, number: n, description, instances };
  if (frames !== undefined) x.frames = frames;
  return x;
}

function study(p: number, s: number, fields: Omit<FixtureStudy, 'uid' | 'referringPhysician'>): FixtureStudy {
  return { uid: `${UID_ROOT}.1.${p}.${s}`, referringPhysician: REFERRER, ...fields };
}

const ALPHA: FixturePatient = {
  id: 'CONF-ALPHA',
  name: 'CONFORMANCE^ALPHA',
  birthDate: '19700101',
  sex: 'M',
  studies: [
    study(1, 1, {
      date: '20190314', time: '101500', accession: 'CONFA1903', description: 'CONFORMANCE CT CHEST',
      series: [series(1, 1, 1, 'CT', 'CT AXIAL 1', 2), series(1, 1, 2, 'CT', 'CT AXIAL 2', 3)],
    }),
    study(1, 2, {
      date: '20210601', time: '090000', accession: 'CONFA2106', description: 'CONFORMANCE MR BRAIN',
      series: [series(1, 2, 1, 'MR', 'MR T1', 2), series(1, 2, 2, 'MR', 'MR T2', 2)],
    }),
  ],
};

const MULLER: FixturePatient = {
  id: 'CONF-MULLER',
  name: 'Müller^Jürgen',
  birthDate: '19650412',
  sex: 'M',
  studies: [
    study(2, 1, {
      date: '20200715', time: '140000', accession: 'CONFM2007', description: 'CONFORMANCE CT ABDOMEN',
      series: [series(2, 1, 1, 'CT', 'CT ABDOMEN', 2)],
    }),
  ],
};

const DVORAK: FixturePatient = {
  id: 'CONF-DVORAK',
  name: 'Dvořák^Anežka',
  birthDate: '19881120',
  sex: 'F',
  studies: [
    study(3, 1, {
      date: '20220110', time: '083000', accession: 'CONFD2201', description: 'CONFORMANCE MR KNEE',
      // The multi-frame series is there for the WADO-RS frame cases (frame lists, frame 3 of 3).
      series: [series(3, 1, 1, 'MR', 'MR PD', 2), series(3, 1, 2, 'MR', 'MR PD MULTIFRAME', 1, 3)],
    }),
  ],
};

/** Expected values, for the cases. */
export const FIXTURE = {
  alpha: ALPHA,
  muller: MULLER,
  dvorak: DVORAK,
  patients: [ALPHA, MULLER, DVORAK],
  /** ALPHA's 2019 CT study and its first series, the usual target of series/instance cases. */
  alphaCt: ALPHA.studies[0]!,
  alphaMr: ALPHA.studies[1]!,
  /** DVORAK's series of one 3-frame instance (WADO-RS frame cases). */
  multiframe: DVORAK.studies[0]!.series[1]!,
} as const;

export const allStudies = (): FixtureStudy[] => FIXTURE.patients.flatMap((p) => p.studies);

function specOf(patient: FixturePatient, s: FixtureStudy): StudySpec {
  return {
    patientName: patient.name,
    patientId: patient.id,
    birthDate: patient.birthDate,
    sex: patient.sex,
    studyDate: s.date,
    studyTime: s.time,
    accessionNumber: s.accession,
    studyDescription: s.description,
    referringPhysician: s.referringPhysician,
    studyId: s.accession.slice(-4),
    studyInstanceUid: s.uid,
    series: s.series.map((x) => ({
      modality: x.modality,
      seriesDescription: x.description,
      seriesNumber: x.number,
      instances: x.instances,
      rows: 16,
      columns: 16,
      seriesInstanceUid: x.uid,
      ...(x.frames === undefined ? {} : { frames: x.frames }),
    })),
  };
}

/** Number of fixture instances, without generating them. */
export function fixtureInstanceCount(): number {
  return allStudies().reduce((n, s) => n + s.series.reduce((m, x) => m + x.instances, 0), 0);
}

let generated: GeneratedInstance[] | undefined;

/** The Part 10 instances of every fixture study (generated once per process). */
export function fixtureInstances(): GeneratedInstance[] {
  generated ??= FIXTURE.patients.flatMap((p) => p.studies.flatMap((s) => generateStudy(specOf(p, s))));
  return generated;
}

/** SOP Instance UIDs of one fixture series, in instance-number order. */
export function instanceUidsOf(seriesUid: string): string[] {
  return fixtureInstances().filter((i) => i.seriesInstanceUid === seriesUid).map((i) => i.sopInstanceUid);
}

/** SOP Instance UIDs of one fixture study. */
export function studyInstanceUids(studyUid: string): string[] {
  return fixtureInstances().filter((i) => i.studyInstanceUid === studyUid).map((i) => i.sopInstanceUid);
}
